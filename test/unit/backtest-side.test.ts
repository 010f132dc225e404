/**
 * A backtest compiles only the signals its side reads (the short rules are left out with side
 * long, and their series never computed): every metric must be the same bits as the reference run
 * over the whole program, the four signals included, for each side and fill.
 */
import { describe, expect, it } from 'vitest';
import { barInputs, validRows } from '../../src/backtest/bars.js';
import { horizonOf, metricColumns } from '../../src/backtest/metrics.js';
import { METRIC_NAMES, type Execution } from '../../src/backtest/program.js';
import { referenceAccumulators } from '../../src/backtest/reference.js';
import { operandSeries } from '../../src/backtest/series.js';
import { compileStrategy } from '../../src/strategies/index.js';
import type { StrategySpec } from '../../src/strategies/types.js';
import { crashAndRecovery } from '../helpers/backtest-series.js';
import { candlesOf, engineOf } from '../helpers/engine.js';

const candles = candlesOf(crashAndRecovery());
const STRATEGIES: StrategySpec[] = [
  { id: 'bbands_revert', params: { window: [10, 20, 35], mult: [1.5, 2, 2.5] } },
  { id: 'zscore_revert', params: { window: [20, 50], entry: [1.5, 2], exit: [0, 0.5] } },
  { id: 'ma_cross', params: { ma: ['ma.ema'], fast: [5, 10], slow: [20, 50] } },
];

describe('a backtest reads only the signals of its side', () => {
  for (const strategy of STRATEGIES) {
    for (const side of ['long', 'short'] as const) {
      for (const fill of ['next_open', 'close'] as const) {
        it(`${strategy.id}, side ${side}, fill ${fill}: the same bits as the reference over all four signals`, async () => {
          const exec: Execution = { side, fill, fee_bps: 5, slippage_bps: 2, annualization: null };
          const whole = compileStrategy(strategy);
          const pruned = compileStrategy(strategy, undefined, side);
          // the bands of the other side go; ma_cross and zscore_revert read the same series on both sides
          if (strategy.id === 'bbands_revert') expect(pruned.series.length).toBeLessThan(whole.series.length);
          const other = side === 'long' ? 'short' : 'long';
          expect([pruned.signals[`${other}_entry`], pruned.signals[`${other}_exit`]]).toEqual([null, null]);
          const series = await operandSeries(whole.series, candles, (r) => engineOf('reference').compute(r), {});
          const bars = barInputs(candles, series, 0, candles.t, validRows(candles));
          const V = whole.variants;
          const want = metricColumns(referenceAccumulators(whole, bars, exec, 0, V), V, horizonOf(bars, exec));
          const res = await engineOf('wasm-simd').backtest({ candles, strategy, execution: exec, filters: { min_trades: 0 } });
          expect(res.stats.series).toBe(pruned.series.length);
          let trades = 0;
          for (const m of METRIC_NAMES)
            for (let v = 0; v < V; v++) expect(Object.is(res.metrics[m][v], want[m][v]), `${m} of variant ${v}`).toBe(true);
          for (let v = 0; v < V; v++) trades += want.trades[v]!;
          expect(trades).toBeGreaterThan(0);
        });
      }
    }
  }
});
