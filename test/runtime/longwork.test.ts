/** Long work in-process: progress, cancellation at batch boundaries, callback errors, close. */
import { describe, expect, it } from 'vitest';
import { ComputeCancelled } from '../../src/errors.js';
import { createEngine } from '../../src/runtime/engine.js';
import type { GridSpec } from '../../src/grid/types.js';
import { candlesOf } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

const candles = candlesOf(randomWalk(5000, 9));
const grid: GridSpec = { indicatorId: 'ma.sma', source: ['close'], params: { window: { mode: 'range', start: 2, stopIncl: 65, step: 1 } } }; // V = 64
const engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });

describe('in-process long work', () => {
  it('reports progress after every batch, never decreasing, the last one complete before resolving', async () => {
    const seen: { processed: number; batchesDone: number; batchesTotal: number }[] = [];
    let resolved = false;
    const p = engine.compute({
      candles,
      grid,
      batchVariants: 8,
      onProgress: (pr) => {
        expect(resolved).toBe(false);
        seen.push(pr);
      },
    });
    expect(seen).toHaveLength(0); // never called synchronously inside compute()
    const t = await p;
    resolved = true;
    expect(seen.map((s) => s.processed)).toEqual([8, 16, 24, 32, 40, 48, 56, 64]);
    expect(seen.at(-1)).toMatchObject({ processed: 64, batchesDone: 8, batchesTotal: 8 });
    expect(t.meta).toMatchObject({ batches: 8, batchVariants: 8, attempts: 8, threads: 1 });
  });

  it('stops at the next batch boundary when aborted from a progress callback', async () => {
    const ac = new AbortController();
    const seen: number[] = [];
    const err = await engine
      .compute({
        candles,
        grid,
        batchVariants: 4,
        signal: ac.signal,
        onProgress: (p) => {
          seen.push(p.processed);
          if (p.processed === 12) ac.abort(new Error('enough'));
        },
      })
      .then(
        () => null,
        (e) => e,
      );
    expect(err).toBeInstanceOf(ComputeCancelled);
    expect(err.details).toEqual({ processed: 12, total: 64, reason: 'enough' });
    expect(seen).toEqual([4, 8, 12]);
  });

  it('rejects with the value a progress callback throws and dispatches nothing after it', async () => {
    const boom = new Error('callback failed');
    let calls = 0;
    await expect(
      engine.compute({
        candles,
        grid,
        batchVariants: 16,
        onProgress: () => {
          calls++;
          throw boom;
        },
      }),
    ).rejects.toBe(boom);
    expect(calls).toBe(1);
  });

  it('rejects computes after close with engine_closed', async () => {
    const e = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
    await e.close();
    await expect(e.compute({ candles, grid })).rejects.toMatchObject({ code: 'engine_closed' });
  });
});
