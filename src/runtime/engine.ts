/**
 * The engine: created synchronously from the resolved configuration and validated defaults;
 * compiles or loads the kernels on warmup (or lazily on the first compute); computes grids into one
 * WebAssembly memory per compute, in-process or on the worker pool, and returns IndicatorTensors.
 */
import { createCandles, isCandles, availableSeries, type Candles, type CandlesInput } from '../candles/index.js';
import { toArrowExporters } from '../arrow/export.js';
import { backtestArrowExporters } from '../backtest/arrow.js';
import { createTensor, type IndicatorTensor } from '../compute/tensor.js';
import { runReference, runWasm, type ComputeProgress, type MemoryTarget, type OutputBacking, type RunRequest } from '../compute/run.js';
import { requiredBaseSeries, runsPooled, wasmMemoryBytes, wasmWorkBytes } from '../compute/plan.js';
import { ComputeCancelled, GridValidationError, GridtaError, MissingInputSeriesError, TensorReleasedError } from '../errors.js';
import type { GridSpec, Layout } from '../grid/types.js';
import {
  estimate as estimateGrid,
  estimateBatch as estimateGrids,
  planCompute,
  type BatchEstimateOptions,
  type EstimateOptions,
  type Horizon,
  type Limits,
  type MemoryBytesFn,
} from '../guards/index.js';
import type { IndicatorDef, Profile } from '../registry/types.js';
import type { GridtaWarning } from './cache.js';
import { checkOptionKeys, resolveConfig, type GridtaOptions, type ResolvedConfig } from './config.js';
import { checkComputeRequest } from './request.js';
import {
  defaultGrid as defaultGridOf,
  mergedIndicatorViews,
  validateDefaults,
  type MergedIndicatorView,
  type ValidatedDefaults,
} from './defaults.js';
import { isAbsolute, resolve } from 'node:path';
import { warmUp, type CacheTestOptions, type Warmed, type WarmupReport } from './warmup.js';
import { type KernelPool, runPooled, type Faults } from './pool.js';
import { ConfigError } from '../errors.js';
import { abortReason } from '../compute/run.js';
import { scoringMemoryCache } from '../backtest/kernel.js';
import {
  checkBacktestRequest,
  replayBacktest,
  runBacktest,
  scoreBacktestRange,
  type BacktestContext,
  type BacktestRangeScores,
  type BacktestReplayRequest,
  type BacktestRequest,
  type BacktestResult,
  type ReplayResult,
} from '../backtest/run.js';

import {
  openStream,
  restoreStream as restoreStreamFrom,
  type IndicatorStream,
  type RestoreStreamOptions,
  type StreamContext,
  type StreamRequest,
} from '../stream/index.js';
import { cacheKey } from './cache.js';
import { packageVersion } from './paths.js';

export type { ComputeProgress } from '../compute/run.js';
export type { CacheTestOptions, WarmupReport } from './warmup.js';

export interface ComputeRequest {
  candles: Candles;
  grid: GridSpec;
  layout?: Layout;
  outputs?: readonly string[];
  maxVariants?: number;
  batchVariants?: number;
  signal?: AbortSignal;
  onProgress?: (p: ComputeProgress) => void;
  out?: IndicatorTensor;
  /** The profile of conventions: `gridta` (default) or `talib` (TA-Lib 0.6's seeds, lookbacks and edge outputs). */
  profile?: Profile;
}

export interface Engine {
  readonly config: ResolvedConfig;
  indicators(): readonly MergedIndicatorView[];
  defaultGrid(id: string, overrides?: Partial<GridSpec>): GridSpec;
  estimate(grid: GridSpec, horizon: Horizon, opts?: EstimateOptions): ReturnType<typeof estimateGrid>;
  estimateBatch(grids: readonly GridSpec[], horizon: Horizon, opts?: BatchEstimateOptions): ReturnType<typeof estimateGrids>;
  compute(req: ComputeRequest): Promise<IndicatorTensor>;
  /** Stage A of a backtest: every strategy variant scored, the shortlist; Stage B through the result's `replay`. */
  backtest(req: BacktestRequest): Promise<BacktestResult>;
  /** Stage B without a Stage A: replays chosen kept variants (metrics bit-identical to Stage A's), with trades. */
  backtestReplay(req: BacktestReplayRequest): Promise<ReplayResult[]>;
  /**
   * @internal Stage A of kept variants `start` … `end − 1` only (a backtest job's unit): their
   * metrics, bit for bit what a whole run gives them.
   */
  backtestRange(req: BacktestRequest, start: number, end: number): Promise<BacktestRangeScores>;
  /** A whole grid updated one bar at a time, each row bit-identical to a compute's last row (src/stream). */
  stream(req: StreamRequest): Promise<IndicatorStream>;
  /**
   * A stream that continues exactly where `stream.snapshot()` was taken (same engine and kernel
   * build), in the snapshot's profile; `opts.profile` refuses a snapshot of another profile.
   */
  restoreStream(bytes: Uint8Array, opts?: RestoreStreamOptions): Promise<IndicatorStream>;
  warmup(): Promise<WarmupReport>;
  close(): Promise<void>;
}

/** Kernel not written yet for this id (the indicator issues remove these). */
export class KernelUnavailableError extends GridtaError<{ indicatorId: string }> {
  constructor(indicatorId: string) {
    super('kernel_unavailable', `${indicatorId} has no kernel in this version of gridta yet`, { indicatorId });
  }
}

const backings = new WeakMap<object, OutputBacking>();

/** Released memories an engine keeps at most, in number and in bytes (the oldest go first). */
export const RELEASED_MEMORIES = 4;
export const RELEASED_BYTES = 2 ** 31;

/**
 * The memories of released tensors (`tensor.release()`), which a compute without `out` takes instead
 * of a fresh memory when one is large enough (and not more than twice as large plus 64 MiB, so a
 * small compute does not keep a huge memory alive): its pages are already touched, so its outputs
 * are written at the speed of a reused `out`. At most RELEASED_MEMORIES memories and RELEASED_BYTES
 * bytes are kept.
 */
function releasedMemories(): { put(m: WebAssembly.Memory): void; take(bytes: number): WebAssembly.Memory | undefined; clear(): void } {
  const kept: WebAssembly.Memory[] = [];
  return {
    put(m) {
      if (m.buffer.byteLength > RELEASED_BYTES) return;
      kept.push(m);
      let total = kept.reduce((n, x) => n + x.buffer.byteLength, 0);
      while (kept.length > RELEASED_MEMORIES || total > RELEASED_BYTES) total -= kept.shift()!.buffer.byteLength;
    },
    take(bytes) {
      let best = -1;
      kept.forEach((m, i) => {
        const n = m.buffer.byteLength;
        if (n >= bytes && n <= 2 * bytes + 64 * 2 ** 20 && (best < 0 || n < kept[best]!.buffer.byteLength)) best = i;
      });
      return best < 0 ? undefined : kept.splice(best, 1)[0];
    },
    clear() {
      kept.length = 0;
    },
  };
}

/** Test-only options, accepted only when GRIDTA_TEST_FAULTS=1; `__cache`: see CacheTestOptions. */
export interface InternalOptions {
  __faults?: Faults;
  __cache?: CacheTestOptions;
  /** A backtest's indicator series computed in pieces of at most this many output bytes (tests: many small pieces). */
  __seriesPieceBytes?: number;
}

/** Validates `__cache` and resolves `sources` against `cwd`. */
function cacheTestOptions(value: unknown, cwd: string): CacheTestOptions {
  const v = value as Partial<CacheTestOptions> | null;
  const ok =
    typeof v === 'object' &&
    v !== null &&
    !Array.isArray(v) &&
    v.bundled === false &&
    Object.keys(v).every((k) => k === 'bundled' || k === 'sources') &&
    (v.sources === undefined || (typeof v.sources === 'string' && v.sources.length > 0));
  if (!ok) throw new ConfigError({ key: '__cache', source: 'option', value, expected: '{ bundled: false, sources?: <directory> }' });
  return v.sources === undefined
    ? { bundled: false }
    : { bundled: false, sources: isAbsolute(v.sources) ? v.sources : resolve(cwd, v.sources) };
}

export { POOL_MIN_VALUES } from '../compute/plan.js';

/** The engine's resolved configuration and its test-only options (each refused without GRIDTA_TEST_FAULTS=1). */
function engineSettings(options: GridtaOptions & InternalOptions): {
  config: ResolvedConfig;
  faults?: Faults;
  cacheTest?: CacheTestOptions;
  seriesPieceBytes?: number;
} {
  checkOptionKeys(options, 'the createEngine options', ['__faults', '__cache', '__seriesPieceBytes']);
  const { __faults: faults, __cache: cacheRaw, __seriesPieceBytes: seriesPieceBytes, ...publicOptions } = options;
  if (
    seriesPieceBytes !== undefined &&
    (process.env.GRIDTA_TEST_FAULTS !== '1' || !(Number.isSafeInteger(seriesPieceBytes) && seriesPieceBytes > 0))
  ) {
    throw new ConfigError({
      key: '__seriesPieceBytes',
      source: 'option',
      value: seriesPieceBytes,
      expected: 'a positive integer, only with GRIDTA_TEST_FAULTS=1',
    });
  }
  if (faults !== undefined && process.env.GRIDTA_TEST_FAULTS !== '1') {
    throw new ConfigError({ key: '__faults', source: 'option', value: faults, expected: 'only with GRIDTA_TEST_FAULTS=1' });
  }
  if (cacheRaw !== undefined && process.env.GRIDTA_TEST_FAULTS !== '1') {
    throw new ConfigError({ key: '__cache', source: 'option', value: cacheRaw, expected: 'only with GRIDTA_TEST_FAULTS=1' });
  }
  const cacheTest = cacheRaw === undefined ? undefined : cacheTestOptions(cacheRaw, options.cwd ?? process.cwd());
  const config = resolveConfig(publicOptions);
  if (cacheTest?.sources !== undefined && config.threadsEffective !== 1) {
    throw new ConfigError({
      key: '__cache.sources',
      source: 'option',
      value: cacheTest.sources,
      expected: `used with threads: 1 (threads is ${config.threadsEffective})`,
    });
  }
  return { config, faults, cacheTest, ...(seriesPieceBytes !== undefined ? { seriesPieceBytes } : {}) };
}

/** A warning sink passing each distinct warning (code and details) once to `options.onWarning`, else to `process.emitWarning`. */
function onceEach(options: GridtaOptions): (w: GridtaWarning) => void {
  const emitted = new Set<string>();
  return (w) => {
    const id = `${w.code}:${JSON.stringify(w.details)}`;
    if (emitted.has(id)) return;
    emitted.add(id);
    if (options.onWarning) options.onWarning(w);
    else process.emitWarning(w.message, { code: w.code });
  };
}

// Stays whole past 120 lines: one closure over one engine's state (warmup, pool, running computes), in named inner functions.
export function createEngine(options: GridtaOptions & InternalOptions = {}): Engine {
  const t0 = performance.now();
  const { config, faults: allFaults, cacheTest, seriesPieceBytes } = engineSettings(options);
  const faults = allFaults?.scope === 'stage-a' ? undefined : allFaults;
  const stageAFaults = allFaults?.scope === 'stage-a' ? allFaults : undefined;
  const defaults: ValidatedDefaults = validateDefaults(config.document, config.configPath.value);
  const configMs = performance.now() - t0;
  const warn = onceEach(options);
  for (const w of config.warnings) warn(w as GridtaWarning);
  const baseLimits = { maxVariantsPerCompute: config.maxVariantsPerCompute.value, maxComputeBytesTotal: config.maxComputeBytesTotal.value };
  let closed = false;
  let warm: Promise<Warmed> | undefined;
  let warmed: Warmed | undefined;
  let pool: KernelPool | undefined;
  const threads = config.threadsEffective;

  /**
   * The guards' view of the WebAssembly memory a compute with `batchVariants` would lay out. Before
   * warmup, the configured engine and threads say whether there will be one and whether a pool
   * runs it (a pool starts with threads >= 2 on a WebAssembly engine); after warmup, what started.
   */
  const limitsFor = (batchVariants: number | 'auto' | undefined): Limits => {
    const memoryBytes: MemoryBytesFn = (grid, t, variants, layout, outputs) => {
      const engine = warmed ? warmed.report.engine : config.engine.value;
      if (engine === 'reference' || !grid.def.kernel) return null;
      const poolThreads = warmed ? (pool ? pool.threads : null) : threads >= 2 ? threads : null;
      return wasmMemoryBytes(grid.def, grid.axes, t, variants, layout, outputs, poolThreads, batchVariants);
    };
    return { ...baseLimits, memoryBytes };
  };
  const limits = limitsFor(config.batchVariants.value);

  function warmupOnce(): Promise<Warmed> {
    if (!warm) {
      warm = warmUp({ config, configMs, warn, ...(cacheTest ? { cacheTest } : {}) }).then(
        (w) => {
          pool = w.pool;
          warmed = w;
          return w;
        },
        (e) => {
          warm = undefined;
          throw e;
        },
      );
    }
    return warm;
  }

  /**
   * Each running compute gets its own stop signal, aborted by the caller's signal or by close()
   * (reason 'engine_closed'); close() waits for every compute to settle before stopping the workers.
   */
  const running = new Map<Promise<unknown>, AbortController>();
  let closing: Promise<void> | undefined;

  /** Runs `work` with its own stop signal, linked to the caller's and aborted by close(). */
  function tracked<T>(userSignal: AbortSignal | undefined, check: () => void, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    if (closed) return Promise.reject(new GridtaError('engine_closed', 'the engine is closed', {}));
    const stop = new AbortController();
    let unlink = (): void => undefined;
    const p = (async () => {
      check();
      const user = userSignal;
      if (user) {
        const forward = (): void => stop.abort(user.reason);
        if (user.aborted) forward();
        else {
          user.addEventListener('abort', forward, { once: true });
          unlink = () => user.removeEventListener('abort', forward);
        }
      }
      return work(stop.signal);
    })().finally(() => {
      unlink();
      running.delete(p);
    });
    running.set(p, stop);
    return p;
  }

  function compute(req: ComputeRequest): Promise<IndicatorTensor> {
    return tracked(
      (req as Partial<ComputeRequest> | null)?.signal,
      () => checkComputeRequest(req),
      (signal) => computeUntil(req, signal),
    );
  }

  /** Memories of released tensors, for computes without `out` (dropped by close()). */
  const released = releasedMemories();

  /** The scoring memory of the last backtest, kept for the next one (dropped by close()). */
  const scoringMemory = scoringMemoryCache();

  /** What the engine lends a backtest running under `signal`. */
  function backtestContext(signal: AbortSignal): BacktestContext {
    return {
      compute: (r) => computeUntil(r, r.signal ?? signal),
      computeInto: (r, target) => computeTargets.into(r, target, r.signal ?? signal),
      computeWorkBytes: (r) => computeTargets.workBytes(r),
      ...(seriesPieceBytes !== undefined ? { seriesPieceBytes } : {}),
      module: async () => {
        const w = warmed ?? (await warmupOnce());
        return w.report.engine === 'reference' ? null : w.module!;
      },
      pool: () => {
        const p = pool;
        return p ? { threads: p.threads, score: (job) => p.runStageA(job, stageAFaults) } : null;
      },
      engine: () => warmed?.report.engine ?? String(config.engine.value),
      maxVariantsPerCompute: baseLimits.maxVariantsPerCompute,
      maxComputeBytesTotal: baseLimits.maxComputeBytesTotal,
      profile: config.profile.value,
      memoryCache: scoringMemory,
      exporters: backtestArrowExporters,
    };
  }

  const userSignal = (req: unknown): AbortSignal | undefined => {
    const s = (req as { signal?: unknown } | null)?.signal;
    return s instanceof AbortSignal ? s : undefined;
  };

  function backtest(req: BacktestRequest): Promise<BacktestResult> {
    return tracked(
      userSignal(req),
      () => checkBacktestRequest(req),
      (signal) => runBacktest({ ...req, signal }, backtestContext(signal)),
    );
  }

  function backtestReplay(req: BacktestReplayRequest): Promise<ReplayResult[]> {
    return tracked(
      userSignal(req),
      () => undefined,
      (signal) => replayBacktest({ ...req, signal }, backtestContext(signal)),
    );
  }

  function backtestRange(req: BacktestRequest, start: number, end: number): Promise<BacktestRangeScores> {
    return tracked(
      userSignal(req),
      () => checkBacktestRequest(req),
      (signal) => scoreBacktestRange({ ...req, signal }, backtestContext(signal), start, end),
    );
  }

  /**
   * What every compute does before its kernels run: the request checked and planned against the
   * guards, its input series present, the kernels loaded; then where it runs (the pool or in-process).
   */
  async function prepareCompute(req: ComputeRequest, signal: AbortSignal, target?: MemoryTarget) {
    const started = performance.now();
    if (signal.aborted) throw new ComputeCancelled({ processed: 0, total: 0, reason: abortReason(signal) });
    // candles this copy did not build (another copy of gridta, plain input from JavaScript) go through createCandles
    const given: Candles | CandlesInput = req.candles;
    const candles = isCandles(given) ? given : createCandles(given);
    const batchVariants = req.batchVariants ?? config.batchVariants.value;
    const plan = planCompute(
      req.grid,
      candles.t,
      { maxVariants: req.maxVariants, outputs: req.outputs, layout: req.layout ?? req.grid.layout },
      limitsFor(batchVariants),
    );
    const def: IndicatorDef = plan.grid.def;
    const required = requiredBaseSeries(def, plan.grid.axes);
    const available = availableSeries(candles);
    const missing = required.filter((s) => !available.includes(s));
    if (missing.length) throw new MissingInputSeriesError({ indicatorId: def.id, missing, required, available: [...available] });
    if (!def.kernel) throw new KernelUnavailableError(def.id);
    const reuse = req.out ? checkOut(req.out, def.id, candles.t, plan.variants, plan.layout, plan.outputs) : undefined;
    let warmupMs = 0;
    if (!warmed) {
      const w0 = performance.now();
      try {
        await warmupOnce();
      } finally {
        // closed while warming up: cancelled, whatever the warmup gave
        // biome-ignore lint/correctness/noUnsafeFinally: the cancellation deliberately replaces the warmup's outcome, error or not
        if (signal.aborted) throw new ComputeCancelled({ processed: 0, total: plan.variants, reason: abortReason(signal) });
      }
      warmupMs = performance.now() - w0;
    }
    const { report, module } = warmed!;
    const profile = req.profile ?? config.profile.value;
    const runReq: RunRequest = {
      recycled: reuse || target ? undefined : (bytes: number) => released.take(bytes),
      def,
      axes: plan.grid.axes,
      variants: plan.variants,
      layout: plan.layout,
      outputs: plan.outputs,
      candles,
      profile,
      batchVariants,
      signal: signal,
      onProgress: req.onProgress,
      reuse,
      // the target places the request's outputs, in the request's order; the plan may order them otherwise
      ...(target ? { target: { ...target, outputAt: plan.outputs.map((o) => target.outputAt[req.outputs!.indexOf(o)]!) } } : {}),
    };
    const K = plan.outputs.length;
    // Small outputs (under POOL_MIN_VALUES) and single-batch computes run in-process even when a pool exists:
    // dispatching them to a worker would cost more than it saves
    const pooled = runsPooled(pool ? pool.threads : null, candles.t, plan.variants, K, runReq.batchVariants, {
      kernel: def.kernel,
      axes: plan.grid.axes,
      layout: plan.layout,
    });
    const run = () =>
      report.engine === 'reference' ? runReference(runReq) : pooled ? runPooled(pool!, runReq, faults) : runWasm(module!, runReq);
    return { started, candles, plan, def, profile, report, pooled, warmupMs, run };
  }

  /**
   * A VARIANT_MAJOR compute written straight into a backtest's scoring memory (a WebAssembly engine
   * only), and the bytes its own regions take from the target's base (`workBytes`).
   */
  const computeTargets = {
    workBytes: (req: ComputeRequest): number => {
      const batchVariants = req.batchVariants ?? config.batchVariants.value;
      const layout = req.layout ?? req.grid.layout;
      const t = isCandles(req.candles) ? req.candles.t : createCandles(req.candles).t;
      const plan = planCompute(req.grid, t, { maxVariants: req.maxVariants, outputs: req.outputs, layout }, limitsFor(batchVariants));
      return wasmWorkBytes(plan.grid.def, plan.grid.axes, t, plan.variants, plan.outputs, pool ? pool.threads : null, batchVariants);
    },
    into: async (req: ComputeRequest, target: MemoryTarget, signal: AbortSignal): Promise<void> => {
      const p = await prepareCompute(req, signal, target);
      if (p.report.engine === 'reference') throw new Error('internal: the reference engine computes no targets');
      await p.run();
      if (signal.aborted) throw new ComputeCancelled({ processed: p.plan.variants, total: p.plan.variants, reason: abortReason(signal) });
    },
  };

  async function computeUntil(req: ComputeRequest, signal: AbortSignal): Promise<IndicatorTensor> {
    const { started, candles, plan, def, profile, report, pooled, warmupMs, run } = await prepareCompute(req, signal);
    const res = await run();
    // an abort seen after the last batch still cancels: no tensor once the signal has fired
    if (signal.aborted) throw new ComputeCancelled({ processed: plan.variants, total: plan.variants, reason: abortReason(signal) });
    const tensor = createTensor(
      {
        def,
        axes: plan.grid.axes,
        layout: plan.layout,
        t: candles.t,
        variants: plan.variants,
        outputs: plan.outputs.map((name, k) => ({ name, values: res.arrays[k]! })),
        tsOpen: candles.tsOpen,
        maxComputeBytesTotal: baseLimits.maxComputeBytesTotal,
        meta: {
          t: candles.t,
          variants: plan.variants,
          outputs: plan.outputs.length,
          nanPolicy: 'propagate',
          computeMs: Math.round(performance.now() - started - warmupMs),
          warmupMs: Math.round(warmupMs),
          engine: report.engine,
          threads: pooled ? pool!.threads : 1,
          batches: res.batches,
          batchVariants: res.batchVariants,
          attempts: res.attempts,
          lookAheadOutputs: def.lookAhead.filter((o) => plan.outputs.includes(o)),
          instrumentId: candles.instrumentId,
          timeframe: candles.timeframe,
          timeline: candles.timeline,
          start: candles.start,
          end: candles.end,
          profile,
        },
        onRelease: () => {
          const b = backings.get(tensor);
          backings.delete(tensor);
          if (b?.kind === 'wasm' && b.memory && !closed) released.put(b.memory);
        },
      },
      toArrowExporters,
    );
    backings.set(tensor, res.backing);
    return tensor as IndicatorTensor;
  }

  /** What a stream needs from the engine: the warm kernels and their build key, the guards, a compute for `tensor: true`. */
  const streamContext: StreamContext = {
    warm: async () => {
      const w = warmed ?? (await warmupOnce());
      const engine = w.report.engine;
      if (engine === 'reference' || !w.module) return { engine, module: null, buildKey: 'reference' };
      const buildKey = w.report.cache.key ?? (await cacheKey(engine === 'wasm-simd' ? 'simd' : 'scalar')).key;
      return { engine, module: w.module, buildKey };
    },
    limits,
    profile: config.profile.value,
    compute: (candles, grid, outputs, profile) =>
      computeUntil({ candles, grid, outputs, layout: 'TIME_MAJOR', profile }, new AbortController().signal),
    version: packageVersion('gridta'),
  };

  /** Stops new work, cancels running and queued computes, waits for them and for a warmup in flight, then ends the workers. */
  async function closeEngine(): Promise<void> {
    closed = true;
    for (const stop of running.values()) stop.abort('engine_closed');
    await Promise.allSettled([...running.keys(), ...(warm ? [warm] : [])]);
    scoringMemory.clear();
    released.clear();
    const p = pool;
    pool = undefined;
    await p?.close();
  }

  return Object.freeze({
    config,
    indicators: () => mergedIndicatorViews(defaults),
    defaultGrid: (id: string, overrides?: Partial<GridSpec>) => defaultGridOf(defaults, id, overrides),
    estimate: (grid: GridSpec, horizon: Horizon, opts?: EstimateOptions) => estimateGrid(grid, horizon, opts, limits),
    estimateBatch: (grids: readonly GridSpec[], horizon: Horizon, opts?: BatchEstimateOptions) =>
      estimateGrids(grids, horizon, opts, limits),
    compute: (req: ComputeRequest) => compute(req),
    backtest: (req: BacktestRequest) => backtest(req),
    backtestReplay: (req: BacktestReplayRequest) => backtestReplay(req),
    backtestRange: (req: BacktestRequest, start: number, end: number) => backtestRange(req, start, end),
    stream: (req: StreamRequest) =>
      tracked(
        undefined,
        () => undefined,
        () => openStream(req, streamContext),
      ),
    restoreStream: (bytes: Uint8Array, opts?: RestoreStreamOptions) =>
      tracked(
        undefined,
        () => undefined,
        () => restoreStreamFrom(bytes, streamContext, opts),
      ),
    warmup: async () => {
      if (closed) throw new GridtaError('engine_closed', 'the engine is closed', {});
      return (await warmupOnce()).report;
    },
    close: () => (closing ??= closeEngine()),
  });
}

export { requiredBaseSeries };

/** Reuses the arrays of the request's `out` when shape, layout, outputs and backing match. */
function checkOut(
  out: IndicatorTensor,
  indicatorId: string,
  t: number,
  variants: number,
  layout: Layout,
  outputs: readonly string[],
): OutputBacking {
  if ((out as Partial<IndicatorTensor>).released === true) throw new TensorReleasedError({ indicatorId, method: 'out' });
  const b = backings.get(out);
  const got = { t: out.meta?.t, variants: out.meta?.variants, layout: out.layout, outputs: out.outputs?.map((o) => o.name) };
  const same =
    b &&
    b.t === t &&
    b.variants === variants &&
    b.layout === layout &&
    b.outputs.length === outputs.length &&
    b.outputs.every((o, i) => o === outputs[i]);
  if (!same) {
    throw new GridValidationError(
      { indicatorId, field: 'out', reason: 'shape_mismatch', value: got, expected: { t, variants, layout, outputs } },
      'the tensor passed as out does not match this compute',
    );
  }
  backings.delete(out);
  return b!;
}
