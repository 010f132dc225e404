/**
 * The engine (engine.md §7, runtime.md §1–4): created synchronously from the resolved configuration
 * and validated defaults; compiles or loads the kernels on warmup (or lazily on the first compute);
 * computes grids in-process into one WebAssembly memory per compute and returns IndicatorTensors.
 */
import { createCandles, isCandles, availableSeries, type Candles } from '../candles/index.js';
import { toArrowExporters } from '../arrow/export.js';
import { createTensor, type IndicatorTensor } from '../compute/tensor.js';
import { runReference, runWasm, type ComputeProgress, type EngineKind, type OutputBacking, type RunRequest } from '../compute/run.js';
import { batchSize, seriesNeeded } from '../compute/plan.js';
import { ComputeCancelled, GridValidationError, GridtaError, MissingInputSeriesError, WarmupError } from '../errors.js';
import type { GridSpec, Layout } from '../grid/types.js';
import { estimate as estimateGrid, estimateBatch as estimateGrids, planCompute, type Horizon } from '../guards/index.js';
import type { IndicatorDef } from '../registry/types.js';
import { loadModule, type GridtaWarning } from './cache.js';
import { resolveConfig, type GridtaOptions, type ResolvedConfig } from './config.js';
import { defaultGrid as defaultGridOf, mergedIndicatorViews, validateDefaults, type MergedIndicatorView, type ValidatedDefaults } from './defaults.js';
import { bundledCacheDir } from './paths.js';
import { exerciseKernels, simdSupported } from './warmup.js';
import { KernelPool, runPooled, type Faults } from './pool.js';
import { ConfigError } from '../errors.js';
import { abortReason } from '../compute/run.js';

export type { ComputeProgress } from '../compute/run.js';

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
}

export interface WarmupReport {
  status: 'ok';
  requestedEngine: 'auto' | EngineKind;
  engine: EngineKind;
  threads: number;
  inProcess: boolean;
  cache: { dir: string; writable: boolean; key: string | null; source: 'cache' | 'bundled' | 'compiled' | 'none'; wrote: boolean };
  timings: { configMs: number; cacheLookupMs: number; compileMs: number; wasmCompileMs: number; instantiateMs: number; exerciseMs: number; poolStartMs: number; workersMs: number; totalMs: number };
  workers: readonly { index: number; instantiateMs: number; exerciseMs: number; kernels: number }[];
  kernels: readonly string[];
  warnings: readonly GridtaWarning[];
}

export interface Engine {
  readonly config: ResolvedConfig;
  indicators(): readonly MergedIndicatorView[];
  defaultGrid(id: string, overrides?: Partial<GridSpec>): GridSpec;
  estimate(grid: GridSpec, horizon: Horizon, opts?: { maxVariants?: number; outputs?: readonly string[]; throwOnGuard?: boolean }): ReturnType<typeof estimateGrid>;
  estimateBatch(grids: readonly GridSpec[], horizon: Horizon, opts?: { variantsFactor?: number; throwOnGuard?: boolean }): ReturnType<typeof estimateGrids>;
  compute(req: ComputeRequest): Promise<IndicatorTensor>;
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

/** Test-only options, accepted only when GRIDTA_TEST_FAULTS=1 (runtime.md [L5]). */
export interface InternalOptions { __faults?: Faults }

/** Below this many output values (T·V·K) a compute runs in-process even with a pool ([Q2a]). */
export const POOL_MIN_VALUES = 2 ** 20;

export function createEngine(options: GridtaOptions & InternalOptions = {}): Engine {
  const t0 = performance.now();
  const { __faults: faults, ...publicOptions } = options;
  if (faults !== undefined && process.env.GRIDTA_TEST_FAULTS !== '1') {
    throw new ConfigError({ key: '__faults', source: 'option', value: faults, expected: 'only with GRIDTA_TEST_FAULTS=1' });
  }
  const config = resolveConfig(publicOptions);
  const defaults: ValidatedDefaults = validateDefaults(config.document, config.configPath.value);
  const configMs = performance.now() - t0;
  const emitted = new Set<string>();
  const warn = (w: GridtaWarning): void => {
    const id = `${w.code}:${JSON.stringify(w.details)}`;
    if (emitted.has(id)) return;
    emitted.add(id);
    if (options.onWarning) options.onWarning(w);
    else process.emitWarning(w.message, { code: w.code });
  };
  for (const w of config.warnings) warn(w as GridtaWarning);
  const limits = { maxVariantsPerCompute: config.maxVariantsPerCompute.value, maxComputeBytesTotal: config.maxComputeBytesTotal.value };
  let closed = false;
  let warm: Promise<{ report: WarmupReport; module: WebAssembly.Module | null }> | undefined;
  let warmed: { report: WarmupReport; module: WebAssembly.Module | null } | undefined;
  let pool: KernelPool | undefined;
  const threads = config.threadsEffective;

  async function doWarmup(): Promise<{ report: WarmupReport; module: WebAssembly.Module | null }> {
    const started = performance.now();
    const requested = config.engine.value;
    let engine: EngineKind = requested === 'auto' ? (simdSupported() ? 'wasm-simd' : 'wasm-scalar') : requested;
    if (requested === 'auto' && engine === 'wasm-scalar') {
      warn({ code: 'GRIDTA_SIMD_UNAVAILABLE', message: 'this runtime does not support WebAssembly SIMD; using the scalar build', details: {} });
    }
    if (requested === 'wasm-simd' && !simdSupported()) {
      throw new WarmupError({ phase: 'cacheLookup', cause: 'engine wasm-simd was requested but this runtime does not support WebAssembly SIMD' });
    }
    const warnings: GridtaWarning[] = [];
    let module: WebAssembly.Module | null = null;
    let cache: WarmupReport['cache'] = { dir: config.cacheDir.value, writable: false, key: null, source: 'none', wrote: false };
    let cacheLookupMs = 0, compileMs = 0;
    if (engine !== 'reference') {
      const l0 = performance.now();
      try {
        const found = await loadModule(engine === 'wasm-simd' ? 'simd' : 'scalar', { cacheDir: config.cacheDir.value, bundledDir: bundledCacheDir() });
        module = found.module;
        compileMs = found.compileMs;
        cacheLookupMs = performance.now() - l0 - compileMs;
        cache = { dir: config.cacheDir.value, writable: found.wrote || found.source === 'cache', key: found.key, source: found.source, wrote: found.wrote };
        for (const w of found.warnings) { warnings.push(w); warn(w); }
      } catch (e) {
        if (requested !== 'auto') throw e;
        const w = { code: 'GRIDTA_WASM_FALLBACK', message: `WebAssembly kernels unavailable (${(e as Error).message}); using the reference engine`, details: { cause: (e as Error).message } };
        warnings.push(w); warn(w);
        engine = 'reference';
      }
    }
    const x0 = performance.now();
    const kernels = await exerciseKernels(engine, module);
    const exerciseMs = performance.now() - x0;
    // phases 7–8: the pool (wasm engines with threads >= 2); the reference engine always runs in-process
    let poolStartMs = 0, workersMs = 0;
    let workers: WarmupReport['workers'] = [];
    if (threads >= 2 && module) {
      const p0 = performance.now();
      const p = new KernelPool(module, { threads, maxBatchAttempts: config.maxBatchAttempts.value, batchTimeoutMs: config.batchTimeoutMs.value });
      poolStartMs = performance.now() - p0;
      const w0 = performance.now();
      try {
        workers = await p.exercise();
      } catch (e) {
        await p.close();
        throw new WarmupError({ phase: 'workers', cause: (e as Error).message }, { cause: e });
      }
      workersMs = performance.now() - w0;
      pool = p;
    }
    const report: WarmupReport = {
      status: 'ok', requestedEngine: requested, engine, threads: pool ? threads : 1, inProcess: !pool, cache,
      timings: { configMs, cacheLookupMs, compileMs, wasmCompileMs: 0, instantiateMs: 0, exerciseMs, poolStartMs, workersMs, totalMs: configMs + performance.now() - started },
      workers, kernels, warnings,
    };
    return { report, module };
  }

  function warmupOnce(): Promise<{ report: WarmupReport; module: WebAssembly.Module | null }> {
    if (!warm) {
      warm = doWarmup().then((w) => (warmed = w), (e) => { warm = undefined; throw e; });
    }
    return warm;
  }

  async function compute(req: ComputeRequest): Promise<IndicatorTensor> {
    const started = performance.now();
    if (closed) throw new GridtaError('engine_closed', 'the engine is closed', {});
    if (req.signal?.aborted) throw new ComputeCancelled({ processed: 0, total: 0, reason: abortReason(req.signal) });
    const candles = isCandles(req.candles) ? req.candles : createCandles(req.candles as never);
    const plan = planCompute(req.grid, candles.t, { maxVariants: req.maxVariants, outputs: req.outputs, layout: req.layout ?? req.grid.layout }, limits);
    const def: IndicatorDef = plan.grid.def;
    const required = requiredBaseSeries(def, plan.grid.axes);
    const available = availableSeries(candles);
    const missing = required.filter((s) => !available.includes(s as never));
    if (missing.length) throw new MissingInputSeriesError({ indicatorId: def.id, missing, required, available: [...available] });
    if (!def.kernel) throw new KernelUnavailableError(def.id);
    const reuse = req.out ? checkOut(req.out, def.id, candles.t, plan.variants, plan.layout, plan.outputs) : undefined;
    let warmupMs = 0;
    if (!warmed) {
      const w0 = performance.now();
      await warmupOnce();
      warmupMs = performance.now() - w0;
    }
    const { report, module } = warmed!;
    const runReq: RunRequest = {
      def, axes: plan.grid.axes, variants: plan.variants, layout: plan.layout, outputs: plan.outputs, candles,
      batchVariants: req.batchVariants ?? config.batchVariants.value, signal: req.signal, onProgress: req.onProgress, reuse,
    };
    const K = plan.outputs.length;
    // [Q2a]: small outputs and single-batch computes run in-process even when a pool exists
    const pooled = pool !== undefined && candles.t * plan.variants * K >= POOL_MIN_VALUES
      && batchSize(plan.variants, candles.t, K, pool.threads, runReq.batchVariants) < plan.variants;
    let res;
    if (report.engine === 'reference') res = await runReference(runReq);
    else if (pooled) res = await runPooled(pool!, runReq, faults);
    else res = await runWasm(module!, runReq);
    const tensor = createTensor({
      def, axes: plan.grid.axes, layout: plan.layout, t: candles.t, variants: plan.variants,
      outputs: plan.outputs.map((name, k) => ({ name, values: res.arrays[k]! })),
      tsOpen: candles.tsOpen,
      maxComputeBytesTotal: limits.maxComputeBytesTotal,
      meta: {
        t: candles.t, variants: plan.variants, outputs: plan.outputs.length, nanPolicy: 'propagate',
        computeMs: Math.round(performance.now() - started - warmupMs), warmupMs: Math.round(warmupMs),
        engine: report.engine, threads: pooled ? pool!.threads : 1, batches: res.batches, batchVariants: res.batchVariants, attempts: res.attempts,
        lookAheadOutputs: def.lookAhead.filter((o) => plan.outputs.includes(o)),
        instrumentId: candles.instrumentId, timeframe: candles.timeframe, timeline: candles.timeline, start: candles.start, end: candles.end,
      },
    }, toArrowExporters);
    backings.set(tensor, res.backing);
    return tensor as IndicatorTensor;
  }

  return Object.freeze({
    config,
    indicators: () => mergedIndicatorViews(defaults),
    defaultGrid: (id: string, overrides?: Partial<GridSpec>) => defaultGridOf(defaults, id, overrides),
    estimate: (grid: GridSpec, horizon: Horizon, opts?: { maxVariants?: number; outputs?: readonly string[]; throwOnGuard?: boolean }) => estimateGrid(grid, horizon, opts, limits),
    estimateBatch: (grids: readonly GridSpec[], horizon: Horizon, opts?: { variantsFactor?: number; throwOnGuard?: boolean }) => estimateGrids(grids, horizon, opts, limits),
    compute: (req: ComputeRequest) => compute(req),
    warmup: async () => {
      if (closed) throw new GridtaError('engine_closed', 'the engine is closed', {});
      return (await warmupOnce()).report;
    },
    close: async () => {
      closed = true;
      const p = pool;
      pool = undefined;
      await p?.close();
    },
  });
}

/** Base series a materialised grid needs (engine.md §2.3). */
export function requiredBaseSeries(def: IndicatorDef, axes: Parameters<typeof seriesNeeded>[1]): string[] {
  const out = new Set<string>();
  const expand: Record<string, string[]> = { hl2: ['high', 'low'], hlc3: ['high', 'low', 'close'], ohlc4: ['open', 'high', 'low', 'close'] };
  for (const s of seriesNeeded(def, axes)) for (const b of expand[s] ?? [s]) out.add(b);
  return [...out].sort();
}

/** engine.md §7.1: reuse the arrays of `out` when shape, layout, outputs and backing match. */
function checkOut(out: IndicatorTensor, indicatorId: string, t: number, variants: number, layout: Layout, outputs: readonly string[]): OutputBacking {
  const b = backings.get(out);
  const got = { t: out.meta?.t, variants: out.meta?.variants, layout: out.layout, outputs: out.outputs?.map((o) => o.name) };
  const same = b && b.t === t && b.variants === variants && b.layout === layout && b.outputs.length === outputs.length && b.outputs.every((o, i) => o === outputs[i]);
  if (!same) {
    throw new GridValidationError({ indicatorId, field: 'out', reason: 'shape_mismatch', value: got, expected: { t, variants, layout, outputs } },
      'the tensor passed as out does not match this compute');
  }
  backings.delete(out);
  return b!;
}
