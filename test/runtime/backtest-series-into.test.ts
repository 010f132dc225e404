/**
 * A backtest computes its indicator series straight into its scoring memory, piece by piece, each
 * piece's outputs where the layout put them; a piece starts over the cells of the piece before that
 * no series reads (bbands' basis is read at one mult of each window). In many small pieces, in
 * process and on the pool (each piece over the pool's minimum), the metrics equal the reference's
 * bit for bit, and those of one piece per group.
 */
import { describe, expect, it } from 'vitest';
import type { BacktestRequest } from '../../src/backtest/run.js';
import { seriesComputes } from '../../src/backtest/series.js';
import { POOL_MIN_VALUES } from '../../src/compute/plan.js';
import { registry } from '../../src/registry/index.js';
import { compileStrategy } from '../../src/strategies/index.js';
import { ConfigError } from '../../src/errors.js';
import { candlesOf, closingEngines } from '../helpers/engine.js';
import { metricMismatch } from '../helpers/oracle-backtest.js';
import { randomWalk } from '../helpers/series.js';

process.env.GRIDTA_TEST_FAULTS = '1';

const engine = closingEngines();
const T = 50_000;
const candles = candlesOf(randomWalk(T, 29));
const strategy = {
  id: 'bbands_revert',
  params: { window: { mode: 'range' as const, start: 10, stopIncl: 50, step: 1 }, mult: [1.5, 2, 2.5] },
};
// a window's three mults of two outputs (lower, basis) take 1.2 MB: pieces of four windows (4.8 MB,
// 1.2 M values), the last of five
const PIECE = 6_000_000;

describe('operand series computed into the scoring memory', () => {
  it('cuts the grid into pieces whose unread basis cells trail each piece', () => {
    const program = compileStrategy(strategy, registry, 'long');
    const pieces = seriesComputes(program.series, T, PIECE);
    expect(pieces.map((p) => p.variants)).toEqual([12, 12, 12, 12, 12, 12, 12, 12, 12, 15]);
    for (const p of pieces) {
      expect(p.outputs).toEqual(['lower', 'basis']);
      expect(p.variants * 2 * T).toBeGreaterThanOrEqual(POOL_MIN_VALUES);
      // every lower; the basis of the first mult only, then cells no series reads
      const held = p.holds.map((k) => k >= 0);
      const windows = p.variants / 3;
      expect(held).toEqual([...Array(p.variants + windows).fill(true), ...Array(2 * windows).fill(false)]);
    }
  });

  for (const side of ['long', 'both'] as const) {
    it(`side ${side}: in pieces, in process and on 2 threads, equals the reference and one piece per group`, async () => {
      const req: BacktestRequest = { candles, strategy, execution: { side, fill: 'next_open', fee_bps: 5 } };
      const want = await engine({ engine: 'reference' }).backtest(req);
      const whole = await engine({ threads: 1 }).backtest(req);
      const pieces = await engine({ threads: 1, __seriesPieceBytes: PIECE }).backtest(req);
      const pooled = await engine({ threads: 2, __seriesPieceBytes: PIECE }).backtest(req);
      expect(want.variants).toBe(123);
      for (const [name, got] of Object.entries({ whole, pieces, pooled })) expect(metricMismatch(got, want), name).toBeNull();
    }, 120_000);
  }

  it('takes __seriesPieceBytes only as a positive integer', () => {
    expect(() => engine({ __seriesPieceBytes: 0 })).toThrow(ConfigError);
    expect(() => engine({ __seriesPieceBytes: 1.5 })).toThrow(ConfigError);
  });
});
