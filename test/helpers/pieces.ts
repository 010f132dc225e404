/**
 * Runs a plan's time pieces as pool workers would (each piece on one of two executors, in any
 * order), then settles them (compute/kernels.ts settlePieces): the outputs of the whole grid and the
 * number of pieces that ran again. The plan carries the profile.
 */
import { runBatch, settlePieces } from '../../src/compute/kernels.js';
import type { BatchRange, ComputeLayout } from '../../src/compute/plan.js';
import type { Axis } from '../../src/grid/types.js';
import type { IndicatorDef, SourceSeries } from '../../src/registry/types.js';
import { bundledModules, sourceOf, type Target } from './oracle.js';
import type { TestSeries } from './series.js';

export async function runPieces(
  def: IndicatorDef,
  axes: Axis[],
  plan: ComputeLayout,
  s: TestSeries,
  target: Target,
): Promise<{ values: Uint32Array[]; reruns: number }> {
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true });
  const exports = new WebAssembly.Instance(bundledModules()[target], { env: { memory } }).exports as Record<string, unknown>;
  for (const [name, off] of Object.entries(plan.series)) new Float32Array(memory.buffer, off, s.t).set(sourceOf(s, name as SourceSeries));
  for (const b of [...plan.batches].reverse()) runBatch(exports, memory, def, axes, plan, b, b.index % plan.workOffsets.length);
  const reruns = await settlePieces(plan, memory, async (b: BatchRange) =>
    runBatch(exports, memory, def, axes, { ...plan, batches: [b] }, b, 0),
  );
  const V = plan.variants;
  return { values: plan.outputOffsets.map((off) => new Uint32Array(memory.buffer, off, s.t * V).slice()), reruns };
}
