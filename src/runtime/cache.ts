/**
 * Compiled-module cache: content-addressed key, asc compile on a miss, atomic
 * writes, integrity check on every read, bundled tier in dist/wasm-cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { constants, promises as fsp } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import type { OutputStream } from 'assemblyscript/asc';
import { CacheUnavailableError, CompileError } from '../errors.js';
import { errnoOf } from '../util/index.js';
import { kernelSourcesDir, packageVersion } from './paths.js';

export type Target = 'simd' | 'scalar';

const COMMON_FLAGS = [
  '--optimizeLevel',
  '3',
  '--shrinkLevel',
  '0',
  '--noAssert',
  '--runtime',
  'stub',
  '--importMemory',
  '--sharedMemory',
  '--initialMemory',
  '1',
  '--maximumMemory',
  '65536',
];

/** The exact ordered compiler arguments per target, without file names (they are part of the key). */
export const TARGET_FLAGS: Readonly<Record<Target, readonly string[]>> = Object.freeze({
  simd: Object.freeze([...COMMON_FLAGS, '--enable', 'simd', '--enable', 'threads']),
  scalar: Object.freeze([...COMMON_FLAGS, '--enable', 'threads', '--disable', 'simd']),
});

export interface GridtaWarning {
  code: string;
  message: string;
  details: Record<string, unknown>;
}

const sha256 = (data: string | Uint8Array): string => createHash('sha256').update(data).digest('hex');

async function listTs(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listTs(p)));
    else if (e.isFile() && e.name.endsWith('.ts')) out.push(p);
  }
  return out;
}

/** [posix relative path, sha256] of every *.ts under the sources dir, sorted by path. */
export async function kernelSources(dir = kernelSourcesDir()): Promise<[string, string][]> {
  const files = await listTs(dir);
  const list: [string, string][] = [];
  for (const f of files) list.push([relative(dir, f).split(sep).join('/'), sha256(await fsp.readFile(f))]);
  return list.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

export const compilerVersion = (): string => `assemblyscript@${packageVersion('assemblyscript')}`;

export interface KeyInfo {
  key: string;
  target: Target;
  compiler: string;
  flags: readonly string[];
  sources: [string, string][];
}

/** The cache key: sha256 of {"format":1,"target","compiler","flags","sources"} written with no whitespace. */
export async function cacheKey(target: Target, sourcesDir = kernelSourcesDir()): Promise<KeyInfo> {
  const sources = await kernelSources(sourcesDir);
  const compiler = compilerVersion();
  const flags = TARGET_FLAGS[target];
  const key = sha256(JSON.stringify({ format: 1, target, compiler, flags, sources }));
  return { key, target, compiler, flags, sources };
}

/** Compiles the kernels in memory with the AssemblyScript API; no files are written. */
export async function compileKernels(target: Target, sourcesDir = kernelSourcesDir()): Promise<Uint8Array> {
  const asc = (await import('assemblyscript/asc')).default;
  let binary: Uint8Array | undefined;
  let diagnostics = '';
  const collect: OutputStream = {
    write: (chunk) => {
      diagnostics += typeof chunk === 'string' ? chunk : new TextDecoder().decode(chunk);
    },
  };
  const result = await asc.main(['index.ts', '--outFile', 'kernels.wasm', ...TARGET_FLAGS[target]], {
    readFile: async (name: string) => {
      try {
        return await fsp.readFile(join(sourcesDir, name), 'utf8');
      } catch {
        return null;
      }
    },
    writeFile: (name: string, contents: Uint8Array | string) => {
      if (name.endsWith('.wasm') && typeof contents !== 'string') binary = contents;
    },
    listFiles: async (dirname: string) => {
      try {
        return (await fsp.readdir(join(sourcesDir, dirname))).filter((f) => f.endsWith('.ts'));
      } catch {
        return null;
      }
    },
    stdout: collect,
    stderr: collect,
  });
  if (result.error || !binary) {
    throw new CompileError(
      { target, diagnostics: (diagnostics || String(result.error ?? 'no output')).trim().slice(0, 4000) },
      { cause: result.error },
    );
  }
  return binary;
}

export interface Manifest {
  format: 1;
  key: string;
  target: Target;
  compiler: string;
  flags: readonly string[];
  sourcesSha256: string;
  wasmSha256: string;
  wasmBytes: number;
  createdAt: string;
  gridtaVersion: string;
  node: string;
}

/** Entry files (`<key>.wasm`, `<key>.json`) and their temporaries: the only files gridta ever creates or deletes in a cache dir. */
export const ENTRY_FILE = /^([0-9a-f]{64})\.(wasm|json)$/;
export const TEMP_FILE = /^([0-9a-f]{64})\.(wasm|json)\.tmp-/;

const isTarget = (t: unknown): t is Target => t === 'simd' || t === 'scalar';

export type EntryCheck =
  | { status: 'ok'; bytes: Uint8Array; module: WebAssembly.Module; manifest: Manifest; wasmCompileMs: number }
  | { status: 'missing' }
  /**
   * `manifest`: the parsed manifest when there is one (for listings); `directory`: the entry file
   * name that is a directory, when that is what is wrong (it blocks every write of the entry).
   */
  | { status: 'corrupt'; reason: string; manifest?: Partial<Manifest>; directory?: string }
  /** The files exist but cannot be read (EACCES, EIO, ...): the directory's fault, not the entry's. */
  | { status: 'unreadable'; errno: string };

const isDirectoryAt = async (path: string): Promise<boolean> => (await fsp.lstat(path).catch(() => null))?.isDirectory() ?? false;
const directoryInPlace = (name: string, manifest?: Partial<Manifest>): EntryCheck => ({
  status: 'corrupt',
  reason: `${name} is a directory, not a file`,
  directory: name,
  ...(manifest ? { manifest } : {}),
});

/**
 * Reads and validates one entry: manifest, key, target, size, sha256, WebAssembly.compile.
 * `target: null` accepts the manifest's own target (listings of foreign keys). A directory in place
 * of either file is a corrupt entry, also without a manifest: it would make every write of the entry fail.
 */
export async function readEntry(dir: string, key: string, target: Target | null): Promise<EntryCheck> {
  let text: string;
  try {
    text = await fsp.readFile(join(dir, `${key}.json`), 'utf8');
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'ENOENT')
      return (await isDirectoryAt(join(dir, `${key}.wasm`))) ? directoryInPlace(`${key}.wasm`) : { status: 'missing' };
    if (errno === 'EISDIR') return directoryInPlace(`${key}.json`);
    return { status: 'unreadable', errno };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'corrupt', reason: 'manifest is not JSON' };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return { status: 'corrupt', reason: 'manifest is not a JSON object' };
  const m = parsed as Manifest;
  const bad = (reason: string): EntryCheck => ({ status: 'corrupt', reason, manifest: m });
  if (m.format !== 1) return bad(`manifest format ${JSON.stringify(m.format)} is not 1`);
  if (m.key !== key) return bad('manifest key does not match the file name');
  if (target === null ? !isTarget(m.target) : m.target !== target)
    return bad(`manifest target ${JSON.stringify(m.target)} is not ${target ?? 'simd or scalar'}`);
  if (!Number.isSafeInteger(m.wasmBytes) || m.wasmBytes < 0) return bad(`manifest wasmBytes ${JSON.stringify(m.wasmBytes)} is not a size`);
  if (typeof m.wasmSha256 !== 'string') return bad('manifest has no wasmSha256');
  let bytes: Uint8Array;
  try {
    const fh = await fsp.open(join(dir, `${key}.wasm`), 'r');
    try {
      const st = await fh.stat();
      if (st.isDirectory()) return directoryInPlace(`${key}.wasm`, m);
      if (st.size !== m.wasmBytes) return bad(`wasm size ${st.size} is not ${m.wasmBytes}`); // truncated or grown: not read at all
      bytes = new Uint8Array(await fh.readFile());
    } finally {
      await fh.close();
    }
  } catch (e) {
    const errno = errnoOf(e);
    if (errno === 'ENOENT') return bad('wasm file missing');
    if (errno === 'EISDIR') return directoryInPlace(`${key}.wasm`, m);
    return { status: 'unreadable', errno };
  }
  if (bytes.length !== m.wasmBytes) return bad(`wasm size ${bytes.length} is not ${m.wasmBytes}`);
  if (sha256(bytes) !== m.wasmSha256) return bad('wasm sha256 mismatch');
  const t0 = performance.now();
  try {
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    return { status: 'ok', bytes, module, manifest: m, wasmCompileMs: performance.now() - t0 };
  } catch (e) {
    return bad(`WebAssembly.compile rejected it: ${(e as Error).message}`);
  }
}

/** Why an entry is not usable, as `verify`, `diagnose` and the corrupt-entry warning all word it. */
export const entryProblem = (r: Exclude<EntryCheck, { status: 'ok' }>): string =>
  r.status === 'corrupt' ? r.reason : r.status === 'unreadable' ? `unreadable (${r.errno})` : 'manifest vanished while listing';

/** One file of a cache directory that could not be removed. */
export interface RemoveFailure {
  file: string;
  errno: string;
}

/**
 * Test-only fault (honoured only with GRIDTA_TEST_FAULTS=1): every removal in a cache directory fails
 * with the errno in GRIDTA_TEST_CACHE_REMOVE_ERRNO, as on a read-only file system.
 */
function removeFault(): string | undefined {
  return process.env.GRIDTA_TEST_FAULTS === '1' ? process.env.GRIDTA_TEST_CACHE_REMOVE_ERRNO || undefined : undefined;
}

/**
 * Removes one entry-named file or temporary of a cache directory. A directory with that name is
 * removed only when it is empty (gridta never deletes what it did not write); anything else fails
 * with its errno (ENOTEMPTY, EROFS, EACCES, ...). Already gone counts as removed.
 */
export async function removeCacheFile(dir: string, name: string): Promise<RemoveFailure | null> {
  if (!ENTRY_FILE.test(name) && !TEMP_FILE.test(name)) throw new Error(`not a cache file name: ${name}`); // never anything else
  const path = join(dir, name);
  const st = await fsp.lstat(path).catch(() => null);
  if (!st) return null;
  try {
    const fault = removeFault();
    if (fault) throw Object.assign(new Error(`${fault}: injected removal failure, ${path}`), { code: fault });
    if (st.isDirectory()) await fsp.rmdir(path);
    else await fsp.unlink(path);
    return null;
  } catch (e) {
    const errno = errnoOf(e);
    return errno === 'ENOENT' ? null : { file: name, errno };
  }
}

/**
 * The files of a listing row that are directories with something in them: `verify --fix` and
 * `clear` leave those (gridta removes only empty directories), so they must be removed by hand.
 */
export async function nonEmptyDirectories(r: Pick<CacheListing, 'dir' | 'files'>): Promise<string[]> {
  const out: string[] = [];
  for (const name of r.files) {
    const inside = await fsp.readdir(join(r.dir, name)).catch(() => null);
    if (inside !== null && inside.length > 0) out.push(name);
  }
  return out;
}

/** A few words on why a removal failed, for messages. */
export function removeFailureText(errno: string): string {
  switch (errno) {
    case 'ENOTEMPTY':
    case 'EEXIST':
      return 'a directory that is not empty: gridta removes only empty directories, remove it by hand';
    case 'EROFS':
      return 'read-only file system';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EBUSY':
      return 'in use';
    default:
      return 'cannot be removed';
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await fsp.open(tmp, 'wx');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  try {
    await fh.close();
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

/** Atomic entry write: wasm first, manifest last, each through a temp file + fsync + rename. */
export async function writeEntry(dir: string, info: KeyInfo, bytes: Uint8Array): Promise<Manifest> {
  await fsp.mkdir(dir, { recursive: true });
  const manifest: Manifest = {
    format: 1,
    key: info.key,
    target: info.target,
    compiler: info.compiler,
    flags: info.flags,
    sourcesSha256: sha256(JSON.stringify(info.sources)),
    wasmSha256: sha256(bytes),
    wasmBytes: bytes.length,
    createdAt: new Date().toISOString(),
    gridtaVersion: packageVersion('gridta'),
    node: process.version,
  };
  await writeAtomic(join(dir, `${info.key}.wasm`), bytes);
  await writeAtomic(join(dir, `${info.key}.json`), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

// ---------------------------------------------------------------------------------------------
// The cache directory at warmup: created, probed, unusable handled (warn, or throw in strict mode)

export interface CacheDirState {
  /** Absolute path. */
  dir: string;
  /** It is a directory (existing or just created): entries can be looked up in it. */
  exists: boolean;
  /** The `.probe-<pid>-<random>` file could be created and removed. */
  writable: boolean;
  /** What failed when it is not writable. */
  failure?: { operation: 'mkdir' | 'probe'; errno: string };
}

/**
 * The one writability check of a cache directory, used by warmup and by `gridta diagnose`.
 * With `create` (warmup) a missing directory is created recursively; without it (diagnose, which
 * leaves nothing behind) a missing directory counts as writable when its nearest existing ancestor
 * is a writable directory. An existing directory is probed with a `.probe-<pid>-<random>` file that
 * is removed again.
 */
export async function probeCacheDir(dir: string, opts: { create: boolean }): Promise<CacheDirState> {
  if (opts.create) {
    try {
      await fsp.mkdir(dir, { recursive: true });
    } catch (e) {
      const st = await fsp.stat(dir).catch(() => null);
      const isDir = st?.isDirectory() ?? false;
      // EEXIST from a recursive mkdir means the path (or an ancestor) exists and is not a directory
      const errno = errnoOf(e) === 'EEXIST' && !isDir ? 'ENOTDIR' : errnoOf(e);
      return { dir, exists: isDir, writable: false, failure: { operation: 'mkdir', errno } };
    }
  } else {
    const st = await fsp.stat(dir).catch((e: unknown) => errnoOf(e));
    if (typeof st === 'string') {
      if (st !== 'ENOENT') return { dir, exists: false, writable: false, failure: { operation: 'mkdir', errno: st } };
      for (let up = dirname(dir); ; up = dirname(up)) {
        try {
          if (!(await fsp.stat(up)).isDirectory())
            return { dir, exists: false, writable: false, failure: { operation: 'mkdir', errno: 'ENOTDIR' } };
          await fsp.access(up, constants.W_OK | constants.X_OK);
          return { dir, exists: false, writable: true };
        } catch (e) {
          if (errnoOf(e) !== 'ENOENT' || dirname(up) === up)
            return { dir, exists: false, writable: false, failure: { operation: 'mkdir', errno: errnoOf(e) } };
        }
      }
    }
    if (!st.isDirectory()) return { dir, exists: false, writable: false, failure: { operation: 'mkdir', errno: 'ENOTDIR' } };
  }
  const probe = join(dir, `.probe-${process.pid}-${randomBytes(6).toString('hex')}`);
  try {
    await fsp.writeFile(probe, 'gridta write probe\n', { flag: 'wx' });
    await fsp.unlink(probe);
  } catch (e) {
    await fsp.rm(probe, { force: true }).catch(() => undefined);
    return { dir, exists: true, writable: false, failure: { operation: 'probe', errno: errnoOf(e) } };
  }
  return { dir, exists: true, writable: true };
}

/** At warmup: creates the directory recursively, then probes writability. */
export const openCacheDir = (dir: string): Promise<CacheDirState> => probeCacheDir(dir, { create: true });

/** GRIDTA_CACHE_UNWRITABLE for a directory whose probe failed. */
export function unwritableWarning(s: CacheDirState): GridtaWarning {
  const { operation, errno } = s.failure!;
  const then = s.exists
    ? 'valid entries in it are still read; a module compiled now stays in memory only'
    : 'a module compiled now stays in memory only';
  return {
    code: 'GRIDTA_CACHE_UNWRITABLE',
    message: `module cache dir ${s.dir} is not writable (${operation}: ${errno}); ${then}`,
    details: { dir: s.dir, operation, errno },
  };
}

export interface LoadOptions {
  /** The configured cache_dir (absolute), or null for none. */
  cacheDir: string | null;
  /** The bundled tier, or null to skip it. */
  bundledDir: string | null;
  /** Kernel sources (default: the package's assembly/). */
  sourcesDir?: string;
  /** Strict mode: an unusable cache_dir throws CacheUnavailableError instead of warning. */
  strict?: boolean;
  /** The result of `openCacheDir(cacheDir)` when the caller probed already; else loadModule probes. */
  dirState?: CacheDirState;
  /** Receives each warning as it happens (they are also returned). */
  onWarning?: (w: GridtaWarning) => void;
  /** Stands in for the AssemblyScript compile (tests count compiles with it). */
  compile?: (target: Target, sourcesDir: string) => Promise<Uint8Array>;
}

export interface ModuleLookup {
  module: WebAssembly.Module;
  bytes: Uint8Array;
  key: string;
  source: 'cache' | 'bundled' | 'compiled';
  /** An entry was written to cache_dir (a miss, or the repair of a corrupt entry). */
  wrote: boolean;
  /** From the probe; false without a cache_dir. */
  writable: boolean;
  /** Warmup's cacheLookup phase: probe, key, tier lookups (validation hashes included). */
  cacheLookupMs: number;
  /** Warmup's compile phase: AssemblyScript compile and the entry write; 0 on a hit. */
  compileMs: number;
  /** Warmup's wasmCompile phase: WebAssembly.compile of the bytes that were loaded or compiled. */
  wasmCompileMs: number;
  warnings: GridtaWarning[];
}

/**
 * Tiers: cache_dir, then the bundled dir, then compile in memory and write to cache_dir.
 * A corrupt entry is a miss with GRIDTA_CACHE_CORRUPT and, in cache_dir, is replaced by the fresh
 * module; an unwritable cache_dir warns once (or throws in strict mode) and is still read
 * when it exists; a write that fails midway warns GRIDTA_CACHE_WRITE_FAILED.
 */
export async function loadModule(target: Target, opts: LoadOptions): Promise<ModuleLookup> {
  const t0 = performance.now();
  const warnings: GridtaWarning[] = [];
  const warn = (w: GridtaWarning): void => {
    warnings.push(w);
    opts.onWarning?.(w);
  };
  const strict = opts.strict ?? false;
  const sourcesDir = opts.sourcesDir ?? kernelSourcesDir();
  const state = opts.cacheDir === null ? null : (opts.dirState ?? (await openCacheDir(opts.cacheDir)));
  if (state && !state.writable) {
    if (strict) throw new CacheUnavailableError({ dir: state.dir, operation: state.failure!.operation, errno: state.failure!.errno });
    warn(unwritableWarning(state));
  }
  const writable = state?.writable ?? false;
  const info = await cacheKey(target, sourcesDir);

  /** Writes to cache_dir; a failure warns (or throws in strict mode) and leaves no temporary file. */
  let blocked = false; // an entry file is a directory that could not be removed: a write would fail
  const save = async (bytes: Uint8Array): Promise<boolean> => {
    if (!state || !writable || blocked) return false;
    try {
      await writeEntry(state.dir, info, bytes);
      return true;
    } catch (e) {
      const errno = errnoOf(e);
      if (strict) throw new CacheUnavailableError({ dir: state.dir, operation: 'write', errno }, { cause: e });
      warn({
        code: 'GRIDTA_CACHE_WRITE_FAILED',
        message: `writing module cache entry ${info.key} to ${state.dir} failed (${errno}); the module stays in memory`,
        details: { dir: state.dir, key: info.key, errno },
      });
      return false;
    }
  };

  const tiers: ['cache' | 'bundled', string][] = [];
  if (state?.exists) tiers.push(['cache', state.dir]);
  if (opts.bundledDir) tiers.push(['bundled', opts.bundledDir]);
  let replace = false;
  for (const [tier, dir] of tiers) {
    const r = await readEntry(dir, info.key, target);
    if (r.status === 'ok') {
      const wrote = replace ? await save(r.bytes) : false; // a corrupt cache_dir entry is replaced by the bundled one
      const { module, bytes, wasmCompileMs } = r;
      return {
        module,
        bytes,
        key: info.key,
        source: tier,
        wrote,
        writable,
        cacheLookupMs: performance.now() - t0 - wasmCompileMs,
        compileMs: 0,
        wasmCompileMs,
        warnings,
      };
    }
    if (r.status === 'missing') continue;
    if (r.status === 'unreadable' && tier === 'cache' && strict)
      throw new CacheUnavailableError({ dir, operation: 'read', errno: r.errno });
    const reason = entryProblem(r);
    // a directory named like an entry file blocks the rename of the fresh file: only an empty one is removed
    let removeFailed: RemoveFailure | null = null;
    if (tier === 'cache' && writable) {
      for (const name of [`${info.key}.wasm`, `${info.key}.json`]) {
        if (!removeFailed && (await isDirectoryAt(join(dir, name)))) removeFailed = await removeCacheFile(dir, name);
      }
      if (removeFailed && strict) throw new CacheUnavailableError({ dir, operation: 'write', errno: removeFailed.errno });
      blocked = removeFailed !== null;
    }
    const then =
      tier !== 'cache' || !writable
        ? 'ignoring it'
        : removeFailed
          ? `${join(dir, removeFailed.file)} cannot be removed (${removeFailed.errno}: ${removeFailureText(removeFailed.errno)}), so the module stays in memory and every start compiles until it is removed`
          : 'it will be replaced';
    warn({
      code: 'GRIDTA_CACHE_CORRUPT',
      message: `module cache entry ${info.key} in ${dir} is invalid (${reason}); ${then}`,
      details: { dir, key: info.key, reason, ...(removeFailed ? { removeFailed } : {}) },
    });
    if (tier === 'cache') replace = true;
  }
  const cacheLookupMs = performance.now() - t0;

  const c0 = performance.now();
  const bytes = await (opts.compile ?? compileKernels)(target, sourcesDir);
  let compileMs = performance.now() - c0;
  const w0 = performance.now();
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (e) {
    throw new CompileError(
      { target, diagnostics: `WebAssembly.compile rejected the compiled module: ${(e as Error).message}` },
      { cause: e },
    );
  }
  const wasmCompileMs = performance.now() - w0;
  const s0 = performance.now();
  const wrote = await save(bytes); // only bytes WebAssembly accepted are ever written
  compileMs += performance.now() - s0;
  return { module, bytes, key: info.key, source: 'compiled', wrote, writable, cacheLookupMs, compileMs, wasmCompileMs, warnings };
}

// ---------------------------------------------------------------------------------------------
// Listing, verifying and clearing (gridta cache)

export type ListingStatus = 'ok' | 'corrupt' | 'orphan' | 'temp';

export interface CacheListing {
  tier: 'cache' | 'bundled';
  dir: string;
  key: string;
  status: ListingStatus;
  target: string | null;
  /** Size of the .wasm (of the temporary file for `temp`), null when there is none. */
  bytes: number | null;
  createdAt: string | null;
  compiler: string | null;
  /** This installation looks this key up (for its target). */
  current: boolean;
  /** Why an entry is corrupt; null otherwise. */
  reason: string | null;
  /** The file names of this row, relative to `dir`. */
  files: string[];
  /** Age of the newest file, from its mtime. */
  ageMs: number;
  /** Bytes of every regular file of this row (manifest included). */
  diskBytes: number;
}

/** The key this installation looks up for each target. */
export async function currentKeys(sourcesDir = kernelSourcesDir()): Promise<Map<string, Target>> {
  const out = new Map<string, Target>();
  for (const t of ['simd', 'scalar'] as const) out.set((await cacheKey(t, sourcesDir)).key, t);
  return out;
}

/**
 * Every entry, orphan and temporary in one tier: the one scan behind `gridta cache ls | verify` and
 * `gridta diagnose`, so they always agree. Each key with an entry-named file or directory is checked
 * by `readEntry` (a directory in place of either file is a corrupt entry); a `.wasm` file alone is an
 * orphan. A missing directory (or a file in its place) lists nothing.
 */
export async function scanCacheDir(dir: string, tier: 'cache' | 'bundled', current: ReadonlyMap<string, Target>): Promise<CacheListing[]> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return [];
    throw e;
  }
  const stat = async (name: string): Promise<{ size: number; mtimeMs: number; file: boolean } | null> => {
    const s = await fsp.lstat(join(dir, name)).catch(() => null);
    return s && (s.isFile() || s.isDirectory()) ? { size: s.isFile() ? s.size : 0, mtimeMs: s.mtimeMs, file: s.isFile() } : null;
  };
  const now = Date.now();
  const keys = new Map<string, { json?: string; wasm?: string }>();
  const rows: CacheListing[] = [];
  for (const name of names.sort()) {
    const temp = TEMP_FILE.exec(name);
    if (temp) {
      const s = await stat(name);
      if (!s?.file) continue; // readers ignore temporaries, and a directory there blocks nothing
      rows.push({
        tier,
        dir,
        key: temp[1]!,
        status: 'temp',
        target: null,
        bytes: s.size,
        createdAt: null,
        compiler: null,
        current: current.has(temp[1]!),
        reason: null,
        files: [name],
        ageMs: now - s.mtimeMs,
        diskBytes: s.size,
      });
      continue;
    }
    const m = ENTRY_FILE.exec(name);
    if (!m || !(await stat(name))) continue;
    const k = keys.get(m[1]!) ?? {};
    k[m[2] as 'json' | 'wasm'] = name;
    keys.set(m[1]!, k);
  }
  for (const [key, f] of keys) {
    const files = [f.json, f.wasm].filter((x): x is string => x !== undefined);
    const stats = await Promise.all(files.map(stat));
    const ageMs = now - Math.max(0, ...stats.map((s) => s?.mtimeMs ?? 0));
    const wasmStat = f.wasm ? stats[files.indexOf(f.wasm)] : undefined;
    const wasmSize = wasmStat?.file ? wasmStat.size : null;
    const diskBytes = stats.reduce((n, s) => n + (s?.size ?? 0), 0);
    const row: CacheListing = {
      tier,
      dir,
      key,
      status: 'orphan',
      target: null,
      bytes: wasmSize,
      createdAt: null,
      compiler: null,
      current: current.has(key),
      reason: null,
      files,
      ageMs,
      diskBytes,
    };
    const r = await readEntry(dir, key, current.get(key) ?? null);
    if (r.status !== 'missing' || f.json) {
      const m: Partial<Manifest> | undefined = r.status === 'ok' ? r.manifest : r.status === 'corrupt' ? r.manifest : undefined;
      row.status = r.status === 'ok' ? 'ok' : 'corrupt';
      if (r.status !== 'ok') row.reason = entryProblem(r);
      row.target = typeof m?.target === 'string' ? m.target : null;
      row.createdAt = typeof m?.createdAt === 'string' ? m.createdAt : null;
      row.compiler = typeof m?.compiler === 'string' ? m.compiler : null;
    }
    rows.push(row);
  }
  const order = (r: CacheListing): string => `${r.key} ${r.status} ${r.files[0] ?? ''}`;
  return rows.sort((a, b) => (order(a) < order(b) ? -1 : order(a) > order(b) ? 1 : 0));
}

/** Temporary files younger than this may belong to a running writer; `verify --fix` leaves them. */
export const STALE_TEMP_MS = 10 * 60_000;

/** A row `verify` counts as a problem: corrupt entries, orphans and stale temporaries. */
export const isProblem = (r: CacheListing): boolean =>
  r.status === 'corrupt' || r.status === 'orphan' || (r.status === 'temp' && r.ageMs >= STALE_TEMP_MS);

/**
 * `verify --fix` in cache_dir: deletes the files of one problem row (an entry-named directory only
 * when empty); returns the files it removed and, with their errno, those it could not.
 */
export async function removeListing(r: CacheListing): Promise<{ removed: string[]; failed: RemoveFailure[] }> {
  const removed: string[] = [],
    failed: RemoveFailure[] = [];
  for (const name of r.files) {
    if (!ENTRY_FILE.test(name) && !TEMP_FILE.test(name)) continue; // never anything else
    const f = await removeCacheFile(r.dir, name);
    if (f) failed.push(f);
    else removed.push(name);
  }
  return { removed, failed };
}

/**
 * `gridta cache clear`: deletes entry-named files (and empty directories) and their temporaries,
 * nothing else; `failed` lists, in name order, what could not be removed and why.
 */
export async function clearCacheDir(dir: string): Promise<{ files: number; bytes: number; failed: RemoveFailure[] }> {
  let names: string[];
  try {
    names = await fsp.readdir(dir);
  } catch (e) {
    if (errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') return { files: 0, bytes: 0, failed: [] };
    throw e;
  }
  let files = 0,
    bytes = 0;
  const failed: RemoveFailure[] = [];
  for (const name of names.sort()) {
    if (!ENTRY_FILE.test(name) && !TEMP_FILE.test(name)) continue;
    const s = await fsp.lstat(join(dir, name)).catch(() => null);
    if (!s || (s.isDirectory() && TEMP_FILE.test(name))) continue;
    const f = await removeCacheFile(dir, name);
    if (f) {
      failed.push(f);
      continue;
    }
    files++;
    bytes += s.isFile() ? s.size : 0;
  }
  return { files, bytes, failed };
}
