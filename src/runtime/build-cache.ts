/**
 * `npm run build` step ([M10]): compiles both kernel targets through the runtime's own key and
 * write code into dist/wasm-cache/, skipping a target whose entry is already valid.
 */
import { bundledCacheDir } from './paths.js';
import { cacheKey, compileKernels, readEntry, writeEntry, type Target } from './cache.js';

async function main(): Promise<void> {
  const dir = bundledCacheDir();
  for (const target of ['simd', 'scalar'] as Target[]) {
    const info = await cacheKey(target);
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
}

main().catch((e) => {
  console.error(`gridta build: ${(e as Error).message}`);
  process.exit(1);
});
