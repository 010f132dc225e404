/**
 * Backtest options checked at the boundary: execution (side, fill, fees, slippage, annualization),
 * objective, filters, top and holdout. Every defect is a StrategyValidationError naming the path and
 * the value; an unknown key names the closest known one.
 */
import { StrategyValidationError } from '../errors.js';
import { findUnknownKey, isPlainObject as isObject, suggestKey } from '../options.js';
import { METRIC_NAMES, type Execution, type MetricName } from './program.js';

export type Objective = MetricName | { readonly metric: MetricName; readonly direction?: 'max' | 'min' };

/**
 * `min_trades`, `max_drawdown` (the largest drawdown allowed), `min_exposure`, or any metric bounded
 * as `[lo, hi]` (max_drawdown too: a number is its upper bound).
 */
export type Filters = { readonly min_trades?: number; readonly min_exposure?: number } & {
  readonly max_drawdown?: number | readonly [number, number];
} & {
  readonly [metric in Exclude<MetricName, 'max_drawdown'>]?: readonly [number, number];
};

export type Holdout = { readonly fraction: number } | { readonly fromTs: number };

export interface ResolvedObjective {
  readonly metric: MetricName;
  readonly direction: 'max' | 'min';
}

/** One bound per metric: variants pass when lo ≤ value ≤ hi (NaN never passes a bound). */
export type ResolvedFilters = Readonly<Partial<Record<MetricName, readonly [number, number]>>>;

const fail = (path: string, value: unknown, expected: string): never => {
  throw new StrategyValidationError({ path, value, expected });
};

/** An unknown key of `obj`, named with its path, its value and the closest known key. */
export function checkKeys(obj: object, known: readonly string[], path: string): void {
  const u = findUnknownKey(obj, known);
  if (!u) return;
  const at = path ? `${path}.${u.key}` : u.key;
  fail(
    at,
    (obj as Record<string, unknown>)[u.key],
    u.suggestion ? `a known key (did you mean ${u.suggestion}?)` : `one of ${known.join(', ')}`,
  );
}

function bps(value: unknown, path: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > 1000)
    fail(path, value, 'a number of basis points in [0, 1000]');
  return value as number;
}

export const EXECUTION_KEYS = ['side', 'fill', 'fee_bps', 'slippage_bps', 'annualization'] as const;

/** Execution options with defaults: side long, fill next_open, no fee, no slippage, observed annualization. */
export function checkExecution(input: unknown): Execution {
  if (input === undefined) return { side: 'long', fill: 'next_open', fee_bps: 0, slippage_bps: 0, annualization: null };
  if (!isObject(input)) return fail('execution', input, 'an object');
  checkKeys(input, EXECUTION_KEYS, 'execution');
  const side = input.side ?? 'long';
  if (side !== 'long' && side !== 'short' && side !== 'both') fail('execution.side', side, "'long', 'short' or 'both'");
  const fill = input.fill ?? 'next_open';
  if (fill !== 'next_open' && fill !== 'close') fail('execution.fill', fill, "'next_open' or 'close'");
  const a = input.annualization ?? null;
  if (a !== null && (typeof a !== 'number' || !Number.isFinite(a) || a <= 0))
    fail('execution.annualization', a, 'a positive number of bars per year');
  return {
    side: side as Execution['side'],
    fill: fill as Execution['fill'],
    fee_bps: bps(input.fee_bps ?? 0, 'execution.fee_bps'),
    slippage_bps: bps(input.slippage_bps ?? 0, 'execution.slippage_bps'),
    annualization: a as number | null,
  };
}

function metricName(value: unknown, path: string): MetricName {
  if (typeof value !== 'string' || !(METRIC_NAMES as readonly string[]).includes(value)) {
    const hint = typeof value === 'string' ? suggestKey(value, METRIC_NAMES) : undefined;
    fail(path, value, hint ? `a metric name (did you mean ${hint}?)` : `one of ${METRIC_NAMES.join(', ')}`);
  }
  return value as MetricName;
}

/** The objective: a metric name (maximised) or `{ metric, direction }`; sharpe, max, by default. */
export function checkObjective(input: unknown): ResolvedObjective {
  if (input === undefined) return { metric: 'sharpe', direction: 'max' };
  if (typeof input === 'string') return { metric: metricName(input, 'objective'), direction: 'max' };
  if (!isObject(input)) return fail('objective', input, 'a metric name or { metric, direction }');
  checkKeys(input, ['metric', 'direction'], 'objective');
  const direction = input.direction ?? 'max';
  if (direction !== 'max' && direction !== 'min') fail('objective.direction', direction, "'max' or 'min'");
  return { metric: metricName(input.metric, 'objective.metric'), direction: direction as 'max' | 'min' };
}

/** Filters as bounds per metric; min_trades 1, max_drawdown 1 and min_exposure 0 by default. */
export function checkFilters(input: unknown): ResolvedFilters {
  const out: Partial<Record<MetricName, readonly [number, number]>> = {
    trades: [1, Number.POSITIVE_INFINITY],
    max_drawdown: [Number.NEGATIVE_INFINITY, 1],
    exposure: [0, Number.POSITIVE_INFINITY],
  };
  if (input === undefined) return out;
  if (!isObject(input)) return fail('filters', input, 'an object of bounds');
  checkKeys(input, ['min_trades', 'max_drawdown', 'min_exposure', ...METRIC_NAMES], 'filters');
  const num = (v: unknown, path: string): number => {
    if (typeof v !== 'number' || Number.isNaN(v)) fail(path, v, 'a number');
    return v as number;
  };
  if (input.min_trades !== undefined) out.trades = [num(input.min_trades, 'filters.min_trades'), Number.POSITIVE_INFINITY];
  // max_drawdown is both a shorthand (a number: the upper bound) and a metric (a [lo, hi] bound, below)
  if (input.max_drawdown !== undefined && !Array.isArray(input.max_drawdown))
    out.max_drawdown = [Number.NEGATIVE_INFINITY, num(input.max_drawdown, 'filters.max_drawdown')];
  if (input.min_exposure !== undefined) out.exposure = [num(input.min_exposure, 'filters.min_exposure'), Number.POSITIVE_INFINITY];
  for (const m of METRIC_NAMES) {
    const b = input[m];
    if (b === undefined || (m === 'max_drawdown' && !Array.isArray(b))) continue;
    if (!Array.isArray(b) || b.length !== 2) fail(`filters.${m}`, b, 'a [lo, hi] pair of numbers');
    const [lo, hi] = [num((b as unknown[])[0], `filters.${m}[0]`), num((b as unknown[])[1], `filters.${m}[1]`)];
    if (lo > hi) fail(`filters.${m}`, b, 'lo <= hi');
    out[m] = [lo, hi];
  }
  return out;
}

/** `top`: a positive safe integer, 10 by default. */
export function checkTop(input: unknown): number {
  if (input === undefined) return 10;
  if (typeof input !== 'number' || !Number.isSafeInteger(input) || input < 1) fail('top', input, 'a positive integer');
  return input as number;
}

/** The holdout: the last `fraction` of the valid bars (0 < fraction < 0.9), or the bars from `fromTs` (ms) on. */
export function checkHoldout(input: unknown): Holdout | null {
  if (input === undefined) return null;
  if (!isObject(input)) return fail('holdout', input, '{ fraction } or { fromTs }');
  checkKeys(input, ['fraction', 'fromTs'], 'holdout');
  if (input.fraction !== undefined && input.fromTs !== undefined) fail('holdout', input, 'one of fraction or fromTs, not both');
  if (input.fraction !== undefined) {
    const f = input.fraction;
    if (typeof f !== 'number' || !(f > 0 && f < 0.9)) fail('holdout.fraction', f, 'a number with 0 < fraction < 0.9');
    return { fraction: f as number };
  }
  const ts = input.fromTs;
  if (typeof ts !== 'number' || !Number.isSafeInteger(ts)) fail('holdout.fromTs', ts, 'a timestamp in ms (a safe integer)');
  return { fromTs: ts as number };
}
