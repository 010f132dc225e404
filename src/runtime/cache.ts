/**
 * Compiled-module cache (runtime.md §3): content-addressed key, asc compile on a miss, atomic
 * writes, integrity check on every read, bundled tier in dist/wasm-cache.
 */
import { createHash, randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { CompileError } from '../errors.js';
import { kernelSourcesDir, packageVersion } from './paths.js';

export type Target = 'simd' | 'scalar';

const COMMON_FLAGS = [
  '--optimizeLevel', '3', '--shrinkLevel', '0', '--noAssert', '--runtime', 'stub',
  '--importMemory', '--sharedMemory', '--initialMemory', '1', '--maximumMemory', '65536',
];

/** The exact ordered compiler arguments per target, without file names (they are part of the key). */
export const TARGET_FLAGS: Readonly<Record<Target, readonly string[]>> = Object.freeze({
  simd: Object.freeze([...COMMON_FLAGS, '--enable', 'simd', '--enable', 'threads']),
  scalar: Object.freeze([...COMMON_FLAGS, '--enable', 'threads', '--disable', 'simd']),
});

export interface GridtaWarning { code: string; message: string; details: Record<string, unknown> }

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

export interface KeyInfo { key: string; target: Target; compiler: string; flags: readonly string[]; sources: [string, string][] }

/** [M1]: sha256 of {"format":1,"target","compiler","flags","sources"} written with no whitespace. */
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
    stdout: { write: (s: string) => { diagnostics += s; return true; } } as never,
    stderr: { write: (s: string) => { diagnostics += s; return true; } } as never,
  });
  if (result.error || !binary) {
    throw new CompileError({ target, diagnostics: (diagnostics || String(result.error ?? 'no output')).trim().slice(0, 4000) }, { cause: result.error });
  }
  return binary;
}

export interface Manifest {
  format: 1; key: string; target: Target; compiler: string; flags: readonly string[]; sourcesSha256: string;
  wasmSha256: string; wasmBytes: number; createdAt: string; gridtaVersion: string; node: string;
}

export type EntryCheck =
  | { status: 'ok'; bytes: Uint8Array; module: WebAssembly.Module; manifest: Manifest }
  | { status: 'missing' }
  | { status: 'corrupt'; reason: string };

/** Reads and validates one entry ([M2]): manifest, key, target, size, sha256, WebAssembly.compile. */
export async function readEntry(dir: string, key: string, target: Target): Promise<EntryCheck> {
  let manifestText: string;
  try {
    manifestText = await fsp.readFile(join(dir, `${key}.json`), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'missing' };
    return { status: 'corrupt', reason: `manifest unreadable: ${(e as Error).message}` };
  }
  let m: Manifest;
  try {
    m = JSON.parse(manifestText) as Manifest;
  } catch {
    return { status: 'corrupt', reason: 'manifest is not JSON' };
  }
  if (m.format !== 1) return { status: 'corrupt', reason: `manifest format ${JSON.stringify(m.format)}` };
  if (m.key !== key) return { status: 'corrupt', reason: 'manifest key does not match the file name' };
  if (m.target !== target) return { status: 'corrupt', reason: `manifest target ${JSON.stringify(m.target)} is not ${target}` };
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(await fsp.readFile(join(dir, `${key}.wasm`)));
  } catch (e) {
    return { status: 'corrupt', reason: `wasm unreadable: ${(e as Error).message}` };
  }
  if (bytes.length !== m.wasmBytes) return { status: 'corrupt', reason: `size ${bytes.length} is not ${m.wasmBytes}` };
  if (sha256(bytes) !== m.wasmSha256) return { status: 'corrupt', reason: 'sha256 mismatch' };
  try {
    const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
    return { status: 'ok', bytes, module, manifest: m };
  } catch (e) {
    return { status: 'corrupt', reason: `WebAssembly.compile rejected it: ${(e as Error).message}` };
  }
}

async function writeAtomic(path: string, data: Uint8Array | string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
  const fh = await fsp.open(tmp, 'w');
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close().catch(() => undefined);
    await fsp.rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await fsp.rename(tmp, path);
  } catch (e) {
    await fsp.rm(tmp, { force: true });
    throw e;
  }
}

/** [M5]: wasm first, manifest last, each through a temp file + fsync + rename. */
export async function writeEntry(dir: string, info: KeyInfo, bytes: Uint8Array): Promise<Manifest> {
  await fsp.mkdir(dir, { recursive: true });
  const manifest: Manifest = {
    format: 1, key: info.key, target: info.target, compiler: info.compiler, flags: info.flags,
    sourcesSha256: sha256(JSON.stringify(info.sources)), wasmSha256: sha256(bytes), wasmBytes: bytes.length,
    createdAt: new Date().toISOString(), gridtaVersion: packageVersion('gridta'), node: process.version,
  };
  await writeAtomic(join(dir, `${info.key}.wasm`), bytes);
  await writeAtomic(join(dir, `${info.key}.json`), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

export interface ModuleLookup {
  module: WebAssembly.Module;
  bytes: Uint8Array;
  key: string;
  source: 'cache' | 'bundled' | 'compiled';
  wrote: boolean;
  compileMs: number;
  warnings: GridtaWarning[];
}

/**
 * [M3] tiers: cache_dir, then the bundled dir, then compile in memory and write to cache_dir.
 * A corrupt entry is a miss with a GRIDTA_CACHE_CORRUPT warning; an unwritable dir a warning.
 */
export async function loadModule(target: Target, opts: { cacheDir: string | null; bundledDir: string | null; sourcesDir?: string }): Promise<ModuleLookup> {
  const warnings: GridtaWarning[] = [];
  const info = await cacheKey(target, opts.sourcesDir);
  for (const [tier, dir] of [['cache', opts.cacheDir], ['bundled', opts.bundledDir]] as const) {
    if (!dir) continue;
    const r = await readEntry(dir, info.key, target);
    if (r.status === 'ok') return { module: r.module, bytes: r.bytes, key: info.key, source: tier, wrote: false, compileMs: 0, warnings };
    if (r.status === 'corrupt') {
      warnings.push({ code: 'GRIDTA_CACHE_CORRUPT', message: `cache entry ${info.key} in ${dir} is invalid (${r.reason}); recompiling`, details: { dir, key: info.key, reason: r.reason } });
    }
  }
  const t0 = performance.now();
  const bytes = await compileKernels(target, opts.sourcesDir);
  const compileMs = performance.now() - t0;
  const module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  let wrote = false;
  if (opts.cacheDir) {
    try {
      await writeEntry(opts.cacheDir, info, bytes);
      wrote = true;
    } catch (e) {
      const errno = (e as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
      warnings.push({ code: 'GRIDTA_CACHE_UNWRITABLE', message: `cannot write the module cache in ${opts.cacheDir} (${errno}); keeping the compiled module in memory`, details: { dir: opts.cacheDir, errno } });
    }
  }
  return { module, bytes, key: info.key, source: 'compiled', wrote, compileMs, warnings };
}
