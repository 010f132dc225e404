/**
 * Catching the errors tests assert on: run a call that must fail, check what it threw and hand it
 * back typed, so the test can go on to compare `code`, `details` and `message`. One copy for every
 * test file.
 */
import { expect } from 'vitest';
import {
  CandlesValidationError,
  GridValidationError,
  type CandlesValidationDetails,
  type GridtaError,
  type GridValidationDetails,
} from '../../src/errors.js';

/** An error class to check against with `toBeInstanceOf` (abstract and subclasses included). */
export type ErrorClass<E> = abstract new (...args: never[]) => E;

/**
 * Runs `fn` and returns what it threw; fails the test when it returned. With `cls`, also checks
 * the class. Without it the result is typed as a GridtaError so that `code` and `details` can be
 * read; the caller asserts the class it expects.
 */
export function thrown(fn: () => unknown): GridtaError;
export function thrown<E>(fn: () => unknown, cls: ErrorClass<E>): E;
export function thrown<E>(fn: () => unknown, cls?: ErrorClass<E>): E | GridtaError {
  try {
    fn();
  } catch (e) {
    if (cls) expect(e, String(e)).toBeInstanceOf(cls);
    return e as E | GridtaError;
  }
  throw new Error(`expected a throw${cls ? ` of ${cls.name}` : ''}, the call returned`);
}

/**
 * Awaits `run` (a promise, or a function whose synchronous throw counts as a rejection) and returns
 * what it rejected with; fails the test when it resolved. `cls` as in `thrown`.
 */
export async function rejection(run: Promise<unknown> | (() => unknown)): Promise<GridtaError>;
export async function rejection<E>(run: Promise<unknown> | (() => unknown), cls: ErrorClass<E>): Promise<E>;
export async function rejection<E>(run: Promise<unknown> | (() => unknown), cls?: ErrorClass<E>): Promise<E | GridtaError> {
  const p = typeof run === 'function' ? Promise.resolve().then(run) : run;
  const outcome = await p.then(
    () => ({ resolved: true as const }),
    (e: unknown) => ({ resolved: false as const, e }),
  );
  if (outcome.resolved) throw new Error(`expected a rejection${cls ? ` with ${cls.name}` : ''}, the call resolved`);
  if (cls) expect(outcome.e, String(outcome.e)).toBeInstanceOf(cls);
  return outcome.e as E | GridtaError;
}

/** Runs `fn`, expects a GridValidationError (code `grid_invalid`), returns its details. */
export function gridDetails(fn: () => unknown): GridValidationDetails {
  const e = thrown<GridValidationError>(fn, GridValidationError);
  expect(e.code).toBe('grid_invalid');
  return e.details;
}

function checkCandlesError(e: CandlesValidationError): CandlesValidationError {
  expect(e.code).toBe('candles_invalid');
  expect(e.message.startsWith(e.details.field), `message ${JSON.stringify(e.message)} names ${e.details.field}`).toBe(true);
  return e;
}

/** Runs `fn`, expects a CandlesValidationError whose message starts with its field; returns the details. */
export function candlesDetails(fn: () => unknown): CandlesValidationDetails {
  return checkCandlesError(thrown(fn, CandlesValidationError)).details;
}

/** Awaits `run`, expects a CandlesValidationError whose message starts with its field; returns the error. */
export async function candlesFailure(run: Promise<unknown> | (() => unknown)): Promise<CandlesValidationError> {
  return checkCandlesError(await rejection(run, CandlesValidationError));
}

/** As `candlesFailure`, returning the details. */
export async function candlesRejection(run: Promise<unknown> | (() => unknown)): Promise<CandlesValidationDetails> {
  return (await candlesFailure(run)).details;
}
