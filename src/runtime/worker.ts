/**
 * Pool worker: instantiates the shared compiled module once per compute (or Stage A) memory and
 * runs batches of variants straight into that shared memory. Publishes each finished batch with an
 * Atomics store the main thread reads before counting it.
 */
import { parentPort, threadId, workerData } from 'node:worker_threads';
import { scoreStageABatch, type StageABatchLayout } from '../backtest/kernel.js';
import { runBatch } from '../compute/kernels.js';
import type { BatchRange, ComputeLayout } from '../compute/plan.js';
import type { Axis } from '../grid/types.js';
import { registry } from '../registry/index.js';
import { collectGarbage } from '../compute/reclaim.js';

export interface WorkerTask {
  taskId: number;
  memory: WebAssembly.Memory;
  indicatorId: string;
  axes: Axis[];
  plan: ComputeLayout;
  batch: BatchRange;
  executor: number;
  /** Offset of this compute's Int32 done-flags (one per batch) in the memory. */
  flagsOffset: number;
  /**
   * The compute writes into a reused output, so the next one most likely brings this memory again:
   * keep its instance after the last batch (a reuse loop would otherwise pay a collection and a new
   * instance on every compute). A task with another memory still releases it.
   */
  keep: boolean;
  /** Fault injection for tests (GRIDTA_TEST_FAULTS=1 only): misbehave on this attempt. */
  fault?: 'exit' | 'hang' | 'trap';
}

/**
 * A batch of a backtest's Stage A: variants [start, end) scored in executor slot `executor` of the
 * backtest's scoring memory (src/backtest/kernel.ts), its accumulators left in that slot's acc area.
 */
export interface StageATask {
  stageA: true;
  taskId: number;
  memory: WebAssembly.Memory;
  layout: StageABatchLayout;
  batch: { index: number; start: number; end: number };
  executor: number;
  /** Fault injection for tests (GRIDTA_TEST_FAULTS=1 only), as WorkerTask's. */
  fault?: 'exit' | 'hang' | 'trap';
}

/** Warmup task: every worker waits at the barrier until all have started (so each worker gets exactly one), then exercises every kernel. */
export interface ExerciseTask {
  exercise: true;
  barrier: SharedArrayBuffer;
  workers: number;
  index: number;
}
export interface ExerciseResult {
  threadId: number;
  instantiateMs: number;
  exerciseMs: number;
  kernels: number;
}

export type WorkerResult = { ok: true; threadId: number; instantiateMs: number } | { ok: false; trap: string; threadId: number };

const module: WebAssembly.Module = (workerData as { module: WebAssembly.Module }).module;
let last: { memory: WebAssembly.Memory; exports: Record<string, unknown> } | undefined;

/**
 * Bytes of compute memories this worker may hold after their computes ended before it collects.
 * A shared memory is unmapped only once every thread that received it has collected its reference;
 * a worker's own heap grows so little that V8 would almost never collect it, so without this every
 * compute a worker took part in stayed resident until close(). A full collection here costs a few
 * milliseconds, so it is spread over several small computes.
 */
export const WORKER_RECLAIM_BYTES = 64 * 2 ** 20;
let dropped = 0;

/** Forgets the instance of the last compute memory and collects once enough memory has been dropped. */
function release(): void {
  if (!last) return;
  dropped += last.memory.buffer.byteLength;
  last = undefined;
  if (dropped < WORKER_RECLAIM_BYTES) return;
  dropped = 0;
  collectGarbage();
}

function instanceFor(memory: WebAssembly.Memory): { exports: Record<string, unknown>; ms: number } {
  if (last?.memory === memory) return { exports: last.exports, ms: 0 };
  release();
  const t0 = performance.now();
  const inst = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new WebAssembly.RuntimeError('kernel abort');
      },
    },
  });
  last = { memory, exports: inst.exports as Record<string, unknown> };
  return { exports: last.exports, ms: performance.now() - t0 };
}

async function exercise(task: ExerciseTask): Promise<ExerciseResult> {
  const b = new Int32Array(task.barrier);
  Atomics.add(b, 0, 1);
  Atomics.notify(b, 0);
  const until = Date.now() + 30_000;
  while (Atomics.load(b, 0) < task.workers && Date.now() < until) Atomics.wait(b, 0, Atomics.load(b, 0), 100);
  const t0 = performance.now();
  const probe = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  new WebAssembly.Instance(module, { env: { memory: probe } });
  const instantiateMs = performance.now() - t0;
  const { exerciseKernels } = await import('./exercise.js');
  const x0 = performance.now();
  const kernels = await exerciseKernels('wasm-simd', module);
  return { threadId, instantiateMs, exerciseMs: performance.now() - x0, kernels: kernels.length };
}

/** Runs the task's batch; its memory's done-flags (one per batch) and whether to keep the instance after the last. */
function runTask(task: WorkerTask | StageATask, exports: Record<string, unknown>): { flags: Int32Array; keep: boolean } {
  if ('stageA' in task) {
    scoreStageABatch(exports, task.memory, task.layout, task.batch.start, task.batch.end, task.executor);
    return { flags: new Int32Array(task.memory.buffer, task.layout.flags, task.layout.batches), keep: false };
  }
  const def = registry.get(task.indicatorId);
  runBatch(exports, task.memory, def, task.axes, task.plan, task.batch, task.executor);
  return { flags: new Int32Array(task.memory.buffer, task.flagsOffset, task.plan.batches.length), keep: task.keep };
}

export default function run(task: WorkerTask | StageATask | ExerciseTask): WorkerResult | Promise<ExerciseResult> {
  if ('exercise' in task) return exercise(task);
  parentPort?.postMessage({ gridtaTaskStart: task.taskId, threadId });
  if (task.fault === 'exit') process.exit(17);
  if (task.fault === 'hang')
    for (;;) {
      /* spin until the batch timeout terminates this worker */
    }
  try {
    if (task.fault === 'trap') throw new WebAssembly.RuntimeError('unreachable (injected trap)');
    const { exports, ms } = instanceFor(task.memory);
    const { flags, keep } = runTask(task, exports);
    Atomics.store(flags, task.batch.index, 1);
    // the last batch: its memory is not needed here any more, unless a compute's output is reused
    if (!keep && flags.every((_, i) => Atomics.load(flags, i) === 1)) release();
    return { ok: true, threadId, instantiateMs: ms };
  } catch (e) {
    if (e instanceof WebAssembly.RuntimeError) return { ok: false, trap: e.message, threadId };
    throw e;
  }
}
