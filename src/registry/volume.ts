/** Registry definitions of the `volume` group (indicators.md). Numbers come from the spec's indicators.yaml. */
import { defineIndicator } from './types.js';

export const ad_line = defineIndicator({
  id: 'volume.ad_line', group: 'volume', title: 'Accumulation/Distribution Line',
  inputs: ['high','low','close','volume'], sourceValues: null,
  params: [],
  axes: [], outputs: ['ad_line'],
  warmup: { ad_line: '0' },
  kernel: null,
  doc: 'Running state `r = NaN`.',
});

export const cmf = defineIndicator({
  id: 'volume.cmf', group: 'volume', title: 'Chaikin Money Flow',
  inputs: ['high','low','close','volume'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['cmf'],
  warmup: { cmf: 'window' },
  kernel: null,
  doc: '`AD` = the `volume.ad_line` series; per-bar flow `M = DIFF(AD)` (`AD[t] − AD[t−1]`, NaN at t=0 or where either is NaN) — computed as this difference of the running sum, not from `mfv` directly (the rounding differs).',
});

export const mfi = defineIndicator({
  id: 'volume.mfi', group: 'volume', title: 'Money Flow Index',
  inputs: ['high','low','close','volume'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['mfi'],
  warmup: { mfi: 'window' },
  kernel: null,
  doc: '`TP` binary64 (§2.9); `PT = SHIFT(TP, 1)`.',
});

export const obv = defineIndicator({
  id: 'volume.obv', group: 'volume', title: 'On-Balance Volume',
  inputs: ['close','volume'], sourceValues: null,
  params: [],
  axes: [], outputs: ['obv'],
  warmup: { obv: '1' },
  kernel: null,
  doc: '`D = DIFF(close)`; signed volume `SV = NaN` if `D` or `volume` is NaN, else `(+1.0)·volume` if `D > 0`, `(−1.0)·volume` if `D < 0`, `0.0·volume` if `D == 0`.',
});

export const volume_sma = defineIndicator({
  id: 'volume.volume_sma', group: 'volume', title: 'Volume Moving Average',
  inputs: ['volume'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['volume_sma'],
  warmup: { volume_sma: 'window - 1' },
  kernel: null,
  doc: '`volume_sma = ROLLMEAN(volume, n)`.',
});

export const vwap = defineIndicator({
  id: 'volume.vwap', group: 'volume', title: 'Rolling VWAP',
  inputs: ['high','low','close','volume'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['vwap'],
  warmup: { vwap: 'window - 1' },
  kernel: null,
  doc: 'Rolling (not session-anchored) VWAP on the binary64 typical price.',
});

export const vwap_deviation = defineIndicator({
  id: 'volume.vwap_deviation', group: 'volume', title: 'Rolling VWAP Deviation Bands',
  inputs: ['high','low','close','volume'], sourceValues: null,
  params: [
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['mult','window'], outputs: ['vwap_upper','vwap','vwap_lower','vwap_stdev'],
  warmup: { vwap_upper: '2 * window - 2', vwap: 'window - 1', vwap_lower: '2 * window - 2', vwap_stdev: '2 * window - 2' },
  kernel: null,
  doc: '`vwap` exactly as `volume.vwap` (same `n`).',
});
