/** Reference implementations of the `structure` group. One variant per call. */
import type { SeriesInputs } from '../registry/types.js';
import { atr32, ema, nanSeries, narrow, rollmean, rollvar, widen } from './primitives.js';

type Params = Readonly<Record<string, number>>;

export interface CandleComponents {
  body: Float64Array;
  range: Float64Array;
  upper_wick: Float64Array;
  lower_wick: Float64Array;
}

/**
 * Candle components in binary64: range = high − low, body = |close − open|,
 * upper_wick = high − max(open, close), lower_wick = min(open, close) − low, with max/min by
 * comparison (`open > close ? open : close`, `open < close ? open : close`); all NaN on a bar where
 * any of the four prices is NaN.
 */
export function candleComponents(inp: SeriesInputs): CandleComponents {
  const o = widen(inp.open!),
    h = widen(inp.high!),
    l = widen(inp.low!),
    c = widen(inp.close!);
  const T = o.length;
  const body = nanSeries(T),
    range = nanSeries(T),
    upper = nanSeries(T),
    lower = nanSeries(T);
  for (let t = 0; t < T; t++) {
    const op = o[t]!,
      hi = h[t]!,
      lo = l[t]!,
      cl = c[t]!;
    if (op !== op || hi !== hi || lo !== lo || cl !== cl) continue;
    range[t] = hi - lo;
    body[t] = Math.abs(cl - op);
    upper[t] = hi - (op > cl ? op : cl);
    lower[t] = (op < cl ? op : cl) - lo;
  }
  return { body, range, upper_wick: upper, lower_wick: lower };
}

/** x / d with the division guard: NaN where d is ±0 (NaN operands give NaN). */
function guardedDiv(x: Float64Array, d: Float64Array): Float64Array {
  const out = new Float64Array(x.length);
  for (let t = 0; t < out.length; t++) out[t] = d[t] === 0 ? NaN : x[t]! / d[t]!;
  return out;
}

/** Every slot of `structure.candle_stats` (the seven components and fractions of range). */
export function referenceCandleStats(inp: SeriesInputs) {
  const k = candleComponents(inp);
  return {
    body_pct: narrow(guardedDiv(k.body, k.range)),
    body: narrow(k.body),
    range: narrow(k.range),
    upper_wick: narrow(k.upper_wick),
    lower_wick: narrow(k.lower_wick),
    upper_wick_pct: narrow(guardedDiv(k.upper_wick, k.range)),
    lower_wick_pct: narrow(guardedDiv(k.lower_wick, k.range)),
  };
}

/** Candle components over Z = ATR32(atr_window) (the ATR rounded to float32 and widened back). */
export function referenceCandleStatsAtrNorm(inp: SeriesInputs, p: Params) {
  const k = candleComponents(inp);
  const z = atr32(widen(inp.high!), widen(inp.low!), widen(inp.close!), p.atr_window!);
  return {
    body_atr: narrow(guardedDiv(k.body, z)),
    range_atr: narrow(guardedDiv(k.range, z)),
    upper_wick_atr: narrow(guardedDiv(k.upper_wick, z)),
    lower_wick_atr: narrow(guardedDiv(k.lower_wick, z)),
  };
}

/** (src − EMA(src, n)) / ATR32(n), NaN where ATR32 is 0. */
export function referenceDistanceToMaNorm(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = widen(inp.src!);
  const e = ema(x, n);
  const z = atr32(widen(inp.high!), widen(inp.low!), widen(inp.close!), n);
  const d = new Float64Array(x.length);
  for (let t = 0; t < d.length; t++) d[t] = x[t]! - e[t]!;
  return { distance_to_ma_norm: narrow(guardedDiv(d, z)) };
}

/** (C / n)·100 with C the count of window values <= src[t] (current bar included). */
export function referencePercentRank(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = widen(inp.src!);
  const out = nanSeries(x.length);
  for (let t = n - 1; t < x.length; t++) {
    const v = x[t]!;
    let c = 0,
      bad = false;
    for (let j = t - n + 1; j <= t; j++) {
      const u = x[j]!;
      if (u !== u) {
        bad = true;
        break;
      }
      if (u <= v) c++;
    }
    if (!bad) out[t] = (c / n) * 100;
  }
  return { percent_rank: narrow(out) };
}

/**
 * Strict pivots on the confirmation bar t: centre c = t − right, window [c − left, t] NaN-free, and
 * every other value of the window strictly below (pivot high) / above (pivot low) the centre.
 */
function pivotSeries(x: Float64Array, left: number, right: number, beats: (u: number, v: number) => boolean): Float64Array {
  const out = nanSeries(x.length);
  for (let t = left + right; t < x.length; t++) {
    const c = t - right,
      s = c - left;
    const v = x[c]!;
    let ok = v === v;
    for (let j = s; j <= t && ok; j++) {
      const u = x[j]!;
      if (u !== u) ok = false;
      else if (j !== c && beats(u, v)) ok = false;
    }
    if (ok) out[t] = v;
  }
  return out;
}

export function referencePivots(inp: SeriesInputs, p: Params) {
  const left = p.left!,
    right = p.right!;
  return {
    pivot_high: narrow(pivotSeries(widen(inp.high!), left, right, (u, v) => u >= v)),
    pivot_low: narrow(pivotSeries(widen(inp.low!), left, right, (u, v) => u <= v)),
  };
}

/** (src − ROLLMEAN) / sqrt(ROLLVAR), NaN where the variance is 0 (and, through sqrt, below 0). */
export function referenceZscore(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = widen(inp.src!);
  const mu = rollmean(x, n);
  const vr = rollvar(x, n);
  const out = new Float64Array(x.length);
  for (let t = 0; t < out.length; t++) out[t] = vr[t] === 0 ? NaN : (x[t]! - mu[t]!) / Math.sqrt(vr[t]!);
  return { zscore: narrow(out) };
}
