/**
 * A backtest from request to result: the request checked at the boundary, the strategy compiled,
 * the guards applied before anything is allocated, the operand series computed once, Stage A over
 * every variant, the shortlist, and Stage B (replay) on demand.
 */
import {
  availableSeries,
  createCandles,
  isCandles,
  sourceComponents,
  type BaseSeries,
  type Candles,
  type CandlesInput,
} from '../candles/index.js';
import { MissingInputSeriesError, StrategyValidationError, VariantsGuardExceeded } from '../errors.js';
import type { Axis } from '../grid/types.js';
import { variantIndex as gridVariantIndex } from '../grid/axes.js';
import { isPlainObject as isObject } from '../options.js';
import { registry as indicatorRegistry } from '../registry/index.js';
import { DEFAULT_PROFILE, PROFILES, type Profile } from '../registry/types.js';
import { compileStrategy, strategyKey, variantParams } from '../strategies/index.js';
import type { StrategySpec } from '../strategies/types.js';
import { oneOf } from '../strategies/validate.js';
import { barInputs, checkPositivePrices, validRows } from './bars.js';
import { horizonOf, metricColumns, metricsOf, type Horizon, type Metrics } from './metrics.js';
import {
  checkExecution,
  checkKeys,
  checkFilters,
  checkHoldout,
  checkObjective,
  checkTop,
  type Filters,
  type Holdout,
  type Objective,
  type ResolvedFilters,
  type ResolvedObjective,
} from './options.js';
import { ACC_COUNT, type BarInputs, type Execution, type MetricName, type StrategyProgram, type Trade } from './program.js';
import type { ScoringMemoryCache } from './kernel.js';
import { inverseCounts, runVariant } from './reference.js';
import { reportTableMd, tradesJson } from './report.js';
import { operandSeries, operandSeriesInto, seriesComputes, type ComputeFn } from './series.js';
import type { MemoryTarget } from '../compute/run.js';
import type { ComputeRequest } from '../runtime/engine.js';
import { holdoutRow, scoreVariants, shortlistOf, type BacktestProgress, type StageAPool } from './stage-a.js';
import { subProgram } from './subset.js';

export type { BacktestProgress } from './stage-a.js';

export interface BacktestRequest {
  readonly candles: Candles | CandlesInput;
  readonly strategy: StrategySpec;
  readonly execution?: Partial<Execution>;
  readonly objective?: Objective;
  readonly filters?: Filters;
  readonly top?: number;
  readonly holdout?: Holdout;
  readonly maxVariants?: number;
  readonly batchVariants?: number;
  /** The profile of conventions the operand series are computed in (default: the engine's). */
  readonly profile?: Profile;
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: BacktestProgress) => void;
}

export const BACKTEST_REQUEST_KEYS = [
  'candles',
  'strategy',
  'execution',
  'objective',
  'filters',
  'top',
  'holdout',
  'maxVariants',
  'batchVariants',
  'profile',
  'signal',
  'onProgress',
] as const;

/** What the engine lends a backtest: its compute, its kernels (null: the reference) and its limits. */
export interface BacktestContext {
  readonly compute: ComputeFn;
  /**
   * A VARIANT_MAJOR compute written into a scoring memory (a WebAssembly engine), and the bytes it
   * lays out from the target's base besides its outputs.
   */
  readonly computeInto: (req: ComputeRequest, target: MemoryTarget) => Promise<void>;
  readonly computeWorkBytes: (req: ComputeRequest) => number;
  /** The indicator series' computes hold at most this many output bytes each (default SERIES_PIECE_BYTES). */
  readonly seriesPieceBytes?: number;
  readonly module: () => Promise<WebAssembly.Module | null>;
  /** The engine's worker pool for Stage A (known once the kernels are loaded), null without one. */
  readonly pool: () => StageAPool | null;
  /** The engine that ran (known once the kernels are loaded). */
  readonly engine: () => string;
  readonly maxVariantsPerCompute: number;
  readonly maxComputeBytesTotal: number;
  /** The engine's profile: a request without one uses it. */
  readonly profile: Profile;
  /** The scoring memory the engine keeps between backtests (none: a fresh memory each time). */
  readonly memoryCache?: ScoringMemoryCache;
  /** The Arrow exporters of the metrics table (injected, so this module never imports apache-arrow). */
  readonly exporters: BacktestExporters<unknown>;
}

/** Options of `toArrowIPC`: the Arrow IPC file format (default) or the stream format. */
export interface BacktestArrowIPCOptions {
  readonly format?: 'file' | 'stream';
}

/** What the Arrow layer provides for a backtest result (src/backtest/arrow.ts). */
export interface BacktestExporters<A = unknown> {
  toArrow(r: BacktestResult<A>): A;
  toArrowIPC(r: BacktestResult<A>, opts?: BacktestArrowIPCOptions): Uint8Array;
}

export interface ShortlistEntry {
  readonly rank: number;
  readonly variant: number;
  readonly key: string;
  readonly params: Readonly<Record<string, number | string>>;
  readonly objective: number;
}

export interface BacktestStats {
  readonly stage_a_variants_total: number;
  readonly risk_total: number;
  readonly preselect_used: boolean;
  readonly objective: ResolvedObjective;
  readonly series: number;
  readonly rows: number;
  readonly validBars: number;
  readonly seriesMs: number;
  readonly scoreMs: number;
  readonly totalMs: number;
  /** Variants × scored rows per second of Stage A scoring. */
  readonly variantBarsPerSecond: number;
  readonly engine: string;
  /** The profile of conventions the operand series were computed in (Stage B replays in it too). */
  readonly profile: Profile;
  /** Threads that scored Stage A: the pool's, or 1 in-process. */
  readonly threads: number;
  readonly batches: number;
  /** Stage A batch attempts: the batches, and on a pool every retry of a batch whose worker died. */
  readonly attempts: number;
}

/** One replayed variant: metrics bit-identical to Stage A's, trades, equity curve and renderings. */
export interface ReplayResult {
  readonly variant: number;
  readonly key: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** The scored rows (the in-sample part with a holdout). */
  readonly metrics: Metrics;
  readonly trades: readonly Trade[];
  /** Equity after each row's operations, NaN at holes (and outside the scored rows). */
  readonly equity: Float64Array;
  readonly trades_json: string;
  /** With a holdout: the out-of-sample part, its own run from flat with equity 1. */
  readonly out_of_sample?: {
    readonly metrics: Metrics;
    readonly trades: readonly Trade[];
    readonly equity: Float64Array;
    readonly trades_json: string;
  };
}

/**
 * `A` is the Arrow table type `toArrow` returns (apache-arrow's `Table` once the engine's exporters
 * are injected); this layer does not know it.
 */
export interface BacktestResult<A = unknown> {
  readonly strategyId: string;
  readonly variants: number;
  readonly axes: readonly Axis[];
  readonly execution: Execution;
  readonly metrics: Readonly<Record<MetricName, Float64Array>>;
  readonly shortlist: readonly ShortlistEntry[];
  readonly stats: BacktestStats;
  /** With a holdout: the first row (and its time, ms) of the out-of-sample part. */
  readonly holdout: { readonly row: number; readonly ts: number } | null;
  variantValues(v: number): Readonly<Record<string, number | string>>;
  variantKey(v: number): string;
  variantIndex(values: Readonly<Record<string, number | string>>): number;
  /** Stage B: replays the given variants (default: the shortlist, in rank order). */
  replay(variants?: readonly number[]): Promise<ReplayResult[]>;
  /** The shortlist's report table (replays it). */
  reportTableMd(): Promise<string>;
  /**
   * The Stage A metrics table: one row per variant with `variant`, `variant_key`, one column per
   * axis (Float64 numbers, dictionary strings) and one Float64 column per metric.
   */
  toArrow(): A;
  /** The metrics table as Arrow IPC bytes (the file format unless `format: 'stream'`). */
  toArrowIPC(opts?: BacktestArrowIPCOptions): Uint8Array;
}

/** The request's shape and unknown keys; each field's own checks follow in runBacktest. */
export function checkBacktestRequest(req: unknown): asserts req is BacktestRequest {
  if (!isObject(req)) throw new StrategyValidationError({ path: 'request', value: req, expected: 'an object' });
  checkKeys(req, BACKTEST_REQUEST_KEYS, '');
  if (req.strategy === undefined)
    throw new StrategyValidationError({ path: 'strategy', value: undefined, expected: 'a template { id, params? } or a custom strategy' });
  for (const k of ['maxVariants', 'batchVariants'] as const) {
    const v = req[k];
    if (v !== undefined && (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 1)) {
      throw new StrategyValidationError({ path: k, value: v, expected: 'a positive safe integer' });
    }
  }
  if (req.profile !== undefined && !(PROFILES as readonly unknown[]).includes(req.profile))
    throw new StrategyValidationError({ path: 'profile', value: req.profile, expected: oneOf(req.profile, PROFILES) });
  if (req.signal !== undefined && !(req.signal instanceof AbortSignal))
    throw new StrategyValidationError({ path: 'signal', value: req.signal, expected: 'an AbortSignal' });
  if (req.onProgress !== undefined && typeof req.onProgress !== 'function') {
    throw new StrategyValidationError({ path: 'onProgress', value: req.onProgress, expected: 'a function' });
  }
}

/** Series the strategy reads that the candles lack (a missing open also refuses fills at the next open). */
function checkSeries(program: StrategyProgram, candles: Candles, exec: Execution): void {
  const have = availableSeries(candles);
  const need = new Set<BaseSeries>(exec.fill === 'next_open' ? ['open'] : []);
  for (const s of program.series) if (s.kind === 'price') for (const b of sourceComponents(s.price)) need.add(b);
  const missing = [...need].filter((s) => !have.includes(s));
  if (missing.length) {
    throw new MissingInputSeriesError({
      indicatorId: `backtest:${program.strategyId}`,
      missing,
      required: [...need].sort(),
      available: [...have],
    });
  }
}

const msSince = (t0: number): number => Math.round(performance.now() - t0);

/** A checked request: its options resolved, the strategy compiled, the bar tables and the split built. */
export interface Prepared {
  readonly program: StrategyProgram;
  readonly exec: Execution;
  readonly objective: ResolvedObjective;
  readonly filters: ResolvedFilters;
  readonly top: number;
  readonly holdout: Holdout | null;
  readonly candles: Candles;
  readonly valid: Uint8Array;
  readonly whole: BarInputs;
  /** The scored rows (the in-sample part with a holdout). */
  readonly bars: BarInputs;
  readonly split: number;
  readonly horizon: Horizon;
  /** The request's profile, else the engine's. */
  readonly profile: Profile;
}

/** A JSON.stringify replacer that keeps undefined members and refuses (throws on) anything but plain data. */
function plainMembers(_key: string, v: unknown): unknown {
  if (v === undefined) return '\u0000undefined';
  if (typeof v === 'number' && !Number.isFinite(v)) return `\u0000${v}`;
  if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol') throw new TypeError('not plain data');
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const proto = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) throw new TypeError('not plain data');
  }
  return v;
}

/** The last strategies compiled, by spec and side (programs are never mutated once compiled). */
const COMPILED = new Map<string, StrategyProgram>();
const COMPILED_KEEP = 2;

/**
 * The strategy compiled for a side, reused when the same spec comes again: a backtest job's units
 * and a loop over instruments score ranges of one grid, and compiling a 160,000-variant grid takes
 * about 0.1 s. Only a spec of plain objects, arrays and primitives is keyed (undefined members kept
 * apart from missing ones); any other is compiled every time, and the compiler names its defect.
 */
function compiled(strategy: StrategySpec, side: Execution['side'], profile: Profile): StrategyProgram {
  let key: string | undefined;
  try {
    key = `${side}\u0000${profile}\u0000${JSON.stringify(strategy, plainMembers)}`;
  } catch {
    key = undefined;
  }
  const hit = key === undefined ? undefined : COMPILED.get(key);
  if (hit) return hit;
  const program = compileStrategy(strategy, indicatorRegistry, side, profile);
  if (key !== undefined) {
    COMPILED.set(key, program);
    if (COMPILED.size > COMPILED_KEEP) COMPILED.delete(COMPILED.keys().next().value!);
  }
  return program;
}

/**
 * Everything a request says, checked before any series is computed (a backtest job's submit runs
 * this on every instrument, so a defect is refused before anything is enqueued).
 */
export function prepareBacktest(req: BacktestRequest, maxVariantsPerCompute: number, defaultProfile: Profile = DEFAULT_PROFILE): Prepared {
  checkBacktestRequest(req);
  const exec = checkExecution(req.execution);
  const objective = checkObjective(req.objective);
  const filters = checkFilters(req.filters);
  const top = checkTop(req.top);
  const holdout = checkHoldout(req.holdout);
  const profile = req.profile ?? defaultProfile;
  const program = compiled(req.strategy, exec.side, profile);
  const maxVariants = req.maxVariants ?? maxVariantsPerCompute;
  if (program.variants > maxVariants) {
    throw new VariantsGuardExceeded({
      scope: 'compute',
      variants: program.variants,
      maxVariants,
      limitSource: req.maxVariants === undefined ? 'config' : 'request',
    });
  }
  const candles = isCandles(req.candles) ? req.candles : createCandles(req.candles);
  checkSeries(program, candles, exec);
  const valid = validRows(candles);
  checkPositivePrices(candles, valid, exec.fill === 'next_open');
  // the split and the valid bars need only the bar tables: bad input is refused before any series is computed
  const whole = barInputs(candles, [], 0, candles.t, valid);
  const split = holdout ? holdoutRow(whole, holdout) : candles.t;
  const horizon = horizonOf({ ...whole, end: split }, exec);
  if (horizon.n === 0)
    throw new StrategyValidationError({
      path: 'candles',
      value: candles.instrumentId,
      expected: 'at least one valid bar (open, high, low, close all present)',
    });
  return {
    program,
    exec,
    objective,
    filters,
    top,
    holdout,
    candles,
    valid,
    whole,
    bars: { ...whole, end: split },
    split,
    horizon,
    profile,
  };
}

/** Stage A over `program` (the request's, or a part of it): the accumulators and what the scoring took. */
async function score(p: Prepared, program: StrategyProgram, req: BacktestRequest, ctx: BacktestContext) {
  const module = await ctx.module();
  const signal = req.signal ? { signal: req.signal } : {};
  const request = { ...signal, profile: p.profile };
  // the indicator series' computes: the kernel's scoring memory makes room for their outputs
  const pieces = seriesComputes(program.series, p.candles.t, ctx.seriesPieceBytes);
  return scoreVariants(
    program,
    p.bars,
    p.exec,
    {
      module,
      pool: ctx.pool(),
      batchVariants: req.batchVariants,
      maxComputeBytesTotal: ctx.maxComputeBytesTotal,
      ...(ctx.memoryCache ? { memoryCache: ctx.memoryCache } : {}),
      ...signal,
      ...(req.onProgress ? { onProgress: req.onProgress } : {}),
    },
    {
      arrays: () => operandSeries(program.series, p.candles, ctx.compute, request),
      computes: () => {
        const work = pieces.map((piece) =>
          ctx.computeWorkBytes({ candles: p.candles, grid: piece.grid, layout: 'VARIANT_MAJOR', outputs: piece.outputs, ...request }),
        );
        return { pieces, workBytes: Math.max(0, ...work) };
      },
      into: (memory, placement) => operandSeriesInto(program.series, p.candles, pieces, ctx.computeInto, request, memory, placement),
    },
  );
}

/** The metrics of kept variants `start` … `end − 1` only (a backtest job's Stage A unit). */
export interface BacktestRangeScores {
  readonly start: number;
  readonly end: number;
  /** The whole grid's variant count. */
  readonly variants: number;
  /** One column per metric, `end − start` values (variant start + i at i). */
  readonly metrics: Readonly<Record<MetricName, Float64Array>>;
  readonly engine: string;
  readonly scoreMs: number;
}

/**
 * Stage A of kept variants `start` … `end − 1` of the request's grid: their metrics are bit for bit
 * the ones a whole run gives them (a variant's scoring never depends on the others).
 */
export async function scoreBacktestRange(
  req: BacktestRequest,
  ctx: BacktestContext,
  start: number,
  end: number,
): Promise<BacktestRangeScores> {
  const p = prepareBacktest(req, ctx.maxVariantsPerCompute, ctx.profile);
  const V = p.program.variants;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end > V || start >= end)
    throw new StrategyValidationError({ path: 'variantRange', value: [start, end], expected: `0 <= start < end <= ${V}` });
  const sub = subProgram(
    p.program,
    Array.from({ length: end - start }, (_, i) => start + i),
  );
  const { acc, scoreMs } = await score(p, sub, req, ctx);
  return { start, end, variants: V, metrics: metricColumns(acc, end - start, p.horizon), engine: ctx.engine(), scoreMs };
}

/** `engine.backtestReplay`: Stage B of chosen variants without a Stage A. */
export interface BacktestReplayRequest {
  readonly candles: Candles | CandlesInput;
  readonly strategy: StrategySpec;
  /** Kept variant indices (as `variantIndex` gives them), replayed in this order. */
  readonly variants: readonly number[];
  readonly execution?: Partial<Execution>;
  readonly holdout?: Holdout;
  readonly maxVariants?: number;
  /** The profile of the Stage A being replayed (default: the engine's). */
  readonly profile?: Profile;
  readonly signal?: AbortSignal;
}

export const BACKTEST_REPLAY_KEYS = [
  'candles',
  'strategy',
  'variants',
  'execution',
  'holdout',
  'maxVariants',
  'profile',
  'signal',
] as const;

/** Replays variants of a strategy's grid (metrics bit-identical to Stage A's), with their keys and trades. */
export async function replayBacktest(req: BacktestReplayRequest, ctx: BacktestContext): Promise<ReplayResult[]> {
  if (!isObject(req)) throw new StrategyValidationError({ path: 'request', value: req, expected: 'an object' });
  checkKeys(req, BACKTEST_REPLAY_KEYS, '');
  if (!Array.isArray(req.variants))
    throw new StrategyValidationError({ path: 'variants', value: req.variants, expected: 'an array of kept variant indices' });
  const { variants, ...rest } = req;
  const p = prepareBacktest(rest, ctx.maxVariantsPerCompute, ctx.profile);
  const V = p.program.variants;
  variants.forEach((v, i) => {
    if (!Number.isSafeInteger(v) || v < 0 || v >= V)
      throw new StrategyValidationError({ path: `variants[${i}]`, value: v, expected: `a kept variant index in 0 … ${V - 1}` });
  });
  const key = (v: number): string => strategyKey(p.program, v, p.candles.instrumentId, p.candles.timeframe, p.exec, p.profile);
  return replayVariants(p.program, variants, p.candles, p.valid, p.exec, p.split, p.profile, ctx, key, req.signal);
}

/** Runs Stage A and returns the result (Stage B through its `replay`). */
export async function runBacktest(req: BacktestRequest, ctx: BacktestContext): Promise<BacktestResult> {
  const started = performance.now();
  const p = prepareBacktest(req, ctx.maxVariantsPerCompute, ctx.profile);
  const { program, exec, objective, filters, top, holdout, candles, valid, whole, bars, split, horizon, profile } = p;
  const { acc, seriesMs, scoreMs, threads, batches, attempts } = await score(p, program, req, ctx);
  const V = program.variants;
  const metrics = metricColumns(acc, V, horizon);
  const { shortlist, riskTotal } = shortlistOf(metrics, objective, filters, top, V);
  const key = (v: number): string => strategyKey(program, v, candles.instrumentId, candles.timeframe, exec, profile);
  const params = (v: number): Readonly<Record<string, number | string>> => variantParams(program, v);
  const replay = (variants: readonly number[]): Promise<ReplayResult[]> =>
    replayVariants(program, variants, candles, valid, exec, split, profile, ctx, key, req.signal);
  const entries: ShortlistEntry[] = shortlist.map((v, i) => ({
    rank: i + 1,
    variant: v,
    key: key(v),
    params: params(v),
    objective: metrics[objective.metric][v]!,
  }));
  const paramNames = program.axes.map((a) => a.name);
  const result: BacktestResult = Object.freeze({
    strategyId: program.strategyId,
    variants: V,
    axes: program.axes,
    execution: exec,
    metrics,
    shortlist: entries,
    holdout: holdout ? { row: split, ts: whole.tsMs[split]! } : null,
    stats: {
      stage_a_variants_total: V,
      risk_total: riskTotal,
      preselect_used: riskTotal > top,
      objective,
      series: program.series.length,
      rows: bars.end - bars.first,
      validBars: horizon.n,
      seriesMs: Math.round(seriesMs),
      scoreMs: Math.round(scoreMs),
      totalMs: msSince(started),
      variantBarsPerSecond: (V * (bars.end - bars.first)) / (scoreMs / 1000),
      engine: ctx.engine(),
      profile,
      threads,
      batches,
      attempts,
    },
    variantValues: (v: number) => params(checkVariant(v, V)),
    variantKey: (v: number) => key(checkVariant(v, V)),
    variantIndex: (values: Readonly<Record<string, number | string>>) => indexOfValues(program, values),
    replay: (variants?: readonly number[]) => replay((variants ?? shortlist).map((v) => checkVariant(v, V))),
    reportTableMd: async () => {
      const rows = await replay(shortlist);
      return reportTableMd(
        rows.map((r, i) => ({ rank: i + 1, key: r.key, params: r.params, metrics: r.metrics })),
        paramNames,
      );
    },
    toArrow: () => ctx.exporters.toArrow(result),
    toArrowIPC: (opts?: BacktestArrowIPCOptions) => ctx.exporters.toArrowIPC(result, opts),
  });
  return result;
}

function checkVariant(v: number, V: number): number {
  if (!Number.isSafeInteger(v) || v < 0 || v >= V) throw new RangeError(`variant ${v} is outside 0 … ${V - 1}`);
  return v;
}

/** The kept-variant index of a params record (its cartesian index among the kept ones), or -1 when a constraint drops it. */
function indexOfValues(program: StrategyProgram, values: Readonly<Record<string, number | string>>): number {
  const c = gridVariantIndex(`strategy:${program.strategyId}`, program.axes, values);
  let lo = 0;
  let hi = program.variants - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const x = program.cartesianIndex[mid]!;
    if (x === c) return mid;
    if (x < c) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** Replays variants with the reference (bit-identical to the kernel), computing only the series they read. */
async function replayVariants(
  program: StrategyProgram,
  variants: readonly number[],
  candles: Candles,
  valid: Uint8Array,
  exec: Execution,
  split: number,
  profile: Profile,
  ctx: BacktestContext,
  key: (v: number) => string,
  signal?: AbortSignal,
): Promise<ReplayResult[]> {
  if (variants.length === 0) return [];
  const sub = subProgram(program, variants);
  // the series of Stage A's profile: the metrics are bit-identical to Stage A's only in it
  const series = await operandSeries(sub.series, candles, ctx.compute, { ...(signal ? { signal } : {}), profile });
  const whole = barInputs(candles, series, 0, candles.t, valid);
  const parts: BarInputs[] = [{ ...whole, end: split }];
  if (split < candles.t) parts.push({ ...whole, first: split });
  const runs = parts.map((bars) => ({ bars, horizon: horizonOf(bars, exec), inv: inverseCounts(bars) }));
  return variants.map((v, i) => {
    const [inSample, outOfSample] = runs.map(({ bars, horizon, inv }) => replayOne(sub, bars, exec, inv, horizon, i));
    return {
      variant: v,
      key: key(v),
      params: variantParams(program, v),
      metrics: inSample!.metrics,
      trades: inSample!.trades,
      equity: inSample!.equity,
      trades_json: inSample!.trades_json,
      ...(outOfSample ? { out_of_sample: outOfSample } : {}),
    };
  });
}

function replayOne(program: StrategyProgram, bars: BarInputs, exec: Execution, inv: Float64Array, horizon: Horizon, v: number) {
  const acc = new Float64Array(ACC_COUNT);
  const sink = { trades: [] as Trade[], equity: new Float64Array(bars.t).fill(Number.NaN) };
  runVariant(program, bars, exec, inv, v, acc, 1, 0, sink);
  return { metrics: metricsOf(acc, 1, 0, horizon), trades: sink.trades, equity: sink.equity, trades_json: tradesJson(sink.trades) };
}
