/**
 * A worker's Prometheus metrics (prom-client, its own registry): unit outcomes, unit and batch
 * durations, queue round trips and units in flight, served as text on `/metrics`.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

export interface WorkerMetrics {
  readonly registry: Registry;
  readonly claimed: Counter;
  readonly succeeded: Counter;
  readonly failed: Counter;
  readonly cancelled: Counter;
  readonly leaseLost: Counter;
  readonly released: Counter;
  readonly expired: Counter;
  readonly unitSeconds: Histogram;
  readonly batchSeconds: Histogram;
  readonly queueSeconds: Histogram<'op'>;
  readonly inFlight: Gauge;
  readonly stageSeconds: Histogram<'stage'>;
}

/** Jobs by kind and state, read from the database when the metrics are scraped. */
export type JobsByState = () => Promise<readonly { kind: string; state: string; n: number }[]>;

export function createWorkerMetrics(workerId: string, jobsByState?: JobsByState): WorkerMetrics {
  const registry = new Registry();
  if (jobsByState) {
    new Gauge({
      name: 'gridta_jobs_by_state',
      help: 'Jobs in the database by kind (grid, backtest) and state (queued, running, completed, failed, cancelled), read at scrape time',
      labelNames: ['kind', 'state'],
      registers: [registry],
      async collect() {
        const rows = await jobsByState();
        this.reset();
        for (const r of rows) this.set({ kind: r.kind, state: r.state }, r.n);
      },
    });
  }
  registry.setDefaultLabels({ worker: workerId });
  collectDefaultMetrics({ register: registry, prefix: 'gridta_worker_' });
  const counter = (name: string, help: string): Counter => new Counter({ name, help, registers: [registry] });
  return {
    registry,
    claimed: counter('gridta_units_claimed_total', 'Units this worker claimed from the queue'),
    succeeded: counter('gridta_units_succeeded_total', 'Units computed, written and completed'),
    failed: counter('gridta_units_failed_total', 'Unit attempts that failed with an error (pg-boss retries them up to the retry limit)'),
    cancelled: counter('gridta_units_cancelled_total', 'Units stopped because their job was cancelled'),
    leaseLost: counter('gridta_units_lease_lost_total', 'Units abandoned because their lease expired (another worker re-runs them)'),
    released: counter('gridta_units_released_total', 'Units handed back to the queue on graceful shutdown'),
    expired: counter(
      'gridta_units_expired_total',
      "Unit attempts this worker's lease sweep expired (the job's lease ran out; retried or failed)",
    ),
    unitSeconds: new Histogram({
      name: 'gridta_unit_duration_seconds',
      help: 'Claim to completion of a unit',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers: [registry],
    }),
    batchSeconds: new Histogram({
      name: 'gridta_batch_duration_seconds',
      help: 'Compute time of one batch of a unit',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
      registers: [registry],
    }),
    queueSeconds: new Histogram({
      name: 'gridta_queue_seconds',
      help: 'Queue round trips: claim (fetch and record) and complete (ownership check, publish, complete)',
      labelNames: ['op'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    inFlight: new Gauge({ name: 'gridta_units_in_flight', help: 'Units being computed by this worker', registers: [registry] }),
    stageSeconds: new Histogram({
      name: 'gridta_stage_duration_seconds',
      help: 'Claim to completion of a unit, by stage (grid, stage_a, stage_b)',
      labelNames: ['stage'],
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900],
      registers: [registry],
    }),
  };
}

/**
 * Serves `GET /metrics` on `host`:`port` (0: any free port); the loopback interface unless another
 * address is given, so metrics are not exposed to the network by default. Resolves with the bound port.
 */
export async function serveMetrics(metrics: WorkerMetrics, port: number, host = '127.0.0.1'): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && (req.url === '/metrics' || req.url?.startsWith('/metrics?'))) {
      metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        },
        (e: Error) => {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(e.message);
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found: try /metrics\n');
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      ok();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
