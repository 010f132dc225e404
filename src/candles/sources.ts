/** Price sources read by indicators and the base series a Candles object holds. */
import { MissingInputSeriesError } from '../errors.js';
import { candlesError } from './fail.js';
import type { BaseSeries, Candles, SourceSeries } from './types.js';

const f = Math.fround;

/** hl2 of one bar, in float32 arithmetic: (high + low) / 2. */
export const hl2Of = (h: number, l: number): number => f(f(h + l) / 2);
/** hlc3 of one bar: ((high + low) + close) / 3, each step rounded to float32. */
export const hlc3Of = (h: number, l: number, c: number): number => f(f(f(h + l) + c) / 3);
/** ohlc4 of one bar: (((open + high) + low) + close) / 4, each step rounded to float32. */
export const ohlc4Of = (o: number, h: number, l: number, c: number): number => f(f(f(f(o + h) + l) + c) / 4);

/** The base series present in `candles`, sorted by name. */
export function availableSeries(candles: Candles): BaseSeries[] {
  const names: BaseSeries[] = ['close', 'high', 'low', 'open', 'volume'];
  return names.filter((name) => candles[name] !== undefined);
}

/** Anything an indicator may read: a price source or `volume`. */
export type SeriesName = SourceSeries | BaseSeries;

/** The base series a source is built from. */
export function sourceComponents(source: SeriesName): BaseSeries[] {
  switch (source) {
    case 'hl2':
      return ['high', 'low'];
    case 'hlc3':
      return ['high', 'low', 'close'];
    case 'ohlc4':
      return ['open', 'high', 'low', 'close'];
    default:
      return [source];
  }
}

/**
 * The series an indicator reads for `source`. A base source is the candles' own array (or a copy
 * of it in `into`); hl2, hlc3 and ohlc4 are computed in float32, summing left to right, then dividing. With
 * `into` (e.g. a view on WebAssembly memory, length T) the values are written there and `into` is
 * returned. A component the candles lack is MissingInputSeriesError; compute checks the required series first.
 * Candles are finite or NaN, but a derived sum can overflow float32 (3.3e38 + 3.2e38): such a bar is
 * refused as CandlesValidationError non_finite on the derived source, so that no engine ever reads
 * ±Infinity (the kernels, like the candles, take finite-or-NaN input).
 */
export function buildSourceSeries(candles: Candles, source: SeriesName, into?: Float32Array): Float32Array {
  const [o, h, l, c, v] = componentsOf(candles, source);
  const t = candles.t;
  if (into !== undefined && into.length !== t)
    throw new RangeError(`buildSourceSeries: target has ${into.length} elements, candles have ${t}`);
  switch (source) {
    case 'hl2': {
      const out = into ?? new Float32Array(t);
      for (let i = 0; i < t; i++) out[i] = hl2Of(h![i]!, l![i]!);
      return finiteOrNaN(out, source);
    }
    case 'hlc3': {
      const out = into ?? new Float32Array(t);
      for (let i = 0; i < t; i++) out[i] = hlc3Of(h![i]!, l![i]!, c![i]!);
      return finiteOrNaN(out, source);
    }
    case 'ohlc4': {
      const out = into ?? new Float32Array(t);
      for (let i = 0; i < t; i++) out[i] = ohlc4Of(o![i]!, h![i]!, l![i]!, c![i]!);
      return finiteOrNaN(out, source);
    }
    default: {
      const base = (o ?? h ?? l ?? c ?? v)!;
      if (into === undefined) return base;
      into.set(base);
      return into;
    }
  }
}

/** `out` when every value is finite or NaN; else CandlesValidationError naming the first ±Infinity bar. */
function finiteOrNaN(out: Float32Array, source: SeriesName): Float32Array {
  for (let i = 0; i < out.length; i++) {
    const x = out[i]!;
    if (x === Infinity || x === -Infinity) {
      throw candlesError(source, 'non_finite', `is ${x} at bar ${i}: the candles' sum overflows float32`, {
        index: i,
        value: String(x),
        expected: 'finite or NaN',
      });
    }
  }
  return out;
}

const KNOWN: readonly string[] = ['open', 'high', 'low', 'close', 'volume', 'hl2', 'hlc3', 'ohlc4'];

/** [open, high, low, close, volume] as far as `source` needs them; throws when one is absent. */
function componentsOf(candles: Candles, source: SeriesName): (Float32Array | undefined)[] {
  if (!KNOWN.includes(source)) throw new TypeError(`unknown price source ${JSON.stringify(source)}`);
  const required = sourceComponents(source);
  const missing = required.filter((name) => candles[name] === undefined);
  if (missing.length > 0) {
    throw new MissingInputSeriesError({
      indicatorId: source,
      missing: missing.sort(),
      required: [...required].sort(),
      available: availableSeries(candles),
    });
  }
  const pick = (name: BaseSeries) => (required.includes(name) ? candles[name] : undefined);
  return [pick('open'), pick('high'), pick('low'), pick('close'), pick('volume')];
}
