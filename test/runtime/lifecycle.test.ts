/**
 * Compute lifecycle: memory of finished computes is given back with a pool,
 * close() settles every compute and stops every worker, and an abort seen at any phase rejects with
 * ComputeCancelled and silences progress, on every engine and thread count.
 */
import { readFileSync } from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { ComputeCancelled, GridtaError } from '../../src/errors.js';
import type { ComputeProgress } from '../../src/runtime/engine.js';
import type { GridSpec } from '../../src/grid/types.js';
import { candlesOf, firstBitDiff, closingEngines } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

const engine = closingEngines();

/** 'resolved', the error `p` rejects with, or 'timeout' when it has not settled within `ms` (a tensor is never printed whole). */
async function settled(p: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), ms);
  });
  try {
    return await Promise.race([
      p.then(
        () => 'resolved',
        (e: unknown) => e,
      ),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

const osThreads = (): number => Number(/Threads:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))![1]);

function fullGc(): void {
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === 'function') {
    existing();
    return;
  }
  v8.setFlagsFromString('--expose_gc');
  (vm.runInNewContext('gc') as () => void)();
}

// 50k bars × 64 variants = 3.2M values (pooled with threads 2); batchVariants 4 gives 16 batches
const candles = candlesOf(randomWalk(50_000, 21));
const grid: GridSpec = { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range', start: 2, stopIncl: 65, step: 1 } } };
const V = 64;

describe('memory with a pool', () => {
  // 200k bars × 12 variants: 9.6 MB of outputs per compute, 1.9 GB over 200 computes
  const big = candlesOf(randomWalk(200_000, 5));
  const g: GridSpec = { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 16, step: 1 } } };

  /** RSS growth over `n` computes on a warm threads-2 engine, after a full collection of the main thread; checks the last result. */
  async function growth(n: number, signal?: AbortSignal): Promise<number> {
    const want = await engine({ threads: 1 }).compute({ candles: big, grid: g });
    const e = engine({ threads: 2 });
    for (let i = 0; i < 5; i++) await e.compute({ candles: big, grid: g, signal });
    fullGc();
    const before = process.memoryUsage().rss;
    let last = await e.compute({ candles: big, grid: g, signal });
    expect(last.meta.threads).toBe(2);
    for (let i = 1; i < n; i++) last = await e.compute({ candles: big, grid: g, signal });
    expect(firstBitDiff(last.values, want.values)).toBe(-1);
    fullGc();
    await new Promise((r) => setTimeout(r, 50));
    fullGc();
    return process.memoryUsage().rss - before;
  }

  it('200 computes at threads 2 grow the resident set by less than 200 MB', async () => {
    const grown = await growth(200);
    expect(grown, `resident set grew by ${(grown / 2 ** 20).toFixed(0)} MiB over 200 computes`).toBeLessThan(200 * 2 ** 20);
  }, 60_000);

  it('100 computes sharing one long-lived signal keep none of their memories', async () => {
    const grown = await growth(100, new AbortController().signal);
    expect(grown, `resident set grew by ${(grown / 2 ** 20).toFixed(0)} MiB over 100 computes`).toBeLessThan(200 * 2 ** 20);
  }, 60_000);
});

describe('close during a compute', () => {
  for (const threads of [1, 2]) {
    it(`threads ${threads}: rejects the running compute with ComputeCancelled engine_closed, and close resolves`, async () => {
      const e = engine({ threads });
      await e.warmup();
      let closing: Promise<void> | undefined;
      const seen: number[] = [];
      const running = e.compute({
        candles,
        grid,
        batchVariants: 4,
        onProgress: (p) => {
          seen.push(p.batchesDone);
          closing ??= e.close();
        },
      });
      const err = await settled(running, 15_000);
      expect(err).toBeInstanceOf(ComputeCancelled);
      const d = (err as ComputeCancelled).details;
      expect(d.reason).toBe('engine_closed');
      expect(d.total).toBe(V);
      expect(d.processed).toBeGreaterThanOrEqual(4);
      expect(d.processed).toBeLessThan(V);
      expect(seen).toEqual([1]); // nothing reported once closing
      expect(await settled(closing!, 15_000)).toBe('resolved');
      const after = await e.compute({ candles, grid }).then(
        () => null,
        (x: unknown) => x,
      );
      expect(after).toBeInstanceOf(GridtaError);
      expect(after).not.toBeInstanceOf(ComputeCancelled);
      expect((after as GridtaError).code).toBe('engine_closed');
    }, 40_000);
  }

  it('threads 2: rejects a queued compute too', async () => {
    const e = engine({ threads: 2 });
    await e.warmup();
    let closing: Promise<void> | undefined;
    const first = e.compute({
      candles,
      grid,
      batchVariants: 4,
      onProgress: () => {
        closing ??= e.close();
      },
    });
    const second = e.compute({ candles, grid, batchVariants: 4 });
    for (const p of [first, second]) {
      const err = await settled(p, 15_000);
      expect(err).toBeInstanceOf(ComputeCancelled);
      expect((err as ComputeCancelled).details.reason).toBe('engine_closed');
    }
    expect(await settled(closing!, 15_000)).toBe('resolved');
  }, 40_000);

  it('threads 2: a compute waiting for warmup is cancelled and no worker is left running', async () => {
    const threadsBefore = osThreads();
    const e = engine({ threads: 2 });
    const running = e.compute({ candles, grid, batchVariants: 4 });
    const closing = e.close();
    const err = await settled(running, 30_000);
    expect(err).toBeInstanceOf(ComputeCancelled);
    expect((err as ComputeCancelled).details).toEqual({ processed: 0, total: V, reason: 'engine_closed' });
    expect(await settled(closing, 30_000)).toBe('resolved');
    expect(osThreads()).toBeLessThanOrEqual(threadsBefore);
  }, 60_000);
});

describe('abort at every phase', () => {
  const setups = [
    { name: 'threads 1', opts: { threads: 1 } },
    { name: 'threads 2', opts: { threads: 2 } },
    { name: 'reference', opts: { threads: 1, engine: 'reference' as const } },
  ];
  for (const s of setups) {
    describe(s.name, () => {
      const e = engine(s.opts);
      /** Runs a compute that aborts when `when` says so; returns the rejection, the progress seen and the calls after the abort. */
      async function run(when: (p: ComputeProgress | null, ac: AbortController) => void, batchVariants: number | undefined = 4) {
        await e.warmup();
        const ac = new AbortController();
        const seen: ComputeProgress[] = [];
        let late = 0;
        const p = e.compute({
          candles,
          grid,
          batchVariants,
          signal: ac.signal,
          onProgress: (pr) => {
            if (ac.signal.aborted) late++;
            seen.push(pr);
            when(pr, ac);
          },
        });
        when(null, ac);
        const err = await settled(p, 20_000);
        return { err, seen, late };
      }
      const cancelled = (err: unknown, reason: string): ComputeCancelled => {
        expect(err).toBeInstanceOf(ComputeCancelled);
        const c = err as ComputeCancelled;
        expect(c.details.reason).toBe(reason);
        expect(c.details.total).toBe(V);
        return c;
      };

      it('before the start: rejects at once with processed 0 and never reports progress', async () => {
        const ac = new AbortController();
        ac.abort(new Error('early'));
        let calls = 0;
        const err = await settled(e.compute({ candles, grid, batchVariants: 4, signal: ac.signal, onProgress: () => calls++ }), 5_000);
        expect(err).toBeInstanceOf(ComputeCancelled);
        expect((err as ComputeCancelled).details).toEqual({ processed: 0, total: 0, reason: 'early' });
        expect(calls).toBe(0);
      });

      it('during the first batch: rejects and reports no progress after the abort', async () => {
        const { err, late } = await run((p, ac) => {
          if (p === null) ac.abort(new Error('first'));
        });
        const c = cancelled(err, 'first');
        expect(c.details.processed).toBeLessThan(V);
        expect(late).toBe(0);
      });

      it('during the last batch: rejects and reports no progress after the abort', async () => {
        const { err, seen, late } = await run((p, ac) => {
          if (p && p.batchesDone === p.batchesTotal - 1) ac.abort(new Error('last'));
        });
        const c = cancelled(err, 'last');
        expect(seen.at(-1)!.batchesDone).toBe(15);
        expect(c.details.processed).toBeGreaterThanOrEqual(60);
        expect(late).toBe(0);
      });

      it('after the last batch, before the tensor: rejects with every variant processed', async () => {
        const { err, seen, late } = await run((p, ac) => {
          if (p && p.batchesDone === p.batchesTotal) ac.abort(new Error('done'));
        });
        expect(seen.at(-1)!.processed).toBe(V);
        expect(cancelled(err, 'done').details.processed).toBe(V);
        expect(late).toBe(0);
      });

      it('during the last batch with the default batching: rejects', async () => {
        const { err, seen, late } = await run((p, ac) => {
          if (p && p.batchesDone === p.batchesTotal - 1) ac.abort(new Error('default'));
        }, undefined);
        expect(seen.length).toBeGreaterThan(0);
        cancelled(err, 'default');
        expect(late).toBe(0);
      });
    });
  }
});
