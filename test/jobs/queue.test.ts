/**
 * Jobs on a real PostgreSQL (issue #8): two `gridta worker` processes share a 40-unit job over two
 * instruments; the collected Arrow files are byte-identical to the in-process compute of the same
 * grid, every unit was completed exactly once, status, ls and the Prometheus metrics agree. Bad input
 * (an unreachable DSN, a missing data file, an unknown indicator, a bad axis) is a typed error naming
 * the value, raised before anything is enqueued.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { createEngine } from '../../src/runtime/engine.js';
import {
  TTRC,
  childEnv,
  cli,
  cliAsync,
  cliJson,
  jobsFixture,
  query,
  startWorker,
  stopWorker,
  ttrcTail,
  waitForState,
  type WorkerProcess,
} from './helpers.js';

const GRID = ['--grid', 'mult=1.5..2.5:0.5', '--grid', 'source=close,hlc3', '--grid', 'window=10..29'];
const GRID_SPEC = {
  indicatorId: 'volatility.bbands',
  source: ['close', 'hlc3'],
  params: { mult: { mode: 'range', start: 1.5, stopIncl: 2.5, step: 0.5 }, window: { mode: 'range', start: 10, stopIncl: 29, step: 1 } },
} as const;

const fx = jobsFixture('gridta-jobs-queue-');
let dataDir: string;

beforeAll(() => {
  dataDir = join(fx.dir, 'data');
  mkdirSync(dataDir);
  copyFileSync(TTRC, join(dataDir, 'ttrc.csv'));
  writeFileSync(join(dataDir, 'ttrc_tail.csv'), ttrcTail(2000));
});

/** In-process compute of the job's grid on one file, exported as the Arrow IPC file `gridta compute` writes. */
async function inProcess(file: string, instrumentId: string): Promise<Uint8Array> {
  const engine = createEngine({ threads: 1, env: 'test' });
  try {
    const candles = await loadCandlesFile(file, { instrumentId, timeline: 'sessions' });
    const tensor = await engine.compute({ candles, grid: GRID_SPEC as never });
    return tensor.toArrowIPC({ format: 'file' });
  } finally {
    await engine.close();
  }
}

/** `name{labels} value` lines of a Prometheus text page, by metric name (labels ignored, values summed). */
function metricValues(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.e+-]+|NaN)$/.exec(line);
    if (m) out.set(m[1]!, (out.get(m[1]!) ?? 0) + Number(m[2]));
  }
  return out;
}

describe('two workers share a job of 40 units', () => {
  let jobId: string;
  let a: WorkerProcess;
  let b: WorkerProcess;

  it('collects a result byte-identical to the in-process compute, every unit completed exactly once', async () => {
    const env = childEnv(fx.pgc.dsn, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_BATCH_DELAY_MS: '5' });
    a = startWorker('worker-a', env, ['--metrics-port', '0']);
    b = startWorker('worker-b', env, ['--concurrency', '2']); // two slots sharing one engine
    fx.workers.push(a, b);
    await Promise.all([a.waitFor((l) => l.event === 'worker_started'), b.waitFor((l) => l.event === 'worker_started')]);

    const out = join(fx.dir, 'out');
    const res = cliJson<{ jobId: string; units: number; variants: number; instruments: number; unitVariants: number }>(
      ['jobs', 'submit', 'volatility.bbands', '--data', dataDir, '--timeline', 'sessions', ...GRID, '--out', out, '--unit-variants', '6'],
      childEnv(fx.pgc.dsn),
    );
    jobId = res.jobId;
    expect(res).toMatchObject({ instruments: 2, variants: 120, unitVariants: 6, units: 40 });

    const st = await waitForState(fx.pgc.dsn, jobId, ['completed', 'failed'], 90_000);
    expect(st).toMatchObject({ state: 'completed', processed: 40, total: 40, failed: 0, cancelled: 0, attempts: 40 });
    expect(st.rate, 'a rate once units finished').toBeGreaterThan(0);

    const units = await query<{ idx: number; attempts: number; completions: number; last_worker: string; state: string }>(
      fx.pgc.dsn,
      'SELECT idx, attempts, completions, last_worker, state FROM gridta.unit WHERE job_id = $1 ORDER BY idx',
      [jobId],
    );
    expect(units).toHaveLength(40);
    for (const u of units) expect(u, `unit ${u.idx}`).toMatchObject({ attempts: 1, completions: 1, state: 'done' });
    const boss = await query<{ state: string; retry_count: number }>(
      fx.pgc.dsn,
      'SELECT j.state, j.retry_count FROM gridta_boss.job j JOIN gridta.unit u ON u.boss_id = j.id WHERE u.job_id = $1',
      [jobId],
    );
    expect(boss).toHaveLength(40);
    expect(
      boss.every((r) => r.state === 'completed' && r.retry_count === 0),
      JSON.stringify(boss.filter((r) => r.state !== 'completed')),
    ).toBe(true);
    const byWorker = new Map<string, number>();
    for (const u of units) byWorker.set(u.last_worker, (byWorker.get(u.last_worker) ?? 0) + 1);
    expect(byWorker.get('worker-a'), 'worker-a took part').toBeGreaterThan(0);
    expect(byWorker.get('worker-b'), 'worker-b took part').toBeGreaterThan(0);
    const succeeded = [...a.logs, ...b.logs].filter((l) => l.event === 'unit_succeeded' && l.job === jobId);
    expect(succeeded.map((l) => l.unit).sort((x, y) => (x as number) - (y as number))).toEqual(units.map((u) => u.idx));
    for (const l of succeeded) expect(l).toMatchObject({ job: jobId, attempt: 1, worker: expect.stringMatching(/^worker-[ab]$/) });

    // collect: one Arrow file per instrument, byte-identical to the in-process export
    const collected = join(fx.dir, 'collected');
    const c = cliJson<{ files: { instrumentId: string; file: string; variants: number }[] }>(
      ['jobs', 'collect', jobId, '--out', collected],
      childEnv(fx.pgc.dsn),
    );
    expect(c.files.map((f) => f.instrumentId)).toEqual(['ttrc', 'ttrc_tail']);
    for (const f of c.files) {
      const want = await inProcess(join(dataDir, `${f.instrumentId}.csv`), f.instrumentId);
      const got = readFileSync(f.file);
      expect(got.length, `${f.instrumentId}: size`).toBe(want.length);
      expect(Buffer.compare(got, Buffer.from(want)), `${f.instrumentId}: collected bytes equal the in-process Arrow file`).toBe(0);
    }
  }, 120_000);

  it('reports the job in status, ls and the worker metrics', async () => {
    const st = cli(['jobs', 'status', jobId], childEnv(fx.pgc.dsn));
    expect(st.status).toBe(0);
    expect(st.stdout).toContain(`job ${jobId}  completed`);
    expect(st.stdout).toMatch(/units\s+40\/40 processed/);
    const ls = cli(['jobs', 'ls'], childEnv(fx.pgc.dsn));
    expect(ls.stdout).toMatch(new RegExp(`${jobId}\\s+completed\\s+40/40`));

    const started = await a.waitFor((l) => l.event === 'worker_started');
    const port = started.metricsPort as number;
    expect(port).toBeGreaterThan(0);
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const m = metricValues(text);
    const mine = (
      await query<{ n: string }>(fx.pgc.dsn, "SELECT count(*) n FROM gridta.unit WHERE job_id = $1 AND last_worker = 'worker-a'", [jobId])
    )[0]!.n;
    expect(m.get('gridta_units_succeeded_total'), text).toBe(Number(mine));
    expect(m.get('gridta_units_claimed_total')).toBe(Number(mine));
    expect(m.get('gridta_unit_duration_seconds_count')).toBe(Number(mine));
    expect(m.get('gridta_batch_duration_seconds_count')).toBeGreaterThanOrEqual(Number(mine));
    for (const name of [
      'gridta_units_failed_total',
      'gridta_units_cancelled_total',
      'gridta_units_lease_lost_total',
      'gridta_units_in_flight',
    ])
      expect(m.get(name), name).toBe(0);
    expect(text).toMatch(/^gridta_queue_seconds_count\{worker="worker-a",op="claim"\} [1-9]/m);
    expect(text).toMatch(/^gridta_queue_seconds_count\{worker="worker-a",op="complete"\} [1-9]/m);
  }, 30_000);

  it('stops both workers gracefully with their totals logged', async () => {
    expect(await stopWorker(a)).toBe(0);
    expect(await stopWorker(b)).toBe(0);
    const total = [a, b].map((w) => w.logs.find((l) => l.event === 'worker_stopped')!.succeeded as number);
    expect(total[0]! + total[1]!).toBe(40);
  }, 30_000);
});

// the refusals are independent of each other (none changes the counts the others compare): side by side
describe.concurrent('bad input is refused before anything is enqueued', () => {
  beforeAll(() => {
    // the schema exists once any jobs command has connected
    expect(cli(['jobs', 'ls'], childEnv(fx.pgc.dsn)).status).toBe(0);
  });
  const counts = async (): Promise<[number, number]> => {
    const [j] = await query<{ n: string }>(fx.pgc.dsn, 'SELECT count(*) n FROM gridta.job');
    const [q] = await query<{ n: string }>(fx.pgc.dsn, "SELECT count(*) n FROM gridta_boss.job WHERE name = 'gridta-units'");
    return [Number(j!.n), Number(q!.n)];
  };
  const submit = (args: string[], dsn: string | null = fx.pgc.dsn) =>
    cliAsync(['jobs', 'submit', ...args, '--out', join(fx.dir, 'bad-out'), '--json'], childEnv(dsn));

  it('names an unreachable DSN (without its password) as jobs_unavailable', async () => {
    const port = await new Promise<number>((ok) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => ok(p));
      });
    });
    const r = await submit(['ma.ema', '--data', TTRC, '--grid', 'window=5..10'], `postgres://gridta:hunter2@127.0.0.1:${port}/postgres`);
    expect(r.status).toBe(1);
    const e = JSON.parse(r.stdout).error;
    expect(e.code).toBe('jobs_unavailable');
    expect(e.details.dsn).toBe(`postgres://gridta:***@127.0.0.1:${port}/postgres`);
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(r.stdout + r.stderr).not.toContain('hunter2');
  }, 30_000);

  it('names a missing data file as job_input_invalid', async () => {
    const before = await counts();
    const missing = join(fx.dir, 'nope', 'BTCUSDT.csv');
    const r = await submit(['ma.ema', '--data', missing, '--grid', 'window=5..10']);
    expect(r.status).toBe(3);
    const e = JSON.parse(r.stdout).error;
    expect(e).toMatchObject({ code: 'job_input_invalid', details: { field: 'data', reason: 'not_found', value: missing } });
    expect(e.message).toContain(missing);
    expect(await counts()).toEqual(before);
  }, 30_000);

  it('names an unknown indicator as unknown_indicator', async () => {
    const before = await counts();
    const r = await submit(['ma.nope', '--data', TTRC, '--grid', 'window=5..10']);
    expect(r.status).toBe(3);
    const e = JSON.parse(r.stdout).error;
    expect(e).toMatchObject({ code: 'unknown_indicator', details: { indicatorId: 'ma.nope' } });
    expect(await counts()).toEqual(before);
  }, 30_000);

  it('names a bad axis as grid_invalid', async () => {
    const before = await counts();
    const r = await submit(['ma.ema', '--data', TTRC, '--grid', 'window=1..10']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({
      code: 'grid_invalid',
      details: { field: 'params.window.start', reason: 'below_min', value: 1 },
    });
    expect(await counts()).toEqual(before);
  }, 30_000);

  it('names a malformed candle file as candles_invalid', async () => {
    const before = await counts();
    const bad = join(fx.dir, 'bad.csv');
    writeFileSync(bad, 'ts_open,open,high,low,close,volume\n60000,1,2,0.5,oops,10\n120000,1,2,0.5,1,10\n');
    const r = await submit(['ma.ema', '--data', bad, '--grid', 'window=5..10', '--timeframe', '1m']);
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'candles_invalid', details: { field: 'close', line: 2, value: 'oops' } });
    expect(await counts()).toEqual(before);
  }, 30_000);

  it('asks for a DSN when none is configured', async () => {
    const r = await cliAsync(['jobs', 'ls', '--json'], childEnv(null));
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'config_invalid', details: { key: 'jobsDsn', value: null } });
  }, 30_000);

  it('reports an unknown job id as job_not_found', async () => {
    const r = await cliAsync(['jobs', 'status', '00000000-0000-4000-8000-000000000000', '--json'], childEnv(fx.pgc.dsn));
    expect(r.status).toBe(3);
    expect(JSON.parse(r.stdout).error).toMatchObject({ code: 'job_not_found', details: { jobId: '00000000-0000-4000-8000-000000000000' } });
  }, 30_000);
});

describe('a unit that keeps failing', () => {
  it('is retried retry_limit times, then the job is failed and status shows the last error', async () => {
    const file = join(fx.dir, 'moving.csv');
    copyFileSync(TTRC, file);
    const res = cliJson<{ jobId: string; units: number }>(
      [
        'jobs',
        'submit',
        'ma.ema',
        '--data',
        file,
        '--timeline',
        'sessions',
        '--grid',
        'window=5..12',
        '--grid',
        'source=close',
        '--out',
        join(fx.dir, 'out-fail'),
        '--retry-limit',
        '1',
      ],
      childEnv(fx.pgc.dsn),
    );
    expect(res.units).toBe(1);
    writeFileSync(file, `${readFileSync(file, 'utf8')}2000000000000,1,1,1,1,1\n`); // the data changes after the submit
    const w = startWorker('stubborn', childEnv(fx.pgc.dsn));
    fx.workers.push(w);
    const st = await waitForState(fx.pgc.dsn, res.jobId, ['failed', 'completed'], 60_000);
    expect(st).toMatchObject({ state: 'failed', processed: 0, failed: 1, queued: 0, attempts: 2 });
    expect(st.failures).toEqual([
      {
        unit: 0,
        stage: 'grid',
        instrumentId: 'moving',
        variants: [0, 8],
        attempts: 2,
        state: 'failed',
        error: expect.stringMatching(/^job_input_invalid: data: the file changed since the job was submitted \(sha256 [0-9a-f]{64}\)/),
      },
    ]);
    const fails = w.logs.filter((l) => l.event === 'unit_failed');
    expect(fails.map((l) => [l.attempt, l.willRetry])).toEqual([
      [1, true],
      [2, false],
    ]);
    const text = cli(['jobs', 'status', res.jobId], childEnv(fx.pgc.dsn)).stdout;
    expect(text).toContain(`job ${res.jobId}  failed`);
    expect(text).toMatch(/failure\s+unit 0 \(moving variants 0\.\.7, 2 attempts, failed\): job_input_invalid: data: the file changed/);
    expect(await stopWorker(w)).toBe(0);
  }, 60_000);
});

describe('jobs.enabled: false', () => {
  it('makes gridta worker log that it is disabled and exit 0 (no database needed)', async () => {
    const w = startWorker('disabled', childEnv(null, { GRIDTA_JOBS_ENABLED: 'false' }));
    expect(await w.exited).toBe(0);
    expect(w.logs.map((l) => l.event)).toEqual(['worker_disabled']);
    expect(w.logs[0]).toMatchObject({ level: 'info', worker: 'disabled', reason: expect.stringContaining('env:GRIDTA_JOBS_ENABLED') });
  }, 30_000);
});
