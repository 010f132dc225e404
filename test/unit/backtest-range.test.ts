/**
 * Stage A of a range of variants (a backtest job's unit) and Stage B without a Stage A
 * (`engine.backtestReplay`): the same bits as the whole run, on every range boundary, both builds.
 */
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import { StrategyValidationError } from '../../src/errors.js';
import type { StrategySpec } from '../../src/strategies/types.js';
import { crashAndRecovery } from '../helpers/backtest-series.js';
import { candlesOf, engineOf } from '../helpers/engine.js';

const candles = candlesOf(crashAndRecovery());
const strategy: StrategySpec = { id: 'ma_cross', params: { ma: ['ma.ema', 'ma.sma'], fast: [3, 5, 8], slow: [10, 20, 30] } };
const execution = { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 1 } as const;

describe('engine.backtestRange', () => {
  for (const build of ['wasm-simd', 'wasm-scalar'] as const) {
    it(`${build}: every range's metrics are the whole run's, bit for bit`, async () => {
      const engine = engineOf(build);
      const whole = await engine.backtest({ candles, strategy, execution });
      const V = whole.variants;
      expect(V).toBe(18);
      for (const [start, end] of [
        [0, V],
        [0, 1],
        [1, 4],
        [5, 12],
        [17, 18],
        [3, 16],
      ] as const) {
        const part = await engine.backtestRange({ candles, strategy, execution }, start, end);
        expect([part.start, part.end, part.variants]).toEqual([start, end, V]);
        for (const m of METRIC_NAMES) {
          expect(part.metrics[m].length).toBe(end - start);
          for (let i = 0; i < end - start; i++)
            expect(Object.is(part.metrics[m][i], whole.metrics[m][start + i]), `${m} of ${start + i}`).toBe(true);
        }
      }
    });
  }
  it('refuses a range outside the grid with a typed error naming it', async () => {
    const engine = engineOf('wasm-simd');
    for (const [s, e] of [
      [0, 19],
      [-1, 3],
      [4, 4],
      [2.5, 3],
    ]) {
      await expect(engine.backtestRange({ candles, strategy, execution }, s!, e!)).rejects.toThrow(StrategyValidationError);
      await expect(engine.backtestRange({ candles, strategy, execution }, s!, e!)).rejects.toThrow(/variantRange/);
    }
  });
});

describe('engine.backtestReplay', () => {
  it("replays chosen variants as the result's own replay does: metrics, trades, keys", async () => {
    const engine = engineOf('wasm-simd');
    const whole = await engine.backtest({ candles, strategy, execution, holdout: { fraction: 0.3 } });
    const variants = [17, 0, 9, 4];
    const mine = await whole.replay(variants);
    const got = await engine.backtestReplay({ candles, strategy, execution, holdout: { fraction: 0.3 }, variants });
    expect(got.map((r) => r.variant)).toEqual(variants);
    expect(got.map((r) => r.key)).toEqual(variants.map((v) => whole.variantKey(v)));
    got.forEach((r, i) => {
      for (const m of METRIC_NAMES) {
        expect(Object.is(r.metrics[m], whole.metrics[m][variants[i]!]), m).toBe(true);
        expect(Object.is(r.out_of_sample!.metrics[m], mine[i]!.out_of_sample!.metrics[m]), `${m} out of sample`).toBe(true);
      }
      expect(r.trades_json).toBe(mine[i]!.trades_json);
      expect(r.trades.length).toBe(whole.metrics.trades[variants[i]!]);
    });
  });
  it('refuses a variant outside the grid, or no list, naming it', async () => {
    const engine = engineOf('wasm-simd');
    await expect(engine.backtestReplay({ candles, strategy, execution, variants: [0, 18] })).rejects.toThrow(/variants\[1\]/);
    await expect(engine.backtestReplay({ candles, strategy, execution, variants: [0, 18] })).rejects.toThrow(StrategyValidationError);
    await expect(engine.backtestReplay({ candles, strategy, execution } as never)).rejects.toThrow(/variants/);
    await expect(engine.backtestReplay({ candles, strategy, execution, variants: [1], top: 3 } as never)).rejects.toThrow(/top/);
  });
});
