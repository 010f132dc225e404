/**
 * Jobs and the profile, in process against a real PostgreSQL: a grid job and a backtest job submitted
 * with profile talib record it in their spec, and a worker whose own engine defaults to talib still
 * computes a default job in the default profile (whose stored spec has no profile member). The
 * collected tensors equal in-process computes of their profile (values and keys); the backtest
 * job's top rows carry the talib strategy keys and metrics of an in-process talib backtest.
 */
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tableFromIPC } from 'apache-arrow';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import { JobInputError } from '../../src/errors.js';
import { tensorVariantKey } from '../../src/grid/keys.js';
import { registry } from '../../src/registry/index.js';
import {
  collectJob,
  createWorkerMetrics,
  jobStatus,
  jobTop,
  openJobsDb,
  startWorker,
  submitBacktestJob,
  submitJob,
  type JobsDb,
  type RunningWorker,
} from '../../src/jobs/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { childEnv, cli, cliJson, jobsFixture, query, sleep, ttrcTail } from './helpers.js';

const fx = jobsFixture('gridta-jobs-profile-');
let file: string;
let out: string;
let submitter: Engine;
let workerEngine: Engine;
let db: JobsDb;
let worker: RunningWorker;

const GRID = { source: { mode: 'explicit', values: ['close'] }, params: { window: { mode: 'explicit', values: [3, 5, 8] } } } as const;
const STRATEGY = { id: 'ma_cross', params: { ma: ['ma.sma'], source: ['close'], fast: [3, 5], slow: [10, 20] } } as const;

beforeAll(async () => {
  const dir = join(fx.dir, 'data');
  mkdirSync(dir);
  file = join(dir, 'ttrc.csv');
  writeFileSync(file, ttrcTail(400));
  out = join(fx.dir, 'out');
  submitter = createEngine({ env: 'test', threads: 1, engine: 'wasm-simd', jobsDsn: fx.pgc.dsn, onWarning: () => undefined });
  // the worker's own default is talib: a job's spec decides, never the worker's settings
  workerEngine = createEngine({
    env: 'test',
    threads: 1,
    engine: 'wasm-simd',
    jobsDsn: fx.pgc.dsn,
    profile: 'talib',
    onWarning: () => undefined,
  });
  db = await openJobsDb(submitter.config);
  const wdb = await openJobsDb(workerEngine.config);
  worker = startWorker({
    engine: workerEngine,
    db: wdb,
    workerId: 'profile-test',
    concurrency: 1,
    pollIntervalMs: 50,
    metrics: createWorkerMetrics('profile-test'),
    log: () => undefined,
  });
}, 60_000);

afterAll(async () => {
  worker?.stop();
  await worker?.done;
  await submitter?.close();
  await workerEngine?.close();
});

async function finished(jobId: string): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const s = await jobStatus(db, jobId);
    if (s.state === 'completed') return;
    if (s.state === 'failed' || s.state === 'cancelled') throw new Error(`job ${jobId} ${s.state}: ${JSON.stringify(s.failures)}`);
    await sleep(50);
  }
  throw new Error(`job ${jobId} did not complete`);
}

const specOf = async (jobId: string): Promise<Record<string, unknown>> =>
  (await query<{ spec: Record<string, unknown> }>(fx.pgc.dsn, 'SELECT spec FROM gridta.job WHERE id = $1', [jobId]))[0]!.spec;

describe('jobs record and compute the profile', () => {
  it('grid jobs: the spec names a talib profile only; units compute in the spec profile', async () => {
    const talib = await submitJob(submitter, db, {
      indicatorId: 'ma.wma',
      grid: GRID,
      data: [file],
      out,
      timeline: 'sessions',
      profile: 'talib',
    });
    const plain = await submitJob(submitter, db, { indicatorId: 'ma.wma', grid: GRID, data: [file], out, timeline: 'sessions' });
    expect((await specOf(talib.jobId)).profile).toBe('talib');
    expect(await specOf(plain.jobId)).not.toHaveProperty('profile');
    await finished(talib.jobId);
    await finished(plain.jobId);
    const candles = await loadCandlesFile(file, { instrumentId: 'ttrc', timeline: 'sessions' });
    for (const [jobId, profile] of [
      [talib.jobId, 'talib'],
      [plain.jobId, 'gridta'],
    ] as const) {
      const { tensor } = (await collectJob(db, jobId))[0]!;
      const want = await submitter.compute({
        candles,
        grid: { indicatorId: 'ma.wma', ...GRID },
        layout: 'VARIANT_MAJOR',
        profile,
      });
      const got = tensor.output('value');
      const exp = want.output('value');
      expect(got.length).toBe(exp.length);
      for (let i = 0; i < got.length; i++) if (!Object.is(got[i], exp[i])) expect.fail(`${profile}: value ${i}`);
      // the unit files' keys are the grid's in the job's profile (collect checks them too); the
      // default profile's are the compute's, unchanged
      const files = readdirSync(out).filter((f) => f.startsWith(jobId));
      expect(files.length).toBeGreaterThan(0);
      for (const f of files) {
        const table = tableFromIPC(readFileSync(join(out, f)));
        expect(table.schema.metadata.get('gridta.profile')).toBe(profile === 'gridta' ? undefined : profile);
        const { start, end } = JSON.parse(table.schema.metadata.get('gridta.unit')!) as { start: number; end: number };
        const keys = table.getChild('variant_key')!;
        for (let v = start; v < end; v++) {
          const key = keys.get((v - start) * candles.t);
          expect(key).toBe(tensorVariantKey(registry.get('ma.wma'), tensor.axes, v, 'ttrc', '1d', profile));
          if (profile === 'gridta') expect(key).toBe(want.variantKey(v));
        }
      }
    }
  }, 60_000);

  it('backtest jobs: the spec names the profile, the top rows are a talib backtest', async () => {
    const job = await submitBacktestJob(submitter, db, {
      strategy: STRATEGY,
      data: [file],
      timeline: 'sessions',
      top: 3,
      profile: 'talib',
    });
    expect((await specOf(job.jobId)).profile).toBe('talib');
    await finished(job.jobId);
    const top = await jobTop(db, job.jobId, { limit: 3 });
    const candles = await loadCandlesFile(file, { instrumentId: 'ttrc', timeline: 'sessions' });
    const local = await submitter.backtest({ candles, strategy: STRATEGY, top: 3, profile: 'talib' });
    expect(local.stats.profile).toBe('talib');
    expect(top.rows.length).toBeGreaterThan(0);
    for (const r of top.rows) {
      expect(r.variant_key).toBe(local.variantKey(r.variant));
      for (const m of METRIC_NAMES) expect(Object.is(r.metrics[m], local.metrics[m][r.variant]), m).toBe(true);
    }
  }, 60_000);

  it('the CLI: jobs submit and submit-backtest take --profile; a worker refuses it', async () => {
    const env = childEnv(fx.pgc.dsn);
    const common = ['--data', file, '--timeline', 'sessions', '--profile', 'talib', '--json'];
    const grid = cliJson<{ jobId: string }>(['jobs', 'submit', 'ma.wma', '--out', out, '--grid', 'window=3', ...common], env);
    const bt = cliJson<{ jobId: string }>(
      ['jobs', 'submit-backtest', 'ma_cross', '--grid', 'ma=ma.sma', '--grid', 'fast=3', '--grid', 'slow=10', ...common],
      env,
    );
    expect((await specOf(grid.jobId)).profile).toBe('talib');
    expect((await specOf(bt.jobId)).profile).toBe('talib');
    const w = cli(['worker', '--profile', 'talib'], env);
    expect(w.status, w.stderr).toBe(2);
    // a usage error either way: an unknown flag, or (once --profile is a config flag) the worker's refusal
    expect(w.stderr).toMatch(/unknown option --profile|worker does not take --profile: a unit's profile is its job's/);
  }, 60_000);

  it('a bad profile is refused at submit, naming the field and the value', async () => {
    for (const submit of [
      () => submitJob(submitter, db, { indicatorId: 'ma.wma', grid: GRID, data: [file], out, profile: 'ta-lib' as never }),
      () => submitBacktestJob(submitter, db, { strategy: STRATEGY, data: [file], profile: 'ta-lib' as never }),
    ]) {
      const e = await submit().catch((x: unknown) => x);
      expect(e).toBeInstanceOf(JobInputError);
      expect((e as JobInputError).details).toMatchObject({ field: 'profile', value: 'ta-lib' });
    }
  });
});
