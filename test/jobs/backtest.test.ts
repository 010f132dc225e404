/**
 * Backtest jobs end to end against a real PostgreSQL: a job over 4 instruments and 719 variants in
 * 48 Stage A units, run by two worker processes; its top variants equal an in-process run over the
 * same instruments ranked with the same aggregation (ranks, keys, every metric bit for bit, trades).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { aggregateRanking } from '../../src/backtest/aggregate.js';
import { checkFilters, checkObjective } from '../../src/backtest/options.js';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import { startApiServer } from '../../src/jobs/http.js';
import { openJobsDb } from '../../src/jobs/index.js';
import { createEngine } from '../../src/runtime/engine.js';
import {
  childEnv,
  cli,
  cliJson,
  cliAsync,
  cliJsonAsync,
  type CliResult,
  jobsFixture,
  query,
  sleep,
  startWorker,
  stopWorker,
  ttrcTail,
  waitForState,
} from './helpers.js';

const fx = jobsFixture('gridta-jobs-backtest-');
let dataDir: string;
/** Instrument ids (file base names) and their lengths: four tails of ttrc.csv. */
const INSTRUMENTS = [
  ['a_ttrc', 5000],
  ['b_ttrc', 4200],
  ['c_ttrc', 3300],
  ['d_ttrc', 2600],
] as const;

// fast 5..40 × slow 40..135 step 5 with fast < slow: 36 × 20 − 1 = 719 variants
const GRID = ['--grid', 'fast=5..40', '--grid', 'slow=40..135:5'];
const STRATEGY = {
  id: 'ma_cross',
  params: {
    ma: ['ma.ema'],
    source: ['close'],
    fast: { mode: 'range', start: 5, stopIncl: 40, step: 1 },
    slow: { mode: 'range', start: 40, stopIncl: 135, step: 5 },
  },
} as const;
const EXECUTION = { side: 'long', fill: 'next_open', fee_bps: 5 } as const;
const TOP = 5;

beforeAll(() => {
  dataDir = join(fx.dir, 'data');
  mkdirSync(dataDir);
  for (const [id, rows] of INSTRUMENTS) writeFileSync(join(dataDir, `${id}.csv`), ttrcTail(rows));
});

interface TopJson {
  state: string;
  stage: string;
  rows: {
    rank: number;
    instrumentId: string;
    variant: number;
    variant_key: string;
    params: Record<string, number | string>;
    objective: number | string;
    metrics: Record<string, number | string>;
    report_table_md?: string;
    trades_json?: string;
    out_of_sample?: { metrics: Record<string, number | string>; trades_json: string };
  }[];
}

/** A number of `jobs top --json` (NaN and infinities come as strings). */
const num = (x: number | string): number => (typeof x === 'number' ? x : Number(x));

/** The in-process run: engine.backtest on each instrument, one aggregate ranking, replays on each instrument. */
async function inProcess(aggregate: 'mean' | 'median' | 'min', strategy: object = STRATEGY, holdout?: { fraction: number }) {
  const engine = createEngine({ threads: 1, env: 'test' });
  try {
    const candles = await Promise.all(INSTRUMENTS.map(([id]) => loadCandlesFile(join(dataDir, `${id}.csv`), { instrumentId: id })));
    const results = [];
    for (const c of candles)
      results.push(
        await engine.backtest({ candles: c, strategy: strategy as never, execution: EXECUTION, top: TOP, ...(holdout ? { holdout } : {}) }),
      );
    const V = results[0]!.variants;
    const ranking = aggregateRanking(
      results.map((r) => r.metrics),
      V,
      checkObjective(undefined),
      checkFilters(undefined),
      TOP,
      aggregate,
    );
    const replays = await Promise.all(results.map((r) => r.replay([...ranking.shortlist])));
    return { V, ranking, results, replays };
  } finally {
    await engine.close();
  }
}

type InProcess = Awaited<ReturnType<typeof inProcess>>;

/** The job's aggregate top rows (`gridta jobs top <job> --limit TOP --json`). */
const topOf = (jobId: string, env: NodeJS.ProcessEnv): Promise<TopJson> =>
  cliJsonAsync<TopJson>(['jobs', 'top', jobId, '--limit', String(TOP)], env);

/** The job's aggregate top rows equal the in-process run's: ranks, variants, keys, every metric bit for bit, trades. */
function expectTop(top: TopJson, mine: InProcess): void {
  expect(top.rows).toHaveLength(TOP * 4);
  for (const [i, [id]] of INSTRUMENTS.entries()) {
    const rows = top.rows.filter((r) => r.instrumentId === id);
    expect(rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
    rows.forEach((row, k) => {
      const v = mine.ranking.shortlist[k]!;
      const replay = mine.replays[i]![k]!;
      expect(row.variant).toBe(v);
      expect(row.variant_key).toBe(mine.results[i]!.variantKey(v));
      expect(Object.is(num(row.objective), mine.ranking.objective[v]!)).toBe(true);
      for (const m of METRIC_NAMES) {
        expect(Object.is(num(row.metrics[m]!), mine.results[i]!.metrics[m][v]!), `${id} rank ${row.rank} ${m}`).toBe(true);
        expect(Object.is(num(row.metrics[m]!), replay.metrics[m]), `${id} rank ${row.rank} ${m} (replay)`).toBe(true);
      }
      expect(row.trades_json).toBe(replay.trades_json);
      expect(JSON.parse(row.trades_json!).length).toBe(mine.results[i]!.metrics.trades[v]);
      expect(row.report_table_md).toContain(row.variant_key.slice(0, 12));
    });
  }
}

// a smaller grid for the failure tests: fast 5..14 × slow 40..85 step 5 = 100 variants, 4 units per instrument
const SMALL_GRID = ['--grid', 'fast=5..14', '--grid', 'slow=40..85:5'];
const SMALL = {
  ...STRATEGY,
  params: {
    ...STRATEGY.params,
    fast: { mode: 'range', start: 5, stopIncl: 14, step: 1 },
    slow: { mode: 'range', start: 40, stopIncl: 85, step: 5 },
  },
};

function submitSmall(env: NodeJS.ProcessEnv, extra: string[] = []): { jobId: string; units: number } {
  return cliJson<{ jobId: string; units: number }>(
    [
      'jobs',
      'submit-backtest',
      'ma_cross',
      '--data',
      dataDir,
      ...SMALL_GRID,
      '--fee-bps',
      '5',
      '--top',
      String(TOP),
      '--unit-variants',
      '25',
      ...extra,
    ],
    env,
  );
}

async function stageBUnits(dsn: string, jobId: string): Promise<number> {
  const [r] = await query<{ n: number }>(dsn, "SELECT count(*)::int n FROM gridta.unit WHERE job_id = $1 AND stage = 'b'", [jobId]);
  return r!.n;
}

// The tests run in five lanes side by side, most of their time being spent waiting (leases, stalls,
// worker start-ups). Each lane has a database of its own on the cluster, since a worker claims any
// unit queued in its database; the tests of a lane run one after another, on what the earlier ones
// left (the schema test needs the rows of a finished job, the metrics test counts cancelled jobs).
describe.concurrent('lane A: the big job, then the schema under its rows', () => {
  const lane = fx.database('lane_a');

  describe.sequential('a backtest job over 4 instruments, two workers', () => {
    it('gives the top variants of the in-process run, bit for bit', async () => {
      const env = childEnv(lane.dsn);
      const workers = [startWorker('bt-a', env), startWorker('bt-b', env)];
      fx.workers.push(...workers);
      await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'worker_started')));
      const sub = cliJson<{ jobId: string; units: number; variants: number; instruments: number; unitVariants: number }>(
        [
          'jobs',
          'submit-backtest',
          'ma_cross',
          '--data',
          dataDir,
          ...GRID,
          '--fee-bps',
          '5',
          '--top',
          String(TOP),
          '--unit-variants',
          '60',
        ],
        env,
      );
      expect(sub).toMatchObject({ variants: 719, instruments: 4, unitVariants: 60, units: 48 });
      const st = (await waitForState(lane.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 240_000)) as unknown as {
        state: string;
        stage: string;
        stages: { stage_a: { processed: number; total: number }; stage_b: { processed: number; total: number } };
        stageA: { stage_a_variants_total: number; risk_total: number; preselect_used: boolean };
        processed: number;
        total: number;
      };
      expect(st.state, JSON.stringify(st)).toBe('completed');
      expect(st.stage).toBe('done');
      expect(st.stages).toEqual({ stage_a: { processed: 48, total: 48 }, stage_b: { processed: 4, total: 4 } });
      expect([st.processed, st.total]).toEqual([52, 52]);

      // the in-process run and the job's reports are independent of each other: made side by side
      const [mine, top, owns, text] = await Promise.all([
        inProcess('mean'),
        topOf(sub.jobId, env),
        Promise.all(INSTRUMENTS.map(([id]) => cliJsonAsync<TopJson>(['jobs', 'top', sub.jobId, '--instrument', id], env))),
        cliAsync(['jobs', 'top', sub.jobId], env),
      ]);
      expect(st.stageA).toMatchObject({ stage_a_variants_total: 719, risk_total: mine.ranking.riskTotal, preselect_used: true });
      // both workers took part, and exactly one fanned out Stage B
      const succeeded = workers.map((w) => w.logs.filter((l) => l.event === 'unit_succeeded').length);
      expect(succeeded[0]! + succeeded[1]!).toBe(52);
      expect(succeeded.every((n) => n > 0)).toBe(true);
      expect(workers.flatMap((w) => w.logs.filter((l) => l.event === 'stage_a_done'))).toHaveLength(1);

      expectTop(top, mine);
      // each instrument's own top list: its own shortlist
      for (const [i] of INSTRUMENTS.entries()) {
        const own = owns[i]!;
        expect(own.rows.map((r) => r.variant)).toEqual(mine.results[i]!.shortlist.map((s) => s.variant));
        expect(own.rows.map((r) => r.variant_key)).toEqual(mine.results[i]!.shortlist.map((s) => s.key));
      }
      // the text rendering: one report table per instrument
      expect(text.status).toBe(0);
      for (const [id] of INSTRUMENTS) expect(text.stdout).toContain(`## ${id}`);
      expect(text.stdout).toContain(mine.results[0]!.variantKey(mine.ranking.shortlist[0]!).slice(0, 12));
      // the HTTP API serves the same rows (non-finite numbers as strings, as jobs top --json writes them)
      const engine = createEngine({ threads: 1, env: 'test', jobsDsn: lane.dsn });
      const db = await openJobsDb(engine.config);
      const token = 't0ken-for-the-test';
      const api = await startApiServer({ db, host: '127.0.0.1', port: 0, token });
      try {
        const auth = { headers: { authorization: `Bearer ${token}` } };
        const viaHttp = await (await fetch(`${api.url}/jobs/${sub.jobId}/top?limit=${TOP}`, auth)).json();
        expect(viaHttp).toEqual(top);
        const own = await fetch(`${api.url}/jobs/${sub.jobId}/top?limit=3&instrument=b_ttrc`, auth);
        expect(own.status).toBe(200);
        expect(((await own.json()) as TopJson).rows.map((r) => r.variant)).toEqual(
          mine.results[1]!.shortlist.slice(0, 3).map((s) => s.variant),
        );
        const status = (await (await fetch(`${api.url}/jobs/${sub.jobId}`, auth)).json()) as { stage: string; kind: string };
        expect(status).toMatchObject({ kind: 'backtest', stage: 'done' });
        expect((await fetch(`${api.url}/jobs/${sub.jobId}/top`)).status).toBe(401);
      } finally {
        await api.close();
        await db.close();
        await engine.close();
      }
      // stored once per (list, instrument, rank)
      const [count] = await query<{ n: number }>(lane.dsn, 'SELECT count(*)::int n FROM gridta.bt_top WHERE job_id = $1', [sub.jobId]);
      expect(count!.n).toBe(TOP * 4 * 2);
      await Promise.all(workers.map((w) => stopWorker(w)));
    }, 300_000);
  });

  describe.sequential('the schema', () => {
    it('is set up once: a command connecting while a worker holds a transaction on the tables does not wait for it', async () => {
      expect(cli(['jobs', 'ls'], childEnv(lane.dsn)).status).toBe(0); // the schema exists
      const c = new pg.Client(lane.dsn);
      await c.connect();
      try {
        // a worker's completing transaction holds row locks on both tables until it commits
        await c.query('BEGIN');
        await c.query('SELECT id FROM gridta.job FOR UPDATE');
        await c.query('UPDATE gridta.unit SET releases = releases WHERE job_id IS NOT NULL');
        const t0 = Date.now();
        const listed = await cliJsonAsync<{ jobs: unknown[]; next_cursor: string | null }>(['jobs', 'ls'], childEnv(lane.dsn));
        expect(Array.isArray(listed.jobs)).toBe(true);
        expect(Date.now() - t0).toBeLessThan(15_000);
      } finally {
        await c.query('ROLLBACK').catch(() => undefined);
        await c.end();
      }
    }, 30_000);
  });
});

describe.concurrent('lane B: a race at the end of Stage A', () => {
  const lane = fx.database('lane_b');

  describe.sequential('the last two Stage A units complete at the same moment', () => {
    it('fans Stage B out exactly once', async () => {
      const barrier = join(fx.dir, 'barrier');
      mkdirSync(barrier);
      // both meet before publishing, and each completing transaction waits 500 ms after looking at the
      // other units, before it commits: without the job's row lock both would look while the other's
      // completion is uncommitted, see its unit open, and neither would fan out
      const env = childEnv(lane.dsn, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_PUBLISH_BARRIER: barrier, GRIDTA_TEST_FANOUT_DELAY_MS: '500' });
      const sub = submitSmall(childEnv(lane.dsn));
      expect(sub.units).toBe(16);
      const workers = [startWorker('race-a', env), startWorker('race-b', env)];
      fx.workers.push(...workers);
      const st = await waitForState(lane.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 60_000);
      expect(st.state).toBe('completed');
      // both held one of the two last units and met at the barrier before publishing
      const met = workers.map((w) => w.logs.filter((l) => l.event === 'fault_barrier' && l.job === sub.jobId));
      expect(met.map((m) => m.length)).toEqual([1, 1]);
      expect(met.flat().every((l) => l.met === true)).toBe(true);
      expect(new Set(met.flat().map((l) => l.unit))).toEqual(new Set([14, 15]));
      expect(workers.flatMap((w) => w.logs.filter((l) => l.event === 'stage_a_done' && l.job === sub.jobId))).toHaveLength(1);
      expect(await stageBUnits(lane.dsn, sub.jobId)).toBe(4);
      const [top, mine] = await Promise.all([topOf(sub.jobId, childEnv(lane.dsn)), inProcess('mean', SMALL)]);
      expectTop(top, mine);
      await Promise.all(workers.map((w) => stopWorker(w)));
    }, 180_000);
  });
});

describe.concurrent('lane C: killed workers', () => {
  const lane = fx.database('lane_c');

  describe.sequential('workers killed mid-Stage-A and mid-Stage-B (2 s leases)', () => {
    it('end with the same top rows', async () => {
      const lease = { GRIDTA_JOBS_LEASE_SECONDS: '2' };
      const sub = submitSmall(childEnv(lane.dsn, lease));
      // the first victim stops after the first batch of its first Stage A unit; kill it there
      const a = startWorker('victim-a', childEnv(lane.dsn, { ...lease, GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_BATCH_DELAY_MS: '60000' }));
      fx.workers.push(a);
      const claimA = await a.waitFor(
        (l) => l.event === 'unit_claimed' && l.job === sub.jobId && l.stage === 'stage_a',
        30_000,
        'a Stage A claim',
      );
      await sleep(300);
      a.child.kill('SIGKILL');
      await a.exited;
      // the second victim runs Stage A (the lost unit again once its lease expired), then stalls in Stage B; kill it there
      const b = startWorker('victim-b', childEnv(lane.dsn, { ...lease, GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_STAGE_B_STALL_MS: '60000' }));
      fx.workers.push(b);
      const claimB = await b.waitFor(
        (l) => l.event === 'unit_claimed' && l.job === sub.jobId && l.stage === 'stage_b',
        60_000,
        'a Stage B claim',
      );
      const rerun = await b.waitFor((l) => l.event === 'unit_succeeded' && l.unit === claimA.unit, 1_000, 'the lost Stage A unit re-run');
      expect(rerun.attempt).toBe(2);
      b.child.kill('SIGKILL');
      await b.exited;
      const c = startWorker('survivor', childEnv(lane.dsn, lease));
      fx.workers.push(c);
      const st = await waitForState(lane.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 120_000);
      expect(st.state).toBe('completed');
      const again = await c.waitFor((l) => l.event === 'unit_succeeded' && l.unit === claimB.unit, 1_000, 'the lost Stage B unit re-run');
      expect(again).toMatchObject({ stage: 'stage_b', attempt: 2 });
      expect(await stageBUnits(lane.dsn, sub.jobId)).toBe(4);
      const [top, mine] = await Promise.all([topOf(sub.jobId, childEnv(lane.dsn)), inProcess('mean', SMALL)]);
      expectTop(top, mine);
      await stopWorker(c);
    }, 240_000);
  });
});

describe.concurrent('lane D: cancel, then the metrics that count the cancelled jobs', () => {
  const lane = fx.database('lane_d');

  describe.sequential('cancel', () => {
    it('during Stage A: Stage B never starts; during Stage B: cancelled, no report; a later submit works', async () => {
      const env = childEnv(lane.dsn);
      // Stage A: a slow worker (a second per batch); cancel after its first unit
      const slow = startWorker('slow', childEnv(lane.dsn, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_BATCH_DELAY_MS: '1000' }));
      fx.workers.push(slow);
      const one = submitSmall(env);
      await slow.waitFor((l) => l.event === 'unit_succeeded' && l.job === one.jobId, 60_000, 'a first Stage A unit');
      const cancelled = cliJson<{ state: string; cancelOutcome: string; stage: string }>(['jobs', 'cancel', one.jobId], env);
      expect(cancelled).toMatchObject({ state: 'cancelled', cancelOutcome: 'cancelled', stage: 'stage_a' });
      await slow.waitFor((l) => l.event === 'unit_cancelled' && l.job === one.jobId, 30_000, 'the running unit stopped');
      await stopWorker(slow);

      // Stage B: a worker that stalls 4 s before each replay; cancel while it stalls
      const stall = startWorker('stall', childEnv(lane.dsn, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_STAGE_B_STALL_MS: '4000' }));
      fx.workers.push(stall);
      const two = submitSmall(env);
      await stall.waitFor((l) => l.event === 'unit_claimed' && l.job === two.jobId && l.stage === 'stage_b', 60_000, 'a Stage B claim');
      expect(cliJson<{ state: string; stage: string }>(['jobs', 'cancel', two.jobId], env)).toMatchObject({
        state: 'cancelled',
        stage: 'stage_b',
      });
      await stall.waitFor(
        (l) => l.event === 'unit_cancelled' && l.job === two.jobId && l.stage === 'stage_b',
        30_000,
        'the Stage B unit stopped',
      );
      await stopWorker(stall);

      expect(await stageBUnits(lane.dsn, one.jobId)).toBe(0);
      // the reports of both cancelled jobs, asked for side by side
      const [stOne, ...reports] = await Promise.all([
        cliJsonAsync<{ state: string; stage: string; stages: unknown }>(['jobs', 'status', one.jobId], env),
        ...[one.jobId, two.jobId].map((id) =>
          Promise.all([cliJsonAsync<TopJson>(['jobs', 'top', id], env), cliAsync(['jobs', 'top', id], env)]),
        ),
      ]);
      expect(stOne.state).toBe('cancelled');
      expect(stOne.stage).toBe('stage_a');
      for (const [top, text] of reports as [TopJson, CliResult][]) {
        expect(top).toMatchObject({ state: 'cancelled', rows: [] });
        expect(text.stdout).toContain('no report: the job has not succeeded (state cancelled)');
        expect(text.stdout).not.toContain('| rank |');
      }
      const [stored] = await query<{ n: number }>(lane.dsn, 'SELECT count(*)::int n FROM gridta.bt_top WHERE job_id = ANY($1::uuid[])', [
        [one.jobId, two.jobId],
      ]);
      expect(stored!.n).toBeLessThan(TOP * 2 * 4);

      // a later submit runs to the end
      const w = startWorker('after', env);
      fx.workers.push(w);
      const three = submitSmall(env);
      expect((await waitForState(lane.dsn, three.jobId, ['completed', 'failed', 'cancelled'], 120_000)).state).toBe('completed');
      expect(cliJson<TopJson>(['jobs', 'top', three.jobId], env).rows).toHaveLength(TOP * 4);
      await stopWorker(w);
    }, 300_000);
  });

  describe.sequential('metrics', () => {
    it('a worker serves the stage durations and the jobs by kind and state', async () => {
      const env = childEnv(lane.dsn);
      const w = startWorker('metrics', env, ['--metrics-port', '0']);
      fx.workers.push(w);
      // submitted while the worker starts: it is the only worker, and waits for nothing else
      const sub = submitSmall(env);
      const started = await w.waitFor((l) => l.event === 'worker_started');
      expect((await waitForState(lane.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 120_000)).state).toBe('completed');
      const text = await (await fetch(`http://127.0.0.1:${started.metricsPort}/metrics`)).text();
      const count = (stage: string): number =>
        Number(new RegExp(`^gridta_stage_duration_seconds_count\\{[^}]*stage="${stage}"[^}]*\\} (\\d+)$`, 'm').exec(text)?.[1] ?? -1);
      expect(count('stage_a')).toBe(16);
      expect(count('stage_b')).toBe(4);
      const completed = /^gridta_jobs_by_state\{[^}]*kind="backtest"[^}]*state="completed"[^}]*\} (\d+)$/m.exec(text);
      const [db] = await query<{ n: number }>(
        lane.dsn,
        "SELECT count(*)::int n FROM gridta.job WHERE kind = 'backtest' AND stage = 'done' AND cancelled_at IS NULL",
      );
      expect(Number(completed?.[1])).toBe(db!.n);
      const [cancelled] = await query<{ n: number }>(
        lane.dsn,
        "SELECT count(*)::int n FROM gridta.job WHERE kind = 'backtest' AND cancelled_at IS NOT NULL",
      );
      const shown = /^gridta_jobs_by_state\{[^}]*kind="backtest"[^}]*state="cancelled"[^}]*\} (\d+)$/m.exec(text);
      expect(Number(shown?.[1] ?? 0)).toBe(cancelled!.n);
      await stopWorker(w);
    }, 180_000);
  });
});

describe.concurrent('lane E: schema upgrade, validation, holdout', () => {
  const lane = fx.database('lane_e');

  describe.sequential('an older schema', () => {
    it('is brought up to date on the next connection (a column added since, the recorded version)', async () => {
      const env = childEnv(lane.dsn);
      expect(cli(['jobs', 'ls'], env).status).toBe(0);
      const [{ version }] = (await query<{ version: number }>(lane.dsn, 'SELECT version FROM gridta.meta')) as [{ version: number }];
      // as a database set up by the release before the out-of-sample columns
      await query(lane.dsn, 'ALTER TABLE gridta.bt_top DROP COLUMN oos_trades_json');
      await query(lane.dsn, 'UPDATE gridta.meta SET version = $1', [version - 1]);
      expect(cli(['jobs', 'ls'], env).status).toBe(0);
      const cols = await query<{ column_name: string }>(
        lane.dsn,
        "SELECT column_name FROM information_schema.columns WHERE table_schema = 'gridta' AND table_name = 'bt_top' AND column_name = 'oos_trades_json'",
      );
      expect(cols).toHaveLength(1);
      expect(await query(lane.dsn, 'SELECT version FROM gridta.meta')).toEqual([{ version }]);
    }, 60_000);
  });

  describe.sequential('submit-backtest validates everything before anything is enqueued', () => {
    it('refuses a bad template, option, aggregate, holdout or data file with a typed error naming it; no job row', async () => {
      const env = childEnv(lane.dsn);
      const jobs = async (): Promise<number> =>
        (await query<{ n: number }>(lane.dsn, "SELECT count(*)::int n FROM gridta.job WHERE kind = 'backtest'"))[0]!.n;
      expect(cli(['jobs', 'ls'], env).status).toBe(0);
      const before = await jobs();
      const closeOnly = join(fx.dir, 'close-only');
      mkdirSync(closeOnly);
      writeFileSync(join(closeOnly, 'x.csv'), 'ts_open,close\n0,1\n86400000,2\n172800000,3\n');
      const cases: [string[], RegExp][] = [
        [['jobs', 'submit-backtest', 'ma_crosss', '--data', dataDir], /ma_crosss/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, '--grid', 'fast=0..3'], /fast/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, '--fee-bps', '2000'], /fee-bps.*2000|2000.*fee/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, '--aggregate', 'avg'], /--aggregate.*avg/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, '--objective', 'sharp'], /sharp/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, '--out', fx.dir], /--out/],
        // fills at the next open need an open: refused for the file that lacks it
        [['jobs', 'submit-backtest', 'ma_cross', '--data', closeOnly], /open/],
        [['jobs', 'submit-backtest', 'ma_cross', '--data', join(fx.dir, 'nowhere')], /nowhere/],
      ];
      // every other case with --json: the error as JSON, with its code; the cases run side by side
      const results = await Promise.all(cases.map(([args], k) => cliAsync(k % 2 === 1 ? [...args, '--json'] : args, env)));
      for (const [k, [args, message]] of cases.entries()) {
        const json = k % 2 === 1;
        const r = results[k]!;
        expect(r.status, `${args.join(' ')}: ${r.stderr}`).not.toBe(0);
        if (json) {
          const e = JSON.parse(r.stdout || r.stderr).error;
          expect(e.code, args.join(' ')).toMatch(/^[a-z_]+$/);
          expect(JSON.stringify(e), args.join(' ')).toMatch(message);
        } else expect(r.stderr, args.join(' ')).toMatch(message);
      }
      expect(await jobs()).toBe(before);
    }, 120_000);
  });

  describe.sequential('a job with a holdout', () => {
    it("stores each top row's out-of-sample part, as the in-process replay reports it", async () => {
      const env = childEnv(lane.dsn);
      const w = startWorker('holdout', env);
      fx.workers.push(w);
      const sub = submitSmall(env, ['--holdout', '0.3']);
      expect((await waitForState(lane.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 120_000)).state).toBe('completed');
      const [mine, top, text] = await Promise.all([
        inProcess('mean', SMALL, { fraction: 0.3 }),
        topOf(sub.jobId, env),
        cliAsync(['jobs', 'top', sub.jobId], env),
      ]);
      expectTop(top, mine);
      for (const [i, [id]] of INSTRUMENTS.entries()) {
        top.rows
          .filter((r) => r.instrumentId === id)
          .forEach((row, k) => {
            const want = mine.replays[i]![k]!.out_of_sample!;
            for (const m of METRIC_NAMES) expect(Object.is(num(row.out_of_sample!.metrics[m]!), want.metrics[m]), `${id} ${m}`).toBe(true);
            expect(row.out_of_sample!.trades_json).toBe(want.trades_json);
          });
      }
      expect(text.stdout).toContain('out of sample (the holdout, its own run from flat)');
      await stopWorker(w);
    }, 180_000);
  });
});
