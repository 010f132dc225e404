/**
 * The compiled form of a strategy over its variant grid, shared by the plain-TypeScript reference
 * (reference.ts) and the WebAssembly kernel (assembly/backtest.ts): the distinct series the
 * operands read, the comparisons ("atoms") with per-variant operands, and each signal as postfix
 * code over the atoms. Everything per variant is an array of length `variants`.
 */
import type { Axis } from '../grid/types.js';
import type { SourceSeries } from '../registry/types.js';
import type { PriceName, SignalName } from '../strategies/types.js';

/** One distinct series an operand reads: a candle series, or one output of one indicator variant. */
export type SeriesRequest =
  | { readonly kind: 'price'; readonly price: PriceName }
  | {
      readonly kind: 'indicator';
      readonly indicatorId: string;
      readonly output: string;
      readonly source: SourceSeries | null;
      readonly params: Readonly<Record<string, number | string>>;
    };

/** Comparison codes, as the kernel reads them. */
export const CMP_ABOVE = 0;
export const CMP_BELOW = 1;
export const CMP_CROSS_ABOVE = 2;
export const CMP_CROSS_BELOW = 3;

/** One side of a comparison: a series (index into `series`, per variant) read `lag` rows back, or a constant per variant. */
export type AtomSide =
  | { readonly kind: 'series'; readonly lag: number; readonly series: Int32Array }
  | { readonly kind: 'const'; readonly value: Float64Array };

export interface Atom {
  readonly cmp: number;
  readonly left: AtomSide;
  readonly right: AtomSide;
}

/**
 * Postfix code of a signal, as pairs (op, arg): OP_ATOM k pushes atom k; OP_ALL n and OP_ANY n pop
 * n results and push their conjunction or disjunction; OP_NOT (arg 0) replaces the top. A result is
 * a pair (value, defined): defined when no comparison under it read a NaN; a comparison's value is
 * false when it is undefined; all/any combine values (definedness: every child defined); `not` is
 * "defined and not value".
 */
export const OP_ATOM = 0;
export const OP_ALL = 1;
export const OP_ANY = 2;
export const OP_NOT = 3;

export interface StrategyProgram {
  /** Template id, or 'custom'. */
  readonly strategyId: string;
  /** The canonical strategy body for keys: the template id, or the canonical custom body. */
  readonly keyBody: unknown;
  /** The strategy's axes in declaration order (cartesian, last fastest), before constraints. */
  readonly axes: readonly Axis[];
  /** Variants after the constraints, in grid order. */
  readonly variants: number;
  /** Cartesian index (over `axes`) of each kept variant, ascending. */
  readonly cartesianIndex: Float64Array;
  readonly series: readonly SeriesRequest[];
  readonly atoms: readonly Atom[];
  /** null: the signal is absent (never true). */
  readonly signals: Readonly<Record<SignalName, Int32Array | null>>;
}

export type Side = 'long' | 'short' | 'both';
export type Fill = 'next_open' | 'close';

/** Validated execution options (defaults applied). */
export interface Execution {
  readonly side: Side;
  readonly fill: Fill;
  /** Per fill, as basis points of equity, in [0, 1000]. */
  readonly fee_bps: number;
  /** Against the trader on every fill, in basis points of the price, in [0, 1000]. */
  readonly slippage_bps: number;
  /** Bars per year; null = observed: (n − 1) / years over the valid bars scored. */
  readonly annualization: number | null;
}

export const METRIC_NAMES = Object.freeze([
  'total_return',
  'cagr',
  'volatility',
  'sharpe',
  'sortino',
  'max_drawdown',
  'calmar',
  'trades',
  'win_rate',
  'profit_factor',
  'avg_trade',
  'exposure',
] as const);
export type MetricName = (typeof METRIC_NAMES)[number];

/** One trade. Times in ms; `exit_ts`/`exit_bar` null with `open: true` for the virtual close at the end. */
export interface Trade {
  readonly side: 'long' | 'short';
  readonly entry_ts: number;
  readonly entry_bar: number;
  readonly entry_price: number;
  readonly exit_ts: number | null;
  readonly exit_bar: number | null;
  readonly exit_price: number;
  readonly bars_held: number;
  readonly return: number;
  readonly open: boolean;
}

/**
 * What an execution reads besides the operand series: the timeline's rows [first, end) to score
 * (the whole timeline, or one holdout part), open and close widened to float64, a row's validity
 * (open, high, low, close all present and non-NaN) and its time.
 */
export interface BarInputs {
  readonly t: number;
  readonly first: number;
  readonly end: number;
  readonly open: Float64Array;
  readonly close: Float64Array;
  readonly valid: Uint8Array;
  readonly tsMs: Float64Array;
  /** Operand series by program series index, float32 of length t. */
  readonly series: readonly Float32Array[];
}

/**
 * Per-variant accumulators an execution leaves behind (the kernel writes them as f64 arrays of
 * `variants` each, in this order); metrics.ts turns them into the metrics, for the reference and the
 * kernel alike. Equity, the running mean and sum of squared deviations of the per-bar returns
 * (Welford), the sum of squared negative returns, the drawdown's worst depth, the trade sums, and
 * the count of valid bars whose close found a position open.
 */
export const ACC_EQUITY = 0;
export const ACC_MEAN = 1;
export const ACC_M2 = 2;
export const ACC_DOWN2 = 3;
export const ACC_MAXDD = 4;
export const ACC_TRADES = 5;
export const ACC_WINS = 6;
export const ACC_SUM_POS = 7;
export const ACC_SUM_NEG = 8;
export const ACC_SUM_RET = 9;
export const ACC_EXPOSED = 10;
export const ACC_COUNT = 11;
