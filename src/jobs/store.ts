/**
 * The database side of jobs: one pg pool shared with pg-boss (which owns claiming, leases, retries
 * and expiry in the `<schema>_boss` schema) and gridta's own two tables in `<schema>`: `job` (what to
 * compute and where to write) and `unit` (bookkeeping per unit: attempts, completions, last error).
 * Both schemas are created on first use, under an advisory lock so concurrent first starts are safe.
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import { ConfigError, JobsUnavailableError } from '../errors.js';
import type { TsUnit } from '../candles/types.js';
import type { Timeframe } from '../grid/timeframe.js';
import type { Axis, GridSpec } from '../grid/types.js';
import { checkKnownOptions, maskDsn, maskSecretsIn, type ResolvedConfig } from '../runtime/config.js';
import { keyList } from '../options.js';
import type { Aggregate } from '../backtest/aggregate.js';
import type { Filters, Holdout, Objective } from '../backtest/options.js';
import type { Execution } from '../backtest/program.js';
import type { StrategySpec } from '../strategies/types.js';
import type { Profile } from '../registry/types.js';

/** The pg-boss queue every unit goes through. */
export const QUEUE = 'gridta-units';

/** What a job records at submit; workers compute exactly this, whatever their own YAML says. */
export interface JobSpec {
  readonly version: 1;
  readonly indicatorId: string;
  /** The materialised grid as explicit axes (values in variant order). */
  readonly grid: GridSpec;
  readonly axes: readonly Axis[];
  readonly variants: number;
  readonly outputs: readonly string[];
  readonly unitVariants: number;
  readonly instruments: readonly JobInstrument[];
  /** The load options the submit checked: workers load each file with them. */
  readonly load: { readonly timeline?: 'dense' | 'sessions'; readonly tsUnit?: TsUnit };
  /** The profile of conventions, recorded only when it is not the default (absent: the default profile). */
  readonly profile?: Profile;
}

/** What a backtest job records at submit: the request every unit runs, whatever the worker's YAML says. */
export interface BacktestJobSpec {
  readonly version: 1;
  readonly strategy: StrategySpec;
  /** The checked execution (its defaults filled in). */
  readonly execution: Execution;
  /** The objective and filters as submitted (checked; JSON cannot hold a resolved filter's infinite bound). */
  readonly objective: Objective | null;
  readonly filters: Filters | null;
  readonly top: number;
  readonly holdout: Holdout | null;
  readonly aggregate: Aggregate;
  /** Kept variants of the strategy's grid, and the names of its axes. */
  readonly variants: number;
  readonly params: readonly string[];
  readonly unitVariants: number;
  readonly instruments: readonly JobInstrument[];
  readonly load: { readonly timeline?: 'dense' | 'sessions'; readonly tsUnit?: TsUnit };
  /** The profile the operand series are computed in, recorded only when it is not the default (absent: the default profile). */
  readonly profile?: Profile;
}

export interface JobInstrument {
  readonly index: number;
  /** Absolute path of the candle file as seen by the submitter (workers read the same path). */
  readonly file: string;
  readonly instrumentId: string;
  /** As the submit's load gave it (normalised). */
  readonly timeframe: Timeframe;
  readonly timeline: 'dense' | 'sessions';
  readonly t: number;
  readonly start: number;
  readonly end: number;
  /** SHA-256 of the file's bytes: a worker refuses a file that changed since the submit. */
  readonly sha256: string;
  readonly bytes: number;
}

export interface JobsDb {
  readonly pool: pg.Pool;
  readonly boss: PgBoss;
  /** gridta's schema (quoted identifier-safe by validation). */
  readonly schema: string;
  readonly bossSchema: string;
  /** The DSN without its password. */
  readonly dsn: string;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** Run pg-boss maintenance (expiring leases, archiving) every this many seconds; off when absent. */
  readonly maintenanceIntervalSeconds?: number;
  readonly poolSize?: number;
  readonly onError?: (e: Error) => void;
}

const DDL = (s: string): string => `
  CREATE SCHEMA IF NOT EXISTS ${s};
  CREATE TABLE IF NOT EXISTS ${s}.job (
    id uuid PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now(),
    indicator_id text NOT NULL,
    spec jsonb NOT NULL,
    out_dir text NOT NULL,
    total_units integer NOT NULL,
    lease_seconds integer NOT NULL,
    retry_limit integer NOT NULL,
    cancelled_at timestamptz,
    cancel_reason text
  );
  CREATE TABLE IF NOT EXISTS ${s}.unit (
    job_id uuid NOT NULL REFERENCES ${s}.job (id) ON DELETE CASCADE,
    idx integer NOT NULL,
    boss_id uuid NOT NULL UNIQUE,
    instrument integer NOT NULL,
    v_start integer NOT NULL,
    v_end integer NOT NULL,
    file text NOT NULL,
    state text NOT NULL DEFAULT 'queued',
    attempts integer NOT NULL DEFAULT 0,
    completions integer NOT NULL DEFAULT 0,
    failures integer NOT NULL DEFAULT 0,
    releases integer NOT NULL DEFAULT 0,
    last_error text,
    last_worker text,
    engine text,
    started_at timestamptz,
    finished_at timestamptz,
    duration_ms double precision,
    bytes bigint,
    sha256 text,
    PRIMARY KEY (job_id, idx)
  );
  -- SHA-256 of the published unit file (collect verifies it); added after the first release
  ALTER TABLE ${s}.unit ADD COLUMN IF NOT EXISTS sha256 text;
  CREATE INDEX IF NOT EXISTS unit_job_state ON ${s}.unit (job_id, state);
  -- backtest jobs (a second kind): the job's stage and Stage A summary, each unit's stage ('a' or 'b'),
  -- Stage A's metrics per unit and Stage B's top rows
  ALTER TABLE ${s}.job ADD COLUMN IF NOT EXISTS kind text NOT NULL DEFAULT 'grid';
  ALTER TABLE ${s}.job ADD COLUMN IF NOT EXISTS stage text;
  ALTER TABLE ${s}.job ADD COLUMN IF NOT EXISTS summary jsonb;
  ALTER TABLE ${s}.unit ADD COLUMN IF NOT EXISTS stage text NOT NULL DEFAULT 'a';
  CREATE INDEX IF NOT EXISTS job_created ON ${s}.job (created_at DESC, id DESC);
  CREATE TABLE IF NOT EXISTS ${s}.bt_score (
    job_id uuid NOT NULL REFERENCES ${s}.job (id) ON DELETE CASCADE,
    idx integer NOT NULL,
    instrument integer NOT NULL,
    v_start integer NOT NULL,
    v_end integer NOT NULL,
    -- float64 little-endian, metric-major: every metric's (v_end - v_start) values in turn
    metrics bytea NOT NULL,
    PRIMARY KEY (job_id, idx)
  );
  CREATE TABLE IF NOT EXISTS ${s}.bt_top (
    job_id uuid NOT NULL REFERENCES ${s}.job (id) ON DELETE CASCADE,
    list text NOT NULL,
    instrument integer NOT NULL,
    rank integer NOT NULL,
    variant integer NOT NULL,
    variant_key text NOT NULL,
    params jsonb NOT NULL,
    objective text NOT NULL,
    metrics bytea NOT NULL,
    report_table_md text NOT NULL,
    trades_json text NOT NULL,
    PRIMARY KEY (job_id, list, instrument, rank)
  );
  -- with a holdout: the out-of-sample part of each top row (its own run from flat, as Stage B reports it)
  ALTER TABLE ${s}.bt_top ADD COLUMN IF NOT EXISTS oos_metrics bytea;
  ALTER TABLE ${s}.bt_top ADD COLUMN IF NOT EXISTS oos_trades_json text;
  CREATE TABLE IF NOT EXISTS ${s}.meta (version integer NOT NULL);
  DELETE FROM ${s}.meta;
  INSERT INTO ${s}.meta (version) VALUES (${SCHEMA_VERSION});
`;

/**
 * The version of the tables above; bumped with every change to them. The DDL runs only when the
 * database holds an older one: its ALTER TABLEs take ACCESS EXCLUSIVE locks even when there is
 * nothing to add, so running them on every connection would make a `jobs status` wait for (and
 * deadlock with) a worker's completing transaction.
 */
const SCHEMA_VERSION = 3;

/** Whether the schema's tables are at SCHEMA_VERSION (looked up without taking a table lock that blocks writers). */
async function schemaCurrent(client: pg.PoolClient, schema: string): Promise<boolean> {
  const {
    rows: [r],
  } = await client.query<{ meta: string | null }>('SELECT to_regclass($1)::text meta', [`${schema}.meta`]);
  if (!r?.meta) return false;
  const { rows } = await client.query<{ version: number }>(`SELECT version FROM ${schema}.meta`);
  return rows.length === 1 && rows[0]!.version >= SCHEMA_VERSION;
}

/** Rejects a missing DSN with the setting's name and where to set it. */
export function requireDsn(cfg: ResolvedConfig): string {
  const dsn = cfg.jobsDsn.value;
  if (dsn === null) {
    throw new ConfigError(
      { key: 'jobsDsn', source: cfg.jobsDsn.source, value: null, expected: 'a postgres:// URL (GRIDTA_PG_DSN, --dsn or jobs.dsn)' },
      'jobsDsn: no PostgreSQL connection configured; set GRIDTA_PG_DSN, pass --dsn or add jobs.dsn to the config file (got null)',
    );
  }
  return dsn;
}

/** A stable 64-bit advisory lock key for this schema's setup. */
const lockKey = (schema: string): string => `hashtext('gridta.setup.${schema}')::bigint`;

/**
 * Connects (checking the server answers), creates gridta's tables and pg-boss's schema when missing,
 * and starts pg-boss (with lease maintenance only when asked). Unreachable → JobsUnavailableError.
 */
/** The keys of OpenOptions. */
export const OPEN_OPTION_KEYS = keyList<OpenOptions>({ maintenanceIntervalSeconds: true, poolSize: true, onError: true });

export async function openJobsDb(cfg: ResolvedConfig, opts: OpenOptions = {}): Promise<JobsDb> {
  checkKnownOptions(opts, OPEN_OPTION_KEYS, 'the openJobsDb options');
  const dsn = requireDsn(cfg);
  const shown = maskDsn(dsn);
  const schema = cfg.jobsSchema.value;
  const bossSchema = `${schema}_boss`;
  const pool = new pg.Pool({ connectionString: dsn, max: opts.poolSize ?? 4, connectionTimeoutMillis: 10_000, application_name: 'gridta' });
  const onError = opts.onError ?? (() => undefined);
  pool.on('error', (e) => onError(e));
  try {
    await pool.query('SELECT 1');
  } catch (e) {
    await pool.end().catch(() => undefined);
    const err = e as NodeJS.ErrnoException;
    const cause = err.message || err.code || String(e);
    throw new JobsUnavailableError(
      { dsn: shown, cause: maskSecretsIn(err.code && !cause.includes(err.code) ? `${err.code} ${cause}` : cause, dsn) },
      { cause: e },
    );
  }
  let boss: PgBoss | undefined;
  try {
    const client = await pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(${lockKey(schema)})`);
      try {
        if (!(await schemaCurrent(client, schema))) await client.query(DDL(schema));
        boss = new PgBoss({
          db: { executeSql: (text: string, values: unknown[]) => pool.query(text, values) },
          schema: bossSchema,
          schedule: false,
          migrate: true,
          supervise: opts.maintenanceIntervalSeconds !== undefined,
          ...(opts.maintenanceIntervalSeconds !== undefined ? { maintenanceIntervalSeconds: opts.maintenanceIntervalSeconds } : {}),
        });
        boss.on('error', (e) => onError(e));
        await boss.start();
        if (!(await boss.getQueue(QUEUE))) await boss.createQueue(QUEUE, { name: QUEUE, policy: 'standard' });
      } finally {
        await client.query(`SELECT pg_advisory_unlock(${lockKey(schema)})`);
      }
    } finally {
      client.release();
    }
  } catch (e) {
    await boss?.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
    await pool.end().catch(() => undefined);
    throw e;
  }
  const b = boss!;
  let closed = false;
  return {
    pool,
    boss: b,
    schema,
    bossSchema,
    dsn: shown,
    close: async () => {
      if (closed) return;
      closed = true;
      await b.stop({ graceful: false, close: false, wait: true }).catch(() => undefined);
      await pool.end().catch(() => undefined);
    },
  };
}

/** A `pg-boss` Db running its statements on one client (inside that client's transaction). */
export const onClient = (client: pg.PoolClient): { executeSql(text: string, values: unknown[]): Promise<{ rows: unknown[] }> } => ({
  executeSql: (text: string, values: unknown[]) => client.query(text, values as unknown[]),
});

/** Runs `fn` in a transaction on one client; rolls back on any error. */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const out = await fn(client);
    await client.query('COMMIT');
    return out;
  } catch (e) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw e;
  } finally {
    client.release();
  }
}

// ---------------------------------------------------------------------------------------------
// The worker's statements (src/jobs/worker.ts). Each runs on the pool or on one client inside a
// transaction; the schemas come from the JobsDb, the queue is QUEUE.

/** Where a statement runs: the pool, or one client (inside that client's transaction). */
export interface Queryable {
  query: pg.Pool['query'];
}

/** The two schemas a statement names. */
export type Schemas = Pick<JobsDb, 'schema' | 'bossSchema'>;

/** A job as recorded at submit: what to compute and where to write it. */
export async function selectJob(
  q: Queryable,
  db: Schemas,
  jobId: string,
): Promise<{ spec: JobSpec | BacktestJobSpec; out_dir: string; kind: 'grid' | 'backtest' } | undefined> {
  const { rows } = await q.query<{ spec: JobSpec | BacktestJobSpec; out_dir: string; kind: 'grid' | 'backtest' }>(
    `SELECT spec, out_dir, kind FROM ${db.schema}.job WHERE id = $1`,
    [jobId],
  );
  return rows[0];
}

/** Whether and when a job was cancelled; undefined when there is no such job. */
export async function selectJobCancelled(q: Queryable, db: Schemas, jobId: string): Promise<{ cancelled_at: Date | null } | undefined> {
  const {
    rows: [g],
  } = await q.query<{ cancelled_at: Date | null }>(`SELECT cancelled_at FROM ${db.schema}.job WHERE id = $1`, [jobId]);
  return g;
}

/** A unit's pg-boss row: its state and the retry count and start of its current attempt. */
export interface BossAttemptRow {
  state: string;
  retry_count: number;
  started_on: Date | null;
}

/** A unit's pg-boss row; with `lock`, locks it until the end of the client's transaction. */
export async function selectBossAttempt(q: Queryable, db: Schemas, bossId: string, lock: boolean): Promise<BossAttemptRow | undefined> {
  const {
    rows: [b],
  } = await q.query<BossAttemptRow>(
    `SELECT state, retry_count, started_on FROM ${db.bossSchema}.job WHERE name = $1 AND id = $2${lock ? ' FOR UPDATE' : ''}`,
    [QUEUE, bossId],
  );
  return b;
}

/** A unit's pg-boss state (after a fail: `failed` when that was its last attempt). */
export async function selectBossState(q: Queryable, db: Schemas, bossId: string): Promise<string | undefined> {
  const {
    rows: [b],
  } = await q.query<{ state: string }>(`SELECT state FROM ${db.bossSchema}.job WHERE name = $1 AND id = $2`, [QUEUE, bossId]);
  return b?.state;
}

/** The pg-boss state of each of these units, by pg-boss id. */
export async function selectBossStates(q: Queryable, db: Schemas, bossIds: readonly string[]): Promise<Map<string, string>> {
  const { rows } = await q.query<{ id: string; state: string }>(
    `SELECT id, state FROM ${db.bossSchema}.job WHERE name = $1 AND id = ANY($2::uuid[])`,
    [QUEUE, bossIds],
  );
  return new Map(rows.map((r) => [r.id, r.state]));
}

/** What a worker needs of a unit's row to compute it. */
export interface UnitRow {
  job_id: string;
  idx: number;
  instrument: number;
  v_start: number;
  v_end: number;
  file: string;
  /** 'a' (grid units and Stage A of a backtest) or 'b' (Stage B of a backtest). */
  stage: 'a' | 'b';
}

/**
 * Records the claim of a unit's new attempt (running, by this worker). A unit still `running` from
 * an earlier attempt lost that attempt's lease without anyone recording it (the queue's own
 * maintenance expired it): that failure is recorded here, before the new attempt.
 */
export async function claimUnitRow(q: Queryable, db: Schemas, bossId: string, workerId: string): Promise<UnitRow | undefined> {
  const {
    rows: [u],
  } = await q.query<UnitRow>(
    `UPDATE ${db.schema}.unit SET attempts = attempts + 1, state = 'running', last_worker = $2, started_at = coalesce(started_at, now()),
       failures = failures + CASE WHEN state = 'running' THEN 1 ELSE 0 END,
       last_error = CASE WHEN state = 'running'
         THEN format('lease_expired: worker %s did not finish attempt %s within the job''s lease (found when attempt %s was claimed at %s)',
                     last_worker, attempts, attempts + 1, to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
         ELSE last_error END
     WHERE boss_id = $1 RETURNING job_id, idx, instrument, v_start, v_end, file, stage`,
    [bossId, workerId],
  );
  return u;
}

/** What a completed unit records: who, how long since the claim, and the published file. */
export interface UnitCompletion {
  workerId: string;
  durationMs: number;
  bytes: number;
  engine: string | null;
  sha256: string;
}

/** Records a unit as done (its file published). */
export async function completeUnitRow(q: Queryable, db: Schemas, bossId: string, c: UnitCompletion): Promise<void> {
  await q.query(
    `UPDATE ${db.schema}.unit SET state = 'done', completions = completions + 1, finished_at = now(), last_worker = $2,
       duration_ms = $3, bytes = $4, engine = $5, sha256 = $6 WHERE boss_id = $1`,
    [bossId, c.workerId, c.durationMs, c.bytes, c.engine, c.sha256],
  );
}

/** Records a unit as cancelled, unless it was already completed once. */
export async function cancelUnitRow(q: Queryable, db: Schemas, bossId: string): Promise<void> {
  await q.query(`UPDATE ${db.schema}.unit SET state = 'cancelled' WHERE boss_id = $1 AND completions = 0`, [bossId]);
}

/** Records a unit handed back by a worker that is shutting down (queued again). */
export async function releaseUnitRow(q: Queryable, db: Schemas, bossId: string): Promise<void> {
  await q.query(`UPDATE ${db.schema}.unit SET state = 'queued', releases = releases + 1 WHERE boss_id = $1`, [bossId]);
}

/** Records a failed attempt: `failed` for good, or `queued` for a retry. */
export async function failUnitRow(q: Queryable, db: Schemas, bossId: string, state: 'failed' | 'queued', error: string): Promise<void> {
  await q.query(`UPDATE ${db.schema}.unit SET state = $2, failures = failures + 1, last_error = $3 WHERE boss_id = $1`, [
    bossId,
    state,
    error,
  ]);
}

/** An active unit whose lease ran out: its attempt's retry count, lease (s), claim time and now (ISO, UTC). */
export interface ExpiredLease {
  id: string;
  retry_count: number;
  lease: number;
  claimed: string;
  now: string;
}

const isoUtc = (expr: string): string => `to_char(${expr} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/** Up to 100 active units whose lease ran out, oldest claim first, locked (rows another sweep holds are skipped). */
export async function selectExpiredLeases(q: Queryable, db: Schemas): Promise<ExpiredLease[]> {
  const { rows } = await q.query<ExpiredLease>(
    `SELECT id, retry_count, extract(epoch FROM expire_in)::int lease, ${isoUtc('started_on')} claimed, ${isoUtc('now()')} now
     FROM ${db.bossSchema}.job WHERE name = $1 AND state = 'active' AND started_on + expire_in < now()
     ORDER BY started_on LIMIT 100 FOR UPDATE SKIP LOCKED`,
    [QUEUE],
  );
  return rows;
}

/** Records an expired lease on its unit (`failed` on its last attempt, else `queued` again); returns the unit. */
export async function expireUnitRow(
  q: Queryable,
  db: Schemas,
  r: ExpiredLease,
  lastAttempt: boolean,
): Promise<{ job_id: string; idx: number; last_worker: string | null } | undefined> {
  const {
    rows: [u],
  } = await q.query<{ job_id: string; idx: number; last_worker: string | null }>(
    `UPDATE ${db.schema}.unit SET state = $2, failures = failures + 1,
       last_error = format('lease_expired: worker %s did not finish attempt %s within the job''s %s s lease (claimed %s, expired %s); %s',
                           coalesce(last_worker, '?'), $3::int, $4::int, $5::text, $6::text, $7::text)
     WHERE boss_id = $1 RETURNING job_id, idx, last_worker`,
    [
      r.id,
      lastAttempt ? 'failed' : 'queued',
      r.retry_count + 1,
      r.lease,
      r.claimed,
      r.now,
      lastAttempt ? 'no retries left' : 'queued again',
    ],
  );
  return u;
}

/**
 * Records as failed every unit still `running` whose pg-boss job the queue's own maintenance failed
 * (an expired lease on its last attempt: no claim will record it). Scans every running unit.
 */
export async function failUnitsExpiredByMaintenance(q: Queryable, db: Schemas): Promise<void> {
  await q.query(
    `UPDATE ${db.schema}.unit u SET state = 'failed', failures = u.failures + 1,
       last_error = format('lease_expired: worker %s did not finish attempt %s within the job''s lease (expired by the queue''s maintenance); no retries left', coalesce(u.last_worker, '?'), u.attempts)
     FROM ${db.bossSchema}.job b WHERE b.name = $1 AND b.id = u.boss_id AND u.state = 'running' AND b.state = 'failed'`,
    [QUEUE],
  );
}

/** Jobs by kind and state (the states `jobs status` gives, from gridta's own unit records). */
export async function countJobsByState(q: Queryable, db: Schemas): Promise<{ kind: string; state: string; n: number }[]> {
  const { rows } = await q.query<{ kind: string; state: string; n: number }>(
    `SELECT kind, state, count(*)::int n FROM (
       SELECT j.kind, CASE WHEN j.cancelled_at IS NOT NULL THEN 'cancelled'
         WHEN u.done = j.total_units AND (j.kind <> 'backtest' OR j.stage = 'done') THEN 'completed'
         WHEN u.failed > 0 AND u.open = 0 THEN 'failed'
         WHEN u.started > 0 THEN 'running' ELSE 'queued' END state
       FROM ${db.schema}.job j LEFT JOIN LATERAL (
         SELECT count(*) FILTER (WHERE completions > 0) done,
                count(*) FILTER (WHERE completions = 0 AND state = 'failed') failed,
                count(*) FILTER (WHERE completions = 0 AND state IN ('queued', 'running')) open,
                count(*) FILTER (WHERE attempts > 0) started
         FROM ${db.schema}.unit WHERE job_id = j.id) u ON true) x
     GROUP BY kind, state ORDER BY kind, state`,
  );
  return rows;
}
