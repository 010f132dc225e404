/** Where the installed gridta package lives (for the bundled configs, kernel sources and cache). */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The nearest ancestor of this module whose package.json names gridta. */
export function packageRoot(): string {
  if (root) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pj = join(dir, 'package.json');
    if (existsSync(pj)) {
      try {
        if (JSON.parse(readFileSync(pj, 'utf8')).name === 'gridta') {
          root = dir;
          return root;
        }
      } catch {
        /* keep looking */
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error(`gridta: cannot locate the package root from ${fileURLToPath(import.meta.url)}`);
    dir = up;
  }
}

export const kernelSourcesDir = (): string => join(packageRoot(), 'assembly');
export const bundledCacheDir = (): string => join(packageRoot(), 'dist', 'wasm-cache');

export function packageVersion(name: string): string {
  const candidates =
    name === 'gridta' ? [join(packageRoot(), 'package.json')] : [join(packageRoot(), 'node_modules', name, 'package.json')];
  for (const p of candidates) {
    try {
      return JSON.parse(readFileSync(p, 'utf8')).version as string;
    } catch {
      /* try next */
    }
  }
  return 'unknown';
}
