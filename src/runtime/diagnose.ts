/**
 * `gridta diagnose`: what this installation would do and where each decision came
 * from — every setting with its source, CPU and threads, the module cache on disk, WebAssembly
 * support, an optional warmup and the versions, as one JSON-safe document. Only gridta's own
 * settings and GRIDTA_* variables are reported, never any other environment variable.
 *
 * The cache is inspected before warmup runs, so `cache` describes the state the process found and
 * `warmup.cacheSource` what warmup then did. The inspection never leaves a file behind: writability
 * is probed with a `.probe-*` file that is removed at once, and a missing directory is not created.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { EngineKind } from '../compute/run.js';
import { CacheUnavailableError, GridtaError, type ConfigErrorDetails } from '../errors.js';
import { cacheKey, nonEmptyDirectories, probeCacheDir, removeFailureText, scanCacheDir, unwritableWarning, type Target } from './cache.js';
import {
  collectConfig,
  describeSettings,
  type EngineSetting,
  type GridtaOptions,
  type GridtaWarning,
  type ResolvedConfig,
  type SettingSource,
} from './config.js';
import { validateDefaults } from './defaults.js';
import { createEngine } from './engine.js';
import { bundledCacheDir, packageRoot, packageVersion } from './paths.js';
import { simdSupported } from './warmup.js';

export type DiagnoseStatus = 'ok' | 'warnings' | 'error';

export interface DiagnoseError {
  readonly code: string;
  readonly message: string;
  readonly details: Record<string, unknown>;
}

/** One setting as listed by diagnose; `error` only on a setting whose value was rejected. */
export interface DiagnoseSetting {
  readonly name: string;
  readonly value: unknown;
  readonly source: SettingSource;
  readonly detail?: string;
  readonly effective?: unknown;
  readonly error?: string;
}

export interface DiagnoseCpu {
  readonly osAvailableParallelism: number;
  readonly cgroupQuota: number | null;
  readonly available: number;
  /** `null` when the `threads` setting itself is invalid. */
  readonly threadsEffective: number | null;
}

export type LookupTier = 'cache' | 'bundled' | 'missing';

export interface DiagnoseCache {
  readonly dir: string;
  /** The directory exists (a file at that path does not count). */
  readonly exists: boolean;
  /** A file can be created in it, or, when it does not exist yet, it can be created. */
  readonly writable: boolean;
  readonly strict: boolean;
  /** Valid entries (`<key>.wasm` + `<key>.json` pairs) in `dir`. */
  readonly entries: number;
  /** Bytes of every file gridta owns in `dir` (entries, corrupt entries, orphans, temporaries). */
  readonly bytes: number;
  readonly corrupt: number;
  readonly orphans: number;
  readonly tempFiles: number;
  readonly bundledDir: string;
  readonly bundledEntries: number;
  /** The key each target looks up with the installed sources and compiler; `null` if it cannot be computed. */
  readonly keys: { readonly simd: string | null; readonly scalar: string | null };
  readonly lookup: { readonly simd: LookupTier; readonly scalar: LookupTier };
}

export interface DiagnoseWasm {
  /** `false` when the effective engine (or, before it is decided, the requested one) is `reference`. */
  readonly enabled: boolean;
  readonly simdSupported: boolean;
  readonly requestedEngine: EngineSetting | null;
  /** From warmup; predicted from the request and SIMD support with `warmup: false`; `null` when unknown. */
  readonly engine: EngineKind | null;
}

export interface DiagnoseTimings {
  readonly configMs: number;
  readonly cacheLookupMs: number;
  readonly compileMs: number;
  readonly wasmCompileMs: number;
  readonly instantiateMs: number;
  readonly exerciseMs: number;
  readonly poolStartMs: number;
  readonly workersMs: number;
  readonly totalMs: number;
}

export type DiagnoseWarmup =
  | {
      readonly status: 'ok';
      readonly cacheSource: 'cache' | 'bundled' | 'compiled' | 'none';
      readonly timings: DiagnoseTimings;
      readonly workers: readonly { readonly index: number; readonly instantiateMs: number; readonly exerciseMs: number }[];
    }
  | { readonly status: 'skipped' }
  | { readonly status: 'failed'; readonly error: DiagnoseError };

export interface DiagnoseVersions {
  readonly gridta: string;
  readonly node: string;
  readonly v8: string;
  readonly assemblyscript: string;
  readonly piscina: string;
  readonly apacheArrow: string;
  readonly platform: string;
  readonly arch: string;
}

export interface DiagnoseDocument {
  readonly schemaVersion: 1;
  readonly status: DiagnoseStatus;
  readonly settings: readonly DiagnoseSetting[];
  readonly cpu: DiagnoseCpu;
  /** `null` when the cache directory itself could not be resolved. */
  readonly cache: DiagnoseCache | null;
  readonly wasm: DiagnoseWasm;
  readonly warmup: DiagnoseWarmup;
  readonly versions: DiagnoseVersions;
  readonly warnings: readonly GridtaWarning[];
  /** Why `status` is `error`: the configuration, the defaults, a strict cache refusal or warmup. */
  readonly error?: DiagnoseError;
}

export interface DiagnoseOptions extends GridtaOptions {
  /** Run a warmup (default `true`); `false` is `--no-warmup`. */
  warmup?: boolean;
}

const SETTING_ORDER = [
  'env',
  'configPath',
  'threads',
  'cacheDir',
  'cacheStrict',
  'maxComputeBytesTotal',
  'maxVariantsPerCompute',
  'engine',
  'batchVariants',
  'maxBatchAttempts',
  'batchTimeoutMs',
  'jobsEnabled',
  'jobsDsn',
  'jobsSchema',
  'jobsLeaseSeconds',
  'jobsRetryLimit',
  'jobsUnitVariants',
  'jobsConcurrency',
  'jobsPollIntervalMs',
  'jobsMetricsPort',
  'jobsMetricsHost',
] as const;
type SettingName = (typeof SETTING_ORDER)[number];

const TARGETS: readonly Target[] = ['simd', 'scalar'];

const errorOf = (e: unknown): DiagnoseError =>
  e instanceof GridtaError
    ? { code: e.code, message: e.message, details: { ...(e.details as Record<string, unknown>) } }
    : { code: 'internal_error', message: e instanceof Error ? e.message : String(e), details: {} };

const round1 = (ms: number): number => Math.round(ms * 10) / 10;

// ---------------------------------------------------------------------------------------------
// Settings, resolving what can be resolved

interface Failure {
  readonly code: string;
  readonly message: string;
  readonly details: ConfigErrorDetails;
}

interface Resolution {
  /** The configuration with a stand-in for every rejected value. */
  readonly cfg: ResolvedConfig;
  /** Every rejection, in the order resolution met them (the first is the reported error). */
  readonly failures: readonly Failure[];
  /** The config file could not be used (or depends on an invalid `env`): YAML values are unknown. */
  readonly fileUnknown: boolean;
}

/** One resolution that collects every rejected value; the rows of those settings report the value and its source. */
function resolvePartially(options: GridtaOptions, environ: Record<string, string | undefined>): Resolution {
  const { config, errors, fileUnknown } = collectConfig(options, environ);
  return { cfg: config, failures: errors.map((e) => ({ code: e.code, message: e.message, details: { ...e.details } })), fileUnknown };
}

/** Keys in a fixed order: name, value, effective, source, detail, then error. */
function ordered(row: DiagnoseSetting): DiagnoseSetting {
  return {
    name: row.name,
    value: row.value,
    ...(row.effective !== undefined ? { effective: row.effective } : {}),
    source: row.source,
    ...(row.detail !== undefined ? { detail: row.detail } : {}),
    ...(row.error !== undefined ? { error: row.error } : {}),
  };
}

function settingRows(res: Resolution, effectiveEngine: EngineKind | null): DiagnoseSetting[] {
  return settingRowsUnordered(res, effectiveEngine).map(ordered);
}

function settingRowsUnordered(res: Resolution, effectiveEngine: EngineKind | null): DiagnoseSetting[] {
  const { cfg, failures, fileUnknown } = res;
  const failed = new Map<string, Failure>();
  for (const f of failures) {
    const key = f.details.key;
    const name = key === 'compute' || key.startsWith('compute.') || key === 'jobs' || key.startsWith('jobs.') ? 'configPath' : key;
    if (!failed.has(name)) failed.set(name, f);
  }
  const rows = describeSettings(cfg, effectiveEngine ? { engine: effectiveEngine } : {});
  return rows.map((row): DiagnoseSetting => {
    const name = row.name as SettingName;
    const f = failed.get(name);
    if (f) {
      // the file was read but its content was rejected: show which file, chosen how
      if (name === 'configPath' && f.details.key !== 'configPath') return { ...row, error: f.message } as DiagnoseSetting;
      return { name, value: f.details.value, source: f.details.source as SettingSource, error: f.message };
    }
    if (fileUnknown && name === 'configPath') {
      return { name, value: null, source: 'default', detail: 'unknown: the environment name is invalid' };
    }
    if (fileUnknown && row.source === 'default' && name !== 'env') {
      // the file might have set it: the value shown is only the built-in default
      const { effective: _unknown, ...rest } = row;
      return { ...rest, detail: 'config file not used' } as DiagnoseSetting;
    }
    return row as DiagnoseSetting;
  });
}

// ---------------------------------------------------------------------------------------------
// The cache directories

interface DirScan {
  entries: number;
  bytes: number;
  corrupt: number;
  orphans: number;
  tempFiles: number;
  /** Valid entries by key. */
  valid: Map<string, Target>;
  /** `byHand`: its files that are directories with something in them, which `verify --fix` leaves. */
  corruptEntries: { key: string; reason: string; files: number; byHand: string[] }[];
}

/**
 * Counts what gridta owns in a cache directory, from the same scan and checks as `gridta cache
 * verify` (so both give the same reason for every bad entry); an unreadable or missing one is empty.
 */
async function scanDir(dir: string, tier: 'cache' | 'bundled', current: ReadonlyMap<string, Target>): Promise<DirScan> {
  const scan: DirScan = { entries: 0, bytes: 0, corrupt: 0, orphans: 0, tempFiles: 0, valid: new Map(), corruptEntries: [] };
  const rows = await scanCacheDir(dir, tier, current).catch(() => []);
  for (const r of rows) {
    scan.bytes += r.diskBytes;
    if (r.status === 'ok') {
      scan.entries++;
      scan.valid.set(r.key, r.target as Target);
    } else if (r.status === 'corrupt') {
      scan.corrupt++;
      scan.corruptEntries.push({
        key: r.key,
        reason: r.reason ?? 'corrupt',
        files: r.files.length,
        byHand: await nonEmptyDirectories(r).catch(() => []),
      });
    } else if (r.status === 'orphan') scan.orphans++;
    else scan.tempFiles++;
  }
  return scan;
}

async function inspectCache(
  cfg: ResolvedConfig,
  warnings: GridtaWarning[],
): Promise<{ cache: DiagnoseCache; refusal: DiagnoseError | null }> {
  const dir = cfg.cacheDir.value;
  const bundledDir = bundledCacheDir();
  const state = await probeCacheDir(dir, { create: false });
  const keys: Record<Target, string | null> = { simd: null, scalar: null };
  const lookup: Record<Target, LookupTier> = { simd: 'missing', scalar: 'missing' };
  const current = new Map<string, Target>();
  for (const t of TARGETS) {
    try {
      keys[t] = (await cacheKey(t)).key;
      current.set(keys[t]!, t);
    } catch {
      // no key for this target: keys[t] stays null
    }
  }
  const [own, bundled] = [await scanDir(dir, 'cache', current), await scanDir(bundledDir, 'bundled', current)];
  for (const t of TARGETS) {
    const key = keys[t];
    if (key === null) continue;
    lookup[t] = own.valid.get(key) === t ? 'cache' : bundled.valid.get(key) === t ? 'bundled' : 'missing';
  }
  for (const c of own.corruptEntries) {
    // verify --fix removes files and empty directories only: a directory with something in it is the user's to remove
    const advice =
      c.byHand.length === 0
        ? 'gridta cache verify --fix removes it'
        : c.byHand.map((name) => `${join(dir, name)} is ${removeFailureText('ENOTEMPTY')}`).join('; ') +
          (c.files > c.byHand.length ? '; gridta cache verify --fix then removes the rest' : '');
    warnings.push({
      code: 'GRIDTA_CACHE_CORRUPT',
      message: `module cache entry ${c.key} in ${dir} is invalid (${c.reason}); ${advice}`,
      details: { dir, key: c.key, reason: c.reason, ...(c.byHand.length ? { removeByHand: c.byHand } : {}) },
    });
  }
  let refusal: DiagnoseError | null = null;
  if (!state.writable) {
    const { operation, errno } = state.failure!;
    if (cfg.cacheStrict.value) refusal = errorOf(new CacheUnavailableError({ dir, operation, errno }));
    else warnings.push(unwritableWarning(state));
  }
  return {
    cache: {
      dir,
      exists: state.exists,
      writable: state.writable,
      strict: cfg.cacheStrict.value,
      entries: own.entries,
      bytes: own.bytes,
      corrupt: own.corrupt,
      orphans: own.orphans,
      tempFiles: own.tempFiles,
      bundledDir,
      bundledEntries: bundled.entries,
      keys,
      lookup,
    },
    refusal,
  };
}

// ---------------------------------------------------------------------------------------------
// Versions

/** A dependency's version: the package's own node_modules, else the nearest ancestor's (hoisted installs). */
function dependencyVersion(name: string): string {
  const own = packageVersion(name);
  if (own !== 'unknown') return own;
  let dir = dirname(packageRoot());
  for (;;) {
    const pj = join(dir, 'node_modules', name, 'package.json');
    if (existsSync(pj)) {
      try {
        return String((JSON.parse(readFileSync(pj, 'utf8')) as { version?: unknown }).version ?? 'unknown');
      } catch {
        return 'unknown';
      }
    }
    const up = dirname(dir);
    if (up === dir) return 'unknown';
    dir = up;
  }
}

function versions(): DiagnoseVersions {
  return {
    gridta: packageVersion('gridta'),
    node: process.version,
    v8: process.versions.v8,
    assemblyscript: dependencyVersion('assemblyscript'),
    piscina: dependencyVersion('piscina'),
    apacheArrow: dependencyVersion('apache-arrow'),
    platform: process.platform,
    arch: process.arch,
  };
}

// ---------------------------------------------------------------------------------------------
// Warmup

/**
 * Warms up an engine built from the resolved values as options, so it runs with exactly the
 * settings reported (whatever `process.env` holds), and collects the warnings warmup raises.
 */
async function runWarmup(
  cfg: ResolvedConfig,
  options: GridtaOptions,
  warnings: GridtaWarning[],
): Promise<{ warmup: DiagnoseWarmup; engine: EngineKind | null }> {
  let collecting = false;
  const opts: GridtaOptions = {
    configPath: cfg.configPath.value,
    env: cfg.env.value,
    threads: cfg.threads.value,
    cacheDir: cfg.cacheDir.value,
    cacheStrict: cfg.cacheStrict.value,
    maxComputeBytesTotal: cfg.maxComputeBytesTotal.value,
    maxVariantsPerCompute: cfg.maxVariantsPerCompute.value,
    engine: cfg.engine.value,
    batchVariants: cfg.batchVariants.value,
    maxBatchAttempts: cfg.maxBatchAttempts.value,
    batchTimeoutMs: cfg.batchTimeoutMs.value,
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
    ...(options.cgroupRoot !== undefined ? { cgroupRoot: options.cgroupRoot } : {}),
    ...(options.osAvailableParallelism !== undefined ? { osAvailableParallelism: options.osAvailableParallelism } : {}),
    // resolution warnings were taken from diagnose's own resolution (with the real sources)
    onWarning: (w) => {
      if (collecting) warnings.push({ code: w.code, message: w.message, details: w.details });
    },
  };
  let engine: ReturnType<typeof createEngine> | undefined;
  try {
    engine = createEngine(opts);
    collecting = true;
    const r = await engine.warmup();
    const t = r.timings;
    return {
      warmup: {
        status: 'ok',
        cacheSource: r.cache.source,
        timings: {
          configMs: round1(t.configMs),
          cacheLookupMs: round1(t.cacheLookupMs),
          compileMs: round1(t.compileMs),
          wasmCompileMs: round1(t.wasmCompileMs),
          instantiateMs: round1(t.instantiateMs),
          exerciseMs: round1(t.exerciseMs),
          poolStartMs: round1(t.poolStartMs),
          workersMs: round1(t.workersMs),
          totalMs: round1(t.totalMs),
        },
        workers: r.workers.map((w) => ({ index: w.index, instantiateMs: round1(w.instantiateMs), exerciseMs: round1(w.exerciseMs) })),
      },
      engine: r.engine,
    };
  } catch (e) {
    return { warmup: { status: 'failed', error: errorOf(e) }, engine: null };
  } finally {
    collecting = false;
    await engine?.close().catch(() => undefined);
  }
}

// ---------------------------------------------------------------------------------------------

/** One warning per code and subject: diagnose's own inspection and warmup may both see the same problem. */
function dedupe(warnings: readonly GridtaWarning[]): GridtaWarning[] {
  const seen = new Set<string>();
  return warnings.filter((w) => {
    const d = w.details as { dir?: unknown; key?: unknown };
    const id =
      w.code === 'GRIDTA_CACHE_UNWRITABLE'
        ? `${w.code}:${String(d.dir)}`
        : w.code === 'GRIDTA_CACHE_CORRUPT'
          ? `${w.code}:${String(d.dir)}:${String(d.key)}`
          : `${w.code}:${JSON.stringify(w.details)}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/**
 * Builds the diagnose document. Never rejects for a configuration, cache or warmup problem: those are
 * reported in the document (`status: 'error'`); `environ` defaults to `process.env`, of which only
 * the GRIDTA_* variables are read.
 */
export async function diagnose(
  options: DiagnoseOptions = {},
  environ: Record<string, string | undefined> = process.env,
): Promise<DiagnoseDocument> {
  const { warmup: wantWarmup = true, onWarning: _ignored, ...gridtaOptions } = options;
  const gridtaEnv: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(environ)) if (k.startsWith('GRIDTA_')) gridtaEnv[k] = v;

  const res = resolvePartially(gridtaOptions, gridtaEnv);
  const { cfg, failures } = res;
  const warnings: GridtaWarning[] = cfg.warnings.map((w) => ({ code: w.code, message: w.message, details: w.details }));
  const failedKeys = new Set(failures.map((f) => f.details.key));
  const first = failures[0];
  let error: DiagnoseError | null = first ? { code: first.code, message: first.message, details: { ...first.details } } : null;

  if (!error) {
    try {
      validateDefaults(cfg.document, cfg.configPath.value);
    } catch (e) {
      error = errorOf(e);
    }
  }

  const cacheKnown = !failedKeys.has('cacheDir') && !(res.fileUnknown && cfg.cacheDir.source === 'default');
  let cache: DiagnoseCache | null = null;
  if (cacheKnown) {
    const inspected = await inspectCache(cfg, warnings);
    cache = inspected.cache;
    if (!error && inspected.refusal) error = inspected.refusal;
  }

  const simd = simdSupported();
  const engineKnown = !failedKeys.has('engine') && !(res.fileUnknown && cfg.engine.source === 'default');
  const requestedEngine = engineKnown ? cfg.engine.value : null;
  if (requestedEngine === 'auto' && !simd) {
    warnings.push({
      code: 'GRIDTA_SIMD_UNAVAILABLE',
      message: 'this runtime does not support WebAssembly SIMD; using the scalar build',
      details: {},
    });
  }
  let engine: EngineKind | null =
    requestedEngine === null ? null : requestedEngine === 'auto' ? (simd ? 'wasm-simd' : 'wasm-scalar') : requestedEngine;

  let warmup: DiagnoseWarmup;
  if (!wantWarmup) warmup = { status: 'skipped' };
  else if (error && error.code !== 'cache_unavailable')
    warmup = { status: 'failed', error }; // its first phase, the configuration, fails
  else {
    const w = await runWarmup(cfg, gridtaOptions, warnings);
    warmup = w.warmup;
    engine = w.engine;
    if (w.warmup.status === 'failed' && !error) error = w.warmup.error;
  }

  const allWarnings = dedupe(warnings);
  const status: DiagnoseStatus = error ? 'error' : allWarnings.length ? 'warnings' : 'ok';
  const threadsKnown = !failedKeys.has('threads') && !(res.fileUnknown && cfg.threads.source === 'default');
  return {
    schemaVersion: 1,
    status,
    settings: settingRows(res, engine),
    cpu: {
      ...cfg.cpu,
      threadsEffective: threadsKnown ? cfg.threadsEffective : null,
    },
    cache,
    wasm: {
      enabled: engine !== null ? engine !== 'reference' : requestedEngine !== null && requestedEngine !== 'reference',
      simdSupported: simd,
      requestedEngine,
      engine,
    },
    warmup,
    versions: versions(),
    warnings: allWarnings,
    ...(error ? { error } : {}),
  };
}
