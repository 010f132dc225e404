/**
 * The `profile` setting and its plumbing: where it comes from (option > GRIDTA_PROFILE >
 * compute.profile > gridta) and the ConfigError of an unknown value; the engine option and a
 * request's own profile (which wins) reaching the tensor's meta and keys; a bad request profile; and
 * the built CLI: `GRIDTA_PROFILE=talib gridta diagnose`, `--profile` on diagnose and compute (its
 * Arrow file names the profile and keys its variants with it), an unknown value and a misspelt flag.
 * The CLI tests spawn dist/src/cli/main.js: build first (`npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tableFromIPC } from 'apache-arrow';
import { afterAll, describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { ConfigError, GridValidationError } from '../../src/errors.js';
import { variantKeyV1 } from '../../src/grid/keys.js';
import { resolveConfig, type GridtaOptions } from '../../src/runtime/config.js';
import { createEngine } from '../../src/runtime/engine.js';
import { rejection, thrown } from '../helpers/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gridta-profile-'));
  temps.push(d);
  return d;
}

/** A project whose `configs/dev/indicators.yaml` has `compute:` with `line` (or no compute section). */
function project(line: string | null): { dir: string; file: string } {
  const dir = tempDir();
  writeFileSync(join(dir, 'package.json'), '{"name":"user-project"}\n');
  const file = join(dir, 'configs', 'dev', 'indicators.yaml');
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `schema_version: 1\n${line === null ? '' : `compute:\n  ${line}\n`}`);
  return { dir, file };
}
const NO_CGROUP = tempDir();
const resolveIn = (dir: string, options: GridtaOptions = {}, environ: Record<string, string> = {}) =>
  resolveConfig({ cwd: dir, cgroupRoot: NO_CGROUP, osAvailableParallelism: 8, ...options }, environ);

/** The built CLI with no GRIDTA_* variable of the parent, plus `extra`. */
function cli(args: string[], extra: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRIDTA_')) env[k] = v;
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

describe('the profile setting', () => {
  it('resolves option > GRIDTA_PROFILE > compute.profile > gridta, each with its source', () => {
    const { dir, file } = project('profile: talib');
    expect(resolveIn(project(null).dir).profile).toEqual({ value: 'gridta', source: 'default' });
    expect(resolveIn(dir).profile).toEqual({ value: 'talib', source: `yaml:${file}` });
    expect(resolveIn(dir, {}, { GRIDTA_PROFILE: 'gridta' }).profile).toEqual({ value: 'gridta', source: 'env:GRIDTA_PROFILE' });
    expect(resolveIn(dir, { profile: 'gridta' }, { GRIDTA_PROFILE: 'talib' }).profile).toEqual({ value: 'gridta', source: 'option' });
    // case and blanks do not matter in the environment
    expect(resolveIn(project(null).dir, {}, { GRIDTA_PROFILE: ' TaLib ' }).profile).toEqual({
      value: 'talib',
      source: 'env:GRIDTA_PROFILE',
    });
  });

  it('refuses an unknown profile naming the value and its source: env, YAML, option', () => {
    const expected = 'gridta or talib';
    const env = thrown(() => resolveIn(project(null).dir, {}, { GRIDTA_PROFILE: 'tradingview' }), ConfigError);
    expect(env.code).toBe('config_invalid');
    expect(env.details).toEqual({ key: 'profile', source: 'env:GRIDTA_PROFILE', value: 'tradingview', expected });
    expect(env.message).toBe('profile from env:GRIDTA_PROFILE must be gridta or talib (got "tradingview")');
    const { dir, file } = project('profile: ta-lib');
    const yaml = thrown(() => resolveIn(dir), ConfigError);
    expect(yaml.details).toEqual({ key: 'profile', source: `yaml:${file}`, value: 'ta-lib', expected, path: 'compute.profile' });
    expect(yaml.message).toBe(`profile from yaml:${file} at compute.profile must be gridta or talib (got "ta-lib")`);
    const option = thrown(() => createEngine({ profile: 'TA' as never }), ConfigError);
    expect(option.details).toEqual({ key: 'profile', source: 'option', value: 'TA', expected });
  });
});

describe('the engine option and the request profile', () => {
  const close = Float32Array.from({ length: 40 }, (_, i) => 100 + ((i * 7) % 11) - (i % 4));
  close[12] = Number.NaN;
  const candles = createCandles({
    instrumentId: '1:BTCUSDT',
    timeframe: '1m',
    tsOpen: Array.from({ length: 40 }, (_, i) => 1_700_000_040_000 + i * 60_000),
    close,
  });
  const grid = { indicatorId: 'ma.sma', source: ['close'], params: { window: [3, 5] } };
  const sel = (window: number, profile?: 'gridta' | 'talib') => ({
    instrumentId: '1:BTCUSDT',
    timeframe: '1m',
    indicators: [{ indicatorId: 'ma.sma', source: 'close', params: { window } }],
    ...(profile ? { profile } : {}),
  });

  it('computes in the engine profile unless the request names one; meta and keys follow', async () => {
    const talib = createEngine({ env: 'test', threads: 1, profile: 'talib', onWarning: () => undefined });
    const plain = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
    try {
      expect(talib.config.profile).toEqual({ value: 'talib', source: 'option' });
      const a = await talib.compute({ candles, grid });
      const b = await talib.compute({ candles, grid, profile: 'gridta' });
      const c = await plain.compute({ candles, grid });
      const d = await plain.compute({ candles, grid, profile: 'talib' });
      expect([a, b, c, d].map((t) => t.meta.profile)).toEqual(['talib', 'gridta', 'gridta', 'talib']);
      expect(a.variantKeys()).toEqual([variantKeyV1(sel(3, 'talib')), variantKeyV1(sel(5, 'talib'))]);
      expect(d.variantKeys()).toEqual(a.variantKeys());
      expect(b.variantKeys()).toEqual([variantKeyV1(sel(3)), variantKeyV1(sel(5))]);
      expect(c.variantKeys()).toEqual(b.variantKeys());
      expect(a.variantKeyPayload(1)).toContain('"profile":"talib"');
      // the two profiles' values: bars 0..1 of window 3 are warm-up in both, bar 2 the mean of the first three
      expect(Number.isNaN(a.get(1, 0))).toBe(true);
      expect(a.get(2, 0)).toBe(Math.fround((close[0]! + close[1]! + close[2]!) / 3));
      expect(Array.from(d.values)).toEqual(Array.from(a.values));
    } finally {
      await talib.close();
      await plain.close();
    }
  });

  it('a request profile that is not a profile is a GridValidationError on field profile naming the value', async () => {
    const engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
    try {
      const e = await rejection(engine.compute({ candles, grid, profile: 'TA-Lib' as never }), GridValidationError);
      expect(e.code).toBe('grid_invalid');
      expect(e.details).toMatchObject({ indicatorId: 'ma.sma', field: 'profile', reason: 'invalid_spec', value: 'TA-Lib' });
      expect(e.message).toContain('TA-Lib');
      expect(e.message).toContain('gridta, talib');
    } finally {
      await engine.close();
    }
  });
});

describe('the CLI', () => {
  it('GRIDTA_PROFILE=talib gridta diagnose shows profile talib env:GRIDTA_PROFILE; --profile shows source option', () => {
    const env = cli(['diagnose', '--no-warmup'], { GRIDTA_PROFILE: 'talib' });
    expect(env.code, env.stderr).toBe(0);
    expect(env.stdout).toMatch(/^profile\s+talib\s+env:GRIDTA_PROFILE$/m);
    const flag = cli(['diagnose', '--no-warmup', '--json', '--profile', 'talib'], { GRIDTA_PROFILE: 'gridta' });
    expect(flag.code, flag.stderr).toBe(0);
    const doc = JSON.parse(flag.stdout) as { settings: { name: string; value: unknown; source: string }[] };
    expect(doc.settings.find((s) => s.name === 'profile')).toMatchObject({ value: 'talib', source: 'option' });
  });

  it('an unknown --profile is config_invalid naming the value and source option (rc 3); --profil suggests --profile (rc 2)', () => {
    const bad = cli(['estimate', 'ma.sma', '--t', '100', '--profile', 'tradingview']);
    expect(bad.code).toBe(3);
    expect(bad.stderr).toBe('gridta: config_invalid: profile from option must be gridta or talib (got "tradingview")\n');
    const typo = cli(['compute', 'ma.sma', '--profil', 'talib']);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain('unknown option --profil; did you mean --profile?');
  });

  it('compute --profile talib writes the profile into the summary, the Arrow metadata and the variant keys', () => {
    const dir = tempDir();
    const data = join(dir, 'prices.csv');
    writeFileSync(data, `ts_open,close\n${Array.from({ length: 30 }, (_, i) => `${i * 60_000},${100 + (i % 7)}`).join('\n')}\n`);
    const out = join(dir, 'sma.arrow');
    const args = ['compute', 'ma.sma', '--grid', 'window=3,5', '--grid', 'source=close', '--data', data, '--instrument', 'X'];
    const r = cli([...args, '--variant-key', '--profile', 'talib', '--out', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ indicatorId: 'ma.sma', variants: 2, profile: 'talib' });
    const table = tableFromIPC(readFileSync(out));
    expect(table.schema.metadata.get('gridta.profile')).toBe('talib');
    const key = (window: number, profile?: 'talib') =>
      variantKeyV1({
        instrumentId: 'X',
        timeframe: '1m',
        indicators: [{ indicatorId: 'ma.sma', source: 'close', params: { window } }],
        ...(profile ? { profile } : {}),
      });
    const keys = table.getChild('variant_key')!.toArray() as string[];
    expect([keys[0], keys[30]]).toEqual([key(3, 'talib'), key(5, 'talib')]);
    // the default profile's file has no gridta.profile and the keys it always had
    const plainOut = join(dir, 'plain.arrow');
    expect(cli([...args, '--variant-key', '--out', plainOut, '--json']).code).toBe(0);
    const plain = tableFromIPC(readFileSync(plainOut));
    expect(plain.schema.metadata.has('gridta.profile')).toBe(false);
    expect((plain.getChild('variant_key')!.toArray() as string[])[0]).toBe(key(3));
  });

  it('bench --profile talib names the profile in its header', () => {
    const r = cli([
      'bench',
      '--profile',
      'talib',
      '--cases',
      'ma.ema',
      '--size',
      '300',
      '--time',
      '5',
      '--peers',
      'none',
      '--threads',
      '1',
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^profile: talib — gridta computes in TA-Lib's conventions/m);
  });
});
