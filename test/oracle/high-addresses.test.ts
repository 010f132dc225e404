/**
 * Every kernel equals its reference when the whole compute layout (outputs, series, call frame,
 * parameters, scratch) sits at byte offsets of 2 GiB and more: straddling 2 GiB, and ending at the
 * last byte of a full 4 GiB memory. Pointers past 2^31 must never meet signed 32-bit arithmetic
 * (a signed shift, compare or widening), on the host or in the kernels. One 4 GiB memory is shared by
 * every run (untouched pages cost nothing); each run clears only the bytes it uses.
 */
import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/compute/kernels.js';
import { MAX_PAGES, PAGE, planLayout, type ComputeLayout } from '../../src/compute/plan.js';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef, SourceSeries } from '../../src/registry/types.js';
import { bundledModules, edgeAxes, firstMismatch, referenceAll, sourceOf, type KernelRun, type Target } from '../helpers/oracle.js';
import { randomWalk, type TestSeries } from '../helpers/series.js';

const memory = new WebAssembly.Memory({ initial: MAX_PAGES, maximum: MAX_PAGES, shared: true });
const instances: Record<Target, Record<string, unknown>> = {
  simd: new WebAssembly.Instance(bundledModules().simd, { env: { memory } }).exports as Record<string, unknown>,
  scalar: new WebAssembly.Instance(bundledModules().scalar, { env: { memory } }).exports as Record<string, unknown>,
};

/** The same layout moved up by `by` bytes (a multiple of 64, so every alignment is kept). */
function shifted(plan: ComputeLayout, by: number): ComputeLayout {
  const add = (x: number): number => x + by;
  return {
    ...plan,
    outputOffsets: plan.outputOffsets.map(add),
    series: Object.fromEntries(Object.entries(plan.series).map(([k, v]) => [k, add(v)])),
    workOffsets: plan.workOffsets.map(add),
    flagsOffset: add(plan.flagsOffset),
    ...(plan.timeSplit ? { timeSplit: { ...plan.timeSplit, offset: add(plan.timeSplit.offset) } } : {}),
    totalBytes: add(plan.totalBytes),
    pages: Math.ceil(add(plan.totalBytes) / PAGE),
  };
}

type Placement = 'straddling 2 GiB' | 'ending at 4 GiB';

function runHigh(
  def: IndicatorDef,
  axes: readonly Axis[],
  s: TestSeries,
  target: Target,
  layout: Layout,
  batch: number,
  at: Placement,
): KernelRun {
  const variants = axes.reduce((a, x) => a * x.values.length, 1);
  const plan0 = planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t: s.t,
    variants,
    layout,
    outputs: def.outputs,
    threads: 1,
    batchVariants: batch,
    executors: 1,
  });
  // straddling: the outputs and series run across 2 GiB, the work region lies above it
  const by =
    at === 'straddling 2 GiB'
      ? 2 ** 31 - Math.floor(plan0.workOffsets[0]! / 128) * 64
      : Math.floor((MAX_PAGES * PAGE - plan0.totalBytes) / 64) * 64;
  const plan = shifted(plan0, by);
  if (at === 'straddling 2 GiB') expect(plan.outputOffsets[0]!).toBeLessThan(2 ** 31);
  else expect(plan.outputOffsets[0]!).toBeGreaterThan(3 * 2 ** 30);
  expect(plan.workOffsets[0]!).toBeGreaterThanOrEqual(2 ** 31);
  expect(plan.totalBytes).toBeLessThanOrEqual(MAX_PAGES * PAGE);
  new Uint8Array(memory.buffer, by, plan0.totalBytes).fill(0);
  for (const [name, off] of Object.entries(plan.series)) new Float32Array(memory.buffer, off, s.t).set(sourceOf(s, name as SourceSeries));
  for (const b of plan.batches) runBatch(instances[target], memory, def, axes, plan, b, 0);
  return { values: plan.outputOffsets.map((off) => new Uint32Array(memory.buffer, off, s.t * variants).slice()), variants };
}

describe('kernels at byte offsets past 2 GiB equal the reference', () => {
  const s = randomWalk(700, 31, 'random walk 700');
  const defs = registry.list().filter((d) => d.kernel);
  it.each(defs.map((def) => ({ id: def.id, def })))(
    '$id: both builds, both layouts, batches 7 and all, straddling 2 GiB and ending at 4 GiB',
    ({ def }) => {
      const axes = edgeAxes(def, s.t);
      const refs = referenceAll(def, axes, s);
      for (const at of ['straddling 2 GiB', 'ending at 4 GiB'] as const) {
        for (const target of ['simd', 'scalar'] as const)
          for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as const)
            for (const batch of [7, refs.length]) {
              const run = runHigh(def, axes, s, target, layout, batch, at);
              expect(firstMismatch(def, refs, s, run, layout), `${at} ${target} ${layout} batch ${batch}`).toBeNull();
            }
      }
    },
  );
});
