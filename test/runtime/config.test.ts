import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { availableParallelism, cgroupCpuQuota, parseCpuMax } from '../../src/runtime/config-cpu.js';
import {
  COMPUTE_KEYS,
  collectConfig,
  describeSettings,
  resolveConfig,
  type GridtaOptions,
  type ResolvedConfig,
} from '../../src/runtime/config.js';
import { thrown } from '../helpers/errors.js';
import { describePrecedence } from '../helpers/config.js';

const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'gridta-config-'));
  temps.push(d);
  return d;
}

function write(path: string, text: string): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, text);
  return path;
}

/** A project with a package.json and `configs/<env>/indicators.yaml` holding `compute`. */
function project(compute: string | null, env = 'dev', extra = ''): { dir: string; file: string } {
  const dir = tempDir();
  write(join(dir, 'package.json'), '{"name":"user-project"}\n');
  const body =
    compute === null
      ? ''
      : `compute:\n${compute
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n`;
  const file = write(join(dir, 'configs', env, 'indicators.yaml'), `schema_version: 1\n${body}${extra}`);
  return { dir, file };
}

/** An empty cgroup tree: no quota, so available = the injected OS count. */
const NO_CGROUP = tempDir();

function resolveIn(dir: string, options: GridtaOptions = {}, environ: Record<string, string | undefined> = {}): ResolvedConfig {
  return resolveConfig({ cwd: dir, cgroupRoot: NO_CGROUP, osAvailableParallelism: 8, ...options }, environ);
}

const configError = (fn: () => unknown): ConfigError => thrown(fn, ConfigError);

describe('precedence option > env > yaml > default', () => {
  const rows = [
    { name: 'threads', yaml: 'threads: 4', yamlValue: 4, envVar: 'GRIDTA_NUM_THREADS', env: '6', envValue: 6, option: 2, def: 'auto' },
    {
      name: 'maxVariantsPerCompute',
      yaml: 'max_variants_per_compute: 1000',
      yamlValue: 1000,
      envVar: 'GRIDTA_MAX_VARIANTS_PER_COMPUTE',
      env: '2000',
      envValue: 2000,
      option: 3000,
      def: 600000,
    },
    {
      name: 'maxComputeBytesTotal',
      yaml: 'max_compute_bytes_total: 1048576',
      yamlValue: 1048576,
      envVar: 'GRIDTA_MAX_COMPUTE_BYTES_TOTAL',
      env: '2097152',
      envValue: 2097152,
      option: 4096,
      def: 5368709120,
    },
    {
      name: 'cacheStrict',
      yaml: 'cache_strict: true',
      yamlValue: true,
      envVar: 'GRIDTA_CACHE_STRICT',
      env: 'off',
      envValue: false,
      option: true,
      def: false,
    },
  ] as const;

  describePrecedence(rows, { project: (yaml) => project(yaml), resolveIn });

  describe('cacheDir', () => {
    it('uses cache under the config file project root by default', () => {
      const { dir } = project(null);
      expect(resolveIn(dir).cacheDir).toEqual({ value: join(dir, 'cache'), source: 'default' });
    });
    it('takes the YAML value over the default', () => {
      const { dir, file } = project('cache_dir: /var/cache/gridta');
      expect(resolveIn(dir).cacheDir).toEqual({ value: '/var/cache/gridta', source: `yaml:${file}` });
    });
    it('takes GRIDTA_CACHE_DIR over the YAML', () => {
      const { dir } = project('cache_dir: /var/cache/gridta');
      expect(resolveIn(dir, {}, { GRIDTA_CACHE_DIR: '/mnt/env' }).cacheDir).toEqual({ value: '/mnt/env', source: 'env:GRIDTA_CACHE_DIR' });
    });
    it('takes the option over GRIDTA_CACHE_DIR', () => {
      const { dir } = project('cache_dir: /var/cache/gridta');
      expect(resolveIn(dir, { cacheDir: '/mnt/opt' }, { GRIDTA_CACHE_DIR: '/mnt/env' }).cacheDir).toEqual({
        value: '/mnt/opt',
        source: 'option',
      });
    });
  });

  it('reproduces the documented precedence example (env 6 over yaml 4, option 2 over both)', () => {
    const { dir } = project('threads: 4');
    expect(resolveIn(dir, {}, { GRIDTA_NUM_THREADS: '6' }).threads).toEqual({ value: 6, source: 'env:GRIDTA_NUM_THREADS' });
    expect(resolveIn(dir, { threads: 2 }, { GRIDTA_NUM_THREADS: '6' }).threads).toEqual({ value: 2, source: 'option' });
  });

  it('treats an empty or all-blank variable as unset', () => {
    const { dir, file } = project('threads: 4');
    expect(resolveIn(dir, {}, { GRIDTA_NUM_THREADS: '   ' }).threads).toEqual({ value: 4, source: `yaml:${file}` });
    expect(resolveIn(dir, {}, { GRIDTA_NUM_THREADS: '' }).threads).toEqual({ value: 4, source: `yaml:${file}` });
  });

  it('fills the settings without a variable from option, yaml or default', () => {
    const { dir, file } = project('batch_variants: 64\nmax_batch_attempts: 5');
    const cfg = resolveIn(dir, { maxBatchAttempts: 2 });
    expect(cfg.batchVariants).toEqual({ value: 64, source: `yaml:${file}` });
    expect(cfg.maxBatchAttempts).toEqual({ value: 2, source: 'option' });
    expect(cfg.batchTimeoutMs).toEqual({ value: 300000, source: 'default' });
  });
});

describe('parsing (auto, integers from the environment and YAML)', () => {
  it('accepts auto in any case from every layer', () => {
    const { dir, file } = project('threads: AUTO\nbatch_variants: Auto');
    const cfg = resolveIn(dir);
    expect(cfg.threads).toEqual({ value: 'auto', source: `yaml:${file}` });
    expect(cfg.batchVariants).toEqual({ value: 'auto', source: `yaml:${file}` });
    expect(resolveIn(dir, {}, { GRIDTA_NUM_THREADS: ' aUtO ' }).threads).toEqual({ value: 'auto', source: 'env:GRIDTA_NUM_THREADS' });
  });

  it('trims an integer from the environment', () => {
    const { dir } = project(null);
    expect(resolveIn(dir, {}, { GRIDTA_NUM_THREADS: ' 3 ' }).threads.value).toBe(3);
  });

  it('rejects a quoted number in the YAML', () => {
    const { dir, file } = project('threads: "4"');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({
      key: 'threads',
      source: `yaml:${file}`,
      value: '4',
      expected: 'auto or an integer 1..256',
      path: 'compute.threads',
    });
  });

  it('accepts a YAML number with an integral value', () => {
    const { dir } = project('max_variants_per_compute: 1000.0');
    expect(resolveIn(dir).maxVariantsPerCompute.value).toBe(1000);
  });

  it.each([
    ['1', true],
    ['TRUE', true],
    ['yes', true],
    ['On', true],
    ['0', false],
    ['false', false],
    ['NO', false],
    ['off', false],
  ])('reads GRIDTA_CACHE_STRICT=%s as %s', (raw, want) => {
    const { dir } = project(null);
    expect(resolveIn(dir, {}, { GRIDTA_CACHE_STRICT: raw }).cacheStrict).toEqual({ value: want, source: 'env:GRIDTA_CACHE_STRICT' });
  });

  it('accepts the upper bounds', () => {
    const { dir } = project(null);
    const cfg = resolveIn(
      dir,
      {},
      {
        GRIDTA_NUM_THREADS: '256',
        GRIDTA_MAX_COMPUTE_BYTES_TOTAL: '9007199254740991',
        GRIDTA_MAX_VARIANTS_PER_COMPUTE: '4294967295',
      },
    );
    expect([cfg.threads.value, cfg.maxComputeBytesTotal.value, cfg.maxVariantsPerCompute.value]).toEqual([
      256, 9007199254740991, 4294967295,
    ]);
  });
});

describe('invalid values', () => {
  const THREADS = 'auto or an integer 1..256';

  it.each(['0', '-2', '1.5', 'four'])('rejects GRIDTA_NUM_THREADS=%s naming key, source, value and expected', (raw) => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_NUM_THREADS: raw }));
    expect(e.code).toBe('config_invalid');
    expect(e.details).toEqual({ key: 'threads', source: 'env:GRIDTA_NUM_THREADS', value: raw, expected: THREADS });
    expect(e.message).toBe(`threads from env:GRIDTA_NUM_THREADS must be auto or an integer 1..256 (got ${JSON.stringify(raw)})`);
  });

  it('rejects threads: 0 in the YAML with its path', () => {
    const { dir, file } = project('threads: 0');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({ key: 'threads', source: `yaml:${file}`, value: 0, expected: THREADS, path: 'compute.threads' });
    expect(e.message).toBe(`threads from yaml:${file} at compute.threads must be auto or an integer 1..256 (got 0)`);
  });

  it('rejects max_compute_bytes_total: 0', () => {
    const { dir, file } = project('max_compute_bytes_total: 0');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({
      key: 'maxComputeBytesTotal',
      source: `yaml:${file}`,
      value: 0,
      expected: 'an integer 1..9007199254740991',
      path: 'compute.max_compute_bytes_total',
    });
    expect(e.message).toContain('maxComputeBytesTotal');
    expect(e.message).toContain('(got 0)');
  });

  it('rejects GRIDTA_MAX_VARIANTS_PER_COMPUTE=1e6', () => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_MAX_VARIANTS_PER_COMPUTE: '1e6' }));
    expect(e.details).toEqual({
      key: 'maxVariantsPerCompute',
      source: 'env:GRIDTA_MAX_VARIANTS_PER_COMPUTE',
      value: '1e6',
      expected: 'an integer 1..4294967295',
    });
    expect(e.message).toBe('maxVariantsPerCompute from env:GRIDTA_MAX_VARIANTS_PER_COMPUTE must be an integer 1..4294967295 (got "1e6")');
  });

  it('rejects cache_dir: ""', () => {
    const { dir, file } = project('cache_dir: ""');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({
      key: 'cacheDir',
      source: `yaml:${file}`,
      value: '',
      expected: 'a non-empty path (no NUL)',
      path: 'compute.cache_dir',
    });
    expect(e.message).toBe(`cacheDir from yaml:${file} at compute.cache_dir must be a non-empty path (no NUL) (got "")`);
  });

  it('rejects GRIDTA_CACHE_STRICT=maybe', () => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_CACHE_STRICT: 'maybe' }));
    expect(e.details).toEqual({
      key: 'cacheStrict',
      source: 'env:GRIDTA_CACHE_STRICT',
      value: 'maybe',
      expected: 'a boolean (1, true, yes, on, 0, false, no, off)',
    });
    expect(e.message).toBe(
      'cacheStrict from env:GRIDTA_CACHE_STRICT must be a boolean (1, true, yes, on, 0, false, no, off) (got "maybe")',
    );
  });

  it('rejects an invalid option with source option', () => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, { threads: 0 }));
    expect(e.details).toEqual({ key: 'threads', source: 'option', value: 0, expected: THREADS });
  });

  it.each([
    ['max_batch_attempts: 11', 'maxBatchAttempts', 11, 'an integer 1..10'],
    ['batch_timeout_ms: 999', 'batchTimeoutMs', 999, 'an integer 1000..86400000'],
    ['batch_variants: 0', 'batchVariants', 0, 'auto or an integer 1..4294967295'],
    ['engine: wasm', 'engine', 'wasm', 'auto, wasm-simd, wasm-scalar or reference'],
    ['cache_strict: "yes"', 'cacheStrict', 'yes', 'true or false'],
  ])('rejects %s in the YAML', (line, key, value, expected) => {
    const { dir, file } = project(line);
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({ key, source: `yaml:${file}`, value, expected, path: `compute.${line.slice(0, line.indexOf(':'))}` });
  });

  it('validates a YAML value even when a higher layer overrides it', () => {
    const { dir } = project('threads: 0');
    expect(configError(() => resolveIn(dir, { threads: 2 })).details.source).toMatch(/^yaml:/);
  });

  it('collectConfig finds every invalid value in one resolution; resolveConfig throws the first of them', () => {
    const { dir, file } = project('max_batch_attempts: 0\ncache_dir: mine');
    const options: GridtaOptions = {
      cwd: dir,
      cgroupRoot: NO_CGROUP,
      osAvailableParallelism: 4,
      batchTimeoutMs: 5,
      maxVariantsPerCompute: 7,
    };
    const environ = { GRIDTA_NUM_THREADS: 'four', GRIDTA_CACHE_STRICT: 'yes' };
    const { config, errors, fileUnknown } = collectConfig(options, environ);
    expect(errors.map((e) => [e.constructor, e.details])).toEqual([
      [ConfigError, { key: 'threads', source: 'env:GRIDTA_NUM_THREADS', value: 'four', expected: THREADS }],
      [
        ConfigError,
        { key: 'maxBatchAttempts', source: `yaml:${file}`, value: 0, expected: 'an integer 1..10', path: 'compute.max_batch_attempts' },
      ],
      [ConfigError, { key: 'batchTimeoutMs', source: 'option', value: 5, expected: 'an integer 1000..86400000' }],
    ]);
    expect(fileUnknown).toBe(false);
    // each rejected value is left out: the next layer, or the default, stands in for it
    expect([config.threads, config.maxBatchAttempts, config.batchTimeoutMs]).toEqual([
      { value: 'auto', source: 'default' },
      { value: 3, source: 'default' },
      { value: 300000, source: 'default' },
    ]);
    expect([config.cacheDir, config.cacheStrict, config.maxVariantsPerCompute]).toEqual([
      { value: join(dir, 'mine'), source: `yaml:${file}` },
      { value: true, source: 'env:GRIDTA_CACHE_STRICT' },
      { value: 7, source: 'option' },
    ]);
    const thrown = configError(() => resolveConfig(options, environ));
    expect([thrown.message, thrown.details]).toEqual([errors[0]!.message, errors[0]!.details]);
    expect(thrown.message).toBe('threads from env:GRIDTA_NUM_THREADS must be auto or an integer 1..256 (got "four")');
  });
});

describe('environment and file (configPath, env, bundled copy)', () => {
  it('defaults the environment to dev', () => {
    const { dir } = project(null);
    expect(resolveIn(dir).env).toEqual({ value: 'dev', source: 'default' });
  });

  it('takes GRIDTA_ENV trimmed and lower-cased, and the option over it', () => {
    const { dir } = project(null, 'prod');
    project(null, 'test');
    expect(resolveIn(dir, {}, { GRIDTA_ENV: ' PROD ' }).env).toEqual({ value: 'prod', source: 'env:GRIDTA_ENV' });
    expect(resolveIn(dir, { env: 'prod' }, { GRIDTA_ENV: 'test' }).env).toEqual({ value: 'prod', source: 'option' });
  });

  it('rejects an unknown environment', () => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_ENV: 'staging' }));
    expect(e.details).toEqual({ key: 'env', source: 'env:GRIDTA_ENV', value: 'staging', expected: 'dev | test | prod' });
  });

  it('reads configs/<env>/indicators.yaml under the working directory', () => {
    const { dir, file } = project('threads: 3', 'test');
    const cfg = resolveIn(dir, { env: 'test' });
    expect(cfg.configPath).toEqual({ value: file, source: 'default' });
    expect(cfg.threads).toEqual({ value: 3, source: `yaml:${file}` });
  });

  it('falls back to the bundled file when the working directory has no configs', () => {
    const dir = tempDir();
    const cfg = resolveIn(dir, { env: 'test' });
    const bundled = join(PACKAGE_ROOT, 'configs', 'test', 'indicators.yaml');
    expect(cfg.configPath).toEqual({ value: bundled, source: 'default', detail: 'bundled' });
    expect(cfg.threads).toEqual({ value: 2, source: `yaml:${bundled}` });
    expect(cfg.cacheDir.value, 'the package cache, never the working directory').toBe(join(PACKAGE_ROOT, 'cache'));
  });

  it('resolves a relative configPath option against the working directory', () => {
    const dir = tempDir();
    const file = write(join(dir, 'etc', 'gridta.yaml'), 'schema_version: 1\ncompute:\n  threads: 5\n');
    const cfg = resolveIn(dir, { configPath: 'etc/gridta.yaml' });
    expect(cfg.configPath).toEqual({ value: file, source: 'option' });
    expect(cfg.threads.value).toBe(5);
  });

  it('takes GRIDTA_CONFIG over configs/<env>', () => {
    const { dir } = project('threads: 3');
    const file = write(join(dir, 'other.yaml'), 'schema_version: 1\ncompute:\n  threads: 7\n');
    const cfg = resolveIn(dir, {}, { GRIDTA_CONFIG: 'other.yaml' });
    expect(cfg.configPath).toEqual({ value: file, source: 'env:GRIDTA_CONFIG' });
    expect(cfg.threads.value).toBe(7);
  });

  it('rejects GRIDTA_CONFIG pointing to a missing file', () => {
    const dir = tempDir();
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_CONFIG: 'missing.yaml' }));
    expect(e.details).toEqual({ key: 'configPath', source: 'env:GRIDTA_CONFIG', value: 'missing.yaml', expected: 'a readable YAML file' });
    expect(e.message).toContain(join(dir, 'missing.yaml'));
    expect(e.message).toContain('ENOENT');
  });

  it('rejects a configPath option pointing to a missing file (no bundled fallback)', () => {
    const dir = tempDir();
    const e = configError(() => resolveIn(dir, { configPath: '/nonexistent/gridta.yaml' }));
    expect(e.details.key).toBe('configPath');
    expect(e.details.source).toBe('option');
  });

  it('reports a YAML syntax error with line and column', () => {
    const dir = tempDir();
    const file = write(join(dir, 'configs', 'dev', 'indicators.yaml'), 'schema_version: 1\ncompute:\n  threads: [2\n  cache_dir: x\n');
    const e = configError(() => resolveIn(dir));
    expect(e.details.key).toBe('configPath');
    expect(e.details.source).toBe('default');
    expect(e.details.value).toBe(file);
    expect(e.details.expected).toMatch(/^valid YAML \(line \d+, column \d+: .+\)$/);
    expect(e.message).toMatch(/line \d+, column \d+/);
  });

  it('reports a duplicate key as a YAML error at its line', () => {
    const dir = tempDir();
    write(join(dir, 'configs', 'dev', 'indicators.yaml'), 'schema_version: 1\ncompute:\n  threads: 2\n  threads: 3\n');
    expect(configError(() => resolveIn(dir)).details.expected).toMatch(/^valid YAML \(line 4, column 3: /);
  });

  it('returns the parsed document for defaults validation', () => {
    const { dir } = project('threads: 2', 'dev', 'defaults:\n  ma.sma: {}\n');
    expect(resolveIn(dir).document).toEqual({ schema_version: 1, compute: { threads: 2 }, defaults: { 'ma.sma': {} } });
  });
});

describe('compute section keys', () => {
  it('rejects an unknown compute key, listing the known keys', () => {
    const { dir, file } = project('thread: 8');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({
      key: 'compute.thread',
      source: `yaml:${file}`,
      value: 8,
      expected: `one of ${COMPUTE_KEYS.join(', ')}`,
      path: 'compute.thread',
    });
    expect(e.message).toContain('did you mean threads?');
  });

  it('rejects a compute section that is not a mapping', () => {
    const { dir, file } = project(null, 'dev', 'compute: 4\n');
    expect(configError(() => resolveIn(dir)).details).toEqual({
      key: 'compute',
      source: `yaml:${file}`,
      value: 4,
      expected: 'a mapping of settings',
      path: 'compute',
    });
  });

  it('warns about an unknown top-level key', () => {
    const { dir, file } = project(null, 'dev', 'extras: 1\n');
    const cfg = resolveIn(dir);
    expect(cfg.warnings).toHaveLength(1);
    expect(cfg.warnings[0]!.code).toBe('GRIDTA_CONFIG_UNKNOWN_KEY');
    expect(cfg.warnings[0]!.details).toMatchObject({ key: 'extras', configPath: file });
  });
});

describe('relative cache_dir', () => {
  it('resolves a YAML value against the project root of the file, not the working directory', () => {
    const { dir } = project('cache_dir: .gridta/cache');
    const elsewhere = tempDir();
    const cfg = resolveIn(elsewhere, { configPath: join(dir, 'configs', 'dev', 'indicators.yaml') });
    expect(cfg.cacheDir.value).toBe(join(dir, '.gridta', 'cache'));
  });

  it('resolves a variable or an option against the working directory', () => {
    const { dir } = project('cache_dir: from-yaml');
    expect(resolveIn(dir, {}, { GRIDTA_CACHE_DIR: 'from-env' }).cacheDir.value).toBe(join(dir, 'from-env'));
    expect(resolveIn(dir, { cacheDir: 'from-option' }).cacheDir.value).toBe(join(dir, 'from-option'));
  });
});

describe('cgroup quota', () => {
  function cgroupTree(files: Record<string, string>): string {
    const root = tempDir();
    for (const [p, text] of Object.entries(files)) write(join(root, p), text);
    return root;
  }

  it('reads "max 100000" as no quota', () => {
    const root = cgroupTree({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': 'max 100000\n' });
    expect(cgroupCpuQuota(root)).toBeNull();
    expect(availableParallelism({ cgroupRoot: root, osCount: 8 }).available).toBe(8);
  });

  it('reads "150000 100000" as 1.5 CPUs, available 1', () => {
    const root = cgroupTree({ 'proc/self/cgroup': '0::/app\n', 'sys/fs/cgroup/app/cpu.max': '150000 100000\n' });
    expect(cgroupCpuQuota(root)).toBe(1.5);
    expect(availableParallelism({ cgroupRoot: root, osCount: 8 })).toEqual({ osAvailableParallelism: 8, cgroupQuota: 1.5, available: 1 });
  });

  it('takes the smallest quota among the cgroup and its ancestors', () => {
    const root = cgroupTree({
      'proc/self/cgroup': '0::/kubepods/pod1/ctr\n',
      'sys/fs/cgroup/kubepods/pod1/ctr/cpu.max': '400000 100000\n',
      'sys/fs/cgroup/kubepods/pod1/cpu.max': '250000 100000\n',
      'sys/fs/cgroup/kubepods/cpu.max': 'max 100000\n',
    });
    expect(cgroupCpuQuota(root)).toBe(2.5);
  });

  it('reads cgroup v1 cfs quota and period', () => {
    const root = cgroupTree({
      'proc/self/cgroup': '5:memory:/docker/abc\n4:cpu,cpuacct:/docker/abc\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us': '300000\n',
      'sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(root)).toBe(3);
    expect(availableParallelism({ cgroupRoot: root, osCount: 16 }).available).toBe(3);
  });

  it('reads a v1 quota of -1 as no limit', () => {
    const root = cgroupTree({
      'proc/self/cgroup': '4:cpu:/\n',
      'sys/fs/cgroup/cpu/cpu.cfs_quota_us': '-1\n',
      'sys/fs/cgroup/cpu/cpu.cfs_period_us': '100000\n',
    });
    expect(cgroupCpuQuota(root)).toBeNull();
  });

  it('treats missing or malformed files as no quota', () => {
    expect(cgroupCpuQuota(tempDir())).toBeNull();
    const root = cgroupTree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': 'garbage\n' });
    expect(cgroupCpuQuota(root)).toBeNull();
    expect(parseCpuMax('100000 0')).toBeNull();
  });

  it('never goes below 1 nor above the OS count', () => {
    const half = cgroupTree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '50000 100000\n' });
    expect(availableParallelism({ cgroupRoot: half, osCount: 8 }).available).toBe(1);
    const many = cgroupTree({ 'proc/self/cgroup': '0::/\n', 'sys/fs/cgroup/cpu.max': '3200000 100000\n' });
    expect(availableParallelism({ cgroupRoot: many, osCount: 4 }).available).toBe(4);
  });
});

describe('threads (auto, explicit, above the available parallelism)', () => {
  const quota = (cpus: number): string => {
    const root = tempDir();
    write(join(root, 'proc/self/cgroup'), '0::/\n');
    write(join(root, 'sys/fs/cgroup/cpu.max'), `${cpus * 100000} 100000\n`);
    return root;
  };

  it('resolves auto to the available parallelism without a warning', () => {
    const { dir } = project(null);
    const cfg = resolveConfig({ cwd: dir, cgroupRoot: quota(2), osAvailableParallelism: 16 }, {});
    expect(cfg.threads.value).toBe('auto');
    expect([cfg.threadsEffective, cfg.availableParallelism]).toEqual([2, 2]);
    expect(cfg.cpu).toEqual({ osAvailableParallelism: 16, cgroupQuota: 2, available: 2 });
    expect(cfg.warnings).toEqual([]);
  });

  it('uses an explicit count as given and warns when it exceeds the available parallelism', () => {
    const { dir } = project(null);
    const cfg = resolveConfig({ cwd: dir, cgroupRoot: quota(1), osAvailableParallelism: 16, threads: 4 }, {});
    expect(cfg.threadsEffective).toBe(4);
    expect(cfg.warnings).toHaveLength(1);
    expect(cfg.warnings[0]).toMatchObject({
      code: 'GRIDTA_THREADS_EXCEED_CPUS',
      details: { requested: 4, source: 'option', available: 1 },
    });
    expect(cfg.warnings[0]!.message).toContain('4');
    expect(cfg.warnings[0]!.message).toContain('option');
  });

  it('does not warn when the count fits', () => {
    const { dir } = project('threads: 2');
    expect(resolveConfig({ cwd: dir, cgroupRoot: quota(2), osAvailableParallelism: 16 }, {}).warnings).toEqual([]);
  });
});

describe('engine and the GRIDTA_DISABLE_WASM / GRIDTA_DISABLE_SIMD variables', () => {
  const cases: { yaml: string | null; env: Record<string, string>; option?: 'wasm-simd'; want: string; source: string }[] = [
    { yaml: null, env: {}, want: 'auto', source: 'default' },
    { yaml: null, env: { GRIDTA_DISABLE_WASM: '1' }, want: 'reference', source: 'env:GRIDTA_DISABLE_WASM' },
    { yaml: null, env: { GRIDTA_DISABLE_SIMD: 'true' }, want: 'wasm-scalar', source: 'env:GRIDTA_DISABLE_SIMD' },
    { yaml: 'wasm-simd', env: { GRIDTA_DISABLE_SIMD: 'yes' }, want: 'wasm-scalar', source: 'env:GRIDTA_DISABLE_SIMD' },
    { yaml: 'wasm-scalar', env: { GRIDTA_DISABLE_SIMD: '1' }, want: 'wasm-scalar', source: 'yaml' },
    { yaml: 'reference', env: { GRIDTA_DISABLE_SIMD: '1' }, want: 'reference', source: 'yaml' },
    { yaml: 'wasm-simd', env: { GRIDTA_DISABLE_WASM: 'on' }, want: 'reference', source: 'env:GRIDTA_DISABLE_WASM' },
    { yaml: null, env: { GRIDTA_DISABLE_WASM: '1', GRIDTA_DISABLE_SIMD: '1' }, want: 'reference', source: 'env:GRIDTA_DISABLE_WASM' },
    { yaml: null, env: { GRIDTA_DISABLE_WASM: '0', GRIDTA_DISABLE_SIMD: 'false' }, want: 'auto', source: 'default' },
    { yaml: 'wasm-simd', env: { GRIDTA_DISABLE_WASM: 'off' }, want: 'wasm-simd', source: 'yaml' },
    { yaml: null, env: { GRIDTA_DISABLE_WASM: '1', GRIDTA_DISABLE_SIMD: '1' }, option: 'wasm-simd', want: 'wasm-simd', source: 'option' },
  ];

  it.each(cases)('yaml $yaml, env $env, option $option → $want from $source', ({ yaml, env, option, want, source }) => {
    const { dir, file } = project(yaml === null ? null : `engine: ${yaml}`);
    const cfg = resolveIn(dir, option ? { engine: option } : {}, env);
    expect(cfg.engine.value).toBe(want);
    expect(cfg.engine.source).toBe(source === 'yaml' ? `yaml:${file}` : source);
  });

  it('records what an override replaced', () => {
    const { dir, file } = project('engine: wasm-simd');
    expect(resolveIn(dir, {}, { GRIDTA_DISABLE_SIMD: '1' }).engine.detail).toBe(`overrides wasm-simd from yaml:${file}`);
  });

  it('rejects a variable that is not a boolean', () => {
    const { dir } = project(null);
    const e = configError(() => resolveIn(dir, {}, { GRIDTA_DISABLE_WASM: 'maybe' }));
    expect(e.details).toEqual({
      key: 'engine',
      source: 'env:GRIDTA_DISABLE_WASM',
      value: 'maybe',
      expected: 'a boolean (1, true, yes, on, 0, false, no, off)',
    });
  });
});

describe('shipped configs', () => {
  it.each([
    ['dev', 'auto'],
    ['test', 2],
    ['prod', 'auto'],
  ] as const)('%s resolves to its shipped values', (env, threads) => {
    const cfg = resolveConfig({ env, cwd: PACKAGE_ROOT, cgroupRoot: NO_CGROUP, osAvailableParallelism: 8 }, {});
    const file = join(PACKAGE_ROOT, 'configs', env, 'indicators.yaml');
    const yaml = `yaml:${file}`;
    expect(cfg.configPath).toEqual({ value: file, source: 'default' });
    expect(cfg.threads).toEqual({ value: threads, source: yaml });
    expect(cfg.cacheDir).toEqual({ value: join(PACKAGE_ROOT, 'cache'), source: yaml });
    expect(cfg.maxComputeBytesTotal).toEqual({ value: 5368709120, source: yaml });
    expect(cfg.maxVariantsPerCompute).toEqual({ value: 600000, source: yaml });
    expect(cfg.cacheStrict.value).toBe(false);
    expect(cfg.engine.value).toBe('auto');
    expect(cfg.warnings).toEqual([]);
  });
});

describe('describeSettings', () => {
  it('lists every setting in diagnose order with effective values for threads and engine', () => {
    const { dir, file } = project('threads: 2');
    const rows = describeSettings(resolveIn(dir, {}, { GRIDTA_ENV: 'dev' }), { engine: 'wasm-simd' });
    expect(rows.map((r) => r.name)).toEqual([
      'env',
      'configPath',
      'threads',
      'cacheDir',
      'cacheStrict',
      'maxComputeBytesTotal',
      'maxVariantsPerCompute',
      'engine',
      'batchVariants',
      'profile',
      'maxBatchAttempts',
      'batchTimeoutMs',
      'jobsEnabled',
      'jobsDsn',
      'jobsSchema',
      'jobsLeaseSeconds',
      'jobsRetryLimit',
      'jobsUnitVariants',
      'jobsConcurrency',
      'jobsPollIntervalMs',
      'jobsMetricsPort',
      'jobsMetricsHost',
    ]);
    expect(rows[0]).toEqual({ name: 'env', value: 'dev', source: 'env:GRIDTA_ENV' });
    expect(rows[2]).toEqual({ name: 'threads', value: 2, source: `yaml:${file}`, effective: 2 });
    expect(rows[7]).toEqual({ name: 'engine', value: 'auto', source: 'default', effective: 'wasm-simd' });
  });

  it('carries the bundled detail', () => {
    const rows = describeSettings(resolveIn(tempDir()));
    expect(rows[1]).toMatchObject({ name: 'configPath', source: 'default', detail: 'bundled' });
  });
});

it('returns a frozen configuration', () => {
  const cfg = resolveIn(project(null).dir);
  expect(Object.isFrozen(cfg)).toBe(true);
  expect(Object.isFrozen(cfg.threads)).toBe(true);
});
