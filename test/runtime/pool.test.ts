/**
 * Worker pool wiring against the built worker (dist/): bit-identical results for
 * any thread count and batch size, cancellation at batch boundaries, crash recovery, traps, timeouts.
 */
import { describe, expect, it } from 'vitest';
import { ComputeCancelled, KernelError, WorkerCrashedError } from '../../src/errors.js';
import { createEngine } from '../../src/runtime/engine.js';
import type { GridSpec } from '../../src/grid/types.js';
import { candlesOf, firstBitDiff, closingEngines } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

process.env.GRIDTA_TEST_FAULTS = '1';

const candles = candlesOf(randomWalk(20_000, 5));
const grid: GridSpec = {
  indicatorId: 'ma.ema',
  source: ['close', 'hlc3'],
  params: { window: { mode: 'range', start: 5, stopIncl: 64, step: 1 } },
}; // V = 120, T·V = 2.4M
const engine = closingEngines();

describe('worker pool', () => {
  it('gives bit-identical results for threads 1, 2 and 3 and batch sizes 1, 7 and all', async () => {
    const want = await engine({ threads: 1 }).compute({ candles, grid });
    expect(want.meta.threads).toBe(1);
    for (const threads of [2, 3]) {
      const e = engine({ threads });
      for (const batchVariants of [1, 7, 120]) {
        const got = await e.compute({ candles, grid, batchVariants });
        expect(firstBitDiff(got.values, want.values), `threads ${threads} batch ${batchVariants}`).toBe(-1);
        expect(got.meta.threads).toBe(batchVariants === 120 ? 1 : threads); // a single batch runs in-process
      }
    }
  });

  describe('time pieces (TIME_MAJOR ema, automatic batches, a long series)', () => {
    const long = randomWalk(90_000, 9);
    for (const i of [3, 4, 29_000, 29_951, 29_952, 44_000]) long.close[i] = NaN;
    const lc = candlesOf(long);
    const lg: GridSpec = {
      indicatorId: 'ma.ema',
      source: ['close', 'hlc3'],
      params: { window: { mode: 'range', start: 2, stopIncl: 20, step: 1 } },
    }; // warm-up 4096 + 128·20 bars, V = 38

    it('give results bit-identical to one thread, one piece per worker, and progress that ends at every variant', async () => {
      const want = await engine({ threads: 1 }).compute({ candles: lc, grid: lg });
      for (const threads of [2, 3]) {
        const seen: number[] = [];
        const got = await engine({ threads }).compute({ candles: lc, grid: lg, onProgress: (p) => seen.push(p.processed) });
        expect(firstBitDiff(got.values, want.values), `threads ${threads}`).toBe(-1);
        expect(got.meta).toMatchObject({ threads, batches: threads, batchVariants: 38 });
        expect(seen).toHaveLength(threads);
        expect(seen[seen.length - 1]).toBe(38);
        for (let k = 1; k < seen.length; k++) expect(seen[k]!).toBeGreaterThan(seen[k - 1]!);
      }
    });

    it('recompute the piece of a worker that exits mid-piece, bit for bit', async () => {
      const want = await engine({ threads: 1 }).compute({ candles: lc, grid: lg });
      const got = await engine({ threads: 2, __faults: { batch: 1, times: 1, mode: 'exit' } }).compute({ candles: lc, grid: lg });
      expect(firstBitDiff(got.values, want.values)).toBe(-1);
      expect(got.meta.batches).toBe(2);
      expect(got.meta.attempts).toBe(3);
    });
  });

  it('backs pooled outputs with a SharedArrayBuffer', async () => {
    const t = await engine({ threads: 2 }).compute({ candles, grid, batchVariants: 16 });
    expect(t.meta.threads).toBe(2);
    expect(t.values.buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it('runs small grids in-process even with a pool', async () => {
    const t = await engine({ threads: 2 }).compute({
      candles: candlesOf(randomWalk(1000, 2)),
      grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: [5, 10, 20, 30] } },
    });
    expect(t.meta.threads).toBe(1);
  });

  it('warms up every worker once and a second warmup returns the same report', async () => {
    const e = engine({ threads: 2 });
    const a = await e.warmup();
    const b = await e.warmup();
    expect(b).toBe(a);
    expect(a.threads).toBe(2);
    expect(a.workers).toHaveLength(2);
    for (const w of a.workers) expect(w.kernels).toBe(a.kernels.length);
  });

  it('cancels between batches: rejects with the processed count and reports no progress afterwards', async () => {
    const e = engine({ threads: 2 });
    const ac = new AbortController();
    const seen: number[] = [];
    const p = e.compute({
      candles,
      grid,
      batchVariants: 4,
      signal: ac.signal,
      onProgress: (pr) => {
        seen.push(pr.processed);
        if (seen.length === 1) ac.abort(new Error('stop'));
      },
    });
    const err = await p.then(
      () => null,
      (x) => x,
    );
    expect(err).toBeInstanceOf(ComputeCancelled);
    expect(err.details.processed).toBeGreaterThan(0);
    expect(err.details.processed).toBeLessThan(120);
    expect(err.details.reason).toBe('stop');
    const calls = seen.length;
    await new Promise((r) => setTimeout(r, 50));
    expect(seen.length).toBe(calls);
    const again = await e.compute({ candles, grid, batchVariants: 4 });
    expect(again.meta.variants).toBe(120);
  });

  it('rejects at once when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort(new Error('before'));
    await expect(engine({ threads: 2 }).compute({ candles, grid, signal: ac.signal })).rejects.toMatchObject({
      code: 'compute_cancelled',
      details: { processed: 0, reason: 'before' },
    });
  });

  it('recomputes the batch of a worker that exits mid-batch, bit for bit, counting the attempts', async () => {
    const want = await engine({ threads: 1 }).compute({ candles, grid });
    const got = await engine({ threads: 2, __faults: { batch: 2, times: 2, mode: 'exit' } }).compute({ candles, grid, batchVariants: 8 });
    expect(firstBitDiff(got.values, want.values)).toBe(-1);
    expect(got.meta.batches).toBe(15);
    expect(got.meta.attempts).toBe(17);
  });

  it('fails with WorkerCrashedError after the configured attempts, and the pool stays usable', async () => {
    const e = engine({ threads: 2, maxBatchAttempts: 2, __faults: { batch: 1, times: 5, mode: 'exit' } });
    const err = await e.compute({ candles, grid, batchVariants: 8 }).then(
      () => null,
      (x) => x,
    );
    expect(err).toBeInstanceOf(WorkerCrashedError);
    expect(err.details).toMatchObject({
      indicatorId: 'ma.ema',
      batchIndex: 1,
      variantStart: 8,
      variantEnd: 16,
      attempts: 2,
      cause: 'exit',
    });
  });

  it('terminates a batch that hangs past the timeout and retries it', async () => {
    const want = await engine({ threads: 1 }).compute({ candles, grid });
    const got = await engine({ threads: 2, batchTimeoutMs: 1000, __faults: { batch: 0, times: 1, mode: 'hang' } }).compute({
      candles,
      grid,
      batchVariants: 30,
    });
    expect(firstBitDiff(got.values, want.values)).toBe(-1);
    expect(got.meta.attempts).toBe(got.meta.batches + 1);
  }, 30_000);

  it('reports a trap as KernelError without retrying', async () => {
    const err = await engine({ threads: 2, __faults: { batch: 0, times: 1, mode: 'trap' } })
      .compute({ candles, grid, batchVariants: 30 })
      .then(
        () => null,
        (x) => x,
      );
    expect(err).toBeInstanceOf(KernelError);
    expect(err.details).toMatchObject({ batchIndex: 0, variantStart: 0, variantEnd: 30 });
  });

  it('rejects fault injection without GRIDTA_TEST_FAULTS', () => {
    process.env.GRIDTA_TEST_FAULTS = '';
    try {
      expect(() => createEngine({ env: 'test', __faults: { batch: 0, times: 1, mode: 'exit' } })).toThrow(/GRIDTA_TEST_FAULTS/);
    } finally {
      process.env.GRIDTA_TEST_FAULTS = '1';
    }
  });
});
