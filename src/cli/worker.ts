/**
 * `gridta worker [--concurrency N] [--metrics-port P] [--metrics-host ADDR] [--worker-id ID] [--dsn URL] [config flags]`:
 * claims units of every job from PostgreSQL and computes them with this machine's engine (threads,
 * cache and warmup from its own config) until SIGTERM/SIGINT, which finishes the current batch of each
 * unit and hands the rest back; a second signal exits at once. Log lines are JSON on standard error.
 */
import { hostname } from 'node:os';
import { countJobsByState } from '../jobs/store.js';
import { createWorkerMetrics, openJobsDb, serveMetrics, startWorker, type Logger, type WorkerFaults } from '../jobs/index.js';
import { maskSecretsIn } from '../runtime/config.js';
import { createEngine } from '../runtime/engine.js';
import { JOBS_FLAGS, jobsOptions } from './jobs.js';
import { UsageError, parse } from './args.js';

export const WORKER_USAGE = `usage: gridta worker [--concurrency N] [--metrics-port P|off] [--metrics-host ADDR] [--worker-id ID] [--dsn URL]
                     [--poll-interval-ms N] [config flags...]

Claims units of every submitted job from PostgreSQL (GRIDTA_PG_DSN, --dsn or jobs.dsn), computes them
with this machine's engine and writes each unit's Arrow file under the job's output directory. Stops
gracefully on SIGTERM or Ctrl-C (the current batch finishes, the unit goes back to the queue); a second
signal exits at once. A unit's lease, retries and size are its job's, set at jobs submit: here
--lease-seconds, --retry-limit and --unit-variants are refused (usage error), and the worker's own
lease_seconds, retry_limit and unit_variants settings have no effect; so is its profile (--profile is
refused, GRIDTA_PROFILE and compute.profile do not apply to units). With jobs.enabled: false
(GRIDTA_JOBS_ENABLED=0) it logs that and exits 0.
`;

/** Flags of `jobs submit` that a worker would silently ignore: each unit carries its job's value. */
const JOB_ONLY_FLAGS: readonly (readonly [keyof typeof JOBS_FLAGS, string])[] = [
  ['lease-seconds', "a unit's lease is its job's"],
  ['retry-limit', "a unit's retries are its job's"],
  ['unit-variants', "a unit's size is its job's"],
];

export async function runWorker(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, { ...JOBS_FLAGS, 'worker-id': { type: 'string' } });
  if (values.help) {
    process.stdout.write(WORKER_USAGE);
    return 0;
  }
  if (positionals.length) throw new UsageError(`worker takes no arguments (got ${JSON.stringify(positionals[0])})`);
  for (const [flag, why] of JOB_ONLY_FLAGS) {
    if (values[flag] !== undefined)
      throw new UsageError(`worker does not take --${flag}: ${why}, set per job at \`gridta jobs submit --${flag}\``);
  }
  // a unit computes in its job's profile: a worker's own profile (flag, GRIDTA_PROFILE, YAML) never applies to it
  if ((values as Record<string, unknown>).profile !== undefined)
    throw new UsageError("worker does not take --profile: a unit's profile is its job's, set per job at `gridta jobs submit --profile`");
  const workerId = (values['worker-id'] as string | undefined) ?? `${hostname()}-${process.pid}`;
  const log: Logger = (level, event, fields = {}) => {
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, event, worker: workerId, ...fields })}\n`);
  };
  const engine = createEngine(jobsOptions(values));
  const cfg = engine.config;
  if (!cfg.jobsEnabled.value) {
    log('info', 'worker_disabled', { reason: `jobs.enabled is false (${cfg.jobsEnabled.source})` });
    await engine.close();
    return 0;
  }
  const concurrency = cfg.jobsConcurrency.value;
  // leases are the jobs' own (set at submit) and expired by every worker's sweep each second; the
  // queue's maintenance (archiving, and a backstop expiry) runs once a minute
  const db = await openJobsDb(cfg, {
    maintenanceIntervalSeconds: 60,
    poolSize: concurrency + 3,
    onError: (e) => log('warn', 'db_error', { error: cfg.jobsDsn.value ? maskSecretsIn(e.message, cfg.jobsDsn.value) : e.message }),
  }).catch(async (e: unknown) => {
    await engine.close();
    throw e;
  });
  const metrics = createWorkerMetrics(workerId, () => countJobsByState(db.pool, db));
  let server: Awaited<ReturnType<typeof serveMetrics>> | undefined;
  try {
    const warm = await engine.warmup();
    const port = cfg.jobsMetricsPort.value;
    if (port !== 'off') server = await serveMetrics(metrics, port, cfg.jobsMetricsHost.value);
    const faults: WorkerFaults | undefined =
      process.env.GRIDTA_TEST_FAULTS === '1'
        ? {
            stallMs: Number(process.env.GRIDTA_TEST_UNIT_STALL_MS ?? 0) || 0,
            batchDelayMs: Number(process.env.GRIDTA_TEST_BATCH_DELAY_MS ?? 0) || 0,
            stageBStallMs: Number(process.env.GRIDTA_TEST_STAGE_B_STALL_MS ?? 0) || 0,
            fanOutDelayMs: Number(process.env.GRIDTA_TEST_FANOUT_DELAY_MS ?? 0) || 0,
            ...(process.env.GRIDTA_TEST_PUBLISH_BARRIER ? { publishBarrier: process.env.GRIDTA_TEST_PUBLISH_BARRIER } : {}),
          }
        : undefined;
    const worker = startWorker({
      engine,
      db,
      workerId,
      concurrency,
      pollIntervalMs: cfg.jobsPollIntervalMs.value,
      metrics,
      log,
      batchVariants: cfg.batchVariants.value,
      ...(faults ? { faults } : {}),
    });
    let signals = 0;
    const onSignal = (sig: string): void => {
      if (++signals > 1) {
        log('warn', 'worker_exit_now', { signal: sig });
        process.exit(130);
      }
      log('info', 'worker_stopping', { signal: sig });
      worker.stop();
    };
    const onTerm = (): void => onSignal('SIGTERM');
    const onInt = (): void => onSignal('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
    // announced once the handlers are on: a SIGTERM sent on seeing this line stops the worker gracefully
    log('info', 'worker_started', {
      dsn: db.dsn,
      schema: db.schema,
      concurrency,
      engine: warm.engine,
      threads: warm.threads,
      warmupMs: Math.round(warm.timings.totalMs),
      metricsPort: server?.port ?? null,
      metricsHost: server ? cfg.jobsMetricsHost.value : null,
      pid: process.pid,
    });
    try {
      await worker.done;
    } finally {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    }
    const count = async (c: { get(): Promise<{ values: { value: number }[] }> }): Promise<number> => (await c.get()).values[0]?.value ?? 0;
    log('info', 'worker_stopped', {
      claimed: await count(metrics.claimed),
      succeeded: await count(metrics.succeeded),
      failed: await count(metrics.failed),
      cancelled: await count(metrics.cancelled),
      leaseLost: await count(metrics.leaseLost),
      released: await count(metrics.released),
      expired: await count(metrics.expired),
    });
    return 0;
  } finally {
    await new Promise<void>((r) => (server ? server.server.close(() => r()) : r()));
    await db.close();
    await engine.close();
  }
}
