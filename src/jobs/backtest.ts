/**
 * Backtest jobs: the second kind of job. Stage A units are (instrument, range of kept variants); each
 * stores its variants' metrics. The worker that completes the last Stage A unit — inside the
 * completing transaction, holding the job's row lock, so exactly one does — ranks the variants across
 * instruments (src/backtest/aggregate.ts), stores the Stage A summary on the job and enqueues one
 * Stage B unit per instrument; each replays the shortlist (and the instrument's own top list) on its
 * instrument and upserts the top rows keyed by (job, list, instrument, rank), so a re-run rewrites
 * the same rows. The job is done when its last Stage B unit completes.
 */
import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { AggregateBuilder, checkAggregate, type Aggregate, type MetricColumns } from '../backtest/aggregate.js';
import { checkExecution, checkFilters, checkObjective } from '../backtest/options.js';
import { METRIC_NAMES, type MetricName } from '../backtest/program.js';
import { reportTableMd } from '../backtest/report.js';
import { prepareBacktest, type BacktestRequest } from '../backtest/run.js';
import type { Candles } from '../candles/index.js';
import type { Filters, Holdout, Objective } from '../backtest/options.js';
import type { Execution } from '../backtest/program.js';
import type { Engine } from '../runtime/engine.js';
import type { StrategySpec } from '../strategies/types.js';
import { keyList } from '../options.js';
import { checkSubmitKeys, insertUnits, jobProfile, loadInstruments, profileMember, requestFiles } from './control.js';
import { DEFAULT_PROFILE, type Profile } from '../registry/types.js';
import type { FsFaults } from './dirs.js';
import { transaction, type BacktestJobSpec, type JobsDb, type Queryable, type Schemas } from './store.js';
import { planUnits } from './units.js';

export interface SubmitBacktestRequest {
  /** A template `{ id, params? }` or a custom strategy, as `engine.backtest` takes it. */
  readonly strategy: StrategySpec;
  /** Candle files (CSV or Arrow) and/or directories of them: one instrument per file. */
  readonly data: readonly string[];
  readonly instrumentId?: string;
  readonly timeframe?: string;
  readonly timeline?: 'dense' | 'sessions';
  readonly tsUnit?: 'ms' | 's' | 'us' | 'ns';
  readonly execution?: Partial<Execution>;
  readonly objective?: Objective;
  readonly filters?: Filters;
  readonly top?: number;
  readonly holdout?: Holdout;
  /** How a variant's objective on several instruments becomes one (default `mean`). */
  readonly aggregate?: Aggregate;
  /** The profile of conventions the operand series are computed in (default: the submitter's engine's). */
  readonly profile?: Profile;
  /** @internal Test-only filesystem faults. */
  readonly fsFaults?: FsFaults;
}

export interface SubmitBacktestResult {
  readonly jobId: string;
  readonly strategyId: string;
  readonly instruments: number;
  readonly variants: number;
  readonly unitVariants: number;
  /** Stage A units (Stage B adds one per instrument once Stage A is done). */
  readonly units: number;
}

export const SUBMIT_BACKTEST_KEYS = keyList<Omit<SubmitBacktestRequest, 'fsFaults'>>({
  strategy: true,
  data: true,
  instrumentId: true,
  timeframe: true,
  timeline: true,
  tsUnit: true,
  execution: true,
  objective: true,
  filters: true,
  top: true,
  holdout: true,
  aggregate: true,
  profile: true,
});

/** `unit_variants: auto` for a backtest: about 2·10^8 variant-bars per Stage A unit, at least one variant. */
export const AUTO_UNIT_VARIANT_BARS = 2e8;

/**
 * The engine request a unit of the job runs on one instrument's candles: in the job's profile (the
 * default when the spec names none), never the worker engine's.
 */
export function backtestRequestOf(spec: BacktestJobSpec, candles: Candles): BacktestRequest {
  return {
    candles,
    profile: spec.profile ?? DEFAULT_PROFILE,
    strategy: spec.strategy,
    execution: spec.execution,
    ...(spec.objective !== null ? { objective: spec.objective } : {}),
    ...(spec.filters !== null ? { filters: spec.filters } : {}),
    top: spec.top,
    ...(spec.holdout ? { holdout: spec.holdout } : {}),
  };
}

/**
 * Validates the whole request — strategy, options, every data file (loaded and hashed) and the
 * backtest on each instrument (series present, prices positive, a valid bar, the holdout's split) —
 * and only then enqueues the job row, its Stage A unit rows and one pg-boss job per unit, in one
 * transaction.
 */
export async function submitBacktestJob(engine: Engine, db: JobsDb, req: SubmitBacktestRequest): Promise<SubmitBacktestResult> {
  checkSubmitKeys(req, SUBMIT_BACKTEST_KEYS, 'the submitBacktestJob request');
  const cfg = engine.config;
  const aggregate = checkAggregate(req.aggregate);
  const profile = jobProfile(req.profile, engine);
  const maxVariants = cfg.maxVariantsPerCompute.value;
  const options = {
    strategy: req.strategy,
    ...(req.execution !== undefined ? { execution: req.execution } : {}),
    ...(req.objective !== undefined ? { objective: req.objective } : {}),
    ...(req.filters !== undefined ? { filters: req.filters } : {}),
    ...(req.top !== undefined ? { top: req.top } : {}),
    ...(req.holdout !== undefined ? { holdout: req.holdout } : {}),
    profile,
  };
  const faults = req.fsFaults ?? {};
  const files = await requestFiles(req, faults);
  let prepared: ReturnType<typeof prepareBacktest> | undefined;
  const { instruments, maxT } = await loadInstruments(
    files,
    req,
    (candles) => {
      prepared = prepareBacktest({ candles, ...options }, maxVariants);
    },
    faults,
  );
  const p = prepared!;
  const V = p.program.variants;
  const setting = cfg.jobsUnitVariants.value;
  const unitVariants = Math.min(V, setting === 'auto' ? Math.max(1, Math.floor(AUTO_UNIT_VARIANT_BARS / Math.max(1, maxT))) : setting);
  const spec: BacktestJobSpec = {
    version: 1,
    strategy: req.strategy,
    execution: checkExecution(req.execution),
    objective: req.objective ?? null,
    filters: req.filters ?? null,
    top: p.top,
    holdout: p.holdout,
    aggregate,
    variants: V,
    params: p.program.axes.map((a) => a.name),
    unitVariants,
    instruments,
    load: { ...(req.timeline ? { timeline: req.timeline } : {}), ...(req.tsUnit ? { tsUnit: req.tsUnit } : {}) },
    ...profileMember(profile),
  };
  const jobId = randomUUID();
  const units = planUnits(instruments.length, V, unitVariants);
  const lease = cfg.jobsLeaseSeconds.value;
  const retryLimit = cfg.jobsRetryLimit.value;
  const s = db.schema;
  await transaction(db.pool, async (client) => {
    // total_units counts Stage B's units (one per instrument) from the start, so progress never goes back
    await client.query(
      `INSERT INTO ${s}.job (id, indicator_id, spec, out_dir, total_units, lease_seconds, retry_limit, kind, stage)
       VALUES ($1, $2, $3, '', $4, $5, $6, 'backtest', 'stage_a')`,
      [jobId, p.program.strategyId, JSON.stringify(spec), units.length + instruments.length, lease, retryLimit],
    );
    await insertUnits(
      client,
      db,
      jobId,
      'a',
      units.map((u) => ({ ...u, file: '' })),
      { lease, retryLimit },
    );
  });
  return { jobId, strategyId: p.program.strategyId, instruments: instruments.length, variants: V, unitVariants, units: units.length };
}

// ---------------------------------------------------------------------------------------------
// Metrics as bytes: float64 little-endian, metric-major (exact, NaN and infinities included)

export function packMetrics(cols: MetricColumns, n: number): Buffer {
  const out = Buffer.alloc(METRIC_NAMES.length * n * 8);
  METRIC_NAMES.forEach((m, k) => {
    for (let i = 0; i < n; i++) out.writeDoubleLE(cols[m][i]!, (k * n + i) * 8);
  });
  return out;
}

export function unpackMetrics(bytes: Uint8Array, n: number): MetricColumns {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length !== METRIC_NAMES.length * n * 8)
    throw new Error(`stored metrics hold ${buf.length} bytes, not ${METRIC_NAMES.length * n * 8}`);
  const cols = {} as Record<MetricName, Float64Array>;
  METRIC_NAMES.forEach((m, k) => {
    const col = new Float64Array(n);
    for (let i = 0; i < n; i++) col[i] = buf.readDoubleLE((k * n + i) * 8);
    cols[m] = col;
  });
  return cols;
}

/** One variant's metrics as bytes. */
function packOne(metrics: Readonly<Record<MetricName, number>>): Buffer {
  return packMetrics(Object.fromEntries(METRIC_NAMES.map((m) => [m, Float64Array.of(metrics[m])])) as unknown as MetricColumns, 1);
}

/** One variant's metrics from a metric-major record. */
export function metricsRecord(cols: MetricColumns, i: number): Record<MetricName, number> {
  return Object.fromEntries(METRIC_NAMES.map((m) => [m, cols[m][i]!])) as Record<MetricName, number>;
}

// ---------------------------------------------------------------------------------------------
// The completing transaction's statements

/** The job's row, locked until the end of the transaction: every completion of a backtest unit takes it first. */
export async function lockBacktestJob(
  q: Queryable,
  db: Schemas,
  jobId: string,
): Promise<{ stage: string; cancelled_at: Date | null; lease_seconds: number; retry_limit: number; spec: BacktestJobSpec }> {
  const {
    rows: [j],
  } = await q.query<{ stage: string; cancelled_at: Date | null; lease_seconds: number; retry_limit: number; spec: BacktestJobSpec }>(
    `SELECT stage, cancelled_at, lease_seconds, retry_limit, spec FROM ${db.schema}.job WHERE id = $1 FOR UPDATE`,
    [jobId],
  );
  if (!j) throw new Error(`job ${jobId} is not in ${db.schema}.job`);
  return j;
}

/** Stores a Stage A unit's metrics (a re-run stores the same bytes). */
export async function storeScores(
  q: Queryable,
  db: Schemas,
  jobId: string,
  u: { idx: number; instrument: number; v_start: number; v_end: number },
  metrics: Buffer,
): Promise<void> {
  await q.query(
    `INSERT INTO ${db.schema}.bt_score (job_id, idx, instrument, v_start, v_end, metrics) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (job_id, idx) DO UPDATE SET metrics = EXCLUDED.metrics`,
    [jobId, u.idx, u.instrument, u.v_start, u.v_end, metrics],
  );
}

/** Units of a stage not completed yet (this transaction's own completion counted). */
async function openUnits(q: Queryable, db: Schemas, jobId: string, stage: 'a' | 'b'): Promise<number> {
  const {
    rows: [r],
  } = await q.query<{ open: string }>(`SELECT count(*) open FROM ${db.schema}.unit WHERE job_id = $1 AND stage = $2 AND completions = 0`, [
    jobId,
    stage,
  ]);
  return Number(r!.open);
}

/** The Stage A summary a job stores when its Stage A is done (objective values as exact strings). */
export interface StageASummary {
  readonly stage_a_variants_total: number;
  readonly risk_total: number;
  readonly preselect_used: boolean;
  /** (variant, instrument) pairs missing among the ranked variants (failing the filters there, or undefined). */
  readonly missing: number;
  readonly aggregate: Aggregate;
  readonly shortlist: readonly { readonly variant: number; readonly objective: string }[];
  /** Each instrument's own top list (variants), by instrument index. */
  readonly per_instrument: readonly (readonly number[])[];
}

/**
 * One instrument's metrics of a job's Stage A, from its stored units (V values each): the fan-out
 * reads the instruments one at a time, so it holds one instrument's metrics at once.
 */
export async function stageAScores(
  q: Queryable,
  db: Schemas,
  jobId: string,
  spec: BacktestJobSpec,
  instrument: number,
): Promise<MetricColumns> {
  const V = spec.variants;
  const cols = {} as Record<MetricName, Float64Array>;
  for (const m of METRIC_NAMES) cols[m] = new Float64Array(V).fill(Number.NaN);
  let seen = 0;
  const { rows } = await q.query<{ v_start: number; v_end: number; metrics: Buffer }>(
    `SELECT v_start, v_end, metrics FROM ${db.schema}.bt_score WHERE job_id = $1 AND instrument = $2 ORDER BY idx`,
    [jobId, instrument],
  );
  for (const r of rows) {
    const part = unpackMetrics(r.metrics, r.v_end - r.v_start);
    for (const m of METRIC_NAMES) cols[m].set(part[m], r.v_start);
    seen += r.v_end - r.v_start;
  }
  if (seen !== V) throw new Error(`job ${jobId}: Stage A stored ${seen} of ${V} variants for instrument ${instrument}`);
  return cols;
}

/**
 * After a Stage A unit's completion, inside its transaction (the job's row locked): when it was the
 * last one and the job is neither cancelled nor past Stage A, ranks the variants, stores the summary
 * and enqueues Stage B. Returns the summary when this transaction did it.
 */
export async function fanOutIfLast(
  client: pg.PoolClient,
  db: Schemas & Pick<JobsDb, 'boss'>,
  jobId: string,
  job: Awaited<ReturnType<typeof lockBacktestJob>>,
): Promise<StageASummary | null> {
  if (job.stage !== 'stage_a' || job.cancelled_at) return null;
  if ((await openUnits(client, db, jobId, 'a')) > 0) return null;
  const spec = job.spec;
  const ranking = new AggregateBuilder(
    spec.variants,
    spec.instruments.length,
    checkObjective(spec.objective ?? undefined),
    checkFilters(spec.filters ?? undefined),
    spec.top,
    spec.aggregate,
  );
  for (let i = 0; i < spec.instruments.length; i++) ranking.add(await stageAScores(client, db, jobId, spec, i));
  const r = ranking.finish();
  const summary: StageASummary = {
    stage_a_variants_total: spec.variants,
    risk_total: r.riskTotal,
    preselect_used: r.riskTotal > spec.top,
    missing: r.missing,
    aggregate: spec.aggregate,
    shortlist: r.shortlist.map((v) => ({ variant: v, objective: String(r.objective[v]!) })),
    per_instrument: r.perInstrument,
  };
  await client.query(`UPDATE ${db.schema}.job SET stage = 'stage_b', summary = $2 WHERE id = $1`, [jobId, JSON.stringify(summary)]);
  const {
    rows: [n],
  } = await client.query<{ n: number }>(`SELECT count(*)::int n FROM ${db.schema}.unit WHERE job_id = $1`, [jobId]);
  await insertUnits(
    client,
    db,
    jobId,
    'b',
    spec.instruments.map((_, i) => ({ index: n!.n + i, instrument: i, start: 0, end: 0, file: '' })),
    { lease: job.lease_seconds, retryLimit: job.retry_limit },
  );
  return summary;
}

/** The job's Stage A summary (null before Stage A is done). */
export async function selectSummary(q: Queryable, db: Schemas, jobId: string): Promise<StageASummary | null> {
  const {
    rows: [r],
  } = await q.query<{ summary: StageASummary | null }>(`SELECT summary FROM ${db.schema}.job WHERE id = $1`, [jobId]);
  return r?.summary ?? null;
}

/** One top row as Stage B stores it. */
export interface StoredTopRow {
  readonly list: 'aggregate' | 'instrument';
  readonly instrument: number;
  readonly rank: number;
  readonly variant: number;
  readonly variant_key: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** Exact: String(number). */
  readonly objective: string;
  readonly metrics: Buffer;
  readonly report_table_md: string;
  readonly trades_json: string;
  /** With a holdout: the out-of-sample part's metrics (one variant, packed) and trades. */
  readonly oos_metrics: Buffer | null;
  readonly oos_trades_json: string | null;
}

/** The top rows of one instrument's replay, for the aggregate ranking and for its own list. */
export async function replayRows(
  engine: Engine,
  spec: BacktestJobSpec,
  summary: StageASummary,
  instrument: number,
  candles: Candles,
  signal?: AbortSignal,
): Promise<StoredTopRow[]> {
  const own = summary.per_instrument[instrument] ?? [];
  const variants = [...new Set([...summary.shortlist.map((s) => s.variant), ...own])];
  const req = backtestRequestOf(spec, candles);
  const replays = await engine.backtestReplay({
    candles,
    strategy: req.strategy,
    variants,
    ...(req.execution ? { execution: req.execution } : {}),
    ...(req.holdout ? { holdout: req.holdout } : {}),
    profile: req.profile!,
    ...(signal ? { signal } : {}),
  });
  const byVariant = new Map(replays.map((r) => [r.variant, r]));
  const { metric } = checkObjective(spec.objective ?? undefined);
  const row = (list: StoredTopRow['list'], rank: number, variant: number, objective: string): StoredTopRow => {
    const r = byVariant.get(variant)!;
    const oos = r.out_of_sample;
    return {
      list,
      instrument,
      rank,
      variant,
      variant_key: r.key,
      params: r.params,
      objective,
      metrics: packOne(r.metrics),
      report_table_md: reportTableMd([{ rank, key: r.key, params: r.params, metrics: r.metrics }], spec.params),
      trades_json: r.trades_json,
      oos_metrics: oos ? packOne(oos.metrics) : null,
      oos_trades_json: oos ? oos.trades_json : null,
    };
  };
  return [
    ...summary.shortlist.map((s, i) => row('aggregate', i + 1, s.variant, s.objective)),
    ...own.map((v, i) => row('instrument', i + 1, v, String(byVariant.get(v)!.metrics[metric]))),
  ];
}

/** Upserts a Stage B unit's top rows (a re-run rewrites identical rows). */
export async function storeTop(q: Queryable, db: Schemas, jobId: string, rows: readonly StoredTopRow[]): Promise<void> {
  for (const r of rows) {
    await q.query(
      `INSERT INTO ${db.schema}.bt_top (job_id, list, instrument, rank, variant, variant_key, params, objective, metrics, report_table_md,
         trades_json, oos_metrics, oos_trades_json)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
       ON CONFLICT (job_id, list, instrument, rank) DO UPDATE SET variant = EXCLUDED.variant, variant_key = EXCLUDED.variant_key,
         params = EXCLUDED.params, objective = EXCLUDED.objective, metrics = EXCLUDED.metrics,
         report_table_md = EXCLUDED.report_table_md, trades_json = EXCLUDED.trades_json,
         oos_metrics = EXCLUDED.oos_metrics, oos_trades_json = EXCLUDED.oos_trades_json`,
      [
        jobId,
        r.list,
        r.instrument,
        r.rank,
        r.variant,
        r.variant_key,
        JSON.stringify(r.params),
        r.objective,
        r.metrics,
        r.report_table_md,
        r.trades_json,
        r.oos_metrics,
        r.oos_trades_json,
      ],
    );
  }
}

/** After a Stage B unit's completion (the job's row locked): the job is done when it was the last one. */
export async function finishIfLast(
  q: Queryable,
  db: Schemas,
  jobId: string,
  job: { stage: string; cancelled_at: Date | null },
): Promise<boolean> {
  if (job.stage !== 'stage_b' || job.cancelled_at) return false;
  if ((await openUnits(q, db, jobId, 'b')) > 0) return false;
  await q.query(`UPDATE ${db.schema}.job SET stage = 'done' WHERE id = $1`, [jobId]);
  return true;
}
