/**
 * The worker loop. Each of `concurrency` slots claims one unit at a time from pg-boss (its lease is
 * the job's `expireInSeconds`), computes it with the local engine in batches of variants, and at
 * every batch boundary checks that it still owns the unit and that the job was not cancelled. The
 * result is written to a temporary file under `<out>/.tmp/` and published by renaming it to its
 * content-key name inside the transaction that, holding the pg-boss row lock, verifies ownership once
 * more and completes the unit — so a worker that lost its lease never publishes nor completes.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { loadCandlesFile } from '../arrow/candles.js';
import type { Candles } from '../candles/index.js';
import { GridtaError, JobInputError } from '../errors.js';
import { registry } from '../registry/index.js';
import type { IndicatorDef } from '../registry/types.js';
import type { Engine } from '../runtime/engine.js';
import { checkKnownOptions } from '../runtime/config.js';
import { keyList } from '../options.js';
import { unitToIPC } from './arrow.js';
import type { WorkerMetrics } from './metrics.js';
import { QUEUE, onClient, transaction, type JobSpec, type JobsDb } from './store.js';
import { computeUnitValues } from './compute.js';
import { ensureWritableDir, writeFully } from './dirs.js';
import { TEMP_DIR } from './units.js';

export type LogFields = Record<string, unknown>;
export type Logger = (level: 'info' | 'warn' | 'error', event: string, fields?: LogFields) => void;

/** Test-only slow-downs (honoured only with GRIDTA_TEST_FAULTS=1). */
export interface WorkerFaults {
  /** Sleep this long halfway through writing each unit's temporary file. */
  readonly stallMs?: number;
  /** Sleep this long after each batch. */
  readonly batchDelayMs?: number;
}

export interface WorkerOptions {
  readonly engine: Engine;
  readonly db: JobsDb;
  readonly workerId: string;
  readonly concurrency: number;
  readonly pollIntervalMs: number;
  readonly metrics: WorkerMetrics;
  readonly log: Logger;
  /** Variants per batch of a unit; `auto`: a quarter of the unit (at least 1). */
  readonly batchVariants?: number | 'auto';
  /** How often this worker looks for units whose job's lease has expired (default 1000 ms). */
  readonly expirySweepMs?: number;
  readonly faults?: WorkerFaults;
}

export interface RunningWorker {
  /** Resolves when every slot has stopped (after `stop()`). */
  readonly done: Promise<void>;
  /** Graceful stop: claim nothing more, finish the current batch of each unit, hand the rest back. */
  stop(): void;
  readonly stopping: boolean;
}

type StopReason = 'lease_lost' | 'cancelled' | 'released';
class UnitStopped extends Error {
  constructor(readonly reason: StopReason, readonly batchesDone: number) {
    super(reason);
  }
}

interface JobInfo { spec: JobSpec; out: string; def: IndicatorDef }
interface UnitRow { job_id: string; idx: number; instrument: number; v_start: number; v_end: number; file: string }
type Claimed = PgBoss.JobWithMetadata<{ job: string; unit: number }>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorText = (e: unknown): string => (e instanceof GridtaError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e));

/** The keys of WorkerOptions and WorkerFaults. */
export const WORKER_OPTION_KEYS = keyList<WorkerOptions>({
  engine: true, db: true, workerId: true, concurrency: true, pollIntervalMs: true, metrics: true, log: true, batchVariants: true, expirySweepMs: true, faults: true,
});
export const WORKER_FAULT_KEYS = keyList<WorkerFaults>({ stallMs: true, batchDelayMs: true });

export function startWorker(opts: WorkerOptions): RunningWorker {
  checkKnownOptions(opts, WORKER_OPTION_KEYS, 'the startWorker options');
  if (opts.faults !== undefined) checkKnownOptions(opts.faults, WORKER_FAULT_KEYS, 'the startWorker faults', 'faults.');
  const { engine, db, workerId, metrics, log } = opts;
  const s = db.schema;
  const jobs = new Map<string, JobInfo>();
  const candlesCache = new Map<string, Candles>();
  let stopping = false;
  const wakers = new Set<() => void>();

  const idle = (ms: number): Promise<void> => new Promise((r) => {
    const t = setTimeout(() => { wakers.delete(done); r(); }, ms);
    const done = (): void => { clearTimeout(t); wakers.delete(done); r(); };
    wakers.add(done);
  });

  async function jobInfo(jobId: string): Promise<JobInfo> {
    let info = jobs.get(jobId);
    if (!info) {
      const { rows } = await db.pool.query<{ spec: JobSpec; out_dir: string }>(`SELECT spec, out_dir FROM ${s}.job WHERE id = $1`, [jobId]);
      if (!rows[0]) throw new Error(`job ${jobId} is not in ${s}.job`);
      info = { spec: rows[0].spec, out: rows[0].out_dir, def: registry.get(rows[0].spec.indicatorId) };
      jobs.set(jobId, info);
    }
    return info;
  }

  /** The instrument's candles, loaded as at submit; a file whose bytes changed is refused. */
  async function candlesOf(spec: JobSpec, instrument: number): Promise<Candles> {
    const inst = spec.instruments[instrument]!;
    const key = `${inst.file}\0${inst.sha256}\0${inst.timeframe}\0${spec.load.timeline ?? ''}\0${spec.load.tsUnit ?? ''}`;
    const hit = candlesCache.get(key);
    if (hit) return hit;
    let bytes: Buffer;
    try {
      bytes = await fsp.readFile(inst.file);
    } catch (e) {
      throw new JobInputError({ field: 'data', reason: 'not_found', value: inst.file }, `this worker cannot read the job's data file (${(e as NodeJS.ErrnoException).code ?? 'EIO'})`, { cause: e });
    }
    const sha = createHash('sha256').update(bytes).digest('hex');
    if (sha !== inst.sha256) {
      throw new JobInputError({ field: 'data', reason: 'data_changed', value: inst.file, expected: `sha256 ${inst.sha256}` }, `the file changed since the job was submitted (sha256 ${sha})`);
    }
    const candles = await loadCandlesFile(inst.file, {
      instrumentId: inst.instrumentId, timeframe: inst.timeframe as never,
      ...(spec.load.timeline ? { timeline: spec.load.timeline } : {}),
      ...(spec.load.tsUnit ? { tsUnit: spec.load.tsUnit as never } : {}),
    });
    if (candles.t !== inst.t) throw new JobInputError({ field: 'data', reason: 'data_changed', value: inst.file, expected: `${inst.t} bars` }, `loads ${candles.t} bars`);
    if (candlesCache.size >= 4) candlesCache.delete(candlesCache.keys().next().value!);
    candlesCache.set(key, candles);
    return candles;
  }

  /**
   * Whether this attempt still owns the unit: the pg-boss row is active with the claim's retry count
   * and start time, and the job is not cancelled. With a client in a transaction, locks the row.
   */
  async function ownership(q: { query: JobsDb['pool']['query'] }, job: Claimed, jobId: string, lock: boolean): Promise<'owned' | StopReason> {
    const { rows: [g] } = await q.query<{ cancelled_at: Date | null }>(`SELECT cancelled_at FROM ${s}.job WHERE id = $1`, [jobId]);
    if (!g || g.cancelled_at) return 'cancelled';
    const { rows: [b] } = await q.query<{ state: string; retry_count: number; started_on: Date | null }>(
      `SELECT state, retry_count, started_on FROM ${db.bossSchema}.job WHERE name = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`, [QUEUE, job.id]);
    const same = b && b.state === 'active' && b.retry_count === job.retryCount && b.started_on?.getTime() === new Date(job.startedOn).getTime();
    return same ? 'owned' : 'lease_lost';
  }

  async function runUnit(job: Claimed, fetchedAt: number): Promise<void> {
    const t0 = fetchedAt;
    const attempt = job.retryCount + 1;
    const jobId = job.data.job;
    const base: LogFields = { job: jobId, unit: job.data.unit, attempt, worker: workerId };
    metrics.claimed.inc();
    metrics.inFlight.inc();
    let tmp: string | null = null;
    let batchesDone = 0;
    try {
      // a unit still 'running' from an earlier attempt lost that attempt's lease without anyone
      // recording it (the queue's own maintenance expired it): record it now, before the new attempt
      const { rows: [u] } = await db.pool.query<UnitRow>(
        `UPDATE ${s}.unit SET attempts = attempts + 1, state = 'running', last_worker = $2, started_at = coalesce(started_at, now()),
           failures = failures + CASE WHEN state = 'running' THEN 1 ELSE 0 END,
           last_error = CASE WHEN state = 'running'
             THEN format('lease_expired: worker %s did not finish attempt %s within the job''s lease (found when attempt %s was claimed at %s)',
                         last_worker, attempts, attempts + 1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
             ELSE last_error END
         WHERE boss_id = $1 RETURNING job_id, idx, instrument, v_start, v_end, file`, [job.id, workerId]);
      if (!u) throw new Error(`unit ${job.id} is not in ${s}.unit`);
      const info = await jobInfo(jobId);
      const first = await ownership(db.pool, job, jobId, false);
      const claimMs = performance.now() - t0;
      metrics.queueSeconds.observe({ op: 'claim' }, claimMs / 1000);
      const inst = info.spec.instruments[u.instrument]!;
      Object.assign(base, { instrument: inst.instrumentId, variants: [u.v_start, u.v_end] });
      log('info', 'unit_claimed', { ...base, claimMs: round(claimMs) });
      if (first !== 'owned') throw new UnitStopped(first, 0);
      if (stopping) throw new UnitStopped('released', 0);   // claimed while a shutdown began

      // compute, batch by batch, checking the lease and the job at every boundary
      const { spec, def } = info;
      const candles = await candlesOf(spec, u.instrument);
      const c0 = performance.now();
      const res = await computeUnitValues({
        engine, def, axes: spec.axes, outputs: spec.outputs, candles, start: u.v_start, end: u.v_end,
        ...(typeof opts.batchVariants === 'number' ? { batchVariants: opts.batchVariants } : {}),
        between: async (done) => {
          batchesDone = done;
          if (stopping) throw new UnitStopped('released', done);
          const own = await ownership(db.pool, job, jobId, false);
          if (own !== 'owned') throw new UnitStopped(own, done);
        },
        onBatch: async (ms, done) => {
          batchesDone = done;
          metrics.batchSeconds.observe(ms / 1000);
          if (opts.faults?.batchDelayMs) await sleep(opts.faults.batchDelayMs);
        },
      });
      base.engine = res.engine;
      const computeMs = performance.now() - c0;
      const bytes = unitToIPC(
        { jobId, def, axes: spec.axes, variants: spec.variants, outputs: spec.outputs, instrumentId: inst.instrumentId, timeframe: inst.timeframe, timeline: inst.timeline, tsOpen: candles.tsOpen },
        { index: u.idx, instrument: u.instrument, start: u.v_start, end: u.v_end, outputs: res.values, keys: res.keys },
      );

      // collect checks the published file against this digest
      const digest = createHash('sha256').update(bytes).digest('hex');

      // write the temporary file, then publish and complete under the row lock
      const tmpDir = join(info.out, TEMP_DIR);
      await ensureWritableDir(tmpDir, 'out', tmpDir);
      tmp = join(tmpDir, `${u.file}.${workerId.replace(/[^A-Za-z0-9._-]/g, '_')}.a${attempt}.tmp`);
      const fh = await fsp.open(tmp, 'w');
      try {
        // in chunks: one write call takes at most 2^31 - 1 bytes, and a unit may be larger
        if (opts.faults?.stallMs) {
          const half = Math.floor(bytes.length / 2);
          await writeFully(fh, bytes.subarray(0, half), 0);
          await fh.sync();
          await sleep(opts.faults.stallMs);
          await writeFully(fh, bytes.subarray(half), half);
        } else {
          await writeFully(fh, bytes, 0);
        }
        await fh.sync();
        const { size } = await fh.stat();
        if (size !== bytes.length) throw new Error(`the unit file ${tmp} has ${size} bytes after writing ${bytes.length}`);
      } finally {
        await fh.close();
      }
      const f0 = performance.now();
      const final = join(info.out, u.file);
      const outcome = await transaction(db.pool, async (client) => {
        const own = await ownership(client, job, jobId, true);
        if (own !== 'owned') return own;
        await fsp.rename(tmp!, final);
        tmp = null;
        await db.boss.complete(QUEUE, job.id, { worker: workerId, bytes: bytes.length }, { db: onClient(client) });
        await client.query(
          `UPDATE ${s}.unit SET state = 'done', completions = completions + 1, finished_at = now(), last_worker = $2,
             duration_ms = $3, bytes = $4, engine = $5, sha256 = $6 WHERE boss_id = $1`,
          [job.id, workerId, performance.now() - t0, bytes.length, base.engine ?? null, digest]);
        return 'owned' as const;
      });
      if (outcome !== 'owned') throw new UnitStopped(outcome, batchesDone);
      const completeMs = performance.now() - f0;
      metrics.queueSeconds.observe({ op: 'complete' }, completeMs / 1000);
      metrics.succeeded.inc();
      const ms = performance.now() - t0;
      metrics.unitSeconds.observe(ms / 1000);
      log('info', 'unit_succeeded', { ...base, ms: round(ms), computeMs: round(computeMs), claimMs: round(claimMs), completeMs: round(completeMs), bytes: bytes.length, file: final });
      await removeStaleTemps(tmpDir, u.file);
    } catch (e) {
      if (tmp) await fsp.rm(tmp, { force: true }).catch(() => undefined);
      if (e instanceof UnitStopped) await stopped(job, jobId, base, e);
      else await failed(job, jobId, base, e);
    } finally {
      metrics.inFlight.dec();
    }
  }

  async function stopped(job: Claimed, jobId: string, base: LogFields, e: UnitStopped): Promise<void> {
    if (e.reason === 'lease_lost') {
      metrics.leaseLost.inc();
      log('warn', 'unit_lease_lost', { ...base, batchesDone: e.batchesDone });
    } else if (e.reason === 'cancelled') {
      metrics.cancelled.inc();
      await db.pool.query(`UPDATE ${s}.unit SET state = 'cancelled' WHERE boss_id = $1 AND completions = 0`, [job.id]).catch(() => undefined);
      log('info', 'unit_cancelled', { ...base, batchesDone: e.batchesDone });
    } else {
      // graceful shutdown: hand the unit back at once instead of waiting for its lease to expire
      const res = await transaction(db.pool, async (client) => {
        const own = await ownership(client, job, jobId, true);
        if (own !== 'owned') return own;
        await db.boss.fail(QUEUE, job.id, { released: true, worker: workerId }, { db: onClient(client) });
        const { rows: [b] } = await client.query<{ state: string }>(`SELECT state FROM ${db.bossSchema}.job WHERE name = $1 AND id = $2`, [QUEUE, job.id]);
        // a release never uses up the unit's last attempt
        if (b?.state === 'failed') await db.boss.retry(QUEUE, job.id, { db: onClient(client) });
        await client.query(`UPDATE ${s}.unit SET state = 'queued', releases = releases + 1 WHERE boss_id = $1`, [job.id]);
        return 'released' as const;
      }).catch((err: unknown) => { log('error', 'unit_release_failed', { ...base, error: errorText(err) }); return 'error' as const; });
      if (res === 'released') {
        metrics.released.inc();
        log('info', 'unit_released', { ...base, batchesDone: e.batchesDone });
      } else if (res === 'lease_lost') {
        metrics.leaseLost.inc();
        log('warn', 'unit_lease_lost', { ...base, batchesDone: e.batchesDone });
      } else if (res === 'cancelled') {
        metrics.cancelled.inc();
        log('info', 'unit_cancelled', { ...base, batchesDone: e.batchesDone });
      }
    }
  }

  async function failed(job: Claimed, jobId: string, base: LogFields, e: unknown): Promise<void> {
    const error = errorText(e);
    metrics.failed.inc();
    try {
      const res = await transaction(db.pool, async (client) => {
        const own = await ownership(client, job, jobId, true);
        if (own !== 'owned') return { own, state: null as string | null };
        await db.boss.fail(QUEUE, job.id, { message: error, worker: workerId }, { db: onClient(client) });
        const { rows: [b] } = await client.query<{ state: string }>(`SELECT state FROM ${db.bossSchema}.job WHERE name = $1 AND id = $2`, [QUEUE, job.id]);
        const state = b?.state === 'failed' ? 'failed' : 'queued';
        await client.query(`UPDATE ${s}.unit SET state = $2, failures = failures + 1, last_error = $3 WHERE boss_id = $1`, [job.id, state, error]);
        return { own, state };
      });
      log('error', 'unit_failed', { ...base, error, ...(res.state ? { willRetry: res.state !== 'failed' } : { outcome: res.own }) });
    } catch (err) {
      log('error', 'unit_failed', { ...base, error, recordError: errorText(err) });
    }
  }

  async function removeStaleTemps(dir: string, file: string): Promise<void> {
    const names = await fsp.readdir(dir).catch(() => [] as string[]);
    await Promise.all(names.filter((n) => n.startsWith(`${file}.`)).map((n) => fsp.rm(join(dir, n), { force: true }).catch(() => undefined)));
  }

  /**
   * Expires units whose job's lease ran out: a unit's lease is the `expireInSeconds` its job gave it
   * at submit, and this sweep (every worker runs one, every `expirySweepMs`) fails each expired
   * attempt through pg-boss — which retries it or, on its last attempt, fails it — and records why
   * in gridta.unit, in one transaction. The queue's own maintenance runs far less often; a unit it
   * expires first is recorded by the claim of its next attempt, or below when none is left.
   */
  async function sweepExpired(reconcile: boolean): Promise<void> {
    const ts = `to_char(%s AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    const expired = await transaction(db.pool, async (client) => {
      const { rows } = await client.query<{ id: string; retry_count: number; lease: number; claimed: string; now: string }>(
        `SELECT id, retry_count, extract(epoch FROM expire_in)::int lease, ${ts.replace('%s', 'started_on')} claimed, ${ts.replace('%s', 'now()')} now
         FROM ${db.bossSchema}.job WHERE name = $1 AND state = 'active' AND started_on + expire_in < now()
         ORDER BY started_on LIMIT 100 FOR UPDATE SKIP LOCKED`, [QUEUE]);
      if (!rows.length && !reconcile) return [];
      for (const r of rows) await db.boss.fail(QUEUE, r.id, { reason: 'lease_expired', sweptBy: workerId }, { db: onClient(client) });
      const { rows: after } = await client.query<{ id: string; state: string }>(`SELECT id, state FROM ${db.bossSchema}.job WHERE name = $1 AND id = ANY($2::uuid[])`, [QUEUE, rows.map((r) => r.id)]);
      const stateOf = new Map(after.map((r) => [r.id, r.state]));
      const out = [];
      for (const r of rows) {
        const lastAttempt = stateOf.get(r.id) === 'failed';
        const { rows: [u] } = await client.query<{ job_id: string; idx: number; last_worker: string | null }>(
          `UPDATE ${s}.unit SET state = $2, failures = failures + 1,
             last_error = format('lease_expired: worker %s did not finish attempt %s within the job''s %s s lease (claimed %s, expired %s); %s',
                                 coalesce(last_worker, '?'), $3::int, $4::int, $5::text, $6::text, $7::text)
           WHERE boss_id = $1 RETURNING job_id, idx, last_worker`,
          [r.id, lastAttempt ? 'failed' : 'queued', r.retry_count + 1, r.lease, r.claimed, r.now, lastAttempt ? 'no retries left' : 'queued again']);
        out.push({ job: u?.job_id, unit: u?.idx, attempt: r.retry_count + 1, leaseHolder: u?.last_worker ?? null, willRetry: !lastAttempt });
      }
      // units the queue's maintenance (once a minute) expired on their last attempt: no claim will
      // record them; this scans every running unit, so it runs once a minute too
      if (reconcile) await client.query(
        `UPDATE ${s}.unit u SET state = 'failed', failures = u.failures + 1,
           last_error = format('lease_expired: worker %s did not finish attempt %s within the job''s lease (expired by the queue''s maintenance); no retries left', coalesce(u.last_worker, '?'), u.attempts)
         FROM ${db.bossSchema}.job b WHERE b.name = $1 AND b.id = u.boss_id AND u.state = 'running' AND b.state = 'failed'`, [QUEUE]);
      return out;
    });
    for (const e of expired) {
      metrics.expired.inc();
      log('warn', 'unit_lease_expired', { worker: workerId, ...e });
    }
  }

  async function sweeper(): Promise<void> {
    let last = 0;
    while (!stopping) {
      try {
        const reconcile = Date.now() - last >= 60_000;
        await sweepExpired(reconcile);
        if (reconcile) last = Date.now();
      } catch (e) {
        log('error', 'lease_sweep_failed', { worker: workerId, error: errorText(e) });
      }
      await idle(opts.expirySweepMs ?? 1000);
    }
  }

  async function slot(): Promise<void> {
    while (!stopping) {
      const t0 = performance.now();
      let claimed: Claimed[];
      try {
        claimed = await db.boss.fetch<{ job: string; unit: number }>(QUEUE, { batchSize: 1, includeMetadata: true });
      } catch (e) {
        log('error', 'fetch_failed', { worker: workerId, error: errorText(e) });
        await idle(opts.pollIntervalMs);
        continue;
      }
      if (!claimed.length) {
        await idle(opts.pollIntervalMs);
        continue;
      }
      await runUnit(claimed[0]!, t0);
    }
  }

  const done = Promise.all([...Array.from({ length: opts.concurrency }, () => slot()), sweeper()]).then(() => undefined);
  return {
    done,
    stop: () => {
      stopping = true;
      for (const w of [...wakers]) w();
    },
    get stopping() { return stopping; },
  };
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
