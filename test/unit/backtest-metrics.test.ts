/**
 * The metrics' edge cases of spec backtest.md §3, on the finaliser (metricsOf, horizonOf) with
 * accumulators set by hand, and end to end on a few bars through the reference and the second
 * implementation of the test helpers: n < 2, sd = 0, a downside deviation of 0, a max drawdown of
 * 0, no trades, a profit factor of +∞ or NaN, cagr of a ruined variant, a span of 0 years, exposure.
 */
import { expectMetricsClose } from '../helpers/backtest.js';
import { describe, expect, it } from 'vitest';
import { horizonOf, metricsOf, type Horizon, type Metrics } from '../../src/backtest/metrics.js';
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
} from '../../src/backtest/program.js';
import { DAY_MS, aboveConst, barsOf, execOf, programOf, runReference, simulate } from '../helpers/backtest.js';

const YEAR_MS = 365.25 * 86_400_000;
const nan = Number.NaN;

interface Acc {
  equity?: number;
  mean?: number;
  m2?: number;
  down2?: number;
  maxdd?: number;
  trades?: number;
  wins?: number;
  sumPos?: number;
  sumNeg?: number;
  sumRet?: number;
  exposed?: number;
}

/** Metrics of one variant from accumulators given by name (0 unless given; equity 1). */
function metricsFrom(a: Acc, h: Horizon): Metrics {
  const acc = new Float64Array(ACC_COUNT);
  acc[ACC_EQUITY] = a.equity ?? 1;
  acc[ACC_MEAN] = a.mean ?? 0;
  acc[ACC_M2] = a.m2 ?? 0;
  acc[ACC_DOWN2] = a.down2 ?? 0;
  acc[ACC_MAXDD] = a.maxdd ?? 0;
  acc[ACC_TRADES] = a.trades ?? 0;
  acc[ACC_WINS] = a.wins ?? 0;
  acc[ACC_SUM_POS] = a.sumPos ?? 0;
  acc[ACC_SUM_NEG] = a.sumNeg ?? 0;
  acc[ACC_SUM_RET] = a.sumRet ?? 0;
  acc[ACC_EXPOSED] = a.exposed ?? 0;
  return metricsOf(acc, 1, 0, h);
}

/** A year of daily bars: n = 366, years = 365 / 365.25, A = 365 / years. */
const YEAR: Horizon = { n: 366, years: (365 * DAY_MS) / YEAR_MS, annualization: 365 / ((365 * DAY_MS) / YEAR_MS) };

describe('metricsOf at the edges', () => {
  it('gives volatility and sharpe NaN when n < 2', () => {
    const one: Horizon = { n: 1, years: 0, annualization: 252 };
    const m = metricsFrom({ mean: -0.001, down2: 0.001 * 0.001 }, one);
    expect(m.volatility).toBeNaN();
    expect(m.sharpe).toBeNaN();
    // the downside deviation is defined with one bar: sortino = mean / √(down2 / 1) · √A
    expect(m.sortino).toBe((-0.001 / Math.sqrt((0.001 * 0.001) / 1)) * Math.sqrt(252));
  });

  it('gives sharpe NaN and volatility 0 when sd = 0', () => {
    const m = metricsFrom({ equity: 1.5, mean: 0.01, m2: 0 }, YEAR);
    expect(m.volatility).toBe(0);
    expect(m.sharpe).toBeNaN();
  });

  it('gives sortino NaN when no return is negative, and the plain ratios otherwise', () => {
    expect(metricsFrom({ mean: 0.01, m2: 0.04, down2: 0 }, YEAR).sortino).toBeNaN();
    const m = metricsFrom({ mean: 0.01, m2: 0.04, down2: 0.0366 }, YEAR);
    const rootA = Math.sqrt(YEAR.annualization);
    expect(m.volatility).toBe(Math.sqrt(0.04 / 365) * rootA);
    expect(m.sharpe).toBe((0.01 / Math.sqrt(0.04 / 365)) * rootA);
    expect(m.sortino).toBe((0.01 / Math.sqrt(0.0366 / 366)) * rootA);
  });

  it('gives calmar NaN when the max drawdown is 0, and cagr / max drawdown otherwise', () => {
    const cagr = 1.21 ** (1 / YEAR.years) - 1;
    expect(metricsFrom({ equity: 1.21, maxdd: 0 }, YEAR)).toMatchObject({ cagr, max_drawdown: 0, calmar: nan });
    expect(metricsFrom({ equity: 1.21, maxdd: 0.25 }, YEAR)).toMatchObject({ cagr, max_drawdown: 0.25, calmar: cagr / 0.25 });
  });

  it('gives win rate, profit factor and average trade NaN without trades', () => {
    expect(metricsFrom({}, YEAR)).toMatchObject({ trades: 0, win_rate: nan, profit_factor: nan, avg_trade: nan });
  });

  it('gives a profit factor of +∞ with winners and no loser, NaN with neither, 0 with losers only', () => {
    expect(metricsFrom({ trades: 2, wins: 2, sumPos: 0.3, sumRet: 0.3 }, YEAR)).toMatchObject({
      win_rate: 1,
      profit_factor: Number.POSITIVE_INFINITY,
      avg_trade: 0.3 / 2,
    });
    // two trades that returned exactly 0: neither a winner nor a loser
    expect(metricsFrom({ trades: 2 }, YEAR)).toMatchObject({ win_rate: 0, profit_factor: nan, avg_trade: 0 });
    expect(metricsFrom({ trades: 3, sumNeg: -0.2, sumRet: -0.2 }, YEAR)).toMatchObject({
      win_rate: 0,
      profit_factor: 0,
      avg_trade: -0.2 / 3,
    });
    expect(metricsFrom({ trades: 3, wins: 1, sumPos: 0.5, sumNeg: -0.2, sumRet: 0.3 }, YEAR).profit_factor).toBe(0.5 / 0.2);
  });

  it('gives cagr −1 when equity is 0, and NaN when the span is 0 years', () => {
    expect(metricsFrom({ equity: 0, maxdd: 1, trades: 1, sumNeg: -1, sumRet: -1 }, YEAR)).toMatchObject({
      total_return: -1,
      cagr: -1,
      max_drawdown: 1,
      calmar: -1,
    });
    const zero: Horizon = { n: 1, years: 0, annualization: nan };
    expect(metricsFrom({ equity: 1.1 }, zero).cagr).toBeNaN();
    // years = 0 decides before a ruin: no growth rate exists over no time
    expect(metricsFrom({ equity: 0 }, zero).cagr).toBeNaN();
  });

  it('gives exposure as exposed bars over n', () => {
    expect(metricsFrom({ exposed: 122 }, YEAR).exposure).toBe(122 / 366);
    expect(metricsFrom({ exposed: 366 }, YEAR).exposure).toBe(1);
  });
});

describe('horizonOf', () => {
  it('counts valid bars, spans from the first to the last valid bar, and observes bars per year', () => {
    // rows 0 and 5 are holes: n = 4 valid bars, rows 1..4, a span of 3 days
    const bars = barsOf({ open: [nan, 1, 1, 1, 1, nan], close: [nan, 1, 1, 1, 1, nan] });
    const years = (4 * DAY_MS - 1 * DAY_MS) / YEAR_MS;
    expect(horizonOf(bars, execOf())).toEqual({ n: 4, years, annualization: 3 / years });
    expect(horizonOf(bars, execOf({ annualization: 252 }))).toEqual({ n: 4, years, annualization: 252 });
  });

  it('reads bar times as given, and takes a row with any price missing for a hole', () => {
    // sessions at days 0, 1, 3, 10 and 11; row 1 lacks its high, row 4 its low: valid rows 0, 2, 3
    const bars = barsOf({
      open: [5, 5, 5, 5, 5],
      close: [5, 5, 5, 5, 5],
      high: [5, nan, 5, 5, 5],
      low: [5, 5, 5, 5, nan],
      tsMs: [0, 1, 3, 10, 11].map((d) => d * DAY_MS),
    });
    expect(Array.from(bars.valid)).toEqual([1, 0, 1, 1, 0]);
    const years = (10 * DAY_MS - 0) / YEAR_MS;
    expect(horizonOf(bars, execOf())).toEqual({ n: 3, years, annualization: 2 / years });
  });

  it('reads the scored rows only', () => {
    const bars = barsOf({ open: [1, 1, 1, 1, 1, 1], close: [1, 1, 1, 1, 1, 1] }, [], 2, 5);
    const years = (4 * DAY_MS - 2 * DAY_MS) / YEAR_MS;
    expect(horizonOf(bars, execOf())).toEqual({ n: 3, years, annualization: 2 / years });
  });
});

describe('metrics at the edges, end to end', () => {
  // long entry: series 0 above 0 (always true here); fill 'close'
  const always = programOf({ signals: { long_entry: aboveConst(0, 0) } });
  const both = (bars: ReturnType<typeof barsOf>, exec: ReturnType<typeof execOf>): Metrics => {
    const ref = runReference(always, bars, exec).metrics;
    // the second implementation divides for the mean where the reference multiplies by 1/k: a rounding apart
    expectMetricsClose(simulate(always, bars, exec).metrics, ref, 'the second implementation', 1e-14);
    return ref;
  };

  it('one valid bar: n < 2 and a span of 0 years', () => {
    // rows 0 and 2 are holes; row 1: enter long at 100 with fee f = 0.001: E = 0.999, r = E / 1 − 1;
    // the trade is open at the end (virtual close at 100, no exit fee); its close is the entry's, so
    // no bar found it open: exposure 0
    const bars = barsOf({ open: [nan, 100, nan], close: [nan, 100, nan] }, [[1, 1, 1]]);
    const e = 1 * (1 - 10 / 1e4);
    const m = both(bars, execOf({ fill: 'close', fee_bps: 10 }));
    expect(m).toEqual({
      total_return: e - 1,
      cagr: nan,
      volatility: nan,
      sharpe: nan,
      sortino: nan, // A = (1 − 1) / 0 is NaN
      max_drawdown: 1 - e / 1,
      calmar: nan,
      trades: 1,
      win_rate: 0,
      profit_factor: 0, // one loser: 0 / |r|
      avg_trade: e / 1 - 1,
      exposure: 0,
    });
    // with the annualization given, sortino of one negative return r is r / √(r² / 1) · √A = −√252
    expect(both(bars, execOf({ fill: 'close', fee_bps: 10, annualization: 252 })).sortino).toBe(-Math.sqrt(252));
  });

  it('a flat price held long: every return 0, sd = 0, no drawdown, a trade that neither wins nor loses', () => {
    // five bars at 50; enter at the first close without fee; held at 4 closes; open at the end, return 0
    const bars = barsOf({ open: [50, 50, 50, 50, 50], close: [50, 50, 50, 50, 50] }, [[1, 1, 1, 1, 1]]);
    const m = both(bars, execOf({ fill: 'close' }));
    expect(m).toEqual({
      total_return: 0,
      cagr: 0,
      volatility: 0,
      sharpe: nan,
      sortino: nan,
      max_drawdown: 0,
      calmar: nan,
      trades: 1,
      win_rate: 0,
      profit_factor: nan,
      avg_trade: 0,
      exposure: 4 / 5,
    });
  });

  it('a rising price held long: winners only, profit factor +∞, sortino NaN', () => {
    // enter at 40 (close of row 0), marks at 44 and 48: E_2 = (1 + (44 / 40 − 1))·(1 + (48 / 44 − 1))
    const bars = barsOf({ open: [40, 40, 44], close: [40, 44, 48] }, [[1, 1, 1]]);
    const e2 = 1 * (1 + (44 / 40 - 1)) * (1 + (48 / 44 - 1));
    const m = both(bars, execOf({ fill: 'close' }));
    expect(m).toMatchObject({
      total_return: e2 - 1,
      trades: 1,
      win_rate: 1,
      profit_factor: Number.POSITIVE_INFINITY,
      avg_trade: e2 / 1 - 1,
    });
    expect(m.sortino).toBeNaN();
    expect(m.max_drawdown).toBe(0);
    expect(m.exposure).toBe(2 / 3);
    expect(m.sharpe).toBeGreaterThan(0);
  });

  it('no valid bar at all: nothing is defined but the totals', () => {
    const bars = barsOf({ open: [nan, nan], close: [nan, nan] }, [[1, 1]]);
    const m = both(bars, execOf());
    expect(m).toMatchObject({ total_return: 0, trades: 0, max_drawdown: 0, cagr: nan, volatility: nan, sharpe: nan, exposure: nan });
  });
});
