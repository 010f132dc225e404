/**
 * Warmup: pick the engine, look the kernels up in the module cache (compiling them
 * on a miss), instantiate them, exercise every kernel and, with two threads or more, start the pool
 * and exercise it. The engine runs this once (`Engine.warmup`, or the first compute).
 */
import { WarmupError, CacheUnavailableError } from '../errors.js';
import type { EngineKind } from '../compute/run.js';
import { registry } from '../registry/index.js';
import { loadModule, openCacheDir, type CacheDirState, type GridtaWarning } from './cache.js';
import type { ResolvedConfig } from './config.js';
import { exerciseKernels } from './exercise.js';
import { bundledCacheDir } from './paths.js';
import { KernelPool } from './pool.js';

export { exerciseAxes, exerciseCandles, exerciseKernels } from './exercise.js';

export interface WarmupReport {
  status: 'ok';
  requestedEngine: 'auto' | EngineKind;
  engine: EngineKind;
  threads: number;
  inProcess: boolean;
  cache: { dir: string; writable: boolean; key: string | null; source: 'cache' | 'bundled' | 'compiled' | 'none'; wrote: boolean };
  timings: {
    configMs: number;
    cacheLookupMs: number;
    compileMs: number;
    wasmCompileMs: number;
    instantiateMs: number;
    exerciseMs: number;
    poolStartMs: number;
    workersMs: number;
    totalMs: number;
  };
  workers: readonly { index: number; instantiateMs: number; exerciseMs: number; kernels: number }[];
  kernels: readonly string[];
  warnings: readonly GridtaWarning[];
}

/**
 * Test-only options, accepted only when GRIDTA_TEST_FAULTS=1.
 * `__cache`: skip the bundled tier and compile from `sources` (a directory of AssemblyScript files,
 * default the package's assembly/), so cache tests reach a real, fast compile. A module without every
 * registry kernel (a tiny fixture) skips the exercise phase (0 ms, no kernels), and `sources` needs
 * `threads: 1`, since pool workers always exercise every kernel.
 */
export interface CacheTestOptions {
  bundled: false;
  sources?: string;
}

export interface WarmupInput {
  readonly config: ResolvedConfig;
  /** Time the engine spent resolving its configuration (part of the report's timings). */
  readonly configMs: number;
  /** The engine's warning sink (each distinct warning once). */
  readonly warn: (w: GridtaWarning) => void;
  readonly cacheTest?: CacheTestOptions;
}

export interface Warmed {
  readonly report: WarmupReport;
  /** `null` on the reference engine. */
  readonly module: WebAssembly.Module | null;
  /** The started pool (wasm engines with threads >= 2); the caller owns and closes it. */
  readonly pool: KernelPool | undefined;
}

/** The engine to try first: `auto` picks SIMD where the runtime has it (warning when it does not); an explicit wasm-simd without SIMD fails. */
function pickEngine(requested: ResolvedConfig['engine']['value'], warn: (w: GridtaWarning) => void): EngineKind {
  const engine: EngineKind = requested === 'auto' ? (simdSupported() ? 'wasm-simd' : 'wasm-scalar') : requested;
  if (requested === 'auto' && engine === 'wasm-scalar') {
    warn({
      code: 'GRIDTA_SIMD_UNAVAILABLE',
      message: 'this runtime does not support WebAssembly SIMD; using the scalar build',
      details: {},
    });
  }
  if (requested === 'wasm-simd' && !simdSupported()) {
    throw new WarmupError({
      phase: 'cacheLookup',
      cause: 'engine wasm-simd was requested but this runtime does not support WebAssembly SIMD',
    });
  }
  return engine;
}

/** Starts the pool and has every worker instantiate the module and exercise every kernel; a failed worker closes the pool. */
async function startPool(
  module: WebAssembly.Module,
  config: ResolvedConfig,
): Promise<{ pool: KernelPool; workers: WarmupReport['workers']; poolStartMs: number; workersMs: number }> {
  const p0 = performance.now();
  const pool = new KernelPool(module, {
    threads: config.threadsEffective,
    maxBatchAttempts: config.maxBatchAttempts.value,
    batchTimeoutMs: config.batchTimeoutMs.value,
  });
  const poolStartMs = performance.now() - p0;
  const w0 = performance.now();
  try {
    const workers = await pool.exercise();
    return { pool, workers, poolStartMs, workersMs: performance.now() - w0 };
  } catch (e) {
    await pool.close();
    throw new WarmupError({ phase: 'workers', cause: (e as Error).message }, { cause: e });
  }
}

export async function warmUp({ config, configMs, warn, cacheTest }: WarmupInput): Promise<Warmed> {
  const started = performance.now();
  const threads = config.threadsEffective;
  const requested = config.engine.value;
  let engine = pickEngine(requested, warn);
  const warnings: GridtaWarning[] = [];
  const onWarning = (w: GridtaWarning): void => {
    warnings.push(w);
    warn(w);
  };
  const dir = config.cacheDir.value;
  let module: WebAssembly.Module | null = null;
  let dirState: CacheDirState | undefined;
  let cache: WarmupReport['cache'] = { dir, writable: false, key: null, source: 'none', wrote: false };
  let cacheLookupMs = 0,
    compileMs = 0,
    wasmCompileMs = 0,
    instantiateMs = 0;
  const fallBack = (e: unknown): void => {
    const cause = (e as Error).message;
    onWarning({
      code: 'GRIDTA_WASM_FALLBACK',
      message: `WebAssembly kernels unavailable (${cause}); using the reference engine`,
      details: { cause },
    });
    engine = 'reference';
    module = null;
    cache = { dir, writable: dirState?.writable ?? false, key: null, source: 'none', wrote: false };
  };
  // Cache lookup (probe, key, tiers), compile on a miss, WebAssembly.compile, instantiate
  if (engine !== 'reference') {
    const l0 = performance.now();
    try {
      dirState = await openCacheDir(dir);
      const probeMs = performance.now() - l0;
      const found = await loadModule(engine === 'wasm-simd' ? 'simd' : 'scalar', {
        cacheDir: dir,
        dirState,
        strict: config.cacheStrict.value,
        onWarning,
        bundledDir: cacheTest ? null : bundledCacheDir(),
        ...(cacheTest?.sources !== undefined ? { sourcesDir: cacheTest.sources } : {}),
      });
      module = found.module;
      cacheLookupMs = probeMs + found.cacheLookupMs;
      compileMs = found.compileMs;
      wasmCompileMs = found.wasmCompileMs;
      cache = { dir, writable: found.writable, key: found.key, source: found.source, wrote: found.wrote };
    } catch (e) {
      // Strict-mode cache failures and an explicitly requested engine fail warmup; `auto` falls back
      if (e instanceof CacheUnavailableError || requested !== 'auto') throw e;
      fallBack(e);
    }
  }
  if (module) {
    const i0 = performance.now();
    try {
      const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
      new WebAssembly.Instance(module, {
        env: {
          memory,
          abort: () => {
            throw new WebAssembly.RuntimeError('kernel abort');
          },
        },
      });
      instantiateMs = performance.now() - i0;
    } catch (e) {
      if (requested !== 'auto') throw new WarmupError({ phase: 'instantiate', cause: (e as Error).message }, { cause: e });
      fallBack(e);
    }
  }
  // __cache.sources: a fixture module without the registry kernels has nothing to exercise
  const exported = module ? new Set(WebAssembly.Module.exports(module).map((x) => x.name)) : null;
  const exercise = !cacheTest?.sources || !exported || registry.list().every((d) => !d.kernel || exported.has(d.kernel.name));
  const x0 = performance.now();
  const kernels = exercise ? await exerciseKernels(engine, module) : [];
  const exerciseMs = exercise ? performance.now() - x0 : 0;
  // The pool (wasm engines with threads >= 2); the reference engine always runs in-process
  const poolStart = threads >= 2 && module ? await startPool(module, config) : undefined;
  const pool = poolStart?.pool;
  const workers = poolStart?.workers ?? [];
  const poolStartMs = poolStart?.poolStartMs ?? 0;
  const workersMs = poolStart?.workersMs ?? 0;
  const report: WarmupReport = {
    status: 'ok',
    requestedEngine: requested,
    engine,
    threads: pool ? threads : 1,
    inProcess: !pool,
    cache,
    timings: {
      configMs,
      cacheLookupMs,
      compileMs,
      wasmCompileMs,
      instantiateMs,
      exerciseMs,
      poolStartMs,
      workersMs,
      totalMs: configMs + performance.now() - started,
    },
    workers,
    kernels,
    warnings,
  };
  return { report, module, pool };
}

/** A tiny module using a v128 instruction: validates only where the runtime has SIMD. */
const SIMD_PROBE = new Uint8Array([
  0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 22, 1, 20, 0, 253, 12, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
  0, 11,
]);

export function simdSupported(): boolean {
  try {
    return WebAssembly.validate(SIMD_PROBE);
  } catch {
    return false;
  }
}
