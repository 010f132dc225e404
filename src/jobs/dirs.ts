/**
 * Filesystem steps of jobs that must neither hang nor spin: each step is bounded in time, and
 * directories are created one level at a time below their first existing ancestor, never with a
 * recursive mkdir (Node 20's recursive mkdir loops forever under `/proc` and similar filesystems).
 */
import { constants, promises as fsp, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { JobInputError } from '../errors.js';
import { errnoOf } from '../util/index.js';

/** Default bound of one filesystem step (a stat, a mkdir, reading one data file). */
export const FS_STEP_TIMEOUT_MS = 120_000;

/** Test-only: make one named step never finish (honoured only when passed in by the CLI under GRIDTA_TEST_FAULTS=1). */
export interface FsFaults {
  readonly timeoutMs?: number;
  readonly stallStep?: string;
}

let stuck = false;
/** Whether a bounded step timed out and may still hold a libuv thread (the CLI then exits at once). */
export const fsStepTimedOut = (): boolean => stuck;

/**
 * `op()` bounded by `timeoutMs`: a step that does not settle in time is a `JobInputError`
 * (`fs_timeout`) naming the field, the step and the path. The operation itself cannot be aborted;
 * it is left to finish (or not) in the background.
 */
export function bounded<T>(field: string, step: string, path: string, op: () => Promise<T>, faults: FsFaults = {}): Promise<T> {
  const ms = faults.timeoutMs ?? FS_STEP_TIMEOUT_MS;
  const p = faults.stallStep === step ? new Promise<T>(() => undefined) : op();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => {
      stuck = true;
      fail(
        new JobInputError(
          { field, reason: 'fs_timeout', value: path, expected: `${step} to finish within ${ms} ms` },
          `the filesystem did not answer (${step} took more than ${ms} ms)`,
        ),
      );
    }, ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Makes sure `dir` is a writable directory, creating it and any missing parents: walks up to the
 * first ancestor that exists, checks it is a directory this process can write to, then creates each
 * missing level with a plain (non-recursive) mkdir. Every step is bounded. Errors name `field` and
 * the path as the user gave it (`shown`).
 */
export async function ensureWritableDir(dir: string, field: string, shown: string, faults: FsFaults = {}): Promise<string> {
  const abs = resolve(dir);
  const refuse = (what: string, errno: string, cause?: unknown): never => {
    throw new JobInputError(
      { field, reason: 'not_writable', value: shown, expected: 'a writable directory' },
      `cannot create or write the directory: ${what} (${errno})`,
      cause === undefined ? undefined : { cause },
    );
  };
  const missing: string[] = [];
  let cur = abs;
  for (;;) {
    let st: Stats;
    try {
      st = await bounded(field, 'stat', cur, () => fsp.stat(cur), faults);
    } catch (e) {
      if (e instanceof JobInputError) throw e;
      const up = dirname(cur);
      if ((errnoOf(e) === 'ENOENT' || errnoOf(e) === 'ENOTDIR') && up !== cur) {
        missing.unshift(cur);
        cur = up;
        continue;
      }
      return refuse(`${cur} cannot be examined`, errnoOf(e), e);
    }
    if (!st.isDirectory()) refuse(`${cur} is not a directory`, 'ENOTDIR');
    break;
  }
  try {
    await bounded(field, 'access', cur, () => fsp.access(cur, constants.W_OK | constants.X_OK), faults);
  } catch (e) {
    if (e instanceof JobInputError) throw e;
    refuse(`${cur} is not writable`, errnoOf(e), e);
  }
  for (const d of missing) {
    try {
      await bounded(field, 'mkdir', d, () => fsp.mkdir(d), faults);
    } catch (e) {
      if (e instanceof JobInputError) throw e;
      if (errnoOf(e) === 'EEXIST') {
        // created meanwhile by someone else: fine if it is a directory
        const st = await bounded(field, 'stat', d, () => fsp.stat(d), faults).catch(() => null);
        if (st?.isDirectory()) continue;
      }
      refuse(`cannot create ${d}`, errnoOf(e), e);
    }
  }
  if (missing.length === 0) return abs;
  // a freshly made directory can still refuse writes (a read-only or odd mount below a writable one)
  try {
    await bounded(field, 'access', abs, () => fsp.access(abs, constants.W_OK | constants.X_OK), faults);
  } catch (e) {
    if (e instanceof JobInputError) throw e;
    refuse(`${abs} is not writable`, errnoOf(e), e);
  }
  return abs;
}

/** The part of a FileHandle that writeFully uses (a fake in tests). */
export interface PositionalWriter {
  write(buffer: Uint8Array, offset: number, length: number, position: number): Promise<{ bytesWritten: number }>;
}

/** Bytes per write call: far below the 2^31 - 1 bytes Node accepts in one write. */
export const WRITE_CHUNK_BYTES = 64 * 2 ** 20;

/**
 * Writes all of `bytes` at `position`, at most `chunkBytes` per call, continuing after a short
 * write; returns the bytes written (always `bytes.length`). A call that writes nothing is an error,
 * so a full disk or a broken file cannot make it loop.
 */
export async function writeFully(fh: PositionalWriter, bytes: Uint8Array, position = 0, chunkBytes = WRITE_CHUNK_BYTES): Promise<number> {
  let done = 0;
  while (done < bytes.length) {
    const { bytesWritten } = await fh.write(bytes, done, Math.min(chunkBytes, bytes.length - done), position + done);
    if (!(bytesWritten > 0)) throw new Error(`wrote ${done} of ${bytes.length} bytes at position ${position}: a write made no progress`);
    done += bytesWritten;
  }
  return done;
}
