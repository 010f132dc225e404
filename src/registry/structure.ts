/** Registry definitions of the `structure` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, SRC6, KERNEL_CHUNK } from './types.js';
import { CANDLE_ATR_ARRAYS, DIST_ARRAYS, ZSCORE_ARRAYS, ZSCORE_Q } from './scratch.js';
import {
  referenceCandleStats,
  referenceCandleStatsAtrNorm,
  referenceDistanceToMaNorm,
  referencePercentRank,
  referencePivots,
  referenceZscore,
} from '../reference/structure.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
const CHUNK = KERNEL_CHUNK;
/** Slots of a shared-series ring (assembly/primitives.ts ringSlots): next power of two >= t, at most 4096. */
const ringSlots = (t: number): number => {
  let r = 1;
  while (r < t && r < 4096) r *= 2;
  return r;
};
/** The registry's bound on every window of the group: the most history rows a resumed zscore call puts in its ring. */
const WINDOW_MAX = 2000;

// Resume (docs/kernel-state.md): the state is the leading scratch arrays named below; the history is
// the rows before a resumed call that the kernel reads, its longest window at most.
/** No state, no history: every output is a function of its own bar. */
const CANDLE_STATS_RESUME = { stateBytes: (): number => 0, historyBars: (): number => 0 };
/** The ATR's a, b and state (CANDLE_ATR_ARRAYS); the close before the call enters its first TR. */
const CANDLE_ATR_RESUME = { stateBytes: (n: number): number => f64s(CANDLE_ATR_ARRAYS, n), historyBars: (): number => 1 };
/** The coefficients, the EMA and the ATR (DIST_ARRAYS); the close before the call enters its first TR. */
const DIST_RESUME = { stateBytes: (n: number): number => f64s(DIST_ARRAYS, n), historyBars: (): number => 1 };
/** S and Q (ZSCORE_S, ZSCORE_Q; the window arrays after them are rewritten each call); the source ring is refilled from the last `window` bars. */
const ZSCORE_RESUME = {
  stateBytes: (n: number): number => f64s(ZSCORE_Q + 1, n),
  historyBars: (max: Readonly<Record<string, number>>): number => max.window!,
};
/** No state; the window before the call's first bar (window − 1 bars). */
const PERCENT_RANK_RESUME = {
  stateBytes: (): number => 0,
  historyBars: (max: Readonly<Record<string, number>>): number => max.window! - 1,
};
/** No state; the longest window before the call's first bar (left + right bars). */
const PIVOTS_RESUME = {
  stateBytes: (): number => 0,
  historyBars: (max: Readonly<Record<string, number>>): number => max.left! + max.right!,
};

// Kernels of the group. The single-component wrapper ids run the kernel of the id they wrap
// (candle_stats, candle_stats_atr_norm, pivots) and materialise only their own slot.
const CANDLE_STATS = defineKernel({
  name: 'candle_stats',
  params: [],
  slots: ['body_pct', 'body', 'range', 'upper_wick', 'lower_wick', 'upper_wick_pct', 'lower_wick_pct'],
  reference: referenceCandleStats,
  scratchBytes: () => 4 * CHUNK * 8,
  resume: CANDLE_STATS_RESUME,
});
const CANDLE_STATS_ATR_NORM = defineKernel({
  name: 'candle_stats_atr_norm',
  params: ['atr_window'],
  slots: ['body_atr', 'range_atr', 'upper_wick_atr', 'lower_wick_atr'],
  reference: referenceCandleStatsAtrNorm,
  scratchBytes: (n) => f64s(CANDLE_ATR_ARRAYS, n) + 5 * CHUNK * 8,
  resume: CANDLE_ATR_RESUME,
});
const DISTANCE_TO_MA_NORM = defineKernel({
  name: 'distance_to_ma_norm',
  params: ['window'],
  slots: ['distance_to_ma_norm'],
  reference: referenceDistanceToMaNorm,
  scratchBytes: (n) => f64s(DIST_ARRAYS, n) + CHUNK * 8,
  resume: DIST_RESUME,
});
const PERCENT_RANK = defineKernel({
  name: 'percent_rank',
  params: ['window'],
  slots: ['percent_rank'],
  reference: referencePercentRank,
  scratchBytes: () => CHUNK * 8,
  resume: PERCENT_RANK_RESUME,
});
const PIVOTS = defineKernel({
  name: 'pivots',
  params: ['left', 'right'],
  slots: ['pivot_high', 'pivot_low'],
  reference: referencePivots,
  scratchBytes: () => 2 * CHUNK * 8,
  resume: PIVOTS_RESUME,
});
const ZSCORE = defineKernel({
  name: 'zscore',
  params: ['window'],
  slots: ['zscore'],
  reference: referenceZscore,
  // the ring of a resumed call also holds its history (assembly/structure.ts zscore)
  scratchBytes: (n, t) => f64s(ZSCORE_ARRAYS, n) + ringSlots(t + WINDOW_MAX) * 8 + 2 * CHUNK * 8,
  resume: ZSCORE_RESUME,
});

export const candle_body = defineIndicator({
  id: 'structure.candle_body',
  group: 'structure',
  title: 'Candle Body',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['body'],
  warmup: { body: '0' },
  kernel: CANDLE_STATS,
  doc: '`body` component of `structure.candle_stats` (identical values): `|close − open|`, NaN if any of the four prices is NaN.',
});

export const candle_body_atr = defineIndicator({
  id: 'structure.candle_body_atr',
  group: 'structure',
  title: 'Candle Body ATR-Normalized',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['atr_window'],
  outputs: ['body_atr'],
  warmup: { body_atr: '0' },
  kernel: CANDLE_STATS_ATR_NORM,
  doc: '`body_atr` component of `structure.candle_stats_atr_norm`: `body / ATR32(atr_window)`.',
});

export const candle_body_pct = defineIndicator({
  id: 'structure.candle_body_pct',
  group: 'structure',
  title: 'Candle Body Percent of Range',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['body_pct'],
  warmup: { body_pct: '0' },
  kernel: CANDLE_STATS,
  doc: '`body_pct` component of `structure.candle_stats`: `body / range`, NaN where `range == 0`.',
});

export const candle_lower_wick = defineIndicator({
  id: 'structure.candle_lower_wick',
  group: 'structure',
  title: 'Candle Lower Wick',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['lower_wick'],
  warmup: { lower_wick: '0' },
  kernel: CANDLE_STATS,
  doc: '`lower_wick` component of `structure.candle_stats`: `min(open, close) − low`.',
});

export const candle_lower_wick_atr = defineIndicator({
  id: 'structure.candle_lower_wick_atr',
  group: 'structure',
  title: 'Candle Lower Wick ATR-Normalized',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['atr_window'],
  outputs: ['lower_wick_atr'],
  warmup: { lower_wick_atr: '0' },
  kernel: CANDLE_STATS_ATR_NORM,
  doc: '`lower_wick_atr` component of `structure.candle_stats_atr_norm`: `lower_wick / ATR32(atr_window)`.',
});

export const candle_lower_wick_pct = defineIndicator({
  id: 'structure.candle_lower_wick_pct',
  group: 'structure',
  title: 'Candle Lower Wick Percent of Range',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['lower_wick_pct'],
  warmup: { lower_wick_pct: '0' },
  kernel: CANDLE_STATS,
  doc: '`lower_wick_pct` component of `structure.candle_stats`: `lower_wick / range`, NaN where `range == 0`.',
});

export const candle_range = defineIndicator({
  id: 'structure.candle_range',
  group: 'structure',
  title: 'Candle Range',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['range'],
  warmup: { range: '0' },
  kernel: CANDLE_STATS,
  doc: '`range` component of `structure.candle_stats`: `high − low` (NaN if any of the four prices is NaN, although only two are used).',
});

export const candle_range_atr = defineIndicator({
  id: 'structure.candle_range_atr',
  group: 'structure',
  title: 'Candle Range ATR-Normalized',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['atr_window'],
  outputs: ['range_atr'],
  warmup: { range_atr: '0' },
  kernel: CANDLE_STATS_ATR_NORM,
  doc: '`range_atr` component of `structure.candle_stats_atr_norm`: `range / ATR32(atr_window)`.',
});

export const candle_stats = defineIndicator({
  id: 'structure.candle_stats',
  group: 'structure',
  title: 'Candle Body and Wicks',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['body_pct', 'body', 'range', 'upper_wick', 'lower_wick', 'upper_wick_pct', 'lower_wick_pct'],
  warmup: { body_pct: '0', body: '0', range: '0', upper_wick: '0', lower_wick: '0', upper_wick_pct: '0', lower_wick_pct: '0' },
  kernel: CANDLE_STATS,
  doc: '`range = high − low`, `body = |close − open|`, `upper_wick = high − max(open, close)`, `lower_wick = min(open, close) − low` and the three `/ range` fractions (NaN where `range == 0`); every component NaN on a bar with any NaN price.',
});

export const candle_stats_atr_norm = defineIndicator({
  id: 'structure.candle_stats_atr_norm',
  group: 'structure',
  title: 'ATR-Normalized Candle Stats',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['atr_window'],
  outputs: ['body_atr', 'range_atr', 'upper_wick_atr', 'lower_wick_atr'],
  warmup: { body_atr: '0', range_atr: '0', upper_wick_atr: '0', lower_wick_atr: '0' },
  kernel: CANDLE_STATS_ATR_NORM,
  doc: 'The `structure.candle_stats` components `body`, `range`, `upper_wick`, `lower_wick` divided by `ATR32(atr_window)` (the ATR rounded to float32), NaN where it is 0.',
});

export const candle_upper_wick = defineIndicator({
  id: 'structure.candle_upper_wick',
  group: 'structure',
  title: 'Candle Upper Wick',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['upper_wick'],
  warmup: { upper_wick: '0' },
  kernel: CANDLE_STATS,
  doc: '`upper_wick` component of `structure.candle_stats`: `high − max(open, close)`.',
});

export const candle_upper_wick_atr = defineIndicator({
  id: 'structure.candle_upper_wick_atr',
  group: 'structure',
  title: 'Candle Upper Wick ATR-Normalized',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'atr_window', kind: 'int', min: 2, max: 2000, step: 1, default: 14 }],
  axes: ['atr_window'],
  outputs: ['upper_wick_atr'],
  warmup: { upper_wick_atr: '0' },
  kernel: CANDLE_STATS_ATR_NORM,
  doc: '`upper_wick_atr` component of `structure.candle_stats_atr_norm`: `upper_wick / ATR32(atr_window)`.',
});

export const candle_upper_wick_pct = defineIndicator({
  id: 'structure.candle_upper_wick_pct',
  group: 'structure',
  title: 'Candle Upper Wick Percent of Range',
  inputs: ['open', 'high', 'low', 'close'],
  sourceValues: null,
  params: [],
  axes: [],
  outputs: ['upper_wick_pct'],
  warmup: { upper_wick_pct: '0' },
  kernel: CANDLE_STATS,
  doc: '`upper_wick_pct` component of `structure.candle_stats`: `upper_wick / range`, NaN where `range == 0`.',
});

export const distance_to_ma_norm = defineIndicator({
  id: 'structure.distance_to_ma_norm',
  group: 'structure',
  title: 'Distance to EMA in ATR Units',
  inputs: ['source', 'high', 'low', 'close'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['distance_to_ma_norm'],
  warmup: { distance_to_ma_norm: '0' },
  kernel: DISTANCE_TO_MA_NORM,
  doc: '`(src − EMA(src, n)) / ATR32(n)` with one window for both (ATR rounded to float32); NaN where `ATR32 == 0`.',
});

export const percent_rank = defineIndicator({
  id: 'structure.percent_rank',
  group: 'structure',
  title: 'Rolling Percentile Rank',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['percent_rank'],
  warmup: { percent_rank: 'window - 1' },
  kernel: PERCENT_RANK,
  doc: 'For `t ≥ n−1`: NaN if `src[t]` or any value in the window `src[t−n+1 … t]` is NaN; else `C` = number of window values `≤ src[t]` (the current bar included, so `C ≥ 1`); `percent_rank = (C / n)·100`.',
});

export const pivot_high = defineIndicator({
  id: 'structure.pivot_high',
  group: 'structure',
  title: 'Pivot High',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left', 'right'],
  outputs: ['pivot_high'],
  warmup: { pivot_high: 'left + right' },
  kernel: PIVOTS,
  doc: '`pivot_high` component of `structure.pivots` (reads only `high`).',
});

export const pivot_low = defineIndicator({
  id: 'structure.pivot_low',
  group: 'structure',
  title: 'Pivot Low',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left', 'right'],
  outputs: ['pivot_low'],
  warmup: { pivot_low: 'left + right' },
  kernel: PIVOTS,
  doc: '`pivot_low` component of `structure.pivots` (reads only `low`).',
});

export const pivots = defineIndicator({
  id: 'structure.pivots',
  group: 'structure',
  title: 'Pivot High/Low',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [
    { name: 'left', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
    { name: 'right', kind: 'int', min: 2, max: 2000, step: 1, default: 5 },
  ],
  axes: ['left', 'right'],
  outputs: ['pivot_high', 'pivot_low'],
  warmup: { pivot_high: 'left + right', pivot_low: 'left + right' },
  kernel: PIVOTS,
  doc: 'On bar `t`, the value at `c = t − right` if it is strictly above (high) / below (low) every other value of the NaN-free window `[c − left, t]`, else NaN (reported on the confirmation bar).',
});

export const zscore = defineIndicator({
  id: 'structure.zscore',
  group: 'structure',
  title: 'Rolling Z-Score',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['zscore'],
  warmup: { zscore: 'window - 1' },
  kernel: ZSCORE,
  doc: '`(src − ROLLMEAN(src, n)) / sqrt(ROLLVAR(src, n))` (population); NaN where the variance is 0 (flat window) or negative.',
});
