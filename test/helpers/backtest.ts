/**
 * Backtest test helpers.
 *
 * - Strategy programs built by hand (`programOf` with rule builders such as `crossAbove(0, 1)`,
 *   `aboveConst(0, 100)`, `all`, `any`, `not`) and bar inputs from small arrays (`barsOf`).
 * - `runReference`: the plain-TypeScript reference of one variant, with its trades, equity curve and
 *   metrics (through the shared finaliser).
 * - `simulate`: a second, straightforward implementation of the execution model and the metrics,
 *   written from the specification text rather than from the reference: equity is multiplied
 *   operation by operation, the per-bar return is the literal quotient E_k / E_(k−1) − 1, the mean is
 *   a sum over n, the variance takes two passes, the drawdown compares each equity with the running
 *   maximum, and the rules are evaluated from a tree decoded out of the postfix code. The two must
 *   agree within 1e-9 relative on every metric and exactly on every trade's bars.
 */
import { expect } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { barInputs } from '../../src/backtest/bars.js';
import { horizonOf, metricsOf, type Metrics } from '../../src/backtest/metrics.js';
import {
  ACC_COUNT,
  CMP_ABOVE,
  CMP_BELOW,
  CMP_CROSS_ABOVE,
  CMP_CROSS_BELOW,
  METRIC_NAMES,
  OP_ALL,
  OP_ANY,
  OP_ATOM,
  OP_NOT,
  type Atom,
  type AtomSide,
  type BarInputs,
  type Execution,
  type SeriesRequest,
  type StrategyProgram,
  type Trade,
} from '../../src/backtest/program.js';
import { inverseCounts, runVariant } from '../../src/backtest/reference.js';
import type { SignalName } from '../../src/strategies/types.js';

// ---------------------------------------------------------------------------------------------
// Programs by hand

/** A per-variant value: one value for every variant, or one per variant. */
export type PerVariant = number | readonly number[];

/** An operand: a series (index into the bar inputs' series, per variant) read `lag` rows back, or a constant. */
export type OperandSpec = { readonly series: PerVariant; readonly lag: number } | { readonly value: PerVariant };

export type RuleSpec =
  | { readonly kind: 'cmp'; readonly cmp: number; readonly left: OperandSpec; readonly right: OperandSpec }
  | { readonly kind: 'all' | 'any'; readonly rules: readonly RuleSpec[] }
  | { readonly kind: 'not'; readonly rule: RuleSpec };

/** A series operand; a bare number or array given to a comparison means the same with lag 0. */
export const ser = (series: PerVariant, lag = 0): OperandSpec => ({ series, lag });
/** A constant operand (per variant). */
export const val = (value: PerVariant): OperandSpec => ({ value });

const operand = (x: PerVariant | OperandSpec): OperandSpec =>
  typeof x === 'number' || Array.isArray(x) ? ser(x as PerVariant) : (x as OperandSpec);
const cmp =
  (code: number) =>
  (a: PerVariant | OperandSpec, b: PerVariant | OperandSpec): RuleSpec => ({ kind: 'cmp', cmp: code, left: operand(a), right: operand(b) });

export const above = cmp(CMP_ABOVE);
export const below = cmp(CMP_BELOW);
export const crossAbove = cmp(CMP_CROSS_ABOVE);
export const crossBelow = cmp(CMP_CROSS_BELOW);
export const aboveConst = (a: PerVariant | OperandSpec, value: PerVariant): RuleSpec => above(a, val(value));
export const belowConst = (a: PerVariant | OperandSpec, value: PerVariant): RuleSpec => below(a, val(value));
export const all = (...rules: RuleSpec[]): RuleSpec => ({ kind: 'all', rules });
export const any = (...rules: RuleSpec[]): RuleSpec => ({ kind: 'any', rules });
export const not = (rule: RuleSpec): RuleSpec => ({ kind: 'not', rule });

export interface ProgramSpec {
  readonly variants?: number;
  /** The series requests; by default a placeholder (`close`) per series index the rules read. */
  readonly series?: readonly SeriesRequest[];
  readonly signals: Readonly<Partial<Record<SignalName, RuleSpec>>>;
}

function perVariant(x: PerVariant, variants: number, what: string): number[] {
  if (typeof x === 'number') return Array.from({ length: variants }, () => x);
  if (x.length !== variants) throw new Error(`${what}: ${x.length} values for ${variants} variants`);
  return [...x];
}

/** A compiled program from rule trees: one atom per comparison, each signal as postfix code. */
export function programOf(spec: ProgramSpec): StrategyProgram {
  const variants = spec.variants ?? 1;
  const atoms: Atom[] = [];
  let maxSeries = -1;
  const side = (o: OperandSpec): AtomSide => {
    if ('value' in o) return { kind: 'const', value: Float64Array.from(perVariant(o.value, variants, 'constant')) };
    const idx = perVariant(o.series, variants, 'series');
    for (const i of idx) maxSeries = Math.max(maxSeries, i);
    return { kind: 'series', lag: o.lag, series: Int32Array.from(idx) };
  };
  const emit = (rule: RuleSpec, code: number[]): void => {
    if (rule.kind === 'cmp') {
      atoms.push({ cmp: rule.cmp, left: side(rule.left), right: side(rule.right) });
      code.push(OP_ATOM, atoms.length - 1);
    } else if (rule.kind === 'not') {
      emit(rule.rule, code);
      code.push(OP_NOT, 0);
    } else {
      for (const r of rule.rules) emit(r, code);
      code.push(rule.kind === 'all' ? OP_ALL : OP_ANY, rule.rules.length);
    }
  };
  const compile = (rule: RuleSpec | undefined): Int32Array | null => {
    if (rule === undefined) return null;
    const code: number[] = [];
    emit(rule, code);
    return Int32Array.from(code);
  };
  const signals = {
    long_entry: compile(spec.signals.long_entry),
    long_exit: compile(spec.signals.long_exit),
    short_entry: compile(spec.signals.short_entry),
    short_exit: compile(spec.signals.short_exit),
  };
  const series = spec.series ?? Array.from({ length: maxSeries + 1 }, (): SeriesRequest => ({ kind: 'price', price: 'close' }));
  return {
    strategyId: 'custom',
    keyBody: null,
    axes: [],
    variants,
    cartesianIndex: Float64Array.from({ length: variants }, (_, v) => v),
    series,
    atoms,
    signals,
  };
}

// ---------------------------------------------------------------------------------------------
// Bars by hand

export const DAY_MS = 86_400_000;

export interface BarArrays {
  readonly open: readonly number[];
  readonly close: readonly number[];
  /** Default: max(open, close). */
  readonly high?: readonly number[];
  /** Default: min(open, close). */
  readonly low?: readonly number[];
  /** Bar times in ms; default: daily bars from 0. */
  readonly tsMs?: readonly number[];
}

/**
 * Bar inputs through the real candle path (createCandles, then the validity table of bars.ts):
 * prices are rounded to float32, so hand examples use values exact in float32. `series` are the
 * operand series by program index (float32 like indicator outputs); [first, end) the scored rows.
 */
export function barsOf(
  b: BarArrays,
  series: readonly (readonly number[] | Float32Array)[] = [],
  first = 0,
  end = b.close.length,
): BarInputs {
  const t = b.close.length;
  const high = b.high ?? b.open.map((o, i) => Math.max(o, b.close[i]!));
  const low = b.low ?? b.open.map((o, i) => Math.min(o, b.close[i]!));
  const tsOpen = b.tsMs ?? Array.from({ length: t }, (_, i) => i * DAY_MS);
  const candles = createCandles({
    instrumentId: 'test:BT',
    timeframe: '1d',
    timeline: b.tsMs ? 'sessions' : 'dense',
    tsOpen: [...tsOpen],
    open: [...b.open],
    high: [...high],
    low: [...low],
    close: [...b.close],
  });
  const f32 = series.map((s) => (s instanceof Float32Array ? s : Float32Array.from(s)));
  for (const s of f32) if (s.length !== t) throw new Error(`an operand series has ${s.length} rows for ${t} bars`);
  return barInputs(candles, f32, first, end);
}

export function execOf(e: Partial<Execution> = {}): Execution {
  return { side: 'long', fill: 'next_open', fee_bps: 0, slippage_bps: 0, annualization: null, ...e };
}

// ---------------------------------------------------------------------------------------------
// The reference, one variant

export interface RunResult {
  readonly metrics: Metrics;
  readonly trades: Trade[];
  /** Equity after each row's operations; NaN at holes and outside the scored rows. */
  readonly equity: Float64Array;
}

export interface ReferenceRun extends RunResult {
  /** The ACC_COUNT accumulators of the variant, by ACC_* index. */
  readonly acc: Float64Array;
}

export function runReference(program: StrategyProgram, bars: BarInputs, exec: Execution, v = 0): ReferenceRun {
  const acc = new Float64Array(ACC_COUNT);
  const sink = { trades: [] as Trade[], equity: new Float64Array(bars.t).fill(Number.NaN) };
  runVariant(program, bars, exec, inverseCounts(bars), v, acc, 1, 0, sink);
  return { acc, metrics: metricsOf(acc, 1, 0, horizonOf(bars, exec)), trades: sink.trades, equity: sink.equity };
}

// ---------------------------------------------------------------------------------------------
// The second implementation, from the specification text

/** The four signals of one variant at one row. */
export interface Signals {
  readonly long_entry: boolean;
  readonly long_exit: boolean;
  readonly short_entry: boolean;
  readonly short_exit: boolean;
}

/** A rule's outcome: its value, and whether every comparison under it had non-NaN operands. */
interface Outcome {
  readonly value: boolean;
  readonly defined: boolean;
}

type Node =
  | { readonly atom: Atom }
  | { readonly op: 'all' | 'any'; readonly kids: readonly Node[] }
  | { readonly op: 'not'; readonly kid: Node };

/** Decodes postfix code into a tree. */
function decode(code: Int32Array, atoms: readonly Atom[]): Node {
  const stack: Node[] = [];
  for (let i = 0; i < code.length; i += 2) {
    const op = code[i];
    const arg = code[i + 1]!;
    if (op === OP_ATOM) stack.push({ atom: atoms[arg]! });
    else if (op === OP_NOT) stack.push({ op: 'not', kid: stack.pop()! });
    else if (op === OP_ALL || op === OP_ANY) stack.push({ op: op === OP_ALL ? 'all' : 'any', kids: stack.splice(stack.length - arg, arg) });
    else throw new Error(`unknown op ${op}`);
  }
  if (stack.length !== 1) throw new Error(`postfix code leaves ${stack.length} results`);
  return stack[0]!;
}

function operandAt(side: AtomSide, series: readonly Float32Array[], v: number, row: number): number {
  if (side.kind === 'const') return side.value[v]!;
  const at = row - side.lag;
  if (at < 0) return Number.NaN;
  return series[side.series[v]!]![at]!;
}

/** A comparison that read a NaN: false, and `not` of it is false too. */
const UNDEFINED: Outcome = Object.freeze({ value: false, defined: false });

function evaluate(node: Node, series: readonly Float32Array[], v: number, row: number): Outcome {
  if ('atom' in node) {
    const { atom } = node;
    const a = operandAt(atom.left, series, v, row);
    const b = operandAt(atom.right, series, v, row);
    const cross = atom.cmp === CMP_CROSS_ABOVE || atom.cmp === CMP_CROSS_BELOW;
    const a1 = cross ? operandAt(atom.left, series, v, row - 1) : 0;
    const b1 = cross ? operandAt(atom.right, series, v, row - 1) : 0;
    if (a !== a || b !== b || a1 !== a1 || b1 !== b1) return UNDEFINED;
    switch (atom.cmp) {
      case CMP_ABOVE:
        return { value: a > b, defined: true };
      case CMP_BELOW:
        return { value: a < b, defined: true };
      case CMP_CROSS_ABOVE:
        return { value: a > b && a1 <= b1, defined: true };
      case CMP_CROSS_BELOW:
        return { value: a < b && a1 >= b1, defined: true };
      default:
        throw new Error(`unknown comparison ${atom.cmp}`);
    }
  }
  if (node.op === 'not') {
    const x = evaluate(node.kid, series, v, row);
    return { value: x.defined && !x.value, defined: x.defined };
  }
  let value = node.op === 'all';
  let defined = true;
  for (const kid of node.kids) {
    const x = evaluate(kid, series, v, row);
    value = node.op === 'all' ? value && x.value : value || x.value;
    defined = defined && x.defined;
  }
  return { value, defined };
}

/** The signals of variant v of a program at a row, evaluated from the decoded rule trees. */
export function programSignals(program: StrategyProgram, bars: BarInputs, v: number): (row: number) => Signals {
  const tree = (name: SignalName): Node | null => {
    const code = program.signals[name];
    return code === null ? null : decode(code, program.atoms);
  };
  const trees = {
    long_entry: tree('long_entry'),
    long_exit: tree('long_exit'),
    short_entry: tree('short_entry'),
    short_exit: tree('short_exit'),
  };
  const fire = (n: Node | null, row: number): boolean => n !== null && evaluate(n, bars.series, v, row).value;
  return (row) => ({
    long_entry: fire(trees.long_entry, row),
    long_exit: fire(trees.long_exit, row),
    short_entry: fire(trees.short_entry, row),
    short_exit: fire(trees.short_exit, row),
  });
}

/** Signals from plain boolean arrays by row (a missing array never fires). */
export function arraySignals(s: Readonly<Partial<Record<SignalName, readonly boolean[]>>>): (row: number) => Signals {
  return (row) => ({
    long_entry: s.long_entry?.[row] === true,
    long_exit: s.long_exit?.[row] === true,
    short_entry: s.short_entry?.[row] === true,
    short_exit: s.short_exit?.[row] === true,
  });
}

/** The decision at a bar's close: the position wanted after it. */
function target(p: number, sig: Signals, side: Execution['side']): number {
  const longs = side === 'long' || side === 'both';
  const shorts = side === 'short' || side === 'both';
  switch (p) {
    case 0:
      if (longs && sig.long_entry) return 1;
      if (shorts && sig.short_entry) return -1;
      return 0;
    case 1:
      if (!sig.long_exit) return 1;
      return side === 'both' && sig.short_entry ? -1 : 0;
    default:
      if (!sig.short_exit) return -1;
      return side === 'both' && sig.long_entry ? 1 : 0;
  }
}

const YEAR_MS = 365.25 * 86_400_000;

/** Runs one variant of a program through the second implementation. */
export function simulate(program: StrategyProgram, bars: BarInputs, exec: Execution, v = 0): RunResult {
  return simulateSignals(programSignals(program, bars, v), bars, exec);
}

/** The execution model of the specification over given signals, then the metrics from the equity path. */
export function simulateSignals(signalsAt: (row: number) => Signals, bars: BarInputs, exec: Execution): RunResult {
  const f = exec.fee_bps / 1e4;
  const s = exec.slippage_bps / 1e4;
  const equityCurve = new Float64Array(bars.t).fill(Number.NaN);
  const trades: Trade[] = [];
  const path: number[] = [1]; // E_0, then E after each valid bar
  const times: number[] = [];
  let p = 0;
  let E = 1;
  let R = Number.NaN;
  let pending: number | null = null;
  let ruined = false;
  let exposedBars = 0;
  let lastRow = -1;
  let open: { side: 'long' | 'short'; row: number; price: number; equityBefore: number; held: number } | null = null;

  const finish = (row: number | null, price: number): void => {
    const o = open!;
    trades.push({
      side: o.side,
      entry_ts: bars.tsMs[o.row]!,
      entry_bar: o.row,
      entry_price: o.price,
      exit_ts: row === null ? null : bars.tsMs[row]!,
      exit_bar: row,
      exit_price: price,
      bars_held: o.held,
      return: E / o.equityBefore - 1,
      open: row === null,
    });
    open = null;
  };
  // after any operation: E ≤ 0 ruins the variant, closing the position at the price of that operation
  const ruinedBy = (row: number, price: number): boolean => {
    if (!(E <= 0)) return false; // literally "E ≤ 0": a NaN equity is not a ruin
    E = 0;
    if (p !== 0) finish(row, price);
    p = 0;
    pending = null;
    ruined = true;
    return true;
  };
  const exitAt = (row: number, x: number): void => {
    E = E * (1 + p * (x / R - 1));
    E = E * (1 - f);
    if (ruinedBy(row, x)) return;
    finish(row, x);
    p = 0;
  };
  const enterAt = (row: number, d: number, n: number): void => {
    open = { side: d > 0 ? 'long' : 'short', row, price: n, equityBefore: E, held: 0 };
    E = E * (1 - f);
    p = d;
    R = n;
  };
  const moveTo = (row: number, d: number, price: number): void => {
    if (p !== 0) exitAt(row, price * (1 - p * s));
    if (!ruined && d !== 0) enterAt(row, d, price * (1 + d * s));
  };
  // the close of the bar: a position open now counts for exposure and for the trade's bars held
  const closeOfBar = (row: number): void => {
    if (p === 0) return;
    exposedBars += 1;
    open!.held += 1;
    const c = bars.close[row]!;
    E = E * (1 + p * (c / R - 1));
    R = c;
    ruinedBy(row, c);
  };

  for (let row = bars.first; row < bars.end; row++) {
    if (bars.valid[row] !== 1) continue;
    lastRow = row;
    times.push(bars.tsMs[row]!);
    if (exec.fill === 'close') {
      closeOfBar(row);
      if (!ruined) {
        const d = target(p, signalsAt(row), exec.side);
        if (d !== p) moveTo(row, d, bars.close[row]!);
      }
    } else {
      if (pending !== null && pending !== p && !ruined) moveTo(row, pending, bars.open[row]!);
      pending = null;
      closeOfBar(row);
      if (!ruined) {
        const d = target(p, signalsAt(row), exec.side);
        if (d !== p) pending = d;
      }
    }
    path.push(E);
    equityCurve[row] = E;
  }
  if (p !== 0) finish(null, bars.close[lastRow]!);

  return { metrics: metricsFromPath(path, times, exposedBars, trades, exec), trades, equity: equityCurve };
}

/** The metrics of §3, computed directly from E_0 … E_n, the bar times and the trades. */
export function metricsFromPath(
  path: readonly number[],
  times: readonly number[],
  exposedBars: number,
  trades: readonly Trade[],
  exec: Execution,
): Metrics {
  const n = path.length - 1;
  const r: number[] = [];
  for (let k = 1; k <= n; k++) r.push(path[k - 1] === 0 ? 0 : path[k]! / path[k - 1]! - 1);
  let sum = 0;
  for (const x of r) sum += x;
  const mean = sum / n;
  let squares = 0;
  for (const x of r) squares += (x - mean) * (x - mean);
  const sd = n < 2 ? Number.NaN : Math.sqrt(squares / (n - 1));
  let downSquares = 0;
  for (const x of r) downSquares += Math.min(x, 0) ** 2;
  const downside = Math.sqrt(downSquares / n);
  const years = n === 0 ? 0 : (times[n - 1]! - times[0]!) / YEAR_MS;
  const a = exec.annualization ?? (n - 1) / years;
  const en = path[n]!;
  let maxDrawdown = 0;
  let runningMax = path[0]!;
  for (const e of path) {
    if (e > runningMax) runningMax = e;
    maxDrawdown = Math.max(maxDrawdown, 1 - e / runningMax);
  }
  const cagr = years === 0 ? Number.NaN : en === 0 ? -1 : en ** (1 / years) - 1;
  const returns = trades.map((t) => t.return);
  const winners = returns.filter((x) => x > 0);
  const losers = returns.filter((x) => x < 0);
  const gains = winners.reduce((x, y) => x + y, 0);
  const losses = losers.reduce((x, y) => x + y, 0);
  let profitFactor: number;
  if (losers.length > 0) profitFactor = gains / Math.abs(losses);
  else profitFactor = winners.length > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  const count = trades.length;
  return {
    total_return: en - 1,
    cagr,
    volatility: n < 2 ? Number.NaN : sd * Math.sqrt(a),
    sharpe: n < 2 || sd === 0 ? Number.NaN : (mean / sd) * Math.sqrt(a),
    sortino: downside === 0 || Number.isNaN(downside) ? Number.NaN : (mean / downside) * Math.sqrt(a),
    max_drawdown: maxDrawdown,
    calmar: maxDrawdown === 0 ? Number.NaN : cagr / maxDrawdown,
    trades: count,
    win_rate: count === 0 ? Number.NaN : winners.length / count,
    profit_factor: profitFactor,
    avg_trade: count === 0 ? Number.NaN : returns.reduce((x, y) => x + y, 0) / count,
    exposure: exposedBars / n,
  };
}

// ---------------------------------------------------------------------------------------------
// Comparisons

/** True when a and b agree within `rel` relative (NaN equal to NaN, infinities equal when equal). */
export function closeRel(a: number, b: number, rel = 1e-9): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b));
}

/** Every metric within `rel` relative; the message names the metric, the case and both values. */
export function expectMetricsClose(got: Metrics, want: Metrics, label: string, rel = 1e-9): void {
  for (const m of METRIC_NAMES) {
    if (!closeRel(got[m], want[m], rel)) expect.fail(`${label}: ${m} is ${got[m]}, the second implementation gives ${want[m]}`);
  }
}

/** Trades: the same bars, sides and flags exactly; prices and returns within `rel`. */
export function expectTradesAgree(got: readonly Trade[], want: readonly Trade[], label: string, rel = 1e-9): void {
  const bars = (ts: readonly Trade[]) => ts.map((t) => [t.side, t.entry_bar, t.exit_bar, t.bars_held, t.open, t.entry_ts, t.exit_ts]);
  expect(bars(got), `${label}: trade bars`).toEqual(bars(want));
  got.forEach((t, i) => {
    const w = want[i]!;
    for (const k of ['entry_price', 'exit_price', 'return'] as const) {
      if (!closeRel(t[k], w[k], rel)) expect.fail(`${label}: trade ${i} ${k} is ${t[k]}, the second implementation gives ${w[k]}`);
    }
  });
}
