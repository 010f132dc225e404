/**
 * Mean-reversion templates: enter when an oscillator or the price comes back from an extreme, exit
 * at the middle (or the opposite extreme). Short rules mirror the long ones around the middle.
 */
import { registry, type SourceSeries } from '../../registry/index.js';
import type { IndicatorOperand, PriceOperand, StrategyDef } from '../types.js';

const sourcesOf = (id: string): SourceSeries[] => [...(registry.get(id).sourceValues ?? [])];
const WINDOW = { kind: 'int', min: 2, max: 2000, step: 1 } as const;
const close: PriceOperand = { price: 'close' };

const rsi: IndicatorOperand = { ind: 'momentum.rsi', source: '$source', params: { window: '$window' } };
const LEVEL = { kind: 'float', min: 0, max: 100, step: 0.01 } as const;

export const rsiRevert: StrategyDef = {
  id: 'rsi_revert',
  family: 'revert',
  title: 'RSI reversion',
  params: [
    { name: 'source', kind: 'source', values: sourcesOf('momentum.rsi'), default: ['close'] },
    { name: 'window', ...WINDOW, default: [7, 14, 21] },
    { name: 'lower', ...LEVEL, default: [20, 25, 30], doc: 'Oversold level.' },
    { name: 'upper', ...LEVEL, default: [70, 75, 80], doc: 'Overbought level.' },
  ],
  constraints: [['<', '$lower', '$upper']],
  rules: {
    long_entry: ['cross_above', rsi, '$lower'],
    long_exit: ['cross_above', rsi, '$upper'],
    short_entry: ['cross_below', rsi, '$upper'],
    short_exit: ['cross_below', rsi, '$lower'],
  },
  doc: 'Long when the RSI crosses back above the oversold level, out when it crosses above the overbought level; short mirrors it.',
};

const BB_PARAMS = { window: '$window', mult: '$mult' };
const bband = (output: string): IndicatorOperand => ({ ind: 'volatility.bbands', output, source: '$source', params: BB_PARAMS });

export const bbandsRevert: StrategyDef = {
  id: 'bbands_revert',
  family: 'revert',
  title: 'Bollinger Bands reversion',
  params: [
    { name: 'source', kind: 'source', values: sourcesOf('volatility.bbands'), default: ['close'] },
    { name: 'window', ...WINDOW, default: { mode: 'range', start: 10, stopIncl: 50, step: 10 } },
    { name: 'mult', kind: 'float', min: 0.1, max: 10, step: 0.01, default: [1.5, 2, 2.5] },
  ],
  constraints: [],
  rules: {
    long_entry: ['cross_above', close, bband('lower')],
    long_exit: ['cross_above', close, bband('basis')],
    short_entry: ['cross_below', close, bband('upper')],
    short_exit: ['cross_below', close, bband('basis')],
  },
  doc: 'Long when the close crosses back above the lower band, out when it crosses above the basis; short mirrors it at the upper band.',
};

const zscore: IndicatorOperand = { ind: 'structure.zscore', source: '$source', params: { window: '$window' } };

export const zscoreRevert: StrategyDef = {
  id: 'zscore_revert',
  family: 'revert',
  title: 'Z-score reversion',
  params: [
    { name: 'source', kind: 'source', values: sourcesOf('structure.zscore'), default: ['close'] },
    { name: 'window', ...WINDOW, default: [20, 50, 100] },
    {
      name: 'entry',
      kind: 'float',
      min: 0,
      max: 10,
      step: 0.01,
      default: [1.5, 2, 2.5],
      doc: 'Entry distance from the mean, in deviations.',
    },
    { name: 'exit', kind: 'float', min: -10, max: 10, step: 0.01, default: [0, 0.5], doc: 'Exit distance from the mean, in deviations.' },
  ],
  constraints: [['<', '$exit', '$entry']],
  rules: {
    long_entry: ['cross_above', zscore, '-$entry'],
    long_exit: ['cross_above', zscore, '-$exit'],
    short_entry: ['cross_below', zscore, '$entry'],
    short_exit: ['cross_below', zscore, '$exit'],
  },
  doc: 'Long when the z-score crosses back above −entry, out when it crosses above −exit; short mirrors it at +entry and +exit.',
};

export const REVERT_TEMPLATES: readonly StrategyDef[] = [rsiRevert, bbandsRevert, zscoreRevert];
