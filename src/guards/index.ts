/**
 * Estimates and guards. Everything here is arithmetic on axis lengths: nothing is
 * sized by the number of variants V or by T * V, so a grid far over the guard fails in microseconds.
 *
 * Order: indicator lookup → grid materialisation and per-axis validation → output
 * selection → variants guard → per-variant rules (bounded by that guard) → memory guard → the WebAssembly
 * memory layout (given by the engine; it lists the batches, so it runs only once the variants
 * guard has bounded V). `estimate` and the compute path share `evaluate`, so they accept and
 * refuse exactly the same requests, with the same error codes and details.
 */
import { ComputeBudgetExceeded, GridValidationError, VariantsGuardExceeded, type ComputeBudgetDetails } from '../errors.js';
import { registry as defaultRegistry, type IndicatorDef, type Registry } from '../registry/index.js';
import { checkLayout, checkVariantRules, gridFail, materializeGrid, type MaterialisedGrid } from '../grid/axes.js';
import { normalizeTimeframe, TIMEFRAME_MS } from '../grid/timeframe.js';
import type { Axis, GridSpec, Layout } from '../grid/types.js';
import { findUnknownKey, isPlainObject, keyList, unknownKeyExplanation } from '../options.js';

export interface Limits {
  /** `max_variants_per_compute`. */
  readonly maxVariantsPerCompute: number;
  /** `max_compute_bytes_total`. */
  readonly maxComputeBytesTotal: number;
  /**
   * Bytes of the one WebAssembly memory a compute of this grid would lay out (outputs, input
   * series, work regions with kernel scratch, flags, checkpoints), or null when it would use none
   * (the reference engine). Given by the engine, which knows its threads, batching and engine; a
   * layout over 4 GiB is then refused here, before any allocation, as the compute refuses it.
   * Absent: no layout check (the public `estimate` of src/compute/estimate.ts supplies the
   * in-process layout of a WebAssembly engine).
   */
  readonly memoryBytes?: MemoryBytesFn;
}

export type MemoryBytesFn = (
  grid: MaterialisedGrid,
  t: number,
  variants: number,
  layout: Layout,
  outputs: readonly string[],
) => number | null;

/** One wasm32 memory holds at most 4 GiB (65536 pages of 64 KiB). */
export const MAX_MEMORY_BYTES = 65536 * 65536;

/**
 * The refusal of a compute whose layout (outputs, input series, work regions, flags, checkpoints)
 * does not fit one WebAssembly memory. Thrown before anything is allocated, by the estimate and by
 * the compute alike, so both refuse the same grids with the same error.
 */
export function memoryLimitError(indicatorId: string, totalBytes: number): GridValidationError {
  return new GridValidationError(
    {
      indicatorId,
      field: 'grid',
      reason: 'too_many_values',
      value: totalBytes,
      expected: `<= ${MAX_MEMORY_BYTES} bytes in one WebAssembly memory`,
    },
    'outputs plus inputs exceed the 4 GiB of one WebAssembly memory; split the grid into smaller computes',
  );
}

export const DEFAULT_LIMITS: Limits = Object.freeze({ maxVariantsPerCompute: 600_000, maxComputeBytesTotal: 5_368_709_120 });

/** Memory guard workspace: a factor of the output bytes plus a fixed 64 MiB. */
export const WORKSPACE_FACTOR = 0.2;
export const FIXED_WORKSPACE_BYTES = 67_108_864;
/** One output array holds at most 2^32 − 1 elements. */
export const MAX_ARRAY_ELEMENTS = 4_294_967_295;
/** `estimateBatch` candle bytes: 5 float32 series + one int64 time per bar. */
export const CANDLE_BYTES_PER_BAR = 28;

export interface PlanOptions {
  readonly maxVariants?: number;
  readonly outputs?: readonly string[];
  /** Overrides `spec.layout`. */
  readonly layout?: Layout;
}

/** What a compute needs to size itself, once every check has passed. */
export interface ComputePlan {
  readonly grid: MaterialisedGrid;
  readonly outputs: readonly string[];
  readonly variants: number;
  readonly t: number;
  readonly layout: Layout;
  readonly bytesOut: number;
  readonly bytesTotalEst: number;
  readonly maxVariants: number;
  readonly maxComputeBytesTotal: number;
}

export interface TimeRange {
  readonly start: number;
  readonly end: number;
  readonly timeframe: string;
}
/** Anything shaped like gridta `Candles`: only `t` is read. */
export interface CandlesLike {
  readonly t: number;
  readonly tsOpen: unknown;
}
export type Horizon = number | TimeRange | CandlesLike;

export interface EstimateOptions extends PlanOptions {
  /** Default true: a guard violation throws; false returns the result with `withinGuards: false`. */
  readonly throwOnGuard?: boolean;
}

export interface EstimateResult {
  readonly indicatorId: string;
  readonly axes: readonly Axis[];
  readonly variants: number;
  readonly outputs: readonly string[];
  readonly t: number;
  readonly layout: Layout;
  readonly bytesOut: number;
  readonly bytesTotalEst: number;
  readonly maxVariants: number;
  readonly maxComputeBytesTotal: number;
  readonly withinGuards: boolean;
}

export interface BatchEstimateOptions {
  /** Positive integer multiplying the product of the grids' variants (risk axes, ...). Default 1. */
  readonly variantsFactor?: number;
  /** Request-level limit on `totalVariants`, as `maxVariants` of a compute. */
  readonly maxVariants?: number;
  readonly throwOnGuard?: boolean;
}

export interface BatchEstimateResult {
  readonly totalVariants: number;
  readonly bytesCandles: number;
  readonly bytesIndicators: number;
  readonly reserve: number;
  readonly estimatedMemoryBytes: number;
  /** Sorted by indicatorId, then variants, then outputs: independent of the order of `grids`. */
  readonly perIndicator: readonly { readonly indicatorId: string; readonly variants: number; readonly outputs: number }[];
  readonly t: number;
  readonly maxVariants: number;
  readonly maxComputeBytesTotal: number;
  readonly withinGuards: boolean;
}

// ---------------------------------------------------------------------------------------------
// Pieces

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

export const TIME_RANGE_KEYS = keyList<TimeRange>({ start: true, end: true, timeframe: true });

/** T from a horizon (a bar count, a time range or candles). `indicatorId` only labels the error. */
export function resolveHorizon(indicatorId: string, horizon: unknown): number {
  if (typeof horizon === 'number') return checkT(indicatorId, horizon);
  if (isObject(horizon) && 'tsOpen' in horizon && typeof horizon.t === 'number') return checkT(indicatorId, horizon.t);
  if (isObject(horizon) && ('start' in horizon || 'end' in horizon || 'timeframe' in horizon)) {
    const unknown = findUnknownKey(horizon, TIME_RANGE_KEYS);
    if (unknown)
      gridFail(
        indicatorId,
        `timeRange.${unknown.key}`,
        'invalid_spec',
        unknown.key,
        unknownKeyExplanation(unknown, 'a time range'),
        TIME_RANGE_KEYS,
      );
    const tf = normalizeTimeframe(horizon.timeframe);
    if (tf === null) {
      const allowed = Object.keys(TIMEFRAME_MS);
      gridFail(
        indicatorId,
        'timeRange.timeframe',
        'not_allowed',
        horizon.timeframe ?? null,
        `must be one of ${allowed.join(', ')}`,
        allowed,
      );
    }
    for (const k of ['start', 'end'] as const) {
      const v = horizon[k];
      const f = `timeRange.${k}`;
      if (typeof v !== 'number') gridFail(indicatorId, f, 'wrong_type', v ?? null, 'must be a time in epoch milliseconds', 'a number');
      if (!Number.isFinite(v)) gridFail(indicatorId, f, 'non_finite', v, 'must be a finite number', 'a finite number');
      if (!Number.isSafeInteger(v)) gridFail(indicatorId, f, 'not_integer', v, 'must be an integer number of milliseconds', 'an integer');
    }
    const start = horizon.start as number,
      end = horizon.end as number;
    const stepMs = TIMEFRAME_MS[tf];
    if (end <= start) gridFail(indicatorId, 'timeRange', 'time_range_empty', { start, end }, 'end must be after start', 'end > start');
    if ((end - start) % stepMs !== 0) {
      gridFail(
        indicatorId,
        'timeRange',
        'time_range_misaligned',
        { start, end, timeframe: tf },
        `end - start (${end - start} ms) is not a whole number of ${tf} bars (${stepMs} ms)`,
        `end - start a multiple of ${stepMs}`,
      );
    }
    return (end - start) / stepMs;
  }
  return gridFail(
    indicatorId,
    't',
    'invalid_t',
    horizon ?? null,
    'must be a positive integer, a time range { start, end, timeframe } or candles',
    'a positive integer',
  );
}

function checkT(indicatorId: string, t: number): number {
  if (!Number.isSafeInteger(t) || t < 1)
    gridFail(indicatorId, 't', 'invalid_t', t, 'must be a positive integer number of bars', 'a positive integer');
  return t;
}

/** Output selection: all declared outputs by default; a subset is kept in registry order. */
export function selectOutputs(def: IndicatorDef, requested: unknown): readonly string[] {
  if (requested === undefined) return def.outputs;
  if (!Array.isArray(requested)) gridFail(def.id, 'outputs', 'invalid_spec', requested, 'must be an array of output names', def.outputs);
  if (requested.length === 0) gridFail(def.id, 'outputs', 'empty_values', [], 'must name at least one output', def.outputs);
  const seen = new Set<string>();
  for (const name of requested as unknown[]) {
    if (typeof name !== 'string' || !def.outputs.includes(name)) {
      gridFail(
        def.id,
        'outputs',
        'unknown_output',
        name ?? null,
        `${def.id} has no output ${String(name)} (its outputs are: ${def.outputs.join(', ')})`,
        def.outputs,
      );
    }
    if (seen.has(name)) gridFail(def.id, 'outputs', 'duplicate_value', name, `names the output ${name} twice`, 'unique output names');
    seen.add(name);
  }
  return Object.freeze(def.outputs.filter((o) => seen.has(o)));
}

const variantsDetail = (v: bigint): number | string => (v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString());

/** A request `maxVariants`: absent, or a positive safe integer (`invalid_guard` otherwise). */
export function checkMaxVariants(indicatorId: string, requested: unknown): void {
  if (requested !== undefined && (typeof requested !== 'number' || !Number.isSafeInteger(requested) || requested < 1)) {
    gridFail(indicatorId, 'maxVariants', 'invalid_guard', requested, 'must be a positive integer', 'a positive integer');
  }
}

/**
 * Validates a request `maxVariants`, then checks V against the config limit and then the
 * request limit. Returns the effective limit and the error to throw, if any.
 */
function variantsGuard(
  indicatorId: string,
  scope: 'compute' | 'batch',
  variants: bigint,
  requested: unknown,
  limits: Limits,
): { maxVariants: number; error: VariantsGuardExceeded | null } {
  checkMaxVariants(indicatorId, requested);
  const config = limits.maxVariantsPerCompute;
  const request = requested as number | undefined;
  const maxVariants = request === undefined ? config : Math.min(request, config);
  const over = (limit: number): boolean => variants > BigInt(Math.floor(limit));
  let error: VariantsGuardExceeded | null = null;
  if (over(config))
    error = new VariantsGuardExceeded({ scope, variants: variantsDetail(variants), maxVariants: config, limitSource: 'config' });
  else if (request !== undefined && over(request))
    error = new VariantsGuardExceeded({ scope, variants: variantsDetail(variants), maxVariants: request, limitSource: 'request' });
  return { maxVariants, error };
}

/** Output bytes of T x V x K float32 values and the total estimate with workspace. */
export function computeBytes(t: number, variants: number, outputs: number): { bytesOut: number; bytesTotalEst: number } {
  const bytesOut = t * variants * outputs * 4;
  const bytesTotalEst = bytesOut + Math.ceil(bytesOut * WORKSPACE_FACTOR) + FIXED_WORKSPACE_BYTES;
  return { bytesOut, bytesTotalEst };
}

/**
 * The size limits of one compute, in the order the compute applies them: the memory budget, the
 * length of one output array, then (with `layoutToo`, once V is known to be bounded) the
 * WebAssembly memory layout of `limits.memoryBytes`. Returns the error the compute would throw.
 */
function computeRefusal(
  grid: MaterialisedGrid,
  t: number,
  layout: Layout,
  outputs: readonly string[],
  limits: Limits,
  layoutToo: boolean,
): ComputeBudgetExceeded | GridValidationError | null {
  const variants = Number(grid.variants);
  const k = outputs.length;
  const { bytesOut, bytesTotalEst } = computeBytes(t, variants, k);
  const maxComputeBytesTotal = limits.maxComputeBytesTotal;
  const limit = bytesTotalEst > maxComputeBytesTotal ? 'bytes' : t * variants > MAX_ARRAY_ELEMENTS ? 'elements' : null;
  if (limit !== null) {
    const details: ComputeBudgetDetails = {
      scope: 'compute',
      limit,
      t,
      variants,
      outputs: k,
      bytesOut,
      bytesTotalEst,
      maxComputeBytesTotal,
    };
    return new ComputeBudgetExceeded(details);
  }
  if (!layoutToo || !limits.memoryBytes) return null;
  const need = limits.memoryBytes(grid, t, variants, layout, outputs);
  return need !== null && need > MAX_MEMORY_BYTES ? memoryLimitError(grid.indicatorId, need) : null;
}

interface Evaluation {
  readonly plan: ComputePlan;
  readonly withinGuards: boolean;
}

/** The one code path behind `planCompute` and `estimate`, so both refuse the same requests in the same order. */
function evaluate(spec: GridSpec, horizon: unknown, opts: EstimateOptions, limits: Limits, reg: Registry): Evaluation {
  const throwOnGuard = opts.throwOnGuard ?? true;
  const grid = materializeGrid(spec, reg);
  const id = grid.indicatorId;
  const layout = opts.layout !== undefined ? checkLayout(id, opts.layout) : grid.layout;
  const t = resolveHorizon(id, horizon);
  const outputs = selectOutputs(grid.def, opts.outputs);
  let withinGuards = true;
  const guard = variantsGuard(id, 'compute', grid.variants, opts.maxVariants, limits);
  if (guard.error) {
    if (throwOnGuard) throw guard.error;
    withinGuards = false;
  } else {
    // Bounded by the guard that just passed.
    checkVariantRules(grid);
  }
  const variants = Number(grid.variants);
  const { bytesOut, bytesTotalEst } = computeBytes(t, variants, outputs.length);
  const maxComputeBytesTotal = limits.maxComputeBytesTotal;
  const refusal = computeRefusal(grid, t, layout, outputs, limits, withinGuards);
  if (refusal) {
    if (throwOnGuard && withinGuards) throw refusal;
    withinGuards = false;
  }
  const plan: ComputePlan = Object.freeze({
    grid,
    outputs,
    variants,
    t,
    layout,
    bytesOut,
    bytesTotalEst,
    maxVariants: guard.maxVariants,
    maxComputeBytesTotal,
  });
  return { plan, withinGuards };
}

// ---------------------------------------------------------------------------------------------
// Public entry points

/**
 * Every check a compute runs before allocating, for `t` bars. Throws the first failure;
 * on success nothing proportional to V or T * V has been allocated.
 */
export function planCompute(spec: GridSpec, t: number, opts: PlanOptions, limits: Limits, reg: Registry = defaultRegistry): ComputePlan {
  return evaluate(spec, t, { maxVariants: opts.maxVariants, outputs: opts.outputs, layout: opts.layout, throwOnGuard: true }, limits, reg)
    .plan;
}

/** The option names `estimate` and `estimateBatch` accept. */
export const ESTIMATE_OPTION_KEYS = keyList<EstimateOptions>({ maxVariants: true, outputs: true, layout: true, throwOnGuard: true });
export const BATCH_ESTIMATE_OPTION_KEYS = keyList<BatchEstimateOptions>({ variantsFactor: true, maxVariants: true, throwOnGuard: true });

/** The registry id of a raw spec when it names a known indicator, else '' (only labels errors). */
function idOf(spec: unknown, reg: Registry): string {
  const id = isObject(spec) ? spec.indicatorId : undefined;
  return typeof id === 'string' && reg.has(id) ? reg.get(id).id : '';
}

/** Options of an estimate: an object (or absent) with known keys only and a boolean `throwOnGuard`. */
function checkEstimateOptions(indicatorId: string, opts: unknown, known: readonly string[], where: string): void {
  if (!isPlainObject(opts))
    gridFail(indicatorId, 'opts', 'wrong_type', opts ?? null, `the options of ${where} must be an object`, 'an object');
  const unknown = findUnknownKey(opts, known);
  if (unknown)
    gridFail(indicatorId, unknown.key, 'invalid_spec', unknown.key, unknownKeyExplanation(unknown, `the options of ${where}`), known);
  if (opts.throwOnGuard !== undefined && typeof opts.throwOnGuard !== 'boolean') {
    gridFail(indicatorId, 'throwOnGuard', 'wrong_type', opts.throwOnGuard, 'must be a boolean', 'a boolean');
  }
}

/** Sizes a compute without touching candle values. */
export function estimate(
  spec: GridSpec,
  horizon: Horizon,
  opts: EstimateOptions = {},
  limits: Limits = DEFAULT_LIMITS,
  reg: Registry = defaultRegistry,
): EstimateResult {
  checkEstimateOptions(idOf(spec, reg), opts, ESTIMATE_OPTION_KEYS, 'estimate');
  const { plan, withinGuards } = evaluate(spec, horizon, opts, limits, reg);
  return Object.freeze({
    indicatorId: plan.grid.indicatorId,
    axes: plan.grid.axes,
    variants: plan.variants,
    outputs: plan.outputs,
    t: plan.t,
    layout: plan.layout,
    bytesOut: plan.bytesOut,
    bytesTotalEst: plan.bytesTotalEst,
    maxVariants: plan.maxVariants,
    maxComputeBytesTotal: plan.maxComputeBytesTotal,
    withinGuards,
  });
}

/** A deterministic sort key for a raw grid spec (so the first reported failure is order-independent). */
function specKey(spec: unknown): [string, string] {
  const id = isObject(spec) && typeof spec.indicatorId === 'string' ? spec.indicatorId.trim().toLowerCase() : '';
  let body = '';
  try {
    body =
      JSON.stringify(spec, (_k, v: unknown) => {
        if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
        if (typeof v === 'bigint') return `${v}n`;
        if (isObject(v) && !Array.isArray(v))
          return Object.fromEntries(
            Object.keys(v)
              .sort()
              .map((k) => [k, v[k]]),
          );
        return v;
      }) ?? '';
  } catch {
    /* cyclic or exotic: leave the tie as given */
  }
  return [id, body];
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** Sizes several grids that one strategy will combine. */
export function estimateBatch(
  grids: readonly GridSpec[],
  horizon: Horizon,
  opts: BatchEstimateOptions = {},
  limits: Limits = DEFAULT_LIMITS,
  reg: Registry = defaultRegistry,
): BatchEstimateResult {
  checkEstimateOptions('', opts, BATCH_ESTIMATE_OPTION_KEYS, 'estimateBatch');
  const throwOnGuard = opts.throwOnGuard ?? true;
  if (!Array.isArray(grids)) gridFail('', 'grids', 'invalid_spec', null, 'must be an array of grid specs');
  if (grids.length === 0) gridFail('', 'grids', 'empty_values', [], 'must hold at least one grid', 'a non-empty list');
  const ordered = grids
    .map((g) => ({ g, key: specKey(g) }))
    .sort((a, b) => cmp(a.key[0], b.key[0]) || cmp(a.key[1], b.key[1]))
    .map((x) => x.g);
  const mats = ordered.map((g) => materializeGrid(g, reg));
  const t = resolveHorizon('', horizon);
  const factor = opts.variantsFactor ?? 1;
  if (typeof factor !== 'number' || !Number.isSafeInteger(factor) || factor < 1) {
    gridFail('', 'variantsFactor', 'invalid_guard', factor, 'must be a positive integer', 'a positive integer');
  }
  let total = BigInt(factor);
  for (const m of mats) total *= m.variants;
  let withinGuards = true;
  const guard = variantsGuard('', 'batch', total, opts.maxVariants, limits);
  if (guard.error) {
    if (throwOnGuard) throw guard.error;
    withinGuards = false;
  } else {
    for (const m of mats) checkVariantRules(m);
  }
  const perIndicator = mats
    .map((m) => Object.freeze({ indicatorId: m.indicatorId, variants: Number(m.variants), outputs: m.def.outputs.length }))
    .sort((a, b) => cmp(a.indicatorId, b.indicatorId) || a.variants - b.variants || a.outputs - b.outputs);
  const bytesCandles = t * CANDLE_BYTES_PER_BAR;
  let bytesIndicators = 0;
  for (const p of perIndicator) bytesIndicators += t * p.variants * p.outputs * 4;
  const reserve = Math.max(FIXED_WORKSPACE_BYTES, Math.ceil((bytesCandles + bytesIndicators) * WORKSPACE_FACTOR));
  const estimatedMemoryBytes = bytesCandles + bytesIndicators + reserve;
  const totalVariants = Number(total);
  const maxComputeBytesTotal = limits.maxComputeBytesTotal;
  if (estimatedMemoryBytes > maxComputeBytesTotal) {
    if (throwOnGuard && withinGuards) {
      throw new ComputeBudgetExceeded({
        scope: 'batch',
        limit: 'bytes',
        t,
        totalVariants,
        bytesCandles,
        bytesOut: bytesIndicators,
        reserve,
        bytesTotalEst: estimatedMemoryBytes,
        maxComputeBytesTotal,
      });
    }
    withinGuards = false;
  }
  // each grid is one compute of its own: every limit that compute applies holds for it alone
  if (withinGuards) {
    for (const m of mats) {
      const refusal = computeRefusal(m, t, m.layout, m.def.outputs, limits, true);
      if (!refusal) continue;
      if (throwOnGuard) throw refusal;
      withinGuards = false;
      break;
    }
  }
  return Object.freeze({
    totalVariants,
    bytesCandles,
    bytesIndicators,
    reserve,
    estimatedMemoryBytes,
    perIndicator: Object.freeze(perIndicator),
    t,
    maxVariants: guard.maxVariants,
    maxComputeBytesTotal,
    withinGuards,
  });
}
