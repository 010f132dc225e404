/**
 * `gridta jobs submit-backtest` and `gridta jobs top`: backtest jobs on PostgreSQL (README "Scale
 * out"). The request's flags are `gridta backtest`'s; the results live in the database.
 */
import { checkAggregate, type Aggregate } from '../backtest/aggregate.js';
import { reportTableMd } from '../backtest/report.js';
import { checkTsUnit } from '../candles/place.js';
import { StrategyValidationError } from '../errors.js';
import { submitBacktestJob } from '../jobs/backtest.js';
import type { JobsDb } from '../jobs/store.js';
import { jobTop, type JobTop } from '../jobs/top.js';
import type { Engine } from '../runtime/engine.js';
import { strategyGrid } from '../strategies/index.js';
import { UsageError } from './args.js';
import { requestOptionsOf, strategyOf, toFlagError } from './backtest.js';

export const JOBS_BACKTEST_USAGE = `  submit-backtest <template> --data FILE|DIR [--data ...] [--grid PARAM=SPEC ...] [--strategy FILE.json]
         [--side --fill --fee-bps --slippage-bps --annualization --objective --filter --top --holdout --profile]
         [--aggregate mean|median|min] [--unit-variants N|auto] [--lease-seconds N] [--retry-limit N]
             a backtest over every instrument: Stage A units (instrument, variant range), one
             shortlist ranked by the objective aggregated across instruments, Stage B replays
  top <job> [--limit 10] [--instrument ID]
             a backtest job's top variants (rank, key, params, metrics, report, trades);
             the state only while the job has not succeeded
`;

type Values = Record<string, unknown>;

/** `jobs submit-backtest`: the strategy and options checked before connecting, then the job submitted. */
export async function submitBacktestCommand(
  engine: Engine,
  values: Values,
  positionals: readonly string[],
  json: boolean,
  withDb: <T>(engine: Engine, fn: (db: JobsDb) => Promise<T>) => Promise<T>,
): Promise<number> {
  const data = (values.data ?? []) as string[];
  if (data.length === 0) throw new UsageError('--data FILE|DIR is required');
  if (values.out !== undefined) throw new UsageError('--out: a backtest job keeps its results in the database (gridta jobs top <job>)');
  const timeline = values.timeline as string | undefined;
  if (timeline !== undefined && timeline !== 'dense' && timeline !== 'sessions')
    throw new UsageError(`--timeline must be dense or sessions (got ${JSON.stringify(timeline)})`);
  let aggregate: Aggregate;
  try {
    aggregate = checkAggregate(values.aggregate);
  } catch {
    throw new UsageError(`--aggregate must be mean, median or min (got ${JSON.stringify(values.aggregate)})`);
  }
  const options = requestOptionsOf(values);
  // the strategy and its grid are checked before connecting: a bad template or axis never needs the database
  const strategy = await strategyOf(values, positionals);
  strategyGrid(strategy);
  const res = await withDb(engine, (db) =>
    submitBacktestJob(engine, db, {
      strategy,
      data,
      ...options,
      aggregate,
      ...(values.instrument ? { instrumentId: values.instrument as string } : {}),
      ...(values.timeframe ? { timeframe: values.timeframe as string } : {}),
      ...(timeline ? { timeline: timeline as 'dense' | 'sessions' } : {}),
      ...(values['ts-unit'] ? { tsUnit: checkTsUnit(values['ts-unit']) } : {}),
    }).catch((e: unknown) => {
      throw e instanceof StrategyValidationError ? toFlagError(e) : e;
    }),
  );
  if (json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else {
    process.stdout.write(`${res.jobId}\n`);
    process.stderr.write(
      `gridta jobs: submitted backtest ${res.strategyId}: ${res.instruments} instrument(s) x ${res.variants} variants in ${res.units} Stage A units of <= ${res.unitVariants} variants (aggregate ${aggregate})\n`,
    );
  }
  return 0;
}

/** Numbers that JSON cannot hold (NaN, ±Infinity) as strings, so `--json` loses nothing. */
const jsonSafe = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

/** `jobs top`: the top rows, or the state of a job that has not succeeded. */
export async function topCommand(
  engine: Engine,
  values: Values,
  jobId: string,
  json: boolean,
  withDb: <T>(engine: Engine, fn: (db: JobsDb) => Promise<T>) => Promise<T>,
): Promise<number> {
  const limitFlag = values.limit as string | undefined;
  if (limitFlag !== undefined && !/^[0-9]+$/.test(limitFlag.trim()))
    throw new UsageError(`--limit must be a positive integer (got ${JSON.stringify(limitFlag)})`);
  const top = await withDb(engine, (db) =>
    jobTop(db, jobId, {
      ...(limitFlag !== undefined ? { limit: Number(limitFlag) } : {}),
      ...(values.instrument ? { instrument: values.instrument as string } : {}),
    }),
  );
  process.stdout.write(json ? `${JSON.stringify(top, jsonSafe)}\n` : formatTop(top));
  return 0;
}

/** The human rendering: one Markdown report table per instrument, in rank order. */
export function formatTop(top: JobTop): string {
  const head = `job ${top.jobId}  ${top.state}  stage ${top.stage}${top.instrumentId ? `  (${top.instrumentId}'s own top list)` : ''}\n`;
  if (top.state !== 'completed') return `${head}no report: the job has not succeeded (state ${top.state})\n`;
  const byInstrument = new Map<string, JobTop['rows'][number][]>();
  for (const r of top.rows) byInstrument.set(r.instrumentId, [...(byInstrument.get(r.instrumentId) ?? []), r]);
  const params = top.rows.length ? Object.keys(top.rows[0]!.params) : [];
  const parts = [...byInstrument].map(([id, rows]) => {
    const table = reportTableMd(
      rows.map((r) => ({ rank: r.rank, key: r.variant_key, params: r.params, metrics: r.metrics })),
      params,
    );
    const held = rows.filter((r) => r.out_of_sample);
    const oos = held.length
      ? `\nout of sample (the holdout, its own run from flat):\n\n${reportTableMd(
          held.map((r) => ({ rank: r.rank, key: r.variant_key, params: r.params, metrics: r.out_of_sample!.metrics })),
          params,
        )}`
      : '';
    return `\n## ${id}\n\n${table}${oos}`;
  });
  return `${head}${parts.join('')}`;
}
