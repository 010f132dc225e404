/**
 * Compiled-module cache and its warmup wiring: cold miss, warm hit, corrupt
 * entries, orphans and temporaries, missing / unwritable / strict directories, a write failing
 * midway, four racing processes, and `gridta cache path | ls | verify | clear`.
 *
 * Compiles use the tiny fixture test/fixtures/tiny-kernels through the internal `__cache` option
 * (honoured only with GRIDTA_TEST_FAULTS=1), so a real AssemblyScript compile takes well under a second. Engines in this file run
 * in-process (threads 1); child processes run against the built dist/.
 *
 * Read-only directories: the tests run as root in CI, where chmod 0555 does not stop writes, so an
 * unwritable cache_dir is a path under a regular FILE (mkdir fails with ENOTDIR for every user).
 * "Unwritable but readable" is covered by handing loadModule the probe result of a read-only dir
 * (the branch under test is what happens after the probe).
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheUnavailableError, ConfigError } from '../../src/errors.js';
import { cacheKey, loadModule, readEntry, type GridtaWarning, type Target } from '../../src/runtime/cache.js';
import { createEngine } from '../../src/runtime/engine.js';
import { loadTiny, TINY_KERNELS } from '../helpers/tiny-kernels.js';

process.env.GRIDTA_TEST_FAULTS = '1';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CHILD = fileURLToPath(new URL('../fixtures/cache-child.mjs', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TMP = mkdtempSync(join(tmpdir(), 'gridta-cache-test-'));
afterAll(() => rmSync(TMP, { recursive: true, force: true }));

let dirs = 0;
/** A fresh path under the test's temp root (not created). */
const freshDir = (): string => join(TMP, `d${++dirs}`);
/** A path under a regular file: nobody, root included, can create it. */
function underAFile(): string {
  const file = join(TMP, `file${++dirs}`);
  writeFileSync(file, 'not a directory\n');
  return join(file, 'cache');
}
const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);

function engineOn(
  cacheDir: string,
  opts: Parameters<typeof createEngine>[0] = {},
): { warmup: ReturnType<typeof createEngine>['warmup']; warnings: GridtaWarning[] } {
  const warnings: GridtaWarning[] = [];
  const e = createEngine({
    env: 'test',
    threads: 1,
    engine: 'wasm-simd',
    cacheDir,
    onWarning: (w) => warnings.push(w),
    __cache: { bundled: false, sources: TINY_KERNELS },
    ...opts,
  });
  return { warmup: () => e.warmup(), warnings };
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}
function run(cmd: string, args: string[], opts: { env?: NodeJS.ProcessEnv } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: ROOT, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
// biome-ignore lint/suspicious/noExplicitAny: the child's parsed JSON line, read field by field by the assertions
const child = async (args: string[], shellPrefix = ''): Promise<Run & { out: any }> => {
  const r = shellPrefix
    ? await run('sh', ['-c', `${shellPrefix}; exec node "$@"`, 'sh', CHILD, ...args])
    : await run(process.execPath, [CHILD, ...args]);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return { ...r, out: line ? JSON.parse(line) : null };
};
// biome-ignore lint/suspicious/noExplicitAny: the CLI's parsed JSON output, read field by field by the assertions
const cli = async (...args: string[]): Promise<Run & { json: any }> => {
  const r = await run(process.execPath, [CLI, 'cache', ...args]);
  let json: unknown = null;
  try {
    json = JSON.parse(r.stdout);
  } catch {
    /* text mode */
  }
  return { ...r, json };
};

/** Writes a valid fixture entry to `dir` and returns its key and bytes. */
async function populate(dir: string): Promise<{ key: string; bytes: Uint8Array }> {
  const r = await loadTiny(dir);
  expect(r.wrote, 'populate wrote the entry').toBe(true);
  return { key: r.key, bytes: r.bytes };
}

describe('cache lookup and writes (tiers, integrity, warmup report)', () => {
  it('compiles once on a cold miss, writes exactly one entry, and a later warmup loads it without compiling', async () => {
    const dir = freshDir();
    const cold = await engineOn(dir).warmup();
    expect(cold.cache).toMatchObject({ dir, writable: true, source: 'compiled', wrote: true });
    expect(cold.cache.key).toMatch(/^[0-9a-f]{64}$/);
    expect(cold.timings.compileMs, 'compile phase on a miss').toBeGreaterThan(0);
    expect(cold.timings.wasmCompileMs).toBeGreaterThan(0);
    expect(cold.timings.instantiateMs).toBeGreaterThan(0);
    expect(cold.kernels, 'the fixture has no registry kernels to exercise').toEqual([]);
    expect(cold.timings.exerciseMs).toBe(0);
    const key = cold.cache.key!;
    expect(files(dir)).toEqual([`${key}.json`, `${key}.wasm`]);
    expect((await readEntry(dir, key, 'simd')).status).toBe('ok');

    const warm = await engineOn(dir).warmup();
    expect(warm.cache).toMatchObject({ dir, writable: true, key, source: 'cache', wrote: false });
    expect(warm.timings.compileMs, 'no compile on a hit').toBe(0);
    expect(warm.timings.cacheLookupMs).toBeGreaterThan(0);
    expect(warm.warnings).toEqual([]);
    expect(files(dir)).toEqual([`${key}.json`, `${key}.wasm`]);
  });

  it('counts exactly one AssemblyScript compile for a miss and none for a hit', async () => {
    const dir = freshDir();
    const miss = await loadTiny(dir);
    expect([miss.source, miss.compiles, miss.wrote]).toEqual(['compiled', 1, true]);
    const hit = await loadTiny(dir, { compile: () => Promise.reject(new Error('a valid hit must not compile')) });
    expect([hit.source, hit.wrote, hit.compileMs]).toEqual(['cache', false, 0]);
    expect(Buffer.from(hit.bytes).equals(Buffer.from(miss.bytes))).toBe(true);
  });

  it('writes only the module bytes and a manifest that describes them', async () => {
    const dir = freshDir();
    const { key, bytes } = await populate(dir);
    const m = JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8'));
    expect(m).toMatchObject({
      format: 1,
      key,
      target: 'simd',
      wasmBytes: bytes.length,
      wasmSha256: createHash('sha256').update(bytes).digest('hex'),
    });
    expect(m.compiler).toMatch(/^assemblyscript@\d+\.\d+\.\d+$/);
    expect(new Date(m.createdAt).toISOString()).toBe(m.createdAt);
  });

  type Damage = { name: string; damage: (dir: string, key: string) => void; reason: RegExp };
  const DAMAGES: Damage[] = [
    {
      name: 'a flipped byte in the .wasm',
      reason: /sha256/,
      damage: (dir, key) => {
        const p = join(dir, `${key}.wasm`);
        const b = readFileSync(p);
        const mid = b.length >> 1;
        b[mid] = b[mid]! ^ 0x5a;
        writeFileSync(p, b);
      },
    },
    {
      name: 'a truncated .wasm',
      reason: /size/,
      damage: (dir, key) => {
        const p = join(dir, `${key}.wasm`);
        writeFileSync(p, readFileSync(p).subarray(0, 20));
      },
    },
    {
      name: 'a manifest for another key',
      reason: /key/,
      damage: (dir, key) => {
        const p = join(dir, `${key}.json`);
        const m = JSON.parse(readFileSync(p, 'utf8'));
        m.key = 'f'.repeat(64);
        writeFileSync(p, JSON.stringify(m));
      },
    },
    {
      name: 'a manifest that is not JSON',
      reason: /not JSON/,
      damage: (dir, key) => writeFileSync(join(dir, `${key}.json`), '{"format": 1, "key"'),
    },
    {
      name: 'bytes WebAssembly.compile rejects, with a manifest that matches them',
      reason: /WebAssembly\.compile/,
      damage: (dir, key) => {
        const junk = Buffer.from('\0asm\x01\0\0\0 this is not a module');
        writeFileSync(join(dir, `${key}.wasm`), junk);
        const p = join(dir, `${key}.json`);
        const m = JSON.parse(readFileSync(p, 'utf8'));
        writeFileSync(p, JSON.stringify({ ...m, wasmBytes: junk.length, wasmSha256: createHash('sha256').update(junk).digest('hex') }));
      },
    },
  ];

  it.each(DAMAGES)('detects $name: recompiles, warns GRIDTA_CACHE_CORRUPT and replaces the entry', async ({ damage, reason }) => {
    const dir = freshDir();
    const { key, bytes } = await populate(dir);
    damage(dir, key);
    expect((await readEntry(dir, key, 'simd')).status).toBe('corrupt');
    const warnings: GridtaWarning[] = [];
    const r = await loadTiny(dir, { onWarning: (w) => warnings.push(w) });
    expect([r.source, r.compiles, r.wrote]).toEqual(['compiled', 1, true]);
    expect(Buffer.from(r.bytes).equals(Buffer.from(bytes)), 'never a bad load: the fresh module').toBe(true);
    expect(warnings.map((w) => w.code)).toEqual(['GRIDTA_CACHE_CORRUPT']);
    expect(warnings[0]!.details).toMatchObject({ dir, key });
    expect(String(warnings[0]!.details.reason)).toMatch(reason);
    expect((await readEntry(dir, key, 'simd')).status, 'the corrupt entry was replaced').toBe('ok');
    expect(files(dir)).toEqual([`${key}.json`, `${key}.wasm`]);
  });

  it('replaces a corrupt cache_dir entry with a valid bundled one, without compiling', async () => {
    const bundledDir = freshDir();
    const { key, bytes } = await populate(bundledDir);
    const dir = freshDir();
    await populate(dir);
    DAMAGES[1]!.damage(dir, key);
    const warnings: GridtaWarning[] = [];
    const r = await loadTiny(dir, { bundledDir, onWarning: (w) => warnings.push(w) });
    expect([r.source, r.compiles, r.wrote]).toEqual(['bundled', 0, true]);
    expect(Buffer.from(r.bytes).equals(Buffer.from(bytes))).toBe(true);
    expect(warnings.map((w) => [w.code, w.details.dir])).toEqual([['GRIDTA_CACHE_CORRUPT', dir]]);
    expect((await readEntry(dir, key, 'simd')).status).toBe('ok');
    const next = await loadTiny(dir, { bundledDir });
    expect([next.source, next.compiles]).toEqual(['cache', 0]);
  });

  it('reports a corrupt entry in the warmup report and recovers through the engine', async () => {
    const dir = freshDir();
    const { key } = await populate(dir);
    DAMAGES[0]!.damage(dir, key);
    const { warmup, warnings } = engineOn(dir);
    const report = await warmup();
    expect(report.cache).toMatchObject({ source: 'compiled', wrote: true, key });
    expect(report.warnings.map((w) => w.code)).toEqual(['GRIDTA_CACHE_CORRUPT']);
    expect(warnings.map((w) => w.code)).toEqual(['GRIDTA_CACHE_CORRUPT']);
  });

  it('ignores orphan .wasm files and temporaries when looking up', async () => {
    const dir = freshDir();
    const key = (await loadTiny(null)).key;
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${key}.wasm`), 'orphan without manifest');
    writeFileSync(join(dir, `${key}.json.tmp-1-abcdef`), '{"format": 1, "key": "half-written');
    const warnings: GridtaWarning[] = [];
    const r = await loadTiny(dir, { onWarning: (w) => warnings.push(w) });
    expect([r.source, r.compiles, r.wrote]).toEqual(['compiled', 1, true]);
    expect(warnings, 'an orphan is not corrupt').toEqual([]);
    expect(files(dir)).toEqual([`${key}.json`, `${key}.json.tmp-1-abcdef`, `${key}.wasm`]);
    expect((await readEntry(dir, key, 'simd')).status).toBe('ok');
  });
});

describe('missing, unwritable and strict cache directories', () => {
  it('creates a missing directory recursively and leaves no probe file', async () => {
    const dir = join(freshDir(), 'a', 'b', 'c');
    const report = await engineOn(dir).warmup();
    expect(report.cache).toMatchObject({ dir, writable: true, source: 'compiled', wrote: true });
    expect(files(dir)).toEqual([`${report.cache.key}.json`, `${report.cache.key}.wasm`]);
  });

  it('works under a path it cannot create (ENOTDIR) with one GRIDTA_CACHE_UNWRITABLE warning', async () => {
    const dir = underAFile();
    const { warmup, warnings } = engineOn(dir);
    const report = await warmup();
    expect(report.status).toBe('ok');
    expect(report.cache).toMatchObject({ dir, writable: false, source: 'compiled', wrote: false });
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'GRIDTA_CACHE_UNWRITABLE', details: { dir, operation: 'mkdir', errno: 'ENOTDIR' } }),
    ]);
    expect(await warmup(), 'a second warmup returns the same report').toBe(report);
    expect(warnings).toHaveLength(1);
  });

  it('treats a regular file in place of the directory as unwritable (ENOTDIR)', async () => {
    const file = join(TMP, `plain${++dirs}`);
    writeFileSync(file, 'keep me\n');
    const { warmup, warnings } = engineOn(file);
    const report = await warmup();
    expect(report.cache).toMatchObject({ writable: false, source: 'compiled', wrote: false });
    expect(warnings[0]?.details).toEqual({ dir: file, operation: 'mkdir', errno: 'ENOTDIR' });
    expect(readFileSync(file, 'utf8')).toBe('keep me\n');
  });

  it('still reads a valid entry from a directory whose probe failed, and never writes a miss there', async () => {
    const dir = freshDir();
    const { key } = await populate(dir);
    const readOnly = { dir, exists: true, writable: false, failure: { operation: 'probe' as const, errno: 'EROFS' } };
    const warnings: GridtaWarning[] = [];
    const hit = await loadTiny(dir, { dirState: readOnly, onWarning: (w) => warnings.push(w) });
    expect([hit.source, hit.compiles, hit.writable, hit.key]).toEqual(['cache', 0, false, key]);
    expect(warnings).toEqual([
      expect.objectContaining({ code: 'GRIDTA_CACHE_UNWRITABLE', details: { dir, operation: 'probe', errno: 'EROFS' } }),
    ]);

    const empty = freshDir();
    mkdirSync(empty);
    const miss = await loadTiny(empty, { dirState: { ...readOnly, dir: empty } });
    expect([miss.source, miss.compiles, miss.wrote]).toEqual(['compiled', 1, false]);
    expect(files(empty), 'the module stays in memory').toEqual([]);
  });

  it('fails warmup in strict mode with CacheUnavailableError naming the directory, before compiling', async () => {
    const dir = underAFile();
    const { warmup } = engineOn(dir, { cacheStrict: true });
    const err = await warmup().then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CacheUnavailableError);
    expect((err as CacheUnavailableError).details).toEqual({ dir, operation: 'mkdir', errno: 'ENOTDIR' });
    expect((err as Error).message).toContain(dir);

    const ro = freshDir();
    mkdirSync(ro);
    let compiles = 0;
    const probeErr = await loadModule('simd', {
      cacheDir: ro,
      bundledDir: null,
      sourcesDir: TINY_KERNELS,
      strict: true,
      dirState: { dir: ro, exists: true, writable: false, failure: { operation: 'probe', errno: 'EROFS' } },
      compile: async () => {
        compiles++;
        return new Uint8Array();
      },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((probeErr as CacheUnavailableError).details).toEqual({ dir: ro, operation: 'probe', errno: 'EROFS' });
    expect(compiles, 'strict mode fails in the cacheLookup phase').toBe(0);
  });

  it('removes its temporary file and warns GRIDTA_CACHE_WRITE_FAILED when a write fails midway', async () => {
    // ulimit -f 1 caps files at 512 bytes: the 736-byte manifest fails part-way with EFBIG (Node ignores SIGXFSZ)
    const dir = freshDir();
    const r = await child([dir], 'ulimit -f 1');
    expect(r.code, r.stderr).toBe(0);
    expect(r.out.report.cache).toMatchObject({ writable: true, source: 'compiled', wrote: false });
    expect(r.out.warnings).toEqual([
      expect.objectContaining({ code: 'GRIDTA_CACHE_WRITE_FAILED', details: { dir, key: r.out.report.cache.key, errno: 'EFBIG' } }),
    ]);
    expect(
      files(dir).filter((f) => f.includes('.tmp-')),
      'no temporary file left',
    ).toEqual([]);
    expect(files(dir), 'no visible entry: the manifest never arrived').not.toContain(`${r.out.report.cache.key}.json`);

    const strict = await child([freshDir(), '0', 'strict'], 'ulimit -f 1');
    expect(strict.code).toBe(1);
    expect(strict.out.error).toMatchObject({ code: 'cache_unavailable', details: { operation: 'write', errno: 'EFBIG' } });
  });

  it('leaves exactly one valid entry when four processes start together on an empty directory', async () => {
    const dir = freshDir();
    const startAt = String(Date.now() + 1500);
    const runs = await Promise.all([1, 2, 3, 4].map(() => child([dir, startAt])));
    for (const r of runs) expect(r.code, r.stderr + r.stdout).toBe(0);
    const keys = new Set(runs.map((r) => r.out.report.cache.key));
    expect(keys.size).toBe(1);
    const [key] = [...keys] as [string];
    expect(runs.some((r) => r.out.report.cache.source === 'compiled')).toBe(true);
    for (const r of runs) expect(['compiled', 'cache']).toContain(r.out.report.cache.source);
    expect(files(dir)).toEqual([`${key}.json`, `${key}.wasm`]);
    expect((await readEntry(dir, key, 'simd')).status).toBe('ok');
  });
});

describe('the internal __cache option (test faults only)', () => {
  it('is refused without GRIDTA_TEST_FAULTS=1', () => {
    delete process.env.GRIDTA_TEST_FAULTS;
    try {
      expect(() => createEngine({ env: 'test', __cache: { bundled: false } })).toThrow(ConfigError);
    } finally {
      process.env.GRIDTA_TEST_FAULTS = '1';
    }
  });

  it('rejects malformed values and sources with a worker pool', () => {
    for (const bad of [{ bundled: true }, { bundled: false, sources: '' }, { bundled: false, extra: 1 }, null]) {
      expect(() => createEngine({ env: 'test', threads: 1, __cache: bad as never }), JSON.stringify(bad)).toThrow(ConfigError);
    }
    expect(() => createEngine({ env: 'test', threads: 2, __cache: { bundled: false, sources: TINY_KERNELS } })).toThrow(/threads: 1/);
  });
});

describe('gridta cache', () => {
  /**
   * A cache_dir holding one valid entry, one corrupt entry, an orphan, a stale and a fresh temporary,
   * an empty directory named like a manifest (a corrupt entry: it blocks that entry's writes), and foreign files.
   */
  async function messyDir(): Promise<{ dir: string; key: string; corrupt: string; orphan: string }> {
    const dir = freshDir();
    const { key, bytes } = await populate(dir);
    const corrupt = 'c'.repeat(64),
      orphan = 'd'.repeat(64);
    writeFileSync(join(dir, `${corrupt}.wasm`), bytes);
    writeFileSync(
      join(dir, `${corrupt}.json`),
      JSON.stringify({ format: 1, key: corrupt, target: 'simd', wasmBytes: bytes.length, wasmSha256: '0'.repeat(64) }),
    );
    writeFileSync(join(dir, `${orphan}.wasm`), bytes);
    writeFileSync(join(dir, `${key}.wasm.tmp-99-stale`), 'x');
    const old = new Date(Date.now() - 20 * 60_000);
    utimesSync(join(dir, `${key}.wasm.tmp-99-stale`), old, old);
    writeFileSync(join(dir, `${key}.json.tmp-98-fresh`), 'y');
    writeFileSync(join(dir, 'notes.txt'), 'operator notes\n');
    writeFileSync(join(dir, 'model.wasm'), 'not ours');
    writeFileSync(join(dir, `${'e'.repeat(63)}.json`), 'one hex digit short');
    mkdirSync(join(dir, `${DIR_ENTRY}.json`));
    return { dir, key, corrupt, orphan };
  }
  const DIR_ENTRY = 'a'.repeat(64);
  const FOREIGN = [`${'e'.repeat(63)}.json`, 'model.wasm', 'notes.txt'];

  it('path prints the cache_dir with its source and the bundled directory', async () => {
    const dir = freshDir();
    const r = await cli('path', '--dir', dir, '--json');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ cacheDir: dir, source: 'option', bundledDir: join(ROOT, 'dist', 'wasm-cache') });
    const text = await cli('path', '--dir', dir);
    expect(text.stdout).toContain(dir);
  });

  it('ls lists both tiers with status, target and whether the key is the one looked up', async () => {
    const { dir, key, corrupt, orphan } = await messyDir();
    const r = await cli('ls', '--dir', dir, '--json');
    expect(r.code, r.stderr).toBe(0);
    const rows = r.json.entries as {
      tier: string;
      key: string;
      status: string;
      target: string | null;
      bytes: number | null;
      current: boolean;
    }[];
    const mine = rows.filter((x) => x.tier === 'cache').map((x) => [x.key, x.status]);
    expect(mine).toEqual(
      [
        [key, 'ok'],
        [key, 'temp'],
        [key, 'temp'],
        [corrupt, 'corrupt'],
        [orphan, 'orphan'],
        [DIR_ENTRY, 'corrupt'],
      ].sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : 0)),
    );
    expect(rows.find((x) => x.tier === 'cache' && x.status === 'ok')).toMatchObject({ target: 'simd', current: false });
    const bundled = rows.filter((x) => x.tier === 'bundled');
    expect(bundled.map((x) => x.target).sort(), 'the build pre-populates both targets').toEqual(['scalar', 'simd']);
    expect(bundled.map((x) => x.status)).toEqual(['ok', 'ok']);
    // current: the key this source tree looks up for that target (false only while assembly/ is newer than the build)
    for (const x of bundled) expect(x.current, `${x.target} ${x.key}`).toBe(x.key === (await cacheKey(x.target as Target)).key);
    const text = await cli('list', '--dir', dir);
    expect(text.stdout).toContain(key.slice(0, 12));
    expect(text.stdout).not.toContain(key);
  });

  it('verify exits 1 on problems; --fix removes corrupt entries, orphans and stale temporaries only', async () => {
    const { dir, key, corrupt, orphan } = await messyDir();
    const before = await cli('verify', '--dir', dir, '--json');
    expect(before.code).toBe(1);
    expect(before.json).toMatchObject({ ok: false, problems: 4, fixed: 0 });
    expect(files(dir)).toContain(`${corrupt}.json`);

    const fix = await cli('verify', '--fix', '--dir', dir, '--json');
    expect(fix.code, fix.stdout).toBe(0);
    expect(fix.json).toMatchObject({ ok: true, problems: 4, fixed: 4, notFixed: 0 });
    expect(files(dir)).toEqual([...FOREIGN, `${key}.json`, `${key}.json.tmp-98-fresh`, `${key}.wasm`].sort());
    expect(files(dir).some((f) => f.startsWith(corrupt) || f.startsWith(orphan))).toBe(false);

    const after = await cli('verify', '--dir', dir);
    expect(after.code).toBe(0);
    expect(after.stdout).toMatch(/0 problems/);
  });

  it('clear deletes entry files and their temporaries, never other files, and reports count and bytes', async () => {
    const { dir } = await messyDir();
    const ours = files(dir).filter((f) => !FOREIGN.includes(f));
    const bytes = ours.reduce((n, f) => n + (f === `${DIR_ENTRY}.json` ? 0 : readFileSync(join(dir, f)).length), 0);
    const r = await cli('clear', '--dir', dir, '--json');
    expect(r.code).toBe(0);
    expect(r.json).toEqual({ dir, files: ours.length, bytes, failed: [] });
    expect(files(dir)).toEqual(FOREIGN);
    const again = await cli('clear', '--dir', dir);
    expect(again.stdout).toMatch(/removed 0 files/);
    expect((await cli('clear', '--dir', join(dir, 'missing'))).code).toBe(0);
  });

  it('rejects unknown subcommands and misplaced flags with exit 2', async () => {
    expect((await cli('bogus')).code).toBe(2);
    expect((await cli()).code).toBe(2);
    expect((await cli('ls', '--fix')).code).toBe(2);
  });
});
