/**
 * The `npm run build` cache step: a directory named like an entry file in dist/wasm-cache is handled
 * as the runtime cache handles it: an empty one is removed, a non-empty one is a clear error naming
 * the path (its contents are never deleted).
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCache } from '../../src/runtime/build-cache.js';
import { cacheKey, readEntry } from '../../src/runtime/cache.js';

const FIXTURE = fileURLToPath(new URL('../fixtures/tiny-kernels', import.meta.url));
const TMP = mkdtempSync(join(tmpdir(), 'gridta-build-cache-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));
let n = 0;
const freshDir = (): string => {
  const d = join(TMP, `d${++n}`);
  mkdirSync(d);
  return d;
};
const build = (dir: string): Promise<void> => buildCache(dir, { sourcesDir: FIXTURE, log: () => undefined });
const keyOf = async (t: 'simd' | 'scalar'): Promise<string> => (await cacheKey(t, FIXTURE)).key;
const STALE = 'a'.repeat(64);

describe('buildCache: a directory named like an entry file', () => {
  it('removes an empty one in place of a current entry and writes the entry', async () => {
    const dir = freshDir();
    const simd = await keyOf('simd');
    mkdirSync(join(dir, `${simd}.wasm`));
    mkdirSync(join(dir, `${simd}.json`));
    await build(dir);
    expect((await readEntry(dir, simd, 'simd')).status).toBe('ok');
    expect((await readEntry(dir, await keyOf('scalar'), 'scalar')).status).toBe('ok');
  });

  it('refuses a non-empty one in place of a current entry, naming the path, and keeps its contents', async () => {
    const dir = freshDir();
    const scalar = await keyOf('scalar');
    const path = join(dir, `${scalar}.json`);
    mkdirSync(path);
    writeFileSync(join(path, 'keep.txt'), 'x');
    await expect(build(dir)).rejects.toThrow(
      `${path} is a directory that is not empty: gridta removes only empty directories, remove it by hand`,
    );
    expect(readdirSync(path)).toEqual(['keep.txt']);
  });

  it('prunes an empty one of an earlier key and refuses a non-empty one, naming the path', async () => {
    const dir = freshDir();
    mkdirSync(join(dir, `${STALE}.wasm`));
    await build(dir);
    expect(existsSync(join(dir, `${STALE}.wasm`))).toBe(false);

    const path = join(dir, `${STALE}.json`);
    mkdirSync(path);
    writeFileSync(join(path, 'keep.txt'), 'x');
    await expect(build(dir)).rejects.toThrow(
      `${path} is a directory that is not empty: gridta removes only empty directories, remove it by hand`,
    );
    expect(readdirSync(path)).toEqual(['keep.txt']);
  });
});
