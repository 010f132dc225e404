/**
 * Time pieces for every resumable kernel (compute/plan.ts splitOf): a TIME_MAJOR grid run as 3 pieces
 * of rows, each after the first warmed up from a fresh state (or, for a kernel without state, resumed
 * straight from the bars before it), checked against the previous piece's exact end state and re-run
 * from it where they differ (compute/kernels.ts settlePieces), equals one unsplit call bit for bit in
 * both builds — with a 1-bar warm start, which makes every stateful piece re-run, and with a 700-bar
 * one. The series has holes at and around the piece boundaries. Then every one of the 64 ids on a
 * pooled engine (threads 2) over a long series gives threads 1's bits; those whose kernel splits in
 * time (no state, or recursions that decay) run as two pieces.
 */
import { describe, expect, it } from 'vitest';
import type { Axis } from '../../src/grid/types.js';
import { planLayout, planTimePieces, runsPooled } from '../../src/compute/plan.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { createCandles } from '../../src/candles/index.js';
import { createEngine } from '../../src/runtime/engine.js';
import { runKernel, type Target } from '../helpers/oracle.js';
import { runPieces } from '../helpers/pieces.js';
import { randomWalk, type TestSeries } from '../helpers/series.js';

const T = 12_000;
const THREADS = 3;

/** Small grids whose windows fit the series: per int param its minimum, default and 61; per float param its default. */
function axesOf(def: IndicatorDef): Axis[] {
  return def.axes.map((name): Axis => {
    if (name === 'source')
      return { name, kind: 'source', values: ['close', def.sourceValues!.includes('hlc3' as never) ? 'hlc3' : 'open'] };
    const p = def.params.find((x) => x.name === name)!;
    if (p.kind === 'float') return { name, kind: 'float', values: [p.default as number] };
    const many = def.axes.length >= 3;
    const wanted = many ? [p.default as number] : [p.min!, p.default as number, 61];
    return { name, kind: 'int', values: [...new Set(wanted.map((x) => Math.max(p.min!, Math.min(p.max!, x))))] };
  });
}

/** axesOf with more values of the first numeric param (up to five), so that variant batches can split a grid too. */
function poolAxes(def: IndicatorDef): Axis[] {
  const axes = axesOf(def);
  const first = axes.findIndex((a) => a.name !== 'source');
  // a per-variant rule (psar's accel_max >= accel_start) keeps the small grid
  if (first < 0 || def.variantRule) return axes;
  const p = def.params.find((x) => x.name === axes[first]!.name)!;
  const lo = p.min!,
    hi = Math.min(p.max!, 200),
    d = p.default as number;
  const wanted = p.kind === 'float' ? [lo, d, (lo + d) / 2, Math.min(hi, d * 1.5), Math.min(hi, d * 2)] : [lo, d, lo + 3, d + 5, 61];
  const values = [...new Set(wanted.map((x) => Math.max(lo, Math.min(p.max!, x))))];
  return axes.map((a, k) => (k === first ? { ...a, values } : a));
}

function series(): TestSeries {
  const s = randomWalk(T, 67, 'holes at the piece boundaries');
  const punch = (i: number): void => {
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][i] = Number.NaN;
  };
  for (const i of [0, 1, 777]) punch(i);
  // around every boundary a 3-piece plan can have, for any warm start used here
  for (const b of [4096, 4352, 7936, 8192]) for (const d of [-2, -1, 0, 5, 6]) punch(b + d);
  for (let i = 9000; i < 9030; i++) s.volume[i] = 0;
  return s;
}

const resumable = registry.list().filter((d) => d.kernel?.resume && !d.kernel.timeSplit);
const s = series();

describe('time pieces for every resumable kernel', () => {
  it('covers every kernel that resumes', () => {
    expect(resumable.length).toBe(registry.list().length - 2);
  });
  for (const def of resumable) {
    it(`${def.id}: ${THREADS} pieces equal one call, both builds, 1- and 700-bar warm starts`, async () => {
      const axes = axesOf(def);
      const V = axes.reduce((a, x) => a * x.values.length, 1);
      for (const warmBars of [1, 700]) {
        const pieces = planTimePieces(def.kernel!, axes, T, V, def.outputs.length, 'TIME_MAJOR', THREADS, 'auto', false, warmBars);
        expect(pieces?.length, `${def.id} splits into pieces`).toBe(THREADS);
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
        });
        for (const target of ['simd', 'scalar'] as Target[]) {
          const whole = runKernel(def, axes, s, { target, layout: 'TIME_MAJOR', batch: V });
          const { values } = await runPieces(def, axes, plan, s, target);
          def.outputs.forEach((out, k) => {
            const w = whole.values[k]!;
            const g = values[k]!;
            for (let i = 0; i < T * V; i++)
              if (g[i] !== w[i])
                expect.fail(
                  `${def.id} ${out} ${target} warm ${warmBars}: variant ${i % V}, bar ${Math.floor(i / V)}: pieces 0x${g[i]!.toString(16)} vs one call 0x${w[i]!.toString(16)}`,
                );
          });
        }
      }
    });
  }

  it('on a pooled engine (threads 2) all 64 ids give threads 1 bits, those that split in time as pieces', async () => {
    const tMax = 1_200_000;
    const w = randomWalk(tMax, 71, 'pool');
    for (const i of [3, 150_000, 150_001, 700_000])
      for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) w[k][i] = Number.NaN;
    const ts = Array.from({ length: tMax }, (_, i) => 1_700_000_040_000 + i * 60_000);
    const candlesOf = (t: number) =>
      createCandles({
        instrumentId: 'P',
        timeframe: '1m',
        tsOpen: ts.slice(0, t),
        open: w.open.subarray(0, t),
        high: w.high.subarray(0, t),
        low: w.low.subarray(0, t),
        close: w.close.subarray(0, t),
        volume: w.volume.subarray(0, t),
      });
    const pool = createEngine({ env: 'test', engine: 'wasm-simd', threads: 2, onWarning: () => undefined });
    const one = createEngine({ env: 'test', engine: 'wasm-simd', threads: 1, onWarning: () => undefined });
    const split: string[] = [];
    let onPool = 0;
    try {
      for (const def of registry.list()) {
        const axes = poolAxes(def);
        const V = axes.reduce((a, x) => a * x.values.length, 1);
        const K = def.outputs.length;
        // long enough for the pool (2^20 output values) and for pieces after a decaying warm start
        const t = Math.min(tMax, Math.max(300_000, Math.ceil(2 ** 20 / (V * K)) + 4096));
        const candles = candlesOf(t);
        const grid = {
          indicatorId: def.id,
          ...(def.axes.includes('source') ? { source: axes.find((a) => a.name === 'source')!.values as string[] } : {}),
          params: Object.fromEntries(axes.filter((a) => a.name !== 'source').map((a) => [a.name, a.values as number[]])),
          layout: 'TIME_MAJOR' as const,
        };
        const a = await pool.compute({ candles, grid });
        const b = await one.compute({ candles, grid });
        // a grid of up to 4 variants of a kernel that does not split in time stays in-process
        const pooled = runsPooled(2, t, V, K, 'auto', { kernel: def.kernel!, axes, layout: 'TIME_MAJOR' });
        expect(a.meta.threads, def.id).toBe(pooled ? 2 : 1);
        if (pooled) onPool++;
        const pieces = planTimePieces(def.kernel!, axes, t, V, K, 'TIME_MAJOR', 2, 'auto', false);
        if (pieces) {
          split.push(def.id);
          expect(a.meta.batches, `${def.id} runs as 2 time pieces`).toBe(2);
        }
        for (const o of a.outputs) {
          const x = o.values,
            y = b.output(o.name);
          expect(
            Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength)),
            `${def.id} ${o.name}`,
          ).toBe(true);
        }
      }
    } finally {
      await pool.close();
      await one.close();
    }
    // the stateless kernels and the decaying recursions split; rsi and aroon among them
    expect(split).toContain('momentum.rsi');
    expect(split).toContain('trend.aroon');
    expect(split.length).toBeGreaterThanOrEqual(30);
    expect(onPool).toBeGreaterThanOrEqual(50);
    console.log(`on the pool: ${onPool} of 64 ids, ${split.length} of them in time pieces (${split.join(', ')})`);
  }, 300_000);
});
