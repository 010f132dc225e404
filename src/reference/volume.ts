/** Reference implementations of the `volume` group. One variant per call. */
import type { SeriesInputs } from '../registry/types.js';
import { cumsum, diff, nanSeries, narrow, rollmean, rollstd, rollsum, typicalPrice, widen } from './primitives.js';

type Params = Readonly<Record<string, number>>;

/** AD line: running sum of money-flow volume, broken (NaN, reset) by a NaN or zero-range bar. */
export function adLine(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array): Float64Array {
  const T = high.length;
  const out = nanSeries(T);
  let r = NaN;
  for (let t = 0; t < T; t++) {
    const h = high[t]!,
      l = low[t]!,
      c = close[t]!,
      v = volume[t]!;
    if (h !== h || l !== l || c !== c || v !== v) {
      r = NaN;
      continue;
    }
    const den = h - l;
    if (den === 0) {
      r = NaN;
      continue;
    }
    const mfm = (c - l - (h - c)) / den;
    const mfv = mfm * v;
    r = r !== r ? mfv : r + mfv;
    out[t] = r;
  }
  return out;
}

/** Sum-ratio with the division guard: NaN where the denominator is ±0 (NaN operands give NaN). */
function guardedRatio(num: Float64Array, den: Float64Array): Float64Array {
  const out = new Float64Array(num.length);
  for (let t = 0; t < out.length; t++) out[t] = den[t] === 0 ? NaN : num[t]! / den[t]!;
  return out;
}

/** Rolling VWAP on the binary64 typical price: ROLLSUM(TP·volume, n) / ROLLSUM(volume, n). */
function rollingVwap(inp: SeriesInputs, n: number): { tp: Float64Array; vwap: Float64Array } {
  const tp = typicalPrice(widen(inp.high!), widen(inp.low!), widen(inp.close!));
  const vol = widen(inp.volume!);
  const pv = new Float64Array(tp.length);
  for (let t = 0; t < pv.length; t++) pv[t] = tp[t]! * vol[t]!;
  return { tp, vwap: guardedRatio(rollsum(pv, n), rollsum(vol, n)) };
}

export function referenceAdLine(inp: SeriesInputs) {
  return { ad_line: narrow(adLine(widen(inp.high!), widen(inp.low!), widen(inp.close!), widen(inp.volume!))) };
}

/** CMF: ROLLSUM(DIFF(AD), n) / ROLLSUM(volume, n). */
export function referenceCmf(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const vol = widen(inp.volume!);
  const m = diff(adLine(widen(inp.high!), widen(inp.low!), widen(inp.close!), vol));
  return { cmf: narrow(guardedRatio(rollsum(m, n), rollsum(vol, n))) };
}

/** Positive and negative raw money flow of MFI: TP·volume by the sign of TP − TP[t−1]. */
export function moneyFlows(
  high: Float64Array,
  low: Float64Array,
  close: Float64Array,
  volume: Float64Array,
): { pos: Float64Array; neg: Float64Array } {
  const tp = typicalPrice(high, low, close);
  const T = tp.length;
  const pos = nanSeries(T),
    neg = nanSeries(T);
  for (let t = 1; t < T; t++) {
    const x = tp[t]!,
      pt = tp[t - 1]!,
      v = volume[t]!;
    if (x !== x || pt !== pt || v !== v) continue;
    const rmf = x * v;
    if (x > pt) {
      pos[t] = rmf;
      neg[t] = 0;
    } else if (x < pt) {
      pos[t] = 0;
      neg[t] = rmf;
    } else {
      pos[t] = 0;
      neg[t] = 0;
    }
  }
  return { pos, neg };
}

/** MFI: 100 − (100 / (1 + (SP / SN))), 100 where SN == 0, NaN where either sum is NaN. */
export function referenceMfi(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const { pos, neg } = moneyFlows(widen(inp.high!), widen(inp.low!), widen(inp.close!), widen(inp.volume!));
  const sp = rollsum(pos, n),
    sn = rollsum(neg, n);
  const out = new Float64Array(sp.length);
  for (let t = 0; t < out.length; t++) {
    const a = sp[t]!,
      b = sn[t]!;
    out[t] = a !== a || b !== b ? NaN : b === 0 ? 100 : 100 - 100 / (1 + a / b);
  }
  return { mfi: narrow(out) };
}

/** OBV: CUMSUM of the volume signed by DIFF(close) (±1.0·volume, 0.0·volume on a tie). */
export function referenceObv(inp: SeriesInputs) {
  const d = diff(widen(inp.close!));
  const vol = widen(inp.volume!);
  const sv = nanSeries(d.length);
  for (let t = 0; t < sv.length; t++) {
    const x = d[t]!,
      v = vol[t]!;
    if (x !== x || v !== v) continue;
    sv[t] = (x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0) * v;
  }
  return { obv: narrow(cumsum(sv)) };
}

export function referenceVolumeSma(inp: SeriesInputs, p: Params) {
  return { volume_sma: narrow(rollmean(widen(inp.volume!), p.window!)) };
}

export function referenceVwap(inp: SeriesInputs, p: Params) {
  return { vwap: narrow(rollingVwap(inp, p.window!).vwap) };
}

/** VWAP deviation bands: E = TP − vwap, sd = ROLLSTD(E, n), vwap ± (mult·sd). */
export function referenceVwapDeviation(inp: SeriesInputs, p: Params) {
  const n = p.window!,
    mult = p.mult!;
  const { tp, vwap } = rollingVwap(inp, n);
  const e = new Float64Array(tp.length);
  for (let t = 0; t < e.length; t++) e[t] = tp[t]! - vwap[t]!;
  const sd = rollstd(e, n);
  const upper = new Float64Array(e.length),
    lower = new Float64Array(e.length);
  for (let t = 0; t < e.length; t++) {
    upper[t] = vwap[t]! + mult * sd[t]!;
    lower[t] = vwap[t]! - mult * sd[t]!;
  }
  return { vwap_upper: narrow(upper), vwap: narrow(vwap), vwap_lower: narrow(lower), vwap_stdev: narrow(sd) };
}
