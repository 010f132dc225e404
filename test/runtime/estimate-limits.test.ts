/**
 * `estimate` applies every limit `compute` applies before allocating, including the 4 GiB of one
 * WebAssembly memory, whose layout holds more than the outputs (input series, work regions with the
 * kernel scratch, done-flags, checkpoints) and depends on the engine's threads and batching. A grid
 * estimate passes is accepted by compute's planning; a grid compute refuses, estimate refuses with
 * the same error. Nothing here fills a large memory: refused computes stop before allocating, and
 * the accepted one is cancelled after its first one-variant batch.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createCandles, type Candles } from '../../src/candles/index.js';
import { MAX_MEMORY_BYTES, planLayout, wasmMemoryBytes } from '../../src/compute/plan.js';
import { ComputeCancelled, type GridtaError, GridValidationError } from '../../src/errors.js';
import { materializeGrid } from '../../src/grid/axes.js';
import type { GridSpec } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { estimate as publicEstimate, estimateBatch as publicEstimateBatch } from '../../src/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { rejection, thrown } from '../helpers/errors.js';

const T = 1_000_000;
const close = new Float32Array(T).map((_, i) => 100 + Math.sin(i / 40));
const candles: Candles = createCandles({
  instrumentId: 'test:EST',
  timeframe: '1m',
  tsOpen: new Float64Array(T).map((_, i) => i * 60_000),
  close,
});
const sma = (count: number, layout?: 'VARIANT_MAJOR'): GridSpec => ({
  indicatorId: 'ma.sma',
  source: ['close'],
  params: { window: { mode: 'range', start: 2, stopIncl: 1 + count, step: 1 } },
  ...(layout ? { layout } : {}),
});

const engines: Engine[] = [];
const engine = (opts: Parameters<typeof createEngine>[0]): Engine => {
  const e = createEngine({ env: 'test', onWarning: () => undefined, ...opts });
  engines.push(e);
  return e;
};
afterAll(async () => {
  for (const e of engines) await e.close();
});

const summary = (e: GridtaError): object => ({ class: e.constructor.name, code: e.code, details: e.details });

/** Bytes of the compute's memory for `spec`, as runWasm (threads 1) or runPooled (threads n) lays it out. */
function layoutBytes(spec: GridSpec, t: number, poolThreads: number | null, batchVariants: number | 'auto' = 'auto'): number {
  const g = materializeGrid(spec, registry);
  return wasmMemoryBytes(g.def, g.axes, t, Number(g.variants), g.layout, g.def.outputs, poolThreads, batchVariants);
}

describe('estimate refuses what compute refuses: the 4 GiB WebAssembly memory', () => {
  // 1100 windows × 1M bars: 4.10 GiB of outputs, 5.35 GB estimated, within the 5 GiB budget
  const over = sma(1100);

  it('threads 1: estimate throws the error compute rejects with (class, code, field, reason, layout bytes)', async () => {
    const e = engine({ threads: 1 });
    const need = layoutBytes(over, T, null);
    expect(need).toBeGreaterThan(MAX_MEMORY_BYTES);
    const fromCompute = await rejection(e.compute({ candles, grid: over }));
    const fromEstimate = thrown(() => e.estimate(over, T));
    expect(fromEstimate).toBeInstanceOf(GridValidationError);
    expect(summary(fromEstimate)).toEqual(summary(fromCompute));
    expect(fromEstimate.details).toEqual({
      indicatorId: 'ma.sma',
      field: 'grid',
      reason: 'too_many_values',
      value: need,
      expected: `<= ${MAX_MEMORY_BYTES} bytes in one WebAssembly memory`,
    });
    expect(e.estimate(over, T, { throwOnGuard: false }).withinGuards).toBe(false);
    expect(e.estimate(over, candles, { throwOnGuard: false }).withinGuards).toBe(false);
  });

  it('threads 2: the pool layout (one work region per worker) is the one checked, by both', async () => {
    const e = engine({ threads: 2 });
    const need = layoutBytes(over, T, 2);
    expect(need).not.toBe(layoutBytes(over, T, null));
    const fromEstimate = thrown(() => e.estimate(over, T));
    expect(fromEstimate.details).toMatchObject({ reason: 'too_many_values', value: need });
    expect(summary(fromEstimate)).toEqual(summary(await rejection(e.compute({ candles, grid: over }))));
  });

  it('estimateBatch refuses a set of grids when one of them alone is refused by compute', () => {
    const e = engine({ threads: 1 });
    const err = thrown(() => e.estimateBatch([over, sma(3)], T));
    expect(summary(err)).toEqual(summary(thrown(() => e.estimate(over, T))));
    expect(e.estimateBatch([over, sma(3)], T, { throwOnGuard: false }).withinGuards).toBe(false);
    expect(e.estimateBatch([sma(3), sma(5)], T).withinGuards).toBe(true);
  });

  it('counts the input series and kernel scratch: outputs far under 4 GiB and the budget, the layout over 4 GiB', () => {
    // sma of one window keeps two f64 tables of T + 1 + 2000 in scratch: 4 + 4 + 16 bytes per bar
    const t = 180_000_000;
    const one = sma(1);
    const e = engine({ threads: 1, maxComputeBytesTotal: 8 * 2 ** 30 });
    const g = materializeGrid(one, registry);
    const plan = planLayout({
      def: g.def,
      kernel: g.def.kernel!,
      axes: g.axes,
      t,
      variants: 1,
      layout: g.layout,
      outputs: g.def.outputs,
      threads: 1,
      executors: 1,
      inProcess: true,
      batchVariants: 'auto',
    });
    expect(plan.outputOffsets.length * t * 4).toBeLessThan(MAX_MEMORY_BYTES / 5);
    expect(plan.totalBytes).toBeGreaterThan(MAX_MEMORY_BYTES);
    const err = thrown(() => e.estimate(one, t));
    expect(err.details).toMatchObject({ field: 'grid', reason: 'too_many_values', value: plan.totalBytes });
  });

  it('a grid estimate passes just under 4 GiB is accepted by compute (cancelled after its first batch), one variant more is refused by both', async () => {
    // one variant per batch, VARIANT_MAJOR: the accepted compute writes one 4 MB row before it is cancelled
    const e = engine({ threads: 1, batchVariants: 1 });
    let count = 1000;
    while (layoutBytes(sma(count + 1, 'VARIANT_MAJOR'), T, null, 1) <= MAX_MEMORY_BYTES) count++;
    const fits = sma(count, 'VARIANT_MAJOR');
    const tooMany = sma(count + 1, 'VARIANT_MAJOR');
    expect(layoutBytes(fits, T, null, 1)).toBeGreaterThan(MAX_MEMORY_BYTES - T * 4);

    expect(e.estimate(fits, T).withinGuards).toBe(true);
    const ac = new AbortController();
    const cancelled = await rejection(e.compute({ candles, grid: fits, signal: ac.signal, onProgress: () => ac.abort() }));
    expect(cancelled).toBeInstanceOf(ComputeCancelled);
    expect(cancelled.details).toMatchObject({ processed: 1, total: count });

    const fromEstimate = thrown(() => e.estimate(tooMany, T));
    expect(fromEstimate.details).toMatchObject({ reason: 'too_many_values', value: layoutBytes(tooMany, T, null, 1) });
    expect(summary(fromEstimate)).toEqual(summary(await rejection(e.compute({ candles, grid: tooMany }))));
  }, 60_000);

  it('the estimate of the public entry (no engine) checks the in-process layout of a WebAssembly compute', async () => {
    const e = engine({ threads: 1 });
    const err = thrown(() => publicEstimate(over, T));
    expect(summary(err)).toEqual(summary(await rejection(e.compute({ candles, grid: over }))));
    expect(summary(thrown(() => publicEstimateBatch([over], T)))).toEqual(summary(err));
    expect(publicEstimate(over, T, { throwOnGuard: false }).withinGuards).toBe(false);
    expect(publicEstimate(sma(1000), T).withinGuards).toBe(true);
  });

  it('the reference engine lays out no WebAssembly memory: its estimate passes the grid', () => {
    const e = engine({ engine: 'reference', threads: 1 });
    expect(e.estimate(over, T).withinGuards).toBe(true);
  });

  it('gridta estimate exits 4 and says why when only the WebAssembly memory refuses the grid', () => {
    const main = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
    let rc = 0,
      out = '';
    try {
      out = execFileSync(
        process.execPath,
        [main, 'estimate', 'ma.sma', '--grid', 'window=2..1101', '--grid', 'source=close', '--t', String(T)],
        { encoding: 'utf8', env: { ...process.env, GRIDTA_ENV: 'test' } },
      );
    } catch (e) {
      rc = (e as { status: number }).status;
      out = String((e as { stdout: string }).stdout);
    }
    expect(rc).toBe(4);
    expect(out).toContain('(limit 5368709120: ok)');
    expect(out).toContain('REFUSED: the compute would not fit one WebAssembly memory');
  });
});
