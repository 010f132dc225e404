/**
 * Strategies as data: operands (series), rules that compare them, and parameters (axes) that the
 * grid sweeps. A strategy never holds user JavaScript that runs per bar. Templates are registered
 * (registry.ts); a custom strategy is the same structure given inline and validated the same way.
 */
import type { AxisInput } from '../grid/types.js';

/** A literal value, or `'$name'`: the value of the strategy parameter `name` in each variant. */
export type Binding = number | string;

/** An indicator output read by timeline row; `lag: k` reads row t − k (NaN before the first row). */
export interface IndicatorOperand {
  /** An indicator id, or a binding to a strategy parameter whose values are indicator ids (`'$ma'`). */
  readonly ind: string;
  /** The output name; the indicator's primary output when absent. */
  readonly output?: string;
  readonly params?: Readonly<Record<string, Binding>>;
  /** The candle source for indicators that take one; a series name or a binding. */
  readonly source?: Binding;
  readonly lag?: number;
}

export type PriceName = 'open' | 'high' | 'low' | 'close' | 'volume' | 'hl2' | 'hlc3' | 'ohlc4';

export interface PriceOperand {
  readonly price: PriceName;
  readonly lag?: number;
}

/** A series, or a constant: a number, or a binding `'$name'` (one constant per variant). */
export type Operand = IndicatorOperand | PriceOperand | number | string;

export type Comparison = 'cross_above' | 'cross_below' | 'above' | 'below';

/**
 * `above(a, b)` at t ⇔ a_t > b_t, `below` ⇔ a_t < b_t (strict); `cross_above(a, b)` ⇔ a_t > b_t and
 * a_{t−1} ≤ b_{t−1} (the previous timeline row). A comparison with a NaN operand is false, and a
 * `not` over a rule that read a NaN operand is false too: `not` means "defined and false".
 */
export type Rule = readonly [Comparison, Operand, Operand] | readonly ['all' | 'any', ...Rule[]] | readonly ['not', Rule];

export type SignalName = 'long_entry' | 'long_exit' | 'short_entry' | 'short_exit';
export const SIGNAL_NAMES: readonly SignalName[] = Object.freeze(['long_entry', 'long_exit', 'short_entry', 'short_exit']);

export type ConstraintOp = '<' | '<=' | '>' | '>=' | '!=' | '==';
/** `[op, '$a', '$b']` between two numeric strategy params; failing variants are not in the grid. */
export type Constraint = readonly [ConstraintOp, string, string];

/**
 * A strategy parameter: an int or float axis with hard bounds, an enum of strings, an indicator id
 * chosen among `values`, or a candle source. `default` is the axis swept when the request gives none.
 */
export interface StrategyParamDef {
  readonly name: string;
  readonly kind: 'int' | 'float' | 'enum' | 'indicator' | 'source';
  readonly min?: number;
  readonly max?: number;
  /** The allowed values of an enum, indicator or source param. */
  readonly values?: readonly string[];
  readonly default: AxisInput;
  readonly doc?: string;
}

/** A registered template (one file per family under src/strategies/). */
export interface StrategyDef {
  readonly id: string;
  readonly family: string;
  readonly title: string;
  readonly params: readonly StrategyParamDef[];
  readonly constraints: readonly Constraint[];
  readonly rules: Readonly<Partial<Record<SignalName, Rule>>>;
  readonly doc: string;
}

/** A custom strategy given inline: params carry their grid as `default`. */
export interface CustomStrategy {
  readonly id: 'custom';
  readonly params?: readonly StrategyParamDef[];
  readonly constraints?: readonly Constraint[];
  readonly rules: Readonly<Partial<Record<SignalName, Rule>>>;
}

/** What a backtest request names: a template with optional axis overrides, or a custom strategy. */
export type StrategySpec = { readonly id: string; readonly params?: Readonly<Record<string, AxisInput>> } | CustomStrategy;
