/** Reference implementations of the `ma` group. One variant per call. */
import type { Profile, SeriesInputs } from '../registry/types.js';
import { ema, narrow, nanSeries, rma, rollmean, rollsum, widen, wma } from './primitives.js';

type Params = Readonly<Record<string, number>>;

const src = (inp: SeriesInputs): Float64Array => widen(inp.src!);

/** EMA(src, n); in the talib profile seeded by the SMA of the first n values of each segment (primitives.ts emaTalib). */
export function referenceEma(inp: SeriesInputs, p: Params, profile?: Profile) {
  return { value: narrow(ema(src(inp), p.window!, profile)) };
}

export function referenceRma(inp: SeriesInputs, p: Params) {
  return { value: narrow(rma(src(inp), p.window!)) };
}

/**
 * DEMA: 2·E1 − E2. E2 is the EMA of the E1 series, so in the talib profile it seeds on E1's first n
 * values (first value at 2n − 2 bars into a segment).
 */
export function referenceDema(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const e1 = ema(src(inp), n, profile);
  const e2 = ema(e1, n, profile);
  const out = new Float64Array(e1.length);
  for (let t = 0; t < out.length; t++) out[t] = 2 * e1[t]! - e2[t]!;
  return { value: narrow(out) };
}

/** TEMA: ((3·E1) − (3·E2)) + E3, each stage the EMA of the one before (talib profile: first value at 3n − 3). */
export function referenceTema(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const e1 = ema(src(inp), n, profile);
  const e2 = ema(e1, n, profile);
  const e3 = ema(e2, n, profile);
  const out = new Float64Array(e1.length);
  for (let t = 0; t < out.length; t++) out[t] = 3 * e1[t]! - 3 * e2[t]! + e3[t]!;
  return { value: narrow(out) };
}

export function referenceSma(inp: SeriesInputs, p: Params) {
  return { value: narrow(rollmean(src(inp), p.window!)) };
}

export function referenceWma(inp: SeriesInputs, p: Params) {
  return { value: narrow(wma(src(inp), p.window!)) };
}

/** HMA: D = 2·WMA(h) − WMA(n), value = WMA(D, s), h = max(1, ⌊n/2⌋), s = max(1, ⌊√n⌋). */
export function referenceHma(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = src(inp);
  const h = Math.max(1, Math.floor(n / 2));
  const s = Math.max(1, Math.floor(Math.sqrt(n)));
  const wh = wma(x, h);
  const wn = wma(x, n);
  const d = new Float64Array(x.length);
  for (let t = 0; t < d.length; t++) d[t] = 2 * wh[t]! - wn[t]!;
  return { value: narrow(wma(d, s)) };
}

/** ZLEMA: EMA of A = src + (src − src[t−L]), L = ⌊(n−1)/2⌋, A = NaN before L. */
export function referenceZlema(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = src(inp);
  const L = Math.floor((n - 1) / 2);
  let a: Float64Array;
  if (L === 0) a = x;
  else {
    a = nanSeries(x.length);
    for (let t = L; t < x.length; t++) a[t] = x[t]! + (x[t]! - x[t - L]!);
  }
  return { value: narrow(ema(a, n)) };
}

/** VWMA: ROLLSUM(close·volume, n) / ROLLSUM(volume, n), NaN where the volume sum is 0. */
export function referenceVwma(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const c = widen(inp.close!);
  const v = widen(inp.volume!);
  const pv = new Float64Array(c.length);
  for (let t = 0; t < pv.length; t++) pv[t] = c[t]! * v[t]!;
  const num = rollsum(pv, n);
  const den = rollsum(v, n);
  const out = new Float64Array(c.length);
  for (let t = 0; t < out.length; t++) out[t] = den[t] === 0 ? NaN : num[t]! / den[t]!;
  return { value: narrow(out) };
}
