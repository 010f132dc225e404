/**
 * `gridta diagnose`: the JSON document in-process (settings and sources, cpu, cache
 * state against a hand-made directory, wasm, warmup, versions, partial resolution on a configuration
 * error) and the built CLI (text output, --json, --export, exit codes, no foreign environment variable).
 * The CLI tests spawn dist/src/cli/main.js: build first (`npx tsc -p tsconfig.json`; `npm test` does).
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKey, readEntry, type Target } from '../../src/runtime/cache.js';
import { diagnose, type DiagnoseDocument, type DiagnoseSetting } from '../../src/runtime/diagnose.js';
import { simdSupported } from '../../src/runtime/warmup.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
const BUNDLED = join(ROOT, 'dist', 'wasm-cache');
const DEV_YAML = join(ROOT, 'configs', 'dev', 'indicators.yaml');
const ORDER = [
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
];
const SECRET_NAME = 'AWS_SECRET_ACCESS_KEY';
const SECRET = 'sk-live-7f3a9c1e5b2d4f6a8c0e';

const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});
function tempDir(prefix = 'gridta-diag-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  temps.push(d);
  return d;
}

/** An empty cgroup tree: no quota, so `available` is the injected OS count. */
const NO_CGROUP = tempDir();

const setting = (doc: DiagnoseDocument, name: string): DiagnoseSetting => {
  const s = doc.settings.find((x) => x.name === name);
  if (!s) throw new Error(`setting ${name} is missing from ${JSON.stringify(doc.settings.map((x) => x.name))}`);
  return s;
};

/** The environment of a spawned CLI: the parent's without any GRIDTA_* variable, plus `extra`. */
function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRIDTA_')) env[k] = v;
  return { ...env, ...extra };
}

function cli(args: string[], extra: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'diagnose', ...args], { cwd: ROOT, env: cliEnv(extra), encoding: 'utf8', timeout: 120_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Valid entries of a directory, by key (target from each manifest). */
async function validEntries(dir: string): Promise<Map<string, Target>> {
  const out = new Map<string, Target>();
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^([0-9a-f]{64})\.json$/.exec(name);
    if (!m) continue;
    const target = (JSON.parse(readFileSync(join(dir, name), 'utf8')) as { target: Target }).target;
    if ((await readEntry(dir, m[1]!, target)).status === 'ok') out.set(m[1]!, target);
  }
  return out;
}

beforeAll(() => {
  expect(existsSync(CLI), `${CLI} exists (build with npx tsc -p tsconfig.json)`).toBe(true);
  expect(
    readdirSync(BUNDLED).some((f) => f.endsWith('.json')),
    `${BUNDLED} holds at least one entry (npm run build)`,
  ).toBe(true);
});

describe('settings and sources', () => {
  it('lists every setting in diagnose order with its source on this checkout', async () => {
    const doc = await diagnose({ cwd: ROOT, cacheDir: tempDir(), warmup: false }, {});
    expect(doc.schemaVersion).toBe(1);
    expect(doc.settings.map((s) => s.name)).toEqual(ORDER);
    expect(setting(doc, 'env')).toEqual({ name: 'env', value: 'dev', source: 'default' });
    expect(setting(doc, 'configPath')).toEqual({ name: 'configPath', value: DEV_YAML, source: 'default' });
    for (const name of [
      'threads',
      'cacheStrict',
      'maxComputeBytesTotal',
      'maxVariantsPerCompute',
      'engine',
      'batchVariants',
      'maxBatchAttempts',
      'batchTimeoutMs',
    ]) {
      expect(setting(doc, name).source, `${name} comes from the shipped dev file`).toBe(`yaml:${DEV_YAML}`);
    }
    expect(setting(doc, 'cacheDir').source).toBe('option');
    expect(setting(doc, 'maxComputeBytesTotal').value).toBe(5368709120);
    expect(setting(doc, 'batchTimeoutMs').value).toBe(300000);
  });

  it('names env:GRIDTA_NUM_THREADS when the variable is set, and option over it', async () => {
    const fromEnv = await diagnose({ cwd: ROOT, warmup: false }, { GRIDTA_NUM_THREADS: '1' });
    expect(setting(fromEnv, 'threads')).toEqual({ name: 'threads', value: 1, effective: 1, source: 'env:GRIDTA_NUM_THREADS' });
    const fromOption = await diagnose({ cwd: ROOT, threads: 2, warmup: false }, { GRIDTA_NUM_THREADS: '1' });
    expect(setting(fromOption, 'threads')).toEqual({ name: 'threads', value: 2, effective: 2, source: 'option' });
  });

  it('reports the bundled config as default (bundled) outside a project', async () => {
    const doc = await diagnose({ cwd: tempDir(), cgroupRoot: NO_CGROUP, warmup: false }, {});
    expect(setting(doc, 'configPath')).toMatchObject({ value: DEV_YAML, source: 'default', detail: 'bundled' });
    expect(setting(doc, 'cacheDir').value, "the package's own cache/ (relative to the bundled YAML)").toBe(join(ROOT, 'cache'));
  });

  it('names the variable that decided the engine', async () => {
    const doc = await diagnose({ cwd: ROOT, warmup: false }, { GRIDTA_DISABLE_SIMD: '1' });
    expect(setting(doc, 'engine')).toMatchObject({ value: 'wasm-scalar', effective: 'wasm-scalar', source: 'env:GRIDTA_DISABLE_SIMD' });
    expect(doc.wasm).toEqual({ enabled: true, simdSupported: simdSupported(), requestedEngine: 'wasm-scalar', engine: 'wasm-scalar' });
  });
});

describe('cpu', () => {
  it('reports effective threads against the available parallelism', async () => {
    const auto = await diagnose({ cwd: ROOT, cgroupRoot: NO_CGROUP, osAvailableParallelism: 4, warmup: false }, {});
    expect(auto.cpu).toEqual({ osAvailableParallelism: 4, cgroupQuota: null, available: 4, threadsEffective: 4 });
    expect(setting(auto, 'threads')).toMatchObject({ value: 'auto', effective: 4 });

    const over = await diagnose(
      { cwd: ROOT, cgroupRoot: NO_CGROUP, osAvailableParallelism: 4, warmup: false },
      { GRIDTA_NUM_THREADS: '8' },
    );
    expect(over.cpu).toEqual({ osAvailableParallelism: 4, cgroupQuota: null, available: 4, threadsEffective: 8 });
    expect(over.status).toBe('warnings');
    expect(over.warnings.map((w) => w.code)).toContain('GRIDTA_THREADS_EXCEED_CPUS');
  });

  it('follows a cgroup v2 quota', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'proc', 'self'), { recursive: true });
    writeFileSync(join(root, 'proc', 'self', 'cgroup'), '0::/\n');
    mkdirSync(join(root, 'sys', 'fs', 'cgroup'), { recursive: true });
    writeFileSync(join(root, 'sys', 'fs', 'cgroup', 'cpu.max'), '150000 100000\n');
    const doc = await diagnose({ cwd: ROOT, cgroupRoot: root, osAvailableParallelism: 16, warmup: false }, {});
    expect(doc.cpu).toEqual({ osAvailableParallelism: 16, cgroupQuota: 1.5, available: 1, threadsEffective: 1 });
  });
});

describe('cache', () => {
  it('counts entries, corrupt entries, orphans and temporaries as they are on disk', async () => {
    const dir = tempDir();
    const bundled = await validEntries(BUNDLED);
    const simdKey = (await cacheKey('simd')).key;
    const scalarKey = (await cacheKey('scalar')).key;
    // the valid entry: the current simd one when the bundled tier has it, else any bundled entry
    const validKey = bundled.has(simdKey) ? simdKey : [...bundled.keys()][0]!;
    for (const ext of ['wasm', 'json']) copyFileSync(join(BUNDLED, `${validKey}.${ext}`), join(dir, `${validKey}.${ext}`));
    const corruptKey = 'c'.repeat(64);
    writeFileSync(join(dir, `${corruptKey}.json`), `{"format":1,"key":"${corruptKey}","target":"simd","wasmBytes":4,"wasmSha256":"00"}`);
    writeFileSync(join(dir, `${corruptKey}.wasm`), Buffer.from([0, 97, 115, 109]));
    writeFileSync(join(dir, `${'0'.repeat(64)}.wasm`), Buffer.from([0, 97, 115, 109, 1, 0, 0, 0])); // orphan
    writeFileSync(join(dir, `${'1'.repeat(64)}.wasm.tmp-4242-abcdef`), 'partial'); // temporary
    writeFileSync(join(dir, 'notes.txt'), "not gridta's");
    const before = readdirSync(dir).sort();
    const owned = before.filter((f) => f !== 'notes.txt').reduce((n, f) => n + statSync(join(dir, f)).size, 0);

    const doc = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, {});
    const expectedLookup = (key: string, target: Target): string =>
      key === validKey && bundled.get(key) === target ? 'cache' : bundled.get(key) === target ? 'bundled' : 'missing';
    expect(doc.cache).toEqual({
      dir,
      exists: true,
      writable: true,
      strict: false,
      entries: 1,
      bytes: owned,
      corrupt: 1,
      orphans: 1,
      tempFiles: 1,
      bundledDir: BUNDLED,
      bundledEntries: bundled.size,
      keys: { simd: simdKey, scalar: scalarKey },
      lookup: { simd: expectedLookup(simdKey, 'simd'), scalar: expectedLookup(scalarKey, 'scalar') },
    });
    expect(readdirSync(dir).sort(), 'the writability probe leaves nothing behind').toEqual(before);
    expect(doc.status).toBe('warnings');
    expect(doc.warnings.find((w) => w.code === 'GRIDTA_CACHE_CORRUPT')?.details).toMatchObject({ dir, key: corruptKey });
  });

  it('does not create a missing cache directory', async () => {
    const dir = join(tempDir(), 'not', 'yet');
    const doc = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, {});
    expect(doc.cache).toMatchObject({ dir, exists: false, writable: true, entries: 0, bytes: 0 });
    expect(existsSync(dir)).toBe(false);
  });

  it('warns about an unusable directory, and strict mode makes it an error', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, '');
    const dir = join(file, 'cache');
    const lenient = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, {});
    expect(lenient.status).toBe('warnings');
    expect(lenient.cache).toMatchObject({ exists: false, writable: false, strict: false });
    expect(lenient.warnings.find((w) => w.code === 'GRIDTA_CACHE_UNWRITABLE')?.details).toMatchObject({ dir, errno: 'ENOTDIR' });

    const strict = await diagnose({ cwd: ROOT, cacheDir: dir, warmup: false }, { GRIDTA_CACHE_STRICT: '1' });
    expect(strict.status).toBe('error');
    expect(setting(strict, 'cacheStrict')).toMatchObject({ value: true, source: 'env:GRIDTA_CACHE_STRICT' });
    expect(strict.error).toMatchObject({ code: 'cache_unavailable', details: { dir, errno: 'ENOTDIR' } });
  });
});

describe('wasm, warmup and versions', () => {
  let doc: DiagnoseDocument;
  beforeAll(async () => {
    doc = await diagnose({ cwd: ROOT, cacheDir: tempDir(), threads: 2 }, {});
  }, 120_000);

  it('detects SIMD and resolves engine auto to wasm-simd', () => {
    expect(simdSupported(), 'Node 20 validates v128').toBe(true);
    expect(doc.wasm).toEqual({ enabled: true, simdSupported: true, requestedEngine: 'auto', engine: 'wasm-simd' });
    expect(setting(doc, 'engine')).toMatchObject({ value: 'auto', effective: 'wasm-simd' });
  });

  it('reports warmup timings and one entry per worker', () => {
    expect(doc.warmup.status, JSON.stringify(doc.warmup)).toBe('ok');
    if (doc.warmup.status !== 'ok') return;
    expect(['cache', 'bundled', 'compiled']).toContain(doc.warmup.cacheSource);
    const keys = [
      'configMs',
      'cacheLookupMs',
      'compileMs',
      'wasmCompileMs',
      'instantiateMs',
      'exerciseMs',
      'poolStartMs',
      'workersMs',
      'totalMs',
    ];
    expect(Object.keys(doc.warmup.timings)).toEqual(keys);
    for (const k of keys) expect(doc.warmup.timings[k as keyof typeof doc.warmup.timings], k).toBeGreaterThanOrEqual(0);
    expect(doc.warmup.timings.totalMs).toBeGreaterThan(0);
    expect(doc.warmup.workers.map((w) => w.index)).toEqual([0, 1]);
    expect(doc.cpu.threadsEffective).toBe(2);
    expect(doc.status).not.toBe('error');
  });

  it('lists the versions', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; dependencies: Record<string, string> };
    expect(doc.versions).toEqual({
      gridta: pkg.version,
      node: process.version,
      v8: process.versions.v8,
      assemblyscript: pkg.dependencies.assemblyscript,
      piscina: expect.stringMatching(/^\d+\.\d+\.\d+/),
      apacheArrow: pkg.dependencies['apache-arrow'],
      platform: process.platform,
      arch: process.arch,
    });
  });

  it('skips warmup when asked', async () => {
    const skipped = await diagnose({ cwd: ROOT, cacheDir: tempDir(), warmup: false }, {});
    expect(skipped.warmup).toEqual({ status: 'skipped' });
    expect(skipped.wasm.engine, 'predicted from SIMD support').toBe('wasm-simd');
  });
});

describe('configuration errors', () => {
  it('reports an invalid GRIDTA_NUM_THREADS and still lists every other setting', async () => {
    const doc = await diagnose({ cwd: ROOT, cacheDir: tempDir() }, { GRIDTA_NUM_THREADS: '0' });
    expect(doc.status).toBe('error');
    expect(doc.error).toMatchObject({ code: 'config_invalid', details: { key: 'threads', source: 'env:GRIDTA_NUM_THREADS', value: '0' } });
    expect(doc.settings.map((s) => s.name)).toEqual(ORDER);
    expect(setting(doc, 'threads')).toEqual({
      name: 'threads',
      value: '0',
      source: 'env:GRIDTA_NUM_THREADS',
      error: 'threads from env:GRIDTA_NUM_THREADS must be auto or an integer 1..256 (got "0")',
    });
    expect(setting(doc, 'maxVariantsPerCompute')).toEqual({ name: 'maxVariantsPerCompute', value: 600000, source: `yaml:${DEV_YAML}` });
    expect(doc.cpu.threadsEffective).toBeNull();
    expect(doc.warmup).toMatchObject({ status: 'failed', error: { code: 'config_invalid' } });
    expect(doc.cache?.exists).toBe(true);
  });

  it('reports a rejected YAML key and keeps the other values of that file', async () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), '{"name":"user-project"}\n');
    mkdirSync(join(project, 'configs', 'dev'), { recursive: true });
    const file = join(project, 'configs', 'dev', 'indicators.yaml');
    writeFileSync(
      file,
      'schema_version: 1\ncompute:\n  thread: 4\n  max_batch_attempts: 0\n  cache_dir: mycache\n  batch_timeout_ms: 5000\n',
    );
    const leftovers = (): string[] => readdirSync(tmpdir()).filter((f) => f.startsWith('gridta-diagnose-'));
    const before = leftovers();
    const doc = await diagnose({ cwd: project, cgroupRoot: NO_CGROUP, osAvailableParallelism: 2, warmup: false }, {});
    expect(doc.status).toBe('error');
    expect(doc.error?.details).toMatchObject({ key: 'compute.thread', source: `yaml:${file}` });
    expect(setting(doc, 'configPath')).toMatchObject({ value: file, source: 'default', error: expect.stringContaining('compute.thread') });
    expect(setting(doc, 'maxBatchAttempts')).toMatchObject({
      value: 0,
      source: `yaml:${file}`,
      error: expect.stringContaining('max_batch_attempts'),
    });
    expect(setting(doc, 'cacheDir')).toEqual({ name: 'cacheDir', value: join(project, 'mycache'), source: `yaml:${file}` });
    expect(setting(doc, 'batchTimeoutMs')).toEqual({ name: 'batchTimeoutMs', value: 5000, source: `yaml:${file}` });
    expect(JSON.stringify(doc), 'no trace of the temporary copy').not.toContain('gridta-diagnose-');
    expect(leftovers(), 'the temporary copy is removed').toEqual(before);
  });

  it('lists a bad YAML value, a bad variable and a bad option together, the first met as the error', async () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), '{"name":"user-project"}\n');
    mkdirSync(join(project, 'configs', 'dev'), { recursive: true });
    const file = join(project, 'configs', 'dev', 'indicators.yaml');
    writeFileSync(file, 'schema_version: 1\ncompute:\n  max_batch_attempts: 0\n  max_variants_per_compute: 1000\n');
    const doc = await diagnose(
      { cwd: project, cgroupRoot: NO_CGROUP, osAvailableParallelism: 2, warmup: false, batchTimeoutMs: 5 },
      { GRIDTA_MAX_COMPUTE_BYTES_TOTAL: 'lots' },
    );
    expect(doc.status).toBe('error');
    const bytes = 'maxComputeBytesTotal from env:GRIDTA_MAX_COMPUTE_BYTES_TOTAL must be an integer 1..9007199254740991 (got "lots")';
    expect(doc.error).toEqual({
      code: 'config_invalid',
      message: bytes,
      details: {
        key: 'maxComputeBytesTotal',
        source: 'env:GRIDTA_MAX_COMPUTE_BYTES_TOTAL',
        value: 'lots',
        expected: 'an integer 1..9007199254740991',
      },
    });
    expect(doc.settings.filter((s) => s.error !== undefined)).toEqual([
      { name: 'maxComputeBytesTotal', value: 'lots', source: 'env:GRIDTA_MAX_COMPUTE_BYTES_TOTAL', error: bytes },
      {
        name: 'maxBatchAttempts',
        value: 0,
        source: `yaml:${file}`,
        error: `maxBatchAttempts from yaml:${file} at compute.max_batch_attempts must be an integer 1..10 (got 0)`,
      },
      { name: 'batchTimeoutMs', value: 5, source: 'option', error: 'batchTimeoutMs from option must be an integer 1000..86400000 (got 5)' },
    ]);
    // the other values of the same three layers are kept
    expect(setting(doc, 'maxVariantsPerCompute')).toEqual({ name: 'maxVariantsPerCompute', value: 1000, source: `yaml:${file}` });
    expect(setting(doc, 'configPath')).toEqual({ name: 'configPath', value: file, source: 'default' });
  });

  it('writes no file while resolving a rejected configuration: no temporary copy, nothing in the project', async () => {
    const project = tempDir();
    writeFileSync(join(project, 'package.json'), '{"name":"user-project"}\n');
    mkdirSync(join(project, 'configs', 'dev'), { recursive: true });
    const file = join(project, 'configs', 'dev', 'indicators.yaml');
    writeFileSync(file, 'schema_version: 1\ncompute:\n  thread: 4\n  max_batch_attempts: 0\njobs:\n  concurency: 2\n');
    const tree = (dir: string): string[] => readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
    const before = tree(project);
    const yaml = readFileSync(file, 'utf8');
    // a temporary directory nothing can be created in: a regular file stands where its parent should be
    const blocker = join(tempDir(), 'not-a-directory');
    writeFileSync(blocker, '');
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = join(blocker, 'tmp');
    let doc: DiagnoseDocument;
    try {
      expect(tmpdir()).toBe(join(blocker, 'tmp'));
      doc = await diagnose({ cwd: project, cgroupRoot: NO_CGROUP, osAvailableParallelism: 2, warmup: false }, {});
    } finally {
      if (saved === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = saved;
    }
    expect(doc.error?.details).toMatchObject({ key: 'compute.thread', source: `yaml:${file}` });
    expect(setting(doc, 'maxBatchAttempts')).toMatchObject({
      value: 0,
      source: `yaml:${file}`,
      error: expect.stringContaining('max_batch_attempts'),
    });
    expect(tree(project)).toEqual(before);
    expect(readFileSync(file, 'utf8')).toBe(yaml);
  });

  it('reports an invalid GRIDTA_ENV without guessing the file', async () => {
    const doc = await diagnose({ cwd: ROOT, warmup: false }, { GRIDTA_ENV: 'staging', GRIDTA_MAX_BATCH_ATTEMPTS: '4' });
    expect(doc.status).toBe('error');
    expect(setting(doc, 'env')).toMatchObject({
      value: 'staging',
      source: 'env:GRIDTA_ENV',
      error: expect.stringContaining('dev | test | prod'),
    });
    expect(setting(doc, 'configPath')).toMatchObject({ value: null, source: 'default' });
    expect(doc.settings.map((s) => s.name)).toEqual(ORDER);
  });

  it('reads no environment variable outside GRIDTA_*', async () => {
    const doc = await diagnose({ cwd: ROOT, warmup: false }, { [SECRET_NAME]: SECRET, HOME: '/home/secret-user', GRIDTA_NUM_THREADS: '1' });
    const text = JSON.stringify(doc);
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(SECRET_NAME);
    expect(text).not.toContain('secret-user');
    for (const s of doc.settings) if (s.source.startsWith('env:')) expect(s.source).toMatch(/^env:GRIDTA_/);
  });
});

describe('gridta diagnose (built CLI)', () => {
  it('prints the aligned text report', () => {
    const r = cli(['--no-warmup', '--cache-dir', tempDir()]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^gridta diagnose — status: (ok|warnings)$/);
    expect(lines[1]).toMatch(/^setting\s+value\s+source$/);
    const table = lines.slice(1, 2 + ORDER.length);
    expect(table.slice(1).map((l) => l.split(/\s+/)[0])).toEqual(ORDER);
    const valueCol = lines[1]!.indexOf('value');
    const sourceCol = lines[1]!.indexOf('source');
    for (const l of table.slice(1)) {
      expect(l[valueCol - 1], `value column aligned in ${JSON.stringify(l)}`).toBe(' ');
      expect(l[valueCol], `value column aligned in ${JSON.stringify(l)}`).not.toBe(' ');
      expect(l[sourceCol - 1]).toBe(' ');
      expect(l[sourceCol]).not.toBe(' ');
    }
    expect(r.stdout).toMatch(/^threads\s+auto → \d+\s+yaml:/m);
    expect(r.stdout).toMatch(/^engine\s+auto → wasm-simd\s+yaml:/m);
    expect(r.stdout).toMatch(/^cacheDir\s+\S+\s+option$/m);
    expect(r.stdout).toMatch(/^cpu {8}os \d+, cgroup quota \S+, available \d+, effective threads \d+/m);
    expect(r.stdout).toMatch(/^cache {6}\/\S+ {2}exists {2}writable {2}0 entries/m);
    expect(r.stdout).toMatch(/^ {11}simd key [0-9a-f]{12}… {2}(found in (cache|bundled)|missing)/m);
    expect(r.stdout).toMatch(/^wasm {7}enabled, SIMD supported, engine auto → wasm-simd$/m);
    expect(r.stdout).toMatch(/^warmup {5}skipped/m);
    expect(r.stdout).toMatch(new RegExp(`^versions {3}gridta \\S+, node ${process.version.replace(/\./g, '\\.')}, v8 `, 'm'));
  });

  it('writes the same JSON to --export as to standard output, atomically', () => {
    const out = tempDir();
    const file = join(out, 'diagnose.json');
    const r = cli(['--json', '--export', file, '--threads', '1', '--cache-dir', tempDir()], { GRIDTA_ENV: 'test' });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as DiagnoseDocument;
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual(doc);
    expect(readdirSync(out), 'no temporary file left').toEqual(['diagnose.json']);
    expect(setting(doc, 'threads')).toEqual({ name: 'threads', value: 1, effective: 1, source: 'option' });
    expect(setting(doc, 'env')).toEqual({ name: 'env', value: 'test', source: 'env:GRIDTA_ENV' });
    expect(doc.warmup.status).toBe('ok');
    if (doc.warmup.status === 'ok') expect(doc.warmup.workers, 'threads 1 runs in-process').toEqual([]);
  });

  it('gives warmup skipped with --no-warmup', () => {
    const r = cli(['--json', '--no-warmup', '--cache-dir', tempDir()]);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as DiagnoseDocument).warmup).toEqual({ status: 'skipped' });
  });

  it('exits 1 on GRIDTA_NUM_THREADS=0 and still lists the other settings', () => {
    const json = cli(['--json', '--cache-dir', tempDir()], { GRIDTA_NUM_THREADS: '0' });
    expect(json.code).toBe(1);
    const doc = JSON.parse(json.stdout) as DiagnoseDocument;
    expect(doc.status).toBe('error');
    expect(doc.settings.map((s) => s.name)).toEqual(ORDER);
    expect(setting(doc, 'threads')).toMatchObject({ value: '0', source: 'env:GRIDTA_NUM_THREADS' });
    expect(setting(doc, 'cacheDir').source).toBe('option');

    const text = cli(['--no-warmup', '--cache-dir', tempDir()], { GRIDTA_NUM_THREADS: '0' });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^gridta diagnose — status: error$/m);
    expect(text.stdout).toMatch(/^threads\s+"0"\s+env:GRIDTA_NUM_THREADS/m);
    expect(text.stdout).toMatch(
      /^error {6}config_invalid: threads from env:GRIDTA_NUM_THREADS must be auto or an integer 1\.\.256 \(got "0"\)$/m,
    );
  });

  it('exits 2 on bad usage', () => {
    for (const args of [['--bogus'], ['extra-argument'], ['--threads', 'four'], ['--export']]) {
      const r = cli(args);
      expect(r.code, `gridta diagnose ${args.join(' ')}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(/^gridta: usage: /);
    }
  });

  it('exits 1 when the export cannot be written', () => {
    const r = cli(['--no-warmup', '--cache-dir', tempDir(), '--export', join(tempDir(), 'missing-dir', 'd.json')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^gridta diagnose — status:/);
    expect(r.stderr).toMatch(/^gridta: export_failed: cannot write .*d\.json \(ENOENT\)/);
  });

  it('prints no environment variable outside GRIDTA_*', () => {
    const file = join(tempDir(), 'd.json');
    const extra = { [SECRET_NAME]: SECRET, GRIDTA_CACHE_STRICT: 'off' };
    for (const args of [['--json', '--no-warmup', '--export', file], ['--no-warmup']]) {
      args.push('--cache-dir', tempDir());
      const r = cli(args, extra);
      expect(r.code, r.stderr).toBe(0);
      for (const text of [r.stdout, r.stderr, args.includes('--export') ? readFileSync(file, 'utf8') : '']) {
        expect(text).not.toContain(SECRET);
        expect(text).not.toContain(SECRET_NAME);
      }
    }
    const doc = JSON.parse(readFileSync(file, 'utf8')) as DiagnoseDocument;
    expect(setting(doc, 'cacheStrict')).toMatchObject({ value: false, source: 'env:GRIDTA_CACHE_STRICT' });
  });
});
