/**
 * Plain-JS backtests: the loop a gridta user writes today. The indicator series come from one
 * `engine.compute` call (VARIANT_MAJOR, so each series is one contiguous run of T floats); then,
 * for each strategy variant, one pass over the bars turns the series into signal bits, and a second
 * pass runs the execution model and the metrics of the backtest specification directly:
 * multiplicative equity operation by operation, the per-bar return as the literal quotient
 * E_k / E_(k−1) − 1, Welford's mean and variance with a division by k, the drawdown against the
 * running maximum of the equity (E_0 = 1 included), and the trades' returns as they close.
 *
 * Nothing here comes from gridta's backtest code: the bench checks that these metrics agree with
 * engine.backtest's within 1e-9 relative before it times either side.
 */
import type { Candles } from '../src/candles/index.js';
import type { IndicatorTensor } from '../src/compute/tensor.js';
import { METRIC_NAMES, type Execution, type MetricName } from '../src/index.js';
import type { ComputeRequest } from '../src/runtime/engine.js';

export type ComputeFn = (req: ComputeRequest) => Promise<IndicatorTensor>;

/** Metric columns: one Float64Array of V values per metric name. */
export type MetricColumns = Record<MetricName, Float64Array>;

/** One plain run: every variant's params (in the loop's order) and metrics, and where the time went. */
export interface PlainBacktestRun {
  readonly params: readonly Readonly<Record<string, number>>[];
  readonly metrics: MetricColumns;
  /** The engine.compute call that builds the indicator series. */
  readonly seriesMs: number;
  /** Everything after it: bar tables, signals, execution and metrics of every variant. */
  readonly loopMs: number;
}

/** Signal bits of one bar. */
const LONG_ENTRY = 1;
const LONG_EXIT = 2;
const SHORT_ENTRY = 4;
const SHORT_EXIT = 8;

const MS_PER_YEAR = 365.25 * 86_400_000;

/** The bar tables every variant reads: a bar is valid when open, high, low and close are all present. */
interface Bars {
  readonly t: number;
  readonly open: Float32Array;
  readonly close: Float32Array;
  readonly valid: Uint8Array;
  /** Valid bars, the span from the first to the last in years, and bars per year. */
  readonly n: number;
  readonly years: number;
  readonly annualization: number;
}

function barsOf(candles: Candles, exec: Execution): Bars {
  const { t, open, high, low, close } = candles;
  if (!open || !high || !low) throw new Error('plain backtest: the candles need open, high, low and close');
  const valid = new Uint8Array(t);
  let n = 0;
  let firstTs = 0;
  let lastTs = 0;
  for (let i = 0; i < t; i++) {
    if (open[i] !== open[i] || high[i] !== high[i] || low[i] !== low[i] || close[i] !== close[i]) continue;
    valid[i] = 1;
    const ts = Number(candles.tsOpen[i]!);
    if (n === 0) firstTs = ts;
    lastTs = ts;
    n++;
  }
  const years = (lastTs - firstTs) / MS_PER_YEAR;
  return { t, open, close, valid, n, years, annualization: exec.annualization ?? (n - 1) / years };
}

/** The decision at a bar's close: the position wanted after it (long first when both entries fire while flat). */
function decide(p: number, bits: number, side: Execution['side']): number {
  if (p === 0) {
    if (side !== 'short' && (bits & LONG_ENTRY) !== 0) return 1;
    if (side !== 'long' && (bits & SHORT_ENTRY) !== 0) return -1;
    return 0;
  }
  if (p === 1) {
    if ((bits & LONG_EXIT) === 0) return 1;
    return side === 'both' && (bits & SHORT_ENTRY) !== 0 ? -1 : 0;
  }
  if ((bits & SHORT_EXIT) === 0) return -1;
  return side === 'both' && (bits & LONG_ENTRY) !== 0 ? 1 : 0;
}

/** Trade sums of one variant: count, winners, Σ positive, Σ negative, Σ all returns. */
const TRADES = 0;
const WINS = 1;
const SUM_POS = 2;
const SUM_NEG = 3;
const SUM_RET = 4;

function closeTrade(sums: Float64Array, ret: number): void {
  sums[TRADES]! += 1;
  if (ret > 0) {
    sums[WINS]! += 1;
    sums[SUM_POS]! += ret;
  } else if (ret < 0) sums[SUM_NEG]! += ret;
  sums[SUM_RET]! += ret;
}

/**
 * One variant over the bars, from its signal bits; writes its metrics at index v. Per valid bar:
 * with fill at the next open, a pending target fills at the open, then the position is marked at
 * the close, then the decision sets the next pending target; with fill at the close, mark, decide,
 * and fill at the close. A hole does nothing.
 */
function runVariant(bits: Uint8Array, bars: Bars, exec: Execution, sums: Float64Array, cols: MetricColumns, v: number): void {
  const { t, open, close, valid } = bars;
  const f = exec.fee_bps / 1e4;
  const s = exec.slippage_bps / 1e4;
  const atOpen = exec.fill === 'next_open';
  const side = exec.side;
  sums.fill(0);
  let p = 0; // position
  let e = 1; // equity
  let r = 0; // the price the position was last marked at
  let q = 0; // pending target (fill at the next open)
  let entryE = 0; // equity right before the open trade's entry fee
  let ruined = false;
  let k = 0;
  let mean = 0;
  let m2 = 0;
  let down2 = 0;
  let peak = 1;
  let maxdd = 0;
  let exposed = 0;
  for (let i = 0; i < t; i++) {
    if (valid[i] === 0) continue;
    const before = e;
    if (atOpen) {
      if (q !== p && !ruined) {
        const price = open[i]!;
        if (p !== 0) {
          const x = price * (1 - p * s);
          e = e * (1 + p * (x / r - 1));
          e = e * (1 - f);
          if (e <= 0) {
            e = 0;
            ruined = true;
          }
          closeTrade(sums, e / entryE - 1);
          p = 0;
        }
        if (q !== 0 && !ruined) {
          entryE = e;
          e = e * (1 - f);
          p = q;
          r = price * (1 + q * s);
        }
      }
      q = p;
    }
    if (p !== 0) {
      const c = close[i]!;
      e = e * (1 + p * (c / r - 1));
      r = c;
      exposed++;
      if (e <= 0) {
        e = 0;
        ruined = true;
        closeTrade(sums, -1);
        p = 0;
        q = 0;
      }
    }
    if (!ruined) {
      const d = decide(p, bits[i]!, side);
      if (atOpen) q = d;
      else if (d !== p) {
        const price = close[i]!;
        if (p !== 0) {
          const x = price * (1 - p * s);
          e = e * (1 + p * (x / r - 1));
          e = e * (1 - f);
          if (e <= 0) {
            e = 0;
            ruined = true;
          }
          closeTrade(sums, e / entryE - 1);
          p = 0;
        }
        if (d !== 0 && !ruined) {
          entryE = e;
          e = e * (1 - f);
          p = d;
          r = price * (1 + d * s);
        }
      }
    }
    // the bar's return, Welford's update, the downside sum and the drawdown from the running maximum
    const ret = before === 0 ? 0 : e / before - 1;
    k++;
    const delta = ret - mean;
    mean += delta / k;
    m2 += delta * (ret - mean);
    if (ret < 0) down2 += ret * ret;
    if (e > peak) peak = e;
    const dd = 1 - e / peak;
    if (dd > maxdd) maxdd = dd;
  }
  // a position still open is closed virtually at the last close, without an exit fee
  if (p !== 0) closeTrade(sums, e / entryE - 1);
  writeMetrics(cols, v, bars, e, mean, m2, down2, maxdd, exposed, sums);
}

function writeMetrics(
  cols: MetricColumns,
  v: number,
  bars: Bars,
  e: number,
  mean: number,
  m2: number,
  down2: number,
  maxdd: number,
  exposed: number,
  sums: Float64Array,
): void {
  const { n, years } = bars;
  const rootA = Math.sqrt(bars.annualization);
  const sd = n < 2 ? Number.NaN : Math.sqrt(m2 / (n - 1));
  const dd = Math.sqrt(down2 / n);
  const cagr = years === 0 ? Number.NaN : e === 0 ? -1 : e ** (1 / years) - 1;
  const trades = sums[TRADES]!;
  const sumPos = sums[SUM_POS]!;
  const sumNeg = sums[SUM_NEG]!;
  cols.total_return[v] = e - 1;
  cols.cagr[v] = cagr;
  cols.volatility[v] = sd * rootA;
  cols.sharpe[v] = n < 2 || sd === 0 ? Number.NaN : (mean / sd) * rootA;
  cols.sortino[v] = dd === 0 ? Number.NaN : (mean / dd) * rootA;
  cols.max_drawdown[v] = maxdd;
  cols.calmar[v] = maxdd === 0 ? Number.NaN : cagr / maxdd;
  cols.trades[v] = trades;
  cols.win_rate[v] = trades === 0 ? Number.NaN : sums[WINS]! / trades;
  cols.profit_factor[v] = sumNeg < 0 ? sumPos / -sumNeg : sumPos > 0 ? Number.POSITIVE_INFINITY : Number.NaN;
  cols.avg_trade[v] = trades === 0 ? Number.NaN : sums[SUM_RET]! / trades;
  cols.exposure[v] = exposed / n;
}

const columns = (V: number): MetricColumns => Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(V)])) as MetricColumns;

/**
 * Signal bits from crossings, read by timeline row: `cross_above(a, b)` at t ⇔ a_t > b_t and
 * a_(t−1) ≤ b_(t−1); `cross_below` mirrors it. A NaN operand makes every comparison false, so the
 * first row, warm-up bars and holes never fire.
 */

/** ma_cross: fast crossing above slow enters long (and exits short); crossing below does the opposite. */
function maCrossBits(fast: Float32Array, slow: Float32Array, bits: Uint8Array): void {
  bits[0] = 0;
  for (let i = 1; i < bits.length; i++) {
    const x = fast[i]!;
    const y = slow[i]!;
    const x1 = fast[i - 1]!;
    const y1 = slow[i - 1]!;
    let out = 0;
    if (x > y && x1 <= y1) out |= LONG_ENTRY | SHORT_EXIT;
    if (x < y && x1 >= y1) out |= LONG_EXIT | SHORT_ENTRY;
    bits[i] = out;
  }
}

/** rsi_revert: up-crosses of the lower level enter long, of the upper level exit; shorts mirror at the upper level. */
function rsiRevertBits(rsi: Float32Array, lower: number, upper: number, bits: Uint8Array): void {
  bits[0] = 0;
  for (let i = 1; i < bits.length; i++) {
    const x = rsi[i]!;
    const x1 = rsi[i - 1]!;
    let out = 0;
    if (x > lower && x1 <= lower) out |= LONG_ENTRY;
    if (x > upper && x1 <= upper) out |= LONG_EXIT;
    if (x < upper && x1 >= upper) out |= SHORT_ENTRY;
    if (x < lower && x1 >= lower) out |= SHORT_EXIT;
    bits[i] = out;
  }
}

/** bbands_revert: the close crossing above the lower band enters long, above the basis exits; shorts mirror at the upper band. */
function bbandsRevertBits(close: Float32Array, lower: Float32Array, basis: Float32Array, upper: Float32Array, bits: Uint8Array): void {
  bits[0] = 0;
  for (let i = 1; i < bits.length; i++) {
    const x = close[i]!;
    const x1 = close[i - 1]!;
    const mid = basis[i]!;
    const mid1 = basis[i - 1]!;
    let out = 0;
    if (x > lower[i]! && x1 <= lower[i - 1]!) out |= LONG_ENTRY;
    if (x > mid && x1 <= mid1) out |= LONG_EXIT;
    if (x < upper[i]! && x1 >= upper[i - 1]!) out |= SHORT_ENTRY;
    if (x < mid && x1 >= mid1) out |= SHORT_EXIT;
    bits[i] = out;
  }
}

const since = (t0: number): number => performance.now() - t0;

/** `ma_cross` with an EMA: long when the fast EMA crosses above the slow one, out when it crosses back below. */
export async function plainMaCross(
  compute: ComputeFn,
  candles: Candles,
  grid: { readonly fast: readonly number[]; readonly slow: readonly number[] },
  exec: Execution,
): Promise<PlainBacktestRun> {
  const t0 = performance.now();
  const windows = [...new Set([...grid.fast, ...grid.slow])].sort((a, b) => a - b);
  const tensor = await compute({
    candles,
    grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: windows } },
    layout: 'VARIANT_MAJOR',
  });
  const seriesMs = since(t0);
  const t1 = performance.now();
  const T = candles.t;
  const values = tensor.output('value');
  const ema = new Map(
    windows.map((w) => {
      const at = tensor.variantIndex({ source: 'close', window: w }) * T;
      return [w, values.subarray(at, at + T)];
    }),
  );
  const bars = barsOf(candles, exec);
  const params: Record<string, number>[] = [];
  for (const fast of grid.fast) for (const slow of grid.slow) if (fast < slow) params.push({ fast, slow });
  const cols = columns(params.length);
  const bits = new Uint8Array(T);
  const sums = new Float64Array(5);
  params.forEach(({ fast, slow }, v) => {
    maCrossBits(ema.get(fast!)!, ema.get(slow!)!, bits);
    runVariant(bits, bars, exec, sums, cols, v);
  });
  return { params, metrics: cols, seriesMs, loopMs: since(t1) };
}

/** `rsi_revert`: long when the RSI crosses above the lower level, out when it crosses above the upper one. */
export async function plainRsiRevert(
  compute: ComputeFn,
  candles: Candles,
  grid: { readonly window: readonly number[]; readonly lower: readonly number[]; readonly upper: readonly number[] },
  exec: Execution,
): Promise<PlainBacktestRun> {
  const t0 = performance.now();
  const tensor = await compute({
    candles,
    grid: { indicatorId: 'momentum.rsi', source: ['close'], params: { window: [...grid.window] } },
    layout: 'VARIANT_MAJOR',
  });
  const seriesMs = since(t0);
  const t1 = performance.now();
  const T = candles.t;
  const values = tensor.output('rsi');
  const bars = barsOf(candles, exec);
  const params: Record<string, number>[] = [];
  for (const window of grid.window)
    for (const lower of grid.lower) for (const upper of grid.upper) if (lower < upper) params.push({ window, lower, upper });
  const cols = columns(params.length);
  const bits = new Uint8Array(T);
  const sums = new Float64Array(5);
  params.forEach(({ window, lower, upper }, v) => {
    const at = tensor.variantIndex({ source: 'close', window: window! }) * T;
    rsiRevertBits(values.subarray(at, at + T), lower!, upper!, bits);
    runVariant(bits, bars, exec, sums, cols, v);
  });
  return { params, metrics: cols, seriesMs, loopMs: since(t1) };
}

/** `bbands_revert`: long when the close crosses above the lower band, out when it crosses above the basis. */
export async function plainBbandsRevert(
  compute: ComputeFn,
  candles: Candles,
  grid: { readonly window: readonly number[]; readonly mult: readonly number[] },
  exec: Execution,
): Promise<PlainBacktestRun> {
  const t0 = performance.now();
  const tensor = await compute({
    candles,
    grid: { indicatorId: 'volatility.bbands', source: ['close'], params: { window: [...grid.window], mult: [...grid.mult] } },
    layout: 'VARIANT_MAJOR',
    outputs: ['lower', 'basis', 'upper'],
  });
  const seriesMs = since(t0);
  const t1 = performance.now();
  const T = candles.t;
  const [lower, basis, upper] = ['lower', 'basis', 'upper'].map((o) => tensor.output(o));
  const bars = barsOf(candles, exec);
  const params: Record<string, number>[] = [];
  for (const window of grid.window) for (const mult of grid.mult) params.push({ window, mult });
  const cols = columns(params.length);
  const bits = new Uint8Array(T);
  const sums = new Float64Array(5);
  params.forEach(({ window, mult }, v) => {
    const at = tensor.variantIndex({ source: 'close', window: window!, mult: mult! }) * T;
    const cut = (x: Float32Array): Float32Array => x.subarray(at, at + T);
    bbandsRevertBits(candles.close, cut(lower!), cut(basis!), cut(upper!), bits);
    runVariant(bits, bars, exec, sums, cols, v);
  });
  return { params, metrics: cols, seriesMs, loopMs: since(t1) };
}
