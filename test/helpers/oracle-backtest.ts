/**
 * What the backtest oracle compares: every metric column of two Stage A results, and two replays'
 * metrics, trades and equity curves, value for value with Object.is (NaN positions and signed
 * zeros included). A mismatch is reported with the metric or field, the variant and both values
 * with their bits, so a failure says where the engines parted.
 */
import type { BacktestResult, ReplayResult } from '../../src/backtest/run.js';
import { METRIC_NAMES, type Trade } from '../../src/backtest/program.js';
import type { Metrics } from '../../src/backtest/metrics.js';
import { strategyGrid } from '../../src/strategies/index.js';
import type { StrategyDef } from '../../src/strategies/types.js';
import type { AxisInput } from '../../src/grid/types.js';

const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

/** A float64 with its bits, e.g. `0.25 (0x3fd0000000000000)`. */
export function showBits(x: number): string {
  f64[0] = x;
  return `${x} (0x${u64[0]!.toString(16).padStart(16, '0')})`;
}

/**
 * A small grid from a template's default grid: the first and last value of every numeric axis,
 * the first value of every other axis (the moving average, the source).
 */
export function smallGrid(def: StrategyDef): Record<string, AxisInput> {
  const { axes } = strategyGrid({ id: def.id });
  const params: Record<string, AxisInput> = {};
  for (const a of axes) {
    const values = a.values as readonly (number | string)[];
    const keep = a.kind === 'int' || a.kind === 'float' ? [...new Set([values[0]!, values[values.length - 1]!])] : [values[0]!];
    params[a.name] = keep as number[] | string[];
  }
  return params;
}

/** The first metric value that differs between two Stage A results (Object.is), or null. */
export function metricMismatch(got: BacktestResult, want: BacktestResult): string | null {
  if (got.variants !== want.variants) return `variants: ${got.variants} vs ${want.variants}`;
  for (const m of METRIC_NAMES) {
    const a = got.metrics[m];
    const b = want.metrics[m];
    if (a.length !== b.length) return `${m}: length ${a.length} vs ${b.length}`;
    for (let v = 0; v < a.length; v++) {
      if (!Object.is(a[v], b[v])) {
        return `${m} of variant ${v} ${JSON.stringify(want.variantValues(v))}: ${showBits(a[v]!)} vs ${showBits(b[v]!)}`;
      }
    }
  }
  return null;
}

/** The first metric of a replay that differs from Stage A's column at its variant, or null. */
export function replayMismatch(replayed: Metrics, stageA: BacktestResult, v: number): string | null {
  for (const m of METRIC_NAMES) {
    if (!Object.is(replayed[m], stageA.metrics[m][v]))
      return `${m} of variant ${v}: replay ${showBits(replayed[m])} vs Stage A ${showBits(stageA.metrics[m][v]!)}`;
  }
  return null;
}

function tradeMismatch(a: readonly Trade[], b: readonly Trade[], what: string): string | null {
  if (a.length !== b.length) return `${what}: ${a.length} trades vs ${b.length}`;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    for (const k of Object.keys(y) as (keyof Trade)[]) {
      if (!Object.is(x[k], y[k])) return `${what}, trade ${i} ${k}: ${String(x[k])} vs ${String(y[k])}`;
    }
    if (Object.keys(x).length !== Object.keys(y).length) return `${what}, trade ${i}: fields ${Object.keys(x)} vs ${Object.keys(y)}`;
  }
  return null;
}

function curveMismatch(a: Float64Array, b: Float64Array, what: string): string | null {
  if (a.length !== b.length) return `${what}: length ${a.length} vs ${b.length}`;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return `${what} at row ${i}: ${showBits(a[i]!)} vs ${showBits(b[i]!)}`;
  return null;
}

function metricsMismatch(a: Metrics, b: Metrics, what: string): string | null {
  for (const m of METRIC_NAMES) if (!Object.is(a[m], b[m])) return `${what} ${m}: ${showBits(a[m])} vs ${showBits(b[m])}`;
  return null;
}

/** The first difference between two replays of the same variants (metrics, trades, equity, both parts), or null. */
export function replaysMismatch(got: readonly ReplayResult[], want: readonly ReplayResult[]): string | null {
  if (got.length !== want.length) return `${got.length} replays vs ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    const at = `replay ${i} (variant ${b.variant})`;
    if (a.variant !== b.variant || a.key !== b.key) return `${at}: variant ${a.variant} ${a.key} vs ${b.variant} ${b.key}`;
    const miss =
      metricsMismatch(a.metrics, b.metrics, at) ??
      tradeMismatch(a.trades, b.trades, at) ??
      curveMismatch(a.equity, b.equity, `${at} equity`) ??
      (a.trades_json === b.trades_json ? null : `${at}: trades_json differs`);
    if (miss) return miss;
    if ((a.out_of_sample === undefined) !== (b.out_of_sample === undefined)) return `${at}: out_of_sample present in one only`;
    if (a.out_of_sample && b.out_of_sample) {
      const oos = `${at} out_of_sample`;
      const m =
        metricsMismatch(a.out_of_sample.metrics, b.out_of_sample.metrics, oos) ??
        tradeMismatch(a.out_of_sample.trades, b.out_of_sample.trades, oos) ??
        curveMismatch(a.out_of_sample.equity, b.out_of_sample.equity, `${oos} equity`);
      if (m) return m;
    }
  }
  return null;
}
