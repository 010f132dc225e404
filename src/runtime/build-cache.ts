/**
 * `npm run build` step: compiles both kernel targets (simd and scalar) through the runtime's own key and
 * write code into dist/wasm-cache/, skipping a target whose entry is already valid, then removes
 * the entries of earlier sources so the package ships only the two modules it looks up.
 */
import { promises as fsp, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundledCacheDir, kernelSourcesDir } from './paths.js';
import {
  ENTRY_FILE,
  STALE_TEMP_MS,
  TEMP_FILE,
  cacheKey,
  compileKernels,
  readEntry,
  removeCacheFile,
  removeFailureText,
  writeEntry,
  type Target,
} from './cache.js';

export interface BuildCacheOptions {
  /** Kernel sources (default: the package's assembly/). */
  sourcesDir?: string;
  /** Progress lines (default: console.log). */
  log?: (line: string) => void;
}

/**
 * Removes one entry-named file or temporary as the runtime cache does: a directory of that name only
 * when it is empty; anything that cannot be removed is an error naming the path and why.
 */
async function remove(dir: string, name: string): Promise<void> {
  const failed = await removeCacheFile(dir, name);
  if (failed)
    throw new Error(
      `${join(dir, name)} is ${failed.errno === 'ENOTEMPTY' || failed.errno === 'EEXIST' ? '' : `not removable (${failed.errno}): `}${removeFailureText(failed.errno)}`,
    );
}

const isDirectory = async (path: string): Promise<boolean> => (await fsp.lstat(path).catch(() => null))?.isDirectory() ?? false;

/** Fills `dir` with the current entry of each target and prunes everything else gridta owns there. */
export async function buildCache(dir: string, opts: BuildCacheOptions = {}): Promise<void> {
  const sourcesDir = opts.sourcesDir ?? kernelSourcesDir();
  const log = opts.log ?? ((line: string) => console.log(line));
  const keep = new Set<string>();
  for (const target of ['simd', 'scalar'] as Target[]) {
    const info = await cacheKey(target, sourcesDir);
    keep.add(info.key);
    const existing = await readEntry(dir, info.key, target);
    if (existing.status === 'ok') {
      log(`gridta build: ${target} kernels up to date (${info.key.slice(0, 12)})`);
      continue;
    }
    // a directory named like an entry file would block the rename of the fresh file
    for (const name of [`${info.key}.wasm`, `${info.key}.json`]) if (await isDirectory(join(dir, name))) await remove(dir, name);
    const t0 = performance.now();
    const bytes = await compileKernels(target, sourcesDir);
    await writeEntry(dir, info, bytes);
    log(
      `gridta build: compiled ${target} kernels in ${Math.round(performance.now() - t0)} ms (${bytes.length} bytes, ${info.key.slice(0, 12)})`,
    );
  }
  // entries of other keys go; temporaries only once stale (a concurrent build may be writing them)
  let pruned = 0;
  for (const name of await fsp.readdir(dir)) {
    const entry = ENTRY_FILE.exec(name);
    const st = await fsp.lstat(join(dir, name)).catch(() => null);
    // a directory named like a temporary blocks nothing (readers ignore temporaries): left alone, as by `cache clear`
    const stale = entry
      ? !keep.has(entry[1]!)
      : TEMP_FILE.test(name) && st !== null && !st.isDirectory() && Date.now() - st.mtimeMs >= STALE_TEMP_MS;
    if (!stale || st === null) continue;
    await remove(dir, name);
    pruned++;
  }
  if (pruned) log(`gridta build: removed ${pruned} stale file(s) from ${dir}`);
}

/** Run as a script (`node dist/src/runtime/build-cache.js`), not imported. */
function isMain(): boolean {
  try {
    return process.argv[1] !== undefined && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
  } catch {
    return false;
  }
}

if (isMain()) {
  buildCache(bundledCacheDir()).catch((e) => {
    console.error(`gridta build: ${(e as Error).message}`);
    process.exit(1);
  });
}
