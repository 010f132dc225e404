/**
 * Stage A: every variant of a compiled strategy scored over the scored rows, in batches of
 * variants (cancellation before each batch, progress after it), by the kernel — in-process, or on
 * the engine's worker pool, one batch per worker at a time — or by the reference; then the
 * metrics, the filters and the shortlist.
 */
import { ComputeCancelled, KernelError, StrategyValidationError } from '../errors.js';
import { POOL_MIN_VALUES } from '../compute/plan.js';
import { abortReason } from '../compute/run.js';
import { ACC_COUNT, METRIC_NAMES, type BarInputs, type Execution, type MetricName, type StrategyProgram } from './program.js';
import { inverseCounts, referenceAccumulators } from './reference.js';
import {
  batchLayoutOf,
  runStageABatch,
  stageALayout,
  stageAMemory,
  writeStageA,
  type ScoringMemoryCache,
  type SeriesComputes,
  type StageABatchLayout,
} from './kernel.js';
import type { SeriesPlacement } from './series.js';
import type { Holdout, ResolvedFilters, ResolvedObjective } from './options.js';

export interface BacktestProgress {
  /** Variant-bars scored so far (variants × scored rows). */
  readonly processed: number;
  readonly total: number;
  readonly batchesDone: number;
  readonly batchesTotal: number;
  readonly elapsedMs: number;
}

/** Stage A's batches for a pool: the scoring memory, written, and where each batch's accumulators go. */
export interface StageAJob {
  /** `backtest:<strategy id>`, as errors name it. */
  readonly id: string;
  readonly memory: WebAssembly.Memory;
  /** Laid out with one executor slot per pool thread. */
  readonly layout: StageABatchLayout;
  /** Variants per batch (the last batch may hold fewer). */
  readonly batch: number;
  readonly variants: number;
  /** Scored rows: progress counts variant-bars. */
  readonly rows: number;
  readonly signal?: AbortSignal | undefined;
  readonly onProgress?: ((p: BacktestProgress) => void) | undefined;
  /** A finished batch's accumulators (ACC_COUNT arrays of end − start), taken from its executor's slot. */
  readonly place: (start: number, end: number, acc: Float64Array) => void;
}

/**
 * The engine's worker pool as Stage A uses it (src/runtime/pool.ts KernelPool.runStageA): resolves
 * once every batch is placed, or rejects as a pooled compute does (ComputeCancelled,
 * WorkerCrashedError after max_batch_attempts, KernelError on a trap).
 */
export interface StageAPool {
  readonly threads: number;
  score(job: StageAJob): Promise<{ attempts: number }>;
}

/** Variants per batch when the request gives none (on a pool: equal batches of at most this many). */
export const STAGE_A_BATCH_VARIANTS = 256;

export interface ScoreOptions {
  /** null: the plain-TypeScript reference. */
  readonly module: WebAssembly.Module | null;
  /** The engine's worker pool (threads >= 2), if it has one. */
  readonly pool?: StageAPool | null;
  /** The request's; undefined: STAGE_A_BATCH_VARIANTS in-process, equal batches on a pool (batchSizeOf). */
  readonly batchVariants: number | undefined;
  readonly maxComputeBytesTotal: number;
  /** The engine's kept scoring memory (src/backtest/kernel.ts), if it keeps one. */
  readonly memoryCache?: ScoringMemoryCache;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: BacktestProgress) => void;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Variants per batch: the request's; else STAGE_A_BATCH_VARIANTS in-process, and on a pool equal
 * batches of at most that many, as many as a multiple of the threads (so the workers finish
 * together); at most V.
 */
function batchSizeOf(V: number, requested: number | undefined, poolThreads: number | null): number {
  let b = requested ?? STAGE_A_BATCH_VARIANTS;
  if (requested === undefined && poolThreads !== null) {
    const count = Math.ceil(Math.ceil(V / STAGE_A_BATCH_VARIANTS) / poolThreads) * poolThreads;
    b = Math.ceil(V / count);
  }
  return Math.max(1, Math.min(V, b));
}

/** The operand series of a Stage A: as arrays (the reference), or computed into the scoring memory (the kernel). */
export interface OperandSeriesSource {
  arrays(): Promise<Float32Array[]>;
  /** The indicator series' computes, which the scoring memory's layout makes room for. */
  computes(): SeriesComputes;
  into(memory: WebAssembly.Memory, placement: SeriesPlacement): Promise<void>;
}

/**
 * Accumulators of every variant (ACC_COUNT arrays of V), batch by batch, and the threads that
 * scored them. `tables` are the bar tables (their series unused); `series` gives the operand
 * series: the kernel's memory is laid out and guarded first, then the series are computed into it;
 * the reference takes them as arrays. With a pool, at least POOL_MIN_VALUES
 * variant-bars and more than one batch, the kernel's batches run on the workers, each in its own
 * executor slot of the memory; a variant's accumulators depend on nothing but the variant, so they
 * are the same bits for any batch size and thread count.
 */
export async function scoreVariants(
  program: StrategyProgram,
  tables: BarInputs,
  exec: Execution,
  opts: ScoreOptions,
  series: OperandSeriesSource,
): Promise<{ acc: Float64Array; seriesMs: number; scoreMs: number; threads: number; batches: number; attempts: number }> {
  const V = program.variants;
  const acc = new Float64Array(ACC_COUNT * V);
  const rows = tables.end - tables.first;
  // as for a compute: small work (under POOL_MIN_VALUES variant-bars) and a single batch stay in-process
  const pool = opts.module && opts.pool && opts.pool.threads >= 2 && V * rows >= POOL_MIN_VALUES ? opts.pool : null;
  const batch = batchSizeOf(V, opts.batchVariants, pool?.threads ?? null);
  const batches = Math.ceil(V / batch);
  const onPool = batches > 1 ? pool : null;
  const id = `backtest:${program.strategyId}`;
  const place = (start: number, end: number, part: Float64Array): void => {
    const n = end - start;
    for (let k = 0; k < ACC_COUNT; k++) acc.set(part.subarray(k * n, (k + 1) * n), k * V + start);
  };
  const cancelled = (done: number): ComputeCancelled =>
    new ComputeCancelled({ processed: done, total: V, reason: abortReason(opts.signal!) });
  let run: (start: number, end: number) => Float64Array;
  let finish = (): void => undefined;
  const s0 = performance.now();
  if (opts.module) {
    const layout = stageALayout(program, tables.t, batch, onPool ? onPool.threads : 1, series.computes());
    const memory = stageAMemory(layout, tables.t, program, opts.maxComputeBytesTotal, opts.memoryCache);
    // a finished Stage A hands its memory back to the engine (a failed or cancelled one does not)
    finish = () => opts.memoryCache?.give(memory);
    await series.into(memory, layout.placement);
    writeStageA(memory, layout, program, tables, inverseCounts(tables), exec);
    if (onPool) {
      const seriesMs = performance.now() - s0;
      const t0 = performance.now();
      const { signal, onProgress } = opts;
      const { attempts } = await onPool.score({
        id,
        memory,
        layout: batchLayoutOf(layout),
        batch,
        variants: V,
        rows,
        signal,
        onProgress,
        place,
      });
      if (signal?.aborted) throw cancelled(V);
      finish();
      return { acc, seriesMs, scoreMs: performance.now() - t0, threads: onPool.threads, batches, attempts };
    }
    const instance = new WebAssembly.Instance(opts.module, {
      env: {
        memory,
        abort: () => {
          throw new WebAssembly.RuntimeError('kernel abort');
        },
      },
    });
    run = (start, end) => runStageABatch(instance.exports as Record<string, unknown>, memory, layout, start, end);
  } else {
    const bars: BarInputs = { ...tables, series: await series.arrays() };
    run = (start, end) => referenceAccumulators(program, bars, exec, start, end);
  }
  const seriesMs = performance.now() - s0;
  const t0 = performance.now();
  for (let b = 0; b < batches; b++) {
    const start = b * batch;
    const end = Math.min(V, start + batch);
    if (opts.signal?.aborted) throw cancelled(start);
    let part: Float64Array;
    try {
      part = run(start, end);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new KernelError({ indicatorId: id, batchIndex: b, variantStart: start, variantEnd: end, message: e.message }, { cause: e });
      }
      throw e;
    }
    place(start, end, part);
    await yieldToLoop();
    if (opts.signal?.aborted) throw cancelled(end);
    opts.onProgress?.({
      processed: end * rows,
      total: V * rows,
      batchesDone: b + 1,
      batchesTotal: batches,
      elapsedMs: performance.now() - t0,
    });
  }
  // an abort seen after the last batch (from the last progress event) still cancels: no result once it fired
  if (opts.signal?.aborted) throw cancelled(V);
  finish();
  return { acc, seriesMs, scoreMs: performance.now() - t0, threads: 1, batches, attempts: batches };
}

/** Variants passing every filter bound (NaN passes none). */
export function passing(metrics: Readonly<Record<MetricName, Float64Array>>, filters: ResolvedFilters, V: number): Uint8Array {
  const ok = new Uint8Array(V).fill(1);
  for (const m of METRIC_NAMES) {
    const b = filters[m];
    if (!b) continue;
    const col = metrics[m];
    for (let v = 0; v < V; v++) if (!(col[v]! >= b[0] && col[v]! <= b[1])) ok[v] = 0;
  }
  return ok;
}

/**
 * The first `top` passing variants by the objective (its direction), NaN last, ties to the lower
 * variant index; and how many passed.
 */
export function shortlistOf(
  metrics: Readonly<Record<MetricName, Float64Array>>,
  objective: ResolvedObjective,
  filters: ResolvedFilters,
  top: number,
  V: number,
): { shortlist: number[]; riskTotal: number } {
  const ok = passing(metrics, filters, V);
  const col = metrics[objective.metric];
  const sign = objective.direction === 'max' ? -1 : 1;
  const ids: number[] = [];
  for (let v = 0; v < V; v++) if (ok[v]) ids.push(v);
  ids.sort((a, b) => {
    const x = col[a]!;
    const y = col[b]!;
    if (Number.isNaN(x) || Number.isNaN(y)) return Number.isNaN(x) === Number.isNaN(y) ? a - b : Number.isNaN(x) ? 1 : -1;
    return x === y ? a - b : sign * (x < y ? -1 : 1);
  });
  return { shortlist: ids.slice(0, top), riskTotal: ids.length };
}

/**
 * The row where the holdout part starts: the first valid row of the last `fraction` of the valid
 * bars, or the first row at or after `fromTs`. Both parts must hold at least two valid bars.
 */
export function holdoutRow(bars: BarInputs, holdout: Holdout): number {
  const rows: number[] = [];
  for (let r = 0; r < bars.t; r++) if (bars.valid[r]) rows.push(r);
  let split: number;
  if ('fraction' in holdout) {
    const out = Math.floor(rows.length * holdout.fraction);
    split = rows[rows.length - out] ?? bars.t;
  } else {
    split = bars.t;
    for (let r = 0; r < bars.t; r++) {
      if (bars.tsMs[r]! >= holdout.fromTs) {
        split = r;
        break;
      }
    }
  }
  const before = rows.filter((r) => r < split).length;
  if (before < 2 || rows.length - before < 2) {
    throw new StrategyValidationError({
      path: 'fraction' in holdout ? 'holdout.fraction' : 'holdout.fromTs',
      value: 'fraction' in holdout ? holdout.fraction : holdout.fromTs,
      expected: `a split leaving at least 2 valid bars on each side (${before} before it, ${rows.length - before} from it)`,
    });
  }
  return split;
}
