/**
 * A compute into a memory its caller laid out (a ComputeTarget: how a backtest computes its operand
 * series straight into its scoring memory) equals the reference for every kernel: outputs placed
 * anywhere (here in the reverse of their order), variants `variantBytes` apart with bytes between
 * them, and the compute's own regions from the target's base. No kernel writes a byte outside its
 * variants' rows: the bytes between and around them keep the pattern they held before.
 */
import { describe, expect, it } from 'vitest';
import { runBatch } from '../../src/compute/kernels.js';
import { planLayout } from '../../src/compute/plan.js';
import type { Axis } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef, SourceSeries } from '../../src/registry/types.js';
import { bundledModules, edgeAxes, firstMismatch, referenceAll, sourceOf, type KernelRun, type Target } from '../helpers/oracle.js';
import { randomWalk, type TestSeries } from '../helpers/series.js';

const memory = new WebAssembly.Memory({ initial: 1024, maximum: 1024, shared: true });
const instances: Record<Target, Record<string, unknown>> = {
  simd: new WebAssembly.Instance(bundledModules().simd, { env: { memory } }).exports as Record<string, unknown>,
  scalar: new WebAssembly.Instance(bundledModules().scalar, { env: { memory } }).exports as Record<string, unknown>,
};
/** What every byte the compute must not write holds before it runs (a NaN pattern as float32). */
const PATTERN = 0x7fa5a5a5;

function runTarget(
  def: IndicatorDef,
  axes: readonly Axis[],
  s: TestSeries,
  target: Target,
  batch: number,
  gap: number,
): KernelRun & { stray: string | null } {
  const variants = axes.reduce((a, x) => a * x.values.length, 1);
  const outputs = def.outputs;
  const variantBytes = s.t * 4 + gap;
  // the outputs in the reverse of their order, 64 bytes after a lead of 48
  const region = outputs.length * variants * variantBytes;
  const outputAt = outputs.map((_, k) => 64 + 48 + (outputs.length - 1 - k) * variants * variantBytes);
  const base = Math.ceil((64 + 48 + region + 64) / 64) * 64;
  const plan = planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t: s.t,
    variants,
    layout: 'VARIANT_MAJOR',
    outputs,
    threads: 1,
    batchVariants: batch,
    executors: 1,
    inProcess: true,
    target: { base, outputAt, variantBytes },
  });
  expect(plan.totalBytes).toBeLessThanOrEqual(memory.buffer.byteLength);
  const words = new Uint32Array(memory.buffer, 0, base / 4);
  words.fill(PATTERN);
  new Uint8Array(memory.buffer, base, plan.totalBytes - base).fill(0);
  for (const [name, off] of Object.entries(plan.series)) new Float32Array(memory.buffer, off, s.t).set(sourceOf(s, name as SourceSeries));
  for (const b of plan.batches) runBatch(instances[target], memory, def, axes, plan, b, 0);
  const values = outputAt.map((at) => {
    const out = new Uint32Array(s.t * variants);
    for (let v = 0; v < variants; v++) out.set(new Uint32Array(memory.buffer, at + v * variantBytes, s.t), v * s.t);
    return out;
  });
  // every word outside the variants' rows, below the compute's own regions
  const rows = new Uint8Array(base / 4);
  for (const at of outputAt)
    for (let v = 0; v < variants; v++) rows.fill(1, (at + v * variantBytes) / 4, (at + v * variantBytes) / 4 + s.t);
  let stray: string | null = null;
  for (let i = 0; i < rows.length && stray === null; i++) if (!rows[i] && words[i] !== PATTERN) stray = `byte ${i * 4} written`;
  return { values, variants, stray };
}

describe('computes into a target memory equal the reference', () => {
  const s = randomWalk(701, 17, 'random walk 701');
  const defs = registry.list().filter((d) => d.kernel);
  it.each(defs.map((def) => ({ id: def.id, def })))('$id: both builds, batches 7 and all, variants 4 and 80 bytes apart', ({ def }) => {
    const axes = edgeAxes(def, s.t);
    const refs = referenceAll(def, axes, s);
    for (const target of ['simd', 'scalar'] as const)
      for (const batch of [7, refs.length])
        for (const gap of [4, 80]) {
          const run = runTarget(def, axes, s, target, batch, gap);
          const where = `${target} batch ${batch} gap ${gap}`;
          expect(firstMismatch(def, refs, s, run, 'VARIANT_MAJOR'), where).toBeNull();
          expect(run.stray, where).toBeNull();
        }
  });
});
