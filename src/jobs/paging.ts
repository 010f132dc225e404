/**
 * The job list a page at a time, newest first (`created_at DESC, id DESC`), with keyset cursors: a
 * cursor is the position of the last job of a page, so jobs submitted while a client pages through
 * the list neither shift later pages nor repeat a job. Used by `gridta jobs ls` and the HTTP API.
 */
import { JobInputError, JobNotFoundError } from '../errors.js';
import { jobStatus, type JobStatus } from './control.js';
import type { JobsDb } from './store.js';

export const PAGE_LIMIT_DEFAULT = 25;
export const PAGE_LIMIT_MAX = 1000;
/** Longer than any cursor this module makes (about 110 characters); longer input is refused unread. */
const CURSOR_MAX_CHARS = 256;

export interface PageOptions {
  /** Jobs per page, an integer 1 … 1000 (default 25). */
  readonly limit?: number;
  /** The `next_cursor` of the previous page; absent for the first page. */
  readonly cursor?: string;
}

export interface JobsPage {
  /** Newest first. */
  readonly jobs: JobStatus[];
  /** Pass it back as `cursor` for the next page; `null` on the last page. */
  readonly next_cursor: string | null;
}

/** Where a page ended: the last job's `created_at` (UTC, microseconds, as stored) and id. */
export interface CursorPosition {
  readonly c: string;
  readonly i: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** The text `created_at` is selected as (below): UTC, always six fractional digits. */
const STAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})\.(\d{6})Z$/;
const STAMP_SQL = `to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** Whether `id` is a uuid in its usual text form (any case). */
export const isJobId = (id: string): boolean => UUID.test(id);

const limitError = (value: unknown): JobInputError =>
  new JobInputError(
    { field: 'limit', reason: 'invalid_spec', value, expected: `an integer from 1 to ${PAGE_LIMIT_MAX}` },
    `must be an integer from 1 to ${PAGE_LIMIT_MAX}`,
  );

/** A page size: undefined gives the default; anything but an integer 1 … 1000 is a JobInputError naming `limit`. */
export function checkPageLimit(limit: unknown): number {
  if (limit === undefined) return PAGE_LIMIT_DEFAULT;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1 || limit > PAGE_LIMIT_MAX) throw limitError(limit);
  return limit;
}

/** A page size given as text (a flag, a query parameter): decimal digits only, then as checkPageLimit. */
export function pageLimitOf(text: string | undefined): number {
  if (text === undefined) return PAGE_LIMIT_DEFAULT;
  const n = /^[0-9]{1,7}$/.test(text) ? Number(text) : 0;
  if (n < 1 || n > PAGE_LIMIT_MAX) throw limitError(text);
  return n;
}

/**
 * Page options from text (a command's flags, a request's query): both checked here, so a bad value is
 * refused before anything connects to the database.
 */
export function pageOptionsOf(limit: string | undefined, cursor: string | undefined): PageOptions {
  const n = pageLimitOf(limit);
  if (cursor === undefined) return { limit: n };
  decodeCursor(cursor);
  return { limit: n, cursor };
}

export function encodeCursor(pos: CursorPosition): string {
  return Buffer.from(JSON.stringify({ c: pos.c, i: pos.i }), 'utf8').toString('base64url');
}

/** A real calendar instant in the STAMP form (month 13 or 30 February would fail in the database). */
function isStamp(s: string): boolean {
  const m = STAMP.exec(s);
  if (!m) return false;
  const [y, mo, d, h, mi, se] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (y < 1 || h > 23 || mi > 59 || se > 59) return false;
  const t = new Date(Date.UTC(y, mo - 1, d, h, mi, se));
  return t.getUTCFullYear() === y && t.getUTCMonth() === mo - 1 && t.getUTCDate() === d;
}

/**
 * The position a cursor holds. Anything that is not a cursor this module made — not base64url, not
 * JSON, not exactly `{"c","i"}`, a bad uuid or timestamp — is a JobInputError naming `cursor`.
 */
export function decodeCursor(cursor: unknown): CursorPosition {
  const bad = (why: string, value: unknown = cursor): JobInputError =>
    new JobInputError({ field: 'cursor', reason: 'invalid_spec', value, expected: 'the next_cursor of a previous page' }, why);
  if (typeof cursor !== 'string') throw bad('must be a string');
  if (cursor.length > CURSOR_MAX_CHARS) throw bad(`is longer than any cursor (${cursor.length} characters)`, `${cursor.slice(0, 32)}…`);
  // base64url without padding, and canonical: decoding and encoding again gives the same text
  const bytes = /^[A-Za-z0-9_-]+$/.test(cursor) ? Buffer.from(cursor, 'base64url') : null;
  if (!bytes || bytes.toString('base64url') !== cursor) throw bad('is not base64url');
  let pos: unknown;
  try {
    pos = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw bad('does not hold JSON');
  }
  if (typeof pos !== 'object' || pos === null || Array.isArray(pos) || Object.keys(pos).sort().join(',') !== 'c,i')
    throw bad('does not hold a position {"c": created_at, "i": id}');
  const { c, i } = pos as Record<string, unknown>;
  if (typeof i !== 'string' || !UUID.test(i)) throw bad('holds a position whose id is not a uuid');
  if (typeof c !== 'string' || !isStamp(c)) throw bad('holds a position whose created_at is not a UTC timestamp with microseconds');
  return { c, i };
}

/**
 * One page of jobs, newest first, each with its progress (`jobStatus`). Both options are checked
 * before any query; the next page starts strictly after the last job of this one, so a job is never
 * listed twice nor skipped, however many jobs are submitted meanwhile (newer ones go before page 1).
 */
export async function listJobsPage(db: JobsDb, opts: PageOptions = {}): Promise<JobsPage> {
  const limit = checkPageLimit(opts.limit);
  const after = opts.cursor === undefined ? null : decodeCursor(opts.cursor);
  // one row more than the page tells whether there is a next page
  const { rows } = await db.pool.query<{ id: string; c: string }>(
    after === null
      ? `SELECT id::text id, ${STAMP_SQL} c FROM ${db.schema}.job ORDER BY created_at DESC, id DESC LIMIT $1`
      : `SELECT id::text id, ${STAMP_SQL} c FROM ${db.schema}.job
         WHERE (created_at, id) < ($2::timestamptz, $3::uuid) ORDER BY created_at DESC, id DESC LIMIT $1`,
    after === null ? [limit + 1] : [limit + 1, after.c, after.i],
  );
  const page = rows.slice(0, limit);
  const jobs: JobStatus[] = [];
  for (const r of page) {
    try {
      jobs.push(await jobStatus(db, r.id));
    } catch (e) {
      // a job deleted since the page was read is left out; the cursor still moves past it
      if (!(e instanceof JobNotFoundError)) throw e;
    }
  }
  const last = page[page.length - 1];
  return { jobs, next_cursor: rows.length > limit && last ? encodeCursor({ c: last.c, i: last.id }) : null };
}
