/**
 * The top variants of a backtest job, as Stage B stored them: the aggregate ranking (every
 * instrument's replay of each shortlisted variant) or one instrument's own top list.
 */
import type { MetricName } from '../backtest/program.js';
import { JobInputError } from '../errors.js';
import { keyList } from '../options.js';
import { metricsRecord, unpackMetrics } from './backtest.js';
import { jobStatus, type JobState } from './control.js';
import type { BacktestJobSpec, JobsDb } from './store.js';
import { checkJobInputKeys } from './units.js';

/** One stored top row: a ranked variant replayed on one instrument. */
export interface TopRow {
  readonly rank: number;
  readonly instrumentId: string;
  readonly variant: number;
  readonly variant_key: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** The ranking value: the aggregate across instruments (aggregate list) or this instrument's own. */
  readonly objective: number;
  readonly metrics: Readonly<Record<MetricName, number>>;
  /** Absent unless the job succeeded. */
  readonly report_table_md?: string;
  readonly trades_json?: string;
  /** With a holdout: the out-of-sample part (its own run from flat with equity 1), as Stage B reports it. */
  readonly out_of_sample?: { readonly metrics: Readonly<Record<MetricName, number>>; readonly trades_json: string };
}

export interface JobTop {
  readonly jobId: string;
  readonly state: JobState;
  readonly stage: 'stage_a' | 'stage_b' | 'done';
  /** `null`: the aggregate ranking; else that instrument's own top list. */
  readonly instrumentId: string | null;
  /** Ordered by rank, then variant key; empty until Stage B stored them. */
  readonly rows: readonly TopRow[];
}

export interface TopOptions {
  /** Ranks 1 … limit (default 10). */
  readonly limit?: number;
  /** One instrument's own top list instead of the aggregate ranking. */
  readonly instrument?: string;
}

export const TOP_OPTION_KEYS = keyList<TopOptions>({ limit: true, instrument: true });

/**
 * The top rows of a backtest job, ordered by rank then variant key: the aggregate ranking (each
 * ranked variant's replay on every instrument) or, with `instrument`, that instrument's own top list.
 * A job that has not succeeded gives its state and no rows (no report, no trades).
 */
export async function jobTop(db: JobsDb, jobId: string, opts: TopOptions = {}): Promise<JobTop> {
  checkJobInputKeys(opts, TOP_OPTION_KEYS, 'the jobTop options');
  const limit = opts.limit ?? 10;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000)
    throw new JobInputError(
      { field: 'limit', reason: 'invalid_spec', value: limit, expected: 'an integer in 1 … 1000' },
      'not a valid limit',
    );
  const st = await jobStatus(db, jobId);
  if (st.kind !== 'backtest')
    throw new JobInputError(
      { field: 'job', reason: 'invalid_spec', value: jobId, expected: 'a backtest job' },
      `job ${jobId} is a grid job (${st.indicatorId}): it has no top variants`,
    );
  const { rows: specRows } = await db.pool.query<{ spec: BacktestJobSpec }>(`SELECT spec FROM ${db.schema}.job WHERE id = $1`, [jobId]);
  const instruments = specRows[0]!.spec.instruments;
  let instrument: number | null = null;
  if (opts.instrument !== undefined) {
    instrument = instruments.findIndex((i) => i.instrumentId === opts.instrument);
    if (instrument < 0)
      throw new JobInputError(
        { field: 'instrument', reason: 'invalid_spec', value: opts.instrument, expected: instruments.map((i) => i.instrumentId) },
        `job ${jobId} has no such instrument`,
      );
  }
  const base = { jobId, state: st.state, stage: st.stage ?? 'stage_a', instrumentId: opts.instrument ?? null };
  if (st.state !== 'completed') return { ...base, rows: [] };
  const { rows } = await db.pool.query<{
    rank: number;
    instrument: number;
    variant: number;
    variant_key: string;
    params: Record<string, number | string>;
    objective: string;
    metrics: Buffer;
    report_table_md: string;
    trades_json: string;
    oos_metrics: Buffer | null;
    oos_trades_json: string | null;
  }>(
    `SELECT rank, instrument, variant, variant_key, params, objective, metrics, report_table_md, trades_json, oos_metrics, oos_trades_json
     FROM ${db.schema}.bt_top
     WHERE job_id = $1 AND list = $2 AND ($3::int IS NULL OR instrument = $3) AND rank <= $4 ORDER BY rank, variant_key`,
    [jobId, instrument === null ? 'aggregate' : 'instrument', instrument, limit],
  );
  return {
    ...base,
    rows: rows.map((r) => ({
      rank: r.rank,
      instrumentId: instruments[r.instrument]!.instrumentId,
      variant: r.variant,
      variant_key: r.variant_key,
      params: r.params,
      objective: Number(r.objective),
      metrics: metricsRecord(unpackMetrics(r.metrics, 1), 0),
      report_table_md: r.report_table_md,
      trades_json: r.trades_json,
      ...(r.oos_metrics
        ? { out_of_sample: { metrics: metricsRecord(unpackMetrics(r.oos_metrics, 1), 0), trades_json: r.oos_trades_json ?? '[]' } }
        : {}),
    })),
  };
}
