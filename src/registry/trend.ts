/** Registry definitions of the `trend` group. Params, bounds, outputs and warm-ups are those of spec/indicators.yaml; test/unit/registry.test.ts checks every number against it. */
import { defineIndicator, defineKernel, SRC6, KERNEL_CHUNK, DECAYING_WARM_BARS } from './types.js';
import { ADX_ARRAYS, ADX_Y, CHANDELIER_ARRAYS, KELTNER_ARRAYS, PSAR_ARRAYS, SUPERTREND_ARRAYS, VORTEX_ARRAYS } from './scratch.js';
import {
  referenceAdx,
  referenceAroon,
  referenceChandelierExit,
  referenceDonchian,
  referenceIchimoku,
  referenceKeltner,
  referenceLinregSlope,
  referencePsar,
  referenceSupertrend,
  referenceVortex,
} from '../reference/trend.js';

const f64s = (arrays: number, n: number): number => arrays * n * 8;
const CHUNK = KERNEL_CHUNK;
/** Slots of a ring of a shared series (assembly/primitives.ts ringSlots): the series up to 4096 bars, else 4096. */
const ringSlots = (t: number): number => {
  let s = 1;
  while (s < t && s < 4096) s *= 2;
  return s;
};
/** Shared ROLLMAX / ROLLMIN / AGE tables (assembly/primitives.ts xtBytes): state, the chunk's NaN ages, 11 levels of f32 values (and i32 bar indices for AGE), 16-byte aligned. */
const tables = (count: number, t: number, ages = false): number =>
  count * (Math.ceil((16 + CHUNK * 4 + 11 * ringSlots(t) * (ages ? 8 : 4)) / 16) * 16);
/** Ring slots of a resumed call (assembly/primitives.ts RING_MAX): its rings also hold the history before it. */
const RING_MAX = 4096;

// Kernels of the group: wasm export name, parameter order, output slots, reference and scratch size.
const ADX = defineKernel({
  name: 'adx',
  params: ['window', 'smoothing'],
  slots: ['adx', 'plus_di', 'minus_di'],
  reference: referenceAdx,
  scratchBytes: (n) => f64s(ADX_ARRAYS, n + 3) + 3 * CHUNK * 16,
  // coefficients, A, SP, SM and the adx RMA at stride n rounded up to 4; bar −1 (TR, DM, seeding)
  resume: { stateBytes: (n) => f64s(ADX_Y + 1, Math.ceil(n / 4) * 4), historyBars: () => 1, warmBars: DECAYING_WARM_BARS },
});
const AROON = defineKernel({
  name: 'aroon',
  params: ['window'],
  slots: ['aroon_osc', 'aroon_up', 'aroon_down'],
  reference: referenceAroon,
  scratchBytes: () => tables(2, RING_MAX, true),
  // no state: a resumed call rebuilds its tables from the window − 1 bars before it (window bars in
  // the talib profile, whose windows hold one bar more)
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! },
});
const CHANDELIER_EXIT = defineKernel({
  name: 'chandelier_exit',
  params: ['window', 'mult'],
  slots: ['chandelier_long', 'chandelier_short'],
  reference: referenceChandelierExit,
  scratchBytes: (n) => f64s(CHANDELIER_ARRAYS, n) + 4 * CHUNK * 8 + tables(2, RING_MAX),
  // the ATR; the tables rebuilt from the window − 1 bars before the call (the last one TR's close)
  resume: { stateBytes: (n) => f64s(CHANDELIER_ARRAYS, n), historyBars: (max) => Math.max(max.window! - 1, 1) },
});
const DONCHIAN = defineKernel({
  name: 'donchian',
  params: ['window'],
  slots: ['donchian_mid', 'donchian_upper', 'donchian_lower'],
  reference: referenceDonchian,
  scratchBytes: () => tables(2, RING_MAX),
  // no state: a resumed call rebuilds its tables from the window − 1 bars before it
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! - 1 },
});
const ICHIMOKU = defineKernel({
  name: 'ichimoku',
  params: ['conversion_window', 'base_window', 'span_b_window', 'displacement'],
  slots: ['span_a', 'conversion', 'base', 'span_b', 'lagging'],
  reference: referenceIchimoku,
  scratchBytes: () => 3 * CHUNK * 8 + tables(2, RING_MAX),
  // no state: the tables are rebuilt from the window − 1 bars before a call, lagging reads the close
  // `displacement` bars back; the spans look ahead, so each call's last `displacement` span rows are
  // provisional (NaN, as at the end of the series)
  resume: {
    stateBytes: () => 0,
    historyBars: (max) => Math.max(Math.max(max.conversion_window!, max.base_window!, max.span_b_window!) - 1, max.displacement!),
    provisional: true,
  },
});
const KELTNER = defineKernel({
  name: 'keltner',
  params: ['window', 'mult'],
  slots: ['middle', 'upper', 'lower'],
  reference: referenceKeltner,
  scratchBytes: (n) => f64s(KELTNER_ARRAYS, n) + 2 * CHUNK * 8,
  // coefficients, the middle line and the ATR; the close of bar −1 (TR)
  resume: { stateBytes: (n) => f64s(KELTNER_ARRAYS, n), historyBars: () => 1, warmBars: DECAYING_WARM_BARS },
});
const LINREG_SLOPE = defineKernel({
  name: 'linreg_slope',
  params: ['window'],
  slots: ['slope'],
  reference: referenceLinregSlope,
  scratchBytes: () => 0,
  // no state: each window's sums are direct, over the window's n − 1 bars before the bar
  resume: { stateBytes: () => 0, historyBars: (max) => max.window! - 1 },
});
const PSAR = defineKernel({
  name: 'psar',
  params: ['accel_start', 'accel_step', 'accel_max'],
  slots: ['psar', 'psar_dir'],
  reference: referencePsar,
  scratchBytes: (n) => f64s(PSAR_ARRAYS, n),
  // the machine (dir, sar, ep, af and the previous bar's high and low); no history
  resume: { stateBytes: (n) => f64s(PSAR_ARRAYS, n), historyBars: () => 0 },
});
const SUPERTREND = defineKernel({
  name: 'supertrend',
  params: ['window', 'mult'],
  slots: ['supertrend', 'supertrend_dir'],
  reference: referenceSupertrend,
  scratchBytes: (n) => f64s(SUPERTREND_ARRAYS, n) + 2 * CHUNK * 8,
  // the ATR, dir, final bands and previous close; the close of bar −1 (TR)
  resume: { stateBytes: (n) => f64s(SUPERTREND_ARRAYS, n), historyBars: () => 1 },
});
const VORTEX = defineKernel({
  name: 'vortex',
  params: ['window'],
  slots: ['vi_plus', 'vi_minus'],
  reference: referenceVortex,
  scratchBytes: (n) => f64s(VORTEX_ARRAYS, n) + 3 * RING_MAX * 8,
  // the rolling sums; the terms that can still leave (window bars back, each TR with its previous close)
  resume: { stateBytes: (n) => f64s(VORTEX_ARRAYS, n), historyBars: (max) => max.window! + 1 },
});

export const adx = defineIndicator({
  id: 'trend.adx',
  talib: 'ADX, PLUS_DI, MINUS_DI',
  group: 'trend',
  title: 'Average Directional Index',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['window', 'smoothing'],
  outputs: ['adx', 'plus_di', 'minus_di'],
  warmup: { adx: '1', plus_di: '0', minus_di: '0' },
  outputParams: { plus_di: ['window'], minus_di: ['window'] },
  kernel: ADX,
  doc: 'Wilder ADX without warm-up: `plus_di`, `minus_di` = 100·RMA(±DM, window) / ATR(window), `adx = RMA(DX, smoothing)` of `DX = 100·(|plus_di − minus_di| / (plus_di + minus_di))`, NaN where a denominator is 0.',
});

export const aroon = defineIndicator({
  id: 'trend.aroon',
  talib: 'AROON, AROONOSC',
  group: 'trend',
  title: 'Aroon',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['aroon_osc', 'aroon_up', 'aroon_down'],
  warmup: { aroon_osc: 'window - 1', aroon_up: 'window - 1', aroon_down: 'window - 1' },
  kernel: AROON,
  doc: '`aroon_up = ((n − AGE_MAX(high, n)) / n)·100`, `aroon_down = ((n − AGE_MIN(low, n)) / n)·100` (bars since the newest extreme of the last n bars), `aroon_osc = aroon_up − aroon_down`.',
});

export const chandelier_exit = defineIndicator({
  id: 'trend.chandelier_exit',
  group: 'trend',
  title: 'Chandelier Exit',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window', 'mult'],
  outputs: ['chandelier_long', 'chandelier_short'],
  warmup: { chandelier_long: 'window - 1', chandelier_short: 'window - 1' },
  kernel: CHANDELIER_EXIT,
  doc: '`chandelier_long = ROLLMAX(high, n) − (mult·ATR(n))`, `chandelier_short = ROLLMIN(low, n) + (mult·ATR(n))` with the binary64 ATR (no warm-up).',
});

export const donchian = defineIndicator({
  id: 'trend.donchian',
  talib: 'MAX, MIN, MIDPRICE',
  group: 'trend',
  title: 'Donchian Channel',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['donchian_mid', 'donchian_upper', 'donchian_lower'],
  warmup: { donchian_mid: 'window - 1', donchian_upper: 'window - 1', donchian_lower: 'window - 1' },
  kernel: DONCHIAN,
  doc: '`donchian_upper = ROLLMAX(high, n)`, `donchian_lower = ROLLMIN(low, n)`, `donchian_mid = (donchian_upper + donchian_lower)·0.5`.',
});

export const ichimoku = defineIndicator({
  id: 'trend.ichimoku',
  group: 'trend',
  title: 'Ichimoku Cloud',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'conversion_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
    { name: 'base_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'span_b_window', kind: 'int', min: 2, max: 2000, step: 1, default: 52 },
    { name: 'displacement', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
  ],
  axes: ['conversion_window', 'base_window', 'span_b_window', 'displacement'],
  outputs: ['span_a', 'conversion', 'base', 'span_b', 'lagging'],
  warmup: {
    span_a: 'max(0, max(conversion_window, base_window) - 1 - displacement)',
    conversion: 'conversion_window - 1',
    base: 'base_window - 1',
    span_b: 'max(0, span_b_window - 1 - displacement)',
    lagging: 'displacement',
  },
  trailingNan: { span_a: 'displacement', span_b: 'displacement' },
  kernel: ICHIMOKU,
  doc: 'Tenkan/kijun mid-ranges `(ROLLMAX(high, w) + ROLLMIN(low, w))·0.5`; spans shifted back (`span[t]` = value at `t + displacement`, look-ahead, last `displacement` bars NaN), `lagging[t] = close[t − displacement]`.',
});

export const keltner = defineIndicator({
  id: 'trend.keltner',
  group: 'trend',
  title: 'Keltner Channel',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window', 'mult'],
  outputs: ['middle', 'upper', 'lower'],
  warmup: { middle: '0', upper: '0', lower: '0' },
  outputParams: { middle: ['window'] },
  kernel: KELTNER,
  doc: '`middle = EMA(TP, n)` (TP = ((high + low) + close) / 3 in binary64); `A = ATR(n)`; `upper = middle + (mult·A)`; `lower = middle − (mult·A)`.',
});

export const linreg_slope = defineIndicator({
  id: 'trend.linreg_slope',
  talib: 'LINEARREG_SLOPE',
  group: 'trend',
  title: 'Linear Regression Slope',
  inputs: ['source'],
  sourceValues: SRC6,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['source', 'window'],
  outputs: ['slope'],
  warmup: { slope: 'window - 1' },
  kernel: LINREG_SLOPE,
  doc: 'Least-squares slope of the last `n` values against `x = 0, 1, …, n−1` (oldest bar x = 0), per window, direct sums.',
});

export const psar = defineIndicator({
  id: 'trend.psar',
  talib: 'SAR, SAREXT',
  group: 'trend',
  title: 'Parabolic SAR',
  inputs: ['high', 'low'],
  sourceValues: null,
  params: [
    { name: 'accel_start', kind: 'float', min: 0.001, max: 1, step: 0.001, default: 0.02 },
    { name: 'accel_step', kind: 'float', min: 0.001, max: 1, step: 0.001, default: 0.02 },
    { name: 'accel_max', kind: 'float', min: 0.01, max: 5, step: 0.01, default: 0.2 },
  ],
  axes: ['accel_max', 'accel_start', 'accel_step'],
  outputs: ['psar', 'psar_dir'],
  warmup: { psar: '0', psar_dir: '0' },
  variantRule: {
    description: 'accel_max >= accel_start',
    test: (v) => (v.accel_max as number) >= (v.accel_start as number),
  },
  kernel: PSAR,
  doc: 'Wilder parabolic SAR: always starts long at the first valid bar, clamps against the previous bar only, af += accel_step up to accel_max.',
});

export const supertrend = defineIndicator({
  id: 'trend.supertrend',
  group: 'trend',
  title: 'SuperTrend',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window', 'mult'],
  outputs: ['supertrend', 'supertrend_dir'],
  warmup: { supertrend: '0', supertrend_dir: '0' },
  kernel: SUPERTREND,
  doc: 'Final bands around MID ± mult·ATR(n) (binary64 ATR, no warm-up); direction +1 while the close stays above the lower band.',
});

export const vortex = defineIndicator({
  id: 'trend.vortex',
  group: 'trend',
  title: 'Vortex Indicator',
  inputs: ['high', 'low', 'close'],
  sourceValues: null,
  params: [{ name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 }],
  axes: ['window'],
  outputs: ['vi_plus', 'vi_minus'],
  warmup: { vi_plus: 'window', vi_minus: 'window' },
  kernel: VORTEX,
  doc: '`vi_plus = ROLLSUM(|high − low[t−1]|, n) / ROLLSUM(TR, n)`, `vi_minus = ROLLSUM(|low − high[t−1]|, n) / ROLLSUM(TR, n)`, NaN where the TR sum is 0.',
});
