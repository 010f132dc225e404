/**
 * Worker pool: piscina sized exactly from the resolved threads, one task per
 * worker at a time, every worker sharing the compiled module and each compute's (or backtest's
 * Stage A) shared memory. Batches (variant ranges, or time pieces of a TIME_MAJOR grid) run in
 * order; a failed attempt (worker exit, error, timeout) is retried on a fresh worker after the dead
 * one has exited, up to max_batch_attempts; a trap is a KernelError at once.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { Piscina } from 'piscina';
import { ComputeCancelled, KernelError, WorkerCrashedError } from '../errors.js';
import { planLayout, type ComputeLayout } from '../compute/plan.js';
import { settlePieces } from '../compute/kernels.js';
import { computeMemory, result, writeSeries, type ComputeProgress, type RunRequest, type RunResult } from '../compute/run.js';
import type { Axis } from '../grid/types.js';
import { abortReason } from '../compute/run.js';
import { stageAAccumulators } from '../backtest/kernel.js';
import type { StageAJob } from '../backtest/stage-a.js';
import { packageRoot } from './paths.js';
import type { ExerciseResult, ExerciseTask, StageATask, WorkerResult, WorkerTask } from './worker.js';

/** Test faults: the first `times` attempts of batch `batch` misbehave as `mode` says. */
export interface Faults {
  batch: number;
  times: number;
  mode: 'exit' | 'hang' | 'trap';
  /** Which batches: those of computes (the default; a backtest's operand series included), or of backtests' Stage A. */
  scope?: 'compute' | 'stage-a';
}

export interface PoolOptions {
  threads: number;
  maxBatchAttempts: number;
  batchTimeoutMs: number;
}

export interface PoolJob {
  indicatorId: string;
  axes: readonly Axis[];
  plan: ComputeLayout;
  memory: WebAssembly.Memory;
  flagsOffset: number;
  /** The compute writes into a reused output (`out`): workers keep its memory's instance for the next one. */
  keep: boolean;
  signal?: AbortSignal;
  onProgress?: (p: ComputeProgress) => void;
  faults?: Faults;
}

/** A batch of pooled work: its index (faults, done-flags, errors) and variant range. */
interface PoolBatch {
  readonly index: number;
  readonly start: number;
  readonly end: number;
}

/** A task as `attempt` sends it (it adds the task id). */
type TaskBody = Omit<WorkerTask, 'taskId'> | Omit<StageATask, 'taskId'>;

/** What `runBatches` needs of a job: its batches, how to make their tasks and take their results. */
interface BatchJob<B extends PoolBatch> {
  /** Names the work in errors: the indicator id, or `backtest:<strategy id>`. */
  readonly id: string;
  readonly batches: readonly B[];
  readonly signal?: AbortSignal;
  readonly faults?: Faults;
  /** The task of one attempt of `batch` on executor slot `executor`, misbehaving as `fault` says. */
  task(batch: B, executor: number, fault: Faults['mode'] | undefined): TaskBody;
  /**
   * A worker reported `batch` done on `executor` (whose slot is reused only after this returns):
   * counts it and takes its results; false when the batch published none.
   */
  finished(batch: B, executor: number): boolean;
  /** Progress after each finished batch, in the order they finish; an exception ends the job with it. */
  readonly progress?: ((p: { batchesDone: number; batchesTotal: number; elapsedMs: number }) => void) | undefined;
  /** The job's ComputeCancelled, counting what it has finished so far. */
  cancelled(reason: string): ComputeCancelled;
}

const workerFile = (): string => pathToFileURL(join(packageRoot(), 'dist', 'src', 'runtime', 'worker.js')).href;

export class KernelPool {
  readonly threads: number;
  private readonly piscina: Piscina<WorkerTask | StageATask | ExerciseTask, WorkerResult | ExerciseResult>;
  private readonly opts: PoolOptions;
  private readonly workers = new Map<number, Worker>();
  private readonly taskThread = new Map<number, number>();
  private nextTask = 1;
  private freeSlots: number[];
  private closed = false;

  constructor(module: WebAssembly.Module, opts: PoolOptions) {
    this.opts = opts;
    this.threads = opts.threads;
    this.freeSlots = Array.from({ length: opts.threads }, (_, i) => i);
    this.piscina = new Piscina<WorkerTask | StageATask | ExerciseTask, WorkerResult | ExerciseResult>({
      filename: workerFile(),
      minThreads: opts.threads,
      maxThreads: opts.threads,
      concurrentTasksPerWorker: 1,
      idleTimeout: Number.MAX_SAFE_INTEGER,
      workerData: { module },
    });
    // piscina's workerCreate event carries an interface with the thread id; the Worker itself is in pool.threads
    this.piscina.on('workerCreate', (w: { id: number }) => {
      const worker = this.piscina.threads.find((x) => x.threadId === w.id);
      if (!worker) return;
      const id = worker.threadId; // a Worker's threadId reads -1 once it has exited
      this.workers.set(id, worker);
      worker.once('exit', () => this.workers.delete(id));
    });
    this.piscina.on('message', (m: { gridtaTaskStart?: number; threadId?: number }) => {
      if (m && typeof m.gridtaTaskStart === 'number' && typeof m.threadId === 'number') this.taskThread.set(m.gridtaTaskStart, m.threadId);
    });
    this.piscina.on('error', () => undefined);
  }

  /** Number of live workers (for tests and diagnose). */
  get size(): number {
    return this.piscina.threads.length;
  }

  /** Runs one task on some worker and reports the outcome without throwing. */
  private async attempt(
    task: TaskBody,
  ): Promise<{ ok: true; res: WorkerResult } | { ok: false; cause: 'exit' | 'error' | 'timeout'; error: unknown }> {
    const taskId = this.nextTask++;
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(new Error('batch timeout')), this.opts.batchTimeoutMs);
    timer.unref?.();
    try {
      const res = (await this.piscina.run({ ...task, taskId }, { signal: ac.signal })) as WorkerResult;
      return { ok: true, res };
    } catch (error) {
      const cause = ac.signal.aborted ? 'timeout' : /exit/i.test(String((error as Error)?.message)) ? 'exit' : 'error';
      await this.waitForExit(taskId);
      return { ok: false, cause, error };
    } finally {
      clearTimeout(timer);
      this.taskThread.delete(taskId);
    }
  }

  /** Waits until a failed attempt's worker has exited, so a batch region is never written by two attempts at once. */
  private async waitForExit(taskId: number): Promise<void> {
    const tid = this.taskThread.get(taskId);
    const w = tid === undefined ? undefined : this.workers.get(tid);
    if (!w) return; // already exited (the exit handler removed it)
    await new Promise<void>((resolve) => {
      // bounded wait; this timer also keeps the process alive while no task is running
      const t = setTimeout(resolve, 5_000);
      w.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  }

  /** Runs every batch of a compute; resolves with the attempt count or rejects with a typed error. */
  run(job: PoolJob): Promise<{ attempts: number }> {
    const { plan } = job;
    const flags = new Int32Array(job.memory.buffer, job.flagsOffset, plan.batches.length);
    let processed = 0,
      rowsDone = 0;
    return this.runBatches({
      id: job.indicatorId,
      batches: plan.batches,
      signal: job.signal,
      faults: job.faults,
      task: (batch, executor, fault) => ({
        memory: job.memory,
        indicatorId: job.indicatorId,
        axes: job.axes as Axis[],
        plan,
        batch,
        executor,
        flagsOffset: job.flagsOffset,
        keep: job.keep,
        ...(fault ? { fault } : {}),
      }),
      finished: (batch) => {
        if (batch.rows) {
          // a time piece holds every variant for some rows: progress counts its share of the rows
          rowsDone += batch.rows.t1 - batch.rows.t0;
          processed = Math.floor((plan.variants * rowsDone) / plan.t);
        } else {
          processed += batch.end - batch.start;
        }
        return Atomics.load(flags, batch.index) === 1;
      },
      progress: job.onProgress && ((p) => job.onProgress!({ processed, total: plan.variants, ...p })),
      cancelled: (reason) => new ComputeCancelled({ processed, total: plan.variants, reason }),
    });
  }

  /**
   * Stage A of a backtest (src/backtest/stage-a.ts): its batches in the executor slots of its
   * scoring memory, each finished batch's accumulators handed to `job.place` from its slot.
   */
  runStageA(job: StageAJob, faults?: Faults): Promise<{ attempts: number }> {
    const { layout, variants, rows } = job;
    const flags = new Int32Array(job.memory.buffer, layout.flags, layout.batches);
    const batches = Array.from({ length: layout.batches }, (_, index) => ({
      index,
      start: index * job.batch,
      end: Math.min(variants, (index + 1) * job.batch),
    }));
    let processed = 0;
    return this.runBatches({
      id: job.id,
      batches,
      signal: job.signal,
      faults,
      task: (batch, executor, fault) => ({ stageA: true, memory: job.memory, layout, batch, executor, ...(fault ? { fault } : {}) }),
      finished: (batch, executor) => {
        if (Atomics.load(flags, batch.index) !== 1) return false;
        job.place(batch.start, batch.end, stageAAccumulators(job.memory, layout, batch.end - batch.start, executor));
        processed += batch.end - batch.start;
        return true;
      },
      progress: job.onProgress && ((p) => job.onProgress!({ processed: processed * rows, total: variants * rows, ...p })),
      cancelled: (reason) => new ComputeCancelled({ processed, total: variants, reason }),
    });
  }

  /**
   * The batches of a job, one per free executor slot at a time, in order; a failed attempt is
   * retried on a fresh worker (up to max_batch_attempts, then WorkerCrashedError), a trap or a batch
   * that published nothing is a KernelError; an abort (or close) stops at the next batch boundary
   * and rejects with the job's ComputeCancelled once the running batches are done, also when every
   * batch has finished. Resolves with the attempt count.
   */
  private runBatches<B extends PoolBatch>(job: BatchJob<B>): Promise<{ attempts: number }> {
    const { batches } = job;
    const queue: B[] = [...batches];
    const attemptsOf = new Int32Array(batches.length);
    const t0 = performance.now();
    let done = 0,
      attempts = 0,
      inFlight = 0;
    let failure: unknown;
    const kernelError = (batch: B, message: string): KernelError =>
      new KernelError({ indicatorId: job.id, batchIndex: batch.index, variantStart: batch.start, variantEnd: batch.end, message });
    return new Promise((resolve, reject) => {
      let settled = false;
      const onAbort = (): void => finish();
      const settle = (f: () => void): void => {
        settled = true;
        job.signal?.removeEventListener('abort', onAbort);
        f();
      };
      // an abort cancels even when every batch has finished: no result once the signal has fired
      const finish = (): void => {
        if (inFlight > 0 || settled) return;
        if (failure !== undefined) settle(() => reject(failure));
        else if (job.signal?.aborted) settle(() => reject(job.cancelled(abortReason(job.signal!))));
        else if (this.closed && done < batches.length) settle(() => reject(job.cancelled('engine_closed')));
        else if (done === batches.length) settle(() => resolve({ attempts }));
      };
      const pump = (): void => {
        while (failure === undefined && !job.signal?.aborted && queue.length > 0 && this.freeSlots.length > 0 && !this.closed) {
          const batch = queue.shift()!;
          const executor = this.freeSlots.shift()!;
          const n = attemptsOf[batch.index]!++;
          attempts++;
          inFlight++;
          const fault = job.faults && job.faults.batch === batch.index && n < job.faults.times ? job.faults.mode : undefined;
          void this.attempt(job.task(batch, executor, fault)).then((r) => {
            inFlight--;
            if (r.ok && r.res.ok) {
              // before the slot is free again: the batch's results are still in it
              if (!job.finished(batch, executor)) failure ??= kernelError(batch, 'batch finished without publishing its results');
              done++;
              if (job.progress && failure === undefined && !job.signal?.aborted) {
                try {
                  job.progress({ batchesDone: done, batchesTotal: batches.length, elapsedMs: performance.now() - t0 });
                } catch (e) {
                  failure ??= e;
                }
              }
            } else if (r.ok && !r.res.ok) {
              failure ??= kernelError(batch, r.res.trap);
            } else if (!r.ok) {
              if (attemptsOf[batch.index]! >= this.opts.maxBatchAttempts) {
                failure ??= new WorkerCrashedError(
                  {
                    indicatorId: job.id,
                    batchIndex: batch.index,
                    variantStart: batch.start,
                    variantEnd: batch.end,
                    attempts: attemptsOf[batch.index]!,
                    cause: r.cause,
                  },
                  { cause: r.error },
                );
              } else {
                queue.unshift(batch);
              }
            }
            this.freeSlots.push(executor);
            pump();
            finish();
          });
        }
        finish();
      };
      job.signal?.addEventListener('abort', onAbort, { once: true });
      pump();
    });
  }

  /** Warmup's pool phase: every worker instantiates the module and exercises every kernel, one task per worker. */
  async exercise(): Promise<{ index: number; instantiateMs: number; exerciseMs: number; kernels: number }[]> {
    const barrier = new SharedArrayBuffer(4);
    const res = await Promise.all(
      Array.from(
        { length: this.threads },
        (_, index) => this.piscina.run({ exercise: true, barrier, workers: this.threads, index }) as Promise<ExerciseResult>,
      ),
    );
    return res.map((r, index) => ({ index, instantiateMs: r.instantiateMs, exerciseMs: r.exerciseMs, kernels: r.kernels }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.piscina.destroy();
  }
}

/** A compute on the pool: same memory layout as in-process, executors = workers, no copies. */
export async function runPooled(pool: KernelPool, req: RunRequest, faults?: Faults): Promise<RunResult> {
  const { def, axes, variants, layout, outputs, candles } = req;
  const t = candles.t;
  const plan = planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t,
    variants,
    layout,
    outputs,
    threads: pool.threads,
    batchVariants: req.batchVariants,
    executors: pool.threads,
    profile: req.profile,
    ...(req.target ? { target: req.target } : {}),
  });
  const memory = computeMemory(def.id, plan, req.reuse, req.recycled, req.target);
  writeSeries(memory, plan, candles);
  new Int32Array(memory.buffer, plan.flagsOffset, plan.batches.length).fill(0);
  const job: PoolJob = {
    indicatorId: def.id,
    axes,
    plan,
    memory,
    flagsOffset: plan.flagsOffset,
    keep: req.reuse !== undefined,
    signal: req.signal,
    onProgress: req.onProgress,
    faults,
  };
  let { attempts } = await pool.run(job);
  if (req.signal?.aborted) throw new ComputeCancelled({ processed: variants, total: variants, reason: abortReason(req.signal) });
  if (plan.timeSplit) {
    attempts += await settlePieces(plan, memory, async (rerun) => {
      new Int32Array(memory.buffer, plan.flagsOffset, 1).fill(0);
      await pool.run({ ...job, plan: { ...plan, batches: [rerun] }, onProgress: undefined, faults: undefined });
    });
  }
  return result(req, plan, memory, attempts);
}
