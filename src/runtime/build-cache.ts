/**
 * `npm run build` step ([M10]): compiles both kernel targets through the runtime's own key and
 * write code into dist/wasm-cache/, skipping a target whose entry is already valid, then removes
 * the entries of earlier sources so the package ships only the two modules it looks up.
 */
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { bundledCacheDir } from './paths.js';
import { ENTRY_FILE, STALE_TEMP_MS, TEMP_FILE, cacheKey, compileKernels, readEntry, writeEntry, type Target } from './cache.js';

async function main(): Promise<void> {
  const dir = bundledCacheDir();
  const keep = new Set<string>();
  for (const target of ['simd', 'scalar'] as Target[]) {
    const info = await cacheKey(target);
    keep.add(info.key);
    const existing = await readEntry(dir, info.key, target);
    if (existing.status === 'ok') {
      console.log(`gridta build: ${target} kernels up to date (${info.key.slice(0, 12)})`);
      continue;
    }
    const t0 = performance.now();
    const bytes = await compileKernels(target);
    await writeEntry(dir, info, bytes);
    console.log(`gridta build: compiled ${target} kernels in ${Math.round(performance.now() - t0)} ms (${bytes.length} bytes, ${info.key.slice(0, 12)})`);
  }
  // entries of other keys go; temporaries only once stale (a concurrent build may be writing them)
  let pruned = 0;
  for (const name of await fsp.readdir(dir)) {
    const entry = ENTRY_FILE.exec(name);
    const stale = entry ? !keep.has(entry[1]!)
      : TEMP_FILE.test(name) && Date.now() - ((await fsp.stat(join(dir, name)).catch(() => null))?.mtimeMs ?? Date.now()) >= STALE_TEMP_MS;
    if (!stale) continue;
    await fsp.rm(join(dir, name), { force: true });
    pruned++;
  }
  if (pruned) console.log(`gridta build: removed ${pruned} stale file(s) from ${dir}`);
}

main().catch((e) => {
  console.error(`gridta build: ${(e as Error).message}`);
  process.exit(1);
});
