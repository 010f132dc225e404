/** Registry definitions of the `volatility` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, SRC6, KERNEL_CHUNK, DECAYING_WARM_BARS } from './types.js';
import { ATR_ARRAYS, BBANDS_ARRAYS, HV_ARRAYS, HV_N, ROLLVAR_ARRAYS, ROLLVAR_N } from './scratch.js';
import { referenceAtr, referenceBbands, referenceHv, referenceRollvar, referenceTr } from '../reference/volatility.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
const CHUNK = KERNEL_CHUNK;
/** n rounded up to 4: bbands' arrays have np cells. */
const np4 = (n: number): number => 4 * Math.ceil(n / 4);

// Kernels of the group. bbands serves the three Bollinger ids, rollvar serves variance and stddev.
const ATR = defineKernel({
  name: 'atr',
  params: ['window'],
  slots: ['atr'],
  reference: referenceAtr,
  scratchBytes: (n) => f64s(ATR_ARRAYS, n) + CHUNK * 8,
  /** a, b, the RMA state and the talib seed's sum and count; the first TR reads the close of the bar before. */
  resume: { stateBytes: (n) => f64s(ATR_ARRAYS, n), historyBars: () => 1, warmBars: DECAYING_WARM_BARS },
});
const TR = defineKernel({
  name: 'tr',
  params: [],
  slots: ['tr'],
  reference: referenceTr,
  scratchBytes: () => 0,
  /** No state; the first TR reads the close of the bar before. */
  resume: { stateBytes: () => 0, historyBars: () => 1 },
});
/**
 * bbands scratch (assembly/volatility.ts): with np = n rounded up to 4, the state of up to np
 * distinct windows and the last NaN-or-zero bar (BBANDS_ARRAYS f64 arrays), mult (f64) and window
 * index (i32) per variant, the column of each variant block (np i32, generous), the window hash
 * (H i32, H the power of two >= max(8, 2·np)) and a table of CHUNK rows of 2·np f64 (basis and sd
 * per distinct window).
 */
function bbandsScratch(n: number): number {
  const np = np4(n);
  let h = 8;
  while (h < 2 * np) h *= 2;
  return f64s(BBANDS_ARRAYS + 1, np) + np * 8 + h * 4 + CHUNK * f64s(2, np);
}
const BBANDS = defineKernel({
  name: 'bbands',
  params: ['window', 'mult'],
  slots: ['basis', 'upper', 'lower', 'bandwidth', 'percent_b'],
  reference: referenceBbands,
  scratchBytes: (n) => bbandsScratch(n),
  /** The rolling variance of each distinct window and the last NaN-or-zero bar; src[t − n] leaves each window. */
  resume: { stateBytes: (n) => f64s(BBANDS_ARRAYS, np4(n)), historyBars: (max) => max.window! },
});
const ROLLVAR = defineKernel({
  name: 'rollvar',
  params: ['window'],
  slots: ['variance', 'stddev'],
  reference: referenceRollvar,
  scratchBytes: (n) => f64s(ROLLVAR_ARRAYS, n),
  /** The rolling variance S, Q, k, z (the window array after them is set again by every call); src[t − n] leaves each window. */
  resume: { stateBytes: (n) => f64s(ROLLVAR_N, n), historyBars: (max) => max.window! },
});
/**
 * The window bound of volatility.hv: a resumed call recomputes the log returns of up to that many
 * bars before its first into scratch, in the rows just ahead of its own.
 */
const HV_NMAX = 2000;
const HV = defineKernel({
  name: 'hv',
  params: ['window', 'annualization'],
  slots: ['hv'],
  reference: referenceHv,
  scratchBytes: (n, t) => f64s(HV_ARRAYS, n) + (t + HV_NMAX) * 8,
  /** The rolling variance S, Q, k, z of the log returns; R[t − n] leaves each window, and R reads the bar before it. */
  resume: { stateBytes: (n) => f64s(HV_N, n), historyBars: (max) => max.window! + 1 },
});

export const atr = defineIndicator({
  id: 'volatility.atr',
  talib: 'ATR',
  group: 'volatility',
  title: 'Average True Range',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['atr'],
  warmup: { atr: '0' },
  kernel: ATR,
  doc: '`atr = ATR(n) = RMA(TR, n)`, binary64, not rounded before output.',
});

export const bbands = defineIndicator({
  id: 'volatility.bbands',
  talib: 'BBANDS',
  group: 'volatility',
  title: 'Bollinger Bands',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['mult', 'source', 'window'],
  outputs: ['basis', 'upper', 'lower'],
  warmup: { basis: 'window - 1', upper: 'window - 1', lower: 'window - 1' },
  outputParams: { basis: ['window'] },
  kernel: BBANDS,
  doc: '`basis = ROLLMEAN(src, n)`; `sd = ROLLSTD(src, n)` (population, ddof 0); `upper = basis + (mult·sd)`; `lower = basis − (mult·sd)`.',
});

export const bbands_bandwidth = defineIndicator({
  id: 'volatility.bbands_bandwidth',
  group: 'volatility',
  title: 'Bollinger Bandwidth',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['mult', 'source', 'window'],
  outputs: ['bandwidth'],
  warmup: { bandwidth: 'window - 1' },
  kernel: BBANDS,
  doc: 'compute `basis`, `upper`, `lower` exactly as in `volatility.bbands`; `bandwidth = (upper − lower) / basis`.',
});

export const bbands_percent_b = defineIndicator({
  id: 'volatility.bbands_percent_b',
  group: 'volatility',
  title: 'Bollinger Percent B',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['mult', 'source', 'window'],
  outputs: ['percent_b'],
  warmup: { percent_b: 'window - 1' },
  kernel: BBANDS,
  doc: '`basis`, `upper`, `lower` as in `volatility.bbands`; `percent_b = (src − lower) / (upper − lower)`.',
});

export const hv = defineIndicator({
  id: 'volatility.hv',
  group: 'volatility',
  title: 'Historical Volatility (Log Returns)',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'annualization', kind: 'int', min: 2, max: 1000000, step: 1, default: 365 },
  ],
  axes: ['annualization', 'source', 'window'],
  outputs: ['hv'],
  warmup: { hv: 'window' },
  kernel: HV,
  doc: '`hv = (sqrt(ROLLVAR(R, n)) · sqrt(annualization)) · 100`, where `sqrt(annualization)` is the binary64 square root of the integer parameter. Result is in percent.',
});

export const stddev = defineIndicator({
  id: 'volatility.stddev',
  talib: 'STDDEV',
  group: 'volatility',
  title: 'Rolling Standard Deviation',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['stddev'],
  warmup: { stddev: 'window - 1' },
  kernel: ROLLVAR,
  doc: '`stddev = ROLLSTD(src, n)` (population, ddof 0; a variance in (−1e−12, 0) is clamped to 0).',
});

export const tr = defineIndicator({
  id: 'volatility.tr',
  talib: 'TRANGE',
  group: 'volatility',
  title: 'True Range',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['tr'],
  warmup: { tr: '0' },
  kernel: TR,
  doc: '`tr = TR`: `high − low` on the first bar and wherever the previous close is NaN, else the largest of `high − low`, `|high − prev close|`, `|low − prev close|`. The current close is not used.',
});

export const variance = defineIndicator({
  id: 'volatility.variance',
  talib: 'VAR',
  group: 'volatility',
  title: 'Rolling Variance',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['variance'],
  warmup: { variance: 'window - 1' },
  kernel: ROLLVAR,
  doc: '`variance = ROLLVAR(src, n)` (population, ddof 0). Values in `(−1e−12, 0)` are returned as `+0`; a value `≤ −1e−12` (only from cancellation on huge, nearly constant inputs) is returned as is.',
});
