/**
 * One streamed bar: checked completely before a stream changes anything, then turned into the values
 * of the series the stream's kernels read (base series and derived sources, in float32).
 */
import { candlesError, rejectUnknownKeys } from '../candles/fail.js';
import { hl2Of, hlc3Of, ohlc4Of, type SeriesName } from '../candles/sources.js';
import type { BaseSeries } from '../candles/types.js';
import { MissingInputSeriesError } from '../errors.js';
import { keyList } from '../options.js';

/** A bar as `push` and `update` take it: epoch ms (number or bigint), prices and volume as numbers. */
export interface StreamBar {
  readonly tsOpen: number | bigint;
  readonly open?: number;
  readonly high?: number;
  readonly low?: number;
  readonly close: number;
  readonly volume?: number;
}

export const STREAM_BAR_KEYS = keyList<StreamBar>({ tsOpen: true, open: true, high: true, low: true, close: true, volume: true });

const BASE: readonly BaseSeries[] = ['open', 'high', 'low', 'close', 'volume'];
const f = Math.fround;

/** A checked bar: its time in ms and the float32 value of every base series it holds. */
export interface CheckedBar {
  readonly ts: number;
  readonly values: Readonly<Partial<Record<BaseSeries, number>>>;
}

/**
 * Checks a bar: known keys only; tsOpen a safe integer of ms; every series the stream needs present
 * (MissingInputSeriesError otherwise); every value given a number that is finite and not negative as
 * a float32 (a hole is a gap in time on a dense timeline, never a NaN bar); high ≥ low, and high and
 * low around open and close where those are given. Errors name the field and the value.
 */
export function checkBar(bar: unknown, indicatorId: string, required: readonly BaseSeries[]): CheckedBar {
  if (typeof bar !== 'object' || bar === null || Array.isArray(bar))
    throw candlesError('bar', 'wrong_dtype', 'must be an object { tsOpen, open?, high?, low?, close, volume? }', { value: typeName(bar) });
  rejectUnknownKeys(bar, STREAM_BAR_KEYS, 'a streamed bar');
  const b = bar as Record<string, unknown>;
  const ts = checkTs(b.tsOpen);
  const values: Partial<Record<BaseSeries, number>> = {};
  for (const name of BASE) {
    const x = b[name];
    if (x === undefined) continue;
    if (typeof x !== 'number') throw candlesError(name, 'wrong_dtype', 'must be a number', { value: typeName(x), expected: 'number' });
    const v = f(x);
    if (Number.isNaN(v))
      throw candlesError(name, 'not_a_number', 'must be a number, not NaN (a missing bar is a gap in tsOpen)', { value: 'NaN' });
    if (!Number.isFinite(v))
      throw candlesError(name, 'non_finite', 'must be finite as a float32', { value: String(x), expected: 'finite' });
    if (v < 0) throw candlesError(name, 'non_positive_price', 'must not be negative', { value: x, expected: '>= 0' });
    values[name] = v;
  }
  if (values.close === undefined) throw candlesError('close', 'missing_column', 'is required', { expected: 'number' });
  const missing = required.filter((s) => values[s] === undefined);
  if (missing.length) {
    throw new MissingInputSeriesError({
      indicatorId,
      missing,
      required: [...required],
      available: BASE.filter((s) => values[s] !== undefined),
    });
  }
  const { open: o, high: h, low: l, close: c } = values;
  if (h !== undefined && l !== undefined && h < l)
    throw candlesError('high', 'bad_bar', `must be at least low (${l})`, { value: h, expected: `>= ${l}` });
  for (const [name, x] of [
    ['open', o],
    ['close', c],
  ] as const) {
    if (x === undefined) continue;
    if (h !== undefined && x > h)
      throw candlesError('high', 'bad_bar', `must be at least ${name} (${x})`, { value: h, expected: `>= ${x}` });
    if (l !== undefined && x < l) throw candlesError('low', 'bad_bar', `must be at most ${name} (${x})`, { value: l, expected: `<= ${x}` });
  }
  return { ts, values };
}

function checkTs(x: unknown): number {
  if (typeof x === 'bigint') {
    const n = Number(x);
    if (Number.isSafeInteger(n) && BigInt(n) === x) return n;
    throw candlesError('tsOpen', 'bad_timestamp', 'must be within ±2^53 ms', { value: x.toString() });
  }
  if (typeof x === 'number' && Number.isSafeInteger(x)) return x;
  throw candlesError('tsOpen', 'bad_timestamp', 'must be a safe integer of epoch ms (number or bigint)', {
    value: typeof x === 'number' ? String(x) : typeName(x),
  });
}

/** The value of one series at a checked bar, derived sources in float32 (as the candles build them); ±Infinity refused. */
export function seriesValue(bar: CheckedBar, name: SeriesName): number {
  const { open: o, high: h, low: l, close: c, volume: v } = bar.values;
  let x: number;
  switch (name) {
    case 'hl2':
      x = hl2Of(h!, l!);
      break;
    case 'hlc3':
      x = hlc3Of(h!, l!, c!);
      break;
    case 'ohlc4':
      x = ohlc4Of(o!, h!, l!, c!);
      break;
    case 'volume':
      x = v!;
      break;
    default:
      x = bar.values[name]!;
  }
  if (x === Infinity || x === -Infinity)
    throw candlesError(name, 'non_finite', `is ${x}: the bar's sum overflows float32`, { value: String(x), expected: 'finite' });
  return x;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
