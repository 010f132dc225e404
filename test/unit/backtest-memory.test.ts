/**
 * The scoring memory an engine keeps between backtests: a later backtest takes it when it is large
 * enough, and must give the same bits as on a fresh engine, whatever the earlier backtests left in
 * it (other series, other tables, other lengths).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { scoringMemoryCache } from '../../src/backtest/kernel.js';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import type { BacktestRequest } from '../../src/backtest/run.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { crashAndRecovery } from '../helpers/backtest-series.js';
import { candlesOf } from '../helpers/engine.js';
import { randomWalk, withHoles } from '../helpers/series.js';

const PAGE = 65536;
const memory = (pages: number) => new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });

describe('scoringMemoryCache', () => {
  it('hands back the kept memory when it is large enough, once', () => {
    const cache = scoringMemoryCache(10 * PAGE);
    const m = memory(4);
    cache.give(m);
    expect(cache.take(4 * PAGE)).toBe(m);
    expect(cache.take(PAGE)).toBeNull();
  });

  it('drops a kept memory too small for the request', () => {
    const cache = scoringMemoryCache(10 * PAGE);
    cache.give(memory(2));
    expect(cache.take(3 * PAGE)).toBeNull();
    expect(cache.take(PAGE)).toBeNull();
  });

  it('keeps the larger of two and nothing over its limit', () => {
    const cache = scoringMemoryCache(10 * PAGE);
    const big = memory(6);
    cache.give(big);
    cache.give(memory(3));
    expect(cache.take(PAGE)).toBe(big);
    cache.give(memory(11));
    expect(cache.take(PAGE)).toBeNull();
    cache.give(big);
    cache.clear();
    expect(cache.take(PAGE)).toBeNull();
  });
});

describe('an engine that kept the memory of earlier backtests', () => {
  const opened: Engine[] = [];
  const engine = (threads: number): Engine => {
    const e = createEngine({ env: 'test', engine: 'wasm-simd', threads, onWarning: () => undefined });
    opened.push(e);
    return e;
  };
  afterAll(async () => {
    await Promise.all(opened.map((e) => e.close()));
  });
  const walk = candlesOf(randomWalk(100_000, 5));
  const holes = candlesOf(withHoles());
  const crash = candlesOf(crashAndRecovery());
  const execution = { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 1 } as const;
  // largest first, so every later one runs in a memory that held other series and tables
  const REQUESTS: BacktestRequest[] = [
    { candles: walk, strategy: { id: 'bbands_revert', params: { window: [10, 20, 30, 40], mult: [1.5, 2, 2.5] } }, execution },
    { candles: crash, strategy: { id: 'ma_cross', params: { ma: ['ma.ema'], fast: [5, 8, 13], slow: [21, 34] } }, execution },
    { candles: holes, strategy: { id: 'rsi_revert', params: { window: [5, 14], lower: [25, 30], upper: [70] } }, execution },
    { candles: walk, strategy: { id: 'zscore_revert' }, execution: { ...execution, fill: 'close' } },
    { candles: crash, strategy: { id: 'donchian_breakout' }, execution },
  ];

  for (const threads of [1, 2]) {
    it(`gives every metric the bits of a fresh engine (threads ${threads})`, async () => {
      const reused = engine(threads);
      for (const req of REQUESTS) {
        const got = await reused.backtest({ ...req, filters: { min_trades: 0 } });
        if (req === REQUESTS[0]) expect(got.stats.threads).toBe(threads);
        const fresh = engine(threads);
        const want = await fresh.backtest({ ...req, filters: { min_trades: 0 } });
        await fresh.close();
        for (const m of METRIC_NAMES) {
          for (let v = 0; v < want.variants; v++) {
            expect(Object.is(got.metrics[m][v], want.metrics[m][v]), `${req.strategy.id} ${m} of variant ${v}`).toBe(true);
          }
        }
        expect(
          want.metrics.trades.some((x) => x > 0),
          req.strategy.id,
        ).toBe(true);
      }
    }, 120_000);
  }
});
