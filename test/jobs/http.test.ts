/**
 * The jobs HTTP API on a real PostgreSQL, over real HTTP (fetch against a server on port 0): bearer
 * auth on every route but /health, input checked before any query (ids, limits, cursors, query
 * parameters, 1 KiB bodies), errors as JSON with the CLI's codes, cancel on a real job, a token
 * never echoed; then `gridta jobs serve` as a child process, which refuses a non-loopback host
 * without a token and serves with --no-auth on 127.0.0.1.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest, Agent } from 'node:http';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { checkApiAuth, isLoopbackHost, startApiServer, type ApiServer } from '../../src/jobs/http.js';
import { jobStatus, openJobsDb, submitJob, type JobsDb } from '../../src/jobs/index.js';
import { listJobsPage } from '../../src/jobs/paging.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { CLI, ROOT, TTRC, childEnv, cli, jobsFixture, query } from './helpers.js';

const fx = jobsFixture('gridta-jobs-http-');
const TOKEN = `tok-${randomBytes(24).toString('hex')}`;
const JSON_TYPE = 'application/json; charset=utf-8';
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

let engine: Engine;
let db: JobsDb;
let api: ApiServer;
const logs: { level: string; event: string; fields: Record<string, unknown> }[] = [];
/** Every response's status line, headers and body text, to check none of them holds the token. */
const seen: string[] = [];
const jobs: string[] = [];

const submit = async (): Promise<string> =>
  (
    await submitJob(engine, db, {
      indicatorId: 'ma.sma',
      grid: { source: ['close'], params: { window: [5, 6] } },
      data: [TTRC],
      out: join(fx.dir, 'out'),
      timeline: 'sessions',
    })
  ).jobId;

beforeAll(async () => {
  engine = createEngine({ threads: 1, env: 'test', jobsDsn: fx.pgc.dsn });
  db = await openJobsDb(engine.config);
  for (let k = 0; k < 3; k++) jobs.push(await submit());
  api = await startApiServer({
    db,
    host: '127.0.0.1',
    port: 0,
    token: TOKEN,
    log: (level, event, fields = {}) => logs.push({ level, event, fields }),
  });
}, 60_000);
afterAll(async () => {
  await api?.close();
  await db?.close();
  await engine?.close();
});

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: a parsed JSON document, read by the assertions
  json: any;
}

/** A request to the API (`token` false: no Authorization header); the answer is recorded in `seen`. */
async function call(path: string, init: RequestInit & { token?: string | false; base?: string } = {}): Promise<Answer> {
  const { token = TOKEN, base = api.url, ...rest } = init;
  const headers = new Headers(rest.headers);
  if (token !== false) headers.set('authorization', `Bearer ${token}`);
  const res = await fetch(`${base}${path}`, { ...rest, headers });
  const text = await res.text();
  const head: string[] = [];
  res.headers.forEach((v, k) => {
    head.push(`${k}: ${v}`);
  });
  seen.push(`${res.status} ${head.join('; ')} ${text}`);
  return { status: res.status, headers: res.headers, text, json: text ? JSON.parse(text) : undefined };
}

/** An error answer: status, code and content type checked, the error object returned. */
function expectError(a: Answer, status: number, code: string): { code: string; message: string; details: Record<string, unknown> } {
  expect(a.status, a.text).toBe(status);
  expect(a.headers.get('content-type')).toBe(JSON_TYPE);
  expect(Object.keys(a.json)).toEqual(['error']);
  expect(Object.keys(a.json.error)).toEqual(['code', 'message', 'details']);
  expect(a.json.error.code).toBe(code);
  return a.json.error;
}

describe('auth', () => {
  it('answers /health without a token', async () => {
    const a = await call('/health', { token: false });
    expect(a.status).toBe(200);
    expect(a.headers.get('content-type')).toBe(JSON_TYPE);
    expect(a.json).toEqual({ ok: true, db: 'ok' });
    const head = await fetch(`${api.url}/health`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it.each([
    ['GET', '/jobs'],
    ['GET', `/jobs/${UNKNOWN}`],
    ['GET', `/jobs/${UNKNOWN}/top`],
    ['POST', `/jobs/${UNKNOWN}/cancel`],
    ['GET', '/no-such-route'],
  ])('refuses %s %s without a token: 401 with WWW-Authenticate: Bearer', async (method, path) => {
    const a = await call(path, { method, token: false });
    const e = expectError(a, 401, 'http_unauthorized');
    expect(a.headers.get('www-authenticate')).toBe('Bearer realm="gridta"');
    expect(e.message).toBe('this route needs Authorization: Bearer <token>');
  });

  it.each([
    ['of the same length', `${TOKEN.slice(0, -1)}${TOKEN.endsWith('0') ? '1' : '0'}`],
    ['shorter', TOKEN.slice(0, -1)],
    ['longer', `${TOKEN}0`],
    ['of one character', 'x'],
  ])('refuses a wrong token %s: 401, invalid_token', async (_what, wrong) => {
    const a = await call('/jobs', { token: wrong });
    expectError(a, 401, 'http_unauthorized');
    expect(a.headers.get('www-authenticate')).toBe('Bearer realm="gridta", error="invalid_token"');
    expect(a.text).not.toContain(wrong);
  });

  it('refuses the right token under another scheme, takes the Bearer scheme in any case', async () => {
    expectError(await call('/jobs', { token: false, headers: { authorization: `Basic ${TOKEN}` } }), 401, 'http_unauthorized');
    expectError(await call('/jobs', { token: false, headers: { authorization: TOKEN } }), 401, 'http_unauthorized');
    expect((await call('/jobs', { token: false, headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });
});

describe('routes', () => {
  it('lists the jobs newest first, as listJobsPage does, and pages with the cursor', async () => {
    const a = await call('/jobs');
    expect(a.status, a.text).toBe(200);
    expect(a.headers.get('content-type')).toBe(JSON_TYPE);
    expect(a.json).toEqual(JSON.parse(JSON.stringify(await listJobsPage(db))));
    const order = await query<{ id: string }>(fx.pgc.dsn, 'SELECT id::text id FROM gridta.job ORDER BY created_at DESC, id DESC');
    expect(a.json.jobs.map((j: { jobId: string }) => j.jobId)).toEqual(order.map((r) => r.id));
    expect(a.json.next_cursor).toBeNull();

    const p1 = await call('/jobs?limit=2');
    expect(p1.json.jobs.map((j: { jobId: string }) => j.jobId)).toEqual([order[0]!.id, order[1]!.id]);
    expect(typeof p1.json.next_cursor).toBe('string');
    const p2 = await call(`/jobs?limit=2&cursor=${encodeURIComponent(p1.json.next_cursor)}`);
    expect(p2.json.jobs.map((j: { jobId: string }) => j.jobId)).toEqual(order.slice(2).map((r) => r.id));
    expect(p2.json.next_cursor).toBeNull();
  });

  it('gives one job its status', async () => {
    const a = await call(`/jobs/${jobs[0]}`);
    expect(a.status, a.text).toBe(200);
    expect(a.json).toEqual(JSON.parse(JSON.stringify(await jobStatus(db, jobs[0]!))));
    expect(a.json).toMatchObject({ jobId: jobs[0], indicatorId: 'ma.sma', state: 'queued', variants: 2, total: 1 });
  });

  it('answers an unknown job with 404 job_not_found', async () => {
    for (const path of [`/jobs/${UNKNOWN}`]) {
      const e = expectError(await call(path), 404, 'job_not_found');
      expect(e).toEqual({ code: 'job_not_found', message: `no job "${UNKNOWN}" in this database`, details: { jobId: UNKNOWN } });
    }
    expectError(await call(`/jobs/${UNKNOWN}/cancel`, { method: 'POST' }), 404, 'job_not_found');
  });

  it.each(['not-a-uuid', '1', `${UNKNOWN}0`, "x'%20OR%201=1", '%00'])(
    'answers the malformed id %s with 400 before any query',
    async (id) => {
      for (const [method, path] of [
        ['GET', `/jobs/${id}`],
        ['GET', `/jobs/${id}/top`],
        ['POST', `/jobs/${id}/cancel`],
      ] as const) {
        const e = expectError(await call(path, { method }), 400, 'job_input_invalid');
        expect(e.details).toEqual({ field: 'id', reason: 'invalid_spec', value: id, expected: 'a job id (a uuid)' });
        expect(e.message).toBe(`id: is not a job id (got ${JSON.stringify(id)})`);
      }
    },
  );

  it.each(['0', 'abc', '1001', '', '2.5', '-1', '1e3'])('answers limit=%s with 400 naming the limit', async (limit) => {
    for (const path of [`/jobs?limit=${limit}`, `/jobs/${jobs[0]}/top?limit=${limit}`]) {
      const e = expectError(await call(path), 400, 'job_input_invalid');
      expect(e.details).toEqual({ field: 'limit', reason: 'invalid_spec', value: limit, expected: 'an integer from 1 to 1000' });
      expect(e.message).toBe(`limit: must be an integer from 1 to 1000 (got ${JSON.stringify(limit)})`);
    }
  });

  it('answers a malformed cursor with 400 naming the cursor', async () => {
    const e = expectError(await call('/jobs?cursor=bm90IGpzb24'), 400, 'job_input_invalid');
    expect(e.details).toMatchObject({ field: 'cursor', value: 'bm90IGpzb24' });
    expect(e.message).toBe('cursor: does not hold JSON (got "bm90IGpzb24")');
  });

  it('answers /top on a grid job with 400, as jobs top does', async () => {
    const e = expectError(await call(`/jobs/${jobs[0]}/top`), 400, 'job_input_invalid');
    expect(e.details).toEqual({ field: 'job', reason: 'invalid_spec', value: jobs[0], expected: 'a backtest job' });
  });

  it('checks /top before the top rows are read: auth, id, limit, instrument', async () => {
    expectError(await call(`/jobs/${jobs[0]}/top?limit=5`, { token: false }), 401, 'http_unauthorized');
    expectError(await call(`/jobs/${jobs[0]}/top?instrument=`), 400, 'job_input_invalid');
    const e = expectError(await call(`/jobs/${jobs[0]}/top?limit=5&objective=sharpe`), 400, 'http_bad_request');
    expect(e.details).toEqual({ unknown: ['objective'], allowed: ['limit', 'instrument'] });
  });

  it('answers unknown or repeated query parameters with 400 naming them', async () => {
    const e = expectError(await call('/jobs?limit=2&sort=asc&page=3&sort=desc'), 400, 'http_bad_request');
    expect(e.message).toBe('unknown query parameters sort, page for GET /jobs (allowed: limit, cursor)');
    expect(e.details).toEqual({ unknown: ['sort', 'page'], allowed: ['limit', 'cursor'] });
    const h = expectError(await call(`/jobs/${jobs[0]}?verbose=1`), 400, 'http_bad_request');
    expect(h.message).toBe('unknown query parameter verbose for GET /jobs/{id} (it takes none)');
    const twice = expectError(await call('/jobs?limit=2&limit=3'), 400, 'http_bad_request');
    expect(twice).toEqual({
      code: 'http_bad_request',
      message: 'query parameter limit given more than once',
      details: { repeated: ['limit'] },
    });
  });

  it('answers an unknown route with 404 and a wrong method with 405 and Allow', async () => {
    for (const path of ['/', '/jobs/', `/jobs/${jobs[0]}/collect`, '/JOBS']) {
      const e = expectError(await call(path), 404, 'http_not_found');
      expect(e.details).toEqual({ routes: ['GET /health', 'GET /jobs', 'GET /jobs/{id}', 'GET /jobs/{id}/top', 'POST /jobs/{id}/cancel'] });
    }
    for (const [method, path, allow] of [
      ['DELETE', '/jobs', 'GET, HEAD'],
      ['POST', `/jobs/${jobs[0]}`, 'GET, HEAD'],
      ['GET', `/jobs/${jobs[0]}/cancel`, 'POST'],
      ['PUT', '/health', 'GET, HEAD'],
    ] as const) {
      const a = await call(path, { method });
      const e = expectError(a, 405, 'http_method_not_allowed');
      expect(a.headers.get('allow'), `${method} ${path}`).toBe(allow);
      expect(e.details).toEqual({ allowed: allow.split(', ') });
    }
  });
});

describe('cancel and request bodies', () => {
  it('cancels a real job: state cancelled, queued units cancelled, a second cancel says so', async () => {
    const id = jobs[1]!;
    const a = await call(`/jobs/${id}/cancel`, { method: 'POST' });
    expect(a.status, a.text).toBe(200);
    expect(a.json).toMatchObject({ jobId: id, state: 'cancelled', cancelOutcome: 'cancelled', cancelled: 1, processed: 0 });
    const [row] = await query<{ cancelled_at: Date | null }>(fx.pgc.dsn, 'SELECT cancelled_at FROM gridta.job WHERE id = $1', [id]);
    expect(row!.cancelled_at).toBeInstanceOf(Date);
    expect((await call(`/jobs/${id}`)).json.state).toBe('cancelled');
    expect((await call(`/jobs/${id}/cancel`, { method: 'POST' })).json).toMatchObject({
      state: 'cancelled',
      cancelOutcome: 'already_cancelled',
    });
  });

  it('answers a body over 1 KiB with 413 and leaves the job alone', async () => {
    const id = jobs[2]!;
    const big = expectError(await call(`/jobs/${id}/cancel`, { method: 'POST', body: 'x'.repeat(1025) }), 413, 'http_payload_too_large');
    expect(big).toEqual({
      code: 'http_payload_too_large',
      message: 'request bodies are limited to 1024 bytes',
      details: { limitBytes: 1024 },
    });
    // a streamed body with no length given is cut off once it passes the limit
    const chunks = new ReadableStream<Uint8Array>({
      start(c) {
        for (let k = 0; k < 64; k++) c.enqueue(new Uint8Array(1024).fill(120));
        c.close();
      },
    });
    const init = { method: 'POST', body: chunks, duplex: 'half' } as RequestInit;
    expectError(await call(`/jobs/${id}/cancel`, init), 413, 'http_payload_too_large');
    expect((await jobStatus(db, id)).state, 'a refused request changed nothing').toBe('queued');
  });

  it('reads a body of exactly 1 KiB (and ignores it)', async () => {
    const id = await submit();
    const a = await call(`/jobs/${id}/cancel`, { method: 'POST', body: 'x'.repeat(1024) });
    expect(a.status, a.text).toBe(200);
    expect(a.json).toMatchObject({ jobId: id, state: 'cancelled', cancelOutcome: 'cancelled' });
  });
});

describe('unexpected errors', () => {
  it('answers a failing query with 500 and a generic message; the log has the details', async () => {
    const broken = await startApiServer({
      db: { ...db, schema: 'no_such_schema' },
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      log: (level, event, fields = {}) => logs.push({ level, event, fields }),
    });
    try {
      const a = await call('/jobs', { base: broken.url });
      const e = expectError(a, 500, 'internal_error');
      expect(e.message).toBe('internal error; the server log has the details');
      expect(Object.keys(e.details)).toEqual(['requestId']);
      expect(a.text).not.toContain('no_such_schema');
      const line = logs.find((l) => l.event === 'api_error' && l.fields.requestId === e.details.requestId);
      expect(line?.level).toBe('error');
      expect(line?.fields.error).toContain('relation "no_such_schema.job" does not exist');
      expect(line?.fields.code).toBe('42P01');
    } finally {
      await broken.close();
    }
  });

  it('answers with 503 when the database is unreachable, without its DSN', async () => {
    const dead = new pg.Pool({ connectionString: 'postgres://gridta:pw-secret-1@127.0.0.1:1/postgres', connectionTimeoutMillis: 2_000 });
    const down = await startApiServer({
      db: { ...db, pool: dead },
      host: '127.0.0.1',
      port: 0,
      token: TOKEN,
      log: (level, event, fields = {}) => logs.push({ level, event, fields }),
    });
    try {
      const h = await call('/health', { base: down.url, token: false });
      expect(h.status).toBe(503);
      expect(h.json).toEqual({ ok: false, db: 'unreachable' });
      const a = await call('/jobs', { base: down.url });
      const e = expectError(a, 503, 'jobs_unavailable');
      expect(a.headers.get('retry-after')).toBe('5');
      expect(e.message).toBe('the jobs database is unavailable; the server log has the details');
      for (const text of [a.text, JSON.stringify(logs)]) {
        expect(text).not.toContain('pw-secret-1');
        expect(text).not.toContain('gridta:');
      }
    } finally {
      await down.close();
      await dead.end();
    }
  });
});

describe('the token', () => {
  it('is never echoed: not in a response, not in a log line, not even as a query parameter', async () => {
    const a = await call(`/jobs?token=${TOKEN}`);
    const e = expectError(a, 400, 'http_bad_request');
    expect(e.details).toEqual({ unknown: ['token'], allowed: ['limit', 'cursor'] });
    expect(seen.length, 'responses recorded').toBeGreaterThan(60);
    for (const s of seen) expect(s.includes(TOKEN), s).toBe(false);
    const text = JSON.stringify(logs);
    expect(logs.filter((l) => l.event === 'api_request').length).toBeGreaterThan(60);
    expect(text.includes(TOKEN)).toBe(false);
    expect(text).not.toContain('authorization');
  });
});

describe('starting and stopping', () => {
  it.each(['0.0.0.0', '::', '192.168.1.10', 'example.com', '128.0.0.1', '::ffff:10.0.0.1'])(
    'refuses to start on %s without a token, even with noAuth',
    async (host) => {
      for (const noAuth of [false, true]) {
        const err = await startApiServer({ db, host, port: 0, token: null, noAuth }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(ConfigError);
        expect((err as ConfigError).message).toContain(host);
        expect((err as ConfigError).details).toMatchObject(noAuth ? { key: 'host', value: host } : { key: 'token', value: null });
      }
    },
  );

  it('tells loopback hosts from the others', () => {
    for (const h of ['127.0.0.1', '127.5.6.7', 'localhost', 'LOCALHOST', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '127.0.0.1.nip.io', 'localhost.example.com', '::2', '::ffff:10.0.0.1'])
      expect(isLoopbackHost(h), h).toBe(false);
  });

  it('refuses no token without noAuth, a token with noAuth, and a token a header cannot carry', () => {
    expect(() => checkApiAuth('127.0.0.1', null, false)).toThrow(/without a bearer token: set GRIDTA_API_TOKEN/);
    expect(() => checkApiAuth('127.0.0.1', TOKEN, true)).toThrow(
      expect.objectContaining({ details: expect.objectContaining({ key: 'noAuth' }) }),
    );
    for (const bad of ['', 'has space', 'tab\there', 'caf\u00e9']) {
      let err: unknown;
      try {
        checkApiAuth('0.0.0.0', bad);
      } catch (e) {
        err = e;
      }
      expect(err, JSON.stringify(bad)).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).details).toEqual({
        key: 'token',
        source: 'option',
        value: '***',
        expected: 'a non-empty token of visible ASCII characters, no spaces',
      });
      if (bad) expect((err as ConfigError).message).not.toContain(bad);
    }
    expect(checkApiAuth('0.0.0.0', TOKEN)).toBe('bearer');
    expect(checkApiAuth('::1', null, true)).toBe('off');
  });

  it('serves without auth on loopback with noAuth, to requests addressed to a loopback host only', async () => {
    const open = await startApiServer({ db, host: '127.0.0.1', port: 0, token: null, noAuth: true });
    /** GET `path` with this Host header (fetch would not send another host's name). */
    const asHost = (host: string, path: string): Promise<{ status: number; body: string }> =>
      new Promise((ok, fail) => {
        const r = httpRequest(`${open.url}${path}`, { headers: { host } }, (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => {
            body += c;
          });
          res.on('end', () => ok({ status: res.statusCode!, body }));
        });
        r.on('error', fail);
        r.end();
      });
    try {
      const a = await call(`/jobs/${jobs[0]}`, { base: open.url, token: false });
      expect(a.status).toBe(200);
      expect(a.json.jobId).toBe(jobs[0]);
      const port = new URL(open.url).port;
      for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost'])
        expect((await asHost(host, '/jobs?limit=1')).status, host).toBe(200);
      for (const host of [`rebound.example:${port}`, 'rebound.example', `10.0.0.1:${port}`]) {
        const r = await asHost(host, '/jobs?limit=1');
        expect(r.status, host).toBe(403);
        expect(JSON.parse(r.body).error.code).toBe('http_forbidden');
      }
    } finally {
      await open.close();
    }
  });

  it('closes promptly with keep-alive connections open, ending them, and stops accepting', async () => {
    const s = await startApiServer({ db, host: '127.0.0.1', port: 0, token: TOKEN });
    const agent = new Agent({ keepAlive: true, maxSockets: 2 });
    const sockets = new Set<import('node:net').Socket>();
    const get = (via: Agent | false): Promise<number> =>
      new Promise((ok, fail) => {
        const r = httpRequest(`${s.url}/health`, { agent: via }, (res) => {
          sockets.add(res.socket);
          res.resume();
          res.on('end', () => ok(res.statusCode!));
        });
        r.on('error', fail);
        r.end();
      });
    try {
      expect(await Promise.all([get(agent), get(agent)])).toEqual([200, 200]);
      const open = [...sockets];
      expect(open.length).toBe(2);
      expect(
        open.every((k) => !k.destroyed),
        'kept alive after the responses',
      ).toBe(true);
      const ended = Promise.all(open.map((k) => new Promise((r) => k.once('close', r))));
      const t0 = performance.now();
      await s.close();
      await ended;
      expect(performance.now() - t0, 'idle keep-alive connections neither hold the close nor stay open').toBeLessThan(1_000);
      expect(await get(false).catch((e: NodeJS.ErrnoException) => e.code)).toBe('ECONNREFUSED');
    } finally {
      agent.destroy();
    }
  });
});

describe('gridta jobs serve', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  /** Starts `gridta jobs serve ...` and resolves with its URL once it says it is listening. */
  function serve(args: string[], env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; url: string; stderr: () => string }> {
    const child = spawn(process.execPath, [CLI, 'jobs', 'serve', ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    children.push(child);
    let err = '';
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`jobs serve did not start: ${err}`)), 30_000);
      child.stderr!.setEncoding('utf8').on('data', (c: string) => {
        err += c;
        const m = /^gridta jobs serve: listening on (http:\/\/\S+) \(auth: (bearer token|off)\)$/m.exec(err);
        if (m) {
          clearTimeout(timer);
          ok({ child, url: m[1]!, stderr: () => err });
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`jobs serve exited ${code}: ${err}`));
      });
    });
  }
  const exited = (child: ChildProcess): Promise<number | null> =>
    child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.on('exit', (code) => r(code)));

  it('refuses a non-loopback host without a token, before connecting', () => {
    const r = cli(['jobs', 'serve', '--host', '0.0.0.0', '--port', '0'], childEnv(fx.pgc.dsn));
    expect(r.status).toBe(3);
    expect(r.stderr).toBe(
      'gridta: config_invalid: refusing to serve the jobs API on 0.0.0.0 without a bearer token: set GRIDTA_API_TOKEN (or pass --no-auth, allowed on a loopback host only)\n',
    );
    const n = cli(['jobs', 'serve', '--host', '0.0.0.0', '--no-auth', '--json'], childEnv('postgres://gridta@127.0.0.1:1/none'));
    expect(n.status).toBe(3);
    expect(JSON.parse(n.stdout).error).toMatchObject({ code: 'config_invalid', details: { key: 'host', value: '0.0.0.0' } });
    expect(JSON.parse(n.stdout).error.message).toContain('--no-auth is allowed on a loopback host only');
  }, 30_000);

  it('refuses a bad --port and extra arguments as usage errors', () => {
    const p = cli(['jobs', 'serve', '--port', '70000', '--no-auth'], childEnv(fx.pgc.dsn));
    expect(p.status).toBe(2);
    expect(p.stderr).toBe('gridta: usage: --port must be an integer from 0 to 65535 (got "70000")\n');
    const x = cli(['jobs', 'serve', 'extra', '--no-auth'], childEnv(fx.pgc.dsn));
    expect(x.status).toBe(2);
    expect(x.stderr).toContain('jobs serve takes no arguments');
  }, 30_000);

  it('serves with --no-auth on 127.0.0.1 and stops on SIGTERM with exit 0', async () => {
    const s = await serve(['--no-auth', '--host', '127.0.0.1', '--port', '0'], childEnv(fx.pgc.dsn));
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(s.stderr()).toContain('(auth: off)');
    const a = await call('/jobs?limit=1', { base: s.url, token: false });
    expect(a.status, a.text).toBe(200);
    expect(a.json.jobs).toHaveLength(1);
    s.child.kill('SIGTERM');
    expect(await exited(s.child)).toBe(0);
    const access = s
      .stderr()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l));
    expect(access).toContainEqual(
      expect.objectContaining({ level: 'info', event: 'api_request', method: 'GET', path: '/jobs', status: 200 }),
    );
    expect(access).toContainEqual(expect.objectContaining({ event: 'api_stopping', signal: 'SIGTERM' }));
  }, 60_000);

  it('serves with GRIDTA_API_TOKEN, never writing it out, and stops on SIGINT with exit 0', async () => {
    const s = await serve(['--port', '0'], childEnv(fx.pgc.dsn, { GRIDTA_API_TOKEN: TOKEN }));
    expect(s.stderr()).toContain('(auth: bearer token)');
    expectError(await call('/jobs', { base: s.url, token: false }), 401, 'http_unauthorized');
    expectError(await call('/jobs', { base: s.url, token: `${TOKEN}x` }), 401, 'http_unauthorized');
    expect((await call(`/jobs/${jobs[0]}`, { base: s.url })).status).toBe(200);
    s.child.kill('SIGINT');
    expect(await exited(s.child)).toBe(0);
    expect(s.stderr()).not.toContain(TOKEN);
    for (const x of seen) expect(x.includes(TOKEN), x).toBe(false);
  }, 60_000);
});
