/**
 * `gridta jobs serve [--port 8080] [--host 127.0.0.1] [--no-auth]`: the jobs HTTP API (README "Job
 * list paging and the HTTP API") until SIGINT or SIGTERM. The token is GRIDTA_API_TOKEN; without one
 * the server starts only with --no-auth on a loopback host. Access and error log lines are JSON on
 * standard error, as the worker's are; they never hold the token or the DSN.
 */
import { checkApiAuth, startApiServer, type ApiServer } from '../jobs/http.js';
import { openJobsDb, type Logger } from '../jobs/index.js';
import { maskSecretsIn } from '../runtime/config.js';
import type { Engine } from '../runtime/engine.js';
import { UsageError } from './args.js';

/** The flags `jobs serve` reads (parsed by `gridta jobs`). */
export interface ServeValues {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly 'no-auth'?: boolean | undefined;
}

const DEFAULT_PORT = 8080;
const DEFAULT_HOST = '127.0.0.1';

function portFlag(v: string | undefined): number {
  if (v === undefined) return DEFAULT_PORT;
  const n = /^[0-9]{1,5}$/.test(v.trim()) ? Number(v) : -1;
  if (n < 0 || n > 65_535) throw new UsageError(`--port must be an integer from 0 to 65535 (got ${JSON.stringify(v)})`);
  return n;
}

/** Resolves with the first SIGINT or SIGTERM; a second one exits at once (130). */
function firstSignal(log: Logger): { signal: Promise<string>; dispose(): void } {
  let signals = 0;
  let resolve: (s: string) => void = () => undefined;
  const signal = new Promise<string>((r) => {
    resolve = r;
  });
  const on = (sig: string): void => {
    if (++signals > 1) {
      log('warn', 'api_exit_now', { signal: sig });
      process.exit(130);
    }
    log('info', 'api_stopping', { signal: sig });
    resolve(sig);
  };
  const onTerm = (): void => on('SIGTERM');
  const onInt = (): void => on('SIGINT');
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  return {
    signal,
    dispose: () => {
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
    },
  };
}

export async function serveCommand(engine: Engine, values: ServeValues): Promise<number> {
  const host = values.host ?? DEFAULT_HOST;
  if (host.trim() === '') throw new UsageError('--host must name an interface address or host name (got "")');
  const port = portFlag(values.port);
  const fromEnv = process.env.GRIDTA_API_TOKEN;
  const token = fromEnv === undefined || fromEnv === '' ? null : fromEnv;
  const noAuth = values['no-auth'] === true;
  // refused before connecting: no token (without --no-auth on a loopback host) never needs the database
  const auth = checkApiAuth(host, token, noAuth);
  const dsn = engine.config.jobsDsn.value ?? '';
  const log: Logger = (level, event, fields = {}) => {
    process.stderr.write(`${JSON.stringify({ ts: new Date().toISOString(), level, event, ...fields })}\n`);
  };
  const stop = firstSignal(log);
  let server: ApiServer | undefined;
  const db = await openJobsDb(engine.config, { onError: (e) => log('warn', 'db_error', { error: maskSecretsIn(e.message, dsn) }) });
  try {
    server = await startApiServer({ db, host, port, token, noAuth, log });
    process.stderr.write(`gridta jobs serve: listening on ${server.url} (auth: ${auth === 'bearer' ? 'bearer token' : 'off'})\n`);
    await stop.signal;
  } finally {
    stop.dispose();
    await server?.close();
    await db.close();
  }
  return 0;
}
