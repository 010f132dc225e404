/** Registry definitions of the `momentum` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, SRC6, KERNEL_CHUNK, DECAYING_WARM_BARS } from './types.js';
import { FISHER_ARRAYS, MACD_ARRAYS, RSI_ARRAYS, RSI_C, STOCH_ARRAYS, STOCH_RING_SLOTS, TRIX_ARRAYS } from './scratch.js';
import {
  referenceCci,
  referenceFisher,
  referenceMacd,
  referencePpo,
  referenceRoc,
  referenceRsi,
  referenceStoch,
  referenceStochRsi,
  referenceTrix,
  referenceWilliamsR,
} from '../reference/momentum.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
/** The largest window of every kernel of the group (the params' registry bound). */
const WINDOW_MAX = 2000;
/** Per-variant monotone deques (stoch_rsi): a 16-byte state and a ring of STOCH_RING_SLOTS i32 bar indices each. */
const deques = (count: number, n: number): number => count * n * (16 + STOCH_RING_SLOTS * 4);
/** Slots of a ring of a shared series (assembly/primitives.ts ringSlots): the series up to 4096 bars, else 4096. */
const ringSlots = (t: number): number => {
  let s = 1;
  while (s < t && s < 4096) s *= 2;
  return s;
};
/**
 * Shared ROLLMAX / ROLLMIN tables (assembly/primitives.ts xtBytes): state, the chunk's NaN ages, 11
 * levels of f32 values, 16-byte aligned. They hold the call's t bars, and a resumed call's first
 * chunk with the window − 1 history bars before it (the kernels rebuild them from the history).
 */
const tables = (count: number, t: number): number => {
  const held = Math.max(t, Math.min(t, KERNEL_CHUNK) + WINDOW_MAX - 1);
  return count * (Math.ceil((16 + KERNEL_CHUNK * 4 + 11 * ringSlots(held) * 4) / 16) * 16);
};
/** Per-variant f64 history rings (stoch, stoch_rsi), STOCH_RING_SLOTS bars each in every call: they are state. */
const rings = (count: number, n: number): number => count * n * STOCH_RING_SLOTS * 8;
/** stoch: the arrays and the rings of K0 and k (docs/kernel-state.md); stoch_rsi adds two deques and the ring of R. */
const STOCH_STATE = (n: number): number => f64s(STOCH_ARRAYS, n) + rings(2, n);
const STOCH_RSI_STATE = (n: number): number => f64s(STOCH_ARRAYS, n) + deques(2, n) + rings(3, n);

/** EWMA chains (macd, ppo: fast, slow, signal; trix: three stages and the signal) resume from their arrays alone (docs/kernel-state.md). */
const EWMA_STATE = (arrays: number) => ({
  stateBytes: (n: number): number => f64s(arrays, n),
  historyBars: (): number => 0,
  warmBars: DECAYING_WARM_BARS,
});

// Kernels of the group: wasm export name, parameter order, output slots, reference and scratch size.
const CCI = defineKernel({
  name: 'cci',
  params: ['window'],
  slots: ['cci'],
  reference: referenceCci,
  /** TP of the call's bars and of a resumed call's window − 1 history bars. */
  scratchBytes: (_n, t) => (t + WINDOW_MAX - 1) * 8,
  /** No state: the windows reaching before the call read the history rows. */
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! - 1 },
});
const FISHER = defineKernel({
  name: 'fisher',
  params: ['window'],
  slots: ['fisher', 'trigger'],
  reference: referenceFisher,
  scratchBytes: (n, t) => f64s(FISHER_ARRAYS, n) + tables(2, t),
  /** The previous fisher; the extreme tables are rebuilt from the window − 1 bars before the call. */
  resume: { stateBytes: (n) => f64s(FISHER_ARRAYS, n), historyBars: (max) => max.window! - 1 },
});
/**
 * macd, ppo: MACD_ARRAYS arrays of n f64 (the state: the distinct windows' coefficients and EMAs, the
 * signals), the tables of distinct windows and of each variant's fast and slow index (2n i32 each),
 * then CHUNK bars of every distinct EMA (2n, rounded up to even, f64 each).
 */
const MACD_SCRATCH = (n: number): number => f64s(MACD_ARRAYS, n) + 16 * n + KERNEL_CHUNK * (2 * n + 2) * 8;
const MACD = defineKernel({
  name: 'macd',
  params: ['fast_window', 'slow_window', 'signal_window'],
  slots: ['macd', 'signal', 'hist'],
  reference: referenceMacd,
  scratchBytes: MACD_SCRATCH,
  resume: EWMA_STATE(MACD_ARRAYS),
});
const PPO = defineKernel({
  name: 'ppo',
  params: ['fast_window', 'slow_window', 'signal_window'],
  slots: ['ppo', 'signal', 'hist'],
  reference: referencePpo,
  scratchBytes: MACD_SCRATCH,
  resume: EWMA_STATE(MACD_ARRAYS),
});
const ROC = defineKernel({
  name: 'roc',
  params: ['window'],
  slots: ['roc'],
  reference: referenceRoc,
  scratchBytes: () => 0,
  /** No state: src[t − n] comes from the n history rows. */
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! },
});
const RSI = defineKernel({
  name: 'rsi',
  params: ['window'],
  slots: ['rsi'],
  reference: referenceRsi,
  scratchBytes: (n) => f64s(RSI_ARRAYS, n + 3),
  /**
   * a, b, G, L and the talib profile's seed count at the stride n rounded up to 4; bars −1 and −2 say
   * whether the averages are seeded (gridta), bar −1 is the previous price (both profiles).
   */
  resume: { stateBytes: (n) => f64s(RSI_C + 1, (n + 3) & ~3), historyBars: () => 2, warmBars: DECAYING_WARM_BARS },
});
const STOCH = defineKernel({
  name: 'stoch',
  params: ['k_window', 'smoothing', 'd_window'],
  slots: ['k', 'd'],
  reference: referenceStoch,
  scratchBytes: (n, t) => STOCH_STATE(n) + tables(2, t),
  /** The extreme tables are rebuilt from the k_window − 1 bars before the call. */
  resume: { stateBytes: STOCH_STATE, historyBars: (max) => max.k_window! - 1 },
});
const STOCH_RSI = defineKernel({
  name: 'stoch_rsi',
  params: ['rsi_window', 'k_window', 'smoothing', 'd_window'],
  slots: ['k', 'd'],
  reference: referenceStochRsi,
  scratchBytes: (n) => STOCH_RSI_STATE(n),
  /** Bars −1 and −2 say whether the RSI averages are seeded. */
  resume: { stateBytes: STOCH_RSI_STATE, historyBars: () => 2 },
});
const TRIX = defineKernel({
  name: 'trix',
  params: ['window', 'signal_window'],
  slots: ['trix', 'signal', 'hist'],
  reference: referenceTrix,
  scratchBytes: (n) => f64s(TRIX_ARRAYS, n),
  resume: EWMA_STATE(TRIX_ARRAYS),
});
const WILLIAMS_R = defineKernel({
  name: 'williams_r',
  params: ['window'],
  slots: ['williams_r'],
  reference: referenceWilliamsR,
  scratchBytes: (_n, t) => tables(2, t),
  /** No state: the extreme tables are rebuilt from the window − 1 bars before the call. */
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! - 1 },
});

export const cci = defineIndicator({
  id: 'momentum.cci',
  group: 'momentum',
  title: 'Commodity Channel Index',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['window'],
  outputs: ['cci'],
  warmup: { cci: 'window - 1' },
  kernel: CCI,
  talib: 'CCI',
  doc: 'Per window of n typical prices TP = ((high + low) + close) / 3 (binary64): (TP − mean) / (0.015·mean absolute deviation), direct per-window sums, NaN for a flat window (0 in the talib profile, as TA-Lib CCI).',
});

export const fisher = defineIndicator({
  id: 'momentum.fisher',
  group: 'momentum',
  title: 'Fisher Transform',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['window'],
  outputs: ['fisher', 'trigger'],
  warmup: { fisher: 'window - 1', trigger: 'window' },
  kernel: FISHER,
  doc: "Unsmoothed Fisher transform: `v = (2·((MID − LL) / (HH − LL))) − 1` clamped to ±0.999 over the high/low extremes of n bars, `fisher = 0.5·ln((1 + v) / (1 − v))`, `trigger` = the previous bar's fisher.",
});

export const macd = defineIndicator({
  id: 'momentum.macd',
  talib: 'MACD',
  group: 'momentum',
  title: 'MACD',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'fast_window', kind: 'int', min: 2, max: 2000, step: 1, default: 12 },
    { name: 'slow_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
  ],
  axes: ['fast_window', 'signal_window', 'slow_window', 'source'],
  outputs: ['macd', 'signal', 'hist'],
  warmup: { macd: '0', signal: '0', hist: '0' },
  outputParams: { macd: ['fast_window', 'slow_window'] },
  kernel: MACD,
  doc: '`F = EMA(src, fast_window)`, `S = EMA(src, slow_window)`; `macd = F − S`; `signal = EMA(macd, signal_window)`; `hist = macd − signal`.',
});

export const ppo = defineIndicator({
  id: 'momentum.ppo',
  talib: 'PPO',
  group: 'momentum',
  title: 'Percentage Price Oscillator',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'fast_window', kind: 'int', min: 2, max: 2000, step: 1, default: 12 },
    { name: 'slow_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
  ],
  axes: ['fast_window', 'signal_window', 'slow_window', 'source'],
  outputs: ['ppo', 'signal', 'hist'],
  warmup: { ppo: '0', signal: '0', hist: '0' },
  outputParams: { ppo: ['fast_window', 'slow_window'] },
  kernel: PPO,
  doc: '`F`, `S` as in `momentum.macd`; `ppo = 100·((F − S) / S)`; `signal = EMA(ppo, signal_window)`; `hist = ppo − signal`.',
});

export const roc = defineIndicator({
  id: 'momentum.roc',
  group: 'momentum',
  title: 'Rate of Change',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['source', 'window'],
  outputs: ['roc'],
  warmup: { roc: 'window' },
  kernel: ROC,
  talib: 'ROC',
  doc: 'for `t ≥ n`, `roc = 100·((src[t] / src[t−n]) − 1)`; NaN for `t < n`; where `src[t−n] == 0`: NaN, 0 in the talib profile (as TA-Lib ROC).',
});

export const rsi = defineIndicator({
  id: 'momentum.rsi',
  group: 'momentum',
  title: 'Relative Strength Index',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['source', 'window'],
  outputs: ['rsi'],
  warmup: { rsi: '1' },
  kernel: RSI,
  talib: 'RSI',
  doc: 'Wilder RSI (α = 1/n) seeded on the first price change, no SMA seed: 100 − 100 / (1 + G/L), 100 when L == 0, NaN while G == L == 0 (flat start). talib profile: TA-Lib RSI (G, L seeded with the means of the first n gains / losses of each segment of valid bars, first value at its bar n; Wilder steps ((G·(n − 1)) + gain) / n; 100·(G / (G + L)), 0 where |G + L| < 1e-14).',
});

export const stoch = defineIndicator({
  id: 'momentum.stoch',
  group: 'momentum',
  title: 'Stochastic Oscillator',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'd_window', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
    { name: 'k_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
  ],
  axes: ['d_window', 'k_window', 'smoothing'],
  outputs: ['k', 'd'],
  warmup: { k: 'k_window + smoothing - 2', d: 'k_window + smoothing + d_window - 3' },
  outputParams: { k: ['k_window', 'smoothing'] },
  kernel: STOCH,
  talib: 'STOCH',
  doc: '`k = ROLLMEAN(K0, smoothing)`, `d = ROLLMEAN(k, d_window)` with raw `K0 = 100·((close − LL) / (HH − LL))` over `HH = ROLLMAX(high, k_window)`, `LL = ROLLMIN(low, k_window)`; NaN where HH == LL. talib profile: TA-Lib STOCH with SMA slowing (K0 = 0 where HH == LL, TA-Lib running SMA sums, k and d both from bar (k_window − 1) + (smoothing − 1) + (d_window − 1) of a segment).',
});

export const stoch_rsi = defineIndicator({
  id: 'momentum.stoch_rsi',
  group: 'momentum',
  title: 'Stochastic RSI',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'd_window', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
    { name: 'k_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'rsi_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 3 },
  ],
  axes: ['d_window', 'k_window', 'rsi_window', 'smoothing', 'source'],
  outputs: ['k', 'd'],
  warmup: { k: 'k_window + smoothing - 1', d: 'k_window + smoothing + d_window - 2' },
  outputParams: { k: ['k_window', 'rsi_window', 'smoothing'] },
  kernel: STOCH_RSI,
  talib: 'STOCH(RSI)',
  doc: 'The stochastic of `R = RSI(src, rsi_window)`: `K0 = 100·((R − LL) / (HH − LL))` over the k_window extremes of R, `k = ROLLMEAN(K0, smoothing)`, `d = ROLLMEAN(k, d_window)`. talib profile: TA-Lib STOCH applied to TA-Lib RSI, `STOCH(RSI)` (not TA-Lib STOCHRSI, whose STOCHF has no slowing: it has no smoothing param and its k is the unsmoothed K0); both outputs from bar rsi_window + (k_window − 1) + (smoothing − 1) + (d_window − 1) of a segment.',
});

export const trix = defineIndicator({
  id: 'momentum.trix',
  talib: 'TRIX',
  group: 'momentum',
  title: 'TRIX',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'signal_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 15 },
  ],
  axes: ['signal_window', 'source', 'window'],
  outputs: ['trix', 'signal', 'hist'],
  warmup: { trix: '1', signal: '1', hist: '1' },
  outputParams: { trix: ['window'] },
  kernel: TRIX,
  doc: '`trix = 100·((E3[t] / E3[t−1]) − 1)` of the triple EMA `E3 = EMA(EMA(EMA(src, n), n), n)`, `signal = EMA(trix, signal_window)`, `hist = trix − signal`.',
});

export const williams_r = defineIndicator({
  id: 'momentum.williams_r',
  group: 'momentum',
  title: 'Williams %R',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['window'],
  outputs: ['williams_r'],
  warmup: { williams_r: 'window - 1' },
  kernel: WILLIAMS_R,
  talib: 'WILLR',
  doc: '`williams_r = −100·((HH − close) / den)` (range −100..0; equals −0.0 when `close == HH`); where `HH == LL`: NaN, 0 in the talib profile (as TA-Lib WILLR).',
});
