/**
 * The job list a page at a time on a real PostgreSQL: 60 jobs paged through 25 at a time while 10
 * more are submitted list each of the 60 exactly once, newest first; ties on created_at are broken
 * by id and microseconds are kept in the cursor; a malformed cursor or limit is a typed error raised
 * before any query; `gridta jobs ls --limit --cursor` pages the same way.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobInputError } from '../../src/errors.js';
import { openJobsDb, submitJob, type JobsDb } from '../../src/jobs/index.js';
import { decodeCursor, encodeCursor, listJobsPage, pageLimitOf, type JobsPage } from '../../src/jobs/paging.js';
import { resolveConfig } from '../../src/runtime/config.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { TTRC, childEnv, cli, jobsFixture, query } from './helpers.js';

const fx = jobsFixture('gridta-jobs-paging-');
let engine: Engine;
let db: JobsDb;

beforeAll(async () => {
  engine = createEngine({ threads: 1, env: 'test', jobsDsn: fx.pgc.dsn });
  db = await openJobsDb(engine.config);
});
afterAll(async () => {
  await db?.close();
  await engine?.close();
});

/** A one-variant ma.sma job over ttrc.csv: nothing runs it, it only has to be listed. */
const submit = async (): Promise<string> =>
  (
    await submitJob(engine, db, {
      indicatorId: 'ma.sma',
      grid: { source: ['close'], params: { window: [5] } },
      data: [TTRC],
      out: join(fx.dir, 'out'),
      timeline: 'sessions',
    })
  ).jobId;

/** Every job's id and created_at (UTC, microseconds) in the schema, newest first, as the database orders them. */
const stored = async (schema = 'gridta'): Promise<{ id: string; c: string }[]> =>
  query<{ id: string; c: string }>(
    fx.pgc.dsn,
    `SELECT id::text id, to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') c FROM ${schema}.job ORDER BY created_at DESC, id DESC`,
  );

/** A JobsDb on its own schema of the same cluster (an empty list, hand-made rows). */
const openSchema = (schema: string): Promise<JobsDb> => openJobsDb(resolveConfig({ env: 'test', jobsDsn: fx.pgc.dsn, jobsSchema: schema }));

/** The real database with every query counted: bad options must be refused before any runs. */
function counted(real: JobsDb): { db: JobsDb; queries: () => number } {
  let n = 0;
  const pool = new Proxy(real.pool, {
    get(target, key, receiver) {
      if (key === 'query')
        return (...args: unknown[]) => {
          n++;
          return (target.query as (...a: unknown[]) => unknown)(...args);
        };
      return Reflect.get(target, key, receiver);
    },
  });
  return { db: { ...real, pool }, queries: () => n };
}

describe('an empty list', () => {
  it('is no jobs and no next cursor', async () => {
    const empty = await openSchema('paging_empty');
    try {
      expect(await listJobsPage(empty)).toEqual({ jobs: [], next_cursor: null });
      expect(await listJobsPage(empty, { limit: 1 })).toEqual({ jobs: [], next_cursor: null });
    } finally {
      await empty.close();
    }
  });
});

describe('60 jobs paged 25 at a time while 10 more are submitted', () => {
  let originals: { id: string; c: string }[];
  const pages: JobsPage[] = [];
  const extras: string[] = [];

  beforeAll(async () => {
    for (let k = 0; k < 60; k++) await submit();
    originals = await stored();
  }, 120_000);

  it('lists each of the 60 exactly once, newest first, in pages of 25, 25 and 10', async () => {
    expect(originals).toHaveLength(60);
    const during = [4, 3, 3];
    let cursor: string | undefined;
    for (let p = 0; p < 3; p++) {
      // a page read while jobs are being submitted; the next read starts after they committed
      const [page, ...ids] = await Promise.all([
        listJobsPage(db, { limit: 25, ...(cursor !== undefined ? { cursor } : {}) }),
        ...Array.from({ length: during[p]! }, () => submit()),
      ]);
      pages.push(page);
      extras.push(...ids);
      cursor = page.next_cursor ?? undefined;
      if (p < 2) expect(page.next_cursor, `page ${p + 1} has a next page`).not.toBeNull();
    }
    expect(pages[2]!.next_cursor, 'the third page is the last').toBeNull();
    expect(extras).toHaveLength(10);
    expect((await stored()).length).toBe(70);

    const listed = pages.flatMap((pg) => pg.jobs.map((j) => j.jobId));
    const ids = new Set(originals.map((o) => o.id));
    // a job submitted during the first read may be on page 1 (it is the newest); the originals are
    // all there, once each, in the database's own created_at DESC, id DESC order
    expect(
      listed.filter((id) => ids.has(id)),
      'the 60 originals, newest first',
    ).toEqual(originals.map((o) => o.id));
    expect(new Set(listed).size, 'no job listed twice').toBe(listed.length);
    const early = listed.filter((id) => !ids.has(id));
    for (const id of early) expect(extras, `${id} is one of the jobs submitted meanwhile`).toContain(id);
    expect(pages.map((pg) => pg.jobs.length)).toEqual([25, 25, 10 + early.length]);
    // and each page continues strictly after the last job of the one before
    const all = await stored();
    const rank = new Map(all.map((r, k) => [r.id, k]));
    const order = listed.map((id) => rank.get(id)!);
    expect(
      order.every((r, k) => k === 0 || r > order[k - 1]!),
      `strictly newest first: ${order.join(',')}`,
    ).toBe(true);
  }, 120_000);

  it('gives each job its status, newest first', () => {
    const first = pages[0]!.jobs.find((j) => j.jobId === originals[0]!.id);
    expect(first).toMatchObject({ indicatorId: 'ma.sma', state: 'queued', total: 1, processed: 0, instruments: 1, variants: 1 });
    expect(first!.createdAt, 'createdAt is the stored instant (to the millisecond)').toBe(`${originals[0]!.c.slice(0, 23)}Z`);
  });

  it('makes a cursor of the last job of a page: its created_at to the microsecond and its id', () => {
    const last = pages[0]!.jobs[24]!;
    const want = originals.find((o) => o.id === last.jobId)!;
    expect(decodeCursor(pages[0]!.next_cursor)).toEqual({ c: want.c, i: want.id });
    expect(want.c, 'six fractional digits').toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(Buffer.from(pages[0]!.next_cursor!, 'base64url').toString()).toBe(JSON.stringify({ c: want.c, i: want.id }));
  });

  it('pages the same way through gridta jobs ls --limit --cursor', async () => {
    const env = childEnv(fx.pgc.dsn);
    const rows = await stored();
    const one = cli(['jobs', 'ls', '--limit', '2', '--json'], env);
    expect(one.status, one.stderr).toBe(0);
    const p1 = JSON.parse(one.stdout) as JobsPage;
    expect(Object.keys(p1)).toEqual(['jobs', 'next_cursor']);
    expect(p1.jobs).toHaveLength(2);
    const text = cli(['jobs', 'ls', '--limit', '2', '--cursor', p1.next_cursor!], env);
    expect(text.status, text.stderr).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(3);
    expect(p1.jobs.map((j) => j.jobId)).toEqual([rows[0]!.id, rows[1]!.id]);
    expect(lines[0]).toMatch(new RegExp(`^${rows[2]!.id}\\s+queued\\s+0/1\\s+\\S+\\s+ma\\.sma \\(1 x 1\\)$`));
    expect(lines[1]).toMatch(new RegExp(`^${rows[3]!.id}\\s`));
    expect(lines[2]).toBe(`next cursor: ${encodeCursor({ c: rows[3]!.c, i: rows[3]!.id })}`);
  }, 60_000);

  it('refuses a bad --cursor or --limit with job_input_invalid, exit 3', () => {
    const env = childEnv(fx.pgc.dsn);
    const c = cli(['jobs', 'ls', '--cursor', 'nope!', '--json'], env);
    expect(c.status).toBe(3);
    expect(JSON.parse(c.stdout).error).toMatchObject({ code: 'job_input_invalid', details: { field: 'cursor', value: 'nope!' } });
    const l = cli(['jobs', 'ls', '--limit', '0'], env);
    expect(l.status).toBe(3);
    expect(l.stderr).toBe('gridta: job_input_invalid: limit: must be an integer from 1 to 1000 (got "0")\n');
  }, 60_000);
});

describe('created_at ties and microseconds', () => {
  let ties: JobsDb;
  // three jobs in one microsecond (ordered by id), then two a microsecond apart in the same millisecond
  const ROWS = [
    ['2026-03-01T10:00:00.000300Z', '00000000-0000-4000-8000-000000000005'],
    ['2026-03-01T10:00:00.000200Z', '00000000-0000-4000-8000-000000000004'],
    ['2026-03-01T10:00:00.000100Z', 'ffffffff-0000-4000-8000-000000000003'],
    ['2026-03-01T10:00:00.000100Z', '80000000-0000-4000-8000-000000000002'],
    ['2026-03-01T10:00:00.000100Z', '00000000-0000-4000-8000-000000000001'],
    ['2026-03-01T09:59:59.999999Z', '00000000-0000-4000-8000-000000000000'],
  ] as const;

  beforeAll(async () => {
    ties = await openSchema('paging_ties');
    for (const [c, id] of ROWS) {
      await ties.pool.query(
        `INSERT INTO paging_ties.job (id, created_at, indicator_id, spec, out_dir, total_units, lease_seconds, retry_limit)
         VALUES ($1, $2, 'ma.sma', $3, '/tmp', 0, 60, 0)`,
        [id, c, JSON.stringify({ version: 1, instruments: [], variants: 1, unitVariants: 1 })],
      );
    }
  });
  afterAll(async () => {
    await ties?.close();
  });

  it.each([1, 2, 3, 5, 6])('lists all six, once each, in pages of %i', async (limit) => {
    const listed: string[] = [];
    const cursors: (string | null)[] = [];
    let cursor: string | undefined;
    do {
      const page = await listJobsPage(ties, { limit, ...(cursor !== undefined ? { cursor } : {}) });
      listed.push(...page.jobs.map((j) => j.jobId));
      cursors.push(page.next_cursor);
      cursor = page.next_cursor ?? undefined;
    } while (cursor !== undefined);
    expect(listed).toEqual(ROWS.map((r) => r[1]));
    expect(cursors, 'a next cursor on every page but the last (none after a full last page)').toHaveLength(Math.ceil(6 / limit));
    if (limit === 2) expect(decodeCursor(cursors[1])).toEqual({ c: ROWS[3][0], i: ROWS[3][1] });
  });
});

describe('bad page options', () => {
  const cursorOf = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
  const ID = '00000000-0000-4000-8000-000000000001';
  const BAD_CURSORS: [string, string, string][] = [
    ['not base64url', 'abc+/', 'is not base64url'],
    ['padded base64', `${cursorOf({ c: '2026-01-01T00:00:00.000000Z', i: ID })}==`, 'is not base64url'],
    ['the empty string', '', 'is not base64url'],
    ['a non-canonical last character', 'abd', 'is not base64url'],
    ['not JSON', Buffer.from('created_at=2026').toString('base64url'), 'does not hold JSON'],
    ['not UTF-8', Buffer.from([0xff, 0xfe, 0x7b]).toString('base64url'), 'does not hold JSON'],
    ['a JSON array', cursorOf(['2026-01-01T00:00:00.000000Z', ID]), 'does not hold a position'],
    ['an extra field', cursorOf({ c: '2026-01-01T00:00:00.000000Z', i: ID, x: 1 }), 'does not hold a position'],
    ['a missing field', cursorOf({ c: '2026-01-01T00:00:00.000000Z' }), 'does not hold a position'],
    ['SQL for an id', cursorOf({ c: '2026-01-01T00:00:00.000000Z', i: "' OR 1=1 --" }), 'id is not a uuid'],
    ['a numeric id', cursorOf({ c: '2026-01-01T00:00:00.000000Z', i: 7 }), 'id is not a uuid'],
    ['month 13', cursorOf({ c: '2026-13-01T00:00:00.000000Z', i: ID }), 'created_at is not'],
    ['30 February', cursorOf({ c: '2026-02-30T00:00:00.000000Z', i: ID }), 'created_at is not'],
    ['milliseconds only', cursorOf({ c: '2026-01-01T00:00:00.000Z', i: ID }), 'created_at is not'],
    ['a local time', cursorOf({ c: '2026-01-01 00:00:00.000000+02', i: ID }), 'created_at is not'],
    ['a number', cursorOf({ c: 1767225600000, i: ID }), 'created_at is not'],
  ];

  it.each(BAD_CURSORS)('refuses %s as a cursor before any query', async (_what, cursor, why) => {
    const { db: watched, queries } = counted(db);
    const err = await listJobsPage(watched, { cursor }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobInputError);
    expect(err).toMatchObject({ code: 'job_input_invalid', details: { field: 'cursor', reason: 'invalid_spec', value: cursor } });
    const message = (err as Error).message;
    expect(message.startsWith('cursor: '), message).toBe(true);
    expect(message).toContain(why);
    expect(message.endsWith(`(got ${JSON.stringify(cursor)})`), message).toBe(true);
    expect(queries(), 'no query ran').toBe(0);
  });

  it('refuses an overlong cursor without quoting all of it', async () => {
    const cursor = 'A'.repeat(10_000);
    const err = await listJobsPage(db, { cursor }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'job_input_invalid', details: { field: 'cursor', value: `${'A'.repeat(32)}…` } });
    expect((err as Error).message.length).toBeLessThan(200);
  });

  it.each([0, -1, 1001, 2.5, Number.NaN, Number.POSITIVE_INFINITY, '10', null])('refuses the limit %s before any query', async (limit) => {
    const { db: watched, queries } = counted(db);
    const err = await listJobsPage(watched, { limit: limit as number }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(JobInputError);
    expect(err).toMatchObject({
      code: 'job_input_invalid',
      details: { field: 'limit', reason: 'invalid_spec', value: limit, expected: 'an integer from 1 to 1000' },
    });
    expect((err as Error).message).toMatch(/^limit: must be an integer from 1 to 1000 \(got /);
    expect(queries(), 'no query ran').toBe(0);
  });

  it('reads a limit given as text: digits only, 1 to 1000, 25 when absent', () => {
    expect(pageLimitOf(undefined)).toBe(25);
    expect(pageLimitOf('1')).toBe(1);
    expect(pageLimitOf('1000')).toBe(1000);
    for (const text of ['0', '1001', 'abc', '', ' 5', '5 ', '1e2', '0x10', '-1', '2.0', '99999999'])
      expect(() => pageLimitOf(text), JSON.stringify(text)).toThrow(
        expect.objectContaining({ code: 'job_input_invalid', details: expect.objectContaining({ field: 'limit', value: text }) }),
      );
  });

  it('round-trips a position through base64url', () => {
    const pos = { c: '2026-03-01T10:00:00.000100Z', i: 'ffffffff-0000-4000-8000-000000000003' };
    const cursor = encodeCursor(pos);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))).toEqual(pos);
    expect(decodeCursor(cursor)).toEqual(pos);
  });
});
