/**
 * Harness of the jobs tests: a throwaway PostgreSQL cluster (scripts/pg-cluster.mjs, a real server,
 * no mock), the built CLI run as `gridta jobs ...` and as `gridta worker` child processes whose JSON
 * log lines are collected, and a database client for looking at what happened.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, inject } from 'vitest';
import { jobStatus, openJobsDb } from '../../src/jobs/index.js';
import { resolveConfig } from '../../src/runtime/config.js';
// @ts-expect-error -- a plain ES module without types
import { startCluster } from '../../scripts/pg-cluster.mjs';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli', 'main.js');
export const TTRC = join(ROOT, 'bench', 'ttrc.csv');

export interface Cluster {
  dsn: string;
  port: number;
  stop(): Promise<void>;
  createDatabase(name: string): Promise<string>;
}

export async function startPostgres(): Promise<Cluster> {
  return (await startCluster()) as Cluster;
}

/**
 * A fresh database on the jobs project's shared cluster (test/jobs/global-setup.ts), as a Cluster
 * whose `dsn` points at it and whose stop() drops it; a cluster of its own when there is no shared
 * one (a file run with another config).
 */
async function fileDatabase(): Promise<Cluster> {
  const port = inject('jobsPgPort') as number | undefined;
  if (port === undefined) return startPostgres();
  const admin = `postgres://gridta@127.0.0.1:${port}/postgres`;
  const onAdmin = async (sql: string): Promise<void> => {
    await query(admin, sql);
  };
  const name = `file_${randomBytes(6).toString('hex')}`;
  await onAdmin(`CREATE DATABASE ${name}`);
  const made: string[] = [name];
  return {
    dsn: `postgres://gridta@127.0.0.1:${port}/${name}`,
    port,
    async createDatabase(sub) {
      const full = `${name}_${sub}`;
      await onAdmin(`CREATE DATABASE ${full}`);
      made.push(full);
      return `postgres://gridta@127.0.0.1:${port}/${full}`;
    },
    async stop() {
      // WITH (FORCE): ends connections a killed child may have left behind
      for (const db of made.reverse()) await onAdmin(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`);
    },
  };
}

/** The environment of every child: test config, one thread, this cluster, no stray GRIDTA_* of the caller. */
/** What `jobsFixture` gives the tests of a file or describe block (read inside tests and hooks). */
export interface JobsFixture {
  readonly pgc: Cluster;
  /** A temporary directory, removed afterwards. */
  readonly dir: string;
  /** Push the workers a test starts: they are stopped afterwards. */
  readonly workers: WorkerProcess[];
  /**
   * For the calling describe block: a database of its own on the cluster, made before its tests.
   * Describe blocks that run side by side each need one, since a worker claims any unit queued in
   * its database. `name` must be unique in the file.
   */
  database(name: string): { readonly dsn: string };
}

/**
 * For the calling file or describe block: a throwaway cluster and a temporary directory (named
 * `prefix`…) made before its tests; afterwards the workers pushed to `workers` are stopped, the
 * cluster too, and the directory removed.
 */
export function jobsFixture(prefix: string): JobsFixture {
  let pgc: Cluster | undefined;
  let dir: string | undefined;
  const workers: WorkerProcess[] = [];
  beforeAll(async () => {
    pgc = await fileDatabase();
    dir = mkdtempSync(join(tmpdir(), prefix));
  }, 60_000);
  afterAll(async () => {
    await Promise.all(workers.map((w) => stopWorker(w, 5_000)));
    await pgc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });
  const made = <T>(what: string, v: T | undefined): T => {
    if (v === undefined) throw new Error(`jobsFixture: no ${what} yet (read it inside a test or hook)`);
    return v;
  };
  return {
    get pgc() {
      return made('cluster', pgc);
    },
    get dir() {
      return made('directory', dir);
    },
    workers,
    database(name) {
      let dsn: string | undefined;
      beforeAll(async () => {
        dsn = await made('cluster', pgc).createDatabase(name);
      });
      return {
        get dsn() {
          return made(`database ${name}`, dsn);
        },
      };
    },
  };
}

export function childEnv(dsn: string | null, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRIDTA_')) env[k] = v;
  return { ...env, GRIDTA_ENV: 'test', GRIDTA_NUM_THREADS: '1', ...(dsn ? { GRIDTA_PG_DSN: dsn } : {}), ...extra };
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

export function cli(args: string[], env: NodeJS.ProcessEnv): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    env,
    encoding: 'utf8',
    cwd: ROOT,
    timeout: 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function cliJson<T>(args: string[], env: NodeJS.ProcessEnv): T {
  const r = cli([...args, '--json'], env);
  if (r.status !== 0) throw new Error(`gridta ${args.join(' ')} exited ${r.status}: ${r.stdout}${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/** `cli` without blocking the event loop: several can run at once, and samplers and log readers keep running. */
export function cliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((ok) => {
    const child = execFile(
      process.execPath,
      [CLI, ...args],
      { env, encoding: 'utf8', cwd: ROOT, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 },
      (_err, stdout, stderr) => ok({ status: child.exitCode, stdout, stderr }),
    );
  });
}

/** `cliJson` without blocking the event loop (samplers and log readers keep running). */
export function cliJsonAsync<T>(args: string[], env: NodeJS.ProcessEnv): Promise<T> {
  return new Promise((ok, fail) => {
    execFile(
      process.execPath,
      [CLI, ...args, '--json'],
      { env, encoding: 'utf8', cwd: ROOT, timeout: 120_000, maxBuffer: 256 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) fail(new Error(`gridta ${args.join(' ')} failed (${err.code ?? err.signal}): ${stdout}${stderr}`));
        else ok(JSON.parse(stdout) as T);
      },
    );
  });
}

export interface LogLine {
  ts: string;
  level: string;
  event: string;
  worker: string;
  job?: string;
  unit?: number;
  attempt?: number;
  [k: string]: unknown;
}

export interface WorkerProcess {
  readonly child: ChildProcess;
  readonly id: string;
  readonly logs: LogLine[];
  readonly exited: Promise<number | null>;
  waitFor(pred: (l: LogLine) => boolean, timeoutMs?: number, what?: string): Promise<LogLine>;
}

/** Starts `gridta worker --worker-id <id>` and collects its JSON log lines. */
export function startWorker(id: string, env: NodeJS.ProcessEnv, args: string[] = []): WorkerProcess {
  const child = spawn(process.execPath, [CLI, 'worker', '--worker-id', id, '--poll-interval-ms', '50', ...args], {
    env,
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let other = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
    buf += chunk;
    for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        other += `${line}\n`;
      }
    }
    for (const w of [...waiters]) w();
  });
  child.stdout!.setEncoding('utf8').on('data', (c: string) => {
    other += c;
  });
  const exited = new Promise<number | null>((r) =>
    child.on('exit', (code) => {
      for (const w of [...waiters]) w();
      r(code);
    }),
  );
  return {
    child,
    id,
    logs,
    exited,
    waitFor(pred, timeoutMs = 30_000, what = 'a log line') {
      return new Promise((ok, fail) => {
        const check = (): void => {
          const hit = logs.find(pred);
          if (hit) {
            cleanup();
            ok(hit);
            return;
          }
          if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            fail(
              new Error(
                `worker ${id} exited (${child.exitCode ?? child.signalCode}) before ${what}; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n${other}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          fail(
            new Error(`timed out waiting for ${what} from worker ${id}; logs:\n${logs.map((l) => JSON.stringify(l)).join('\n')}\n${other}`),
          );
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
  };
}

/** SIGTERM (graceful), then SIGKILL if it has not exited after `graceMs`. */
export async function stopWorker(w: WorkerProcess, graceMs = 15_000): Promise<number | null> {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return w.child.exitCode;
  w.child.kill('SIGTERM');
  const t = setTimeout(() => w.child.kill('SIGKILL'), graceMs);
  const code = await w.exited;
  clearTimeout(t);
  return code;
}

export async function query<T extends pg.QueryResultRow>(dsn: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client(dsn);
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export interface Status {
  state: string;
  processed: number;
  total: number;
  queued: number;
  active: number;
  failed: number;
  cancelled: number;
  attempts: number;
  rate: number | null;
  etaSeconds: number | null;
  failures: unknown[];
}

/**
 * Waits until `gridta jobs status <job> --json` shows one of `states`, and returns that status. The
 * waiting itself reads the same status in-process, through one connection, every 100 ms (a CLI
 * process per look would take a core's worth of start-ups from the workers being waited for); the
 * CLI is run once the state is reached, and its answer is what is checked and returned.
 */
export async function waitForState(dsn: string, jobId: string, states: string[], timeoutMs = 60_000): Promise<Status> {
  const t0 = Date.now();
  const db = await openJobsDb(resolveConfig({}, childEnv(dsn)));
  let last: unknown;
  try {
    while (Date.now() - t0 < timeoutMs) {
      last = await jobStatus(db, jobId);
      if (states.includes((last as Status).state)) {
        last = await cliJsonAsync<Status>(['jobs', 'status', jobId], childEnv(dsn));
        if (states.includes((last as Status).state)) return last as Status;
      }
      await sleep(100);
    }
  } finally {
    await db.close();
  }
  throw new Error(`job ${jobId} did not reach ${states.join('|')} in ${timeoutMs} ms (last status ${JSON.stringify(last)})`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The last `rows` lines of ttrc.csv (with its header): a second, shorter instrument. */
export function ttrcTail(rows: number): string {
  const lines = readFileSync(TTRC, 'utf8').trimEnd().split('\n');
  return `${[lines[0], ...lines.slice(-rows)].join('\n')}\n`;
}
