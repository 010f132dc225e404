/** The tiny AssemblyScript fixture of the module-cache tests, and `loadModule` on it with a compile counter. */
import { fileURLToPath } from 'node:url';
import { compileKernels, loadModule, type LoadOptions, type Target } from '../../src/runtime/cache.js';

/** Sources of the fixture module (test/fixtures/tiny-kernels): compiles in a fraction of a second. */
export const TINY_KERNELS = fileURLToPath(new URL('../fixtures/tiny-kernels', import.meta.url));

/** What `loadModule` returned, plus how many times it compiled. */
export type CountedLoad = Awaited<ReturnType<typeof loadModule>> & { compiles: number };

/** loadModule('simd') of the fixture into `cacheDir` (no bundled modules), counting compiles. */
export async function loadTiny(cacheDir: string | null, extra: Partial<LoadOptions> = {}): Promise<CountedLoad> {
  let compiles = 0;
  const r = await loadModule('simd', {
    cacheDir,
    bundledDir: null,
    sourcesDir: TINY_KERNELS,
    compile: (t: Target, s: string) => {
      compiles++;
      return compileKernels(t, s);
    },
    ...extra,
  });
  return { ...r, compiles };
}
