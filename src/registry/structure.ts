/** Registry definitions of the `structure` group (indicators.md). Numbers come from the spec's indicators.yaml. */
import { defineIndicator, SRC6 } from './types.js';

export const candle_body = defineIndicator({
  id: 'structure.candle_body', group: 'structure', title: 'Candle Body',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['body'],
  warmup: { body: '0' },
  kernel: null,
  doc: '`body` component of `structure.candle_stats` (identical values): `|close − open|`, NaN if any of the four prices is NaN.',
});

export const candle_body_atr = defineIndicator({
  id: 'structure.candle_body_atr', group: 'structure', title: 'Candle Body ATR-Normalized',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [
    { name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['atr_window'], outputs: ['body_atr'],
  warmup: { body_atr: '0' },
  kernel: null,
  doc: '`body_atr` component of `structure.candle_stats_atr_norm`: `body / ATR32(atr_window)`.',
});

export const candle_body_pct = defineIndicator({
  id: 'structure.candle_body_pct', group: 'structure', title: 'Candle Body Percent of Range',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['body_pct'],
  warmup: { body_pct: '0' },
  kernel: null,
  doc: '`body_pct` component of `structure.candle_stats`: `body / range`, NaN where `range == 0`.',
});

export const candle_lower_wick = defineIndicator({
  id: 'structure.candle_lower_wick', group: 'structure', title: 'Candle Lower Wick',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['lower_wick'],
  warmup: { lower_wick: '0' },
  kernel: null,
  doc: '`lower_wick` component of `structure.candle_stats`: `min(open, close) − low`.',
});

export const candle_lower_wick_atr = defineIndicator({
  id: 'structure.candle_lower_wick_atr', group: 'structure', title: 'Candle Lower Wick ATR-Normalized',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [
    { name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['atr_window'], outputs: ['lower_wick_atr'],
  warmup: { lower_wick_atr: '0' },
  kernel: null,
  doc: '`lower_wick_atr` component of `structure.candle_stats_atr_norm`: `lower_wick / ATR32(atr_window)`.',
});

export const candle_lower_wick_pct = defineIndicator({
  id: 'structure.candle_lower_wick_pct', group: 'structure', title: 'Candle Lower Wick Percent of Range',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['lower_wick_pct'],
  warmup: { lower_wick_pct: '0' },
  kernel: null,
  doc: '`lower_wick_pct` component of `structure.candle_stats`: `lower_wick / range`, NaN where `range == 0`.',
});

export const candle_range = defineIndicator({
  id: 'structure.candle_range', group: 'structure', title: 'Candle Range',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['range'],
  warmup: { range: '0' },
  kernel: null,
  doc: '`range` component of `structure.candle_stats`: `high − low` (NaN if any of the four prices is NaN, although only two are used).',
});

export const candle_range_atr = defineIndicator({
  id: 'structure.candle_range_atr', group: 'structure', title: 'Candle Range ATR-Normalized',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [
    { name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['atr_window'], outputs: ['range_atr'],
  warmup: { range_atr: '0' },
  kernel: null,
  doc: '`range_atr` component of `structure.candle_stats_atr_norm`: `range / ATR32(atr_window)`.',
});

export const candle_stats = defineIndicator({
  id: 'structure.candle_stats', group: 'structure', title: 'Candle Body and Wicks',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['body_pct','body','range','upper_wick','lower_wick','upper_wick_pct','lower_wick_pct'],
  warmup: { body_pct: '0', body: '0', range: '0', upper_wick: '0', lower_wick: '0', upper_wick_pct: '0', lower_wick_pct: '0' },
  kernel: null,
  doc: 'Per bar, if any of `open`, `high`, `low`, `close` is NaN → NaN (every component, even those that do not use all four).',
});

export const candle_stats_atr_norm = defineIndicator({
  id: 'structure.candle_stats_atr_norm', group: 'structure', title: 'ATR-Normalized Candle Stats',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [
    { name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['atr_window'], outputs: ['body_atr','range_atr','upper_wick_atr','lower_wick_atr'],
  warmup: { body_atr: '0', range_atr: '0', upper_wick_atr: '0', lower_wick_atr: '0' },
  kernel: null,
  doc: 'Components `body`, `range`, `upper_wick`, `lower_wick` as in `structure.candle_stats` (binary64, NaN if any of the four prices is NaN).',
});

export const candle_upper_wick = defineIndicator({
  id: 'structure.candle_upper_wick', group: 'structure', title: 'Candle Upper Wick',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['upper_wick'],
  warmup: { upper_wick: '0' },
  kernel: null,
  doc: '`upper_wick` component of `structure.candle_stats`: `high − max(open, close)`.',
});

export const candle_upper_wick_atr = defineIndicator({
  id: 'structure.candle_upper_wick_atr', group: 'structure', title: 'Candle Upper Wick ATR-Normalized',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [
    { name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['atr_window'], outputs: ['upper_wick_atr'],
  warmup: { upper_wick_atr: '0' },
  kernel: null,
  doc: '`upper_wick_atr` component of `structure.candle_stats_atr_norm`: `upper_wick / ATR32(atr_window)`.',
});

export const candle_upper_wick_pct = defineIndicator({
  id: 'structure.candle_upper_wick_pct', group: 'structure', title: 'Candle Upper Wick Percent of Range',
  inputs: ['open','high','low','close'], sourceValues: null,
  params: [],
  axes: [], outputs: ['upper_wick_pct'],
  warmup: { upper_wick_pct: '0' },
  kernel: null,
  doc: '`upper_wick_pct` component of `structure.candle_stats`: `upper_wick / range`, NaN where `range == 0`.',
});

export const distance_to_ma_norm = defineIndicator({
  id: 'structure.distance_to_ma_norm', group: 'structure', title: 'Distance to EMA in ATR Units',
  inputs: ['source','high','low','close'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['source','window'], outputs: ['distance_to_ma_norm'],
  warmup: { distance_to_ma_norm: '0' },
  kernel: null,
  doc: '`distance_to_ma_norm = (src − E) / Z`; NaN where `src`, `E` or `Z` is NaN or `Z == 0`.',
});

export const percent_rank = defineIndicator({
  id: 'structure.percent_rank', group: 'structure', title: 'Rolling Percentile Rank',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['source','window'], outputs: ['percent_rank'],
  warmup: { percent_rank: 'window - 1' },
  kernel: null,
  doc: 'For `t ≥ n−1`: NaN if `src[t]` or any value in the window `src[t−n+1 … t]` is NaN; else `C` = number of window values `≤ src[t]` (the current bar included, so `C ≥ 1`); `percent_rank = (C / n)·100`.',
});

export const pivot_high = defineIndicator({
  id: 'structure.pivot_high', group: 'structure', title: 'Pivot High',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left','right'], outputs: ['pivot_high'],
  warmup: { pivot_high: 'left + right' },
  kernel: null,
  doc: '`pivot_high` component of `structure.pivots` (reads only `high`).',
});

export const pivot_low = defineIndicator({
  id: 'structure.pivot_low', group: 'structure', title: 'Pivot Low',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left','right'], outputs: ['pivot_low'],
  warmup: { pivot_low: 'left + right' },
  kernel: null,
  doc: '`pivot_low` component of `structure.pivots` (reads only `low`).',
});

export const pivots = defineIndicator({
  id: 'structure.pivots', group: 'structure', title: 'Pivot High/Low',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left','right'], outputs: ['pivot_high','pivot_low'],
  warmup: { pivot_high: 'left + right', pivot_low: 'left + right' },
  kernel: null,
  doc: 'Strict pivots reported on the confirmation bar. For output bar `t`: centre `c = t − right`, start `s = c − left`; if `s < 0` → NaN.',
});

export const zscore = defineIndicator({
  id: 'structure.zscore', group: 'structure', title: 'Rolling Z-Score',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['source','window'], outputs: ['zscore'],
  warmup: { zscore: 'window - 1' },
  kernel: null,
  doc: '`zscore = (src − μ) / sqrt(V)`; NaN where any operand is NaN, `V == 0` (flat window), or `V < 0` (sqrt of a negative).',
});
