/** Reference implementations of the `ma` group. One variant per call. */
import type { SeriesInputs } from '../registry/types.js';
import { ema, narrow, nanSeries, rma, rollmean, rollsum, widen, wma } from './primitives.js';

type Params = Readonly<Record<string, number>>;

const src = (inp: SeriesInputs): Float64Array => widen(inp.src!);

export function referenceEma(inp: SeriesInputs, p: Params) {
  return { value: narrow(ema(src(inp), p.window!)) };
}

export function referenceRma(inp: SeriesInputs, p: Params) {
  return { value: narrow(rma(src(inp), p.window!)) };
}

export function referenceDema(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const e1 = ema(src(inp), n);
  const e2 = ema(e1, n);
  const out = new Float64Array(e1.length);
  for (let t = 0; t < out.length; t++) out[t] = 2 * e1[t]! - e2[t]!;
  return { value: narrow(out) };
}

export function referenceTema(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const e1 = ema(src(inp), n);
  const e2 = ema(e1, n);
  const e3 = ema(e2, n);
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
