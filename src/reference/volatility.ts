/** Reference implementations of the `volatility` group. One variant per call. */
import type { Profile, SeriesInputs } from '../registry/types.js';
import { atr, log, narrow, nanSeries, rollmean, rollvar, trueRange, widen } from './primitives.js';

type Params = Readonly<Record<string, number>>;

export function referenceAtr(inp: SeriesInputs, p: Params, profile?: Profile) {
  return { atr: narrow(atr(widen(inp.high!), widen(inp.low!), widen(inp.close!), p.window!, profile)) };
}

/** TR; in the talib profile NaN where the previous close is missing (the first bar, after a hole). */
export function referenceTr(inp: SeriesInputs, _p: Params, profile?: Profile) {
  return { tr: narrow(trueRange(widen(inp.high!), widen(inp.low!), widen(inp.close!), profile === 'talib')) };
}

/** Bollinger family: basis, upper, lower, and the bandwidth / percent_b derived from them. */
export function referenceBbands(inp: SeriesInputs, p: Params) {
  const n = p.window!,
    mult = p.mult!;
  const x = widen(inp.src!);
  const basis = rollmean(x, n);
  const vr = rollvar(x, n);
  const T = x.length;
  const upper = new Float64Array(T),
    lower = new Float64Array(T),
    bandwidth = new Float64Array(T),
    percentB = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const sd = Math.sqrt(vr[t]!);
    const b = basis[t]!;
    const u = b + mult * sd;
    const l = b - mult * sd;
    upper[t] = u;
    lower[t] = l;
    bandwidth[t] = b === 0 ? NaN : (u - l) / b;
    const w = u - l;
    percentB[t] = w === 0 ? NaN : (x[t]! - l) / w;
  }
  return { basis: narrow(basis), upper: narrow(upper), lower: narrow(lower), bandwidth: narrow(bandwidth), percent_b: narrow(percentB) };
}

/** Rolling population variance and standard deviation. */
export function referenceRollvar(inp: SeriesInputs, p: Params) {
  const vr = rollvar(widen(inp.src!), p.window!);
  const sd = new Float64Array(vr.length);
  for (let t = 0; t < sd.length; t++) sd[t] = Math.sqrt(vr[t]!);
  return { variance: narrow(vr), stddev: narrow(sd) };
}

/** Historical volatility: (sqrt(ROLLVAR(ln returns, n)) · sqrt(annualization)) · 100. */
export function referenceHv(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const x = widen(inp.src!);
  const T = x.length;
  const r = nanSeries(T);
  for (let t = 1; t < T; t++) {
    const a = x[t]!,
      b = x[t - 1]!;
    if (a !== a || b !== b || a <= 0 || b <= 0) continue;
    r[t] = log(a / b);
  }
  const vr = rollvar(r, n);
  const ann = Math.sqrt(p.annualization!);
  const out = new Float64Array(T);
  for (let t = 0; t < T; t++) out[t] = Math.sqrt(vr[t]!) * ann * 100;
  return { hv: narrow(out) };
}
