/**
 * The jobs HTTP API (`gridta jobs serve`): list, status, top rows and cancel over JSON, on Node's own
 * `http` module. Every route but `/health` needs `Authorization: Bearer <token>`; the server refuses
 * to start without a token unless auth is explicitly off on a loopback host. Input is checked before
 * any query (ids, limits, cursors, query parameters; bodies capped at 1 KiB) and errors are
 * `{"error":{code,message,details}}` with the codes the CLI prints for the same errors.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import { type AddressInfo, isIP } from 'node:net';
import { ConfigError, GridtaError, JobInputError } from '../errors.js';
import { cancelJob, jobStatus } from './control.js';
import { isJobId, listJobsPage, pageLimitOf, pageOptionsOf } from './paging.js';
import type { JobsDb } from './store.js';
import { jobTop } from './top.js';
import type { Logger } from './worker.js';

/** The largest request body read; a longer one is answered 413 and the connection closed. */
export const API_BODY_LIMIT_BYTES = 1024;
const JSON_TYPE = 'application/json; charset=utf-8';
const HEALTH_TIMEOUT_MS = 2_000;
const CLOSE_GRACE_MS = 5_000;

export interface ApiServerOptions {
  readonly db: JobsDb;
  /** Interface to listen on; without a token only a loopback one (127.0.0.0/8, ::1, localhost). */
  readonly host: string;
  /** 0: any free port (the url says which). */
  readonly port: number;
  /** The bearer token every route but /health requires; `null` only together with `noAuth`. */
  readonly token: string | null;
  /** Serve without auth: allowed on a loopback host only, and not together with a token. */
  readonly noAuth?: boolean;
  /** One call per request (`api_request`) and per unexpected error (`api_error`); never a token or DSN. */
  readonly log?: Logger;
}

export interface ApiServer {
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Stops accepting, lets requests in flight finish (5 s at most) and ends keep-alive connections. */
  close(): Promise<void>;
}

/** Whether `host` names the loopback interface: 127.0.0.0/8, ::1 (or IPv4-mapped 127/8), localhost. */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase();
  if (h === 'localhost') return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const norm = new URL(`http://[${h}]`).hostname; // [::1], [::ffff:7f00:1] for ::ffff:127.0.0.1
    return norm === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(norm);
  }
  return false;
}

/**
 * Whether the API will check a bearer token (`bearer`) or not (`off`); refuses, as a ConfigError
 * naming the host, a server without a token unless `noAuth` is set and the host is loopback.
 */
export function checkApiAuth(host: string, token: string | null, noAuth = false): 'bearer' | 'off' {
  if (token !== null) {
    if (typeof token !== 'string' || !/^[\x21-\x7e]+$/.test(token))
      throw new ConfigError(
        { key: 'token', source: 'option', value: '***', expected: 'a non-empty token of visible ASCII characters, no spaces' },
        'token (GRIDTA_API_TOKEN): must be visible ASCII characters without spaces, as an HTTP header carries it',
      );
    if (noAuth)
      throw new ConfigError(
        { key: 'noAuth', source: 'option', value: true, expected: 'a token or noAuth, not both' },
        'noAuth: a token is set too (GRIDTA_API_TOKEN); give one or the other',
      );
    return 'bearer';
  }
  if (!noAuth)
    throw new ConfigError(
      { key: 'token', source: 'option', value: null, expected: 'a bearer token (GRIDTA_API_TOKEN)' },
      `refusing to serve the jobs API on ${host} without a bearer token: set GRIDTA_API_TOKEN (or pass --no-auth, allowed on a loopback host only)`,
    );
  if (!isLoopbackHost(host))
    throw new ConfigError(
      { key: 'host', source: 'option', value: host, expected: 'a loopback host (127.0.0.0/8, ::1, localhost) when auth is off' },
      `refusing to serve the jobs API without auth on ${host}: --no-auth is allowed on a loopback host only (127.0.0.0/8, ::1, localhost); set GRIDTA_API_TOKEN to serve on ${host}`,
    );
  return 'off';
}

// ---------------------------------------------------------------------------------------------
// Errors as JSON

/** An error answered with its own status and code (the codes the CLI has no counterpart for). */
class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** GridtaError codes that are the client's doing, and their statuses; any other error is a 500. */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  job_input_invalid: 400,
  grid_invalid: 400,
  strategy_invalid: 400,
  unknown_indicator: 400,
  job_not_found: 404,
  job_incomplete: 409,
};
/** Driver errors that mean the database is down or unreachable: a 503, not a 500. */
const DB_DOWN = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', '57P01', '57P02', '57P03', '08001', '08006']);
const isDbDown = (e: unknown): boolean =>
  (e instanceof GridtaError && e.code === 'jobs_unavailable') ||
  DB_DOWN.has(String((e as { code?: unknown } | null)?.code)) ||
  /timeout exceeded when trying to connect|Connection terminated/.test(String((e as Error | null)?.message));

interface ErrorBody {
  status: number;
  code: string;
  message: string;
  details: Record<string, unknown>;
  headers: Record<string, string>;
  /** Unexpected: the response says nothing about it, the log says what happened. */
  unexpected: boolean;
}

function errorBody(e: unknown, requestId: string): ErrorBody {
  if (e instanceof HttpError)
    return { status: e.status, code: e.code, message: e.message, details: e.details, headers: e.headers, unexpected: false };
  if (e instanceof GridtaError && STATUS_OF_CODE[e.code] !== undefined)
    return { status: STATUS_OF_CODE[e.code]!, code: e.code, message: e.message, details: e.details, headers: {}, unexpected: false };
  if (isDbDown(e))
    return {
      status: 503,
      code: 'jobs_unavailable',
      message: 'the jobs database is unavailable; the server log has the details',
      details: { requestId },
      headers: { 'retry-after': '5' },
      unexpected: true,
    };
  return {
    status: 500,
    code: 'internal_error',
    message: 'internal error; the server log has the details',
    details: { requestId },
    headers: {},
    unexpected: true,
  };
}

// ---------------------------------------------------------------------------------------------
// Routes

interface Context {
  readonly db: JobsDb;
  readonly query: URLSearchParams;
  /** The job id of the path, checked to be a uuid. */
  readonly id: string;
}

interface Route {
  /** As shown in a 404's list of routes. */
  readonly name: string;
  readonly path: RegExp;
  readonly methods: readonly string[];
  readonly query: readonly string[];
  readonly auth: boolean;
  run(ctx: Context): Promise<{ status: number; body: unknown }>;
}

const ok = (body: unknown): { status: number; body: unknown } => ({ status: 200, body });

/** A query parameter that must not be empty when given. */
function nonEmpty(q: URLSearchParams, name: string): string | undefined {
  const v = q.get(name);
  if (v === null) return undefined;
  if (v === '')
    throw new JobInputError({ field: name, reason: 'invalid_spec', value: v, expected: 'a non-empty string' }, 'must not be empty');
  return v;
}

async function health(db: JobsDb): Promise<{ status: number; body: unknown }> {
  let timer: NodeJS.Timeout | undefined;
  const up = await Promise.race([
    db.pool.query('SELECT 1').then(
      () => true,
      () => false,
    ),
    new Promise<false>((r) => {
      timer = setTimeout(() => r(false), HEALTH_TIMEOUT_MS);
    }),
  ]);
  clearTimeout(timer);
  return up ? { status: 200, body: { ok: true, db: 'ok' } } : { status: 503, body: { ok: false, db: 'unreachable' } };
}

const GET = ['GET', 'HEAD'];
const ROUTES: readonly Route[] = [
  { name: 'GET /health', path: /^\/health$/, methods: GET, query: [], auth: false, run: (c) => health(c.db) },
  {
    name: 'GET /jobs',
    path: /^\/jobs$/,
    methods: GET,
    query: ['limit', 'cursor'],
    auth: true,
    run: async (c) => ok(await listJobsPage(c.db, pageOptionsOf(c.query.get('limit') ?? undefined, c.query.get('cursor') ?? undefined))),
  },
  {
    name: 'GET /jobs/{id}',
    path: /^\/jobs\/([^/]+)$/,
    methods: GET,
    query: [],
    auth: true,
    run: async (c) => ok(await jobStatus(c.db, c.id)),
  },
  {
    name: 'GET /jobs/{id}/top',
    path: /^\/jobs\/([^/]+)\/top$/,
    methods: GET,
    query: ['limit', 'instrument'],
    auth: true,
    run: async (c) => {
      const limit = c.query.has('limit') ? pageLimitOf(c.query.get('limit')!) : undefined;
      const instrument = nonEmpty(c.query, 'instrument');
      return ok(
        await jobTop(c.db, c.id, { ...(limit !== undefined ? { limit } : {}), ...(instrument !== undefined ? { instrument } : {}) }),
      );
    },
  },
  {
    name: 'POST /jobs/{id}/cancel',
    path: /^\/jobs\/([^/]+)\/cancel$/,
    methods: ['POST'],
    query: [],
    auth: true,
    run: async (c) => ok(await cancelJob(c.db, c.id)),
  },
];
const ROUTE_NAMES = ROUTES.map((r) => r.name);

/** The query's parameters, refused (400, naming them) when unknown to the route or given twice. */
function checkQuery(route: Route, search: string): URLSearchParams {
  const q = new URLSearchParams(search);
  const keys = [...q.keys()];
  const unknown = [...new Set(keys.filter((k) => !route.query.includes(k)))];
  if (unknown.length)
    throw new HttpError(
      400,
      'http_bad_request',
      `unknown query parameter${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} for ${route.name} (${route.query.length ? `allowed: ${route.query.join(', ')}` : 'it takes none'})`,
      { unknown, allowed: [...route.query] },
    );
  const twice = [...new Set(keys.filter((k, n) => keys.indexOf(k) !== n))];
  if (twice.length)
    throw new HttpError(400, 'http_bad_request', `query parameter ${twice.join(', ')} given more than once`, { repeated: twice });
  return q;
}

/** Reads (and drops) the body up to the limit; false when it is longer, without reading further. */
function readBody(req: IncomingMessage): Promise<boolean> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > API_BODY_LIMIT_BYTES) return Promise.resolve(false);
  return new Promise((resolve, reject) => {
    let bytes = 0;
    const done = (fits: boolean, err?: Error): void => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      if (err) reject(err);
      else {
        if (!fits) req.pause();
        resolve(fits);
      }
    };
    const onData = (chunk: Buffer): void => {
      bytes += chunk.length;
      if (bytes > API_BODY_LIMIT_BYTES) done(false);
    };
    const onEnd = (): void => done(true);
    const onError = (e: Error): void => done(false, e);
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
  });
}

/** As the CLI writes JSON: a non-finite number (a metric's NaN or Infinity) as a string, not as null. */
const finiteOrText = (_key: string, v: unknown): unknown => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v);

const sha256 = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** The host name of a Host header (`[::1]:8080` → `::1`, `localhost:8080` → `localhost`). */
function hostName(header: string | undefined): string {
  const h = (header ?? '').trim();
  const v6 = /^\[([^\]]+)\](?::\d*)?$/.exec(h);
  return v6 ? v6[1]! : h.replace(/:\d*$/, '');
}

// ---------------------------------------------------------------------------------------------
// The server

/**
 * Starts the API on `host`:`port`. Refuses (a rejected promise with a ConfigError) a server without
 * a token unless `noAuth` is set and the host is loopback, and a port it cannot listen on.
 */
export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const { db, host, port, token } = opts;
  if (typeof host !== 'string' || host.trim() === '')
    throw new ConfigError({ key: 'host', source: 'option', value: host, expected: 'an interface address or host name' });
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError({ key: 'port', source: 'option', value: port, expected: 'an integer from 0 to 65535' });
  checkApiAuth(host, token, opts.noAuth === true);
  const expected = token === null ? null : sha256(token);
  const log: Logger = opts.log ?? (() => undefined);
  // a log line never carries the token or a connection string, whatever an error message holds
  const scrub = (text: string): string => {
    const out = text.replace(/postgres(?:ql)?:\/\/[^\s'"]+/gi, 'postgres://***');
    return token === null ? out : out.split(token).join('***');
  };
  let closing = false;

  const authorized = (req: IncomingMessage): boolean => {
    if (expected === null) return true;
    const m = /^Bearer +(\S+) *$/i.exec(req.headers.authorization ?? '');
    // digests of equal length: the comparison takes the same time whatever the given token's length
    return m !== null && timingSafeEqual(sha256(m[1]!), expected);
  };

  const handle = async (req: IncomingMessage, conn: { bodyUnread: boolean }): Promise<{ status: number; body: unknown }> => {
    const raw = req.url ?? '/';
    const at = raw.indexOf('?');
    const path = at < 0 ? raw : raw.slice(0, at);
    const route = ROUTES.find((r) => r.path.test(path));
    // without auth, only requests addressed to a loopback name: a web page whose own host name was
    // re-pointed at 127.0.0.1 (DNS rebinding) must not read or cancel jobs through the browser
    if (expected === null && !isLoopbackHost(hostName(req.headers.host)))
      throw new HttpError(
        403,
        'http_forbidden',
        'without auth the jobs API answers only requests addressed to a loopback host (Host: 127.0.0.1, [::1] or localhost)',
      );
    if (route?.auth !== false && !authorized(req)) {
      const missing = req.headers.authorization === undefined;
      throw new HttpError(
        401,
        'http_unauthorized',
        missing ? 'this route needs Authorization: Bearer <token>' : 'the bearer token is not valid',
        {},
        { 'www-authenticate': missing ? 'Bearer realm="gridta"' : 'Bearer realm="gridta", error="invalid_token"' },
      );
    }
    if (!route) throw new HttpError(404, 'http_not_found', `no route ${path} (routes: ${ROUTE_NAMES.join(', ')})`, { routes: ROUTE_NAMES });
    const method = req.method ?? '';
    if (!route.methods.includes(method))
      throw new HttpError(
        405,
        'http_method_not_allowed',
        `${route.name} does not take ${method}`,
        { allowed: [...route.methods] },
        {
          allow: route.methods.join(', '),
        },
      );
    if (!(await readBody(req)))
      throw new HttpError(413, 'http_payload_too_large', `request bodies are limited to ${API_BODY_LIMIT_BYTES} bytes`, {
        limitBytes: API_BODY_LIMIT_BYTES,
      });
    conn.bodyUnread = false;
    const query = checkQuery(route, at < 0 ? '' : raw.slice(at + 1));
    const id = route.path.exec(path)![1];
    if (id !== undefined && !isJobId(id))
      throw new JobInputError({ field: 'id', reason: 'invalid_spec', value: id, expected: 'a job id (a uuid)' }, 'is not a job id');
    return route.run({ db, query, id: id ?? '' });
  };

  const server = createServer((req, res) => {
    const requestId = randomUUID();
    const t0 = performance.now();
    // a body not read to its end (refused unread, or too long) ends the connection with the response
    const conn = { bodyUnread: req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0 };
    const at = (req.url ?? '/').indexOf('?');
    const path = scrub(at < 0 ? (req.url ?? '/') : req.url!.slice(0, at));
    const send = (status: number, text: string, headers: Record<string, string>): void => {
      res.writeHead(status, {
        'content-type': JSON_TYPE,
        'content-length': Buffer.byteLength(text),
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'x-request-id': requestId,
        ...(closing || conn.bodyUnread ? { connection: 'close' } : {}),
        ...headers,
      });
      res.end(req.method === 'HEAD' ? undefined : text, () => {
        if (conn.bodyUnread) req.socket.destroy();
      });
      log('info', 'api_request', { requestId, method: req.method, path, status, ms: Math.round((performance.now() - t0) * 10) / 10 });
    };
    const answer = async (): Promise<void> => {
      try {
        const r = await handle(req, conn);
        send(r.status, `${JSON.stringify(r.body, finiteOrText)}\n`, {});
      } catch (e) {
        const b = errorBody(e, requestId);
        if (b.unexpected) {
          const err = e as { name?: unknown; code?: unknown; message?: unknown; stack?: unknown } | null;
          log('error', 'api_error', {
            requestId,
            method: req.method,
            path,
            name: String(err?.name ?? typeof e),
            ...(err?.code !== undefined ? { code: String(err.code) } : {}),
            error: scrub(String(err?.stack ?? err?.message ?? e)),
          });
        }
        send(b.status, `${JSON.stringify({ error: { code: b.code, message: b.message, details: b.details } })}\n`, b.headers);
      }
    };
    answer().catch((e: unknown) => {
      // the answer itself could not be sent (the client went away): nothing left to tell it
      log('warn', 'api_send_failed', { requestId, error: scrub(String((e as Error | null)?.message ?? e)) });
      res.destroy();
    });
  });
  // receiving a request (headers and at most 1 KiB of body) never takes long
  server.requestTimeout = 30_000;
  server.headersTimeout = 20_000;

  await new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => {
      reject(
        new ConfigError(
          { key: 'port', source: 'option', value: port, expected: `a port gridta can listen on at ${host}` },
          `cannot listen on ${host} port ${port}: ${e.code ?? e.message}`,
        ),
      );
    };
    server.once('error', onError);
    server.listen({ port, host }, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  const url = `http://${isIP(host) === 6 ? `[${host}]` : host}:${bound}`;

  let closed: Promise<void> | undefined;
  return {
    url,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        closing = true;
        const grace = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(grace);
          resolve();
        });
        // keep-alive connections between requests end now; busy ones after their response
        server.closeIdleConnections();
      });
      return closed;
    },
  };
}
