/**
 * The plain-TypeScript reference of a backtest: one variant at a time, bar by bar, the execution
 * model of the README's "Backtests" section. The WebAssembly kernel (assembly/backtest.ts) performs
 * the same float64 operations in the same order, so every accumulator, metric and trade is
 * bit-identical between the two; tests hold both to a second, straightforward implementation.
 *
 * Per valid bar (open, high, low, close all present and non-NaN), with f = fee_bps / 1e4 and
 * s = slippage_bps / 1e4:
 * - mark: when a position p ≠ 0 is open, E ← E · (1 + p · (close / R − 1)), R ← close;
 * - exit at X: E ← E · (1 + p · (X / R − 1)), then E ← E · (1 − f), p ← 0;
 * - enter d at N: E ← E · (1 − f), p ← d, R ← N;
 * - ruin: when an operation leaves E ≤ 0, E ← 0, the position closes at that price and the variant
 *   trades no more.
 * fill 'close': mark, decide, then exit at close·(1 − p·s) and enter at close·(1 + d·s) when the
 * decision changes the position. fill 'next_open': fill a pending target at open·(1 ∓ s) first, then
 * mark, then decide (a change becomes the pending target of the next valid bar). Holes do nothing.
 *
 * The per-bar return r is E_k / E_(k−1) − 1 on a bar with a fill or a ruin, and (1 + p·g) − 1 on a
 * bar that only marks (the factor the mark applied; 0 when flat), which differs from the quotient by
 * at most a rounding and needs no division per variant. Its sum of squared deviations uses Welford's
 * update in bar order, M2 += (r − m_(k−1))·(r − m_k), with the running mean m_k = S_k · (1/k) taken
 * from the running sum S_k of the returns (1/k computed once per bar): no division per variant, and
 * no chain of dependent operations longer than one add per bar.
 *
 * Bars where open or close is not a positive number are refused before any of this runs (a
 * percentage return has no meaning there).
 */
import {
  ACC_COUNT,
  ACC_DOWN2,
  ACC_EQUITY,
  ACC_EXPOSED,
  ACC_M2,
  ACC_MAXDD,
  ACC_MEAN,
  ACC_SUM_NEG,
  ACC_SUM_POS,
  ACC_SUM_RET,
  ACC_TRADES,
  ACC_WINS,
  CMP_ABOVE,
  CMP_BELOW,
  CMP_CROSS_ABOVE,
  OP_ALL,
  OP_ANY,
  OP_ATOM,
  type Atom,
  type AtomSide,
  type BarInputs,
  type Execution,
  type StrategyProgram,
  type Trade,
} from './program.js';
import { SIGNAL_NAMES } from '../strategies/types.js';

/** Signal bits of one bar: long entry, long exit, short entry, short exit. */
export const SIG_LONG_ENTRY = 1;
export const SIG_LONG_EXIT = 2;
export const SIG_SHORT_ENTRY = 4;
export const SIG_SHORT_EXIT = 8;

/** An atom's or a rule's result: bit 0 its value, bit 1 "defined" (no NaN operand under it). */
const VALUE = 1;
const DEFINED = 2;

function sideAt(side: AtomSide, series: readonly Float32Array[], v: number, row: number): number {
  if (side.kind === 'const') return side.value[v]!;
  const r = row - side.lag;
  return r < 0 ? Number.NaN : series[side.series[v]!]![r]!;
}

/** One comparison at one row: VALUE | DEFINED bits. */
export function atomAt(atom: Atom, series: readonly Float32Array[], v: number, row: number): number {
  const a = sideAt(atom.left, series, v, row);
  const b = sideAt(atom.right, series, v, row);
  if (atom.cmp === CMP_ABOVE || atom.cmp === CMP_BELOW) {
    if (Number.isNaN(a) || Number.isNaN(b)) return 0;
    return DEFINED | ((atom.cmp === CMP_ABOVE ? a > b : a < b) ? VALUE : 0);
  }
  const a1 = sideAt(atom.left, series, v, row - 1);
  const b1 = sideAt(atom.right, series, v, row - 1);
  if (Number.isNaN(a) || Number.isNaN(b) || Number.isNaN(a1) || Number.isNaN(b1)) return 0;
  const hit = atom.cmp === CMP_CROSS_ABOVE ? a > b && a1 <= b1 : a < b && a1 >= b1;
  return DEFINED | (hit ? VALUE : 0);
}

/** Evaluates a signal's postfix code at one row; true when its value bit is set. */
function signalAt(
  code: Int32Array,
  atoms: readonly Atom[],
  series: readonly Float32Array[],
  v: number,
  row: number,
  stack: number[],
): boolean {
  let top = 0;
  for (let i = 0; i < code.length; i += 2) {
    const op = code[i]!;
    const arg = code[i + 1]!;
    if (op === OP_ATOM) {
      stack[top++] = atomAt(atoms[arg]!, series, v, row);
    } else if (op === OP_ALL || op === OP_ANY) {
      let value = op === OP_ALL ? VALUE : 0;
      let defined = DEFINED;
      for (let k = top - arg; k < top; k++) {
        const x = stack[k]!;
        value = op === OP_ALL ? value & x : value | (x & VALUE);
        defined &= x;
      }
      top -= arg;
      stack[top++] = (value & VALUE) | (defined & DEFINED);
    } else {
      const x = stack[top - 1]!;
      stack[top - 1] = (x & DEFINED) | ((x & DEFINED) !== 0 && (x & VALUE) === 0 ? VALUE : 0);
    }
  }
  return (stack[0]! & VALUE) !== 0;
}

/** The four signal bits of variant v at a row. */
export function signalBits(program: StrategyProgram, series: readonly Float32Array[], v: number, row: number): number {
  let bits = 0;
  for (let k = 0; k < SIGNAL_NAMES.length; k++) {
    const code = program.signals[SIGNAL_NAMES[k]!];
    if (code !== null && signalAt(code, program.atoms, series, v, row, STACK)) bits |= 1 << k;
  }
  return bits;
}

/** The evaluation stack of signalAt, reused (it runs for every variant and row of a replay). */
const STACK: number[] = [];

/** The target position after a bar's decision, from the current one and the signal bits. */
export function decide(p: number, bits: number, side: Execution['side']): number {
  const long = side !== 'short';
  const short = side !== 'long';
  if (p === 0) return long && (bits & SIG_LONG_ENTRY) !== 0 ? 1 : short && (bits & SIG_SHORT_ENTRY) !== 0 ? -1 : 0;
  if (p === 1) return (bits & SIG_LONG_EXIT) === 0 ? 1 : side === 'both' && (bits & SIG_SHORT_ENTRY) !== 0 ? -1 : 0;
  return (bits & SIG_SHORT_EXIT) === 0 ? -1 : side === 'both' && (bits & SIG_LONG_ENTRY) !== 0 ? 1 : 0;
}

/** What a replay records besides the accumulators. */
export interface ReplaySink {
  readonly trades: Trade[];
  /** Equity after each row's operations (NaN at holes and outside the scored rows). */
  readonly equity: Float64Array;
}

/** The per-bar tables shared by every variant: 1/k for the k-th valid bar of the scored rows. */
export function inverseCounts(bars: BarInputs): Float64Array {
  const inv = new Float64Array(bars.t);
  let k = 0;
  for (let row = bars.first; row < bars.end; row++) if (bars.valid[row]) inv[row] = 1 / ++k;
  return inv;
}

interface State {
  p: number;
  e: number;
  r: number;
  pending: number;
  ruined: boolean;
  entryE: number;
  entryRow: number;
  entryPrice: number;
  held: number;
  fillBar: boolean;
}

// Stays whole past 120 lines: the reference reads as the execution model does, one variant's state
// and its named operations (closeTrade, ruin, exit, enter, fillTo, mark) as closures over it, then the
// bar loop in the model's order; split, the state would travel through every call.
/**
 * Runs variant v over the scored rows; writes its ACC_COUNT accumulators at `acc[ACC_* · stride + v]`
 * (stride = the number of variants the caller holds) and, with a sink, its trades and equity curve.
 */
export function runVariant(
  program: StrategyProgram,
  bars: BarInputs,
  exec: Execution,
  inv: Float64Array,
  v: number,
  acc: Float64Array,
  stride: number,
  at: number,
  sink?: ReplaySink,
): void {
  const f = exec.fee_bps / 1e4;
  const s = exec.slippage_bps / 1e4;
  const st: State = { p: 0, e: 1, r: 0, pending: 0, ruined: false, entryE: 0, entryRow: -1, entryPrice: 0, held: 0, fillBar: false };
  let sum = 0,
    mean = 0,
    m2 = 0,
    down2 = 0,
    maxdd = 0,
    peak = 1,
    trough = 1,
    exposed = 0;
  let trades = 0,
    wins = 0,
    sumPos = 0,
    sumNeg = 0,
    sumRet = 0;

  const closeTrade = (row: number, price: number, open: boolean): void => {
    const ret = st.e / st.entryE - 1;
    trades++;
    if (ret > 0) {
      wins++;
      sumPos += ret;
    } else if (ret < 0) sumNeg += ret;
    sumRet += ret;
    sink?.trades.push({
      side: st.p > 0 ? 'long' : 'short',
      entry_ts: bars.tsMs[st.entryRow]!,
      entry_bar: st.entryRow,
      entry_price: st.entryPrice,
      exit_ts: open ? null : bars.tsMs[row]!,
      exit_bar: open ? null : row,
      exit_price: price,
      bars_held: st.held,
      return: ret,
      open,
    });
  };
  // E ≤ 0 after an operation: equity 0, the position closed at the price that ruined it
  const ruin = (row: number, price: number): void => {
    st.e = 0;
    st.fillBar = true;
    if (st.p !== 0) closeTrade(row, price, false);
    st.p = 0;
    st.pending = 0;
    st.ruined = true;
  };
  const exit = (row: number, x: number): void => {
    st.e = st.e * (1 + st.p * (x / st.r - 1));
    st.e = st.e * (1 - f);
    st.fillBar = true;
    if (st.e <= 0) {
      ruin(row, x);
      return;
    }
    closeTrade(row, x, false);
    st.p = 0;
  };
  const enter = (row: number, d: number, n: number): void => {
    st.entryE = st.e;
    st.e = st.e * (1 - f);
    st.fillBar = true;
    st.p = d;
    st.r = n;
    st.entryRow = row;
    st.entryPrice = n;
    st.held = 0;
  };
  const fillTo = (row: number, d: number, price: number): void => {
    if (st.p !== 0) exit(row, price * (1 - st.p * s));
    if (d !== 0 && !st.ruined) enter(row, d, price * (1 + d * s));
  };
  /** Marks an open position; returns the factor applied (1 when flat). */
  const mark = (row: number): number => {
    if (st.p === 0) return 1;
    const c = bars.close[row]!;
    const factor = 1 + st.p * (c / st.r - 1);
    st.e = st.e * factor;
    st.r = c;
    exposed++;
    st.held++;
    if (st.e <= 0) ruin(row, c);
    return factor;
  };

  for (let row = bars.first; row < bars.end; row++) {
    if (!bars.valid[row]) {
      if (sink) sink.equity[row] = Number.NaN;
      continue;
    }
    const before = st.e;
    st.fillBar = false;
    let factor: number;
    if (exec.fill === 'close') {
      factor = mark(row);
      if (!st.ruined) {
        const d = decide(st.p, signalBits(program, bars.series, v, row), exec.side);
        if (d !== st.p) fillTo(row, d, bars.close[row]!);
      }
    } else {
      if (st.pending !== st.p && !st.ruined) fillTo(row, st.pending, bars.open[row]!);
      st.pending = st.p;
      factor = mark(row);
      if (!st.ruined) st.pending = decide(st.p, signalBits(program, bars.series, v, row), exec.side);
    }
    const ret = st.fillBar ? (before === 0 ? 0 : st.e / before - 1) : factor - 1;
    sum = sum + ret;
    const next = sum * inv[row]!;
    m2 = m2 + (ret - mean) * (ret - next);
    mean = next;
    if (ret < 0) down2 = down2 + ret * ret;
    if (st.e > peak) {
      if (trough < peak) {
        const dd = 1 - trough / peak;
        if (dd > maxdd) maxdd = dd;
      }
      peak = st.e;
      trough = st.e;
    } else if (st.e < trough) {
      trough = st.e;
    }
    if (sink) sink.equity[row] = st.e;
  }
  if (trough < peak) {
    const dd = 1 - trough / peak;
    if (dd > maxdd) maxdd = dd;
  }
  if (st.p !== 0) closeTrade(-1, bars.close[lastValid(bars)]!, true);

  acc[ACC_EQUITY * stride + at] = st.e;
  acc[ACC_MEAN * stride + at] = mean;
  acc[ACC_M2 * stride + at] = m2;
  acc[ACC_DOWN2 * stride + at] = down2;
  acc[ACC_MAXDD * stride + at] = maxdd;
  acc[ACC_TRADES * stride + at] = trades;
  acc[ACC_WINS * stride + at] = wins;
  acc[ACC_SUM_POS * stride + at] = sumPos;
  acc[ACC_SUM_NEG * stride + at] = sumNeg;
  acc[ACC_SUM_RET * stride + at] = sumRet;
  acc[ACC_EXPOSED * stride + at] = exposed;
}

function lastValid(bars: BarInputs): number {
  for (let row = bars.end - 1; row >= bars.first; row--) if (bars.valid[row]) return row;
  return -1;
}

/** Accumulators of variants [start, end) by the reference: ACC_COUNT arrays of (end − start), concatenated. */
export function referenceAccumulators(
  program: StrategyProgram,
  bars: BarInputs,
  exec: Execution,
  start: number,
  end: number,
): Float64Array {
  const n = end - start;
  const acc = new Float64Array(ACC_COUNT * n);
  const inv = inverseCounts(bars);
  for (let v = start; v < end; v++) runVariant(program, bars, exec, inv, v, acc, n, v - start);
  return acc;
}
