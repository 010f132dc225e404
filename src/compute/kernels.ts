/**
 * Kernel dispatch: runs one batch of variants of one indicator in a WebAssembly instance whose
 * memory holds the layout of plan.ts. The same function runs in the main thread (in-process mode)
 * and in pool workers. Dispatch goes through `def.kernel`, never a switch over ids.
 */
import type { Axis } from '../grid/types.js';
import type { IndicatorDef, Profile } from '../registry/types.js';
import { axisStrides, axisValueAt, checkpointAt, FRAME_BYTES, type BatchRange, type ComputeLayout } from './plan.js';

export type KernelFn = (io: number, t: number, n: number, params: number, tStride: number, vStride: number, scratch: number) => void;

/**
 * The kernel call frame: u32 slots, as assembly/lanes.ts declares them in bytes (IO_SRC … IO_OUT;
 * test/unit/kernel-layout.test.ts checks that the two agree). FRAME_SRC: the source series;
 * SERIES_SLOT: the base series; FRAME_SKIP: rows computed but not stored (IO_SKIP); FRAME_RESUME:
 * resume the state in scratch (IO_RESUME); FRAME_OUT + k: the output of kernel slot k; FRAME_T0: the
 * bar index of the call's first row (IO_T0). The parameter arrays start FRAME_BYTES after the frame.
 */
export const FRAME_SRC = 0;
export const SERIES_SLOT: Readonly<Record<string, number>> = Object.freeze({ open: 1, high: 2, low: 3, close: 4, volume: 5 });
export const FRAME_SKIP = 6;
export const FRAME_RESUME = 7;
export const FRAME_OUT = 8;
export const FRAME_T0 = 16;
/** The profile of conventions (IO_PROFILE): 0 gridta, 1 talib (registry/types.ts Profile). */
export const FRAME_PROFILE = 17;
/** u32 slots of the frame: eight outputs from FRAME_OUT, then FRAME_T0, FRAME_PROFILE. */
export const FRAME_WORDS = 18;

/** The frame's profile code: 0 for the default profile, 1 for talib. */
export function profileCode(profile: Profile | undefined): number {
  return profile === 'talib' ? 1 : 0;
}
export { FRAME_BYTES };

/**
 * Index of the element at `byteOffset` in a typed-array view of `elementBytes`-sized elements over
 * the whole memory. A WebAssembly memory reaches 4 GiB, so offsets of 2 GiB and more are common:
 * divide, never shift (`>>` works on signed 32-bit integers and turns such offsets negative, and
 * a typed array silently ignores writes at negative indices).
 */
export function elementIndex(byteOffset: number, elementBytes: 4 | 8): number {
  return byteOffset / elementBytes;
}

/**
 * Runs the batch's variants, split into runs that share one source value (one kernel call each; a
 * time piece makes up to two calls per run, see plan.ts TimePiece).
 */
export function runBatch(
  exports: Record<string, unknown>,
  memory: { buffer: ArrayBufferLike },
  def: IndicatorDef,
  axes: readonly Axis[],
  plan: ComputeLayout,
  batch: BatchRange,
  executor: number,
): void {
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
  const vStride = tm ? 4 : plan.variantBytes;
  const frame = work;
  const params = work + FRAME_BYTES;
  const scratch = work + Math.ceil((FRAME_BYTES + plan.batchVariants * Math.max(1, kernel.params.length) * 8) / 64) * 64;
  const f = elementIndex(frame, 4);
  for (let i = 0; i < FRAME_WORDS; i++) u32[f + i] = 0;
  u32[f + FRAME_PROFILE] = profileCode(plan.profile);

  /**
   * One kernel call for variants s … s + n − 1 over bars r0 … r1 − 1 (series shifted to r0, outputs
   * to row `outRow`, r0 unless given). A call that does not resume starts a series: its first bar is 0.
   */
  const call = (
    source: string | null,
    s: number,
    n: number,
    r0: number,
    r1: number,
    skip: number,
    resume: boolean,
    outRow = r0,
    outBases: readonly number[] = plan.outputOffsets,
  ): void => {
    for (const [name, slot] of Object.entries(SERIES_SLOT))
      u32[f + slot] = plan.series[name] === undefined ? 0 : plan.series[name]! + r0 * 4;
    u32[f + FRAME_SRC] = source ? plan.series[source]! + r0 * 4 : 0;
    for (let k = 0; k < plan.outputs.length; k++) {
      u32[f + FRAME_OUT + plan.slotOf[k]!] = outBases[k]! + outRow * tStride + s * vStride;
    }
    u32[f + FRAME_SKIP] = skip;
    u32[f + FRAME_T0] = resume ? r0 : 0;
    u32[f + FRAME_RESUME] = resume ? 1 : 0;
    fn(frame, r1 - r0, n, params, tStride, vStride, scratch);
  };
  /** Copies the kernel's state (n variants from s) between scratch and a checkpoint snapshot. */
  const state = (s: number, n: number, snapshot: number, save: boolean): void => {
    const ts = plan.timeSplit!;
    if (ts.runs) {
      // a resumable kernel: the leading state bytes of this run's call
      const run = ts.runs.find((r) => r.start === s)!;
      const bytes = new Uint8Array(memory.buffer);
      const at = snapshot + run.offset;
      const len = kernel.resume!.stateBytes(n);
      if (save) bytes.copyWithin(at, scratch, scratch + len);
      else bytes.copyWithin(scratch, at, at + len);
      return;
    }
    ts.stateArrays.forEach((a, i) => {
      const scr = elementIndex(scratch, 8) + a * n;
      const snap = elementIndex(snapshot, 8) + i * variants + s;
      if (save) f64.copyWithin(snap, scr, scr + n);
      else f64.copyWithin(scr, snap, snap + n);
    });
  };

  let s = batch.start;
  while (s < batch.end) {
    const source = srcAxis >= 0 ? (axisValueAt(axes, strides, srcAxis, s) as string) : null;
    let e = s + 1;
    if (srcAxis >= 0) while (e < batch.end && axisValueAt(axes, strides, srcAxis, e) === source) e++;
    else e = batch.end;
    const n = e - s;
    const p0 = elementIndex(params, 8);
    for (let p = 0; p < paramAxes.length; p++) {
      const ax = paramAxes[p]!;
      for (let j = 0; j < n; j++) f64[p0 + p * n + j] = axisValueAt(axes, strides, ax, s + j) as number;
    }
    const rows = batch.rows;
    if (!rows) {
      call(source, s, n, 0, t, 0, false);
    } else if (rows.fixup) {
      // the look-ahead rows before a boundary: rows t0 … t1 − 1 into the fix-up region (row 0 there is
      // row t0), then the provisional outputs' rows t0 … boundary − 1 back (a kernel without state)
      const fix = plan.timeSplit!.fix!;
      const region = fix.bases;
      call(source, s, n, rows.t0, rows.t1, 0, rows.t0 > 0, 0, region);
      const f32 = new Float32Array(memory.buffer);
      for (const k of fix.outputs) {
        const from = elementIndex(region[k]!, 4);
        const to = elementIndex(plan.outputOffsets[k]!, 4);
        for (let r = rows.t0; r < rows.fixup.boundary; r++) {
          const a = from + (r - rows.t0) * variants + s;
          f32.copyWithin(to + r * variants + s, a, a + n);
        }
      }
    } else {
      const ts = plan.timeSplit!;
      let resume = false;
      if (rows.resume) {
        state(s, n, checkpointAt(ts, rows.piece - 1, true), false);
        resume = true;
      } else if (rows.piece > 0) {
        if (!ts.runs) call(source, s, n, rows.warm, rows.t0, rows.t0 - rows.warm, false);
        // a resumable kernel's warm start writes its rows into the piece's own first rows, written again below
        else if (rows.warm < rows.t0) call(source, s, n, rows.warm, rows.t0, 0, false, rows.t0);
        state(s, n, checkpointAt(ts, rows.piece, false), true);
        resume = true;
      }
      call(source, s, n, rows.t0, rows.t1, 0, resume);
      state(s, n, checkpointAt(ts, rows.piece, true), true);
    }
    s = e;
  }
}

/**
 * After every time piece of a compute has run (plan.ts TimePiece): piece k's warm-start state must
 * equal piece k − 1's end state bit for bit. Where it does not, `rerun` runs piece k again (as batch
 * 0 of a one-batch run) resumed from that exact state, which rewrites its rows and its end state
 * before piece k + 1 is checked. Returns the number of re-runs.
 */
export async function settlePieces(
  plan: ComputeLayout,
  memory: { buffer: ArrayBufferLike },
  rerun: (batch: BatchRange) => Promise<void>,
): Promise<number> {
  const ts = plan.timeSplit!;
  const words = ts.stateBytes / 4;
  let reruns = 0;
  for (let k = 1; k < ts.pieces; k++) {
    const warm = new Uint32Array(memory.buffer, checkpointAt(ts, k, false), words);
    const exact = new Uint32Array(memory.buffer, checkpointAt(ts, k - 1, true), words);
    let same = true;
    for (let i = 0; i < words && same; i++) same = warm[i] === exact[i];
    if (same) continue;
    const batch = plan.batches[k]!;
    await rerun({ ...batch, index: 0, rows: { ...batch.rows!, resume: true } });
    reruns++;
  }
  // look-ahead outputs: the rows before each boundary, which their piece left NaN (not counted as re-runs)
  if (ts.fix) {
    for (let k = 1; k < ts.pieces; k++) {
      const b = plan.batches[k]!.rows!.t0;
      const t0 = Math.max(0, b - ts.fix.rows);
      const rows = { piece: k, t0, t1: Math.min(plan.t, b + ts.fix.rows), warm: t0, fixup: { boundary: b } };
      await rerun({ index: 0, start: 0, end: plan.variants, rows });
    }
  }
  return reruns;
}
