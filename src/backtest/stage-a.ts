/**
 * Stage A: every variant of a compiled strategy scored over the scored rows, in batches of
 * variants (cancellation before each batch, progress after it), by the kernel or the reference;
 * then the metrics, the filters and the shortlist.
 */
import { ComputeCancelled, KernelError, StrategyValidationError } from '../errors.js';
import { abortReason } from '../compute/run.js';
import { ACC_COUNT, METRIC_NAMES, type BarInputs, type Execution, type MetricName, type StrategyProgram } from './program.js';
import { inverseCounts, referenceAccumulators } from './reference.js';
import { runStageABatch, seriesView, stageALayout, stageAMemory, writeStageA } from './kernel.js';
import type { Holdout, ResolvedFilters, ResolvedObjective } from './options.js';

export interface BacktestProgress {
  /** Variant-bars scored so far (variants × scored rows). */
  readonly processed: number;
  readonly total: number;
  readonly batchesDone: number;
  readonly batchesTotal: number;
  readonly elapsedMs: number;
}

export interface ScoreOptions {
  /** null: the plain-TypeScript reference. */
  readonly module: WebAssembly.Module | null;
  readonly batchVariants: number;
  readonly maxComputeBytesTotal: number;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: BacktestProgress) => void;
}

const yieldToLoop = (): Promise<void> => new Promise((r) => setImmediate(r));

/**
 * Accumulators of every variant (ACC_COUNT arrays of V), batch by batch. `tables` are the bar
 * tables (their series unused); `series` computes the operand series, into the scoring memory when
 * given a target (the kernel: the memory is laid out and guarded first, then filled), or as arrays
 * (the reference).
 */
export async function scoreVariants(
  program: StrategyProgram,
  tables: BarInputs,
  exec: Execution,
  opts: ScoreOptions,
  series: (into?: (k: number) => Float32Array) => Promise<Float32Array[]>,
): Promise<{ acc: Float64Array; seriesMs: number; scoreMs: number }> {
  const V = program.variants;
  const acc = new Float64Array(ACC_COUNT * V);
  const batch = Math.max(1, Math.min(V, opts.batchVariants));
  const batches = Math.ceil(V / batch);
  let run: (start: number, end: number) => Float64Array;
  const s0 = performance.now();
  if (opts.module) {
    const layout = stageALayout(program, tables.t, batch);
    const memory = stageAMemory(layout, tables.t, program, opts.maxComputeBytesTotal);
    await series((k) => seriesView(memory, layout, k, tables.t));
    const instance = new WebAssembly.Instance(opts.module, {
      env: {
        memory,
        abort: () => {
          throw new WebAssembly.RuntimeError('kernel abort');
        },
      },
    });
    writeStageA(memory, layout, program, tables, inverseCounts(tables), exec);
    run = (start, end) => runStageABatch(instance.exports as Record<string, unknown>, memory, layout, start, end);
  } else {
    const bars: BarInputs = { ...tables, series: await series() };
    run = (start, end) => referenceAccumulators(program, bars, exec, start, end);
  }
  const seriesMs = performance.now() - s0;
  const bars = tables;
  const rows = bars.end - bars.first;
  const t0 = performance.now();
  const cancelled = (done: number): ComputeCancelled =>
    new ComputeCancelled({ processed: done, total: V, reason: abortReason(opts.signal!) });
  for (let b = 0; b < batches; b++) {
    const start = b * batch;
    const end = Math.min(V, start + batch);
    if (opts.signal?.aborted) throw cancelled(start);
    let part: Float64Array;
    try {
      part = run(start, end);
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) {
        throw new KernelError(
          { indicatorId: `backtest:${program.strategyId}`, batchIndex: b, variantStart: start, variantEnd: end, message: e.message },
          { cause: e },
        );
      }
      throw e;
    }
    const n = end - start;
    for (let k = 0; k < ACC_COUNT; k++) acc.set(part.subarray(k * n, (k + 1) * n), k * V + start);
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
  return { acc, seriesMs, scoreMs: performance.now() - t0 };
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
