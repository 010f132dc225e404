/** Registry definitions of the `volume` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, KERNEL_CHUNK } from './types.js';
import { AD_LINE_ARRAYS, CMF_ARRAYS, MFI_ARRAYS, OBV_ARRAYS, VOLUME_SMA_ARRAYS, VOLUME_SMA_N, VWAP_ARRAYS } from './scratch.js';
import {
  referenceAdLine,
  referenceCmf,
  referenceMfi,
  referenceObv,
  referenceVolumeSma,
  referenceVwap,
  referenceVwapDeviation,
} from '../reference/volume.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
const CHUNK = KERNEL_CHUNK;
/**
 * Slots of a shared-series ring (assembly/primitives.ts RING_MAX): the kernels index it by the bar
 * in the whole series, so it has the same size in every call, whatever its length.
 */
const RING = 4096;
/** Slots of a per-variant ring of E (vwap_deviation, assembly/volume.ts E_RING): > 2000, the window bound. */
const E_RING = 2048;

/** State of the vwap kernels: their arrays, the TP·volume ring and (vwap_deviation) the rings of E. */
const vwapState = (n: number, dev: boolean): number => f64s(VWAP_ARRAYS, n) + RING * 8 + (dev ? n * E_RING * 8 : 0);
/** State of mfi: its arrays, the last NaN and non-zero bars (16 bytes), the two flow rings. */
const mfiState = (n: number): number => f64s(MFI_ARRAYS, n) + 16 + 2 * RING * 8;
/** State of cmf: its arrays, the running and previous AD (16 bytes), the ring of DIFF(AD). */
const cmfState = (n: number): number => f64s(CMF_ARRAYS, n) + 16 + RING * 8;
/** History of the kernels whose volume sum reads the term leaving the window, volume[t − n], from the input. */
const windowHistory = (max: Readonly<Record<string, number>>): number => max.window!;

// Kernels of the group: wasm export name, parameter order, output slots, reference and scratch size.
const AD_LINE = defineKernel({
  name: 'ad_line',
  params: [],
  slots: ['ad_line'],
  reference: referenceAdLine,
  scratchBytes: (n) => f64s(AD_LINE_ARRAYS, n),
  resume: { stateBytes: (n) => f64s(AD_LINE_ARRAYS, n), historyBars: () => 0 },
});
const OBV = defineKernel({
  name: 'obv',
  params: [],
  slots: ['obv'],
  reference: referenceObv,
  scratchBytes: (n) => f64s(OBV_ARRAYS, n),
  resume: { stateBytes: (n) => f64s(OBV_ARRAYS, n), historyBars: () => 1 },
});
const VOLUME_SMA = defineKernel({
  name: 'volume_sma',
  params: ['window'],
  slots: ['volume_sma'],
  reference: referenceVolumeSma,
  scratchBytes: (n) => f64s(VOLUME_SMA_ARRAYS, n),
  resume: { stateBytes: (n) => f64s(VOLUME_SMA_N, n), historyBars: windowHistory },
});
const CMF = defineKernel({
  name: 'cmf',
  params: ['window'],
  slots: ['cmf'],
  reference: referenceCmf,
  scratchBytes: (n) => cmfState(n),
  resume: { stateBytes: cmfState, historyBars: windowHistory },
});
const MFI = defineKernel({
  name: 'mfi',
  params: ['window'],
  slots: ['mfi'],
  reference: referenceMfi,
  scratchBytes: (n) => mfiState(n) + 3 * CHUNK * 8,
  resume: { stateBytes: mfiState, historyBars: () => 1 },
});
const VWAP = defineKernel({
  name: 'vwap',
  params: ['window'],
  slots: ['vwap'],
  reference: referenceVwap,
  scratchBytes: (n) => vwapState(n, false) + RING * 8,
  resume: { stateBytes: (n) => vwapState(n, false), historyBars: windowHistory },
});
const VWAP_DEVIATION = defineKernel({
  name: 'vwap_deviation',
  params: ['window', 'mult'],
  slots: ['vwap_upper', 'vwap', 'vwap_lower', 'vwap_stdev'],
  reference: referenceVwapDeviation,
  scratchBytes: (n) => vwapState(n, true) + RING * 8,
  resume: { stateBytes: (n) => vwapState(n, true), historyBars: windowHistory },
});

export const ad_line = defineIndicator({
  id: 'volume.ad_line',
  talib: 'AD',
  group: 'volume',
  title: 'Accumulation/Distribution Line',
  inputs: ['high', 'low', 'close', 'volume'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['ad_line'],
  warmup: { ad_line: '0' },
  kernel: AD_LINE,
  doc: 'Running sum of money-flow volume `((close − low) − (high − close)) / (high − low) · volume`, restarted after every NaN or zero-range bar, which outputs NaN.',
});

export const cmf = defineIndicator({
  id: 'volume.cmf',
  group: 'volume',
  title: 'Chaikin Money Flow',
  inputs: ['high', 'low', 'close', 'volume'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['cmf'],
  warmup: { cmf: 'window' },
  kernel: CMF,
  doc: '`ROLLSUM(DIFF(AD), n) / ROLLSUM(volume, n)` with `AD` the `volume.ad_line` series (its difference, not the raw flow), NaN where the volume sum is 0.',
});

export const mfi = defineIndicator({
  id: 'volume.mfi',
  talib: 'MFI',
  group: 'volume',
  title: 'Money Flow Index',
  inputs: ['high', 'low', 'close', 'volume'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['mfi'],
  warmup: { mfi: 'window' },
  kernel: MFI,
  doc: '`100 − (100 / (1 + (SP / SN)))` over rolling sums of the money flow `TP·volume` split by the sign of `TP − TP[t−1]`; 100 where `SN == 0`.',
});

export const obv = defineIndicator({
  id: 'volume.obv',
  talib: 'OBV',
  group: 'volume',
  title: 'On-Balance Volume',
  inputs: ['close', 'volume'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['obv'],
  warmup: { obv: '1' },
  kernel: OBV,
  doc: 'Running sum (reset on NaN) of the volume signed by `DIFF(close)`: `+volume` on an up bar, `−volume` on a down bar, `0` on a tie.',
});

export const volume_sma = defineIndicator({
  id: 'volume.volume_sma',
  talib: 'SMA',
  group: 'volume',
  title: 'Volume Moving Average',
  inputs: ['volume'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['volume_sma'],
  warmup: { volume_sma: 'window - 1' },
  kernel: VOLUME_SMA,
  doc: '`volume_sma = ROLLMEAN(volume, n)`.',
});

export const vwap = defineIndicator({
  id: 'volume.vwap',
  group: 'volume',
  title: 'Rolling VWAP',
  inputs: ['high', 'low', 'close', 'volume'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['vwap'],
  warmup: { vwap: 'window - 1' },
  kernel: VWAP,
  doc: 'Rolling (not session-anchored) VWAP `ROLLSUM(TP·volume, n) / ROLLSUM(volume, n)` on the binary64 typical price, NaN where the volume sum is 0.',
});

export const vwap_deviation = defineIndicator({
  id: 'volume.vwap_deviation',
  group: 'volume',
  title: 'Rolling VWAP Deviation Bands',
  inputs: ['high', 'low', 'close', 'volume'],
  sourceValues: null,
  params: [
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['mult', 'window'],
  outputs: ['vwap_upper', 'vwap', 'vwap_lower', 'vwap_stdev'],
  warmup: { vwap_upper: '2 * window - 2', vwap: 'window - 1', vwap_lower: '2 * window - 2', vwap_stdev: '2 * window - 2' },
  kernel: VWAP_DEVIATION,
  doc: '`vwap` as in `volume.vwap`, `vwap_stdev = ROLLSTD(TP − vwap, n)` and the bands `vwap ± (mult·vwap_stdev)`.',
});
