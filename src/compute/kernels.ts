/**
 * Kernel dispatch: runs one batch of variants of one indicator in a WebAssembly instance whose
 * memory holds the layout of plan.ts. The same function runs in the main thread (in-process mode)
 * and in pool workers. Dispatch goes through `def.kernel`, never a switch over ids.
 */
import type { Axis } from '../grid/types.js';
import type { IndicatorDef } from '../registry/types.js';
import { axisStrides, axisValueAt, type BatchRange, type ComputeLayout } from './plan.js';

export type KernelFn = (io: number, t: number, n: number, params: number, tStride: number, vStride: number, scratch: number) => void;

const SERIES_SLOT: Readonly<Record<string, number>> = { open: 1, high: 2, low: 3, close: 4, volume: 5 };

/** Runs the batch's variants, split into runs that share one source value (one kernel call each). */
export function runBatch(exports: Record<string, unknown>, memory: { buffer: ArrayBufferLike }, def: IndicatorDef, axes: readonly Axis[],
  plan: ComputeLayout, batch: BatchRange, executor: number): void {
  const kernel = def.kernel!;
  const fn = exports[kernel.name] as KernelFn;
  const work = plan.workOffsets[executor]!;
  const u32 = new Uint32Array(memory.buffer);
  const f64 = new Float64Array(memory.buffer);
  const strides = axisStrides(axes);
  const srcAxis = axes.findIndex((a) => a.name === 'source');
  const paramAxes = kernel.params.map((p) => axes.findIndex((a) => a.name === p));
  const { t, variants } = plan;
  const tm = plan.layout === 'TIME_MAJOR';
  const tStride = tm ? variants * 4 : 4;
  const vStride = tm ? 4 : t * 4;
  const frame = work;
  const params = work + 64;
  const scratch = work + Math.ceil((64 + plan.batchVariants * Math.max(1, kernel.params.length) * 8) / 64) * 64;
  for (let i = 0; i < 16; i++) u32[(frame >> 2) + i] = 0;
  for (const [name, slot] of Object.entries(SERIES_SLOT)) u32[(frame >> 2) + slot] = plan.series[name] ?? 0;

  let s = batch.start;
  while (s < batch.end) {
    const source = srcAxis >= 0 ? (axisValueAt(axes, strides, srcAxis, s) as string) : null;
    let e = s + 1;
    if (srcAxis >= 0) while (e < batch.end && axisValueAt(axes, strides, srcAxis, e) === source) e++;
    else e = batch.end;
    const n = e - s;
    u32[frame >> 2] = source ? plan.series[source]! : 0;
    for (let k = 0; k < plan.outputs.length; k++) {
      u32[(frame >> 2) + 8 + plan.slotOf[k]!] = plan.outputOffsets[k]! + s * (tm ? 4 : t * 4);
    }
    for (let p = 0; p < paramAxes.length; p++) {
      const ax = paramAxes[p]!;
      for (let j = 0; j < n; j++) f64[(params >> 3) + p * n + j] = axisValueAt(axes, strides, ax, s + j) as number;
    }
    fn(frame, t, n, params, tStride, vStride, scratch);
    s = e;
  }
}
