/**
 * What the computing commands share around their work: the data flags and the candles load (with its
 * report on standard error), output paths checked before anything runs, and files written through a
 * temporary file next to the target that is renamed into place, or removed on error and Ctrl-C.
 */
import { readdirSync, unlinkSync } from 'node:fs';
import { access, constants, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadCandlesFile } from '../arrow/candles.js';
import { checkTsUnit } from '../candles/place.js';
import type { Candles } from '../candles/types.js';
import { ComputeCancelled, OutputPathError } from '../errors.js';
import { UsageError } from './args.js';

export const DATA_FLAGS = {
  data: { type: 'string' },
  grid: { type: 'string', multiple: true },
  instrument: { type: 'string' },
  timeframe: { type: 'string' },
  timeline: { type: 'string' },
  'ts-unit': { type: 'string' },
  strict: { type: 'boolean' },
} as const;

/** Loads `--data` with the instrument, timeframe, timeline, ts unit and strictness the flags give. */
export async function loadData(values: Record<string, unknown>): Promise<Candles> {
  const file = values.data as string | undefined;
  if (!file) throw new UsageError('--data FILE is required');
  const timeline = values.timeline as string | undefined;
  if (timeline !== undefined && timeline !== 'dense' && timeline !== 'sessions')
    throw new UsageError(`--timeline must be dense or sessions (got ${JSON.stringify(timeline)})`);
  const instrumentId = (values.instrument as string | undefined) ?? basename(file, extname(file));
  const candles = await loadCandlesFile(file, {
    instrumentId,
    ...(values.timeframe ? { timeframe: values.timeframe as string } : {}),
    ...(timeline ? { timeline } : {}),
    ...(values['ts-unit'] ? { tsUnit: checkTsUnit(values['ts-unit']) } : {}),
    ...(values.strict ? { strict: true } : {}),
  });
  printLoadReport(file, candles);
  return candles;
}

/** What a load dropped (duplicate, misaligned, out-of-range rows) and its warnings, on standard error. */
function printLoadReport(file: string, candles: Candles): void {
  const r = candles.loadReport;
  if (!r) return;
  const dropped = r.rowsRead - r.rowsPlaced;
  if (dropped > 0) {
    process.stderr.write(
      `gridta: ${file}: ${dropped} of ${r.rowsRead} rows dropped (${r.duplicates} duplicate, ${r.misaligned} not on the ${candles.timeframe} grid, ` +
        `${r.outOfRange} out of range); --strict makes a duplicate or misaligned row an error\n`,
    );
  }
  for (const w of r.warnings) process.stderr.write(`gridta: ${w.code}: ${w.message}\n`);
}

/**
 * An output file's directory must exist and be writable, and the path must not be a directory:
 * checked before computing. `field` names the flag in the error (`out`, `report`, ...).
 */
export async function checkOutPath(out: string, field = 'out'): Promise<void> {
  const dir = dirname(resolve(out));
  const fail = (reason: 'no_directory' | 'not_writable' | 'is_a_directory', why: string, cause?: unknown): never => {
    throw new OutputPathError({ field, reason, value: out }, why, cause === undefined ? undefined : { cause });
  };
  const d = await stat(dir).catch((e: unknown) => fail('no_directory', `the directory ${dir} does not exist`, e));
  if (!d.isDirectory()) fail('no_directory', `${dir} is not a directory`);
  await access(dir, constants.W_OK).catch((e: unknown) => fail('not_writable', `the directory ${dir} is not writable`, e));
  const o = await stat(out).catch(() => null);
  if (o?.isDirectory()) fail('is_a_directory', 'names a directory, not a file');
}

/** Temporary files of this process for `out`: `.<name>.<pid>.<...>.tmp` next to it (the CSV and Arrow writers both use it). */
export function tempPrefix(out: string): { dir: string; prefix: string } {
  return { dir: dirname(resolve(out)), prefix: `.${basename(out)}.${process.pid}.` };
}

/** Removes this process's temporary files for `out` synchronously (a second Ctrl-C exits at once). */
export function removeTempsSync(out: string): void {
  const { dir, prefix } = tempPrefix(out);
  try {
    for (const name of readdirSync(dir)) if (name.startsWith(prefix) && name.endsWith('.tmp')) unlinkSync(join(dir, name));
  } catch {
    /* best effort on the way out */
  }
}

/** Lets a SIGINT that arrived during synchronous work be dispatched (libuv delivers it in the poll phase). */
export const dispatchSignals = (): Promise<void> => new Promise((r) => setImmediate(r));

/** One file of a set written together: its target path and its content. */
export interface PendingFile {
  readonly out: string;
  readonly data: Uint8Array | string;
}

/**
 * Writes every file to its temporary name, then renames each into place, so either all targets are
 * replaced or (on an error or a cancellation before the renames) none is and no temporary file is
 * left. `beforeRename` runs after the last temporary file is written (a Ctrl-C check). Returns the
 * bytes written per file, in order.
 */
export async function writeFilesAtomically(
  files: readonly PendingFile[],
  signal: AbortSignal,
  beforeRename: () => Promise<void>,
): Promise<number[]> {
  const temps: string[] = [];
  const sizes: number[] = [];
  try {
    for (const f of files) {
      const { dir, prefix } = tempPrefix(f.out);
      const tmp = join(dir, `${prefix}tmp`);
      temps.push(tmp);
      await writeFile(tmp, f.data, { signal });
      sizes.push(typeof f.data === 'string' ? Buffer.byteLength(f.data) : f.data.length);
    }
    await beforeRename();
    for (const [i, f] of files.entries()) await rename(temps[i]!, f.out);
    return sizes;
  } catch (e) {
    await Promise.all(temps.map((t) => unlink(t).catch(() => undefined)));
    throw e;
  }
}

/**
 * Ctrl-C for a command that writes files: the first one aborts `signal` (the work stops at its next
 * check: a batch boundary, a write chunk), a second one removes the temporary files of `paths()` and
 * exits 130 at once. `check` throws the command's cancellation once it fired; `run` reports whatever a
 * Ctrl-C made fail (an aborted write, a torn-down pool) as that cancellation, then closes the engine
 * and removes the handler.
 */
export function interruptible(
  paths: () => readonly string[],
  cancelled: () => ComputeCancelled,
): {
  signal: AbortSignal;
  check: () => Promise<void>;
  run: <T>(engine: { close(): Promise<void> }, body: () => Promise<T>) => Promise<T>;
} {
  const ac = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) {
      for (const p of paths()) removeTempsSync(p);
      process.exit(130);
    }
    ac.abort(new Error('interrupted (Ctrl-C)'));
  };
  process.on('SIGINT', onSigint);
  return {
    signal: ac.signal,
    check: async () => {
      await dispatchSignals();
      if (ac.signal.aborted) throw cancelled();
    },
    run: async (engine, body) => {
      try {
        return await body();
      } catch (e) {
        throw ac.signal.aborted && !(e instanceof ComputeCancelled) ? Object.assign(cancelled(), { cause: e }) : e;
      } finally {
        try {
          await engine.close();
        } finally {
          process.off('SIGINT', onSigint);
        }
      }
    },
  };
}
