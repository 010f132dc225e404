/**
 * A DSN's password never reaches a message or a log line, whatever form it takes: in the URL's
 * userinfo, in its query string (`password=`, `sslpassword=`), or in a keyword/value DSN (quoted or
 * not). Checked through maskDsn itself and through every place a DSN is shown: diagnose, the
 * `config_invalid` error, the `jobs_unavailable` error and the worker's `worker_started` log line
 * (on a real PostgreSQL), which also says where the metrics server listens (loopback by default).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, JobsUnavailableError } from '../../src/errors.js';
import { openJobsDb } from '../../src/jobs/index.js';
import { createWorkerMetrics, serveMetrics } from '../../src/jobs/metrics.js';
import { maskDsn, resolveConfig } from '../../src/runtime/config.js';
import { diagnose } from '../../src/runtime/diagnose.js';
import { childEnv, cliAsync, jobsFixture, startWorker, stopWorker } from './helpers.js';

const SECRET = 'Zq9-secret-Xy';

describe('maskDsn', () => {
  it.each([
    ['userinfo', `postgres://u:${SECRET}@db:5432/x`, 'postgres://u:***@db:5432/x'],
    ['userinfo with @ and / in the password', `postgres://u:${SECRET}@a/b@db/x`, 'postgres://u:***@db/x'],
    ['query password', `postgres://u@db/x?password=${SECRET}`, 'postgres://u@db/x?password=***'],
    [
      'query sslpassword and passfile among others',
      `postgresql://db/x?sslmode=require&sslpassword=${SECRET}&passfile=/home/${SECRET}`,
      'postgresql://db/x?sslmode=require&sslpassword=***&passfile=***',
    ],
    ['query key in another case, percent-encoded value', `postgres://db/x?PassWord=${SECRET}%20x`, 'postgres://db/x?PassWord=***'],
    [
      'both userinfo and query',
      `postgres://u:${SECRET}@db/x?password=${SECRET}&application_name=a@b`,
      'postgres://u:***@db/x?password=***&application_name=a@b',
    ],
    ['keyword DSN', `host=db port=5432 password=${SECRET} dbname=x`, 'host=db port=5432 password=*** dbname=x'],
    [
      'keyword DSN, quoted value with spaces and an escaped quote',
      `host=db password = '${SECRET} a\\'b' user=u`,
      'host=db password = *** user=u',
    ],
    ['keyword DSN, unterminated quote', `host=db password='${SECRET} and more`, 'host=db password=***'],
    ['keyword DSN, sslpassword', `sslpassword=${SECRET} host=db`, 'sslpassword=*** host=db'],
  ])('masks a password in the %s', (_form, dsn, masked) => {
    expect(maskDsn(dsn)).toBe(masked);
  });

  it('leaves a DSN without a password unchanged', () => {
    expect(maskDsn('postgres://u@db:5432/x?sslmode=require')).toBe('postgres://u@db:5432/x?sslmode=require');
    expect(maskDsn('host=db user=u dbname=x')).toBe('host=db user=u dbname=x');
  });
});

const FORMS = [
  `postgres://u:${SECRET}@db.invalid/x`,
  `postgres://u@db.invalid/x?password=${SECRET}`,
  `postgres://u@db.invalid/x?sslpassword=${SECRET}`,
  `host=db.invalid password=${SECRET} dbname=x`,
  `host=db.invalid password='${SECRET} two' dbname=x`,
];

describe('a DSN password never reaches a message', () => {
  it.each(FORMS)('config_invalid and diagnose with GRIDTA_PG_DSN=%s', async (dsn) => {
    let err: unknown;
    try {
      resolveConfig({ env: 'test', jobsDsn: dsn.replace('db.invalid', 'db.invalid:99999') });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('config_invalid');
    expect((err as ConfigError).details).toMatchObject({ key: 'jobsDsn', source: 'option' });
    expect((err as ConfigError).message + JSON.stringify((err as ConfigError).details)).not.toContain(SECRET);
    expect((err as ConfigError).message).toContain('***');

    const doc = await diagnose({ env: 'test', warmup: false }, { GRIDTA_PG_DSN: dsn });
    const row = doc.settings.find((s) => s.name === 'jobsDsn')!;
    expect(row.source).toBe('env:GRIDTA_PG_DSN');
    expect(String(row.value)).toContain('***');
    expect(JSON.stringify(doc)).not.toContain(SECRET);
  });

  it.each(FORMS.filter((f) => f.startsWith('postgres')))('jobs_unavailable for %s', async (dsn) => {
    const unreachable = dsn.replace('db.invalid', '127.0.0.1:1');
    let err: unknown;
    try {
      const db = await openJobsDb(resolveConfig({ env: 'test', jobsDsn: unreachable }));
      await db.close();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(JobsUnavailableError);
    const e = err as JobsUnavailableError;
    expect(e.code).toBe('jobs_unavailable');
    expect(e.details.dsn).toContain('***');
    expect(e.message + JSON.stringify(e.details)).not.toContain(SECRET);
  });

  it('diagnose and jobs_unavailable through the CLI', async () => {
    // the commands of every form run side by side; each is checked on its own output
    const runs = await Promise.all(
      FORMS.map((dsn) => {
        const env = childEnv(dsn.startsWith('postgres') ? dsn.replace('db.invalid', '127.0.0.1:1') : dsn);
        return Promise.all([cliAsync(['diagnose', '--no-warmup'], env), cliAsync(['jobs', 'ls'], env)]);
      }),
    );
    for (const [k, dsn] of FORMS.entries()) {
      const [d, s] = runs[k]!;
      expect(d.stdout + d.stderr).toContain('***');
      expect(d.stdout + d.stderr, `diagnose with ${dsn}`).not.toContain(SECRET);
      expect(s.status).toBe(dsn.startsWith('postgres') ? 1 : 3);
      expect(s.stderr).toMatch(dsn.startsWith('postgres') ? /^gridta: jobs_unavailable: / : /^gridta: config_invalid: /);
      expect(s.stdout + s.stderr, `jobs ls with ${dsn}`).not.toContain(SECRET);
    }
  }, 60_000);
});

describe('the metrics server', () => {
  it('binds the loopback interface by default', async () => {
    const { server } = await serveMetrics(createWorkerMetrics('t'), 0);
    try {
      expect(server.address()).toMatchObject({ address: '127.0.0.1' });
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

// the three workers start and stop side by side (no job is queued: they only announce themselves)
describe.concurrent('worker_started on a real PostgreSQL', () => {
  const fx = jobsFixture('gridta-jobs-secrets-');

  /** Local listening sockets on `port` as `address:port` (from /proc/net/tcp and tcp6). */
  const listening = (port: number): string[] =>
    ['/proc/net/tcp', '/proc/net/tcp6']
      .flatMap((f) => readFileSync(f, 'utf8').trim().split('\n').slice(1))
      .map((l) => l.trim().split(/\s+/))
      .filter((c) => c[3] === '0A' && parseInt(c[1]!.split(':')[1]!, 16) === port)
      .map((c) => c[1]!.split(':')[0]!);

  it.each([
    ['query password', (dsn: string) => `${dsn}${dsn.includes('?') ? '&' : '?'}password=${SECRET}`, []],
    ['userinfo password', (dsn: string) => dsn.replace('://gridta@', `://gridta:${SECRET}@`), ['--metrics-host', '0.0.0.0']],
    ['query sslpassword', (dsn: string) => `${dsn}${dsn.includes('?') ? '&' : '?'}sslpassword=${SECRET}`, []],
  ] as const)(
    'masks a %s and logs the metrics address',
    async (_form, withSecret, extra) => {
      const dsn = withSecret(fx.pgc.dsn);
      expect(dsn).toContain(SECRET);
      const w = startWorker(`secrets-${fx.workers.length}`, childEnv(dsn), ['--metrics-port', '0', ...extra]);
      fx.workers.push(w);
      const started = await w.waitFor((l) => l.event === 'worker_started', 30_000, 'worker_started');
      expect(String(started.dsn)).toContain('***');
      const host = extra.length ? '0.0.0.0' : '127.0.0.1';
      expect(started.metricsHost).toBe(host);
      expect(listening(started.metricsPort as number)).toEqual([host === '0.0.0.0' ? '00000000' : '0100007F']);
      expect(await stopWorker(w)).toBe(0);
      expect(w.logs.map((l) => JSON.stringify(l)).join('\n')).not.toContain(SECRET);
    },
    60_000,
  );
});
