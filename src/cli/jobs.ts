/**
 * `gridta jobs submit | status | ls | cancel | collect` (README "Scale out"): jobs on PostgreSQL.
 * The connection is `--dsn`, else GRIDTA_PG_DSN, else `jobs.dsn` of the config file.
 */
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { extname, join, resolve } from 'node:path';
import { ensureWritableDir, fsStepTimedOut, type FsFaults } from '../jobs/dirs.js';
import { fileSafe } from '../jobs/units.js';
import { cancelJob, collectJob, jobStatus, openJobsDb, submitJob, type JobStatus, type JobsDb } from '../jobs/index.js';
import { jobProfile } from '../jobs/control.js';
import { listJobsPage, pageOptionsOf } from '../jobs/paging.js';
import { serveCommand } from './jobs-serve.js';
import { checkTsUnit } from '../candles/place.js';
import { materializeGrid } from '../grid/axes.js';
import { registry } from '../registry/index.js';
import type { GridtaOptions } from '../runtime/config.js';
import { createEngine, type Engine } from '../runtime/engine.js';
import { UsageError, checkPositionals, engineOptions, gridOverrides, parse, type Parsed } from './args.js';
import { BACKTEST_REQUEST_FLAGS } from './backtest.js';
import { JOBS_BACKTEST_USAGE, submitBacktestCommand, topCommand } from './jobs-backtest.js';

export const JOBS_USAGE = `usage: gridta jobs <command> [options]

  submit <id> --data FILE|DIR [--data ...] --out DIR [--grid AXIS=SPEC ...] [--instrument ID]
         [--timeframe TF] [--timeline dense|sessions] [--ts-unit ms|s|us|ns] [--outputs a,b]
         [--unit-variants N|auto] [--lease-seconds N] [--retry-limit N] [--profile gridta|talib]
             validate everything, enqueue one unit per (instrument, variant range), print the job id
  status <job>                 state, processed/total units, attempts, failures, rate, ETA
  ls [--limit N] [--cursor C]  jobs newest first, N a page (default 25, at most 1000); the last line
                               gives the cursor of the next page
  cancel <job>                 queued units at once, running ones at their next batch boundary;
                               a finished job stays finished (a no-op that says so, exit 0)
  collect <job> --out FILE.arrow|DIR [--instrument ID] [--variant-key]
             merge the unit files into one Arrow file per instrument (every unit must be present)
${JOBS_BACKTEST_USAGE}  serve [--port 8080] [--host 127.0.0.1] [--no-auth]
             the HTTP API (token: GRIDTA_API_TOKEN; --no-auth on a loopback host only)

every command: --dsn postgres://... (else GRIDTA_PG_DSN or jobs.dsn) --json, and the config flags
`;

/** Flags shared by `jobs` and `worker` that become `jobs*` options (source `option`). */
export const JOBS_FLAGS = {
  dsn: { type: 'string' },
  'unit-variants': { type: 'string' },
  'lease-seconds': { type: 'string' },
  'retry-limit': { type: 'string' },
  concurrency: { type: 'string' },
  'metrics-port': { type: 'string' },
  'metrics-host': { type: 'string' },
  'poll-interval-ms': { type: 'string' },
} as const;

const intFlag = (name: string, v: string, words: readonly string[] = []): number | string => {
  if (words.includes(v.trim().toLowerCase())) return v.trim().toLowerCase();
  if (!/^[0-9]+$/.test(v.trim()))
    throw new UsageError(
      `--${name} must be ${words.length ? `${words.join(' or ')} or ` : ''}a non-negative integer (got ${JSON.stringify(v)})`,
    );
  return Number(v);
};

/** Config flags plus the jobs flags → options; the config layer validates and names the source. */
export function jobsOptions(values: Record<string, unknown>): GridtaOptions {
  const o: Record<string, unknown> = { ...engineOptions(values) };
  const v = values as Record<string, string | undefined>;
  if (v.dsn !== undefined) o.jobsDsn = v.dsn;
  if (v['unit-variants'] !== undefined) o.jobsUnitVariants = intFlag('unit-variants', v['unit-variants'], ['auto']);
  if (v['lease-seconds'] !== undefined) o.jobsLeaseSeconds = intFlag('lease-seconds', v['lease-seconds']);
  if (v['retry-limit'] !== undefined) o.jobsRetryLimit = intFlag('retry-limit', v['retry-limit']);
  if (v.concurrency !== undefined) o.jobsConcurrency = intFlag('concurrency', v.concurrency);
  if (v['metrics-port'] !== undefined) o.jobsMetricsPort = intFlag('metrics-port', v['metrics-port'], ['off']);
  if (v['metrics-host'] !== undefined) o.jobsMetricsHost = v['metrics-host'];
  if (v['poll-interval-ms'] !== undefined) o.jobsPollIntervalMs = intFlag('poll-interval-ms', v['poll-interval-ms']);
  return o as GridtaOptions;
}

async function withDb<T>(engine: Engine, fn: (db: JobsDb) => Promise<T>): Promise<T> {
  const db = await openJobsDb(engine.config);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

const duration = (s: number | null): string => {
  if (s === null || !Number.isFinite(s)) return '—';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  return `${(s / 3600).toFixed(1)} h`;
};

export function formatStatus(st: JobStatus): string {
  const lines = [
    `job ${st.jobId}  ${st.state}`,
    `  ${st.indicatorId}: ${st.instruments} instrument${st.instruments === 1 ? '' : 's'} x ${st.variants} variants, ${st.unitVariants} variants per unit`,
    `  units      ${st.processed}/${st.total} processed  (queued ${st.queued}, active ${st.active}, failed ${st.failed}, cancelled ${st.cancelled})`,
    `  attempts   ${st.attempts}`,
    `  rate       ${st.rate === null ? '—' : `${st.rate.toFixed(2)} units/s`}  ETA ${duration(st.etaSeconds)}`,
    `  created    ${st.createdAt}${st.startedAt ? `  started ${st.startedAt}` : ''}${st.finishedAt ? `  finished ${st.finishedAt}` : ''}${st.cancelledAt ? `  cancelled ${st.cancelledAt}` : ''}`,
    ...(st.kind === 'grid' ? [`  out        ${st.out}`] : []),
  ];
  if (st.stages) {
    lines.push(
      `  stage      ${st.stage}  (stage_a ${st.stages.stage_a.processed}/${st.stages.stage_a.total}, stage_b ${st.stages.stage_b.processed}/${st.stages.stage_b.total})`,
    );
  }
  if (st.stageA)
    lines.push(
      `  stage A    stage_a_variants_total=${st.stageA.stage_a_variants_total} risk_total=${st.stageA.risk_total} preselect_used=${st.stageA.preselect_used} missing=${st.stageA.missing} (aggregate ${st.stageA.aggregate})`,
    );
  for (const f of st.failures)
    lines.push(
      `  failure    unit ${f.unit} (${f.instrumentId} ${f.stage === 'stage_b' ? 'Stage B' : `variants ${f.variants[0]}..${f.variants[1] - 1}`}, ${f.attempts} attempts, ${f.state}): ${f.error}`,
    );
  return `${lines.join('\n')}\n`;
}

async function writeAtomic(file: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await fsp.writeFile(tmp, bytes);
    await fsp.rename(tmp, file);
  } catch (e) {
    await fsp.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
}

const DATA_FLAGS = {
  data: { type: 'string', multiple: true },
  grid: { type: 'string', multiple: true },
  instrument: { type: 'string' },
  timeframe: { type: 'string' },
  timeline: { type: 'string' },
  'ts-unit': { type: 'string' },
  out: { type: 'string' },
  outputs: { type: 'string' },
  'variant-key': { type: 'boolean' },
  limit: { type: 'string' },
  ...BACKTEST_REQUEST_FLAGS,
  aggregate: { type: 'string' },
  cursor: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'no-auth': { type: 'boolean' },
} as const;

const JOBS_COMMANDS = ['submit', 'submit-backtest', 'status', 'ls', 'cancel', 'collect', 'top', 'serve', 'help'];

type JobsValues = Parsed<typeof JOBS_FLAGS & typeof DATA_FLAGS>['values'];

/** `jobs submit`: validates the flags and the grid, then submits the job. */
async function submitCommand(engine: Engine, values: JobsValues, positionals: readonly string[], json: boolean): Promise<number> {
  const id = positionals[0];
  if (!id) throw new UsageError('jobs submit needs an indicator id');
  const data = (values.data ?? []) as string[];
  if (data.length === 0) throw new UsageError('--data FILE|DIR is required');
  if (!values.out) throw new UsageError('--out DIR is required');
  const timeline = values.timeline as string | undefined;
  if (timeline !== undefined && timeline !== 'dense' && timeline !== 'sessions')
    throw new UsageError(`--timeline must be dense or sessions (got ${JSON.stringify(timeline)})`);
  // the grid is checked before connecting: an unknown id or a bad axis never needs the database
  const def = registry.get(id);
  const grid = gridOverrides(def.id, values.grid ?? []);
  materializeGrid(engine.defaultGrid(def.id, grid));
  const profile = values.profile === undefined ? undefined : jobProfile((values.profile as string).trim().toLowerCase(), engine);
  const fsFaults: FsFaults | undefined =
    process.env.GRIDTA_TEST_FAULTS === '1'
      ? {
          ...(process.env.GRIDTA_TEST_FS_TIMEOUT_MS ? { timeoutMs: Number(process.env.GRIDTA_TEST_FS_TIMEOUT_MS) } : {}),
          ...(process.env.GRIDTA_TEST_FS_STALL_STEP ? { stallStep: process.env.GRIDTA_TEST_FS_STALL_STEP } : {}),
        }
      : undefined;
  const res = await withDb(engine, (db) =>
    submitJob(engine, db, {
      indicatorId: def.id,
      grid,
      data,
      out: values.out as string,
      ...(values.instrument ? { instrumentId: values.instrument as string } : {}),
      ...(values.timeframe ? { timeframe: values.timeframe as string } : {}),
      ...(timeline ? { timeline: timeline as 'dense' | 'sessions' } : {}),
      ...(values['ts-unit'] ? { tsUnit: checkTsUnit(values['ts-unit']) } : {}),
      ...(values.outputs ? { outputs: (values.outputs as string).split(',').map((s) => s.trim()) } : {}),
      ...(profile !== undefined ? { profile } : {}),
      ...(fsFaults ? { fsFaults } : {}),
    }),
  );
  if (json) process.stdout.write(`${JSON.stringify(res)}\n`);
  else {
    process.stdout.write(`${res.jobId}\n`);
    process.stderr.write(
      `gridta jobs: submitted ${res.indicatorId}: ${res.instruments} instrument(s) x ${res.variants} variants in ${res.units} units of <= ${res.unitVariants} variants -> ${res.out}\n`,
    );
  }
  return 0;
}

/** `jobs collect`: merges the job's unit files into one Arrow file per instrument (a file, or one per instrument in a directory). */
async function collectCommand(engine: Engine, values: JobsValues, jobId: string, json: boolean): Promise<number> {
  const out = values.out as string | undefined;
  if (!out) throw new UsageError('--out FILE.arrow (one instrument) or DIR is required');
  const got = await withDb(engine, (db) =>
    collectJob(db, jobId, {
      ...(values.instrument ? { instrumentId: values.instrument as string } : {}),
      maxComputeBytesTotal: engine.config.maxComputeBytesTotal.value,
    }),
  );
  const toFile = ['.arrow', '.feather'].includes(extname(out).toLowerCase());
  if (toFile && got.length !== 1) throw new UsageError(`the job has ${got.length} instruments: give --out a directory, or --instrument ID`);
  if (!toFile) await ensureWritableDir(out, 'out', out);
  const written = [];
  for (const g of got) {
    const file = toFile ? resolve(out) : join(resolve(out), `${fileSafe(g.instrumentId)}.arrow`);
    const ipc = g.tensor.toArrowIPC({ format: 'file', includeVariantKey: values['variant-key'] === true });
    await writeAtomic(file, ipc);
    written.push({ instrumentId: g.instrumentId, file, t: g.tensor.meta.t, variants: g.tensor.meta.variants, bytes: ipc.length });
  }
  if (json) process.stdout.write(`${JSON.stringify({ jobId, files: written })}\n`);
  else
    for (const w of written)
      process.stderr.write(`gridta jobs: ${w.instrumentId}: T=${w.t} V=${w.variants} ${w.bytes} bytes -> ${w.file}\n`);
  return 0;
}

export async function runJobs(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h') {
    process.stdout.write(JOBS_USAGE);
    return 0;
  }
  // an unknown command is a usage error even with --help, before any flag is parsed or engine made
  if (sub !== undefined && !JOBS_COMMANDS.includes(sub)) throw new UsageError(`unknown jobs command ${JSON.stringify(sub)}\n${JOBS_USAGE}`);
  const { values, positionals } = parse(rest, { ...JOBS_FLAGS, ...DATA_FLAGS });
  if (values.help || sub === undefined || sub === 'help') {
    process.stdout.write(JOBS_USAGE);
    return sub === undefined ? 2 : 0;
  }
  const json = values.json === true;
  if (['submit', 'submit-backtest', 'status', 'cancel', 'collect', 'ls', 'top'].includes(sub))
    checkPositionals(`jobs ${sub}`, positionals, sub === 'ls' || (sub === 'submit-backtest' && values.strategy !== undefined) ? 0 : 1);
  const needJob = (): string => {
    const id = positionals[0];
    if (!id) throw new UsageError(`jobs ${sub} needs a job id`);
    return id;
  };
  const engine = createEngine(jobsOptions(values));
  try {
    switch (sub) {
      case 'submit':
        return await submitCommand(engine, values, positionals, json);
      case 'status': {
        const st = await withDb(engine, (db) => jobStatus(db, needJob()));
        process.stdout.write(json ? `${JSON.stringify(st)}\n` : formatStatus(st));
        return 0;
      }
      case 'ls': {
        const opts = pageOptionsOf(values.limit as string | undefined, values.cursor as string | undefined);
        const page = await withDb(engine, (db) => listJobsPage(db, opts));
        if (json) process.stdout.write(`${JSON.stringify(page)}\n`);
        else {
          const rows = page.jobs.map(
            (s) =>
              `${s.jobId}  ${s.state.padEnd(9)}  ${`${s.processed}/${s.total}`.padStart(11)}  ${s.createdAt}  ${s.indicatorId} (${s.instruments} x ${s.variants})`,
          );
          if (page.next_cursor !== null) rows.push(`next cursor: ${page.next_cursor}`);
          process.stdout.write(rows.length ? `${rows.join('\n')}\n` : 'no jobs\n');
        }
        return 0;
      }
      case 'cancel': {
        const st = await withDb(engine, (db) => cancelJob(db, needJob()));
        // cancelling a finished (or already cancelled) job changes nothing: said so, and exit 0
        if (!json && st.cancelOutcome === 'already_finished')
          process.stderr.write(`gridta jobs: job ${st.jobId} is already ${st.state}; nothing to cancel\n`);
        if (!json && st.cancelOutcome === 'already_cancelled')
          process.stderr.write(`gridta jobs: job ${st.jobId} was already cancelled at ${st.cancelledAt}\n`);
        process.stdout.write(json ? `${JSON.stringify(st)}\n` : formatStatus(st));
        return 0;
      }
      case 'collect':
        return await collectCommand(engine, values, needJob(), json);
      case 'submit-backtest':
        return await submitBacktestCommand(engine, values, positionals, json, withDb);
      case 'top':
        return await topCommand(engine, values, needJob(), json, withDb);
      case 'serve':
        checkPositionals('jobs serve', positionals, 0);
        return await serveCommand(engine, values);
      default:
        throw new UsageError(`unknown jobs command ${JSON.stringify(sub)}\n${JOBS_USAGE}`);
    }
  } finally {
    await engine.close();
    // a filesystem step that timed out may still hold a libuv thread, which would keep the process
    // alive: exit with the code already set once the error has been reported
    if (fsStepTimedOut()) setTimeout(() => process.exit(), 50).unref();
  }
}
