/** Builds CandlesValidationError with its details in the documented key order. */
import { CandlesValidationError, type CandlesReason, type CandlesValidationDetails } from '../errors.js';
import { findUnknownKey, unknownKeyExplanation } from '../options.js';

export interface ErrorPlace {
  index?: number;
  line?: number;
  value?: unknown;
  expected?: unknown;
}

export function candlesError(field: string, reason: CandlesReason, explanation: string, place: ErrorPlace = {}): CandlesValidationError {
  const details: CandlesValidationDetails = { field, reason };
  if (place.index !== undefined) details.index = place.index;
  if (place.line !== undefined) details.line = place.line;
  if (place.value !== undefined) details.value = place.value;
  if (place.expected !== undefined) details.expected = place.expected;
  return new CandlesValidationError(details, explanation);
}

/** Throws `unknown_key` for the first key of `obj` not in `known`; `prefix` makes the field a path (`columns.`). */
export function rejectUnknownKeys(obj: object, known: readonly string[], where: string, prefix = ''): void {
  const unknown = findUnknownKey(obj, known);
  if (unknown)
    throw candlesError(`${prefix}${unknown.key}`, 'unknown_key', unknownKeyExplanation(unknown, where), {
      value: unknown.key,
      expected: [...known],
    });
}

/**
 * A file system error (missing file, a directory, no permission) as CandlesValidationError on `path`;
 * any other error is returned unchanged.
 */
export function unreadableFile(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.syscall !== 'string') return e;
  const why =
    err.code === 'ENOENT'
      ? 'no such file'
      : err.code === 'EISDIR'
        ? 'it is a directory'
        : err.code === 'EACCES'
          ? 'permission denied'
          : `${err.code ?? 'error'} ${err.message}`;
  return Object.assign(
    candlesError('path', 'file_unreadable', `cannot read the data file: ${why}`, { value: path, expected: 'a readable file' }),
    { cause: e },
  );
}
