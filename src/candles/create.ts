/**
 * createCandles: validates instrument, timeframe, lengths, spacing, values and range in order, converts the convenience
 * inputs once and returns a frozen object that only ever holds BigInt64Array + Float32Array.
 * Caller arrays are never written to; Float32Array and BigInt64Array inputs are kept as given.
 */
import { normalizeTimeframe, TIMEFRAME_MS, type Timeframe } from '../grid/timeframe.js';
import { candlesError, rejectUnknownKeys } from './fail.js';
import {
  BASE_SERIES,
  CANDLES_INPUT_KEYS,
  type BaseSeries,
  type Candles,
  type CandlesInput,
  type LoadReport,
  type SeriesInput,
  type Timeline,
} from './types.js';

/** Every object createCandles has returned: the brand behind isCandles. */
const made = new WeakSet<object>();

/** True for objects built by createCandles or a loader, false for look-alikes. */
export function isCandles(x: unknown): x is Candles {
  return typeof x === 'object' && x !== null && made.has(x);
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The instrument id: a non-empty (after trimming), well-formed UTF-16 string; returned trimmed. */
export function checkInstrumentId(value: unknown): string {
  if (typeof value !== 'string') {
    throw candlesError('instrumentId', 'empty_instrument', 'must be a non-empty string', { value: value ?? null });
  }
  const id = value.trim();
  if (id === '') throw candlesError('instrumentId', 'empty_instrument', 'must be non-empty after trimming', { value });
  if (LONE_SURROGATE.test(id)) throw candlesError('instrumentId', 'empty_instrument', 'contains a lone UTF-16 surrogate', { value });
  return id;
}

/** One of the supported timeframes, after trimming and lower-casing. */
export function checkTimeframe(value: unknown): Timeframe {
  const tf = normalizeTimeframe(value);
  if (tf === null) {
    throw candlesError('timeframe', 'unsupported_timeframe', `must be one of ${Object.keys(TIMEFRAME_MS).join(', ')}`, {
      value: value ?? null,
      expected: Object.keys(TIMEFRAME_MS),
    });
  }
  return tf;
}

/** 'dense' (the default) or 'sessions' (markets that close: no holes for closed hours). */
export function checkTimeline(value: unknown): Timeline {
  if (value === undefined || value === 'dense') return 'dense';
  if (value === 'sessions') return 'sessions';
  throw candlesError('timeline', 'wrong_dtype', "must be 'dense' or 'sessions'", { value: value ?? null, expected: ['dense', 'sessions'] });
}

/** tsOpen as BigInt64Array with T >= 1; numbers must be safe integers. */
function toTimes(value: unknown): BigInt64Array {
  let times: BigInt64Array;
  if (value instanceof BigInt64Array) {
    times = value;
  } else if (value instanceof Float64Array || Array.isArray(value)) {
    const numbers = value as ArrayLike<unknown>;
    times = new BigInt64Array(numbers.length);
    for (let i = 0; i < numbers.length; i++) {
      const x = numbers[i];
      if (typeof x !== 'number' || !Number.isSafeInteger(x)) {
        throw candlesError('tsOpen', 'bad_timestamp', 'must be a safe integer of epoch ms', { index: i, value: jsonSafe(x) });
      }
      times[i] = BigInt(x);
    }
  } else {
    throw candlesError('tsOpen', 'wrong_dtype', 'must be a BigInt64Array, a Float64Array or a number[]', {
      value: typeName(value),
      expected: 'BigInt64Array',
    });
  }
  if (times.length === 0) throw candlesError('tsOpen', 'empty', 'must hold at least one bar', { value: 0, expected: '>= 1' });
  return times;
}

/** One series as a Float32Array of length `t` (number[] / Float64Array rounded once). */
function toSeries(name: BaseSeries, value: unknown, t: number): Float32Array {
  let series: Float32Array;
  if (value instanceof Float32Array) {
    series = value;
  } else if (value instanceof Float64Array) {
    series = Float32Array.from(value);
  } else if (Array.isArray(value)) {
    series = new Float32Array(value.length);
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (typeof x !== 'number')
        throw candlesError(name, 'wrong_dtype', 'must hold only numbers', { index: i, value: jsonSafe(x), expected: 'number' });
      series[i] = x; // a Float32Array store rounds exactly like Math.fround
    }
  } else {
    throw candlesError(name, 'wrong_dtype', 'must be a Float32Array, a Float64Array or a number[]', {
      value: typeName(value),
      expected: 'Float32Array',
    });
  }
  if (series.length !== t) {
    throw candlesError(name, 'length_mismatch', `must have as many elements as tsOpen (${t})`, { value: series.length, expected: t });
  }
  return series;
}

/** Dense: every step equals stepMs. Sessions: increasing, every time on the grid of tsOpen[0]. */
function checkSpacing(times: BigInt64Array, stepMs: number, timeline: Timeline): void {
  const step = BigInt(stepMs);
  const first = times[0]!;
  for (let i = 1; i < times.length; i++) {
    const diff = times[i]! - times[i - 1]!;
    if (timeline === 'dense') {
      if (diff !== step)
        throw candlesError('tsOpen', 'not_dense', `step from the previous bar must be ${stepMs} ms`, {
          index: i,
          value: Number(diff),
          expected: stepMs,
        });
    } else if (diff <= 0n) {
      throw candlesError('tsOpen', 'not_dense', 'must be strictly increasing', { index: i, value: Number(diff), expected: '> 0' });
    } else if ((times[i]! - first) % step !== 0n) {
      throw candlesError('tsOpen', 'not_dense', `must lie a multiple of ${stepMs} ms after tsOpen[0]`, {
        index: i,
        value: Number(diff),
        expected: `a multiple of ${stepMs}`,
      });
    }
  }
}

/** Values: finite or NaN after rounding to float32; `given` is the caller's array, for the message. */
function checkFinite(name: BaseSeries, series: Float32Array, given: SeriesInput): void {
  for (let i = 0; i < series.length; i++) {
    const x = series[i]!;
    if (x === Infinity || x === -Infinity) {
      throw candlesError(name, 'non_finite', 'must be finite or NaN as a float32', {
        index: i,
        value: given[i],
        expected: 'finite or NaN',
      });
    }
  }
}

/** start and end (start + T · step for dense candles) as exact numbers. */
function timeRange(times: BigInt64Array, stepMs: number, timeline: Timeline): { start: number; end: number } {
  const t = times.length;
  const start = Number(times[0]!);
  const end = timeline === 'dense' ? start + t * stepMs : Number(times[t - 1]!) + stepMs;
  if (!Number.isSafeInteger(start))
    throw candlesError('tsOpen', 'bad_timestamp', 'must be within ±2^53 ms', { index: 0, value: String(times[0]) });
  if (!Number.isSafeInteger(end))
    throw candlesError('tsOpen', 'bad_timestamp', 'must end within ±2^53 ms', { index: t - 1, value: String(times[t - 1]) });
  return { start, end };
}

/** Validates the candles (checks in the order above) and returns them frozen. */
export function createCandles(input: CandlesInput): Candles {
  if (typeof input !== 'object' || input === null) {
    throw candlesError('instrumentId', 'empty_instrument', 'candles input must be an object', { value: typeName(input) });
  }
  rejectUnknownKeys(input, CANDLES_INPUT_KEYS, 'the createCandles input');
  const instrumentId = checkInstrumentId(input.instrumentId);
  const timeframe = checkTimeframe(input.timeframe);
  const stepMs = TIMEFRAME_MS[timeframe];
  const tsOpen = toTimes(input.tsOpen);
  const t = tsOpen.length;
  if (input.close === undefined) throw candlesError('close', 'missing_column', 'is required', { expected: 'Float32Array' });
  const series: Partial<Record<BaseSeries, Float32Array>> = {};
  for (const name of BASE_SERIES) {
    if (input[name] !== undefined) series[name] = toSeries(name, input[name], t);
  }
  const timeline = checkTimeline(input.timeline);
  checkSpacing(tsOpen, stepMs, timeline);
  for (const name of BASE_SERIES) if (series[name]) checkFinite(name, series[name], input[name]!);
  const { start, end } = timeRange(tsOpen, stepMs, timeline);

  const candles: { -readonly [K in keyof Candles]: Candles[K] } = {
    instrumentId,
    timeframe,
    stepMs,
    start,
    end,
    t,
    tsOpen,
    close: series.close!,
  } as Candles;
  for (const name of ['open', 'high', 'low', 'volume'] as const) if (series[name]) candles[name] = series[name];
  candles.timeline = timeline;
  if (input.loadReport !== undefined) candles.loadReport = freezeReport(input.loadReport);
  made.add(candles);
  return Object.freeze(candles);
}

function freezeReport(report: LoadReport): LoadReport {
  if (Object.isFrozen(report)) return report;
  return Object.freeze({ ...report, warnings: Object.freeze(report.warnings.map((w) => Object.freeze({ ...w }))) });
}

/** A JSON-safe stand-in for a rejected element. */
function jsonSafe(x: unknown): unknown {
  if (x === undefined) return null;
  if (typeof x === 'bigint') return x.toString();
  return x;
}

function typeName(x: unknown): string {
  if (x === null) return 'null';
  if (typeof x === 'object') return (x as object).constructor?.name ?? 'object';
  return typeof x;
}
