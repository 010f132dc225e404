/**
 * Stage A runs in time blocks of 256 rows and skips the definedness compares of a comparison whose
 * series hold no NaN on the rows the block reads. A lagged operand reads the rows before the block:
 * a hole on the last row of a block must leave the next block's first comparison undefined (so a
 * `not` over it is not true there), on every engine, as in the reference.
 */
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import type { BacktestRequest } from '../../src/backtest/run.js';
import { candlesOf, engineOf } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

describe('a lagged operand across a block boundary', () => {
  const walk = randomWalk(1200, 29);
  // holes on the last row of the first and third blocks (rows 255 and 767)
  for (const row of [255, 767]) for (const k of ['open', 'high', 'low', 'close'] as const) walk[k][row] = Number.NaN;
  const candles = candlesOf(walk);
  const mid = walk.close[600]!;
  const strategy = {
    id: 'custom',
    params: [
      { name: 'level', kind: 'float', min: 0, max: 1e6, default: [mid * 0.98, mid, mid * 1.02] },
      { name: 'up', kind: 'float', min: 0, max: 1e6, default: [mid * 1.01] },
    ],
    rules: {
      // enters when yesterday's close is not above the level: never on the bar after a hole (the
      // comparison is undefined there), and a constant side keeps the hole the only NaN it reads
      long_entry: ['not', ['above', { price: 'close', lag: 1 }, '$level']],
      long_exit: ['above', { price: 'close' }, '$up'],
    },
  } as const;

  it('gives the reference bits on both builds, and the hole changes the result', async () => {
    for (const fill of ['close', 'next_open'] as const) {
      const req: BacktestRequest = {
        candles,
        strategy: strategy as never,
        execution: { side: 'long', fill, fee_bps: 5 },
        filters: { min_trades: 0 },
      };
      const want = await engineOf('reference').backtest(req);
      for (const engine of ['wasm-simd', 'wasm-scalar'] as const) {
        const got = await engineOf(engine).backtest(req);
        for (const m of METRIC_NAMES)
          for (let v = 0; v < want.variants; v++)
            expect(Object.is(got.metrics[m][v], want.metrics[m][v]), `${engine} ${fill} ${m} of ${v}`).toBe(true);
      }
      expect(want.metrics.trades.some((x) => x > 0)).toBe(true);
      // the entries the rule refuses on the bars after the holes: their trades start elsewhere
      const replay = await want.replay([0]);
      expect(replay[0]!.trades.map((t) => t.entry_bar)).not.toContain(fill === 'close' ? 256 : 257);
    }
  });
});
