/**
 * Memory layout and batch plan of one compute (one WebAssembly
 * memory per compute holds the outputs, the input series and one work region per executor; the
 * tensor's arrays are views on that memory, so results are never copied).
 *
 *   [64 .. outputs: K arrays of T·V float32] [input series: T float32 each] [work regions]
 *   work region = call frame (64 B) + params (B·P f64) + kernel scratch
 *
 * A compute into someone else's memory (a ComputeTarget: a backtest's scoring memory) writes its
 * outputs where the target says, variants `variantBytes` apart, and lays out the rest from its base.
 */
import type { Axis, Layout } from '../grid/types.js';
import type { IndicatorDef, KernelSpec, Profile, SourceSeries, BaseSeries, TimeSplitSpec } from '../registry/types.js';
import type { MemoryBytesFn } from '../guards/index.js';
import { sourceComponents } from '../candles/sources.js';

export const PAGE = 65536;
export const MAX_PAGES = 65536;
/** One wasm32 memory holds at most 4 GiB (MAX_PAGES pages); the guards refuse larger layouts with memoryLimitError. */
export { MAX_MEMORY_BYTES, memoryLimitError } from '../guards/index.js';
const BASE = 64;
const align = (x: number, a = 64): number => Math.ceil(x / a) * a;

export type SeriesName = SourceSeries | BaseSeries;
const BASE_SLOTS: readonly BaseSeries[] = ['open', 'high', 'low', 'close', 'volume'];

export interface BatchRange {
  index: number;
  start: number;
  end: number;
  /** Set on a time piece (every variant, a range of rows; see planTimePieces). */
  rows?: TimePiece;
}

/**
 * One time piece of a TIME_MAJOR pool compute: every variant, output rows t0 … t1 − 1, so each worker
 * owns whole rows (which it claims before writing, assembly/lanes.ts claimRows) instead of a slice of
 * every row. Piece 0 starts at bar 0. Piece k ≥ 1 needs the kernel state at bar t0, which only piece
 * k − 1 computes exactly, so it warms up: a fresh state run dry (nothing stored) over bars warm …
 * t0 − 1, then the stored rows resumed from it. Each piece leaves its state at t0 (after the warm
 * start) and at t1 in the checkpoint region; once every piece is done, piece k's warm state must
 * equal piece k − 1's end state bit for bit, or piece k runs again resumed from that exact state
 * (`resume`). Either way every row equals the unsplit run's.
 */
export interface TimePiece {
  piece: number;
  t0: number;
  t1: number;
  /** First bar of the warm start (t0 for piece 0, which needs none). */
  warm: number;
  /** A re-run: start from piece k − 1's end state in the checkpoint region, no warm start. */
  resume?: boolean;
  /**
   * A fix-up of the look-ahead rows before a piece boundary (a kernel with `resume.provisional`):
   * rows t0 … t1 − 1 computed into the fix-up region, then its provisional outputs' rows before
   * `boundary` copied to the outputs.
   */
  fixup?: { boundary: number };
}

/**
 * Checkpoint region of a time-split compute: per piece, the state after the warm start and at its
 * end. A kernel with `timeSplit` saves its state arrays (stateArrays × V f64, array by array); a
 * resumable kernel (registry `resume`) saves the leading state bytes of each kernel call's scratch,
 * one call per run of variants sharing a source (`runs`: the run's first variant and its bytes'
 * offset within a snapshot).
 */
export interface TimeSplitLayout {
  readonly pieces: number;
  readonly offset: number;
  /** Bytes of one state snapshot. */
  readonly stateBytes: number;
  readonly stateArrays: readonly number[];
  readonly runs?: readonly { readonly start: number; readonly n: number; readonly offset: number; readonly bytes: number }[];
  /**
   * A kernel with look-ahead outputs (`resume.provisional`): each piece leaves the last `rows` rows
   * of those outputs NaN (their values need the next piece's bars), so after the pieces a fix-up
   * recomputes rows boundary − rows … boundary + rows − 1 into a region of its own (2·rows rows of
   * every output, TIME_MAJOR) and copies the provisional outputs' rows before the boundary back.
   */
  readonly fix?: { readonly rows: number; readonly bases: readonly number[]; readonly outputs: readonly number[] };
}

/** Offset of piece k's warm-start state (`end` false) or end state (`end` true). */
export function checkpointAt(ts: TimeSplitLayout, piece: number, end: boolean): number {
  return ts.offset + (2 * piece + (end ? 1 : 0)) * ts.stateBytes;
}

/**
 * A VARIANT_MAJOR compute written into a memory laid out by its caller: output k's variant 0 at
 * `outputAt[k]`, each variant `variantBytes` after the one before (at least t·4: the bytes between
 * two variants are never written), and the compute's own regions (input series, work, flags) from
 * `base` (64-byte aligned).
 */
export interface ComputeTarget {
  readonly base: number;
  readonly outputAt: readonly number[];
  readonly variantBytes: number;
}

export interface ComputeLayout {
  readonly t: number;
  readonly variants: number;
  readonly layout: Layout;
  readonly outputs: readonly string[];
  /** The profile of conventions the kernels run in (the frame's profile slot). */
  readonly profile: Profile;
  /** Kernel slot index of each materialised output, in `outputs` order. */
  readonly slotOf: readonly number[];
  readonly outputOffsets: readonly number[];
  /** VARIANT_MAJOR: bytes from one variant's row 0 to the next (t·4 unless a target says more). */
  readonly variantBytes: number;
  readonly series: Readonly<Record<string, number>>;
  readonly workOffsets: readonly number[];
  readonly workBytes: number;
  readonly batchVariants: number;
  readonly batches: readonly BatchRange[];
  /** Set when the batches are time pieces (planTimePieces). */
  readonly timeSplit?: TimeSplitLayout;
  /** Int32 done-flag per batch, published with Atomics by pool workers. */
  readonly flagsOffset: number;
  readonly totalBytes: number;
  readonly pages: number;
}

/** The series a compute reads: base inputs of the definition plus every selected source value. */
export function seriesNeeded(def: IndicatorDef, axes: readonly Axis[]): SeriesName[] {
  const names = new Set<SeriesName>();
  for (const i of def.inputs) if (i !== 'source') names.add(i);
  const src = axes.find((a) => a.name === 'source');
  if (src) for (const s of src.values as readonly SourceSeries[]) names.add(s);
  return [...names];
}

/** Bytes from a kernel's call frame to its parameter arrays (compute/kernels.ts FRAME_WORDS, rounded up to a cache line). */
export const FRAME_BYTES = 128;

/** Base series a materialised grid needs: the non-source inputs plus the selected sources, hl2/hlc3/ohlc4 expanded. */
export function requiredBaseSeries(def: IndicatorDef, axes: readonly Axis[]): BaseSeries[] {
  const out = new Set<BaseSeries>();
  for (const s of seriesNeeded(def, axes)) for (const b of sourceComponents(s)) out.add(b);
  return [...out].sort();
}

const roundUp4 = (x: number): number => 4 * Math.ceil(x / 4);

/**
 * In-process batches write up to this many output values (2 GiB of float32). A TIME_MAJOR batch
 * writes one piece of every output row; narrow pieces straddle cache lines that the next batch
 * writes much later, which multiplies the memory traffic, and only a call that covers whole rows can claim
 * them (lanes.ts claimRows). Kernels that share work across a call's variants (bbands' windows) also
 * want the whole grid in one call. A batch this size computes in roughly 0.1–1 s, so
 * cancellation and progress stay prompt.
 */
export const IN_PROCESS_BATCH_VALUES = 2 ** 29;

/**
 * Pool batches: one contiguous piece of the grid per thread, each at most POOL_BATCH_VALUES output
 * values (more pieces only for grids above 1 GiB of output per thread, so progress and cancellation
 * stay within about half a second of work). The general rule below (about four batches per thread)
 * gives small batches at long series, which cost more than they gain on both layouts: every TIME_MAJOR
 * batch writes a piece of every row, so two workers would write the same cache lines of the same rows
 * at the same time, and kernels that share work across a call's variants (bbands' windows) would
 * repeat it per batch. An explicit batch size (request or config) is still taken as given.
 */
export const POOL_BATCH_VALUES = 2 ** 28;

/**
 * Batch size: an explicit size (capped at V) as given; pool computes by the rule above; otherwise about
 * four batches per thread, each writing at most 64 MiB, raised to the in-process floor when `inProcess` is set.
 */
export function batchSize(
  v: number,
  t: number,
  k: number,
  threads: number,
  requested: number | 'auto' | undefined,
  inProcess = false,
): number {
  if (typeof requested === 'number') return Math.max(1, Math.min(requested, v));
  if (!inProcess && threads > 1) return Math.min(v, roundUp4(Math.ceil(v / threads)), Math.max(4, Math.floor(POOL_BATCH_VALUES / (t * k))));
  const auto = Math.min(v, Math.max(4, roundUp4(Math.ceil(v / (4 * threads)))));
  const cap = Math.max(4, Math.floor(16_777_216 / (t * k)));
  const b = Math.max(1, Math.min(auto, cap, v));
  return inProcess ? Math.min(v, Math.max(b, Math.ceil(IN_PROCESS_BATCH_VALUES / (t * k)))) : b;
}

/**
 * Scratch of one executor at most this many bytes with automatic batches: kernels whose state holds
 * rings of past values per variant (stoch, stoch_rsi, vwap_deviation: 16–64 KiB each, whatever the
 * series' length) run a huge grid in more, smaller batches instead of one scratch of gigabytes.
 */
export const SCRATCH_BUDGET = 256 * 1024 * 1024;

/** The largest batch of at most `b` variants whose scratch fits SCRATCH_BUDGET (at least 1). */
export function scratchCapped(kernel: KernelSpec, b: number, t: number): number {
  let n = b;
  for (let i = 0; i < 8 && n > 1; i++) {
    const bytes = kernel.scratchBytes(n, t);
    if (bytes <= SCRATCH_BUDGET) break;
    n = Math.max(1, Math.min(n - 1, Math.floor((n * SCRATCH_BUDGET) / bytes)));
  }
  return n;
}

/** Rows of a time piece are whole kernel chunks (assembly/lanes.ts CHUNK), so no chunk straddles a piece's first row. */
const PIECE_ROWS = 256;

/**
 * How a kernel runs in time pieces: its `timeSplit`, or for a resumable kernel (registry `resume`,
 * docs/kernel-state.md) one derived from its resume contract, and whether the planner picks pieces
 * for it by itself (`preferred`). A kernel that keeps no state between calls needs no warm start: a
 * piece resumes at its first bar, reading the bars before it. One whose recursions decay
 * (`resume.warmBars`) warms up from a fresh state over that many bars, like the EWMA chains. Any other
 * stateful kernel (running sums keep their rounding history, cumulative lines never forget) can run in
 * pieces too, warming up over 4096 + 128 × its largest param, but each piece then runs again resumed
 * from the previous piece's exact end state, so the planner splits it by variants instead. A resumable
 * kernel's warm start writes real rows, so they go to the piece's own first rows, which the piece
 * then writes again (dryCost 1).
 */
export function splitOf(kernel: KernelSpec, axes: readonly Axis[], variants: number): { spec: TimeSplitSpec; preferred: boolean } | null {
  if (kernel.timeSplit) return { spec: kernel.timeSplit, preferred: true };
  const r = kernel.resume;
  if (!r) return null;
  if (r.stateBytes(Math.max(1, variants)) === 0) return { spec: { stateArrays: [], warmBars: () => 0, dryCost: 0 }, preferred: true };
  // look-ahead rows are fixed up after the pieces only for a kernel without state
  if (r.provisional) return null;
  let maxParam = 1;
  for (const a of axes) if (a.kind !== 'source') for (const v of a.values as number[]) maxParam = Math.max(maxParam, v);
  const warm = r.warmBars ? r.warmBars(maxParam) : 4096 + 128 * Math.ceil(maxParam);
  return { spec: { stateArrays: [], warmBars: () => warm, dryCost: 1 }, preferred: r.warmBars !== undefined };
}

/**
 * Time pieces for a pool compute, or null when the grid is split by variants. Pieces are used for
 * TIME_MAJOR grids of kernels with `timeSplit` or `resume` when the batch size is automatic, there are several
 * threads, every piece fits POOL_BATCH_VALUES and the series is long enough that warm starts cost
 * little (at least 4 warm-ups per piece). Piece k ≥ 1 also pays its warm start at `dryCost` per bar,
 * so the pieces are sized to cost the same: rows₀ = C, rowsₖ = C − warm·dryCost.
 * Pieces rather than variant batches because batches make each worker write a slice of every row.
 */
export function planTimePieces(
  kernel: KernelSpec,
  axes: readonly Axis[],
  t: number,
  variants: number,
  k: number,
  layout: Layout,
  threads: number,
  requested: number | 'auto' | undefined,
  inProcess: boolean,
  warmOverride?: number,
): TimePiece[] | null {
  const split = splitOf(kernel, axes, variants);
  // tests pass warmOverride to run any resumable kernel in pieces
  if (!split || (!split.preferred && warmOverride === undefined)) return null;
  const ts = split.spec;
  // a piece runs every variant in one call: its scratch must fit like any batch's
  if (kernel.scratchBytes(variants, t) > SCRATCH_BUDGET) return null;
  if (inProcess || threads < 2 || layout !== 'TIME_MAJOR' || typeof requested === 'number') return null;
  if (t * variants * k > threads * POOL_BATCH_VALUES) return null;
  const axis = axes.find((a) => a.name === kernel.params[0]);
  const maxWindow = axis ? Math.max(...(axis.values as number[])) : 1;
  const warm = warmOverride ?? ts.warmBars(maxWindow);
  if (t < threads * 4 * Math.max(warm, PIECE_ROWS)) return null;
  const c = (t + (threads - 1) * warm * ts.dryCost) / threads;
  const pieces: TimePiece[] = [];
  let t0 = 0;
  for (let p = 0; p < threads; p++) {
    const rows = p === 0 ? c : c - warm * ts.dryCost;
    const t1 = p === threads - 1 ? t : Math.min(t, Math.max(t0 + PIECE_ROWS, Math.round((t0 + rows) / PIECE_ROWS) * PIECE_ROWS));
    pieces.push({ piece: p, t0, t1, warm: Math.max(0, t0 - warm) });
    t0 = t1;
  }
  return pieces;
}

export function planLayout(args: {
  def: IndicatorDef;
  kernel: KernelSpec;
  axes: readonly Axis[];
  t: number;
  variants: number;
  layout: Layout;
  outputs: readonly string[];
  threads: number;
  batchVariants?: number | 'auto';
  executors: number;
  inProcess?: boolean;
  /** Tests: a warm start of this many bars instead of the kernel's (a short one forces re-runs). */
  warmBars?: number;
  /** Default: the default profile. */
  profile?: Profile;
  /** Outputs written into a caller's memory (VARIANT_MAJOR only); the plan's bytes then start at its base. */
  target?: ComputeTarget;
}): ComputeLayout {
  const { def, kernel, axes, t, variants, layout, outputs, target } = args;
  let off = BASE;
  const outputOffsets: number[] = [];
  if (target) {
    const placed = target.outputAt.length === outputs.length && target.outputAt.every((x) => Number.isInteger(x));
    if (layout !== 'VARIANT_MAJOR' || target.variantBytes < t * 4 || !placed || target.base % 64) {
      throw new Error('internal: a compute target takes VARIANT_MAJOR outputs, one place each, t·4 bytes apart at least');
    }
    off = target.base;
    outputOffsets.push(...target.outputAt);
  } else {
    for (let k = 0; k < outputs.length; k++) {
      outputOffsets.push(off);
      off = align(off + t * variants * 4);
    }
  }
  const series: Record<string, number> = {};
  for (const s of seriesNeeded(def, axes)) {
    series[s] = off;
    off = align(off + t * 4);
  }
  // a target's plan never runs in time pieces (they take TIME_MAJOR grids only)
  const pieces = planTimePieces(
    kernel,
    axes,
    t,
    variants,
    Math.max(1, outputs.length),
    layout,
    args.threads,
    args.batchVariants,
    args.inProcess ?? false,
    args.warmBars,
  );
  let b = pieces
    ? variants
    : batchSize(variants, t, Math.max(1, outputs.length), args.threads, args.batchVariants, args.inProcess ?? false);
  if (!pieces && typeof args.batchVariants !== 'number') b = scratchCapped(kernel, b, t);
  const workBytes = align(FRAME_BYTES + b * Math.max(1, kernel.params.length) * 8) + align(kernel.scratchBytes(b, t) + 64);
  const workOffsets: number[] = [];
  for (let e = 0; e < args.executors; e++) {
    workOffsets.push(off);
    off += workBytes;
  }
  const batches: BatchRange[] = [];
  if (pieces) for (const rows of pieces) batches.push({ index: rows.piece, start: 0, end: variants, rows });
  else for (let i = 0, s = 0; s < variants; i++, s += b) batches.push({ index: i, start: s, end: Math.min(variants, s + b) });
  const flagsOffset = off;
  off = align(off + batches.length * 4);
  let timeSplit: TimeSplitLayout | undefined;
  if (pieces && kernel.timeSplit) {
    const stateArrays = kernel.timeSplit.stateArrays;
    timeSplit = { pieces: pieces.length, offset: off, stateBytes: stateArrays.length * variants * 8, stateArrays };
    off = align(off + 2 * pieces.length * timeSplit.stateBytes);
  } else if (pieces) {
    // one kernel call per run of variants sharing a source, each with its own state bytes
    const runs: { start: number; n: number; offset: number; bytes: number }[] = [];
    const strides = axisStrides(axes);
    const srcAxis = axes.findIndex((a) => a.name === 'source');
    let bytes = 0;
    for (let s = 0; s < variants; ) {
      let e = s + 1;
      if (srcAxis >= 0) while (e < variants && axisValueAt(axes, strides, srcAxis, e) === axisValueAt(axes, strides, srcAxis, s)) e++;
      else e = variants;
      const b = align(kernel.resume!.stateBytes(e - s));
      runs.push({ start: s, n: e - s, offset: bytes, bytes: b });
      bytes += b;
      s = e;
    }
    timeSplit = { pieces: pieces.length, offset: off, stateBytes: bytes, stateArrays: [], runs };
    off = align(off + 2 * pieces.length * bytes);
    const provisional = kernel.resume!.provisional ? outputs.map((o, k) => (def.trailingNan?.[o] ? k : -1)).filter((k) => k >= 0) : [];
    if (provisional.length) {
      // the look-ahead outputs' trailing NaN rows: a param name each (trend.ichimoku: displacement)
      let rows = 0;
      for (const k of provisional) {
        const axis = axes.find((a) => a.name === def.trailingNan![outputs[k]!]);
        rows = Math.max(rows, ...((axis?.values as number[] | undefined) ?? [t]));
      }
      rows = Math.min(rows, t);
      const bases = outputs.map(() => {
        const base = off;
        off = align(off + 2 * rows * variants * 4);
        return base;
      });
      timeSplit = { ...timeSplit, fix: { rows, bases, outputs: provisional } };
    }
  }
  const slotOf = outputs.map((o) => kernel.slots.indexOf(o));
  return {
    t,
    variants,
    layout,
    outputs,
    profile: args.profile ?? 'gridta',
    slotOf,
    outputOffsets,
    variantBytes: target ? target.variantBytes : t * 4,
    series,
    workOffsets,
    workBytes,
    batchVariants: b,
    batches,
    ...(timeSplit ? { timeSplit } : {}),
    flagsOffset,
    totalBytes: off,
    pages: Math.ceil(off / PAGE),
  };
}

/** Below this many output values (T·V·K) a compute runs in-process even with a pool. */
export const POOL_MIN_VALUES = 2 ** 20;

/**
 * Whether a compute runs on a pool of `poolThreads` workers (null: no pool): small outputs and
 * computes of a single batch run in-process even when a pool exists, unless `split` (the grid's
 * kernel, axes and layout) can run as time pieces, which splits even a grid of a few variants.
 */
export function runsPooled(
  poolThreads: number | null,
  t: number,
  variants: number,
  k: number,
  batchVariants: number | 'auto' | undefined,
  split?: { kernel: KernelSpec; axes: readonly Axis[]; layout: Layout },
): boolean {
  if (poolThreads === null || t * variants * k < POOL_MIN_VALUES) return false;
  if (batchSize(variants, t, k, poolThreads, batchVariants) < variants) return true;
  return (
    split !== undefined &&
    planTimePieces(split.kernel, split.axes, t, variants, k, split.layout, poolThreads, batchVariants, false) !== null
  );
}

/**
 * Bytes of the WebAssembly memory a compute lays out (from the target's base when it computes into
 * one): the plan runPooled (on a pool) or runWasm (in-process) makes, so the guards refuse exactly
 * the layouts the compute would refuse.
 */
export function wasmMemoryBytes(
  def: IndicatorDef,
  axes: readonly Axis[],
  t: number,
  variants: number,
  layout: Layout,
  outputs: readonly string[],
  poolThreads: number | null,
  batchVariants: number | 'auto' | undefined,
  target?: ComputeTarget,
): number {
  const pooled = runsPooled(poolThreads, t, variants, Math.max(1, outputs.length), batchVariants, { kernel: def.kernel!, axes, layout });
  const threads = pooled ? poolThreads! : 1;
  return planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t,
    variants,
    layout,
    outputs,
    threads,
    batchVariants,
    executors: threads,
    inProcess: !pooled,
    ...(target ? { target } : {}),
  }).totalBytes;
}

/**
 * Bytes a VARIANT_MAJOR compute into a target (ComputeTarget) lays out from the target's base: its
 * input series, work regions and flags, as runPooled or runWasm would plan them.
 */
export function wasmWorkBytes(
  def: IndicatorDef,
  axes: readonly Axis[],
  t: number,
  variants: number,
  outputs: readonly string[],
  poolThreads: number | null,
  batchVariants: number | 'auto' | undefined,
): number {
  const target = { base: 0, outputAt: outputs.map(() => 0), variantBytes: t * 4 };
  return wasmMemoryBytes(def, axes, t, variants, 'VARIANT_MAJOR', outputs, poolThreads, batchVariants, target);
}

/** The memory of an in-process compute on a WebAssembly engine with automatic batching; null without a kernel. */
export const inProcessMemoryBytes: MemoryBytesFn = (grid, t, variants, layout, outputs) =>
  grid.def.kernel ? wasmMemoryBytes(grid.def, grid.axes, t, variants, layout, outputs, null, 'auto') : null;

/** Per-axis strides of the cartesian variant order (first axis slowest, last axis fastest). */
export function axisStrides(axes: readonly Axis[]): number[] {
  const strides = new Array<number>(axes.length).fill(1);
  for (let k = axes.length - 2; k >= 0; k--) strides[k] = strides[k + 1]! * axes[k + 1]!.values.length;
  return strides;
}

export function axisValueAt(axes: readonly Axis[], strides: readonly number[], k: number, v: number): number | string {
  const a = axes[k]!;
  return a.values[Math.floor(v / strides[k]!) % a.values.length]!;
}

export { BASE_SLOTS };
