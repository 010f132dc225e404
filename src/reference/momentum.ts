/** Reference implementations of the `momentum` group. One variant per call. */
import type { Profile, SeriesInputs } from '../registry/types.js';
import {
  ema,
  emaAlpha,
  emaTalibStep,
  log,
  mid,
  narrow,
  nanSeries,
  rollmax,
  rollmean,
  rollmin,
  shift,
  typicalPrice,
  widen,
  type Series,
} from './primitives.js';

type Params = Readonly<Record<string, number>>;

const src = (inp: SeriesInputs): Float64Array => widen(inp.src!);

/**
 * CCI: per window (oldest first) S = ΣTP, μ = S / n, MD = (Σ|TP − μ|) / n, cci = (TP − μ) / (0.015·MD);
 * where 0.015·MD is zero: NaN, or 0 in the talib profile (TA-Lib's output).
 */
export function referenceCci(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  const zd = profile === 'talib' ? 0 : NaN;
  const n = p.window!;
  const tp = typicalPrice(widen(inp.high!), widen(inp.low!), widen(inp.close!));
  const T = tp.length;
  const out = nanSeries(T);
  for (let t = n - 1; t < T; t++) {
    let bad = false;
    let S = 0.0;
    for (let j = t - n + 1; j <= t; j++) {
      const v = tp[j]!;
      if (v !== v) {
        bad = true;
        break;
      }
      S = S + v;
    }
    if (bad) continue;
    const mu = S / n;
    let D = 0.0;
    for (let j = t - n + 1; j <= t; j++) D = D + Math.abs(tp[j]! - mu);
    const md = D / n;
    const den = 0.015 * md;
    out[t] = den === 0 ? zd : (tp[t]! - mu) / den;
  }
  return { cci: narrow(out) };
}

/** Fisher: v = 2·((MID − LL) / (HH − LL)) − 1 clamped to ±0.999, fisher = 0.5·ln((1 + v) / (1 − v)); trigger = previous fisher. */
export function referenceFisher(inp: SeriesInputs, p: Params) {
  const n = p.window!;
  const high = widen(inp.high!),
    low = widen(inp.low!);
  const P = mid(high, low);
  const hh = rollmax(high, n),
    ll = rollmin(low, n);
  const T = P.length;
  const fisher = nanSeries(T);
  for (let t = 0; t < T; t++) {
    const pt = P[t]!,
      h = hh[t]!,
      l = ll[t]!;
    const den = h - l;
    if (pt !== pt || h !== h || l !== l || den === 0) continue;
    let v = 2 * ((pt - l) / den) - 1;
    if (v > 0.999) v = 0.999;
    else if (v < -0.999) v = -0.999;
    fisher[t] = 0.5 * log((1 + v) / (1 - v));
  }
  return { fisher: narrow(fisher), trigger: narrow(shift(fisher, 1)) };
}

/** MACD and PPO share the fast/slow EMAs; `pct` selects ppo = 100·((F − S) / S) (NaN where S == 0). */
function macdFamily(inp: SeriesInputs, p: Params, pct: boolean, profile?: Profile): { line: Series; signal: Series; hist: Series } {
  if (profile === 'talib') return macdFamilyTalib(inp, p, pct);
  const x = src(inp);
  const F = ema(x, p.fast_window!),
    S = ema(x, p.slow_window!);
  const T = x.length;
  const line = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const f = F[t]!,
      s = S[t]!;
    line[t] = pct ? (s === 0 ? NaN : 100 * ((f - s) / s)) : f - s;
  }
  const signal = ema(line, p.signal_window!);
  const hist = new Float64Array(T);
  for (let t = 0; t < T; t++) hist[t] = line[t]! - signal[t]!;
  return { line, signal, hist };
}

/** TA-Lib's TA_IS_ZERO: |v| below 1e-14. */
const isZeroTalib = (v: number): boolean => -1e-14 < v && v < 1e-14;

/**
 * MACD and PPO in the talib profile, TA-Lib's on every segment of valid values (a NaN gives NaN and
 * ends the segment). The windows are ordered (the larger one is the slow EMA, as TA-Lib swaps them).
 * Both EMAs are TA-Lib's (SMA seed). MACD: the fast EMA's seed window ends on the slow one's last
 * seed bar (it starts s − f bars later), and every output starts with the signal, s − 1 + g − 1 bars
 * into a segment. PPO: each EMA seeds on its own first values, ppo = ((F − S) / S)·100 (0 where
 * |S| < 1e-14) from bar s − 1; its signal and hist start with the signal, g − 1 bars later.
 */
function macdFamilyTalib(inp: SeriesInputs, p: Params, pct: boolean): { line: Series; signal: Series; hist: Series } {
  const x = src(inp);
  const T = x.length;
  const f = Math.min(p.fast_window!, p.slow_window!),
    s = Math.max(p.fast_window!, p.slow_window!),
    g = p.signal_window!;
  const kF = emaAlpha(f),
    kS = emaAlpha(s),
    kG = emaAlpha(g);
  // the fast EMA's first bar within a segment
  const fastFrom = pct ? 0 : s - f;
  const line = nanSeries(T),
    signal = nanSeries(T),
    hist = nanSeries(T);
  let F = 0,
    S = 0,
    G = 0,
    c = 0;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      c = 0;
      continue;
    }
    S = emaTalibStep(S, v, c, s, kS);
    if (c >= fastFrom) F = emaTalibStep(F, v, c - fastFrom, f, kF);
    if (c >= s - 1) {
      const m = pct ? (isZeroTalib(S) ? 0 : ((F - S) / S) * 100) : F - S;
      G = emaTalibStep(G, m, c - (s - 1), g, kG);
      if (pct || c >= s + g - 2) line[t] = m;
      if (c >= s + g - 2) {
        signal[t] = G;
        hist[t] = m - G;
      }
    }
    c++;
  }
  return { line, signal, hist };
}

export function referenceMacd(inp: SeriesInputs, p: Params, profile?: Profile) {
  const r = macdFamily(inp, p, false, profile);
  return { macd: narrow(r.line), signal: narrow(r.signal), hist: narrow(r.hist) };
}

export function referencePpo(inp: SeriesInputs, p: Params, profile?: Profile) {
  const r = macdFamily(inp, p, true, profile);
  return { ppo: narrow(r.line), signal: narrow(r.signal), hist: narrow(r.hist) };
}

/**
 * ROC: 100·((src[t] / src[t−n]) − 1) for t ≥ n; where src[t−n] == 0: NaN, or 0 in the talib profile
 * (TA-Lib's output). The talib profile restarts after a hole as TA-Lib on a fresh segment: NaN unless
 * src[t−n … t] are all valid.
 */
export function referenceRoc(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  const talib = profile === 'talib';
  const zd = talib ? 0 : NaN;
  const n = p.window!;
  const x = src(inp);
  const out = nanSeries(x.length);
  let last = -1; // the last NaN bar (talib)
  for (let t = 0; t < x.length; t++) {
    if (talib && x[t] !== x[t]) last = t;
    if (t < n || t - n <= last) continue;
    const b = x[t - n]!;
    out[t] = b === 0 ? zd : 100 * (x[t]! / b - 1);
  }
  return { roc: narrow(out) };
}

/**
 * Wilder RSI (α = 1/n) as the stateful machine of the spec: no SMA seed, NaN for a flat start. The
 * talib profile runs TA-Lib's RSI instead: each segment of valid bars (the series, or the bars after
 * a hole) seeds G and L with the means of the gains and losses of its first n price changes (first
 * rsi at its bar n), then G = ((G·(n − 1)) + gain) / n and L alike; rsi = 100·(G / (G + L)), 0 where
 * |G + L| < 1e-14 (TA-Lib's TA_IS_ZERO).
 */
export function rsiSeries(x: Series, n: number, profile: Profile = 'gridta'): Series {
  const T = x.length;
  const out = nanSeries(T);
  if (profile === 'talib') {
    let prev = NaN,
      G = 0,
      L = 0,
      count = 0;
    for (let t = 0; t < T; t++) {
      const v = x[t]!;
      const p = prev;
      prev = v;
      if (v !== v || p !== p) {
        G = L = count = 0;
        continue;
      }
      const d = v - p;
      const g = d > 0 ? d : 0.0;
      const q = d < 0 ? -d : 0.0;
      if (count < n) {
        G = G + g;
        L = L + q;
        count++;
        if (count < n) continue;
        G = G / n;
        L = L / n;
      } else {
        G = (G * (n - 1) + g) / n;
        L = (L * (n - 1) + q) / n;
      }
      const sum = G + L;
      out[t] = sum > -1e-14 && sum < 1e-14 ? 0 : 100 * (G / sum);
    }
    return out;
  }
  const a = 1.0 / n,
    b = 1.0 - a;
  let prev = NaN,
    G = NaN,
    L = NaN;
  for (let t = 0; t < T; t++) {
    const v = x[t]!;
    if (v !== v) {
      prev = G = L = NaN;
      continue;
    }
    if (prev !== prev) {
      prev = v;
      continue;
    }
    const d = v - prev;
    const g = d > 0 ? d : 0.0;
    const q = d < 0 ? -d : 0.0;
    G = G !== G ? g : a * g + b * G;
    L = L !== L ? q : a * q + b * L;
    out[t] = L === 0 ? (G === 0 ? NaN : 100.0) : 100 - 100 / (1 + G / L);
    prev = v;
  }
  return out;
}

export function referenceRsi(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  return { rsi: narrow(rsiSeries(src(inp), p.window!, profile)) };
}

/**
 * Stochastic core: K0 = 100·((x − LL) / (HH − LL)) (NaN where HH == LL), k = ROLLMEAN(K0, s), d =
 * ROLLMEAN(k, dw). The talib profile follows TA-Lib's STOCH: K0 = (x − LL) / ((HH − LL) / 100), 0 where HH == LL, TA-Lib's SMA
 * sums (rollsumTalib), and k is NaN wherever d is (both outputs start at TA-Lib's lookback).
 */
function stochOf(x: Series, hh: Series, ll: Series, smoothing: number, dWindow: number, profile: Profile) {
  const T = x.length;
  const zd = profile === 'talib' ? 0 : NaN;
  const k0 = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const den = hh[t]! - ll[t]!;
    const rise = x[t]! - ll[t]!;
    k0[t] = den === 0 ? zd : profile === 'talib' ? rise / (den / 100) : 100 * (rise / den);
  }
  const k = rollmean(k0, smoothing, profile);
  const d = rollmean(k, dWindow, profile);
  if (profile === 'talib') for (let t = 0; t < T; t++) if (d[t] !== d[t]) k[t] = NaN;
  return { k: narrow(k), d: narrow(d) };
}

export function referenceStoch(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  const kw = p.k_window!;
  return stochOf(widen(inp.close!), rollmax(widen(inp.high!), kw), rollmin(widen(inp.low!), kw), p.smoothing!, p.d_window!, profile);
}

/** The stochastic of R = RSI(src, rsi_window); the talib profile is TA-Lib's STOCH over TA-Lib's RSI. */
export function referenceStochRsi(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  const kw = p.k_window!;
  const r = rsiSeries(src(inp), p.rsi_window!, profile);
  return stochOf(r, rollmax(r, kw), rollmin(r, kw), p.smoothing!, p.d_window!, profile);
}

/**
 * TRIX: 100·((E3[t] / E3[t−1]) − 1) of the triple EMA (NaN where E3[t−1] == 0), signal = EMA(trix), hist.
 * Talib profile: TA-Lib's EMAs (SMA seeds; E3 from 3n − 3 bars into a segment) and TA-Lib's ROC,
 * ((E3[t] / E3[t−1]) − 1)·100, 0 where E3[t−1] == 0, from bar 3n − 2; the signal is the talib EMA of trix.
 */
export function referenceTrix(inp: SeriesInputs, p: Params, profile?: Profile) {
  const n = p.window!;
  const talib = profile === 'talib';
  const e3 = ema(ema(ema(src(inp), n, profile), n, profile), n, profile);
  const T = e3.length;
  const trix = nanSeries(T);
  for (let t = 1; t < T; t++) {
    const prev = e3[t - 1]!;
    if (talib) trix[t] = prev === 0 ? (e3[t]! === e3[t]! ? 0 : NaN) : 100 * (e3[t]! / prev - 1);
    else trix[t] = prev === 0 ? NaN : 100 * (e3[t]! / prev - 1);
  }
  const signal = ema(trix, p.signal_window!, profile);
  const hist = new Float64Array(T);
  for (let t = 0; t < T; t++) hist[t] = trix[t]! - signal[t]!;
  return { trix: narrow(trix), signal: narrow(signal), hist: narrow(hist) };
}

/** Williams %R: −100·((HH − close) / (HH − LL)); where HH == LL: NaN, or 0 in the talib profile (TA-Lib's output); −0 where close == HH. */
export function referenceWilliamsR(inp: SeriesInputs, p: Params, profile: Profile = 'gridta') {
  const n = p.window!;
  const zd = profile === 'talib' ? 0 : NaN;
  const close = widen(inp.close!);
  const hh = rollmax(widen(inp.high!), n),
    ll = rollmin(widen(inp.low!), n);
  const out = new Float64Array(close.length);
  for (let t = 0; t < out.length; t++) {
    const den = hh[t]! - ll[t]!;
    out[t] = den === 0 ? zd : -100 * ((hh[t]! - close[t]!) / den);
  }
  return { williams_r: narrow(out) };
}
