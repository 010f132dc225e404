/** Registry types (indicator definitions) plus the kernel binding that drives dispatch. */

export type Group = 'ma' | 'volatility' | 'momentum' | 'trend' | 'volume' | 'structure';
export type PriceSeries = 'open' | 'high' | 'low' | 'close';
export type BaseSeries = PriceSeries | 'volume';
export type SourceSeries = PriceSeries | 'hl2' | 'hlc3' | 'ohlc4';
export type ParamKind = 'int' | 'float' | 'enum';

export interface ParamDef {
  readonly name: string;
  readonly kind: ParamKind;
  readonly min?: number;
  readonly max?: number;
  readonly step?: number;
  readonly enumValues?: readonly string[];
  readonly default?: number | string;
}

/** The candle series a kernel or reference reads: the selected source plus the base series. */
export interface SeriesInputs {
  readonly t: number;
  readonly src?: Float32Array;
  readonly open?: Float32Array;
  readonly high?: Float32Array;
  readonly low?: Float32Array;
  readonly close?: Float32Array;
  readonly volume?: Float32Array;
}

/**
 * A profile of conventions. `gridta` (the default): a recursion seeds on its first valid value, so
 * nothing is lost to warm-up. `talib`: every id that TA-Lib 0.6 computes follows TA-Lib's seeds,
 * lookbacks and zero-division outputs (the definition's `talib` names the function); other ids
 * compute as in the default profile.
 */
export type Profile = 'gridta' | 'talib';
export const PROFILES: readonly Profile[] = Object.freeze(['gridta', 'talib'] as const);
export const DEFAULT_PROFILE: Profile = 'gridta';

/**
 * A plain-TypeScript reference: one variant, every slot of its kernel, float32 with canonical NaN.
 * `profile` (default `gridta`) selects the conventions, as the kernel's frame slot does.
 */
export type ReferenceFn = (
  inputs: SeriesInputs,
  params: Readonly<Record<string, number>>,
  profile?: Profile,
) => Readonly<Record<string, Float32Array>>;

/**
 * One WebAssembly kernel. Several definitions may share one (wrapper ids): each picks its outputs
 * from `slots` by name. `params` is the order in which per-variant parameter arrays are passed.
 */
export interface KernelSpec {
  readonly name: string;
  readonly params: readonly string[];
  readonly slots: readonly string[];
  readonly reference: ReferenceFn;
  /** Scratch bytes one kernel call needs for `n` variants over `t` bars. */
  readonly scratchBytes: (n: number, t: number) => number;
  /** The kernel can run a TIME_MAJOR grid in time pieces on the pool (compute/plan.ts TimePiece). */
  readonly timeSplit?: TimeSplitSpec;
  /** The kernel resumes its exact state across calls (docs/kernel-state.md): streams and time pieces use it. */
  readonly resume?: ResumeSpec;
}

/**
 * What a resumable kernel (docs/kernel-state.md) tells its callers. A call with the frame's resume
 * slot set continues from the state the previous call on the same variants left in the first
 * `stateBytes(n)` bytes of scratch, reading at most `historyBars` rows before its first row, and
 * gives the rows an unsplit call gives, bit for bit.
 */
export interface ResumeSpec {
  /** Leading scratch bytes that hold the whole state between calls, for n variants (independent of the call's length). */
  readonly stateBytes: (n: number) => number;
  /** Rows before a resumed call's first row that the kernel may read, given each numeric param's largest value in the call. */
  readonly historyBars: (max: Readonly<Record<string, number>>) => number;
  /**
   * For kernels whose recursions decay: bars of a warm start from a fresh state that reach the exact
   * state in practice, given the grid's largest param. The pool then runs long TIME_MAJOR grids in
   * time pieces (compute/plan.ts splitOf); a piece whose warm state still differs runs again.
   */
  readonly warmBars?: (maxParam: number) => number;
  /**
   * The kernel's look-ahead outputs (the definition's `trailingNan`) are provisional at the end of
   * each call: their last rows, NaN at the end of the series, stay NaN when a later call resumes
   * (a row's value needs bars after it). Every other row is exact, and a call's last rows are those
   * of a compute over the bars so far, which is what a stream needs. Time pieces (every bar in memory)
   * fix the rows before each boundary up afterwards (compute/kernels.ts settlePieces); only a kernel
   * without state may declare it.
   */
  readonly provisional?: true;
}

/**
 * What a kernel that honours the frame's dry-rows and resume slots (assembly/lanes.ts IO_SKIP,
 * IO_RESUME) tells the planner: where its state lives, how long a warm start must be, and what a
 * dry bar costs.
 */
export interface TimeSplitSpec {
  /** Scratch arrays (of n f64 each, `cell(scratch, n, a, j)`) that hold the whole per-variant state. */
  readonly stateArrays: readonly number[];
  /** Bars of warm start before a piece's first bar, given the largest first parameter (the window) of the grid. */
  readonly warmBars: (maxWindow: number) => number;
  /** Time of a dry bar (computed, not stored) as a fraction of a stored one, measured; balances the pieces. */
  readonly dryCost: number;
}

export interface IndicatorDef {
  readonly id: string;
  readonly group: Group;
  readonly title: string;
  readonly inputs: readonly ('source' | BaseSeries)[];
  readonly sourceValues: readonly SourceSeries[] | null;
  readonly params: readonly ParamDef[];
  readonly axes: readonly string[];
  readonly outputs: readonly string[];
  readonly primaryOutput: string;
  readonly warmup: Readonly<Record<string, string>>;
  readonly trailingNan?: Readonly<Record<string, string>>;
  /**
   * The params an output depends on, for outputs that ignore some of the indicator's params (the
   * Bollinger basis reads the window, not the mult): variants that agree on these get bit-identical
   * values of that output, so a backtest computes it once for them. Outputs not listed depend on
   * every param. test/unit/registry-contract.test.ts checks each entry against the kernels.
   */
  readonly outputParams?: Readonly<Record<string, readonly string[]>>;
  readonly lookAhead: readonly string[];
  /**
   * The TA-Lib 0.6 function(s) this id matches in the `talib` profile (e.g. `EMA`, `ADX, PLUS_DI,
   * MINUS_DI`); absent for ids TA-Lib does not compute, which compute as in the default profile.
   */
  readonly talib?: string;
  /** Per-variant rule beyond the bounds (trend.psar), checked after the variants guard. */
  readonly variantRule?: { readonly description: string; readonly test: (values: Readonly<Record<string, number | string>>) => boolean };
  /** null until the kernel exists: compute rejects the id with KernelUnavailableError. */
  readonly kernel: KernelSpec | null;
  readonly doc: string;
}

export type IndicatorInit = Omit<IndicatorDef, 'primaryOutput' | 'lookAhead'>;

/** Builds a definition; derived fields (`primaryOutput`, `lookAhead`) come from the others. */
export function defineIndicator(init: IndicatorInit): IndicatorDef {
  const lookAhead = init.trailingNan ? init.outputs.filter((o) => init.trailingNan![o] !== undefined) : [];
  return { ...init, primaryOutput: init.outputs[0]!, lookAhead };
}

/**
 * Warm-start bars for kernels whose recursions decay as an EMA's or a Wilder RMA's: as for the time
 * pieces of ema and rma (src/registry/ma.ts), 4096 + 128 × the grid's largest param.
 */
export const DECAYING_WARM_BARS = (maxParam: number): number => 4096 + 128 * Math.ceil(maxParam);

export function defineKernel(spec: KernelSpec): KernelSpec {
  return spec;
}

/**
 * Bars per kernel time chunk: `CHUNK` of assembly/lanes.ts. Kernels that keep a per-chunk shared
 * series size their scratch with it; a test checks that the two agree.
 */
export const KERNEL_CHUNK = 256;

/** Rows per TIME_MAJOR tile: `TILE` of assembly/lanes.ts (the sink of a time-split kernel holds one tile). */
export const KERNEL_TILE = 32;

export const SRC7: readonly SourceSeries[] = ['close', 'hl2', 'hlc3', 'ohlc4', 'low', 'high', 'open'];
export const SRC6: readonly SourceSeries[] = ['close', 'hlc3', 'ohlc4', 'low', 'high', 'open'];
