/**
 * The database side of jobs: one pg pool shared with pg-boss (which owns claiming, leases, retries
 * and expiry in the `<schema>_boss` schema) and gridta's own two tables in `<schema>`: `job` (what to
 * compute and where to write) and `unit` (bookkeeping per unit: attempts, completions, last error).
 * Both schemas are created on first use, under an advisory lock so concurrent first starts are safe.
 */
import pg from 'pg';
import PgBoss from 'pg-boss';
import { ConfigError, JobsUnavailableError } from '../errors.js';
import type { Axis, GridSpec } from '../grid/types.js';
import { checkKnownOptions, maskDsn, maskSecretsIn, type ResolvedConfig } from '../runtime/config.js';
import { keyList } from '../options.js';

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
  readonly load: { readonly timeline?: 'dense' | 'sessions'; readonly tsUnit?: string };
}

export interface JobInstrument {
  readonly index: number;
  /** Absolute path of the candle file as seen by the submitter (workers read the same path). */
  readonly file: string;
  readonly instrumentId: string;
  readonly timeframe: string;
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
`;

/** Rejects a missing DSN with the setting's name and where to set it. */
export function requireDsn(cfg: ResolvedConfig): string {
  const dsn = cfg.jobsDsn.value;
  if (dsn === null) {
    throw new ConfigError({ key: 'jobsDsn', source: cfg.jobsDsn.source, value: null, expected: 'a postgres:// URL (GRIDTA_PG_DSN, --dsn or jobs.dsn)' },
      'jobsDsn: no PostgreSQL connection configured; set GRIDTA_PG_DSN, pass --dsn or add jobs.dsn to the config file (got null)');
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
    throw new JobsUnavailableError({ dsn: shown, cause: maskSecretsIn(err.code && !cause.includes(err.code) ? `${err.code} ${cause}` : cause, dsn) }, { cause: e });
  }
  let boss: PgBoss | undefined;
  try {
    const client = await pool.connect();
    try {
      await client.query(`SELECT pg_advisory_lock(${lockKey(schema)})`);
      try {
        await client.query(DDL(schema));
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
    pool, boss: b, schema, bossSchema, dsn: shown,
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
