/**
 * The talib profile through the pool and time pieces, for every id TA-Lib computes (`def.talib`):
 * a TIME_MAJOR compute on a pooled engine (threads 2), long enough to run on the pool and split in
 * two time pieces where the kernel splits in time, gives threads 1's bits, and the reference engine
 * gives the same bits as wasm; and, for the resumable kernels, 3 time pieces forced with a 1-bar and
 * a 700-bar warm start (each piece after the first warmed up from a fresh state, then settled against
 * the previous piece's end state, as the pool does) equal one call, both builds. The series have
 * holes, at and around the places where pieces meet.
 */
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { planLayout, planTimePieces, runsPooled } from '../../src/compute/plan.js';
import type { Axis } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { createEngine } from '../../src/runtime/engine.js';
import { runKernel, type Target } from '../helpers/oracle.js';
import { runPieces } from '../helpers/pieces.js';
import { randomWalk } from '../helpers/series.js';

/** Per int param its minimum, default and 61 (clamped); per other param its default; close and open as sources. */
function axesOf(def: IndicatorDef): Axis[] {
  return def.axes.map((name): Axis => {
    if (name === 'source') return { name, kind: 'source', values: ['close', 'open'] };
    const p = def.params.find((x) => x.name === name)!;
    if (p.kind !== 'int') return { name, kind: p.kind, values: [p.default] } as Axis;
    const wanted = def.axes.length >= 3 ? [p.default as number] : [p.min!, p.default as number, 61];
    return { name, kind: 'int', values: [...new Set(wanted.map((x) => Math.max(p.min!, Math.min(p.max!, x))))] };
  });
}

const talibIds = registry.list().filter((d) => d.talib);

describe('talib profile on the pool, in time pieces and on the reference engine', () => {
  it('covers the ids TA-Lib computes', () => {
    expect(talibIds.map((d) => d.id)).toEqual(expect.arrayContaining(['ma.sma', 'ma.wma', 'ma.lwma']));
  });

  it('threads 2 (pool, time pieces) ≡ threads 1 ≡ reference, bit for bit, for every def.talib id', async () => {
    const tMax = 1_200_000;
    const w = randomWalk(tMax, 73, 'talib pool');
    const pool = createEngine({ env: 'test', engine: 'wasm-simd', threads: 2, profile: 'talib', onWarning: () => undefined });
    const one = createEngine({ env: 'test', engine: 'wasm-simd', threads: 1, profile: 'talib', onWarning: () => undefined });
    const ref = createEngine({ env: 'test', engine: 'reference', threads: 1, onWarning: () => undefined });
    const split: string[] = [];
    const inProcess: string[] = [];
    try {
      for (const def of talibIds) {
        const axes = axesOf(def);
        const V = axes.reduce((a, x) => a * x.values.length, 1);
        const K = def.outputs.length;
        // long enough for the pool (2^20 output values) and for two pieces after a warm start
        const t = Math.min(tMax, Math.max(300_000, Math.ceil(2 ** 20 / (V * K)) + 4096));
        const s = { ...w };
        const holes = [3, 4, Math.floor(t / 2) - 1, Math.floor(t / 2), Math.floor(t / 2) + 7, t - 10];
        const col = (k: 'open' | 'high' | 'low' | 'close' | 'volume'): Float32Array => {
          const x = s[k].slice(0, t);
          for (const i of holes) x[i] = Number.NaN;
          return x;
        };
        const candles = createCandles({
          instrumentId: 'P',
          timeframe: '1m',
          tsOpen: Array.from({ length: t }, (_, i) => 1_700_000_040_000 + i * 60_000),
          open: col('open'),
          high: col('high'),
          low: col('low'),
          close: col('close'),
          volume: col('volume'),
        });
        const grid = {
          indicatorId: def.id,
          ...(def.axes.includes('source') ? { source: axes.find((a) => a.name === 'source')!.values as string[] } : {}),
          params: Object.fromEntries(axes.filter((a) => a.name !== 'source').map((a) => [a.name, a.values as number[]])),
          layout: 'TIME_MAJOR' as const,
        };
        const a = await pool.compute({ candles, grid });
        const b = await one.compute({ candles, grid });
        const r = await ref.compute({ candles, grid, profile: 'talib' });
        expect([a.meta.profile, b.meta.profile, r.meta.profile], def.id).toEqual(['talib', 'talib', 'talib']);
        expect(r.meta.engine).toBe('reference');
        const pooled = runsPooled(2, t, V, K, 'auto', { kernel: def.kernel!, axes, layout: 'TIME_MAJOR' });
        // a grid that cannot split (too few variants to batch, a kernel without time pieces: psar) runs
        // in-process on the threads-2 engine too; its bits are still held to threads 1 and the reference
        expect(a.meta.threads, def.id).toBe(pooled ? 2 : 1);
        if (!pooled) inProcess.push(def.id);
        if (planTimePieces(def.kernel!, axes, t, V, K, 'TIME_MAJOR', 2, 'auto', false)) {
          split.push(def.id);
          expect(a.meta.batches, `${def.id} runs as 2 time pieces`).toBe(2);
        }
        for (const o of a.outputs) {
          const bits = (x: Float32Array): Buffer => Buffer.from(x.buffer, x.byteOffset, x.byteLength);
          expect(bits(o.values).equals(bits(b.output(o.name))), `${def.id} ${o.name}: pool vs threads 1`).toBe(true);
          expect(bits(o.values).equals(bits(r.output(o.name))), `${def.id} ${o.name}: wasm vs reference`).toBe(true);
        }
      }
    } finally {
      await pool.close();
      await one.close();
      await ref.close();
    }
    // which ids run in pieces on the engine is the kernel's choice (splitOf), the same in both profiles
    console.log(
      `talib profile on the pool: ${talibIds.length} ids, in time pieces: ${split.join(', ') || 'none'}; in-process: ${inProcess.join(', ') || 'none'}`,
    );
    // the pool itself is exercised: most ids split into batches or pieces
    expect(inProcess.length, `ids that ran in-process: ${inProcess.join(', ')}`).toBeLessThan(talibIds.length / 2);
  }, 300_000);

  const T = 12_000;
  const THREADS = 3;
  const s = randomWalk(T, 79, 'holes at the piece boundaries');
  for (const i of [0, 1, 777, 4094, 4095, 4096, 4101, 4352, 7936, 8190, 8191, 8192, 8197])
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][i] = Number.NaN;
  const resumable = talibIds.filter((d) => d.kernel?.resume && !d.kernel.timeSplit);

  for (const def of resumable) {
    it(`${def.id}: ${THREADS} forced time pieces equal one call in the talib profile, both builds`, async () => {
      const axes = axesOf(def);
      const V = axes.reduce((a, x) => a * x.values.length, 1);
      for (const warmBars of [1, 700]) {
        expect(planTimePieces(def.kernel!, axes, T, V, def.outputs.length, 'TIME_MAJOR', THREADS, 'auto', false, warmBars)?.length).toBe(
          THREADS,
        );
        const plan = planLayout({
          def,
          kernel: def.kernel!,
          axes,
          t: T,
          variants: V,
          layout: 'TIME_MAJOR',
          outputs: def.outputs,
          threads: THREADS,
          executors: 2,
          warmBars,
          profile: 'talib',
        });
        expect(plan.profile).toBe('talib');
        for (const target of ['simd', 'scalar'] as Target[]) {
          const whole = runKernel(def, axes, s, { target, layout: 'TIME_MAJOR', batch: V, profile: 'talib' });
          const { values } = await runPieces(def, axes, plan, s, target);
          values.forEach((got, k) => {
            const want = whole.values[k]!;
            for (let i = 0; i < T * V; i++)
              if (got[i] !== want[i])
                expect.fail(
                  `${def.id} ${def.outputs[k]} ${target} warm ${warmBars}: variant ${i % V}, bar ${Math.floor(i / V)}: pieces 0x${got[i]!.toString(16)} vs one call 0x${want[i]!.toString(16)}`,
                );
          });
        }
      }
    });
  }
});
