/**
 * Stage A of engine.backtest on the worker pool, against the built worker (dist/), with the long-work
 * behaviour of a pooled compute: a batch whose worker exits or hangs is scored again on a fresh
 * worker with the same bits (attempts counted), attempts run out as WorkerCrashedError, a trap is a
 * KernelError at once; an abort or engine.close() mid-Stage-A rejects with ComputeCancelled at a
 * batch boundary, nothing partial, no progress afterwards, and the engine (or its pool) keeps working;
 * progress is monotone and complete. Test faults with scope 'stage-a' hit only Stage A batches.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ComputeCancelled, KernelError, WorkerCrashedError } from '../../src/errors.js';
import type { BacktestProgress, BacktestRequest, BacktestResult } from '../../src/backtest/run.js';
import { candlesOf, closingEngines } from '../helpers/engine.js';
import { rejection } from '../helpers/errors.js';
import { metricMismatch } from '../helpers/oracle-backtest.js';
import { randomWalk } from '../helpers/series.js';

process.env.GRIDTA_TEST_FAULTS = '1';

const engine = closingEngines();

// 60 variants × 50,000 bars (3 M variant-bars, over Stage A's in-process floor); its 19 EMA series
// (950,000 values) stay under the pool's minimum for computes, so only Stage A's batches reach the workers
const candles = candlesOf(randomWalk(50_000, 23));
const req: BacktestRequest = {
  candles,
  strategy: { id: 'ma_cross', params: { fast: [5, 8, 13, 21], slow: { mode: 'range', start: 30, stopIncl: 100, step: 5 } } },
  execution: { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 2 },
  batchVariants: 8,
};
const V = 60;
const BATCHES = 8;

let want: BacktestResult;
beforeAll(async () => {
  want = await engine({ threads: 1 }).backtest(req);
  expect(want.variants).toBe(V);
  expect(want.stats.threads).toBe(1);
}, 60_000);

describe('Stage A on the pool', () => {
  it('scores every batch on 2 threads, bit-identical to threads 1, progress monotone and complete', async () => {
    const seen: BacktestProgress[] = [];
    const got = await engine({ threads: 2 }).backtest({ ...req, onProgress: (p) => seen.push(p) });
    expect(got.stats).toMatchObject({ threads: 2, batches: BATCHES, attempts: BATCHES });
    expect(metricMismatch(got, want)).toBeNull();
    const rows = got.stats.rows;
    expect(seen.map((p) => [p.batchesDone, p.batchesTotal, p.total])).toEqual(
      Array.from({ length: BATCHES }, (_, i) => [i + 1, BATCHES, V * rows]),
    );
    // batches finish in any order: each event adds the variants of one batch (8, the last 4) times the rows
    const steps = seen.map((p, i) => (p.processed - (i ? seen[i - 1]!.processed : 0)) / rows);
    expect([...steps].sort((x, y) => x - y)).toEqual([4, 8, 8, 8, 8, 8, 8, 8]);
    expect(seen.at(-1)!.processed).toBe(V * rows);
  });

  it('scores the batch of a worker that exits mid-batch again on a fresh worker, bit for bit, counting the attempts', async () => {
    const got = await engine({ threads: 2, __faults: { batch: 2, times: 2, mode: 'exit', scope: 'stage-a' } }).backtest(req);
    expect(got.stats).toMatchObject({ threads: 2, batches: BATCHES, attempts: BATCHES + 2 });
    expect(metricMismatch(got, want)).toBeNull();
  });

  it('terminates a batch that hangs past the timeout and scores it again', async () => {
    const e = engine({ threads: 2, batchTimeoutMs: 1000, __faults: { batch: 0, times: 1, mode: 'hang', scope: 'stage-a' } });
    const got = await e.backtest(req);
    expect(got.stats).toMatchObject({ threads: 2, attempts: BATCHES + 1 });
    expect(metricMismatch(got, want)).toBeNull();
  }, 30_000);

  it('fails with WorkerCrashedError after max_batch_attempts; the pool still computes', async () => {
    const e = engine({ threads: 2, maxBatchAttempts: 2, __faults: { batch: 1, times: 5, mode: 'exit', scope: 'stage-a' } });
    const err = await rejection(e.backtest(req), WorkerCrashedError);
    expect(err.details).toEqual({
      indicatorId: 'backtest:ma_cross',
      batchIndex: 1,
      variantStart: 8,
      variantEnd: 16,
      attempts: 2,
      cause: 'exit',
    });
    // Stage A faults leave computes alone: a pooled compute on the same engine
    const t = await e.compute({
      candles,
      grid: { indicatorId: 'ma.ema', source: 'close', params: { window: { mode: 'range', start: 5, stopIncl: 40, step: 1 } } },
      batchVariants: 9,
    });
    expect(t.meta).toMatchObject({ threads: 2, attempts: 4 });
  });

  it('reports a trap as KernelError without scoring the batch again', async () => {
    const e = engine({ threads: 2, __faults: { batch: 3, times: 1, mode: 'trap', scope: 'stage-a' } });
    const err = await rejection(e.backtest(req), KernelError);
    expect(err.details).toMatchObject({ indicatorId: 'backtest:ma_cross', batchIndex: 3, variantStart: 24, variantEnd: 32 });
    expect(err.details.message).toMatch(/injected trap/);
  });

  it('leaves Stage A alone with compute-scope faults (the default)', async () => {
    // the operand series compute in-process here, so a compute fault reaches no batch of this backtest
    const got = await engine({ threads: 2, __faults: { batch: 0, times: 5, mode: 'trap' } }).backtest(req);
    expect(got.stats).toMatchObject({ threads: 2, attempts: BATCHES });
    expect(metricMismatch(got, want)).toBeNull();
  });
});

describe('cancel and close mid-Stage-A on the pool', () => {
  it('an abort after the first batch rejects with ComputeCancelled, no progress afterwards; the engine scores again', async () => {
    const e = engine({ threads: 2 });
    const ac = new AbortController();
    const seen: BacktestProgress[] = [];
    const run = e.backtest({
      ...req,
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p);
        ac.abort('stop here');
      },
    });
    const err = await rejection(run, ComputeCancelled);
    expect(err.details.reason).toBe('stop here');
    expect(err.details.total).toBe(V);
    // the batch running beside the first one finishes: at least one batch done, never all
    expect(err.details.processed).toBeGreaterThanOrEqual(8);
    expect(err.details.processed).toBeLessThan(V);
    expect(seen.map((p) => p.batchesDone)).toEqual([1]);
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toHaveLength(1);
    const again = await e.backtest(req);
    expect(again.stats.threads).toBe(2);
    expect(metricMismatch(again, want)).toBeNull();
  });

  it('an abort from the last progress event still cancels: no result once the signal has fired', async () => {
    const ac = new AbortController();
    const run = engine({ threads: 2 }).backtest({
      ...req,
      signal: ac.signal,
      onProgress: (p) => {
        if (p.batchesDone === p.batchesTotal) ac.abort('too late');
      },
    });
    const err = await rejection(run, ComputeCancelled);
    expect(err.details).toEqual({ processed: V, total: V, reason: 'too late' });
  });

  it('engine.close() during Stage A rejects it with ComputeCancelled (engine_closed) and ends the workers', async () => {
    const e = engine({ threads: 2 });
    let closing: Promise<void> | undefined;
    const run = e.backtest({
      ...req,
      onProgress: () => {
        closing ??= e.close();
      },
    });
    const err = await rejection(run, ComputeCancelled);
    expect(err.details.reason).toBe('engine_closed');
    expect(err.details.processed).toBeLessThan(V);
    await closing;
    expect((await rejection(e.backtest(req))).code).toBe('engine_closed');
  });
});
