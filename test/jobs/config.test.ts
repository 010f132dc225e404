/**
 * The `jobs` config section: the same precedence (option > env > YAML > default), sources and
 * validation as `compute`, a DSN that is never printed with its password, diagnose rows for every
 * jobs setting, and the shipped files listing the built-in defaults.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../src/errors.js';
import {
  JOBS_DEFAULTS,
  JOBS_KEYS,
  describeSettings,
  resolveConfig,
  type GridtaOptions,
  type ResolvedConfig,
} from '../../src/runtime/config.js';
import { diagnose } from '../../src/runtime/diagnose.js';
import { thrown } from '../helpers/errors.js';
import { describePrecedence } from '../helpers/config.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const temps: string[] = [];
afterAll(() => {
  for (const d of temps) rmSync(d, { recursive: true, force: true });
});

function project(jobs: string | null): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'gridta-jobs-config-'));
  temps.push(dir);
  writeFileSync(join(dir, 'package.json'), '{"name":"user-project"}\n');
  const file = join(dir, 'configs', 'dev', 'indicators.yaml');
  mkdirSync(dirname(file), { recursive: true });
  const body =
    jobs === null
      ? ''
      : `jobs:\n${jobs
          .split('\n')
          .map((l) => `  ${l}`)
          .join('\n')}\n`;
  writeFileSync(file, `schema_version: 1\n${body}`);
  return { dir, file };
}

const resolveIn = (dir: string, options: GridtaOptions = {}, environ: Record<string, string | undefined> = {}): ResolvedConfig =>
  resolveConfig({ cwd: dir, osAvailableParallelism: 2, ...options }, environ);

const configError = (fn: () => unknown): ConfigError => thrown(fn, ConfigError);

describe('jobs settings: precedence option > env > yaml > default', () => {
  const rows = [
    {
      name: 'jobsDsn',
      yaml: 'dsn: postgres://a@db1/x',
      yamlValue: 'postgres://a@db1/x',
      envVar: 'GRIDTA_PG_DSN',
      env: ' postgres://b@db2/y ',
      envValue: 'postgres://b@db2/y',
      option: 'postgresql://c@db3/z',
      def: null,
    },
    {
      name: 'jobsEnabled',
      yaml: 'enabled: false',
      yamlValue: false,
      envVar: 'GRIDTA_JOBS_ENABLED',
      env: 'yes',
      envValue: true,
      option: false,
      def: true,
    },
    {
      name: 'jobsLeaseSeconds',
      yaml: 'lease_seconds: 60',
      yamlValue: 60,
      envVar: 'GRIDTA_JOBS_LEASE_SECONDS',
      env: '30',
      envValue: 30,
      option: 5,
      def: 900,
    },
    {
      name: 'jobsConcurrency',
      yaml: 'concurrency: 3',
      yamlValue: 3,
      envVar: 'GRIDTA_JOBS_CONCURRENCY',
      env: '2',
      envValue: 2,
      option: 4,
      def: 1,
    },
    {
      name: 'jobsMetricsPort',
      yaml: 'metrics_port: 9464',
      yamlValue: 9464,
      envVar: 'GRIDTA_METRICS_PORT',
      env: 'off',
      envValue: 'off',
      option: 0,
      def: 'off',
    },
    {
      name: 'jobsMetricsHost',
      yaml: 'metrics_host: 10.0.0.5',
      yamlValue: '10.0.0.5',
      envVar: 'GRIDTA_METRICS_HOST',
      env: ' 0.0.0.0 ',
      envValue: '0.0.0.0',
      option: '::',
      def: '127.0.0.1',
    },
  ] as const;
  describePrecedence(rows, { project, resolveIn });

  it('reads the YAML-only settings from the jobs section', () => {
    const { dir, file } = project('schema: team_grids\nretry_limit: 5\nunit_variants: 64\npoll_interval_ms: 250');
    const cfg = resolveIn(dir);
    expect(cfg.jobsSchema).toEqual({ value: 'team_grids', source: `yaml:${file}` });
    expect(cfg.jobsRetryLimit).toEqual({ value: 5, source: `yaml:${file}` });
    expect(cfg.jobsUnitVariants).toEqual({ value: 64, source: `yaml:${file}` });
    expect(cfg.jobsPollIntervalMs).toEqual({ value: 250, source: `yaml:${file}` });
  });
});

describe('jobs settings: validation', () => {
  it('rejects a DSN that is not a postgres URL, naming the variable', () => {
    const e = configError(() => resolveIn(project(null).dir, {}, { GRIDTA_PG_DSN: 'mysql://root@db/x' }));
    expect(e.details).toEqual({
      key: 'jobsDsn',
      source: 'env:GRIDTA_PG_DSN',
      value: 'mysql://root@db/x',
      expected: 'a postgres:// or postgresql:// URL',
    });
    expect(e.message).toBe('jobsDsn from env:GRIDTA_PG_DSN must be a postgres:// or postgresql:// URL (got "mysql://root@db/x")');
  });

  it('never shows the password of a rejected DSN', () => {
    const e = configError(() => resolveIn(project(null).dir, { jobsDsn: 'postgres://u:s3cret@db:99999/x' }));
    expect(e.details.value).toBe('postgres://u:***@db:99999/x');
    expect(JSON.stringify(e.details) + e.message).not.toContain('s3cret');
  });

  it('rejects lease_seconds: 0 and a lease of a day or more (pg-boss limit)', () => {
    const { dir, file } = project('lease_seconds: 0');
    expect(configError(() => resolveIn(dir)).details).toEqual({
      key: 'jobsLeaseSeconds',
      source: `yaml:${file}`,
      value: 0,
      expected: 'an integer 1..86399',
      path: 'jobs.lease_seconds',
    });
    expect(configError(() => resolveIn(project(null).dir, {}, { GRIDTA_JOBS_LEASE_SECONDS: '86400' })).details.value).toBe('86400');
  });

  it('rejects GRIDTA_JOBS_ENABLED=maybe and GRIDTA_JOBS_CONCURRENCY=0', () => {
    expect(configError(() => resolveIn(project(null).dir, {}, { GRIDTA_JOBS_ENABLED: 'maybe' })).details.key).toBe('jobsEnabled');
    expect(configError(() => resolveIn(project(null).dir, {}, { GRIDTA_JOBS_CONCURRENCY: '0' })).message).toBe(
      'jobsConcurrency from env:GRIDTA_JOBS_CONCURRENCY must be an integer 1..64 (got "0")',
    );
  });

  it('rejects a metrics host that is no address or host name', () => {
    expect(configError(() => resolveIn(project(null).dir, {}, { GRIDTA_METRICS_HOST: 'http://x/' })).details).toEqual({
      key: 'jobsMetricsHost',
      source: 'env:GRIDTA_METRICS_HOST',
      value: 'http://x/',
      expected: 'an IP address or host name (127.0.0.1: loopback only, 0.0.0.0 or ::: every interface)',
    });
  });

  it('rejects a schema that is not a plain identifier', () => {
    const { dir } = project('schema: "grids; drop table x"');
    expect(configError(() => resolveIn(dir)).details).toMatchObject({ key: 'jobsSchema', path: 'jobs.schema' });
  });

  it('rejects an unknown jobs key with a suggestion', () => {
    const { dir, file } = project('lease_second: 30');
    const e = configError(() => resolveIn(dir));
    expect(e.details).toEqual({
      key: 'jobs.lease_second',
      source: `yaml:${file}`,
      value: 30,
      expected: `one of ${JOBS_KEYS.join(', ')}`,
      path: 'jobs.lease_second',
    });
    expect(e.message).toContain('did you mean lease_seconds?');
  });

  it('does not warn about a jobs section (a known top-level key)', () => {
    expect(resolveIn(project('enabled: true').dir).warnings).toEqual([]);
  });
});

describe('jobs settings in describeSettings and diagnose', () => {
  it('lists the DSN with its password masked', () => {
    const rows = describeSettings(resolveIn(project(null).dir, {}, { GRIDTA_PG_DSN: 'postgres://u:s3cret@db.internal:5432/grids' }));
    expect(rows.find((r) => r.name === 'jobsDsn')).toEqual({
      name: 'jobsDsn',
      value: 'postgres://u:***@db.internal:5432/grids',
      source: 'env:GRIDTA_PG_DSN',
    });
  });

  it('reports every jobs setting with its source, and a bad one as the error', async () => {
    const { dir, file } = project('concurrency: 2\nlease_seconds: 0');
    const doc = await diagnose({ cwd: dir, warmup: false }, { GRIDTA_PG_DSN: 'postgres://u:s3cret@db/x' });
    expect(doc.status).toBe('error');
    const rows = Object.fromEntries(doc.settings.map((s) => [s.name, s]));
    expect(rows.jobsDsn).toMatchObject({ value: 'postgres://u:***@db/x', source: 'env:GRIDTA_PG_DSN' });
    expect(rows.jobsConcurrency).toMatchObject({ value: 2, source: `yaml:${file}` });
    expect(rows.jobsLeaseSeconds).toMatchObject({ value: 0, source: `yaml:${file}`, error: expect.stringContaining('jobs.lease_seconds') });
    expect(rows.jobsEnabled).toMatchObject({ value: true, source: 'default' });
    expect(JSON.stringify(doc)).not.toContain('s3cret');
  });
});

describe('shipped config files', () => {
  it.each(['dev', 'test', 'prod'])('%s lists every jobs key with its built-in default', (env) => {
    const doc = parseYaml(readFileSync(join(ROOT, 'configs', env, 'indicators.yaml'), 'utf8')) as { jobs: Record<string, unknown> };
    const byYamlKey: Record<string, unknown> = {
      enabled: JOBS_DEFAULTS.jobsEnabled,
      schema: JOBS_DEFAULTS.jobsSchema,
      lease_seconds: JOBS_DEFAULTS.jobsLeaseSeconds,
      retry_limit: JOBS_DEFAULTS.jobsRetryLimit,
      unit_variants: JOBS_DEFAULTS.jobsUnitVariants,
      concurrency: JOBS_DEFAULTS.jobsConcurrency,
      poll_interval_ms: JOBS_DEFAULTS.jobsPollIntervalMs,
      metrics_port: JOBS_DEFAULTS.jobsMetricsPort,
      metrics_host: JOBS_DEFAULTS.jobsMetricsHost,
    };
    expect(Object.keys(doc.jobs)).toEqual(JOBS_KEYS.filter((k) => k !== 'dsn'));
    expect(doc.jobs).toEqual(byYamlKey);
  });
});
