/**
 * In-process compute: lays out one WebAssembly memory (plan.ts), writes the input series, runs the
 * batches in variant order, reports progress, honours cancellation at batch boundaries and returns
 * the output arrays as views on that memory. The reference engine follows the same batch loop with
 * the plain-TypeScript implementations.
 */
import { buildSourceSeries } from '../candles/index.js';
import type { Candles } from '../candles/index.js';
import { ComputeCancelled, GridValidationError, KernelError } from '../errors.js';
import type { Axis, Layout } from '../grid/types.js';
import type { IndicatorDef, Profile, SeriesInputs, SourceSeries } from '../registry/types.js';
import { runBatch } from './kernels.js';
import { reclaimBeforeAllocating } from './reclaim.js';
import {
  MAX_PAGES,
  PAGE,
  axisStrides,
  axisValueAt,
  memoryLimitError,
  planLayout,
  seriesNeeded,
  type BatchRange,
  type ComputeLayout,
  type ComputeTarget,
} from './plan.js';

export type EngineKind = 'wasm-simd' | 'wasm-scalar' | 'reference';

export interface ComputeProgress {
  processed: number;
  total: number;
  batchesDone: number;
  batchesTotal: number;
  elapsedMs: number;
}

export interface RunRequest {
  def: IndicatorDef;
  axes: readonly Axis[];
  variants: number;
  layout: Layout;
  outputs: readonly string[];
  candles: Candles;
  /** The profile of conventions (default: the default profile). */
  profile?: Profile;
  batchVariants?: number | 'auto';
  signal?: AbortSignal;
  onProgress?: (p: ComputeProgress) => void;
  /** Output arrays to reuse (the request's `out`), already checked for shape by the caller. */
  reuse?: OutputBacking;
  /** Without `out`: a released memory of at least `bytes` bytes the engine can give back, if it has one. */
  recycled?: (bytes: number) => WebAssembly.Memory | undefined;
  /** Outputs written into this memory where the target says (no tensor arrays come back). */
  target?: MemoryTarget;
}

/** A ComputeTarget in a given memory (a backtest's scoring memory). */
export interface MemoryTarget extends ComputeTarget {
  readonly memory: WebAssembly.Memory;
}

/** What a tensor's arrays live in; kept beside the tensor so `out` can reuse it. */
export interface OutputBacking {
  readonly kind: 'wasm' | 'plain';
  readonly memory?: WebAssembly.Memory;
  readonly arrays: readonly Float32Array[];
  readonly t: number;
  readonly variants: number;
  readonly layout: Layout;
  readonly outputs: readonly string[];
}

export interface RunResult {
  arrays: Float32Array[];
  backing: OutputBacking;
  batches: number;
  batchVariants: number;
  attempts: number;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}

/** Batch loop shared by both engines: cancellation before each batch, progress after it, one yield between. */
async function loopBatches(req: RunRequest, batches: readonly BatchRange[], run: (b: BatchRange) => void): Promise<void> {
  const t0 = performance.now();
  let processed = 0;
  for (let i = 0; i < batches.length; i++) {
    if (req.signal?.aborted) throw new ComputeCancelled({ processed, total: req.variants, reason: abortReason(req.signal) });
    const b = batches[i]!;
    try {
      run(b);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new KernelError(
          { indicatorId: req.def.id, batchIndex: b.index, variantStart: b.start, variantEnd: b.end, message: e.message },
          { cause: e },
        );
      }
      throw e;
    }
    processed += b.end - b.start;
    if (req.onProgress) {
      await yieldToLoop();
      // an abort during the yield: no progress after it
      if (req.signal?.aborted) throw new ComputeCancelled({ processed, total: req.variants, reason: abortReason(req.signal) });
      req.onProgress({
        processed,
        total: req.variants,
        batchesDone: i + 1,
        batchesTotal: batches.length,
        elapsedMs: performance.now() - t0,
      });
    } else if (i + 1 < batches.length) {
      await yieldToLoop();
    }
  }
  if (req.signal?.aborted) throw new ComputeCancelled({ processed, total: req.variants, reason: abortReason(req.signal) });
}

/** Runs a compute with a WebAssembly module (SIMD or scalar build) in the main thread. */
export async function runWasm(module: WebAssembly.Module, req: RunRequest): Promise<RunResult> {
  const { def, axes, variants, layout, outputs, candles } = req;
  const t = candles.t;
  const plan: ComputeLayout = planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t,
    variants,
    layout,
    outputs,
    threads: 1,
    batchVariants: req.batchVariants,
    executors: 1,
    inProcess: true,
    profile: req.profile,
    ...(req.target ? { target: req.target } : {}),
  });
  const memory = computeMemory(def.id, plan, req.reuse, req.recycled, req.target);
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new WebAssembly.RuntimeError('kernel abort');
      },
    },
  });
  const exports = instance.exports as Record<string, unknown>;
  writeSeries(memory, plan, candles);
  await loopBatches(req, plan.batches, (b) => runBatch(exports, memory, def, axes, plan, b, 0));
  return result(req, plan, memory);
}

/** The output arrays of a finished compute (none for a target: its outputs are where it asked). */
export function result(req: RunRequest, plan: ComputeLayout, memory: WebAssembly.Memory, attempts = plan.batches.length): RunResult {
  const { t, variants, layout, outputs } = plan;
  // the same arrays when reusing `out` (its output offsets depend only on T, V and K, which match)
  const arrays = req.target
    ? []
    : req.reuse
      ? [...req.reuse.arrays]
      : plan.outputOffsets.map((off) => new Float32Array(memory.buffer, off, t * variants));
  const backing: OutputBacking = { kind: 'wasm', memory, arrays, t, variants, layout, outputs };
  return { arrays, backing, batches: plan.batches.length, batchVariants: plan.batchVariants, attempts };
}

/**
 * The shared memory of one compute: the `out` tensor's memory when it is large enough, else a
 * released tensor's memory the engine gives back (`recycled`), else a new one sized exactly for the plan. One wasm32 memory holds at most 4 GiB; a larger compute is refused
 * with a clear reason, never truncated.
 */
export function computeMemory(
  indicatorId: string,
  plan: ComputeLayout,
  reuse?: OutputBacking,
  recycled?: (bytes: number) => WebAssembly.Memory | undefined,
  target?: MemoryTarget,
): WebAssembly.Memory {
  if (target) {
    // the caller laid the memory out and sized it for this plan
    if (target.memory.buffer.byteLength < plan.totalBytes)
      throw new Error(`internal: ${indicatorId}'s target memory holds less than its plan`);
    return target.memory;
  }
  if (reuse) {
    if (reuse.kind === 'wasm' && reuse.memory && reuse.memory.buffer.byteLength >= plan.totalBytes) return reuse.memory;
    throw new GridValidationError(
      {
        indicatorId,
        field: 'out',
        reason: 'shape_mismatch',
        value: reuse.kind === 'wasm' ? 'memory too small' : 'plain arrays',
        expected: `a WebAssembly-backed tensor of ${plan.totalBytes} bytes`,
      },
      'the tensor passed as out cannot hold this compute',
    );
  }
  if (plan.pages > MAX_PAGES) throw memoryLimitError(indicatorId, plan.totalBytes);
  // a released tensor's memory: its pages are touched already, and every byte a compute reads it writes first
  const again = recycled?.(plan.totalBytes);
  if (again) return again;
  reclaimBeforeAllocating(plan.pages * PAGE);
  return new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true });
}

/** Writes every needed base and derived series (e.g. hl2, hlc3) into the compute's memory as float32. */
export function writeSeries(memory: WebAssembly.Memory, plan: ComputeLayout, candles: Candles): void {
  for (const [name, off] of Object.entries(plan.series)) {
    const view = new Float32Array(memory.buffer, off, candles.t);
    buildSourceSeries(candles, name as SourceSeries, view);
  }
}

/** Runs a compute with the plain-TypeScript reference implementations. */
export async function runReference(req: RunRequest): Promise<RunResult> {
  const { def, axes, variants, layout, outputs, candles } = req;
  const t = candles.t;
  const kernel = def.kernel!;
  if (req.reuse && req.reuse.kind !== 'plain') {
    throw new GridValidationError(
      {
        indicatorId: def.id,
        field: 'out',
        reason: 'shape_mismatch',
        value: 'WebAssembly-backed tensor',
        expected: 'a tensor of the reference engine',
      },
      'the tensor passed as out was computed by another engine',
    );
  }
  const arrays = req.reuse ? [...req.reuse.arrays] : outputs.map(() => new Float32Array(t * variants));
  const strides = axisStrides(axes);
  const srcAxis = axes.findIndex((a) => a.name === 'source');
  const paramAxes = axes.map((a, k) => [a.name, k] as const).filter(([n]) => n !== 'source');
  const base: Record<string, Float32Array | undefined> = {};
  for (const s of seriesNeeded(def, axes)) base[s] = buildSourceSeries(candles, s as SourceSeries);
  const plan = planLayout({
    def,
    kernel,
    axes,
    t,
    variants,
    layout,
    outputs,
    threads: 1,
    batchVariants: req.batchVariants,
    executors: 1,
    inProcess: true,
    profile: req.profile,
  });
  const tm = layout === 'TIME_MAJOR';
  await loopBatches(req, plan.batches, (b) => {
    for (let v = b.start; v < b.end; v++) {
      const params: Record<string, number> = {};
      for (const [name, k] of paramAxes) params[name] = axisValueAt(axes, strides, k, v) as number;
      const inputs: SeriesInputs = {
        t,
        open: base.open,
        high: base.high,
        low: base.low,
        close: base.close,
        volume: base.volume,
        src: srcAxis >= 0 ? base[axisValueAt(axes, strides, srcAxis, v) as string] : undefined,
      };
      const res = kernel.reference(inputs, params, req.profile);
      outputs.forEach((o, k) => {
        // copy bit patterns, so the canonical NaN of the reference survives unchanged
        const col = res[o]!;
        const src = new Uint32Array(col.buffer, col.byteOffset, t);
        const dst = new Uint32Array(arrays[k]!.buffer, arrays[k]!.byteOffset, t * variants);
        if (tm) for (let i = 0; i < t; i++) dst[i * variants + v] = src[i]!;
        else dst.set(src, v * t);
      });
    }
  });
  const backing: OutputBacking = { kind: 'plain', arrays, t, variants, layout, outputs };
  return { arrays, backing, batches: plan.batches.length, batchVariants: plan.batchVariants, attempts: plan.batches.length };
}
