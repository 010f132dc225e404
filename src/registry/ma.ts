/** Registry definitions of the `ma` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, KERNEL_TILE, SRC7, DECAYING_WARM_BARS } from './types.js';
import {
  EWMA_A,
  EWMA_ARRAYS,
  EWMA_B,
  EWMA_Y1,
  HMA_ARRAYS,
  HMA_RING,
  SMA_ARRAYS,
  VWMA_ARRAYS,
  WMA_ARRAYS,
  ZLEMA_ARRAYS,
} from './scratch.js';
import {
  referenceDema,
  referenceEma,
  referenceHma,
  referenceRma,
  referenceSma,
  referenceTema,
  referenceVwma,
  referenceWma,
  referenceZlema,
} from '../reference/ma.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
/** The EWMA chains: EWMA_ARRAYS arrays of n f64, then the sink of a dry call (one tile of n-wide rows; assembly/lanes.ts dryBase). */
const EWMA_SCRATCH = (n: number): number => f64s(EWMA_ARRAYS, n) + KERNEL_TILE * n * 4;
/**
 * Time pieces for the single-stage chains (ema, rma): their state is array EWMA_Y1 (with the coefficients EWMA_A, EWMA_B, which a resumed call does not recompute; the talib profile,
 * whose step uses a alone, keeps its count of valid bars into the segment in EWMA_B's cells). A warm start from a
 * fresh state converges to the exact state as (1 − a)^k shrinks below the last bit; on the bundled
 * 1M-bar series (holes filled) every window 5..200 of ema agreed bit for bit after 5,000 bars, 64
 * of 196 did after 2,000. 4096 + 128 × window leaves a wide margin (rma's 1 − 1/n decays as an ema
 * of window 2n − 1), and a piece whose warm state still differs is re-run from the exact one.
 */
const EWMA_SPLIT = { stateArrays: [EWMA_A, EWMA_B, EWMA_Y1], warmBars: (w: number): number => 4096 + 128 * w, dryCost: 0.47 };

/** EWMA chains resume from their coefficients and stage values (docs/kernel-state.md); bar −1 says whether they are seeded (the talib profile: the count EWMA_K). */
const EWMA_RESUME = { stateBytes: (n: number): number => f64s(EWMA_ARRAYS, n), historyBars: (): number => 1, warmBars: DECAYING_WARM_BARS };

// Kernels of the group: wasm export name, parameter order, output slots, reference and scratch size.
const EMA = defineKernel({
  name: 'ema',
  params: ['window'],
  slots: ['value'],
  reference: referenceEma,
  scratchBytes: EWMA_SCRATCH,
  timeSplit: EWMA_SPLIT,
  resume: EWMA_RESUME,
});
const RMA = defineKernel({
  name: 'rma',
  params: ['window'],
  slots: ['value'],
  reference: referenceRma,
  scratchBytes: EWMA_SCRATCH,
  timeSplit: EWMA_SPLIT,
  resume: EWMA_RESUME,
});
const DEMA = defineKernel({
  name: 'dema',
  params: ['window'],
  slots: ['value'],
  reference: referenceDema,
  scratchBytes: (n) => f64s(EWMA_ARRAYS, n),
  resume: EWMA_RESUME,
});
const TEMA = defineKernel({
  name: 'tema',
  params: ['window'],
  slots: ['value'],
  reference: referenceTema,
  scratchBytes: (n) => f64s(EWMA_ARRAYS, n),
  resume: EWMA_RESUME,
});
const ZLEMA = defineKernel({
  name: 'zlema',
  params: ['window'],
  slots: ['value'],
  reference: referenceZlema,
  scratchBytes: (n) => f64s(ZLEMA_ARRAYS, n),
  // the EMA state (a, b and the lag are recomputed); src[t − L] reaches L = ⌊(window − 1)/2⌋ bars back
  resume: { stateBytes: (n) => f64s(ZLEMA_ARRAYS, n), historyBars: (max) => Math.floor((max.window! - 1) / 2) },
});
/** The window bound of ma.sma (assembly/ma.ts SMA_NMAX): the exact-sum tables reach that far back. */
const SMA_NMAX = 2000;
const SMA = defineKernel({
  name: 'sma',
  params: ['window'],
  slots: ['value'],
  reference: referenceSma,
  scratchBytes: (n, t) => f64s(SMA_ARRAYS, n) + 2 * (t + 1 + SMA_NMAX) * 8,
  // the recursion's S, k, z (the prefix tables are per call); src[t − n] leaves the window
  resume: { stateBytes: (n) => f64s(SMA_ARRAYS, n), historyBars: (max) => max.window! },
});
const WMA = defineKernel({
  name: 'wma',
  params: ['window'],
  slots: ['value'],
  reference: referenceWma,
  scratchBytes: (n) => f64s(WMA_ARRAYS, n),
  // the WMA state A, B, k; src[t − n] leaves the window
  resume: { stateBytes: (n) => f64s(WMA_ARRAYS, n), historyBars: (max) => max.window! },
});
const HMA = defineKernel({
  name: 'hma',
  params: ['window'],
  slots: ['value'],
  reference: referenceHma,
  scratchBytes: (n) => f64s(HMA_ARRAYS + HMA_RING, n),
  // three WMA states and the ring of D (all of scratch); src[t − n] leaves the longest window
  resume: { stateBytes: (n) => f64s(HMA_ARRAYS + HMA_RING, n), historyBars: (max) => max.window! },
});
const VWMA = defineKernel({
  name: 'vwma',
  params: ['window'],
  slots: ['value'],
  reference: referenceVwma,
  scratchBytes: (n) => f64s(VWMA_ARRAYS, n),
  // the two rolling sums S, k, z; close and volume of bar t − n leave the window
  resume: { stateBytes: (n) => f64s(VWMA_ARRAYS, n), historyBars: (max) => max.window! },
});

export const dema = defineIndicator({
  id: 'ma.dema',
  talib: 'DEMA',
  group: 'ma',
  title: 'Double Exponential Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: '0' },
  kernel: DEMA,
  doc: '`E1 = EMA(src, n)`, `E2 = EMA(E1, n)` (E2 is an EWMA over the E1 series, so it re-seeds whenever E1 does); `value = (2·E1) − E2`, NaN where E1 or E2 is NaN.',
});

export const ema = defineIndicator({
  id: 'ma.ema',
  talib: 'EMA',
  group: 'ma',
  title: 'Exponential Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: '0' },
  kernel: EMA,
  doc: '`value = EMA(src, n)` (α = 2/(n+1), seeded with the first valid value, reset on NaN, the next valid value re-seeds).',
});

export const hma = defineIndicator({
  id: 'ma.hma',
  group: 'ma',
  title: 'Hull Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: 'window + max(1, floor(sqrt(window))) - 2' },
  kernel: HMA,
  doc: '`D[t] = (2·WMA(src, h)[t]) − WMA(src, n)[t]` (NaN if either is NaN); `value = WMA(D, s)`.',
});

export const lwma = defineIndicator({
  id: 'ma.lwma',
  talib: 'WMA',
  group: 'ma',
  title: 'Linear Weighted Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: 'window - 1' },
  kernel: WMA,
  doc: '`value = WMA(src, n)` — identical, bit for bit, to `ma.wma` (kept as a separate id for compatibility).',
});

export const rma = defineIndicator({
  id: 'ma.rma',
  group: 'ma',
  title: 'RMA (SMMA)',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: '0' },
  kernel: RMA,
  doc: '`value = RMA(src, n)` (Wilder smoothing, α = 1/n, first-value seed, reset on NaN).',
});

export const sma = defineIndicator({
  id: 'ma.sma',
  talib: 'SMA',
  group: 'ma',
  title: 'Simple Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: 'window - 1' },
  kernel: SMA,
  doc: '`value = ROLLMEAN(src, n)`.',
});

export const tema = defineIndicator({
  id: 'ma.tema',
  talib: 'TEMA',
  group: 'ma',
  title: 'Triple Exponential Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: '0' },
  kernel: TEMA,
  doc: '`E1 = EMA(src, n)`, `E2 = EMA(E1, n)`, `E3 = EMA(E2, n)`; `value = ((3·E1) − (3·E2)) + E3`, NaN where any stage is NaN.',
});

export const vwma = defineIndicator({
  id: 'ma.vwma',
  group: 'ma',
  title: 'Volume Weighted Moving Average',
  inputs: ['close', 'volume'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['value'],
  warmup: { value: 'window - 1' },
  kernel: VWMA,
  doc: '`PV[t] = close[t]·volume[t]` (NaN if either is NaN); `num = ROLLSUM(PV, n)`, `den = ROLLSUM(volume, n)`; `value = num / den`.',
});

export const wma = defineIndicator({
  id: 'ma.wma',
  talib: 'WMA',
  group: 'ma',
  title: 'Weighted Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: 'window - 1' },
  kernel: WMA,
  doc: '`value = WMA(src, n)` (linear weights 1..n, newest bar weight `n`; the incremental update of src/reference/primitives.ts `wma` is normative).',
});

export const zlema = defineIndicator({
  id: 'ma.zlema',
  group: 'ma',
  title: 'Zero-Lag Exponential Moving Average',
  inputs: ['source'],
  sourceValues: SRC7,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['value'],
  warmup: { value: 'floor((window - 1) / 2)' },
  kernel: ZLEMA,
  doc: '`value = EMA(A, n)`.',
});
