/**
 * The CLI's handling of bad inputs, with the built CLI as a child process: typed errors and their
 * exit codes (3 invalid input, 2 usage, 4 guard), the load report on stderr and --strict.
 * The CLI runs from dist/: build first (`npx tsc -p tsconfig.json`; `npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('GRIDTA_')) delete env[k];
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The one JSON error document of a --json run. */
const errorOf = (stdout: string): { code: string; message: string; details: Record<string, unknown> } =>
  (JSON.parse(stdout) as { error: { code: string; message: string; details: Record<string, unknown> } }).error;

let dir: string;
let data: string;
const rows = (n: number, stepMs: number): string => Array.from({ length: n }, (_, i) => `${i * stepMs},${100 + (i % 5)}`).join('\n');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'gridta-cli-inputs-'));
  data = join(dir, 'prices.csv');
  writeFileSync(data, `ts_open,close\n${rows(50, 60_000)}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SMA = ['ma.sma', '--grid', 'window=5..6', '--grid', 'source=close'];

describe('gridta compute / estimate: paths', () => {
  it('a missing --data file is candles_invalid on path, rc 3 (not internal_error)', () => {
    const missing = join(dir, 'nope.csv');
    const r = cli(['compute', ...SMA, '--data', missing, '--out', join(dir, 'o1.arrow'), '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({
      code: 'candles_invalid',
      details: { field: 'path', reason: 'file_unreadable', value: missing },
    });
    const e = cli(['estimate', ...SMA, '--data', missing]);
    expect(e.code).toBe(3);
    expect(e.stderr).toContain('gridta: candles_invalid: path: cannot read the data file: no such file');
  });

  it('a missing --out directory is output_invalid, rc 3, before anything is computed', () => {
    const out = join(dir, 'no-such-dir', 'o.arrow');
    const r = cli(['compute', ...SMA, '--data', data, '--out', out, '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toEqual({
      code: 'output_invalid',
      message: `out: the directory ${dirname(out)} does not exist (got ${JSON.stringify(out)})`,
      details: { field: 'out', reason: 'no_directory', value: out },
    });
  });

  it('an --out that names a directory is output_invalid, rc 3', () => {
    mkdirSync(join(dir, 'd.arrow'));
    const r = cli(['compute', ...SMA, '--data', data, '--out', join(dir, 'd.arrow'), '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout).details).toMatchObject({ field: 'out', reason: 'is_a_directory' });
  });

  it('reads --data dir/.csv and writes --out dir/.csv (files named by their extension alone)', () => {
    const sub = join(dir, 'dot');
    mkdirSync(sub);
    writeFileSync(join(sub, '.csv'), `ts_open,close\n${rows(10, 60_000)}\n`);
    const r = cli(['compute', ...SMA, '--data', join(sub, '.csv'), '--instrument', 'X', '--out', join(sub, '.arrow'), '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ t: 10, variants: 2 });
    expect(existsSync(join(sub, '.arrow'))).toBe(true);
  });
});

describe('gridta compute: the data', () => {
  it('a duplicate header column is candles_invalid naming the column, rc 3', () => {
    const dup = join(dir, 'dup.csv');
    writeFileSync(dup, 'ts_open,close,close\n0,1,2\n60000,3,4\n');
    const r = cli(['compute', ...SMA, '--data', dup, '--out', join(dir, 'dup.arrow')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toBe('gridta: candles_invalid: close at line 1: columns 2 and 3 have the same name (got "close")\n');
  });

  it('--timeframe 1m on second timestamps prints the dropped rows; --strict makes them an error (rc 3)', () => {
    const secs = join(dir, 'secs.csv');
    writeFileSync(secs, `ts_open,close\n${rows(600, 1000)}\n`); // 10 minutes of 1 s rows
    const r = cli(['compute', ...SMA, '--data', secs, '--timeframe', '1m', '--out', join(dir, 'secs.arrow'), '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ t: 10 });
    expect(r.stderr).toContain(`gridta: ${secs}: 590 of 600 rows dropped (0 duplicate, 590 not on the 1m grid, 0 out of range)`);
    const strict = cli(['compute', ...SMA, '--data', secs, '--timeframe', '1m', '--strict', '--out', join(dir, 'secs2.arrow'), '--json']);
    expect(strict.code).toBe(3);
    expect(errorOf(strict.stdout)).toMatchObject({
      code: 'candles_invalid',
      details: { field: 'ts_open', reason: 'misaligned_timestamp', line: 3, value: 1000 },
    });
    expect(existsSync(join(dir, 'secs2.arrow'))).toBe(false);
  });

  it('a three-line CSV asking for a 1e9-bar timeline is refused at once (estimate, rc 3)', () => {
    const huge = join(dir, 'huge.csv');
    writeFileSync(huge, 'ts_open,close\n0,1\n60000,2\n60000000000000,3\n');
    const r = cli(['estimate', ...SMA, '--data', huge, '--timeframe', '1m', '--json']);
    expect(r.code).toBe(3);
    expect(errorOf(r.stdout)).toMatchObject({
      code: 'candles_invalid',
      details: { field: 'ts_open', reason: 'timeline_too_long', line: 4, value: { bars: 1e9 + 1 } },
    });
  });
});

describe('gridta: usage errors', () => {
  it('bench --cases with an unknown case exits 2 naming it and listing the known ones', () => {
    const r = cli(['bench', '--cases', 'nope,ma.ema']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gridta: usage: --cases: unknown case "nope" \(cases: ma\.ema, ma\.sma, momentum\.rsi, .*\)\n$/);
  });

  it('extra positional arguments are usage errors (rc 2) for compute, estimate, warmup and bench', () => {
    const c = cli(['compute', ...SMA, 'extra', '--data', data, '--out', join(dir, 'x.arrow')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toBe('gridta: usage: compute takes one argument; unexpected "extra"\n');
    expect(existsSync(join(dir, 'x.arrow'))).toBe(false);
    expect(cli(['estimate', 'ma.sma', 'ma.ema', '--t', '100']).stderr).toBe(
      'gridta: usage: estimate takes one argument; unexpected "ma.ema"\n',
    );
    expect(cli(['warmup', 'now']).code).toBe(2);
    expect(cli(['bench', 'now']).stderr).toBe('gridta: usage: bench takes no arguments; unexpected "now"\n');
  });
});

describe('gridta worker: job settings are refused', () => {
  it.each([
    ['lease-seconds', '60', "a unit's lease is its job's"],
    ['retry-limit', '3', "a unit's retries are its job's"],
    ['unit-variants', '100', "a unit's size is its job's"],
  ])('--%s is a usage error (rc 2) naming the flag and where it is set, before connecting', (flag, value, what) => {
    const r = cli(['worker', `--${flag}`, value, '--dsn', 'postgres://127.0.0.1:1/none']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`gridta: usage: worker does not take --${flag}: ${what}, set per job at \`gridta jobs submit --${flag}\`\n`);
  });

  it('says so in its usage text', () => {
    const r = cli(['worker', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('--lease-seconds, --retry-limit and --unit-variants are refused');
  });
});

describe('gridta compute: the Arrow export guard before computing', () => {
  it('refuses an Arrow export over the budget before the compute starts (rc 4, no progress line)', () => {
    const big = join(dir, 'big.csv');
    writeFileSync(big, `ts_open,close\n${rows(50_000, 60_000)}\n`);
    // 50,000 bars x 200 variants: the compute is estimated at 115 MB, under a 200 MB budget; the long
    // table is 1e7 rows x (8 ts + 4 variant + 4 source + 4 window + 4 value) bytes = 240 MB, over it.
    const r = cli([
      'compute',
      'ma.sma',
      '--grid',
      'window=5..204',
      '--grid',
      'source=close',
      '--data',
      big,
      '--progress',
      '--max-compute-bytes-total',
      String(200_000_000),
      '--out',
      join(dir, 'big.arrow'),
      '--json',
    ]);
    expect(r.code).toBe(4);
    expect(errorOf(r.stdout)).toMatchObject({
      code: 'max_compute_bytes_exceeded',
      details: { scope: 'export', limit: 'bytes', rows: 10_000_000, bytesTotalEst: 240_000_000, maxComputeBytesTotal: 200_000_000 },
    });
    expect(r.stderr).not.toContain('variants (');
    expect(readdirSync(dir).filter((f) => f.includes('big.arrow'))).toEqual([]);
  });
});
