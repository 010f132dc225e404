/**
 * Backtest benchmark cases: the three strategy grids the backtest specification fixes, each run
 * through engine.backtest and through a plain-JS loop over a gridta tensor (bench/plain-backtest.ts).
 * Everything else comes from the strategy registry: a case whose template is not registered is
 * listed as skipped, and the axes (hence V, the label and the plain loop's grid) are the registry's
 * expansion of the case's params, constraints included.
 */
import type { Candles } from '../src/candles/index.js';
import type { Axis, AxisInput } from '../src/grid/types.js';
import { strategyGrid, strategyRegistry, type Execution } from '../src/index.js';
import type { Skipped } from './cases.js';
import { plainBbandsRevert, plainMaCross, plainRsiRevert, type ComputeFn, type PlainBacktestRun } from './plain-backtest.js';

/** Numeric axis values by name, as the plain loops take them. */
export type AxisValues = Readonly<Record<string, readonly number[]>>;

export interface BacktestCaseSpec {
  /** `backtest.<template id>`. */
  readonly id: string;
  /** The template and its axes (params left out take the template's default grid). */
  readonly strategy: { readonly id: string; readonly params: Readonly<Record<string, AxisInput>> };
  readonly execution: Partial<Execution>;
  /** The plain loop: series from `compute`, then every variant of the grid. */
  readonly plain: (compute: ComputeFn, candles: Candles, axes: AxisValues, exec: Execution) => Promise<PlainBacktestRun>;
}

export interface BacktestCase extends BacktestCaseSpec {
  /** Variants after the template's constraints. */
  readonly variants: number;
  readonly axes: readonly Axis[];
  /** The grid as a human reads it, e.g. `fast 5..50 × slow 20..200 step 5, fast < slow`. */
  readonly label: string;
  /** The execution as a human reads it. */
  readonly executionLabel: string;
  /** The numeric axes' values (the plain loop's grid). */
  readonly axisValues: AxisValues;
  /** The non-numeric axes' single values (`ma`, `source`), which the agreement check adds to each variant's params. */
  readonly fixed: Readonly<Record<string, string>>;
}

const range = (start: number, stopIncl: number, step = 1) => ({ mode: 'range' as const, start, stopIncl, step });

/** Side long, fill at the next open, 5 bps a fill: the execution the spec gives ma_cross, used for all three. */
const EXECUTION: Partial<Execution> = { side: 'long', fill: 'next_open', fee_bps: 5 };

/** The cases, in the order the report prints them. */
export const BACKTEST_CASE_TABLE: readonly BacktestCaseSpec[] = [
  {
    id: 'backtest.ma_cross',
    strategy: { id: 'ma_cross', params: { ma: ['ma.ema'], source: ['close'], fast: range(5, 50), slow: range(20, 200, 5) } },
    execution: EXECUTION,
    plain: (compute, candles, a, exec) => plainMaCross(compute, candles, { fast: a.fast!, slow: a.slow! }, exec),
  },
  {
    id: 'backtest.rsi_revert',
    strategy: { id: 'rsi_revert', params: { source: ['close'], window: range(2, 50), lower: [20, 25, 30, 35], upper: [65, 70, 75, 80] } },
    execution: EXECUTION,
    plain: (compute, candles, a, exec) => plainRsiRevert(compute, candles, { window: a.window!, lower: a.lower!, upper: a.upper! }, exec),
  },
  {
    id: 'backtest.bbands_revert',
    strategy: { id: 'bbands_revert', params: { source: ['close'], window: range(10, 50), mult: [1.5, 2, 2.5] } },
    execution: EXECUTION,
    plain: (compute, candles, a, exec) => plainBbandsRevert(compute, candles, { window: a.window!, mult: a.mult! }, exec),
  },
];

export const BACKTEST_CASE_IDS: readonly string[] = BACKTEST_CASE_TABLE.map((c) => c.id);

/** `5..50` for a run of consecutive steps, `20..200 step 5`, or the list. */
function axisLabel(values: readonly number[]): string {
  if (values.length < 3) return `{${values.join(', ')}}`;
  const step = values[1]! - values[0]!;
  const even = values.every((x, i) => i === 0 || Math.abs(x - values[i - 1]! - step) < 1e-9);
  if (!even) return `{${values.join(', ')}}`;
  return `${values[0]}..${values[values.length - 1]}${step === 1 ? '' : ` step ${step}`}`;
}

function build(spec: BacktestCaseSpec): BacktestCase {
  const grid = strategyGrid(spec.strategy);
  const def = strategyRegistry.get(spec.strategy.id);
  const axisValues: Record<string, readonly number[]> = {};
  const fixed: Record<string, string> = {};
  const parts: string[] = [];
  for (const a of grid.axes) {
    if (a.kind === 'int' || a.kind === 'float') {
      axisValues[a.name] = a.values as readonly number[];
      parts.push(`${a.name} ${axisLabel(a.values as readonly number[])}`);
    } else {
      if (a.values.length !== 1)
        throw new Error(`backtest case ${spec.id}: axis ${a.name} must hold one value (got ${a.values.join(', ')})`);
      fixed[a.name] = a.values[0] as string;
    }
  }
  const constraints = def.constraints.map(([op, x, y]) => `${x.slice(1)} ${op} ${y.slice(1)}`);
  const e = spec.execution;
  const ma = fixed.ma ? `${fixed.ma}, ` : '';
  return {
    ...spec,
    variants: grid.variants,
    axes: grid.axes,
    axisValues,
    fixed,
    label: `${ma}${parts.join(' × ')}${constraints.length ? `, ${constraints.join(', ')}` : ''}`,
    executionLabel: `side ${e.side ?? 'long'}, fill ${e.fill ?? 'next_open'}, fee ${e.fee_bps ?? 0} bps${e.slippage_bps ? `, slippage ${e.slippage_bps} bps` : ''}`,
  };
}

/** The backtest cases to run (`select` keeps the table's order; names of other cases are ignored) and the skipped ones. */
export function backtestCases(select?: readonly string[]): { runnable: BacktestCase[]; skipped: Skipped[] } {
  const chosen = select?.length ? BACKTEST_CASE_TABLE.filter((c) => select.includes(c.id)) : BACKTEST_CASE_TABLE;
  const runnable: BacktestCase[] = [];
  const skipped: Skipped[] = [];
  for (const c of chosen) {
    if (!strategyRegistry.has(c.strategy.id)) skipped.push({ id: c.id, reason: `no strategy template ${c.strategy.id}` });
    else runnable.push(build(c));
  }
  return { runnable, skipped };
}

/** A backtest case of the table by id (tests). */
export function backtestCaseById(id: string): BacktestCase {
  const spec = BACKTEST_CASE_TABLE.find((c) => c.id === id);
  if (!spec) throw new Error(`no backtest bench case ${id}`);
  return build(spec);
}
