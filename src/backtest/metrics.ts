/**
 * Metrics from the per-variant accumulators, for the reference and the kernel alike (one function,
 * so the final powers and square roots are the same operations whichever engine accumulated).
 */
import {
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
  METRIC_NAMES,
  type BarInputs,
  type Execution,
  type MetricName,
} from './program.js';

const MS_PER_YEAR = 365.25 * 86_400_000;

/** The scored rows' valid-bar count n, span in years, and bars per year (the option, or (n − 1) / years). */
export interface Horizon {
  readonly n: number;
  readonly years: number;
  readonly annualization: number;
}

export function horizonOf(bars: BarInputs, exec: Execution): Horizon {
  let n = 0;
  let firstTs = 0;
  let lastTs = 0;
  for (let row = bars.first; row < bars.end; row++) {
    if (!bars.valid[row]) continue;
    if (n === 0) firstTs = bars.tsMs[row]!;
    lastTs = bars.tsMs[row]!;
    n++;
  }
  const years = (lastTs - firstTs) / MS_PER_YEAR;
  return { n, years, annualization: exec.annualization ?? (n - 1) / years };
}

export type Metrics = Record<MetricName, number>;

/** The metrics of one variant from its accumulators (`acc[ACC_* · stride + at]`). */
export function metricsOf(acc: Float64Array, stride: number, at: number, h: Horizon): Metrics {
  const get = (k: number): number => acc[k * stride + at]!;
  const e = get(ACC_EQUITY);
  const mean = get(ACC_MEAN);
  const trades = get(ACC_TRADES);
  const maxdd = get(ACC_MAXDD);
  const rootA = Math.sqrt(h.annualization);
  const sd = h.n < 2 ? Number.NaN : Math.sqrt(get(ACC_M2) / (h.n - 1));
  const dd = Math.sqrt(get(ACC_DOWN2) / h.n);
  const cagr = h.years === 0 ? Number.NaN : e === 0 ? -1 : e ** (1 / h.years) - 1;
  const sumPos = get(ACC_SUM_POS);
  const sumNeg = get(ACC_SUM_NEG);
  return {
    total_return: e - 1,
    cagr,
    volatility: sd * rootA,
    sharpe: sd === 0 || Number.isNaN(sd) ? Number.NaN : (mean / sd) * rootA,
    sortino: dd === 0 ? Number.NaN : (mean / dd) * rootA,
    max_drawdown: maxdd,
    calmar: maxdd === 0 ? Number.NaN : cagr / maxdd,
    trades,
    win_rate: trades === 0 ? Number.NaN : get(ACC_WINS) / trades,
    profit_factor: sumNeg === 0 ? (sumPos > 0 ? Number.POSITIVE_INFINITY : Number.NaN) : sumPos / -sumNeg,
    avg_trade: trades === 0 ? Number.NaN : get(ACC_SUM_RET) / trades,
    exposure: get(ACC_EXPOSED) / h.n,
  };
}

/** Column-major metrics of `count` variants: one Float64Array per metric. */
export function metricColumns(acc: Float64Array, count: number, h: Horizon): Record<MetricName, Float64Array> {
  const cols = Object.fromEntries(METRIC_NAMES.map((m) => [m, new Float64Array(count)])) as Record<MetricName, Float64Array>;
  for (let v = 0; v < count; v++) {
    const m = metricsOf(acc, count, v, h);
    for (const name of METRIC_NAMES) cols[name][v] = m[name];
  }
  return cols;
}
