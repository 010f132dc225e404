/** When and how a pool compute is split into time pieces (compute/plan.ts planTimePieces, planLayout). */
import { describe, expect, it } from 'vitest';
import type { Axis } from '../../src/grid/types.js';
import { checkpointAt, planLayout, planTimePieces, POOL_BATCH_VALUES, SCRATCH_BUDGET, scratchCapped } from '../../src/compute/plan.js';
import { registry } from '../../src/registry/index.js';

const ema = registry.get('ma.ema');
const windows = (lo: number, hi: number): Axis[] => [
  { name: 'source', kind: 'source', values: ['close'] },
  { name: 'window', kind: 'int', values: Array.from({ length: hi - lo + 1 }, (_, i) => lo + i) },
];
const BENCH = windows(5, 200);
const pieces = (
  over: Partial<{
    t: number;
    v: number;
    layout: 'TIME_MAJOR' | 'VARIANT_MAJOR';
    threads: number;
    requested: number | 'auto';
    inProcess: boolean;
    id: string;
    axes: Axis[];
  }> = {},
) =>
  planTimePieces(
    registry.get(over.id ?? 'ma.ema').kernel!,
    over.axes ?? BENCH,
    over.t ?? 1_000_000,
    over.v ?? 196,
    1,
    over.layout ?? 'TIME_MAJOR',
    over.threads ?? 2,
    over.requested ?? 'auto',
    over.inProcess ?? false,
  );

describe('time pieces', () => {
  it('split ma.ema 5..200 × 1M bars on 2 threads into two pieces of whole 256-bar chunks, the second warmed up over 4096 + 128·200 bars', () => {
    const p = pieces()!;
    expect(p).toHaveLength(2);
    const warm = 4096 + 128 * 200;
    expect(p[0]).toEqual({ piece: 0, t0: 0, t1: p[0]!.t1, warm: 0 });
    expect(p[1]).toEqual({ piece: 1, t0: p[0]!.t1, t1: 1_000_000, warm: p[0]!.t1 - warm });
    expect(p[0]!.t1 % 256).toBe(0);
    // equal cost: rows₀ = rows₁ + warm·dryCost, to the 256-bar rounding
    const dry = ema.kernel!.timeSplit!.dryCost;
    expect(Math.abs(p[0]!.t1 - p[0]!.t0 - (p[1]!.t1 - p[1]!.t0) - warm * dry)).toBeLessThanOrEqual(256);
  });

  it('make one piece per thread that cover the series in order', () => {
    for (const threads of [2, 3, 4]) {
      const p = pieces({ threads })!;
      expect(p.map((x) => x.piece)).toEqual(Array.from({ length: threads }, (_, k) => k));
      expect(p[0]!.t0).toBe(0);
      expect(p[threads - 1]!.t1).toBe(1_000_000);
      for (let k = 1; k < threads; k++) {
        expect(p[k]!.t0).toBe(p[k - 1]!.t1);
        expect(p[k]!.t0 % 256).toBe(0);
        expect(p[k]!.warm).toBeLessThan(p[k]!.t0);
      }
    }
  });

  it('are not used in-process, with one thread, VARIANT_MAJOR, an explicit batch size, a kernel whose warm start cannot converge, a short series or a grid over the pool batch limit', () => {
    expect(pieces({ inProcess: true })).toBeNull();
    expect(pieces({ threads: 1 })).toBeNull();
    expect(pieces({ layout: 'VARIANT_MAJOR' })).toBeNull();
    expect(pieces({ requested: 16 })).toBeNull();
    // running sums keep their rounding history: a warm start never reaches the exact state
    expect(pieces({ id: 'ma.sma' })).toBeNull();
    // a decaying recursion (resume.warmBars) and a kernel without state (no warm start at all) split
    expect(pieces({ id: 'ma.dema' })).not.toBeNull();
    const stateless = pieces({ id: 'trend.aroon', axes: [{ name: 'window', kind: 'int', values: [5, 14, 25] }] });
    expect(stateless!.map((p) => p.warm)).toEqual(stateless!.map((p) => p.t0));
    expect(pieces({ t: 2 * 4 * (4096 + 128 * 200) - 1 })).toBeNull();
    expect(pieces({ t: 2 * 4 * (4096 + 128 * 200) })).not.toBeNull();
    expect(pieces({ v: Math.floor((2 * POOL_BATCH_VALUES) / 1_000_000) + 1 })).toBeNull();
  });

  it('give planLayout one batch per piece over every variant, scratch for all of them and a checkpoint region after the flags', () => {
    const plan = planLayout({
      def: ema,
      kernel: ema.kernel!,
      axes: BENCH,
      t: 1_000_000,
      variants: 196,
      layout: 'TIME_MAJOR',
      outputs: ['value'],
      threads: 2,
      executors: 2,
    });
    expect(plan.batches).toHaveLength(2);
    for (const b of plan.batches) expect([b.start, b.end, b.index]).toEqual([0, 196, b.rows!.piece]);
    expect(plan.batchVariants).toBe(196);
    const ts = plan.timeSplit!;
    // the coefficients (arrays 0 and 1) and the recursion (2): a resumed call keeps the coefficients
    expect(ts).toMatchObject({ pieces: 2, stateBytes: 3 * 196 * 8, stateArrays: [0, 1, 2] });
    expect(ts.offset).toBeGreaterThanOrEqual(plan.flagsOffset + 2 * 4);
    expect(checkpointAt(ts, 1, true) + ts.stateBytes).toBeLessThanOrEqual(plan.totalBytes);
    const inProcess = planLayout({
      def: ema,
      kernel: ema.kernel!,
      axes: BENCH,
      t: 1_000_000,
      variants: 196,
      layout: 'TIME_MAJOR',
      outputs: ['value'],
      threads: 1,
      executors: 1,
      inProcess: true,
    });
    expect(inProcess.timeSplit).toBeUndefined();
    expect(inProcess.batches.every((b) => b.rows === undefined)).toBe(true);
  });
});

describe('scratch per executor', () => {
  it('a kernel with large per-variant state runs a huge grid in batches whose scratch fits SCRATCH_BUDGET; small ones are untouched', () => {
    const def = registry.get('momentum.stoch_rsi');
    const axes: Axis[] = [
      { name: 'rsi_window', kind: 'int', values: Array.from({ length: 20 }, (_, i) => 2 + i) },
      { name: 'k_window', kind: 'int', values: Array.from({ length: 20 }, (_, i) => 2 + i) },
      { name: 'smoothing', kind: 'int', values: [3, 5, 7, 9, 11] },
      { name: 'd_window', kind: 'int', values: [3, 5, 7, 9, 11] },
    ];
    const V = 20 * 20 * 5 * 5;
    const plan = planLayout({
      def,
      kernel: def.kernel!,
      axes,
      t: 500,
      variants: V,
      layout: 'TIME_MAJOR',
      outputs: def.outputs,
      threads: 1,
      executors: 1,
      inProcess: true,
    });
    // 64 KiB of rings per variant: one batch of all 10,000 would need 640 MiB of scratch
    expect(def.kernel!.scratchBytes(V, 500)).toBeGreaterThan(SCRATCH_BUDGET);
    expect(plan.batchVariants).toBe(scratchCapped(def.kernel!, V, 500));
    expect(plan.batchVariants).toBeLessThan(V);
    expect(def.kernel!.scratchBytes(plan.batchVariants, 500)).toBeLessThanOrEqual(SCRATCH_BUDGET);
    expect(def.kernel!.scratchBytes(plan.batchVariants + 1, 500)).toBeGreaterThan(SCRATCH_BUDGET);
    // an explicit batch size is the caller's
    const asked = planLayout({
      def,
      kernel: def.kernel!,
      axes,
      t: 500,
      variants: V,
      layout: 'TIME_MAJOR',
      outputs: def.outputs,
      threads: 1,
      executors: 1,
      inProcess: true,
      batchVariants: V,
    });
    expect(asked.batchVariants).toBe(V);
    expect(scratchCapped(ema.kernel!, 196, 1_000_000)).toBe(196);
  });
});
