/** Reference implementations of the `volume` group. One variant per call. */
import type { Profile, SeriesInputs } from '../registry/types.js';
import { cumsum, diff, nanSeries, narrow, rollmean, rollstd, rollsum, typicalPrice, widen } from './primitives.js';

type Params = Readonly<Record<string, number>>;

/**
 * AD line: running sum of money-flow volume, broken (NaN, reset) by a NaN or zero-range bar. With
 * `talib` (TA-Lib's AD): a NaN bar outputs NaN and the next bar restarts the sum from 0; a bar whose
 * range is not positive adds nothing.
 */
export function adLine(high: Float64Array, low: Float64Array, close: Float64Array, volume: Float64Array, talib = false): Float64Array {
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
    if (talib) {
      if (r !== r) r = 0.0;
      if (den > 0) r += ((c - l - (h - c)) / den) * v;
      out[t] = r;
      continue;
    }
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

export function referenceAdLine(inp: SeriesInputs, _p: Params, profile?: Profile) {
  return { ad_line: narrow(adLine(widen(inp.high!), widen(inp.low!), widen(inp.close!), widen(inp.volume!), profile === 'talib')) };
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

/**
 * TA-Lib's MFI: running sums SP, SN of the flows, from 0 at the first flow after a NaN one, the flow
 * of bar t − n subtracted (SP then SN) before the flow of bar t is added once n flows are in; from
 * the n-th flow on 0 where SP + SN < 1, else 100 · (SP / (SP + SN)).
 */
function mfiTalib(pos: Float64Array, neg: Float64Array, n: number): Float64Array {
  const out = nanSeries(pos.length);
  let sp = 0,
    sn = 0,
    k = 0;
  for (let t = 0; t < pos.length; t++) {
    const a = pos[t]!;
    if (a !== a) {
      k = 0;
      continue;
    }
    if (k === 0) {
      sp = 0;
      sn = 0;
    }
    if (++k > n) {
      sp -= pos[t - n]!;
      sn -= neg[t - n]!;
    }
    sp += a;
    sn += neg[t]!;
    if (k >= n) {
      const s = sp + sn;
      out[t] = s < 1 ? 0 : 100 * (sp / s);
    }
  }
  return out;
}

/** MFI: 100 − (100 / (1 + (SP / SN))), 100 where SN == 0, NaN where either sum is NaN; TA-Lib's in the talib profile. */
export function referenceMfi(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const { pos, neg } = moneyFlows(widen(inp.high!), widen(inp.low!), widen(inp.close!), widen(inp.volume!));
  if (profile === 'talib') return { mfi: narrow(mfiTalib(pos, neg, n)) };
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

/**
 * OBV: CUMSUM of the volume signed by DIFF(close) (±1.0·volume, 0.0·volume on a tie). TA-Lib's in
 * the talib profile: the volume of the first bar, and of the first bar after a NaN bar, starts the sum.
 */
export function referenceObv(inp: SeriesInputs, _p: Params, profile?: Profile) {
  const d = diff(widen(inp.close!));
  const vol = widen(inp.volume!);
  if (profile === 'talib') {
    const c = widen(inp.close!);
    const out = nanSeries(d.length);
    let r = NaN;
    for (let t = 0; t < out.length; t++) {
      const x = d[t]!,
        v = vol[t]!;
      if (c[t]! !== c[t]! || v !== v) r = NaN;
      else r = r !== r ? v : r + (x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0) * v;
      out[t] = r;
    }
    return { obv: narrow(out) };
  }
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
