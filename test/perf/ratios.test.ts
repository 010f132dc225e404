/**
 * Perf-smoke: each test measures two things in the same run and asserts their p50
 * ratio with a threshold well under the usual value, so a noisy shared 2-core machine does not fail
 * CI while a regression that loses the advantage does. Never absolute times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { backtestCaseById } from '../../bench/backtest-cases.js';
import { benchCases, caseById } from '../../bench/cases.js';
import { syntheticMinuteCandles } from '../../bench/data.js';
import { runWasm } from '../../src/compute/run.js';
import type { IndicatorTensor } from '../../src/compute/tensor.js';
import { materializeGrid } from '../../src/grid/index.js';
import { registry } from '../../src/registry/index.js';
import { loadModule } from '../../src/runtime/cache.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { fmtRatio, interleavedMedians, p50s, report, type ThreadsRatio, threadsRatio } from './perf-helpers.js';

const quiet = { onWarning: () => undefined };
const engines: Engine[] = [];
const engine = (opts: Parameters<typeof createEngine>[0]): Engine => {
  const e = createEngine({ ...quiet, ...opts });
  engines.push(e);
  return e;
};
afterAll(async () => {
  for (const e of engines) await e.close();
});

/** 200k bars: every compute below takes tens of milliseconds, far above timer resolution. */
const candles = syntheticMinuteCandles(200_000);

/**
 * The 2-vs-1-threads floor, over the rounds whose CPU check found the second CPU free (a quiet
 * 2-core machine). When another job keeps it taken through every round (the measurement is retried
 * up to maxRounds), the ratio says nothing about gridta: the test reports "not measurable now" with
 * the rounds it saw and is skipped at run time, never held to a lower floor.
 */
const THREADS_QUIET = 1.3;

/** Skips the running test with the reason printed when the second CPU stayed busy; true when it did. */
function notMeasurable(ctx: { skip: (note?: string) => void }, what: string, r: ThreadsRatio): boolean {
  if (r.quiet) return false;
  const why = `not measurable now: ${what}: ${r.text}`;
  report(why);
  ctx.skip(why);
  return true;
}

/**
 * Floors against a plain loop with the same per-variant state, well under the usual ratio and above
 * a third of it, so a kernel slowed 3× fails. 200k bars, a spinning process on the other CPU, five
 * runs of 2026-12-07: ema 6.7–8.6×, rsi 2.4–3.6×, bbands 4.0–7.3×, atr 3.1–3.9×.
 */
const VS_PLAIN: Readonly<Record<string, number>> = { 'ma.ema': 3, 'momentum.rsi': 2, 'volatility.bbands': 2, 'volatility.atr': 2 };

describe('gridta vs a plain-JS loop (reused output, 1 thread, wasm-simd)', () => {
  const simd = engine({ engine: 'wasm-simd', threads: 1 });
  it.each(Object.entries(VS_PLAIN).map(([id, min]) => ({ id, min })))('$id >= $min x', async ({ id, min }) => {
    if (!registry.get(id).kernel) {
      expect(benchCases([id]).skipped, `${id} has no kernel yet: the case generator must list it as skipped`).toContainEqual({
        id,
        reason: 'no kernel yet',
      });
      return;
    }
    const c = caseById(id);
    const T = candles.t,
      V = c.variants;
    const req = { candles, grid: c.grid };
    let out: IndicatorTensor = await simd.compute(req);
    const outs = c.outputs.map(() => new Float32Array(T * V));
    const p = await p50s({
      gridta: async () => {
        out = await simd.compute({ ...req, out });
      },
      plain: () => c.plain(candles, outs),
    });
    const ratio = p.plain! / p.gridta!;
    const msg = report(
      `${id}, ${V} variants x ${T} bars: plain p50 ${p.plain!.toFixed(1)} ms / gridta p50 ${p.gridta!.toFixed(1)} ms = ${fmtRatio(ratio)} (threshold ${min}x)`,
    );
    expect(ratio, msg).toBeGreaterThanOrEqual(min);
  });
});

describe('builds and threads', () => {
  it('the SIMD build beats the scalar build by >= 1.3x (ma.ema, 196 variants)', async () => {
    const c = caseById('ma.ema');
    const simd = engine({ engine: 'wasm-simd', threads: 1 }),
      scalar = engine({ engine: 'wasm-scalar', threads: 1 });
    const req = { candles, grid: c.grid };
    let a = await simd.compute(req),
      b = await scalar.compute(req);
    const p = await p50s({
      simd: async () => {
        a = await simd.compute({ ...req, out: a });
      },
      scalar: async () => {
        b = await scalar.compute({ ...req, out: b });
      },
    });
    const ratio = p.scalar! / p.simd!;
    expect(
      ratio,
      report(
        `SIMD vs scalar, ma.ema 196 variants x 200k bars: scalar p50 ${p.scalar!.toFixed(1)} ms / simd p50 ${p.simd!.toFixed(1)} ms = ${fmtRatio(ratio)} (threshold 1.3x)`,
      ),
    ).toBeGreaterThanOrEqual(1.3);
  });

  /**
   * A compute-bound grid: bbands shares its windows' statistics within a call, so its pool batches
   * (one per thread) repeat that work, and ema at this size is bound by memory bandwidth, which both
   * cores share. zscore's per-variant work (divisions, square roots) splits cleanly. Rounds of 5
   * calls of each, interleaved, each after a CPU check (threadsRatio): the floor applies to the
   * rounds with the second CPU free; when another job holds it throughout, the busy floor.
   */
  it('2 threads beat 1 thread by >= 1.3x with the second CPU free (structure.zscore, 91 variants, 500k bars)', async (ctx) => {
    const c = caseById('structure.zscore');
    const big = syntheticMinuteCandles(500_000);
    const one = engine({ engine: 'wasm-simd', threads: 1 }),
      two = engine({ engine: 'wasm-simd', threads: 2 });
    await two.warmup();
    const req = { candles: big, grid: c.grid };
    let a = await one.compute(req),
      b = await two.compute(req);
    expect(b.meta.threads, 'the 2-thread engine must run this compute on its pool').toBe(2);
    const timed = (f: () => Promise<unknown>) => async (): Promise<number> => {
      const t0 = performance.now();
      await f();
      return performance.now() - t0;
    };
    const r = await threadsRatio(
      timed(async () => {
        a = await one.compute({ ...req, out: a });
      }),
      timed(async () => {
        b = await two.compute({ ...req, out: b });
      }),
      { calls: 5, quietRounds: 3, maxRounds: 6 },
    );
    if (notMeasurable(ctx, 'threads, structure.zscore 91 variants x 500k bars', r)) return;
    expect(
      r.ratio,
      report(`threads, structure.zscore 91 variants x 500k bars: ${r.text} (threshold ${fmtRatio(THREADS_QUIET)})`),
    ).toBeGreaterThanOrEqual(THREADS_QUIET);
  });
});

describe('backtests', () => {
  /**
   * Stage A alone (its time from result.stats, unrounded) against the bench's plain-JS loop alone
   * (bench/plain-backtest.ts: per variant, signal bits and the execution model and metrics written
   * out, over an engine.compute tensor whose compute is not counted), backtest.ma_cross: 1,590
   * variants × 20k bars (a call takes 0.5–1 s, so the test stays under 20 s on a loaded machine),
   * 5 interleaved rounds after one warm-up call of each, medians.
   *
   * Measured on the shared 2-core VM: 3.49× with the kernel of commit 6e5dce1 (2026-12-06, quiet
   * machine; the first kernel, 42467d3, gave 0.77–1.12×); 4.8–10.4× in five runs of 2026-12-07
   * while a spinning process held the other CPU. Both sides run on the same core in alternation, so
   * a neighbour slows both; the floor, 2.5×, catches a kernel slowed 3× (1.6–2.1× in those runs).
   */
  it('Stage A scores backtest.ma_cross at >= 2.5x the speed of the plain loop (1,590 variants x 20k bars)', async () => {
    const c = backtestCaseById('backtest.ma_cross');
    const small = syntheticMinuteCandles(20_000);
    const simd = engine({ engine: 'wasm-simd', threads: 1 });
    const compute = simd.compute.bind(simd);
    const req = { candles: small, strategy: c.strategy, execution: c.execution };
    const exec = (await simd.backtest(req)).execution;
    await c.plain(compute, small, c.axisValues, exec);
    const m = await interleavedMedians(
      {
        stageA: async () => {
          const r = await simd.backtest(req);
          return ((r.variants * r.stats.rows) / r.stats.variantBarsPerSecond) * 1000;
        },
        plain: async () => (await c.plain(compute, small, c.axisValues, exec)).loopMs,
      },
      5,
    );
    const ratio = m.plain!.p50 / m.stageA!.p50;
    expect(
      ratio,
      report(
        `backtest.ma_cross ${c.variants} variants x 20k bars: plain loop p50 ${m.plain!.p50.toFixed(0)} ms / Stage A p50 ${m.stageA!.p50.toFixed(0)} ms = ${fmtRatio(ratio)} (threshold 2.5x; samples ${m.plain!.samples.map((x) => x.toFixed(0)).join(', ')} / ${m.stageA!.samples.map((x) => x.toFixed(0)).join(', ')})`,
      ),
    ).toBeGreaterThanOrEqual(2.5);
  });
});

describe('backtests on threads', () => {
  /**
   * Stage A alone (result.stats, unrounded) on an engine with 2 threads (Stage A on the pool, equal
   * batches) against one with 1, backtest.ma_cross: 1,590 variants × 100k bars (0.6–0.7 s a call on
   * one thread), rounds of 2 calls of each after a CPU check (threadsRatio), as the compute threads
   * test above. The bench's 1M-bar figure is the target (>= 1.6x); this floor catches a pool that
   * stops splitting Stage A.
   */
  it('Stage A on 2 threads beats 1 thread by >= 1.3x with the second CPU free (backtest.ma_cross, 1,590 variants x 100k bars)', async (ctx) => {
    const c = backtestCaseById('backtest.ma_cross');
    const bars = syntheticMinuteCandles(100_000);
    const one = engine({ engine: 'wasm-simd', threads: 1 }),
      two = engine({ engine: 'wasm-simd', threads: 2 });
    const req = { candles: bars, strategy: c.strategy, execution: c.execution };
    const [a, b] = [await one.backtest(req), await two.backtest(req)];
    expect([a.stats.threads, b.stats.threads], 'the 2-thread engine scores Stage A on its pool').toEqual([1, 2]);
    const stageA = (e: Engine) => async (): Promise<number> => {
      const r = await e.backtest(req);
      return ((r.variants * r.stats.rows) / r.stats.variantBarsPerSecond) * 1000;
    };
    const r = await threadsRatio(stageA(one), stageA(two), { calls: 2, quietRounds: 3, maxRounds: 6 });
    if (notMeasurable(ctx, `threads, Stage A of backtest.ma_cross ${c.variants} variants x 100k bars`, r)) return;
    expect(
      r.ratio,
      report(`threads, Stage A of backtest.ma_cross ${c.variants} variants x 100k bars: ${r.text} (threshold ${fmtRatio(THREADS_QUIET)})`),
    ).toBeGreaterThanOrEqual(THREADS_QUIET);
  });
});

describe('streams', () => {
  // bench stream.ema: usually 6x; the floor leaves room for a busy neighbour
  it('a stream push of 196 EMA variants is >= 3x faster than trading-signals updating 196 EMA objects', async () => {
    const ts = await import('trading-signals');
    const windows = Array.from({ length: 196 }, (_, i) => 5 + i);
    const e = engine({ engine: 'wasm-simd', threads: 1 });
    const close = candles.close;
    const bars: { tsOpen: number; close: number }[] = [];
    const t0 = Number(candles.tsOpen[0]!);
    for (let i = 0; i < candles.t && bars.length < 60_000; i++)
      if (!Number.isNaN(close[i]!)) bars.push({ tsOpen: t0 + bars.length * 60_000, close: close[i]! });
    const stream = await e.stream({
      instrument: { instrumentId: 'perf', timeframe: '1m' },
      grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } } },
    });
    const peers = windows.map((w) => new ts.EMA(w));
    const block = 5_000;
    let gi = 0,
      pi = 0;
    const { gridta, peer } = await interleavedMedians(
      {
        gridta: async () => {
          const a = performance.now();
          for (let k = 0; k < block; k++) stream.push(bars[gi++]!);
          return performance.now() - a;
        },
        peer: async () => {
          const a = performance.now();
          for (let k = 0; k < block; k++) {
            const x = bars[pi++]!.close;
            for (const p of peers) p.add(x);
          }
          return performance.now() - a;
        },
      },
      bars.length / block,
    );
    // the same bars on both sides: the last rows agree (trading-signals seeds differently, long settled)
    const last = stream.row();
    for (let j = 0; j < windows.length; j++)
      expect(Math.abs(last[j]! - Number(peers[j]!.getResult())) / Math.abs(last[j]!)).toBeLessThan(1e-4);
    const ratio = peer!.p50 / gridta!.p50;
    report(
      `stream.ema push vs trading-signals 196 x EMA.add: ${fmtRatio(ratio)} (blocks of ${block} bars, p50 ${gridta!.p50.toFixed(1)} / ${peer!.p50.toFixed(1)} ms)`,
    );
    expect(ratio).toBeGreaterThanOrEqual(3);
  });
});

describe('start-up', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gridta-perf-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * Cold = a cache miss: compile the kernels with asc, then the first compute. Warm = a cache hit in
   * the same directory, then the same compute. The engine always consults the bundled tier
   * (dist/wasm-cache), so both sides go through the cache layer with that tier off.
   */
  it('a warm start (cache hit) is >= 5x faster than a cold one (cache miss + compile)', async () => {
    const c = caseById('ma.ema');
    const grid = materializeGrid(c.grid);
    const def = grid.def;
    const small = syntheticMinuteCandles(20_000);
    const run = (module: WebAssembly.Module) =>
      runWasm(module, {
        def,
        axes: grid.axes,
        variants: Number(grid.variants),
        layout: 'TIME_MAJOR',
        outputs: def.outputs,
        candles: small,
      });
    const firstResult = async (): Promise<{ ms: number; source: string }> => {
      const t0 = performance.now();
      const found = await loadModule('simd', { cacheDir: dir, bundledDir: null });
      await run(found.module);
      return { ms: performance.now() - t0, source: found.source };
    };
    const cold = await firstResult();
    expect(cold.source, 'the first lookup in an empty cache dir must compile').toBe('compiled');
    const warm: number[] = [];
    for (let i = 0; i < 5; i++) {
      const w = await firstResult();
      expect(w.source).toBe('cache');
      warm.push(w.ms);
    }
    const warmP50 = warm.sort((a, b) => a - b)[2]!;
    // for the record: a new engine on that cache dir, warmup (every kernel exercised) + first compute
    const t0 = performance.now();
    const e = engine({ engine: 'wasm-simd', threads: 1, cacheDir: dir });
    await e.compute({ candles: small, grid: c.grid });
    const engineFirst = performance.now() - t0;
    const ratio = cold.ms / warmP50;
    expect(
      ratio,
      report(
        `start-up, ma.ema 196 variants x 20k bars: cold ${cold.ms.toFixed(0)} ms / warm p50 ${warmP50.toFixed(1)} ms = ${fmtRatio(ratio)} (threshold 5x); a new engine's first compute on a cache hit: ${engineFirst.toFixed(0)} ms`,
      ),
    ).toBeGreaterThanOrEqual(5);
  });
});
