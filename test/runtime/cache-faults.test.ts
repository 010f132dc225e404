/**
 * Module cache faults (issue #13 item 10): a directory in place of an entry file, `verify --fix` and
 * `clear` on a read-only file system, and `gridta diagnose` agreeing with `gridta cache verify` on
 * every bad entry.
 *
 * Read-only: a real read-only bind mount when this process may mount (root with CAP_SYS_ADMIN);
 * otherwise the test-only fault GRIDTA_TEST_CACHE_REMOVE_ERRNO=EROFS (honoured only with
 * GRIDTA_TEST_FAULTS=1), which makes every removal in a cache directory fail with that errno.
 * The CLI tests spawn dist/src/cli/main.js: build first (`npx tsc -p tsconfig.json`).
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CacheUnavailableError } from '../../src/errors.js';
import { compileKernels, loadModule, type GridtaWarning, type Target } from '../../src/runtime/cache.js';
import { diagnose } from '../../src/runtime/diagnose.js';
import { loadTiny, TINY_KERNELS } from '../helpers/tiny-kernels.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const TMP = mkdtempSync(join(tmpdir(), 'gridta-cache-faults-'));
const mounts: string[] = [];
afterAll(() => {
  for (const m of mounts.reverse()) spawnSync('umount', [m]);
  rmSync(TMP, { recursive: true, force: true });
});

let dirs = 0;
const freshDir = (): string => {
  const d = join(TMP, `d${++dirs}`);
  mkdirSync(d, { recursive: true });
  return d;
};
const files = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir).sort() : []);
const isFile = (p: string): boolean => lstatSync(p).isFile();

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  // biome-ignore lint/suspicious/noExplicitAny: the CLI's parsed JSON output, read field by field by the assertions
  json: any;
}
function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '',
      stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('error', reject);
    p.on('close', (code) => {
      let json: unknown = null;
      try {
        json = JSON.parse(stdout);
      } catch {
        /* text mode */
      }
      resolve({ code, stdout, stderr, json });
    });
  });
}

describe('a directory named like a cache entry', () => {
  /** Where the directory goes, relative to a valid entry of the fixture. */
  const PLACES: { name: string; make: (dir: string, key: string) => void; reason: RegExp }[] = [
    {
      name: '<key>.json (with a valid .wasm)',
      reason: /\.json is a directory/,
      make: (dir, key) => {
        rmSync(join(dir, `${key}.json`));
        mkdirSync(join(dir, `${key}.json`));
      },
    },
    {
      name: '<key>.wasm (with a valid manifest)',
      reason: /\.wasm is a directory/,
      make: (dir, key) => {
        rmSync(join(dir, `${key}.wasm`));
        mkdirSync(join(dir, `${key}.wasm`));
      },
    },
    {
      name: '<key>.wasm (no manifest)',
      reason: /\.wasm is a directory/,
      make: (dir, key) => {
        rmSync(join(dir, `${key}.json`));
        rmSync(join(dir, `${key}.wasm`));
        mkdirSync(join(dir, `${key}.wasm`));
      },
    },
    {
      name: '<key>.json (no .wasm)',
      reason: /\.json is a directory/,
      make: (dir, key) => {
        rmSync(join(dir, `${key}.json`));
        rmSync(join(dir, `${key}.wasm`));
        mkdirSync(join(dir, `${key}.json`));
      },
    },
  ];

  it.each(PLACES)(
    'in place of $name: one GRIDTA_CACHE_CORRUPT, replaced by the recompiled entry, the next start is warm',
    async ({ make, reason }) => {
      const dir = freshDir();
      const first = await loadTiny(dir);
      const key = first.key;
      make(dir, key);
      const warnings: GridtaWarning[] = [];
      const r = await loadTiny(dir, { onWarning: (w) => warnings.push(w) });
      expect([r.source, r.compiles, r.wrote]).toEqual(['compiled', 1, true]);
      expect(warnings.map((w) => w.code)).toEqual(['GRIDTA_CACHE_CORRUPT']);
      expect(warnings[0]!.details).toMatchObject({ dir, key });
      expect(String(warnings[0]!.details.reason)).toMatch(reason);
      expect(warnings[0]!.message).toMatch(/will be replaced/);
      expect(files(dir)).toEqual([`${key}.json`, `${key}.wasm`]);
      expect(isFile(join(dir, `${key}.json`)) && isFile(join(dir, `${key}.wasm`))).toBe(true);
      const next = await loadTiny(dir, { onWarning: (w) => warnings.push(w) });
      expect([next.source, next.compiles, warnings.length]).toEqual(['cache', 0, 1]);
    },
  );

  it('that is not empty is left alone, and the one warning says it cannot be removed and why', async () => {
    const dir = freshDir();
    const { key } = await loadTiny(dir);
    rmSync(join(dir, `${key}.json`));
    mkdirSync(join(dir, `${key}.json`));
    writeFileSync(join(dir, `${key}.json`, 'keep.txt'), "someone else's file\n");
    const warnings: GridtaWarning[] = [];
    const r = await loadTiny(dir, { onWarning: (w) => warnings.push(w) });
    expect([r.source, r.compiles, r.wrote]).toEqual(['compiled', 1, false]);
    expect(
      warnings.map((w) => w.code),
      'warned once: no GRIDTA_CACHE_WRITE_FAILED after it',
    ).toEqual(['GRIDTA_CACHE_CORRUPT']);
    expect(warnings[0]!.details).toMatchObject({ dir, key, removeFailed: { file: `${key}.json`, errno: 'ENOTEMPTY' } });
    expect(warnings[0]!.message).toContain(`${join(dir, key)}.json cannot be removed (ENOTEMPTY`);
    expect(readFileSync(join(dir, `${key}.json`, 'keep.txt'), 'utf8')).toBe("someone else's file\n");
  });

  it('that is not empty fails a strict warmup with CacheUnavailableError, before compiling', async () => {
    const dir = freshDir();
    const { key } = await loadTiny(dir);
    rmSync(join(dir, `${key}.wasm`));
    mkdirSync(join(dir, `${key}.wasm`));
    writeFileSync(join(dir, `${key}.wasm`, 'keep.txt'), 'x');
    let compiles = 0;
    const err = await loadModule('simd', {
      cacheDir: dir,
      bundledDir: null,
      sourcesDir: TINY_KERNELS,
      strict: true,
      compile: (t: Target, s: string) => {
        compiles++;
        return compileKernels(t, s);
      },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CacheUnavailableError);
    expect((err as CacheUnavailableError).details).toEqual({ dir, operation: 'write', errno: 'ENOTEMPTY' });
    expect(compiles).toBe(0);
  });

  it('is a problem for verify, naming the path and why; --fix removes an empty one and reports a non-empty one', async () => {
    const dir = freshDir();
    const [a, b, c] = ['a', 'b', 'c'].map((x) => x.repeat(64)) as [string, string, string];
    mkdirSync(join(dir, `${a}.json`));
    mkdirSync(join(dir, `${b}.wasm`));
    mkdirSync(join(dir, `${c}.json`));
    writeFileSync(join(dir, `${c}.json`, 'keep.txt'), 'x');
    const before = await cli(['cache', 'verify', '--dir', dir, '--json']);
    expect(before.code, before.stderr).toBe(1);
    const mine = (
      j: Run['json'],
    ): { key: string; status: string; reason: string; problem: boolean; fixed: boolean; fixFailed: unknown[] }[] =>
      j.rows.filter((x: { tier: string }) => x.tier === 'cache');
    expect(mine(before.json).map((x) => [x.key, x.status, x.reason, x.problem])).toEqual([
      [a, 'corrupt', `${a}.json is a directory, not a file`, true],
      [b, 'corrupt', `${b}.wasm is a directory, not a file`, true],
      [c, 'corrupt', `${c}.json is a directory, not a file`, true],
    ]);
    expect(before.json).toMatchObject({ ok: false, problems: 3, fixed: 0 });

    const fix = await cli(['cache', 'verify', '--fix', '--dir', dir, '--json']);
    expect(fix.code, fix.stderr).toBe(1);
    expect(fix.json).toMatchObject({ ok: false, problems: 3, fixed: 2 });
    expect(mine(fix.json).map((x) => [x.key, x.fixed, x.fixFailed])).toEqual([
      [a, true, []],
      [b, true, []],
      [c, false, [{ file: `${c}.json`, errno: 'ENOTEMPTY' }]],
    ]);
    expect(files(dir)).toEqual([`${c}.json`]);

    const text = await cli(['cache', 'verify', '--fix', '--dir', dir]);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`could not remove ${join(dir, `${c}.json`)}: ENOTEMPTY`);
    expect(text.stdout).toMatch(/1 problem, 0 fixed, 1 not fixed/);
    rmSync(join(dir, `${c}.json`, 'keep.txt'));
    const last = await cli(['cache', 'verify', '--fix', '--dir', dir, '--json']);
    expect([last.code, last.json.fixed, files(dir)]).toEqual([0, 1, []]);
  });
});

/** A read-only view of `src`: a bind mount if this process may mount, else the test-only removal fault. */
function readOnly(src: string): { dir: string; env: NodeJS.ProcessEnv; real: boolean } {
  const mnt = join(TMP, `ro${++dirs}`);
  mkdirSync(mnt);
  if (spawnSync('mount', ['--bind', src, mnt]).status === 0) {
    mounts.push(mnt);
    if (spawnSync('mount', ['-o', 'remount,ro,bind', mnt]).status === 0) return { dir: mnt, env: {}, real: true };
  }
  return { dir: src, env: { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_CACHE_REMOVE_ERRNO: 'EROFS' }, real: false };
}

describe('verify --fix and clear on a read-only file system', () => {
  /** A corrupt entry, an orphan and an empty directory named like an entry, plus a foreign file. */
  function damaged(): { dir: string; corrupt: string; orphan: string; dirEntry: string } {
    const dir = freshDir();
    const [corrupt, orphan, dirEntry] = ['c', 'd', 'e'].map((x) => x.repeat(64)) as [string, string, string];
    writeFileSync(join(dir, `${corrupt}.json`), '{"format": 1');
    writeFileSync(join(dir, `${corrupt}.wasm`), 'junk');
    writeFileSync(join(dir, `${orphan}.wasm`), 'orphan');
    mkdirSync(join(dir, `${dirEntry}.json`));
    writeFileSync(join(dir, 'notes.txt'), "not gridta's\n");
    return { dir, corrupt, orphan, dirEntry };
  }

  it('verify --fix reports every file it could not remove with its errno and exits 1', async () => {
    const { dir: src, corrupt, orphan, dirEntry } = damaged();
    const before = files(src);
    const ro = readOnly(src);
    const r = await cli(['cache', 'verify', '--fix', '--dir', ro.dir, '--json'], ro.env);
    expect(r.stderr, `read-only via ${ro.real ? 'a bind mount' : 'the removal fault'}`).not.toContain('internal_error');
    expect(r.code).toBe(1);
    expect(r.json).toMatchObject({ ok: false, problems: 3, fixed: 0 });
    const rows = (r.json.rows as { tier: string; key: string; fixed: boolean; fixFailed: unknown[] }[]).filter((x) => x.tier === 'cache');
    expect(rows.map((x) => [x.key, x.fixed, x.fixFailed])).toEqual([
      [
        corrupt,
        false,
        [
          { file: `${corrupt}.json`, errno: 'EROFS' },
          { file: `${corrupt}.wasm`, errno: 'EROFS' },
        ],
      ],
      [orphan, false, [{ file: `${orphan}.wasm`, errno: 'EROFS' }]],
      [dirEntry, false, [{ file: `${dirEntry}.json`, errno: 'EROFS' }]],
    ]);
    expect(files(src)).toEqual(before);
    const text = await cli(['cache', 'verify', '--fix', '--dir', ro.dir], ro.env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`could not remove ${join(ro.dir, `${orphan}.wasm`)}: EROFS`);
    expect(text.stdout).toMatch(/3 problems, 0 fixed, 3 not fixed/);
  });

  it('clear reports every file it could not remove with its errno and exits 1', async () => {
    const { dir: src, corrupt, orphan, dirEntry } = damaged();
    const before = files(src);
    const ro = readOnly(src);
    const r = await cli(['cache', 'clear', '--dir', ro.dir, '--json'], ro.env);
    expect(r.stderr).not.toContain('internal_error');
    expect(r.code).toBe(1);
    expect(r.json).toEqual({
      dir: ro.dir,
      files: 0,
      bytes: 0,
      failed: [`${corrupt}.json`, `${corrupt}.wasm`, `${orphan}.wasm`, `${dirEntry}.json`].map((file) => ({ file, errno: 'EROFS' })),
    });
    expect(files(src)).toEqual(before);
    const text = await cli(['cache', 'clear', '--dir', ro.dir], ro.env);
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`could not remove ${join(ro.dir, `${corrupt}.json`)}: EROFS`);
    expect(text.stdout).toMatch(/removed 0 files \(0 bytes\).*; 4 could not be removed/);
  });
});

describe('diagnose and verify agree', () => {
  it('gives the same reason for every bad entry and the same counts', async () => {
    const dir = freshDir();
    const wasm = Buffer.from('\0asm\x01\0\0\0');
    const sha = createHash('sha256').update(wasm).digest('hex');
    const manifest = (key: string, over: Record<string, unknown> = {}): string =>
      JSON.stringify({ format: 1, key, target: 'simd', wasmBytes: wasm.length, wasmSha256: sha, ...over });
    const k = (i: number): string => i.toString(16).repeat(64);
    const cases: [string, (key: string) => void][] = [
      [
        'bad JSON',
        (key) => {
          writeFileSync(join(dir, `${key}.json`), '{"format": 1, "key"');
          writeFileSync(join(dir, `${key}.wasm`), wasm);
        },
      ],
      [
        'wrong hash',
        (key) => {
          writeFileSync(join(dir, `${key}.json`), manifest(key, { wasmSha256: '0'.repeat(64) }));
          writeFileSync(join(dir, `${key}.wasm`), wasm);
        },
      ],
      ['missing wasm', (key) => writeFileSync(join(dir, `${key}.json`), manifest(key))],
      [
        'wrong key',
        (key) => {
          writeFileSync(join(dir, `${key}.json`), manifest('f'.repeat(64)));
          writeFileSync(join(dir, `${key}.wasm`), wasm);
        },
      ],
      [
        'wrong target',
        (key) => {
          writeFileSync(join(dir, `${key}.json`), manifest(key, { target: 'avx' }));
          writeFileSync(join(dir, `${key}.wasm`), wasm);
        },
      ],
      ['not an object', (key) => writeFileSync(join(dir, `${key}.json`), '[1]')],
      [
        'manifest is a directory',
        (key) => {
          mkdirSync(join(dir, `${key}.json`));
          writeFileSync(join(dir, `${key}.wasm`), wasm);
        },
      ],
      [
        'wasm is a directory',
        (key) => {
          writeFileSync(join(dir, `${key}.json`), manifest(key));
          mkdirSync(join(dir, `${key}.wasm`));
        },
      ],
      ['wasm directory alone', (key) => mkdirSync(join(dir, `${key}.wasm`))],
    ];
    cases.forEach(([, make], i) => {
      make(k(i + 1));
    });
    writeFileSync(join(dir, `${k(12)}.wasm`), wasm); // an orphan
    writeFileSync(join(dir, `${k(13)}.wasm`), wasm); // a valid entry
    writeFileSync(join(dir, `${k(13)}.json`), manifest(k(13)));

    const doc = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, {});
    const fromDiagnose = new Map(
      doc.warnings.filter((w) => w.code === 'GRIDTA_CACHE_CORRUPT').map((w) => [String(w.details.key), String(w.details.reason)]),
    );
    const v = await cli(['cache', 'verify', '--dir', dir, '--json']);
    const rows = (v.json.rows as { tier: string; key: string; status: string; reason: string | null }[]).filter((x) => x.tier === 'cache');
    const fromVerify = new Map(rows.filter((x) => x.status === 'corrupt').map((x) => [x.key, String(x.reason)]));
    for (const [i, [name]] of cases.entries()) {
      const key = k(i + 1);
      expect(fromVerify.get(key), `${name}: verify lists it as corrupt`).toBeDefined();
      expect(fromDiagnose.get(key), `${name}: diagnose gives verify's reason`).toBe(fromVerify.get(key));
    }
    expect(fromDiagnose.size).toBe(cases.length);
    expect(doc.cache).toMatchObject({ entries: 1, corrupt: cases.length, orphans: 1, tempFiles: 0 });
    expect(rows.filter((x) => x.status === 'ok').map((x) => x.key)).toEqual([k(13)]);
    expect(rows.filter((x) => x.status === 'orphan').map((x) => x.key)).toEqual([k(12)]);
  });
});

describe('diagnose: the advice for a directory named like an entry file', () => {
  it('says verify --fix removes an empty one, and to remove a non-empty one by hand', async () => {
    const dir = freshDir();
    const [empty, full, mixed] = ['1', '2', '3'].map((x) => x.repeat(64)) as [string, string, string];
    mkdirSync(join(dir, `${empty}.wasm`));
    mkdirSync(join(dir, `${full}.json`));
    writeFileSync(join(dir, `${full}.json`, 'keep.txt'), 'x');
    writeFileSync(join(dir, `${mixed}.json`), '{"format": 1');
    mkdirSync(join(dir, `${mixed}.wasm`));
    writeFileSync(join(dir, `${mixed}.wasm`, 'keep.txt'), 'x');

    const doc = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, {});
    const corrupt = doc.warnings.filter((w) => w.code === 'GRIDTA_CACHE_CORRUPT');
    expect(corrupt.map((w) => w.message)).toEqual([
      `module cache entry ${empty} in ${dir} is invalid (${empty}.wasm is a directory, not a file); gridta cache verify --fix removes it`,
      `module cache entry ${full} in ${dir} is invalid (${full}.json is a directory, not a file); ${join(dir, `${full}.json`)} is a directory that is not empty: gridta removes only empty directories, remove it by hand`,
      `module cache entry ${mixed} in ${dir} is invalid (manifest is not JSON); ${join(dir, `${mixed}.wasm`)} is a directory that is not empty: gridta removes only empty directories, remove it by hand; gridta cache verify --fix then removes the rest`,
    ]);
    expect(corrupt.map((w) => w.details.removeByHand)).toEqual([undefined, [`${full}.json`], [`${mixed}.wasm`]]);

    // the advice holds: verify --fix removes the empty directory and the file, and leaves the non-empty ones
    const fix = await cli(['cache', 'verify', '--fix', '--dir', dir, '--json']);
    expect(fix.code, fix.stderr).toBe(1);
    expect(files(dir)).toEqual([`${full}.json`, `${mixed}.wasm`]);
  });
});
