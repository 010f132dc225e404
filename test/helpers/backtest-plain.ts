/**
 * A second, straightforward implementation of the execution model and the metrics, written from
 * the spec's text rather than from the reference: equity multiplied operation by operation, the
 * per-bar return as the quotient E_k / E_(k−1) − 1, Welford with a division by k, the drawdown
 * against the running peak at every bar. The reference may share per-bar tables and reorder
 * nothing that changes more than a rounding, so the two agree within 1e-9 relative. Rules are
 * evaluated with the reference's signalBits (the rule semantics have their own tests).
 */
import { METRIC_NAMES, type Execution, type MetricName, type StrategyProgram } from '../../src/backtest/program.js';
import { signalBits } from '../../src/backtest/reference.js';

const MS_PER_YEAR = 365.25 * 86_400_000;

export interface PlainBars {
  readonly open: ArrayLike<number>;
  readonly close: ArrayLike<number>;
  readonly valid: ArrayLike<number>;
  readonly tsMs: ArrayLike<number>;
  readonly series: readonly Float32Array[];
}

const LONG_ENTRY = 1;
const LONG_EXIT = 2;
const SHORT_ENTRY = 4;
const SHORT_EXIT = 8;

function target(p: number, bits: number, side: Execution['side']): number {
  const long = side !== 'short';
  const short = side !== 'long';
  if (p === 0) {
    if (long && bits & LONG_ENTRY) return 1;
    if (short && bits & SHORT_ENTRY) return -1;
    return 0;
  }
  if (p === 1) {
    if (!(bits & LONG_EXIT)) return 1;
    return side === 'both' && bits & SHORT_ENTRY ? -1 : 0;
  }
  if (!(bits & SHORT_EXIT)) return -1;
  return side === 'both' && bits & LONG_ENTRY ? 1 : 0;
}

/** The §3 metrics of variant v over rows [first, end), from a plain run of §2. */
export function plainMetrics(
  program: StrategyProgram,
  bars: PlainBars,
  exec: Execution,
  v: number,
  first: number,
  end: number,
): Record<MetricName, number> {
  const f = exec.fee_bps / 1e4;
  const s = exec.slippage_bps / 1e4;
  let E = 1;
  let p = 0;
  let R = 0;
  let q = 0;
  let ruined = false;
  let entryE = 0;
  const tradeReturns: number[] = [];
  const returns: number[] = [];
  const equity: number[] = [];
  const times: number[] = [];
  let exposed = 0;

  const ruinIfNeeded = (): void => {
    if (E > 0) return;
    E = 0;
    if (p !== 0) tradeReturns.push(E / entryE - 1);
    p = 0;
    q = 0;
    ruined = true;
  };
  const exitAt = (x: number): void => {
    E = E * (1 + p * (x / R - 1));
    E = E * (1 - f);
    if (E <= 0) {
      ruinIfNeeded();
      return;
    }
    tradeReturns.push(E / entryE - 1);
    p = 0;
  };
  const enter = (d: number, n: number): void => {
    entryE = E;
    E = E * (1 - f);
    p = d;
    R = n;
  };
  const mark = (c: number): void => {
    if (p === 0) return;
    exposed++;
    E = E * (1 + p * (c / R - 1));
    R = c;
    ruinIfNeeded();
  };
  const fill = (d: number, price: number): void => {
    if (p !== 0) exitAt(price * (1 - p * s));
    if (d !== 0 && !ruined) enter(d, price * (1 + d * s));
  };

  for (let row = first; row < end; row++) {
    if (!bars.valid[row]) continue;
    const before = E;
    const c = bars.close[row]!;
    if (exec.fill === 'close') {
      mark(c);
      if (!ruined) {
        const d = target(p, signalBits(program, bars.series, v, row), exec.side);
        if (d !== p) fill(d, c);
      }
    } else {
      if (q !== p && !ruined) fill(q, bars.open[row]!);
      q = p;
      mark(c);
      if (!ruined) q = target(p, signalBits(program, bars.series, v, row), exec.side);
    }
    returns.push(before === 0 ? 0 : E / before - 1);
    equity.push(E);
    times.push(bars.tsMs[row]!);
  }
  if (p !== 0) tradeReturns.push(E / entryE - 1);

  const n = returns.length;
  let k = 0;
  let mean = 0;
  let m2 = 0;
  let down = 0;
  for (const r of returns) {
    k += 1;
    const delta = r - mean;
    mean += delta / k;
    m2 += delta * (r - mean);
    down += Math.min(r, 0) ** 2;
  }
  let peak = 1;
  let maxdd = 0;
  for (const e of equity) {
    peak = Math.max(peak, e);
    maxdd = Math.max(maxdd, 1 - e / peak);
  }
  const years = (times[n - 1]! - times[0]!) / MS_PER_YEAR;
  const A = exec.annualization ?? (n - 1) / years;
  const sd = Math.sqrt(m2 / (n - 1));
  const dd = Math.sqrt(down / n);
  const cagr = years === 0 ? Number.NaN : E === 0 ? -1 : E ** (1 / years) - 1;
  const wins = tradeReturns.filter((r) => r > 0);
  const losses = tradeReturns.filter((r) => r < 0);
  const sumPos = wins.reduce((a, b) => a + b, 0);
  const sumNeg = losses.reduce((a, b) => a + b, 0);
  const trades = tradeReturns.length;
  return {
    total_return: E - 1,
    cagr,
    volatility: n < 2 ? Number.NaN : sd * Math.sqrt(A),
    sharpe: n < 2 || sd === 0 ? Number.NaN : (mean / sd) * Math.sqrt(A),
    sortino: dd === 0 ? Number.NaN : (mean / dd) * Math.sqrt(A),
    max_drawdown: maxdd,
    calmar: maxdd === 0 ? Number.NaN : cagr / maxdd,
    trades,
    win_rate: trades === 0 ? Number.NaN : wins.length / trades,
    profit_factor: losses.length === 0 ? (wins.length > 0 ? Number.POSITIVE_INFINITY : Number.NaN) : sumPos / -sumNeg,
    avg_trade: trades === 0 ? Number.NaN : tradeReturns.reduce((a, b) => a + b, 0) / trades,
    exposure: exposed / n,
  };
}

/**
 * Whether two metric values agree within 1e-9 relative: NaN with NaN, infinities exactly, and
 * values whose magnitude is below 1e-6 within 1e-15 absolute (a quotient of nearly equal equities).
 */
export function within1e9(a: number, b: number): boolean {
  if (Number.isNaN(a) || Number.isNaN(b)) return Number.isNaN(a) && Number.isNaN(b);
  if (!Number.isFinite(a) || !Number.isFinite(b)) return a === b;
  return Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b), 1e-6);
}

/** The first metric of `got` (column-major, variant v) farther than 1e-9 relative from the plain run, or null. */
export function plainMismatch(
  got: Readonly<Record<MetricName, ArrayLike<number>>>,
  v: number,
  want: Record<MetricName, number>,
): string | null {
  for (const m of METRIC_NAMES) if (!within1e9(got[m][v]!, want[m])) return `${m} of variant ${v}: ${got[m][v]} vs plain ${want[m]}`;
  return null;
}
