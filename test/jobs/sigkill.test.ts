/**
 * Lost leases. A worker killed with SIGKILL in the middle of a unit (half of its temporary file
 * written): after the 2 s lease expires, the unit goes to the other worker, which re-runs it;
 * the collected result is still byte-identical to the in-process compute, the unit was attempted twice
 * and completed once, and no partial or foreign file was ever visible in `--out` (sampled every 20 ms
 * throughout). A worker that is alive but outlives its lease publishes nothing and completes nothing.
 * The job's lease (`--lease-seconds` at submit) decides when a unit is re-run, whatever the workers'
 * own `lease_seconds`, and an expired lease is recorded as the unit's failure with worker and time.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { unitOfTable } from '../../src/jobs/arrow.js';
import { createEngine } from '../../src/runtime/engine.js';
import { TTRC, childEnv, cliJsonAsync, jobsFixture, query, sleep, startWorker, stopWorker, waitForState } from './helpers.js';

const fx = jobsFixture('gridta-jobs-kill-');

describe.concurrent('lost leases', () => {
  // the tests run side by side (they mostly wait for leases and stalls), each on a database of its
  // own: a worker claims any unit queued in its database
  const rerunDb = fx.database('rerun');
  const stalledDb = fx.database('stalled');
  const jobLeaseDb = fx.database('job_lease');
  const expiredDb = fx.database('expired');
  it('loses the unit to the other worker after the lease, with a byte-identical result and no partial file in --out', async () => {
    const out = join(fx.dir, 'out');
    const lease = { GRIDTA_JOBS_LEASE_SECONDS: '2' };
    const sub = await cliJsonAsync<{ jobId: string; units: number }>(
      [
        'jobs',
        'submit',
        'momentum.rsi',
        '--data',
        TTRC,
        '--timeline',
        'sessions',
        '--grid',
        'source=close,hlc3,ohlc4',
        '--grid',
        'window=5..40',
        '--out',
        out,
        '--unit-variants',
        '9',
      ],
      childEnv(rerunDb.dsn, lease),
    );
    expect(sub.units).toBe(12);
    const jobId = sub.jobId;

    // every file visible in --out must be a complete unit file of this job, whenever we look
    const problems: string[] = [];
    const seen = new Map<string, number>();
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const name of existsSync(out) ? readdirSync(out) : []) {
          if (name === '.tmp') continue;
          const file = join(out, name);
          const known = seen.get(name);
          if (known !== undefined) {
            // a published file never changes
            if (statSync(file).size !== known) problems.push(`${name}: changed size after it appeared`);
            continue;
          }
          let ok = false;
          try {
            const bytes = readFileSync(file);
            const unit = unitOfTable(tableFromIPC(bytes));
            ok = unit !== null && unit.jobId === jobId && name.endsWith(`.v${unit.start}-${unit.end}.arrow`);
            if (ok) seen.set(name, bytes.length);
          } catch (e) {
            problems.push(`${name}: ${(e as Error).message}`);
          }
          if (!ok) problems.push(`${name}: not a complete unit file of job ${jobId}`);
        }
        await sleep(20);
      }
    })();

    // worker A stalls halfway through writing its first unit's temporary file; kill it there
    const a = startWorker('victim', childEnv(rerunDb.dsn, { ...lease, GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_UNIT_STALL_MS: '60000' }));
    fx.workers.push(a);
    const claim = await a.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId, 30_000, 'the first claim');
    const tmpDir = join(out, '.tmp');
    const t0 = Date.now();
    while (!(existsSync(tmpDir) && readdirSync(tmpDir).some((n) => n.includes('.victim.a1.tmp')))) {
      if (Date.now() - t0 > 20_000) throw new Error('the victim never started its temporary file');
      await sleep(20);
    }
    await sleep(100);
    a.child.kill('SIGKILL');
    await a.exited;
    expect(
      a.logs.some((l) => l.event === 'unit_succeeded'),
      'the victim finished nothing',
    ).toBe(false);
    const partial = readdirSync(tmpDir).find((n) => n.includes('.victim.a1.tmp'))!;
    expect(partial, 'a partial temporary file was left behind').toBeDefined();

    // worker B does everything, including the victim's unit once its lease has expired
    const b = startWorker('survivor', childEnv(rerunDb.dsn, lease));
    fx.workers.push(b);
    const st = await waitForState(rerunDb.dsn, jobId, ['completed', 'failed'], 60_000);
    sampling = false;
    await sampler;
    expect(st).toMatchObject({ state: 'completed', processed: 12, total: 12, failed: 0, attempts: 13 });

    const rerun = await b.waitFor((l) => l.event === 'unit_succeeded' && l.unit === claim.unit, 1_000, 'the re-run');
    expect(rerun).toMatchObject({ job: jobId, attempt: 2, worker: 'survivor' });
    const [u] = await query<{ attempts: number; completions: number; last_worker: string; retry_count: number; state: string }>(
      rerunDb.dsn,
      'SELECT u.attempts, u.completions, u.last_worker, j.retry_count, j.state FROM gridta.unit u JOIN gridta_boss.job j ON j.id = u.boss_id WHERE u.job_id = $1 AND u.idx = $2',
      [jobId, claim.unit],
    );
    expect(u).toEqual({ attempts: 2, completions: 1, last_worker: 'survivor', retry_count: 1, state: 'completed' });
    const others = await query<{ n: string }>(
      rerunDb.dsn,
      'SELECT count(*) n FROM gridta.unit WHERE job_id = $1 AND (attempts <> 1 OR completions <> 1) AND idx <> $2',
      [jobId, claim.unit],
    );
    expect(Number(others[0]!.n), 'every other unit ran once').toBe(0);

    expect(problems, 'no partial or foreign file was ever visible in --out').toEqual([]);
    expect(seen.size, 'the sampler saw every unit file appear').toBe(12);
    expect(readdirSync(out).filter((n) => n !== '.tmp')).toHaveLength(12);
    expect(existsSync(join(tmpDir, partial)), "the survivor removed the victim's partial temporary file").toBe(false);

    const collected = join(fx.dir, 'collected.arrow');
    await cliJsonAsync(['jobs', 'collect', jobId, '--out', collected], childEnv(rerunDb.dsn));
    const engine = createEngine({ threads: 1, env: 'test' });
    try {
      const candles = await loadCandlesFile(TTRC, { instrumentId: 'ttrc', timeline: 'sessions' });
      const tensor = await engine.compute({
        candles,
        grid: {
          indicatorId: 'momentum.rsi',
          source: ['close', 'hlc3', 'ohlc4'],
          params: { window: { mode: 'range', start: 5, stopIncl: 40, step: 1 } },
        },
      });
      expect(
        Buffer.compare(readFileSync(collected), Buffer.from(tensor.toArrowIPC({ format: 'file' }))),
        'collected bytes equal the in-process Arrow file',
      ).toBe(0);
    } finally {
      await engine.close();
    }
    expect(await stopWorker(b)).toBe(0);
  }, 120_000);

  it('stops a worker that outlived its lease: it publishes nothing and never completes the unit', async () => {
    const out = join(fx.dir, 'out-stalled');
    const lease = { GRIDTA_JOBS_LEASE_SECONDS: '2' };
    const { jobId } = await cliJsonAsync<{ jobId: string }>(
      [
        'jobs',
        'submit',
        'ma.ema',
        '--data',
        TTRC,
        '--timeline',
        'sessions',
        '--grid',
        'source=close',
        '--grid',
        'window=5..24',
        '--out',
        out,
      ],
      childEnv(stalledDb.dsn, lease),
    );
    // alive but too slow: it stalls 5 s in the middle of writing, well past its 2 s lease
    const slow = startWorker('stalled', childEnv(stalledDb.dsn, { ...lease, GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_UNIT_STALL_MS: '5000' }));
    fx.workers.push(slow);
    await slow.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId, 30_000, 'the claim');
    const other = startWorker('other', childEnv(stalledDb.dsn, lease));
    fx.workers.push(other);
    const lost = await slow.waitFor((l) => l.event === 'unit_lease_lost' && l.job === jobId, 30_000, 'the lost lease');
    expect(lost).toMatchObject({ unit: 0, attempt: 1, level: 'warn' });
    await waitForState(stalledDb.dsn, jobId, ['completed'], 30_000);
    expect(
      slow.logs.some((l) => l.event === 'unit_succeeded'),
      'the stalled worker completed nothing',
    ).toBe(false);
    expect(other.logs.find((l) => l.event === 'unit_succeeded' && l.job === jobId)).toMatchObject({ unit: 0, attempt: 2 });
    const [u] = await query<{ attempts: number; completions: number; last_worker: string }>(
      stalledDb.dsn,
      'SELECT attempts, completions, last_worker FROM gridta.unit WHERE job_id = $1',
      [jobId],
    );
    expect(u).toEqual({ attempts: 2, completions: 1, last_worker: 'other' });
    expect(readdirSync(join(out, '.tmp')), 'no temporary file left').toEqual([]);
    const files = readdirSync(out).filter((n) => n !== '.tmp');
    expect(files).toEqual([`${jobId}.i0-ttrc.v0-20.arrow`]);
    expect(await stopWorker(slow)).toBe(0);
    expect(await stopWorker(other)).toBe(0);
  }, 60_000);

  it("re-runs a dead worker's unit after the job's lease, not the workers' own, and records why", async () => {
    const out = join(fx.dir, 'out-job-lease');
    // the job's lease is 3 s; the workers keep the test config's 900 s
    const { jobId, units } = await cliJsonAsync<{ jobId: string; units: number }>(
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
        'window=5..24',
        '--unit-variants',
        '10',
        '--lease-seconds',
        '3',
        '--retry-limit',
        '1',
        '--out',
        out,
      ],
      childEnv(jobLeaseDb.dsn),
    );
    expect(units).toBe(2);
    const a = startWorker('dead', childEnv(jobLeaseDb.dsn, { GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_UNIT_STALL_MS: '60000' }));
    fx.workers.push(a);
    const claim = await a.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId, 30_000, 'the first claim');
    await sleep(300);
    a.child.kill('SIGKILL');
    await a.exited;
    const b = startWorker('alive', childEnv(jobLeaseDb.dsn));
    fx.workers.push(b);
    const rerun = await b.waitFor(
      (l) => l.event === 'unit_claimed' && l.job === jobId && l.unit === claim.unit,
      20_000,
      'the re-run of the dead unit',
    );
    const after = (Date.parse(rerun.ts) - Date.parse(claim.ts)) / 1000;
    expect(after, 'seconds from the first claim to the re-run').toBeGreaterThanOrEqual(3);
    expect(after, 'seconds from the first claim to the re-run').toBeLessThan(7);
    expect(rerun.attempt).toBe(2);
    const st = await waitForState(jobLeaseDb.dsn, jobId, ['completed', 'failed'], 30_000);
    expect(st).toMatchObject({ state: 'completed', processed: 2, failed: 0 });
    const [u] = await query<{ state: string; failures: number; last_error: string; attempts: number }>(
      jobLeaseDb.dsn,
      'SELECT state, failures, last_error, attempts FROM gridta.unit WHERE job_id = $1 AND idx = $2',
      [jobId, claim.unit],
    );
    expect(u).toMatchObject({ state: 'done', failures: 1, attempts: 2 });
    expect(u!.last_error).toMatch(
      /^lease_expired: worker dead did not finish attempt 1 within the job's 3 s lease \(claimed 20\S+Z, expired 20\S+Z\)/,
    );
    expect(await stopWorker(b)).toBe(0);
  }, 60_000);

  it('fails a unit whose lease expired on its last attempt, with the reason in status and gridta.unit', async () => {
    const out = join(fx.dir, 'out-expired');
    const lease = { GRIDTA_JOBS_LEASE_SECONDS: '2' };
    const { jobId } = await cliJsonAsync<{ jobId: string }>(
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
        'window=5..14',
        '--retry-limit',
        '0',
        '--out',
        out,
      ],
      childEnv(expiredDb.dsn, lease),
    );
    // alive but stalled far past its lease; nothing else runs the unit
    const w = startWorker('stuck', childEnv(expiredDb.dsn, { ...lease, GRIDTA_TEST_FAULTS: '1', GRIDTA_TEST_UNIT_STALL_MS: '8000' }));
    fx.workers.push(w);
    await w.waitFor((l) => l.event === 'unit_claimed' && l.job === jobId, 30_000, 'the claim');
    const st = (await waitForState(expiredDb.dsn, jobId, ['failed', 'completed'], 30_000)) as unknown as {
      state: string;
      failed: number;
      failures: { unit: number; state: string; attempts: number; error: string }[];
    };
    expect(st).toMatchObject({ state: 'failed', failed: 1 });
    expect(st.failures).toHaveLength(1);
    expect(st.failures[0]).toMatchObject({ unit: 0, state: 'failed', attempts: 1 });
    expect(st.failures[0]!.error).toMatch(
      /^lease_expired: worker stuck did not finish attempt 1 within the job's 2 s lease \(claimed \S+, expired \S+\); no retries left$/,
    );
    const [u] = await query<{ state: string; failures: number }>(
      expiredDb.dsn,
      'SELECT state, failures FROM gridta.unit WHERE job_id = $1',
      [jobId],
    );
    expect(u).toEqual({ state: 'failed', failures: 1 });
    await w.waitFor((l) => l.event === 'unit_lease_lost' && l.job === jobId, 15_000, 'the stalled worker to notice');
    expect(await stopWorker(w)).toBe(0);
  }, 60_000);
});
