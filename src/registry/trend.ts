/** Registry definitions of the `trend` group (indicators.md). Numbers come from the spec's indicators.yaml. */
import { defineIndicator, SRC6 } from './types.js';

export const adx = defineIndicator({
  id: 'trend.adx', group: 'trend', title: 'Average Directional Index',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'smoothing', kind: 'int', min: 2, max: 2000, step: 1, default: 14 },
  ],
  axes: ['window','smoothing'], outputs: ['adx','plus_di','minus_di'],
  warmup: { adx: '1', plus_di: '0', minus_di: '0' },
  kernel: null,
  doc: 'Directional movement per bar: if `high[t]` or `low[t]` is NaN → `PDM = MDM = NaN`; else if `t = 0` or `high[t−1]` or `low[t−1]` is NaN → `PDM = MDM = 0`; else `up = high[t] − high[t−1]`, `dn = low[t−1] − low[t]`, `PDM = up` if `up > dn` and `up > 0` else `0`, `MDM = dn` if `dn > up` and `dn > 0` else `0`.',
});

export const aroon = defineIndicator({
  id: 'trend.aroon', group: 'trend', title: 'Aroon',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['aroon_osc','aroon_up','aroon_down'],
  warmup: { aroon_osc: 'window - 1', aroon_up: 'window - 1', aroon_down: 'window - 1' },
  kernel: null,
  doc: '`SH = AGE_MAX(high, n)`, `SL = AGE_MIN(low, n)` (bars since the most recent extreme within the last `n` bars; ties → most recent).',
});

export const chandelier_exit = defineIndicator({
  id: 'trend.chandelier_exit', group: 'trend', title: 'Chandelier Exit',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window','mult'], outputs: ['chandelier_long','chandelier_short'],
  warmup: { chandelier_long: 'window - 1', chandelier_short: 'window - 1' },
  kernel: null,
  doc: '`A = ATR(n)` (binary64).',
});

export const donchian = defineIndicator({
  id: 'trend.donchian', group: 'trend', title: 'Donchian Channel',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['donchian_mid','donchian_upper','donchian_lower'],
  warmup: { donchian_mid: 'window - 1', donchian_upper: 'window - 1', donchian_lower: 'window - 1' },
  kernel: null,
  doc: '`donchian_upper = ROLLMAX(high, n)`, `donchian_lower = ROLLMIN(low, n)`, `donchian_mid = (donchian_upper + donchian_lower)·0.5`.',
});

export const ichimoku = defineIndicator({
  id: 'trend.ichimoku', group: 'trend', title: 'Ichimoku Cloud',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'conversion_window', kind: 'int', min: 2, max: 2000, step: 1, default: 9 },
    { name: 'base_window', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
    { name: 'span_b_window', kind: 'int', min: 2, max: 2000, step: 1, default: 52 },
    { name: 'displacement', kind: 'int', min: 2, max: 2000, step: 1, default: 26 },
  ],
  axes: ['conversion_window','base_window','span_b_window','displacement'], outputs: ['span_a','conversion','base','span_b','lagging'],
  warmup: { span_a: 'max(0, max(conversion_window, base_window) - 1 - displacement)', conversion: 'conversion_window - 1', base: 'base_window - 1', span_b: 'max(0, span_b_window - 1 - displacement)', lagging: 'displacement' },
  trailingNan: { span_a: 'displacement', span_b: 'displacement' },
  kernel: null,
  doc: '`conversion = (ROLLMAX(high, cw) + ROLLMIN(low, cw))·0.5`; `base = (ROLLMAX(high, bw) + ROLLMIN(low, bw))·0.5` (cw = conversion_window, bw = base_window, sbw = span_b_window, d = displacement).',
});

export const keltner = defineIndicator({
  id: 'trend.keltner', group: 'trend', title: 'Keltner Channel',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window','mult'], outputs: ['middle','upper','lower'],
  warmup: { middle: '0', upper: '0', lower: '0' },
  kernel: null,
  doc: '`middle = EMA(TP, n)` (TP in binary64, §2.9); `A = ATR(n)`; `upper = middle + (mult·A)`; `lower = middle − (mult·A)`.',
});

export const linreg_slope = defineIndicator({
  id: 'trend.linreg_slope', group: 'trend', title: 'Linear Regression Slope',
  inputs: ['source'], sourceValues: SRC6,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['source','window'], outputs: ['slope'],
  warmup: { slope: 'window - 1' },
  kernel: null,
  doc: 'Least-squares slope of the last `n` values against `x = 0, 1, …, n−1` (oldest bar x = 0), per window, direct sums.',
});

export const psar = defineIndicator({
  id: 'trend.psar', group: 'trend', title: 'Parabolic SAR',
  inputs: ['high','low'], sourceValues: null,
  params: [
    { name: 'accel_start', kind: 'float', min: 0.001, max: 1, step: 0.001, default: 0.02 },
    { name: 'accel_step', kind: 'float', min: 0.001, max: 1, step: 0.001, default: 0.02 },
    { name: 'accel_max', kind: 'float', min: 0.01, max: 5, step: 0.01, default: 0.2 },
  ],
  axes: ['accel_max','accel_start','accel_step'], outputs: ['psar','psar_dir'],
  warmup: { psar: '0', psar_dir: '0' },
  variantRule: {
    description: 'accel_max >= accel_start',
    test: (v) => (v.accel_max as number) >= (v.accel_start as number),
  },
  kernel: null,
  doc: 'Wilder parabolic SAR: always starts long at the first valid bar, clamps against the previous bar only, af += accel_step up to accel_max.',
});

export const supertrend = defineIndicator({
  id: 'trend.supertrend', group: 'trend', title: 'SuperTrend',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: 2 },
  ],
  axes: ['window','mult'], outputs: ['supertrend','supertrend_dir'],
  warmup: { supertrend: '0', supertrend_dir: '0' },
  kernel: null,
  doc: 'Final bands around MID ± mult·ATR(n) (binary64 ATR, no warm-up); direction +1 while the close stays above the lower band.',
});

export const vortex = defineIndicator({
  id: 'trend.vortex', group: 'trend', title: 'Vortex Indicator',
  inputs: ['high','low','close'], sourceValues: null,
  params: [
    { name: 'window', kind: 'int', min: 2, max: 2000, step: 1, default: 20 },
  ],
  axes: ['window'], outputs: ['vi_plus','vi_minus'],
  warmup: { vi_plus: 'window', vi_minus: 'window' },
  kernel: null,
  doc: '`VMP[t] = |high[t] − low[t−1]|`, `VMM[t] = |low[t] − high[t−1]|`; NaN at `t = 0` or where an operand is NaN.',
});
