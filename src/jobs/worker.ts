/**
 * The worker loop. Each of `concurrency` slots claims one unit at a time from pg-boss (its lease is
 * the job's `expireInSeconds`), computes it with the local engine in batches of variants, and at
 * every batch boundary checks that it still owns the unit and that the job was not cancelled. The
 * result is written to a temporary file under `<out>/.tmp/` and published by renaming it to its
 * content-key name inside the transaction that, holding the pg-boss row lock, verifies ownership once
 * more and completes the unit — so a worker that lost its lease never publishes nor completes.
 * One attempt runs as four steps (claimUnit, computeUnit, writeTemp, publishUnit); beside the slots,
 * a sweeper expires leases that ran out (sweepExpired). Every SQL statement is a named query of store.ts.
 */
import { createHash } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type PgBoss from 'pg-boss';
import { loadCandlesFile } from '../arrow/candles.js';
import type { Candles } from '../candles/index.js';
import type { EngineKind } from '../compute/run.js';
import { GridtaError, JobInputError } from '../errors.js';
import { registry } from '../registry/index.js';
import type { IndicatorDef } from '../registry/types.js';
import type { Engine } from '../runtime/engine.js';
import { checkKnownOptions } from '../runtime/config.js';
import { keyList } from '../options.js';
import { unitToIPC } from './arrow.js';
import type { WorkerMetrics } from './metrics.js';
import {
  QUEUE,
  cancelUnitRow,
  claimUnitRow,
  completeUnitRow,
  expireUnitRow,
  failUnitRow,
  failUnitsExpiredByMaintenance,
  onClient,
  releaseUnitRow,
  selectBossAttempt,
  selectBossState,
  selectBossStates,
  selectExpiredLeases,
  selectJob,
  selectJobCancelled,
  transaction,
  type BacktestJobSpec,
  type JobInstrument,
  type JobSpec,
  type JobsDb,
  type Queryable,
  type UnitRow,
} from './store.js';
import { computeUnitValues } from './compute.js';
import {
  backtestRequestOf,
  fanOutIfLast,
  finishIfLast,
  lockBacktestJob,
  packMetrics,
  replayRows,
  selectSummary,
  storeScores,
  storeTop,
  type StoredTopRow,
} from './backtest.js';
import { METRIC_NAMES, type MetricName } from '../backtest/program.js';
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
  /** Sleep this long before each Stage B replay. */
  readonly stageBStallMs?: number;
  /**
   * With publishBarrier, sleep this long inside the completing transaction of each of the last two
   * Stage A units, after the fan-out check (before the commit).
   */
  readonly fanOutDelayMs?: number;
  /**
   * A directory: before publishing one of its job's last two Stage A units, a worker leaves a file
   * there and waits (up to 20 s) until two are there, so both completions meet in the database.
   */
  readonly publishBarrier?: string;
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
  constructor(
    readonly reason: StopReason,
    readonly batchesDone: number,
  ) {
    super(reason);
  }
}

type JobInfo = { kind: 'grid'; spec: JobSpec; out: string; def: IndicatorDef } | { kind: 'backtest'; spec: BacktestJobSpec; out: string };
type Claimed = PgBoss.JobWithMetadata<{ job: string; unit: number }>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorText = (e: unknown): string =>
  e instanceof GridtaError ? `${e.code}: ${e.message}` : e instanceof Error ? e.message : String(e);

/** The keys of WorkerOptions and WorkerFaults. */
export const WORKER_OPTION_KEYS = keyList<WorkerOptions>({
  engine: true,
  db: true,
  workerId: true,
  concurrency: true,
  pollIntervalMs: true,
  metrics: true,
  log: true,
  batchVariants: true,
  expirySweepMs: true,
  faults: true,
});
export const WORKER_FAULT_KEYS = keyList<WorkerFaults>({
  stallMs: true,
  batchDelayMs: true,
  stageBStallMs: true,
  fanOutDelayMs: true,
  publishBarrier: true,
});

/** One running worker: its options and the state its slots and its sweeper share. */
interface Ctx extends WorkerOptions {
  /** Jobs seen so far, by id (a job's spec never changes). */
  readonly jobs: Map<string, JobInfo>;
  /** The last few instruments' candles, by file, digest and load settings. */
  readonly candlesCache: Map<string, Candles>;
  /** Callbacks that end an `idle` early (on stop). */
  readonly wakers: Set<() => void>;
  stopping: boolean;
}

/** One attempt at one unit: what its steps (claim, compute, write, publish) hand each other. */
interface Attempt {
  readonly job: Claimed;
  readonly jobId: string;
  /** When the fetch that claimed it began (performance.now()). */
  readonly t0: number;
  readonly attempt: number;
  /** The fields of every log line about this attempt. */
  readonly base: LogFields;
  batchesDone: number;
  /** The temporary file while it exists (removed if the attempt ends any other way than published). */
  tmp: string | null;
}

/** The claimed unit: its row, its job and instrument, and how long the claim took. */
interface Claim {
  readonly u: UnitRow;
  readonly info: JobInfo;
  readonly inst: JobInstrument;
  readonly claimMs: number;
}

/** The computed unit, encoded: the Arrow IPC bytes, their SHA-256 (collect checks it), the engine that ran, the compute time. */
interface Encoded {
  readonly bytes: Uint8Array;
  readonly digest: string;
  readonly engine: EngineKind;
  readonly computeMs: number;
}

export function startWorker(opts: WorkerOptions): RunningWorker {
  checkKnownOptions(opts, WORKER_OPTION_KEYS, 'the startWorker options');
  if (opts.faults !== undefined) checkKnownOptions(opts.faults, WORKER_FAULT_KEYS, 'the startWorker faults', 'faults.');
  const ctx: Ctx = { ...opts, jobs: new Map(), candlesCache: new Map(), wakers: new Set(), stopping: false };
  const done = Promise.all([...Array.from({ length: opts.concurrency }, () => slot(ctx)), sweeper(ctx)]).then(() => undefined);
  return {
    done,
    stop: () => {
      ctx.stopping = true;
      for (const w of [...ctx.wakers]) w();
    },
    get stopping() {
      return ctx.stopping;
    },
  };
}

/** Waits `ms`, or less when the worker is stopped meanwhile. */
function idle(ctx: Ctx, ms: number): Promise<void> {
  return new Promise((r) => {
    const t = setTimeout(() => {
      ctx.wakers.delete(done);
      r();
    }, ms);
    const done = (): void => {
      clearTimeout(t);
      ctx.wakers.delete(done);
      r();
    };
    ctx.wakers.add(done);
  });
}

/** One slot: claims one unit at a time and runs it, until the worker stops. */
async function slot(ctx: Ctx): Promise<void> {
  while (!ctx.stopping) {
    const t0 = performance.now();
    let claimed: Claimed[];
    try {
      claimed = await ctx.db.boss.fetch<{ job: string; unit: number }>(QUEUE, { batchSize: 1, includeMetadata: true });
    } catch (e) {
      ctx.log('error', 'fetch_failed', { worker: ctx.workerId, error: errorText(e) });
      await idle(ctx, ctx.pollIntervalMs);
      continue;
    }
    if (!claimed.length) {
      await idle(ctx, ctx.pollIntervalMs);
      continue;
    }
    await runUnit(ctx, claimed[0]!, t0);
  }
}

async function jobInfo(ctx: Ctx, jobId: string): Promise<JobInfo> {
  let info = ctx.jobs.get(jobId);
  if (!info) {
    const row = await selectJob(ctx.db.pool, ctx.db, jobId);
    if (!row) throw new Error(`job ${jobId} is not in ${ctx.db.schema}.job`);
    info =
      row.kind === 'backtest'
        ? { kind: 'backtest', spec: row.spec as BacktestJobSpec, out: row.out_dir }
        : { kind: 'grid', spec: row.spec as JobSpec, out: row.out_dir, def: registry.get((row.spec as JobSpec).indicatorId) };
    ctx.jobs.set(jobId, info);
  }
  return info;
}

/** The instrument's candles, loaded as at submit; a file whose bytes changed is refused. */
async function candlesOf(ctx: Ctx, spec: JobSpec | BacktestJobSpec, instrument: number): Promise<Candles> {
  const inst = spec.instruments[instrument]!;
  const key = `${inst.file}\0${inst.sha256}\0${inst.timeframe}\0${spec.load.timeline ?? ''}\0${spec.load.tsUnit ?? ''}`;
  const hit = ctx.candlesCache.get(key);
  if (hit) return hit;
  let bytes: Buffer;
  try {
    bytes = await fsp.readFile(inst.file);
  } catch (e) {
    throw new JobInputError(
      { field: 'data', reason: 'not_found', value: inst.file },
      `this worker cannot read the job's data file (${(e as NodeJS.ErrnoException).code ?? 'EIO'})`,
      { cause: e },
    );
  }
  const sha = createHash('sha256').update(bytes).digest('hex');
  if (sha !== inst.sha256) {
    throw new JobInputError(
      { field: 'data', reason: 'data_changed', value: inst.file, expected: `sha256 ${inst.sha256}` },
      `the file changed since the job was submitted (sha256 ${sha})`,
    );
  }
  const candles = await loadCandlesFile(inst.file, {
    instrumentId: inst.instrumentId,
    timeframe: inst.timeframe,
    ...(spec.load.timeline ? { timeline: spec.load.timeline } : {}),
    ...(spec.load.tsUnit ? { tsUnit: spec.load.tsUnit } : {}),
  });
  if (candles.t !== inst.t)
    throw new JobInputError(
      { field: 'data', reason: 'data_changed', value: inst.file, expected: `${inst.t} bars` },
      `loads ${candles.t} bars`,
    );
  if (ctx.candlesCache.size >= 4) ctx.candlesCache.delete(ctx.candlesCache.keys().next().value!);
  ctx.candlesCache.set(key, candles);
  return candles;
}

/**
 * Whether this attempt still owns the unit: the pg-boss row is active with the claim's retry count
 * and start time, and the job is not cancelled. With a client in a transaction, locks the row.
 */
async function ownership(ctx: Ctx, q: Queryable, a: Attempt, lock: boolean): Promise<'owned' | StopReason> {
  const g = await selectJobCancelled(q, ctx.db, a.jobId);
  if (!g || g.cancelled_at) return 'cancelled';
  const b = await selectBossAttempt(q, ctx.db, a.job.id, lock);
  const same =
    b && b.state === 'active' && b.retry_count === a.job.retryCount && b.started_on?.getTime() === new Date(a.job.startedOn).getTime();
  return same ? 'owned' : 'lease_lost';
}

/** One attempt at a claimed unit: claim, compute, write, publish; any other ending is recorded. */
async function runUnit(ctx: Ctx, job: Claimed, fetchedAt: number): Promise<void> {
  const attempt = job.retryCount + 1;
  const a: Attempt = {
    job,
    jobId: job.data.job,
    t0: fetchedAt,
    attempt,
    batchesDone: 0,
    tmp: null,
    base: { job: job.data.job, unit: job.data.unit, attempt, worker: ctx.workerId },
  };
  const { metrics } = ctx;
  metrics.claimed.inc();
  metrics.inFlight.inc();
  try {
    const claim = await claimUnit(ctx, a);
    if (claim.info.kind === 'backtest') {
      await runBacktestUnit(ctx, a, claim, claim.info);
      return;
    }
    const encoded = await computeUnit(ctx, a, claim);
    const tmpDir = await writeTemp(ctx, a, claim, encoded.bytes);
    const { final, completeMs } = await publishUnit(ctx, a, claim, encoded);
    metrics.succeeded.inc();
    const ms = performance.now() - a.t0;
    metrics.unitSeconds.observe(ms / 1000);
    metrics.stageSeconds.observe({ stage: 'grid' }, ms / 1000);
    ctx.log('info', 'unit_succeeded', {
      ...a.base,
      ms: round(ms),
      computeMs: round(encoded.computeMs),
      claimMs: round(claim.claimMs),
      completeMs: round(completeMs),
      bytes: encoded.bytes.length,
      file: final,
    });
    await removeStaleTemps(tmpDir, claim.u.file);
  } catch (e) {
    if (a.tmp) await fsp.rm(a.tmp, { force: true }).catch(() => undefined);
    if (e instanceof UnitStopped) await stopped(ctx, a, e);
    else await failed(ctx, a, e);
  } finally {
    metrics.inFlight.dec();
  }
}

/** Claim: records the new attempt on the unit's row, loads its job, and checks it still owns the unit. */
async function claimUnit(ctx: Ctx, a: Attempt): Promise<Claim> {
  const u = await claimUnitRow(ctx.db.pool, ctx.db, a.job.id, ctx.workerId);
  if (!u) throw new Error(`unit ${a.job.id} is not in ${ctx.db.schema}.unit`);
  const info = await jobInfo(ctx, a.jobId);
  const first = await ownership(ctx, ctx.db.pool, a, false);
  const claimMs = performance.now() - a.t0;
  ctx.metrics.queueSeconds.observe({ op: 'claim' }, claimMs / 1000);
  const inst = info.spec.instruments[u.instrument]!;
  const stage = info.kind === 'grid' ? 'grid' : u.stage === 'b' ? 'stage_b' : 'stage_a';
  Object.assign(a.base, { stage, instrument: inst.instrumentId, ...(u.stage === 'a' ? { variants: [u.v_start, u.v_end] } : {}) });
  ctx.log('info', 'unit_claimed', { ...a.base, claimMs: round(claimMs) });
  if (first !== 'owned') throw new UnitStopped(first, 0);
  if (ctx.stopping) throw new UnitStopped('released', 0); // claimed while a shutdown began
  return { u, info, inst, claimMs };
}

/** Compute: batch by batch, checking the lease and the job at every boundary; then encodes the unit. */
async function computeUnit(ctx: Ctx, a: Attempt, { u, info, inst }: Claim): Promise<Encoded> {
  if (info.kind !== 'grid') throw new Error('computeUnit runs grid units');
  const { spec, def } = info;
  const candles = await candlesOf(ctx, spec, u.instrument);
  const c0 = performance.now();
  const res = await computeUnitValues({
    engine: ctx.engine,
    def,
    axes: spec.axes,
    outputs: spec.outputs,
    candles,
    start: u.v_start,
    end: u.v_end,
    ...(spec.profile ? { profile: spec.profile } : {}),
    ...(typeof ctx.batchVariants === 'number' ? { batchVariants: ctx.batchVariants } : {}),
    between: async (done) => {
      a.batchesDone = done;
      if (ctx.stopping) throw new UnitStopped('released', done);
      const own = await ownership(ctx, ctx.db.pool, a, false);
      if (own !== 'owned') throw new UnitStopped(own, done);
    },
    onBatch: async (ms, done) => {
      a.batchesDone = done;
      ctx.metrics.batchSeconds.observe(ms / 1000);
      if (ctx.faults?.batchDelayMs) await sleep(ctx.faults.batchDelayMs);
    },
  });
  a.base.engine = res.engine;
  const computeMs = performance.now() - c0;
  const bytes = unitToIPC(
    {
      jobId: a.jobId,
      def,
      axes: spec.axes,
      variants: spec.variants,
      outputs: spec.outputs,
      instrumentId: inst.instrumentId,
      timeframe: inst.timeframe,
      timeline: inst.timeline,
      tsOpen: candles.tsOpen,
      ...(spec.profile ? { profile: spec.profile } : {}),
    },
    { index: u.idx, instrument: u.instrument, start: u.v_start, end: u.v_end, outputs: res.values, keys: res.keys },
  );
  // collect checks the published file against this digest
  const digest = createHash('sha256').update(bytes).digest('hex');
  return { bytes, digest, engine: res.engine, computeMs };
}

/** Write: the unit's bytes to a temporary file under `<out>/.tmp/`, synced; returns that directory. */
async function writeTemp(ctx: Ctx, a: Attempt, { u, info }: Claim, bytes: Uint8Array): Promise<string> {
  const tmpDir = join(info.out, TEMP_DIR);
  await ensureWritableDir(tmpDir, 'out', tmpDir);
  const tmp = join(tmpDir, `${u.file}.${ctx.workerId.replace(/[^A-Za-z0-9._-]/g, '_')}.a${a.attempt}.tmp`);
  a.tmp = tmp;
  const fh = await fsp.open(tmp, 'w');
  try {
    // in chunks: one write call takes at most 2^31 - 1 bytes, and a unit may be larger
    if (ctx.faults?.stallMs) {
      const half = Math.floor(bytes.length / 2);
      await writeFully(fh, bytes.subarray(0, half), 0);
      await fh.sync();
      await sleep(ctx.faults.stallMs);
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
  return tmpDir;
}

/**
 * Publish: in one transaction holding the pg-boss row lock, verifies ownership once more, renames the
 * temporary file to its content-key name and completes the unit — a worker that lost its lease
 * neither publishes nor completes.
 */
async function publishUnit(
  ctx: Ctx,
  a: Attempt,
  { u, info }: Claim,
  { bytes, digest, engine }: Encoded,
): Promise<{ final: string; completeMs: number }> {
  const { db, workerId } = ctx;
  const f0 = performance.now();
  const final = join(info.out, u.file);
  const outcome = await transaction(db.pool, async (client) => {
    const own = await ownership(ctx, client, a, true);
    if (own !== 'owned') return own;
    await fsp.rename(a.tmp!, final);
    a.tmp = null;
    await db.boss.complete(QUEUE, a.job.id, { worker: workerId, bytes: bytes.length }, { db: onClient(client) });
    await completeUnitRow(client, db, a.job.id, {
      workerId,
      durationMs: performance.now() - a.t0,
      bytes: bytes.length,
      engine,
      sha256: digest,
    });
    return 'owned' as const;
  });
  if (outcome !== 'owned') throw new UnitStopped(outcome, a.batchesDone);
  const completeMs = performance.now() - f0;
  ctx.metrics.queueSeconds.observe({ op: 'complete' }, completeMs / 1000);
  return { final, completeMs };
}

/**
 * A backtest unit. Stage A scores its range of variants batch by batch (the lease and the job checked
 * at every boundary); Stage B replays the shortlist and the instrument's own top list. Published in
 * one transaction that takes the job's row lock first (so two last units completing at once are
 * ordered, and exactly one sees the stage done), verifies ownership under the pg-boss row lock,
 * completes the unit, stores its result, and for a stage's last unit fans out Stage B or ends the job.
 */
async function runBacktestUnit(ctx: Ctx, a: Attempt, { u }: Claim, info: Extract<JobInfo, { kind: 'backtest' }>): Promise<void> {
  const { spec } = info;
  const { db, workerId, metrics } = ctx;
  const stage = u.stage === 'b' ? 'stage_b' : 'stage_a';
  const candles = await candlesOf(ctx, spec, u.instrument);
  const c0 = performance.now();
  let scores: Buffer | null = null;
  let rows: StoredTopRow[] = [];
  if (u.stage === 'a') scores = await scoreRange(ctx, a, spec, candles, u);
  else {
    if (ctx.faults?.stageBStallMs) {
      await sleep(ctx.faults.stageBStallMs);
      const own = await ownership(ctx, db.pool, a, false);
      if (own !== 'owned') throw new UnitStopped(own, 0);
    }
    const summary = await selectSummary(db.pool, db, a.jobId);
    if (!summary) throw new Error(`job ${a.jobId} has a Stage B unit but no Stage A summary`);
    rows = await replayRows(ctx.engine, spec, summary, u.instrument, candles);
    // a replay runs the reference (bit-identical to the kernels)
    a.base.engine = 'reference';
  }
  const computeMs = performance.now() - c0;
  const atBarrier =
    scores !== null && ctx.faults?.publishBarrier !== undefined && (await publishBarrier(ctx, a, spec, u, ctx.faults.publishBarrier));
  const bytes = scores ? scores.length : rows.reduce((n, r) => n + r.trades_json.length + r.report_table_md.length, 0);
  const f0 = performance.now();
  const outcome = await transaction(db.pool, async (client) => {
    const job = await lockBacktestJob(client, db, a.jobId);
    const own = await ownership(ctx, client, a, true);
    if (own !== 'owned') return { own, summary: null, done: false };
    await db.boss.complete(QUEUE, a.job.id, { worker: workerId, stage }, { db: onClient(client) });
    await completeUnitRow(client, db, a.job.id, {
      workerId,
      durationMs: performance.now() - a.t0,
      bytes,
      engine: typeof a.base.engine === 'string' ? a.base.engine : null,
      sha256: createHash('sha256')
        .update(scores ?? JSON.stringify(rows.map((r) => [r.list, r.rank, r.variant_key, r.trades_json])))
        .digest('hex'),
    });
    if (scores) {
      await storeScores(client, db, a.jobId, u, scores);
      const summary = await fanOutIfLast(client, db, a.jobId, job);
      if (atBarrier && ctx.faults?.fanOutDelayMs) await sleep(ctx.faults.fanOutDelayMs);
      return { own, summary, done: false };
    }
    await storeTop(client, db, a.jobId, rows);
    return { own, summary: null, done: await finishIfLast(client, db, a.jobId, job) };
  });
  if (outcome.own !== 'owned') throw new UnitStopped(outcome.own, a.batchesDone);
  const completeMs = performance.now() - f0;
  metrics.queueSeconds.observe({ op: 'complete' }, completeMs / 1000);
  metrics.succeeded.inc();
  const ms = performance.now() - a.t0;
  metrics.unitSeconds.observe(ms / 1000);
  metrics.stageSeconds.observe({ stage }, ms / 1000);
  ctx.log('info', 'unit_succeeded', { ...a.base, ms: round(ms), computeMs: round(computeMs), completeMs: round(completeMs), bytes });
  if (outcome.summary) {
    const s = outcome.summary;
    ctx.log('info', 'stage_a_done', {
      job: a.jobId,
      stage: 'stage_a',
      worker: workerId,
      stage_a_variants_total: s.stage_a_variants_total,
      risk_total: s.risk_total,
      preselect_used: s.preselect_used,
      missing: s.missing,
      stageBUnits: spec.instruments.length,
    });
  }
  if (outcome.done) ctx.log('info', 'job_done', { job: a.jobId, stage: 'done', worker: workerId });
}

/** The test-only publish barrier (WorkerFaults.publishBarrier) for the last two Stage A units. */
async function publishBarrier(ctx: Ctx, a: Attempt, spec: BacktestJobSpec, u: UnitRow, dir: string): Promise<boolean> {
  const stageAUnits = Math.ceil(spec.variants / spec.unitVariants) * spec.instruments.length;
  if (u.idx < stageAUnits - 2) return false;
  await fsp.writeFile(join(dir, `${ctx.workerId}-${u.idx}`), '');
  const t0 = Date.now();
  let met = false;
  while (!met && Date.now() - t0 < 20_000) {
    met = (await fsp.readdir(dir)).length >= 2;
    if (!met) await sleep(10);
  }
  ctx.log('info', 'fault_barrier', { ...a.base, met });
  return true;
}

/** The smallest batch of a backtest unit with `batchVariants: auto`, in variant-bars. */
const AUTO_BATCH_VARIANT_BARS = 5e7;

/** Stage A of a unit's variants, in batches with the lease and the job checked between them: the metrics as bytes. */
async function scoreRange(ctx: Ctx, a: Attempt, spec: BacktestJobSpec, candles: Candles, u: UnitRow): Promise<Buffer> {
  const n = u.v_end - u.v_start;
  // auto: a quarter of the unit, but at least about 5·10^7 variant-bars (each batch computes its own series)
  const batch =
    typeof ctx.batchVariants === 'number'
      ? ctx.batchVariants
      : Math.min(n, Math.max(Math.ceil(n / 4), Math.floor(AUTO_BATCH_VARIANT_BARS / Math.max(1, candles.t))));
  const cols = {} as Record<MetricName, Float64Array>;
  for (const m of METRIC_NAMES) cols[m] = new Float64Array(n);
  const req = backtestRequestOf(spec, candles);
  let done = 0;
  for (let s = u.v_start; s < u.v_end; s += batch) {
    if (done > 0) {
      if (ctx.stopping) throw new UnitStopped('released', done);
      const own = await ownership(ctx, ctx.db.pool, a, false);
      if (own !== 'owned') throw new UnitStopped(own, done);
    }
    const b0 = performance.now();
    const r = await ctx.engine.backtestRange(req, s, Math.min(u.v_end, s + batch));
    for (const m of METRIC_NAMES) cols[m].set(r.metrics[m], s - u.v_start);
    a.base.engine = r.engine;
    done++;
    a.batchesDone = done;
    ctx.metrics.batchSeconds.observe((performance.now() - b0) / 1000);
    if (ctx.faults?.batchDelayMs) await sleep(ctx.faults.batchDelayMs);
  }
  return packMetrics(cols, n);
}

/** An attempt that stopped before publishing: its lease was lost, its job cancelled, or the worker is stopping. */
async function stopped(ctx: Ctx, a: Attempt, e: UnitStopped): Promise<void> {
  const { metrics, log } = ctx;
  const res = e.reason === 'released' ? await release(ctx, a) : e.reason;
  if (res === 'released') {
    metrics.released.inc();
    log('info', 'unit_released', { ...a.base, batchesDone: e.batchesDone });
  } else if (res === 'lease_lost') {
    metrics.leaseLost.inc();
    log('warn', 'unit_lease_lost', { ...a.base, batchesDone: e.batchesDone });
  } else if (res === 'cancelled') {
    metrics.cancelled.inc();
    if (e.reason === 'cancelled') await cancelUnitRow(ctx.db.pool, ctx.db, a.job.id).catch(() => undefined);
    log('info', 'unit_cancelled', { ...a.base, batchesDone: e.batchesDone });
  }
}

/** Graceful shutdown: hands the unit back at once instead of waiting for its lease to expire. */
async function release(ctx: Ctx, a: Attempt): Promise<StopReason | 'error'> {
  const { db, workerId } = ctx;
  return transaction(db.pool, async (client) => {
    const own = await ownership(ctx, client, a, true);
    if (own !== 'owned') return own;
    await db.boss.fail(QUEUE, a.job.id, { released: true, worker: workerId }, { db: onClient(client) });
    // a release never uses up the unit's last attempt
    if ((await selectBossState(client, db, a.job.id)) === 'failed') await db.boss.retry(QUEUE, a.job.id, { db: onClient(client) });
    await releaseUnitRow(client, db, a.job.id);
    return 'released' as const;
  }).catch((err: unknown) => {
    ctx.log('error', 'unit_release_failed', { ...a.base, error: errorText(err) });
    return 'error' as const;
  });
}

/** An attempt that failed: fails it through pg-boss (which retries it unless it was the last) and records why. */
async function failed(ctx: Ctx, a: Attempt, e: unknown): Promise<void> {
  const { db, workerId } = ctx;
  const error = errorText(e);
  ctx.metrics.failed.inc();
  try {
    const res = await transaction(db.pool, async (client) => {
      const own = await ownership(ctx, client, a, true);
      if (own !== 'owned') return { own, state: null as string | null };
      await db.boss.fail(QUEUE, a.job.id, { message: error, worker: workerId }, { db: onClient(client) });
      const state = (await selectBossState(client, db, a.job.id)) === 'failed' ? 'failed' : 'queued';
      await failUnitRow(client, db, a.job.id, state, error);
      return { own, state };
    });
    ctx.log('error', 'unit_failed', { ...a.base, error, ...(res.state ? { willRetry: res.state !== 'failed' } : { outcome: res.own }) });
  } catch (err) {
    ctx.log('error', 'unit_failed', { ...a.base, error, recordError: errorText(err) });
  }
}

async function removeStaleTemps(dir: string, file: string): Promise<void> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  await Promise.all(names.filter((n) => n.startsWith(`${file}.`)).map((n) => fsp.rm(join(dir, n), { force: true }).catch(() => undefined)));
}

/** Runs the lease-expiry sweep every `expirySweepMs` until the worker stops (reconciling once a minute). */
async function sweeper(ctx: Ctx): Promise<void> {
  let last = 0;
  while (!ctx.stopping) {
    try {
      const reconcile = Date.now() - last >= 60_000;
      await sweepExpired(ctx, reconcile);
      if (reconcile) last = Date.now();
    } catch (e) {
      ctx.log('error', 'lease_sweep_failed', { worker: ctx.workerId, error: errorText(e) });
    }
    await idle(ctx, ctx.expirySweepMs ?? 1000);
  }
}

/**
 * Expires units whose job's lease ran out: a unit's lease is the `expireInSeconds` its job gave it
 * at submit, and this sweep (every worker runs one, every `expirySweepMs`) fails each expired
 * attempt through pg-boss — which retries it or, on its last attempt, fails it — and records why
 * in gridta.unit, in one transaction. The queue's own maintenance runs far less often; a unit it
 * expires first is recorded by the claim of its next attempt, or below when none is left.
 */
async function sweepExpired(ctx: Ctx, reconcile: boolean): Promise<void> {
  const { db, workerId } = ctx;
  const expired = await transaction(db.pool, async (client) => {
    const rows = await selectExpiredLeases(client, db);
    if (!rows.length && !reconcile) return [];
    for (const r of rows) await db.boss.fail(QUEUE, r.id, { reason: 'lease_expired', sweptBy: workerId }, { db: onClient(client) });
    const stateOf = await selectBossStates(
      client,
      db,
      rows.map((r) => r.id),
    );
    const out = [];
    for (const r of rows) {
      const lastAttempt = stateOf.get(r.id) === 'failed';
      const u = await expireUnitRow(client, db, r, lastAttempt);
      out.push({ job: u?.job_id, unit: u?.idx, attempt: r.retry_count + 1, leaseHolder: u?.last_worker ?? null, willRetry: !lastAttempt });
    }
    // units the queue's maintenance (once a minute) expired on their last attempt: no claim will
    // record them; this scans every running unit, so it runs once a minute too
    if (reconcile) await failUnitsExpiredByMaintenance(client, db);
    return out;
  });
  for (const e of expired) {
    ctx.metrics.expired.inc();
    ctx.log('warn', 'unit_lease_expired', { worker: workerId, ...e });
  }
}

const round = (ms: number): number => Math.round(ms * 10) / 10;
