/**
 * Trend-following templates: crossovers, breakouts and direction flips. Each enters long on the
 * bullish event and short on its mirror; numeric params carry the bounds of the indicator params
 * they feed, so no value inside a template's bounds can fail an indicator's own bounds.
 */
import { registry, type SourceSeries } from '../../registry/index.js';
import type { IndicatorOperand, PriceOperand, StrategyDef } from '../types.js';

/** The moving averages a crossover can use: the `ma.*` ids with a `window` param that read a source. */
const MA_IDS: readonly string[] = registry
  .byGroup('ma')
  .filter((d) => d.sourceValues !== null && d.params.some((p) => p.name === 'window'))
  .map((d) => d.id);

/** The sources every one of `ids` accepts, in the order of the first one's list. */
function commonSources(ids: readonly string[]): SourceSeries[] {
  const lists = ids.map((id) => registry.get(id).sourceValues ?? []);
  return lists[0]!.filter((s) => lists.every((l) => l.includes(s)));
}

const WINDOW = { kind: 'int', min: 2, max: 2000, step: 1 } as const;
const MULT = { kind: 'float', min: 0.1, max: 10, step: 0.01 } as const;

const fastMa: IndicatorOperand = { ind: '$ma', source: '$source', params: { window: '$fast' } };
const slowMa: IndicatorOperand = { ind: '$ma', source: '$source', params: { window: '$slow' } };

export const maCross: StrategyDef = {
  id: 'ma_cross',
  family: 'trend',
  title: 'Moving-average crossover',
  params: [
    { name: 'ma', kind: 'indicator', values: MA_IDS, default: ['ma.ema'], doc: 'The moving average used for both lines.' },
    { name: 'source', kind: 'source', values: commonSources(MA_IDS), default: ['close'] },
    { name: 'fast', ...WINDOW, default: { mode: 'range', start: 5, stopIncl: 50, step: 5 }, doc: 'Window of the fast average.' },
    { name: 'slow', ...WINDOW, default: { mode: 'range', start: 20, stopIncl: 200, step: 20 }, doc: 'Window of the slow average.' },
  ],
  constraints: [['<', '$fast', '$slow']],
  rules: {
    long_entry: ['cross_above', fastMa, slowMa],
    long_exit: ['cross_below', fastMa, slowMa],
    short_entry: ['cross_below', fastMa, slowMa],
    short_exit: ['cross_above', fastMa, slowMa],
  },
  doc: 'Long when the fast moving average crosses above the slow one, out when it crosses back below; short mirrors it.',
};

const MACD_PARAMS = { fast_window: '$fast_window', slow_window: '$slow_window', signal_window: '$signal_window' };
const macdLine: IndicatorOperand = { ind: 'momentum.macd', output: 'macd', source: '$source', params: MACD_PARAMS };
const macdSignal: IndicatorOperand = { ind: 'momentum.macd', output: 'signal', source: '$source', params: MACD_PARAMS };

export const macdCross: StrategyDef = {
  id: 'macd_cross',
  family: 'trend',
  title: 'MACD signal-line crossover',
  params: [
    { name: 'source', kind: 'source', values: commonSources(['momentum.macd']), default: ['close'] },
    { name: 'fast_window', ...WINDOW, default: [8, 12, 16] },
    { name: 'slow_window', ...WINDOW, default: [21, 26, 34] },
    { name: 'signal_window', ...WINDOW, default: [5, 9] },
  ],
  constraints: [['<', '$fast_window', '$slow_window']],
  rules: {
    long_entry: ['cross_above', macdLine, macdSignal],
    long_exit: ['cross_below', macdLine, macdSignal],
    short_entry: ['cross_below', macdLine, macdSignal],
    short_exit: ['cross_above', macdLine, macdSignal],
  },
  doc: 'Long when the MACD line crosses above its signal line, out when it crosses back below; short mirrors it.',
};

const close: PriceOperand = { price: 'close' };
const donchianUpper: IndicatorOperand = { ind: 'trend.donchian', output: 'donchian_upper', params: { window: '$window' }, lag: 1 };
const donchianLower: IndicatorOperand = { ind: 'trend.donchian', output: 'donchian_lower', params: { window: '$exit_window' }, lag: 1 };
const donchianLowerEntry: IndicatorOperand = { ...donchianLower, params: { window: '$window' } };
const donchianUpperExit: IndicatorOperand = { ...donchianUpper, params: { window: '$exit_window' } };

export const donchianBreakout: StrategyDef = {
  id: 'donchian_breakout',
  family: 'trend',
  title: 'Donchian channel breakout',
  params: [
    { name: 'window', ...WINDOW, default: [20, 40, 55], doc: 'Channel window of the breakout.' },
    { name: 'exit_window', ...WINDOW, default: [10, 20], doc: 'Channel window of the exit.' },
  ],
  constraints: [],
  rules: {
    long_entry: ['cross_above', close, donchianUpper],
    long_exit: ['cross_below', close, donchianLower],
    short_entry: ['cross_below', close, donchianLowerEntry],
    short_exit: ['cross_above', close, donchianUpperExit],
  },
  doc: "Long when the close crosses above the previous bar's upper channel, out when it crosses below the previous bar's exit-window lower channel; short mirrors it.",
};

const stDir: IndicatorOperand = { ind: 'trend.supertrend', output: 'supertrend_dir', params: { window: '$window', mult: '$mult' } };

export const supertrendFollow: StrategyDef = {
  id: 'supertrend_follow',
  family: 'trend',
  title: 'SuperTrend direction follower',
  params: [
    { name: 'window', ...WINDOW, default: [7, 10, 14, 20] },
    { name: 'mult', ...MULT, default: { mode: 'range', start: 1, stopIncl: 4, step: 0.5 } },
  ],
  constraints: [],
  rules: {
    long_entry: ['cross_above', stDir, 0],
    long_exit: ['cross_below', stDir, 0],
    short_entry: ['cross_below', stDir, 0],
    short_exit: ['cross_above', stDir, 0],
  },
  doc: 'Long when the SuperTrend direction turns up (crosses above 0), out when it turns down; short mirrors it.',
};

const ADX_PARAMS = { window: '$window', smoothing: '$smoothing' };
const plusDi: IndicatorOperand = { ind: 'trend.adx', output: 'plus_di', params: ADX_PARAMS };
const minusDi: IndicatorOperand = { ind: 'trend.adx', output: 'minus_di', params: ADX_PARAMS };
const adx: IndicatorOperand = { ind: 'trend.adx', output: 'adx', params: ADX_PARAMS };

export const adxDiCross: StrategyDef = {
  id: 'adx_di_cross',
  family: 'trend',
  title: 'Directional-index crossover with an ADX filter',
  params: [
    { name: 'window', ...WINDOW, default: [14, 20], doc: 'Window of the directional indices.' },
    { name: 'smoothing', ...WINDOW, default: [14, 20], doc: 'Smoothing of the ADX.' },
    { name: 'threshold', kind: 'float', min: 0, max: 100, step: 0.01, default: [20, 25, 30], doc: 'The ADX level a trend must exceed.' },
  ],
  constraints: [],
  rules: {
    long_entry: ['all', ['cross_above', plusDi, minusDi], ['above', adx, '$threshold']],
    long_exit: ['cross_below', plusDi, minusDi],
    short_entry: ['all', ['cross_below', plusDi, minusDi], ['above', adx, '$threshold']],
    short_exit: ['cross_above', plusDi, minusDi],
  },
  doc: 'Long when +DI crosses above −DI while the ADX is above the threshold, out when +DI crosses back below; short mirrors it.',
};

export const TREND_TEMPLATES: readonly StrategyDef[] = [maCross, macdCross, donchianBreakout, supertrendFollow, adxDiCross];
