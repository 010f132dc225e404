/**
 * Cancel mid-job: queued units never start, the running unit stops at a batch boundary without
 * publishing, status says `cancelled` with the processed count, and a later submit works. Then a
 * graceful SIGTERM: the worker finishes its current batch, hands the unit back to the queue and
 * exits 0; another worker completes it, and the result is byte-identical to the in-process compute.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { cancelJob, openJobsDb } from '../../src/jobs/index.js';
import { resolveConfig } from '../../src/runtime/config.js';
import { createEngine } from '../../src/runtime/engine.js';
import {
  TTRC,
  childEnv,
  cliJson,
  cliJsonAsync,
  jobsFixture,
  query,
  sleep,
  startWorker,
  stopWorker,
  waitForState,
  type WorkerProcess,
} from './helpers.js';

const fx = jobsFixture('gridta-jobs-cancel-');

const SLOW = { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_BATCH_DELAY_MS: '150' };
const submit = (out: string, windows: string) =>
  cliJson<{ jobId: string; units: number }>(
    [
      'jobs',
      'submit',
      'ma.sma',
      '--data',
      TTRC,
      '--timeline',
      'sessions',
      '--grid',
      'source=close',
      '--grid',
      `window=${windows}`,
      '--out',
      out,
      '--unit-variants',
      '10',
    ],
    childEnv(fx.pgc.dsn),
  );

describe('cancel and graceful shutdown', () => {
  let slow: WorkerProcess;

  it('cancels mid-job: queued units never start, the running one stops at a batch boundary', async () => {
    const out = join(fx.dir, 'out1');
    const { jobId, units } = submit(out, '5..164');
    expect(units).toBe(16);
    // one variant per batch: ten batch boundaries per unit, 150 ms apart
    slow = startWorker('slow', childEnv(fx.pgc.dsn, SLOW), ['--batch-variants', '1']);
    fx.workers.push(slow);
    const done = (): number => slow.logs.filter((l) => l.event === 'unit_succeeded' && l.job === jobId).length;
    await slow.waitFor(() => done() >= 2, 60_000, 'two finished units');
    const running = await slow.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId && l.unit === 2, 10_000, 'the third claim');
    await sleep(200);

    const db = await openJobsDb(resolveConfig({ env: 'test', jobsDsn: fx.pgc.dsn }));
    let st: Awaited<ReturnType<typeof cancelJob>>;
    try {
      st = await cancelJob(db, jobId);
    } finally {
      await db.close();
    }
    expect(st.state).toBe('cancelled');
    const stopped = await slow.waitFor((l) => l.event === 'unit_cancelled' && l.job === jobId, 10_000, 'the running unit to stop');
    expect(stopped.unit).toBe(running.unit);
    expect(stopped.batchesDone as number, 'stopped at a batch boundary before its last batch').toBeLessThan(10);
    expect(stopped.batchesDone as number).toBeGreaterThanOrEqual(1);

    await sleep(1_000); // time for a (wrong) further claim
    const final = await cliJsonAsync<{
      state: string;
      processed: number;
      total: number;
      cancelled: number;
      queued: number;
      active: number;
      attempts: number;
    }>(['jobs', 'status', jobId], childEnv(fx.pgc.dsn));
    expect(final).toMatchObject({ state: 'cancelled', processed: 2, total: 16, cancelled: 14, queued: 0, active: 0, attempts: 3 });
    const claims = slow.logs.filter((l) => l.event === 'unit_claimed' && l.job === jobId).map((l) => l.unit);
    expect(claims).toEqual([0, 1, 2]);
    const rows = await query<{ idx: number; attempts: number; completions: number; state: string; boss: string }>(
      fx.pgc.dsn,
      'SELECT u.idx, u.attempts, u.completions, u.state, j.state::text boss FROM gridta.unit u JOIN gridta_boss.job j ON j.id = u.boss_id WHERE u.job_id = $1 ORDER BY u.idx',
      [jobId],
    );
    expect(rows.slice(0, 2).every((r) => r.completions === 1 && r.boss === 'completed')).toBe(true);
    expect(rows[2]).toMatchObject({ attempts: 1, completions: 0, state: 'cancelled', boss: 'cancelled' });
    for (const r of rows.slice(3))
      expect(r, `unit ${r.idx} never started`).toMatchObject({ attempts: 0, completions: 0, state: 'cancelled', boss: 'cancelled' });
    expect(
      readdirSync(out).filter((n) => n.endsWith('.arrow')),
      'only the two finished units were published',
    ).toHaveLength(2);
  }, 120_000);

  it('takes a later submit, and on SIGTERM finishes the batch, hands the unit back and exits 0', async () => {
    const out = join(fx.dir, 'out2');
    const { jobId, units } = submit(out, '5..44');
    expect(units).toBe(4);
    const claim = await slow.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId, 30_000, 'a claim of the new job');
    await sleep(300);
    slow.child.kill('SIGTERM');
    expect(await slow.exited).toBe(0);
    const released = slow.logs.find((l) => l.event === 'unit_released');
    expect(released).toMatchObject({ job: jobId, unit: claim.unit, attempt: 1 });
    expect(released!.batchesDone as number).toBeLessThan(10);
    expect(slow.logs.at(-1)).toMatchObject({ event: 'worker_stopped', released: 1 });
    const [row] = await query<{ attempts: number; releases: number; completions: number; state: string; boss: string }>(
      fx.pgc.dsn,
      'SELECT u.attempts, u.releases, u.completions, u.state, j.state::text boss FROM gridta.unit u JOIN gridta_boss.job j ON j.id = u.boss_id WHERE u.job_id = $1 AND u.idx = $2',
      [jobId, claim.unit],
    );
    expect(row).toEqual({ attempts: 1, releases: 1, completions: 0, state: 'queued', boss: 'retry' });

    const fast = startWorker('fast', childEnv(fx.pgc.dsn));
    fx.workers.push(fast);
    const st = await waitForState(fx.pgc.dsn, jobId, ['completed', 'failed'], 60_000);
    expect(st).toMatchObject({ state: 'completed', processed: 4, total: 4 });
    const again = await fast.waitFor(
      (l) => l.event === 'unit_succeeded' && l.unit === claim.unit && l.job === jobId,
      1_000,
      'the handed-back unit',
    );
    expect(again.attempt).toBe(2);

    const collected = join(fx.dir, 'collected.arrow');
    cliJson(['jobs', 'collect', jobId, '--out', collected], childEnv(fx.pgc.dsn));
    const engine = createEngine({ threads: 1, env: 'test' });
    try {
      const candles = await loadCandlesFile(TTRC, { instrumentId: 'ttrc', timeline: 'sessions' });
      const tensor = await engine.compute({
        candles,
        grid: { indicatorId: 'ma.sma', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 44, step: 1 } } },
      });
      expect(
        Buffer.compare(readFileSync(collected), Buffer.from(tensor.toArrowIPC({ format: 'file' }))),
        'collected bytes equal the in-process Arrow file',
      ).toBe(0);
    } finally {
      await engine.close();
    }
    // the cancelled job's queued units were never picked up by the new worker either
    const [left] = await query<{ n: string }>(
      fx.pgc.dsn,
      "SELECT count(*) n FROM gridta.unit u JOIN gridta.job g ON g.id = u.job_id WHERE g.cancelled_at IS NOT NULL AND u.attempts > 0 AND u.last_worker = 'fast'",
    );
    expect(Number(left!.n)).toBe(0);
    expect(await stopWorker(fast)).toBe(0);
  }, 120_000);
});
