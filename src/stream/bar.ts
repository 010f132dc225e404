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
const OPEN = 0,
  HIGH = 1,
  LOW = 2,
  CLOSE = 3;
const f = Math.fround;

/**
 * A checked bar, in reused storage: its time in ms, the float32 value of each base series in
 * `BASE` order (NaN where the bar does not give it) and a bit per series given.
 */
export class CheckedBar {
  ts = 0;
  readonly values = new Float64Array(5);
  given = 0;
  has(k: number): boolean {
    return ((this.given >> k) & 1) === 1;
  }
}

/**
 * Checks a bar into `out`: known keys only; tsOpen a safe integer of ms; every series the stream
 * needs present (MissingInputSeriesError otherwise); every value given a number that is finite and
 * not negative as a float32 (a hole is a gap in time on a dense timeline, never a NaN bar); high ≥
 * low, and high and low around open and close where those are given. Errors name the field and the
 * value. `required` is a bit per base series in BASE order.
 */
export function checkBar(bar: unknown, indicatorId: string, required: number, out: CheckedBar): CheckedBar {
  if (typeof bar !== 'object' || bar === null || Array.isArray(bar))
    throw candlesError('bar', 'wrong_dtype', 'must be an object { tsOpen, open?, high?, low?, close, volume? }', { value: typeName(bar) });
  const b = bar as Record<string, unknown>;
  for (const key in b) {
    switch (key) {
      case 'tsOpen':
      case 'open':
      case 'high':
      case 'low':
      case 'close':
      case 'volume':
        break;
      default:
        rejectUnknownKeys(bar, STREAM_BAR_KEYS, 'a streamed bar');
    }
  }
  out.ts = checkTs(b.tsOpen);
  let given = 0;
  const v = out.values;
  for (let k = 0; k < 5; k++) {
    const name = BASE[k]!;
    const x = b[name];
    if (x === undefined) {
      v[k] = Number.NaN;
      continue;
    }
    if (typeof x !== 'number') throw candlesError(name, 'wrong_dtype', 'must be a number', { value: typeName(x), expected: 'number' });
    const y = f(x);
    if (!(y >= 0) || y === Number.POSITIVE_INFINITY) {
      if (Number.isNaN(y))
        throw candlesError(name, 'not_a_number', 'must be a number, not NaN (a missing bar is a gap in tsOpen)', { value: 'NaN' });
      if (!Number.isFinite(y))
        throw candlesError(name, 'non_finite', 'must be finite as a float32', { value: String(x), expected: 'finite' });
      throw candlesError(name, 'non_positive_price', 'must not be negative', { value: x, expected: '>= 0' });
    }
    v[k] = y;
    given |= 1 << k;
  }
  out.given = given;
  if (!out.has(CLOSE)) throw candlesError('close', 'missing_column', 'is required', { expected: 'number' });
  if ((required & given) !== required) {
    const names = (mask: number): BaseSeries[] => BASE.filter((_, k) => ((mask >> k) & 1) === 1);
    throw new MissingInputSeriesError({
      indicatorId,
      missing: names(required & ~given),
      required: names(required),
      available: names(given),
    });
  }
  const h = v[HIGH]!,
    l = v[LOW]!;
  if (h < l) throw candlesError('high', 'bad_bar', `must be at least low (${l})`, { value: h, expected: `>= ${l}` });
  for (const k of [OPEN, CLOSE]) {
    const x = v[k]!;
    if (x > h) throw candlesError('high', 'bad_bar', `must be at least ${BASE[k]} (${x})`, { value: h, expected: `>= ${x}` });
    if (x < l) throw candlesError('low', 'bad_bar', `must be at most ${BASE[k]} (${x})`, { value: l, expected: `<= ${x}` });
  }
  return out;
}

/** The bit mask of base series (BASE order) for `requiredBaseSeries`. */
export function seriesMask(names: readonly BaseSeries[]): number {
  let m = 0;
  for (const n of names) m |= 1 << BASE.indexOf(n);
  return m;
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

/** Index of a series in a checked bar's values, or −1 for a derived source. */
export function baseIndex(name: SeriesName): number {
  return BASE.indexOf(name as BaseSeries);
}

/** The value of one series at a checked bar, derived sources in float32 (as the candles build them); ±Infinity refused. */
export function seriesValue(bar: CheckedBar, name: SeriesName, base: number): number {
  const v = bar.values;
  if (base >= 0) return v[base]!;
  let x: number;
  if (name === 'hl2') x = hl2Of(v[HIGH]!, v[LOW]!);
  else if (name === 'hlc3') x = hlc3Of(v[HIGH]!, v[LOW]!, v[CLOSE]!);
  else x = ohlc4Of(v[OPEN]!, v[HIGH]!, v[LOW]!, v[CLOSE]!);
  if (x === Number.POSITIVE_INFINITY)
    throw candlesError(name, 'non_finite', `is ${x}: the bar's sum overflows float32`, { value: String(x), expected: 'finite' });
  return x;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
