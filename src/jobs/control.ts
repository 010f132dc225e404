/**
 * The control side of jobs: submit (validate everything, then enqueue the units in one transaction),
 * status, list, cancel and collect. Claiming, leases, retries and expiry are pg-boss's; gridta's
 * tables only record what a job is and what happened to each unit.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { promises as fsp, type Stats } from 'node:fs';
import { basename, extname, join, resolve } from 'node:path';
import type { Table } from 'apache-arrow';
import type pg from 'pg';
import { loadCandlesFile } from '../arrow/candles.js';
import { availableSeries, type Candles } from '../candles/index.js';
import type { IndicatorTensor } from '../compute/tensor.js';
import { JobIncompleteError, JobInputError, JobNotFoundError, MissingInputSeriesError } from '../errors.js';
import { checkVariantRules, materializeGrid } from '../grid/axes.js';
import type { GridSpec } from '../grid/types.js';
import { selectOutputs } from '../guards/index.js';
import { registry } from '../registry/index.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';
import { requiredBaseSeries, type Engine } from '../runtime/engine.js';
import { mergeUnits } from './arrow.js';
import { bounded, ensureWritableDir, type FsFaults } from './dirs.js';
import { QUEUE, onClient, transaction, type BacktestJobSpec, type JobInstrument, type JobSpec, type JobsDb } from './store.js';
import type { StageASummary } from './backtest.js';
import { autoUnitVariants, cartesianBlocks, checkJobInputKeys, explicitGrid, planUnits, unitFileName } from './units.js';
import { keyList } from '../options.js';

const DATA_EXTENSIONS = ['.csv', '.arrow', '.arrows', '.feather'];
const KEEP_QUEUED_DAYS = 365;

export interface SubmitRequest {
  readonly indicatorId: string;
  /** Axes to override on top of the submitter's default grid (the CLI's `--grid` flags). */
  readonly grid?: Partial<GridSpec>;
  /** Candle files (CSV or Arrow) and/or directories of them (every data file directly inside, sorted). */
  readonly data: readonly string[];
  /** Directory the unit files go to; every worker must see it at the same path. */
  readonly out: string;
  /** Instrument id of a single data file (default: the file's base name). */
  readonly instrumentId?: string;
  readonly timeframe?: string;
  readonly timeline?: 'dense' | 'sessions';
  readonly tsUnit?: 'ms' | 's' | 'us' | 'ns';
  readonly outputs?: readonly string[];
  /** The profile of conventions the workers compute in (default: the submitter's engine's). */
  readonly profile?: Profile;
  /** @internal Test-only filesystem faults (a shorter bound, a step that never finishes). */
  readonly fsFaults?: FsFaults;
}

export interface SubmitResult {
  readonly jobId: string;
  readonly indicatorId: string;
  readonly instruments: number;
  readonly variants: number;
  readonly unitVariants: number;
  readonly units: number;
  readonly out: string;
}

/** A submit request's keys: `keys`, and the test-only `fsFaults` with GRIDTA_TEST_FAULTS=1. */
export function checkSubmitKeys(req: unknown, keys: readonly string[], where: string): void {
  checkJobInputKeys(req, process.env.GRIDTA_TEST_FAULTS === '1' ? [...keys, 'fsFaults'] : keys, where);
}

/** A submit's data files (directories expanded); `instrumentId` may name a single file's instrument only. */
export async function requestFiles(
  req: { readonly data: readonly string[]; readonly instrumentId?: string },
  faults: FsFaults,
): Promise<string[]> {
  const files = await dataFiles(req.data, faults);
  if (req.instrumentId !== undefined && files.length !== 1) {
    throw new JobInputError(
      { field: 'instrument', reason: 'invalid_spec', value: req.instrumentId, expected: 'a single data file' },
      "--instrument names one file's instrument; several files take their base names",
    );
  }
  return files;
}

async function dataFiles(paths: readonly string[], faults: FsFaults): Promise<string[]> {
  if (paths.length === 0)
    throw new JobInputError({ field: 'data', reason: 'no_data_files', value: [] }, 'at least one candle file or directory is required');
  const out: string[] = [];
  for (const p of paths) {
    const abs = resolve(p);
    let st: Stats;
    try {
      st = await bounded('data', 'stat', p, () => fsp.stat(abs), faults);
    } catch (e) {
      if (e instanceof JobInputError) throw e;
      throw new JobInputError(
        { field: 'data', reason: 'not_found', value: p, expected: 'an existing .csv/.arrow file or a directory of them' },
        'no such file or directory',
        { cause: e },
      );
    }
    if (st.isDirectory()) {
      const names = (await bounded('data', 'readdir', p, () => fsp.readdir(abs), faults))
        .filter((n) => DATA_EXTENSIONS.includes(extname(n).toLowerCase()) && !n.startsWith('.'))
        .sort();
      if (names.length === 0)
        throw new JobInputError(
          { field: 'data', reason: 'no_data_files', value: p, expected: DATA_EXTENSIONS },
          'the directory holds no candle files',
        );
      out.push(...names.map((n) => join(abs, n)));
    } else if (st.isFile()) out.push(abs);
    else throw new JobInputError({ field: 'data', reason: 'not_a_file', value: p }, 'is neither a file nor a directory');
  }
  return out;
}

/**
 * A submit's profile: the request's (checked), else the submitter's engine's. The job records it, so
 * its workers compute in it whatever their own settings say.
 */
export function jobProfile(requested: unknown, engine: Engine): Profile {
  if (requested === undefined) return engine.config.profile.value;
  if (!(PROFILES as readonly unknown[]).includes(requested))
    throw new JobInputError(
      { field: 'profile', reason: 'invalid_spec', value: requested, expected: PROFILES },
      `must be one of ${PROFILES.join(', ')}`,
    );
  return requested as Profile;
}

/** The spec's `profile` member: none for the default profile, so a default job's spec is what it always was. */
export function profileMember(profile: Profile): { profile?: Profile } {
  return profile === DEFAULT_PROFILE ? {} : { profile };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** A uuid whose first 8 hex digits are the unit index, so pg-boss hands a job's units out in order. */
function orderedUuid(index: number): string {
  const r = randomBytes(12).toString('hex');
  return `${index.toString(16).padStart(8, '0')}-${r.slice(0, 4)}-4${r.slice(4, 7)}-${'89ab'[parseInt(r[7]!, 16) & 3]}${r.slice(8, 11)}-${r.slice(11, 23)}`;
}

/** The keys of SubmitRequest (but the test-only `fsFaults`, see submitJob) and CollectOptions. */
export const SUBMIT_REQUEST_KEYS = keyList<Omit<SubmitRequest, 'fsFaults'>>({
  indicatorId: true,
  grid: true,
  data: true,
  out: true,
  instrumentId: true,
  timeframe: true,
  timeline: true,
  tsUnit: true,
  outputs: true,
  profile: true,
});
export const COLLECT_OPTION_KEYS = keyList<CollectOptions>({ instrumentId: true, maxComputeBytesTotal: true });

/**
 * Loads and hashes every data file: one instrument per file (named by the request or the file's base
 * name, never twice), each holding the series the grid needs. `maxT` is the longest instrument's length.
 */
export async function loadInstruments(
  files: readonly string[],
  req: Pick<SubmitRequest, 'instrumentId' | 'timeframe' | 'timeline' | 'tsUnit'>,
  check: (candles: Candles) => void,
  faults: FsFaults,
): Promise<{ instruments: JobInstrument[]; maxT: number }> {
  const instruments: JobInstrument[] = [];
  const seen = new Map<string, string>();
  let maxT = 0;
  for (const file of files) {
    const bytes = await bounded('data', 'readFile', file, () => fsp.readFile(file), faults);
    const instrumentId = req.instrumentId ?? basename(file, extname(file));
    const other = seen.get(instrumentId);
    if (other !== undefined) {
      throw new JobInputError(
        {
          field: 'data',
          reason: 'duplicate_instrument',
          value: file,
          expected: `one file per instrument (${other} is ${instrumentId} too)`,
        },
        `two files give the instrument ${instrumentId}`,
      );
    }
    seen.set(instrumentId, file);
    const candles = await bounded(
      'data',
      'load',
      file,
      () =>
        loadCandlesFile(file, {
          instrumentId,
          ...(req.timeframe ? { timeframe: req.timeframe } : {}),
          ...(req.timeline ? { timeline: req.timeline } : {}),
          ...(req.tsUnit ? { tsUnit: req.tsUnit } : {}),
        }),
      faults,
    );
    check(candles);
    maxT = Math.max(maxT, candles.t);
    instruments.push({
      index: instruments.length,
      file,
      instrumentId: candles.instrumentId,
      timeframe: candles.timeframe,
      timeline: candles.timeline,
      t: candles.t,
      start: candles.start,
      end: candles.end,
      sha256: sha256(bytes),
      bytes: bytes.length,
    });
  }
  return { instruments, maxT };
}

/**
 * Validates the whole request — indicator, grid, outputs, every data file (loaded and hashed), the
 * series the grid needs, the unit size against the guards and the output directory — and only then
 * enqueues: the job row, its unit rows and one pg-boss job per unit, in one transaction.
 */
export async function submitJob(engine: Engine, db: JobsDb, req: SubmitRequest): Promise<SubmitResult> {
  checkSubmitKeys(req, SUBMIT_REQUEST_KEYS, 'the submitJob request');
  const cfg = engine.config;
  const profile = jobProfile(req.profile, engine);
  const def = registry.get(req.indicatorId);
  const spec = engine.defaultGrid(def.id, req.grid ?? {});
  const grid = materializeGrid(spec);
  checkVariantRules(grid);
  if (grid.variants > 4_294_967_295n) {
    throw new JobInputError(
      { field: 'grid', reason: 'invalid_spec', value: grid.variants.toString(), expected: '<= 4294967295 variants' },
      'a job holds at most 2^32 - 1 variants per instrument',
    );
  }
  const V = Number(grid.variants);
  const outputs = selectOutputs(def, req.outputs);
  const faults = req.fsFaults ?? {};
  const files = await requestFiles(req, faults);
  const required = requiredBaseSeries(def, grid.axes);
  const { instruments, maxT } = await loadInstruments(
    files,
    req,
    (candles) => {
      const available = availableSeries(candles);
      const missing = required.filter((s) => !available.includes(s));
      if (missing.length) throw new MissingInputSeriesError({ indicatorId: def.id, missing, required, available: [...available] });
    },
    faults,
  );
  const setting = cfg.jobsUnitVariants.value;
  const unitVariants = Math.min(V, setting === 'auto' ? autoUnitVariants(maxT, outputs.length) : setting);
  // every compute of a unit must pass the guards on the longest instrument
  for (const b of cartesianBlocks(grid.axes, 0, Math.min(V, unitVariants))) {
    engine.estimate(explicitGrid(def.id, b.axes), maxT, { outputs, throwOnGuard: true });
  }
  // no recursive mkdir (it spins forever under /proc): walk up, check, create level by level
  const out = await ensureWritableDir(req.out, 'out', req.out, faults);

  const jobId = randomUUID();
  const units = planUnits(instruments.length, V, unitVariants);
  const jobSpec: JobSpec = {
    version: 1,
    indicatorId: def.id,
    grid: explicitGrid(def.id, grid.axes),
    axes: grid.axes,
    variants: V,
    outputs,
    unitVariants,
    instruments,
    load: { ...(req.timeline ? { timeline: req.timeline } : {}), ...(req.tsUnit ? { tsUnit: req.tsUnit } : {}) },
    ...profileMember(profile),
  };
  const lease = cfg.jobsLeaseSeconds.value;
  const retryLimit = cfg.jobsRetryLimit.value;
  const s = db.schema;
  await transaction(db.pool, async (client) => {
    await client.query(
      `INSERT INTO ${s}.job (id, indicator_id, spec, out_dir, total_units, lease_seconds, retry_limit) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [jobId, def.id, JSON.stringify(jobSpec), out, units.length, lease, retryLimit],
    );
    await insertUnits(
      client,
      db,
      jobId,
      'a',
      units.map((u) => ({ ...u, file: unitFileName(jobId, u.instrument, instruments[u.instrument]!.instrumentId, u.start, u.end) })),
      { lease, retryLimit },
    );
  });
  return { jobId, indicatorId: def.id, instruments: instruments.length, variants: V, unitVariants, units: units.length, out };
}

/** A unit to enqueue: its index in the job, instrument, variant range and (grid jobs) file name. */
export interface NewUnit {
  readonly index: number;
  readonly instrument: number;
  readonly start: number;
  readonly end: number;
  /** The unit file's name (grid units); '' for a backtest unit, whose results go to the database. */
  readonly file: string;
}

/**
 * Unit rows (of stage 'a': grid units and a backtest's Stage A; 'b': Stage B) and one pg-boss job
 * each, in chunks of 1000, on one client inside its transaction.
 */
export async function insertUnits(
  client: pg.PoolClient,
  db: Pick<JobsDb, 'schema' | 'boss'>,
  jobId: string,
  stage: 'a' | 'b',
  units: readonly NewUnit[],
  limits: { readonly lease: number; readonly retryLimit: number },
): Promise<void> {
  // pg-boss archives jobs still queued after their keep-until (14 days by default): a long sweep's
  // backlog must outlive that, so queued units are kept for a year
  const keepUntil = new Date(Date.now() + KEEP_QUEUED_DAYS * 86_400_000).toISOString();
  for (let c = 0; c < units.length; c += 1000) {
    const chunk = units.slice(c, c + 1000).map((u) => ({ ...u, bossId: orderedUuid(u.index) }));
    await client.query(
      `INSERT INTO ${db.schema}.unit (job_id, idx, boss_id, instrument, v_start, v_end, file, stage)
       SELECT $1, *, $8 FROM unnest($2::int[], $3::uuid[], $4::int[], $5::int[], $6::int[], $7::text[])`,
      [
        jobId,
        chunk.map((u) => u.index),
        chunk.map((u) => u.bossId),
        chunk.map((u) => u.instrument),
        chunk.map((u) => u.start),
        chunk.map((u) => u.end),
        chunk.map((u) => u.file),
        stage,
      ],
    );
    await db.boss.insert(
      chunk.map((u) => ({
        id: u.bossId,
        name: QUEUE,
        data: { job: jobId, unit: u.index },
        retryLimit: limits.retryLimit,
        retryDelay: 0,
        expireInSeconds: limits.lease,
        keepUntil,
      })),
      { db: onClient(client) },
    );
  }
}

// ---------------------------------------------------------------------------------------------
// Status, list, cancel

export type JobState = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';

export interface UnitFailure {
  readonly unit: number;
  /** `grid`, or a backtest's `stage_a` / `stage_b` (a Stage B unit replays the shortlist: its variants are [0, 0]). */
  readonly stage: 'grid' | 'stage_a' | 'stage_b';
  readonly instrumentId: string;
  readonly variants: readonly [number, number];
  readonly attempts: number;
  readonly state: string;
  readonly error: string;
}

/** Units of one stage of a backtest job. */
export interface StageProgress {
  readonly processed: number;
  readonly total: number;
}

export interface JobStatus {
  readonly jobId: string;
  /** `grid`: an indicator grid; `backtest`: a strategy's Stage A, shortlist and Stage B. */
  readonly kind: 'grid' | 'backtest';
  /** The indicator id (grid) or the strategy id (backtest). */
  readonly indicatorId: string;
  /** A backtest's stage: `stage_a`, `stage_b` (the shortlist is known), `done`; null for a grid job. */
  readonly stage: 'stage_a' | 'stage_b' | 'done' | null;
  /** A backtest's units per stage (Stage B: one per instrument); null for a grid job. */
  readonly stages: { readonly stage_a: StageProgress; readonly stage_b: StageProgress } | null;
  /** A backtest's Stage A summary once Stage A is done, else null. */
  readonly stageA: {
    readonly stage_a_variants_total: number;
    readonly risk_total: number;
    readonly preselect_used: boolean;
    readonly missing: number;
    readonly aggregate: string;
  } | null;
  readonly createdAt: string;
  readonly state: JobState;
  readonly instruments: number;
  readonly variants: number;
  readonly unitVariants: number;
  readonly total: number;
  /** Units completed (their file is in `out`). */
  readonly processed: number;
  readonly queued: number;
  readonly active: number;
  readonly failed: number;
  readonly cancelled: number;
  /** Claims over all units (a unit re-run after a lost lease counts twice). */
  readonly attempts: number;
  readonly failures: readonly UnitFailure[];
  /** Units per second since the first claim; `null` before any unit finished. */
  readonly rate: number | null;
  /** Seconds left at that rate; `null` when unknown or not running. */
  readonly etaSeconds: number | null;
  readonly startedAt: string | null;
  readonly finishedAt: string | null;
  readonly cancelledAt: string | null;
  readonly out: string;
}

interface JobRow {
  id: string;
  indicator_id: string;
  created_at: Date;
  spec: JobSpec | BacktestJobSpec;
  out_dir: string;
  total_units: number;
  cancelled_at: Date | null;
  kind: 'grid' | 'backtest';
  stage: 'stage_a' | 'stage_b' | 'done' | null;
  summary: StageASummary | null;
}

async function jobRow(db: JobsDb, jobId: string): Promise<JobRow> {
  if (!/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(jobId)) throw new JobNotFoundError({ jobId });
  const { rows } = await db.pool.query<JobRow>(
    `SELECT id, indicator_id, created_at, spec, out_dir, total_units, cancelled_at, kind, stage, summary FROM ${db.schema}.job WHERE id = $1`,
    [jobId],
  );
  if (!rows[0]) throw new JobNotFoundError({ jobId });
  return rows[0];
}

/** A unit's live state: pg-boss's (job or archive table), else gridta's own record. */
const LIVE = (db: JobsDb): string => `
  FROM ${db.schema}.unit u
  LEFT JOIN ${db.bossSchema}.job bj ON bj.name = '${QUEUE}' AND bj.id = u.boss_id
  LEFT JOIN ${db.bossSchema}.archive ba ON ba.name = '${QUEUE}' AND ba.id = u.boss_id`;
const STATE = `CASE WHEN u.completions > 0 THEN 'completed' ELSE COALESCE(bj.state::text, ba.state::text, u.state) END`;

export async function jobStatus(db: JobsDb, jobId: string): Promise<JobStatus> {
  const job = await jobRow(db, jobId);
  const {
    rows: [agg],
  } = await db.pool.query<{
    processed: string;
    queued: string;
    active: string;
    failed: string;
    cancelled: string;
    attempts: string;
    started: Date | null;
    finished: Date | null;
    now: Date;
  }>(
    `
    SELECT count(*) FILTER (WHERE st = 'completed') processed,
           count(*) FILTER (WHERE st IN ('created', 'retry', 'queued', 'running')) queued,
           count(*) FILTER (WHERE st = 'active') active,
           count(*) FILTER (WHERE st = 'failed') failed,
           count(*) FILTER (WHERE st = 'cancelled') cancelled,
           coalesce(sum(attempts), 0) attempts, min(started_at) started, max(finished_at) finished, now() now
    FROM (SELECT ${STATE} st, u.attempts, u.started_at, u.finished_at ${LIVE(db)} WHERE u.job_id = $1) x`,
    [jobId],
  );
  const { rows: fails } = await db.pool.query<{
    idx: number;
    instrument: number;
    v_start: number;
    v_end: number;
    attempts: number;
    st: string;
    last_error: string;
    stage: 'a' | 'b';
  }>(
    `
    SELECT u.idx, u.instrument, u.v_start, u.v_end, u.attempts, ${STATE} st, u.last_error, u.stage ${LIVE(db)}
    WHERE u.job_id = $1 AND u.last_error IS NOT NULL ORDER BY u.idx LIMIT 20`,
    [jobId],
  );
  const n = (x: string): number => Number(x);
  const total = job.total_units;
  const processed = n(agg!.processed),
    queued = n(agg!.queued),
    active = n(agg!.active),
    failed = n(agg!.failed),
    cancelled = n(agg!.cancelled);
  const state: JobState = job.cancelled_at
    ? 'cancelled'
    : processed === total && (job.kind !== 'backtest' || job.stage === 'done')
      ? 'completed'
      : failed > 0 && queued + active === 0
        ? 'failed'
        : active > 0 || processed > 0 || failed > 0
          ? 'running'
          : 'queued';
  const started = agg!.started;
  const endAt = state === 'running' || state === 'queued' ? agg!.now : (agg!.finished ?? agg!.now);
  const span = started ? (endAt.getTime() - started.getTime()) / 1000 : 0;
  const rate = processed > 0 && span > 0 ? processed / span : null;
  const etaSeconds = state === 'running' && rate ? (total - processed) / rate : null;
  const spec = job.spec;
  let stages: JobStatus['stages'] = null;
  if (job.kind === 'backtest') {
    const { rows } = await db.pool.query<{ stage: 'a' | 'b'; processed: number; total: number }>(
      `SELECT stage, count(*) FILTER (WHERE completions > 0)::int processed, count(*)::int total FROM ${db.schema}.unit WHERE job_id = $1 GROUP BY stage`,
      [jobId],
    );
    const of = (st: 'a' | 'b') => rows.find((r) => r.stage === st);
    stages = {
      stage_a: { processed: of('a')?.processed ?? 0, total: of('a')?.total ?? 0 },
      stage_b: { processed: of('b')?.processed ?? 0, total: spec.instruments.length },
    };
  }
  const sm = job.summary;
  return {
    jobId,
    kind: job.kind,
    indicatorId: job.indicator_id,
    stage: job.kind === 'backtest' ? job.stage : null,
    stages,
    stageA: sm
      ? {
          stage_a_variants_total: sm.stage_a_variants_total,
          risk_total: sm.risk_total,
          preselect_used: sm.preselect_used,
          missing: sm.missing,
          aggregate: sm.aggregate,
        }
      : null,
    createdAt: job.created_at.toISOString(),
    state,
    instruments: spec.instruments.length,
    variants: spec.variants,
    unitVariants: spec.unitVariants,
    total,
    processed,
    queued,
    active,
    failed,
    cancelled,
    attempts: n(agg!.attempts),
    failures: fails.map((f) => ({
      unit: f.idx,
      stage: job.kind === 'grid' ? ('grid' as const) : f.stage === 'b' ? ('stage_b' as const) : ('stage_a' as const),
      instrumentId: spec.instruments[f.instrument]!.instrumentId,
      variants: [f.v_start, f.v_end] as const,
      attempts: f.attempts,
      state: f.st,
      error: f.last_error,
    })),
    rate,
    etaSeconds,
    startedAt: started ? started.toISOString() : null,
    finishedAt: state === 'completed' && agg!.finished ? agg!.finished.toISOString() : null,
    cancelledAt: job.cancelled_at ? job.cancelled_at.toISOString() : null,
    out: job.out_dir,
  };
}

/** Every job, newest first, with its progress. */
export async function listJobs(db: JobsDb, limit = 50): Promise<JobStatus[]> {
  const { rows } = await db.pool.query<{ id: string }>(`SELECT id FROM ${db.schema}.job ORDER BY created_at DESC, id LIMIT $1`, [limit]);
  const out: JobStatus[] = [];
  for (const r of rows) out.push(await jobStatus(db, r.id));
  return out;
}

/** What `cancelJob` did: cancelled the job now, or nothing because it was already cancelled or finished. */
export type CancelOutcome = 'cancelled' | 'already_cancelled' | 'already_finished';

export interface CancelResult extends JobStatus {
  readonly cancelOutcome: CancelOutcome;
}

/**
 * Cancels a job: its queued units at once (pg-boss `cancel`), its running units at their next batch
 * boundary (the worker finds its unit no longer active and the job flagged). Completed units stay.
 * A finished job (`completed`, or `failed` with nothing left to run) stays as it is: cancelling it
 * is a no-op reported as `already_finished`, and a second cancel is `already_cancelled`.
 */
export async function cancelJob(db: JobsDb, jobId: string, reason = 'cancelled by request'): Promise<CancelResult> {
  await jobRow(db, jobId);
  const outcome = await transaction(db.pool, async (client): Promise<CancelOutcome> => {
    // the job row lock orders concurrent cancels; the state is read under it
    const {
      rows: [job],
    } = await client.query<{ cancelled_at: Date | null }>(`SELECT cancelled_at FROM ${db.schema}.job WHERE id = $1 FOR UPDATE`, [jobId]);
    if (job!.cancelled_at) return 'already_cancelled';
    const {
      rows: [left],
    } = await client.query<{ open: string }>(
      `
      SELECT count(*) FILTER (WHERE st NOT IN ('completed', 'failed', 'cancelled')) open
      FROM (SELECT ${STATE} st ${LIVE(db)} WHERE u.job_id = $1) x`,
      [jobId],
    );
    if (Number(left!.open) === 0) return 'already_finished';
    await client.query(`UPDATE ${db.schema}.job SET cancelled_at = now(), cancel_reason = $2 WHERE id = $1`, [jobId, reason]);
    const { rows } = await client.query<{ boss_id: string }>(
      `SELECT boss_id FROM ${db.schema}.unit WHERE job_id = $1 AND completions = 0 ORDER BY idx`,
      [jobId],
    );
    for (let c = 0; c < rows.length; c += 1000) {
      await db.boss.cancel(
        QUEUE,
        rows.slice(c, c + 1000).map((r) => r.boss_id),
        { db: onClient(client) },
      );
    }
    await client.query(`UPDATE ${db.schema}.unit SET state = 'cancelled' WHERE job_id = $1 AND completions = 0`, [jobId]);
    return 'cancelled';
  });
  return { ...(await jobStatus(db, jobId)), cancelOutcome: outcome };
}

// ---------------------------------------------------------------------------------------------
// Collect

export interface CollectOptions {
  /** Only this instrument (id); default every instrument of the job. */
  readonly instrumentId?: string;
  /** Export budget of the merged tensors (default: the engine's `max_compute_bytes_total`). */
  readonly maxComputeBytesTotal?: number;
}

export interface CollectedInstrument {
  readonly instrumentId: string;
  readonly tensor: IndicatorTensor<Table>;
}

/**
 * Merges the unit files of a job into one tensor per instrument (VARIANT_MAJOR), checking that every
 * unit file is present and is the slice it should be. `tensor.toArrow()` is the long table an
 * in-process compute of the same grid exports, byte for byte through `toArrowIPC()`.
 */
export async function collectJob(db: JobsDb, jobId: string, opts: CollectOptions = {}): Promise<CollectedInstrument[]> {
  checkJobInputKeys(opts, COLLECT_OPTION_KEYS, 'the collectJob options');
  const job = await jobRow(db, jobId);
  if (job.kind !== 'grid')
    throw new JobInputError(
      { field: 'job', reason: 'invalid_spec', value: jobId, expected: 'a grid job' },
      'a backtest job has no unit files to collect; its results are in `jobs top`',
    );
  const spec = job.spec as JobSpec;
  const chosen = opts.instrumentId === undefined ? spec.instruments : spec.instruments.filter((i) => i.instrumentId === opts.instrumentId);
  if (chosen.length === 0) {
    throw new JobInputError(
      { field: 'instrument', reason: 'invalid_spec', value: opts.instrumentId, expected: spec.instruments.map((i) => i.instrumentId) },
      `job ${jobId} has no such instrument`,
    );
  }
  const def = registry.get(spec.indicatorId);
  const out: CollectedInstrument[] = [];
  for (const inst of chosen) {
    const { rows } = await db.pool.query<{
      idx: number;
      v_start: number;
      v_end: number;
      file: string;
      engine: string | null;
      sha256: string | null;
    }>(`SELECT idx, v_start, v_end, file, engine, sha256 FROM ${db.schema}.unit WHERE job_id = $1 AND instrument = $2 ORDER BY v_start`, [
      jobId,
      inst.index,
    ]);
    const units = [];
    for (const r of rows) {
      const path = join(job.out_dir, r.file);
      const bytes = await fsp.readFile(path).catch((e: NodeJS.ErrnoException) => {
        if (e.code === 'ENOENT') return null;
        throw e;
      });
      // a file whose bytes changed since its worker published it (a flipped bit in the float data
      // still parses) is refused; units published before digests were recorded have none to check
      if (bytes && r.sha256 !== null) {
        const got = sha256(bytes);
        if (got !== r.sha256) {
          throw new JobIncompleteError(
            {
              jobId,
              instrumentId: inst.instrumentId,
              reason: 'checksum_mismatch',
              missing: [{ unit: r.idx, file: path }],
              missingCount: 1,
              total: rows.length,
            },
            `job ${jobId} (${inst.instrumentId}): unit ${r.idx} file ${path} has sha256 ${got}, not the ${r.sha256} recorded when it was published`,
          );
        }
      }
      units.push({ index: r.idx, start: r.v_start, end: r.v_end, file: path, bytes });
    }
    const engine = (rows.find((r) => r.engine)?.engine ?? 'wasm-simd') as 'wasm-simd' | 'wasm-scalar' | 'reference';
    const tensor = mergeUnits({
      jobId,
      def,
      axes: spec.axes,
      variants: spec.variants,
      outputs: spec.outputs,
      instrumentId: inst.instrumentId,
      timeframe: inst.timeframe,
      timeline: inst.timeline,
      ...(spec.profile ? { profile: spec.profile } : {}),
      t: inst.t,
      start: inst.start,
      end: inst.end,
      engine,
      units,
      maxComputeBytesTotal: opts.maxComputeBytesTotal ?? 5_368_709_120,
    });
    out.push({ instrumentId: inst.instrumentId, tensor });
  }
  return out;
}
