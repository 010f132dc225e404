/**
 * Hand-worked backtests: a few daily bars, one signal series x (the rules compare it with 0), the
 * trades and the equity path worked out in the comments, and the reference (src/backtest) held to
 * the written arithmetic: trades, equity curve and accumulators exactly, the metrics exactly where
 * their arithmetic is the written one and within 1e-12 where the reference's one-pass moments
 * (Welford, multiplying by 1/k) differ from the written two-pass formula by roundings. The second
 * implementation of the test helpers must give the same trades and equity and agree on the metrics.
 *
 * Notation: f = fee_bps / 1e4, s = slippage_bps / 1e4, E_k the equity after valid bar k, r_k the
 * reference's per-bar return (E_k / E_(k−1) − 1 on a bar with a fill or a ruin, the mark factor
 * minus 1 on a bar that only marks, 0 when flat). Bar i opens at i days (ms from 0).
 */
import { describe, expect, it } from 'vitest';
import { horizonOf, metricsOf } from '../../src/backtest/metrics.js';
import {
  ACC_DOWN2,
  ACC_EQUITY,
  ACC_EXPOSED,
  ACC_MAXDD,
  ACC_SUM_NEG,
  ACC_SUM_POS,
  ACC_SUM_RET,
  ACC_TRADES,
  ACC_WINS,
  type BarInputs,
  type Execution,
  type StrategyProgram,
  type Trade,
} from '../../src/backtest/program.js';
import { referenceAccumulators } from '../../src/backtest/reference.js';
import {
  DAY_MS,
  aboveConst,
  barsOf,
  crossAbove,
  crossBelow,
  execOf,
  not,
  any,
  programOf,
  runReference,
  simulate,
  val,
  closeRel,
} from '../helpers/backtest.js';

const YEAR_MS = 365.25 * 86_400_000;
const nan = Number.NaN;
const f = 10 / 1e4;
const s = 5 / 1e4;

/** x crosses above 0: long entry (and short exit); x crosses below 0: long exit (and short entry). */
const crossProgram = programOf({
  signals: {
    long_entry: crossAbove(0, val(0)),
    long_exit: crossBelow(0, val(0)),
    short_entry: crossBelow(0, val(0)),
    short_exit: crossAbove(0, val(0)),
  },
});

interface Worked {
  /** Equity per row after its operations, NaN at holes. */
  readonly equity: readonly number[];
  /** The reference's per-bar return of each valid bar, in bar order. */
  readonly returns: readonly number[];
  readonly maxDrawdown: number;
  /** Valid bars whose close found a position open. */
  readonly exposed: number;
  readonly trades: readonly Trade[];
}

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const sampleSd = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, x) => a + (x - m) * (x - m), 0) / (xs.length - 1));
};

/**
 * Runs variant v of the program through the reference and the second implementation and holds
 * both to the worked example. Metrics follow §3 from the worked values: the exact ones as written,
 * the moment-based ones (volatility, sharpe, sortino) within 1e-12 of the two-pass formulas.
 */
function expectWorked(program: StrategyProgram, bars: BarInputs, exec: Execution, want: Worked, v = 0): void {
  const ref = runReference(program, bars, exec, v);
  expect(ref.trades, 'reference trades').toEqual(want.trades);
  expect(Array.from(ref.equity), 'reference equity curve').toEqual(want.equity);

  // the Stage A path (accumulators of every variant, no sink) leaves the same accumulators
  const acc = referenceAccumulators(program, bars, exec, 0, program.variants);
  const at = (k: number): number => acc[k * program.variants + v]!;
  const valid = want.equity.filter((e) => !Number.isNaN(e));
  const n = valid.length;
  const en = valid[n - 1]!;
  expect(want.returns.length, 'one worked return per valid bar').toBe(n);
  const tradeReturns = want.trades.map((t) => t.return);
  const winners = tradeReturns.filter((r) => r > 0);
  const losers = tradeReturns.filter((r) => r < 0);
  expect(at(ACC_EQUITY), 'equity').toBe(en);
  expect(at(ACC_DOWN2), 'sum of squared negative returns').toBe(want.returns.reduce((a, r) => (r < 0 ? a + r * r : a), 0));
  expect(at(ACC_MAXDD), 'max drawdown').toBe(want.maxDrawdown);
  expect(at(ACC_EXPOSED), 'exposed bars').toBe(want.exposed);
  expect(at(ACC_TRADES), 'trades').toBe(want.trades.length);
  expect(at(ACC_WINS), 'winners').toBe(winners.length);
  expect(at(ACC_SUM_POS), 'sum of winning returns').toBe(winners.reduce((a, r) => a + r, 0));
  expect(at(ACC_SUM_NEG), 'sum of losing returns').toBe(losers.reduce((a, r) => a + r, 0));
  expect(at(ACC_SUM_RET), 'sum of trade returns').toBe(tradeReturns.reduce((a, r) => a + r, 0));

  const rows = want.equity.flatMap((e, row) => (Number.isNaN(e) ? [] : [row]));
  const years = (rows[n - 1]! * DAY_MS - rows[0]! * DAY_MS) / YEAR_MS;
  const h = horizonOf(bars, exec);
  expect(h).toEqual({ n, years, annualization: exec.annualization ?? (n - 1) / years });
  const m = metricsOf(acc, program.variants, v, h);
  expect(m, 'metrics of the Stage A path and of the replay').toEqual(ref.metrics);
  const cagr = en === 0 ? -1 : en ** (1 / years) - 1;
  expect(m.total_return, 'total_return').toBe(en - 1);
  expect(m.cagr, 'cagr').toBe(cagr);
  expect(m.max_drawdown, 'max_drawdown').toBe(want.maxDrawdown);
  expect(m.calmar, 'calmar').toBe(want.maxDrawdown === 0 ? Number.NaN : cagr / want.maxDrawdown);
  expect(m.trades, 'trades').toBe(want.trades.length);
  expect(m.win_rate, 'win_rate').toBe(want.trades.length === 0 ? Number.NaN : winners.length / want.trades.length);
  const pos = winners.reduce((a, r) => a + r, 0);
  const neg = losers.reduce((a, r) => a + r, 0);
  expect(m.profit_factor, 'profit_factor').toBe(
    losers.length > 0 ? pos / -neg : winners.length > 0 ? Number.POSITIVE_INFINITY : Number.NaN,
  );
  expect(m.avg_trade, 'avg_trade').toBe(
    want.trades.length === 0 ? Number.NaN : tradeReturns.reduce((a, r) => a + r, 0) / want.trades.length,
  );
  expect(m.exposure, 'exposure').toBe(want.exposed / n);

  const rootA = Math.sqrt(h.annualization);
  const sd = sampleSd(want.returns);
  const dd = Math.sqrt(want.returns.reduce((a, r) => a + Math.min(r, 0) ** 2, 0) / n);
  const near = (got: number, expected: number, what: string) =>
    expect(closeRel(got, expected, 1e-12), `${what}: ${got}, worked ${expected}`).toBe(true);
  near(m.volatility, sd * rootA, 'volatility');
  near(m.sharpe, sd === 0 ? Number.NaN : (mean(want.returns) / sd) * rootA, 'sharpe');
  near(m.sortino, dd === 0 ? Number.NaN : (mean(want.returns) / dd) * rootA, 'sortino');

  const second = simulate(program, bars, exec, v);
  expect(second.trades, 'second implementation trades').toEqual(want.trades);
  expect(Array.from(second.equity), 'second implementation equity curve').toEqual(want.equity);
  for (const [k, x] of Object.entries(second.metrics)) near(m[k as keyof typeof m], x, `second implementation ${k}`);
}

const trade = (t: Omit<Trade, 'entry_ts' | 'exit_ts'>): Trade => ({
  ...t,
  entry_ts: t.entry_bar * DAY_MS,
  exit_ts: t.exit_bar === null ? null : t.exit_bar * DAY_MS,
});

describe('fees and slippage on both legs', () => {
  //   row  open  close  x    decision (next_open)          fill at this open           mark at this close
  //   0    100   100    0
  //   1    100   101    1    x crosses above 0 → target +1
  //   2    102   104    1                                  enter long at 102·(1 + s)   E·(1 + (104 / 102(1 + s) − 1))
  //   3    103   106    −1   x crosses below 0 → target 0                              E·(1 + (106 / 104 − 1))
  //   4    108   107    −1                                 exit at 108·(1 − s), fee
  //   5    107   105    −1
  // E_2 = 1·(1 − f)·(1 + (104 / (102·(1 + s)) − 1)), E_3 = E_2·(1 + (106 / 104 − 1)),
  // E_4 = E_3·(1 + (108·(1 − s) / 106 − 1))·(1 − f). The path never falls: max drawdown 0, calmar NaN,
  // no negative return: sortino NaN; one winner: profit factor +∞.
  const bars = barsOf({ open: [100, 100, 102, 103, 108, 107], close: [100, 101, 104, 106, 107, 105] }, [[0, 1, 1, -1, -1, -1]]);
  const e2 = 1 * (1 - f) * (1 + (104 / (102 * (1 + s)) - 1));
  const e3 = e2 * (1 + (106 / 104 - 1));
  const e4 = e3 * (1 + ((108 * (1 - s)) / 106 - 1)) * (1 - f);

  it('charges the fee on entry and exit and slips both fills against a long at next_open', () => {
    expectWorked(crossProgram, bars, execOf({ fill: 'next_open', fee_bps: 10, slippage_bps: 5 }), {
      equity: [1, 1, e2, e3, e4, e4],
      returns: [0, 0, e2 / 1 - 1, 1 + (106 / 104 - 1) - 1, e4 / e3 - 1, 0],
      maxDrawdown: 0,
      exposed: 2,
      trades: [
        trade({
          side: 'long',
          entry_bar: 2,
          entry_price: 102 * (1 + s),
          exit_bar: 4,
          exit_price: 108 * (1 - s),
          bars_held: 2,
          return: e4 / 1 - 1,
          open: false,
        }),
      ],
    });
  });

  // The same bars with fill 'close': the decision fills at the deciding bar's close.
  //   row 1: enter long at 101·(1 + s): E_1 = 1·(1 − f), a loss of the fee (the path's only dip)
  //   row 2: mark: E_2 = E_1·(1 + (104 / (101·(1 + s)) − 1))
  //   row 3: mark E_2·(1 + (106 / 104 − 1)), then x crosses below: exit at 106·(1 − s), fee:
  //          E_3 = E_2·(1 + (106 / 104 − 1))·(1 + (106·(1 − s) / 106 − 1))·(1 − f)
  // Drawdown: 1 − E_1 / 1 (E_2 and E_3 are new peaks).
  it('fills at the close of the deciding bar with fill close', () => {
    const c1 = 1 * (1 - f);
    const c2 = c1 * (1 + (104 / (101 * (1 + s)) - 1));
    const c3 = c2 * (1 + (106 / 104 - 1)) * (1 + ((106 * (1 - s)) / 106 - 1)) * (1 - f);
    expectWorked(crossProgram, bars, execOf({ fill: 'close', fee_bps: 10, slippage_bps: 5 }), {
      equity: [1, c1, c2, c3, c3, c3],
      returns: [0, c1 / 1 - 1, 1 + (104 / (101 * (1 + s)) - 1) - 1, c3 / c2 - 1, 0, 0],
      maxDrawdown: 1 - c1 / 1,
      exposed: 2,
      trades: [
        trade({
          side: 'long',
          entry_bar: 1,
          entry_price: 101 * (1 + s),
          exit_bar: 3,
          exit_price: 106 * (1 - s),
          bars_held: 2,
          return: c3 / 1 - 1,
          open: false,
        }),
      ],
    });
  });
});

describe('a hole inside a trade', () => {
  //   row  open  close  x     next_open, fee f, no slippage
  //   0    100   100    0
  //   1    100   102    1     x crosses above → target +1
  //   2    101   103    1     enter at 101: E_2 = 1·(1 − f)·(1 + (103 / 101 − 1))
  //   3    hole         NaN   nothing happens; the position is carried
  //   4    104   108    1     mark against R = 103: E_4 = E_2·(1 + (108 / 103 − 1)) (the gap's return lands here)
  //   5    107   106    −1    mark E_5 = E_4·(1 + (106 / 108 − 1)); x crosses below → target 0
  //   6    105   105    −1    exit at 105: E_6 = E_5·(1 + (105 / 106 − 1))·(1 − f)
  // Valid bars n = 6; bars held (closes that found the trade open): rows 2, 4, 5 → 3, exposure 3 / 6.
  // Drawdown: peak E_4, trough E_6: 1 − E_6 / E_4.
  const bars = barsOf({ open: [100, 100, 101, nan, 104, 107, 105], close: [100, 102, 103, nan, 108, 106, 105] }, [
    [0, 1, 1, nan, 1, -1, -1],
  ]);
  const e2 = 1 * (1 - f) * (1 + (103 / 101 - 1));
  const e4 = e2 * (1 + (108 / 103 - 1));
  const e5 = e4 * (1 + (106 / 108 - 1));
  const e6 = e5 * (1 + (105 / 106 - 1)) * (1 - f);

  it('marks the gap on the bar after it and counts neither the hole nor its time in bars', () => {
    expectWorked(crossProgram, bars, execOf({ fee_bps: 10 }), {
      equity: [1, 1, e2, nan, e4, e5, e6],
      returns: [0, 0, e2 / 1 - 1, 1 + (108 / 103 - 1) - 1, 1 + (106 / 108 - 1) - 1, e6 / e5 - 1],
      maxDrawdown: 1 - e6 / e4,
      exposed: 3,
      trades: [
        trade({
          side: 'long',
          entry_bar: 2,
          entry_price: 101,
          exit_bar: 6,
          exit_price: 105,
          bars_held: 3,
          return: e6 / 1 - 1,
          open: false,
        }),
      ],
    });
  });
});

describe('a reversal with side both', () => {
  //   row  close  x    fill 'close', fee f, slippage s
  //   0    100    −1
  //   1    102    1    flat, x crosses above: enter long at 102·(1 + s); E_1 = 1·(1 − f)
  //   2    104    1    mark: E_2 = E_1·(1 + (104 / (102·(1 + s)) − 1))
  //   3    101    −1   mark ·(1 + (101 / 104 − 1)); long exit and short entry fire: exit at 101·(1 − s), fee
  //                    (trade 1 returns its E over 1 − 1), then enter short at 101·(1 − s), fee
  //   4    98     −1   mark the short: ·(1 + −1·(98 / (101·(1 − s)) − 1))
  //   5    99     1    mark ·(1 + −1·(99 / 98 − 1)); short exit and long entry: exit at 99·(1 + s), fee
  //                    (trade 2), enter long at 99·(1 + s), fee
  //   6    103    1    mark ·(1 + (103 / (99·(1 + s)) − 1)); still long at the end: a virtual close at
  //                    103, no exit fee (trade 3, open)
  const bars = barsOf({ open: [100, 100, 102, 104, 101, 98, 99], close: [100, 102, 104, 101, 98, 99, 103] }, [[-1, 1, 1, -1, -1, 1, 1]]);
  const e1 = 1 * (1 - f);
  const e2 = e1 * (1 + (104 / (102 * (1 + s)) - 1));
  const exitLong = e2 * (1 + (101 / 104 - 1)) * (1 + ((101 * (1 - s)) / 101 - 1)) * (1 - f);
  const e3 = exitLong * (1 - f);
  const e4 = e3 * (1 + -1 * (98 / (101 * (1 - s)) - 1));
  const exitShort = e4 * (1 + -1 * (99 / 98 - 1)) * (1 + -1 * ((99 * (1 + s)) / 99 - 1)) * (1 - f);
  const e5 = exitShort * (1 - f);
  const e6 = e5 * (1 + (103 / (99 * (1 + s)) - 1));

  it('exits one side and enters the other at the same fill, each with its fee', () => {
    expectWorked(crossProgram, bars, execOf({ side: 'both', fill: 'close', fee_bps: 10, slippage_bps: 5 }), {
      equity: [1, e1, e2, e3, e4, e5, e6],
      returns: [
        0,
        e1 / 1 - 1,
        1 + (104 / (102 * (1 + s)) - 1) - 1,
        e3 / e2 - 1,
        1 + -1 * (98 / (101 * (1 - s)) - 1) - 1,
        e5 / e4 - 1,
        1 + (103 / (99 * (1 + s)) - 1) - 1,
      ],
      // after the fee's dip (1 − E_1), peak E_2; E_3 is the trough (E_4 and E_5 lie between E_3 and
      // E_2); E_6 sets a new peak
      maxDrawdown: 1 - e3 / e2,
      exposed: 5,
      trades: [
        trade({
          side: 'long',
          entry_bar: 1,
          entry_price: 102 * (1 + s),
          exit_bar: 3,
          exit_price: 101 * (1 - s),
          bars_held: 2,
          return: exitLong / 1 - 1,
          open: false,
        }),
        trade({
          side: 'short',
          entry_bar: 3,
          entry_price: 101 * (1 - s),
          exit_bar: 5,
          exit_price: 99 * (1 + s),
          bars_held: 2,
          return: exitShort / exitLong - 1,
          open: false,
        }),
        trade({
          side: 'long',
          entry_bar: 5,
          entry_price: 99 * (1 + s),
          exit_bar: null,
          exit_price: 103,
          bars_held: 1,
          return: e6 / exitShort - 1,
          open: true,
        }),
      ],
    });
    // the worked path's shape, as the drawdown above assumes it
    expect([e3 < e5, e5 < e4, e4 < e2, e2 < e6, 1 - e1 < 1 - e3 / e2]).toEqual([true, true, true, true, true]);
  });
});

describe('a ruined short', () => {
  //   row  close  x    side short, fill 'close', fee f
  //   0    100    1
  //   1    100    −1   x crosses below: enter short at 100; E_1 = 1·(1 − f)
  //   2    120    −1   mark: E_2 = E_1·(1 + −1·(120 / 100 − 1)) = E_1·0.8
  //   3    250    −1   mark: factor 1 + −1·(250 / 120 − 1) < 0: ruin, E = 0, the short closes at 250 (return −1)
  //   4    260    1
  //   5    90     −1   x crosses below again: no trade after a ruin
  //   6    80     −1
  // r_3 = 0 / E_2 − 1 = −1, later returns 0; drawdown 1; cagr −1; calmar −1 / 1; profit factor 0 / 1.
  const bars = barsOf({ open: [100, 100, 100, 120, 250, 260, 90], close: [100, 100, 120, 250, 260, 90, 80] }, [[1, -1, -1, -1, 1, -1, -1]]);
  const e1 = 1 * (1 - f);
  const e2 = e1 * (1 + -1 * (120 / 100 - 1));

  it('takes equity to 0 when the price more than doubles, and trades no more', () => {
    expectWorked(crossProgram, bars, execOf({ side: 'short', fill: 'close', fee_bps: 10 }), {
      equity: [1, e1, e2, 0, 0, 0, 0],
      returns: [0, e1 / 1 - 1, 1 + -1 * (120 / 100 - 1) - 1, -1, 0, 0, 0],
      maxDrawdown: 1,
      exposed: 2,
      trades: [
        trade({ side: 'short', entry_bar: 1, entry_price: 100, exit_bar: 3, exit_price: 250, bars_held: 2, return: -1, open: false }),
      ],
    });
    expect(runReference(crossProgram, bars, execOf({ side: 'short', fill: 'close', fee_bps: 10 })).metrics.cagr).toBe(-1);
  });

  //   row  open  close  x    side both, next_open, fee f
  //   0    100   100    1
  //   1    100   100    −1   x crosses below → target −1
  //   2    100   110    −1   enter short at 100, fee; mark: E_2 = 1·(1 − f)·(1 + −1·(110 / 100 − 1))
  //   3    110   120    1    mark: E_3 = E_2·(1 + −1·(120 / 110 − 1)); x crosses above: short exit and
  //                          long entry → target +1 (a reversal)
  //   4    250   260    1    exit at the open 250: 1 + −1·(250 / 120 − 1) < 0: ruin; the long is never entered
  //   5    260   255    −1   x crosses below: nothing
  it('is ruined at an exit fill and does not enter the reversal', () => {
    const gap = barsOf({ open: [100, 100, 100, 110, 250, 260], close: [100, 100, 110, 120, 260, 255] }, [[1, -1, -1, 1, 1, -1]]);
    const e2 = 1 * (1 - f) * (1 + -1 * (110 / 100 - 1));
    const e3 = e2 * (1 + -1 * (120 / 110 - 1));
    expectWorked(crossProgram, gap, execOf({ side: 'both', fee_bps: 10 }), {
      equity: [1, 1, e2, e3, 0, 0],
      returns: [0, 0, e2 / 1 - 1, 1 + -1 * (120 / 110 - 1) - 1, -1, 0],
      maxDrawdown: 1,
      exposed: 2,
      trades: [
        trade({ side: 'short', entry_bar: 2, entry_price: 100, exit_bar: 4, exit_price: 250, bars_held: 2, return: -1, open: false }),
      ],
    });
  });
});

describe('trades at the end of the data', () => {
  //   row  open  close  x    next_open, fee f
  //   0    50    50     0
  //   1    50    52     1    x crosses above → target +1
  //   2    53    54     1    enter at 53: E_2 = 1·(1 − f)·(1 + (54 / 53 − 1))
  //   3    55    56     1    E_3 = E_2·(1 + (56 / 54 − 1))
  //   4    57    55     1    E_4 = E_3·(1 + (55 / 56 − 1)); the data ends with the trade open:
  //                          a virtual close at 55 without an exit fee, return E_4 / 1 − 1
  const bars = barsOf({ open: [50, 50, 53, 55, 57], close: [50, 52, 54, 56, 55] }, [[0, 1, 1, 1, 1]]);
  const e2 = 1 * (1 - f) * (1 + (54 / 53 - 1));
  const e3 = e2 * (1 + (56 / 54 - 1));
  const e4 = e3 * (1 + (55 / 56 - 1));

  it('closes a trade still open virtually at the last close, with no exit fee, and counts it', () => {
    expectWorked(crossProgram, bars, execOf({ fee_bps: 10 }), {
      equity: [1, 1, e2, e3, e4],
      returns: [0, 0, e2 / 1 - 1, 1 + (56 / 54 - 1) - 1, 1 + (55 / 56 - 1) - 1],
      maxDrawdown: 1 - e4 / e3,
      exposed: 3,
      trades: [
        trade({
          side: 'long',
          entry_bar: 2,
          entry_price: 53,
          exit_bar: null,
          exit_price: 55,
          bars_held: 3,
          return: e4 / 1 - 1,
          open: true,
        }),
      ],
    });
  });

  // x crosses below at the last bar (row 4): the exit becomes a target for a next open that never
  // comes, so the trade is still the open, virtual one; x crossing above at the last bar when flat
  // makes no trade at all.
  it('never fills a next_open target pending after the last bar', () => {
    const exiting = barsOf({ open: [50, 50, 53, 55, 57], close: [50, 52, 54, 56, 55] }, [[0, 1, 1, 1, -1]]);
    expectWorked(crossProgram, exiting, execOf({ fee_bps: 10 }), {
      equity: [1, 1, e2, e3, e4],
      returns: [0, 0, e2 / 1 - 1, 1 + (56 / 54 - 1) - 1, 1 + (55 / 56 - 1) - 1],
      maxDrawdown: 1 - e4 / e3,
      exposed: 3,
      trades: [
        trade({
          side: 'long',
          entry_bar: 2,
          entry_price: 53,
          exit_bar: null,
          exit_price: 55,
          bars_held: 3,
          return: e4 / 1 - 1,
          open: true,
        }),
      ],
    });
    const entering = barsOf({ open: [50, 50, 53, 55, 57], close: [50, 52, 54, 56, 55] }, [[0, 0, 0, 0, 1]]);
    expectWorked(crossProgram, entering, execOf({ fee_bps: 10 }), {
      equity: [1, 1, 1, 1, 1],
      returns: [0, 0, 0, 0, 0],
      maxDrawdown: 0,
      exposed: 0,
      trades: [],
    });
  });
});

describe('NaN operands', () => {
  //   row  close  x    y     long entry: not(x > 0); long exit: any(y > 0, x > 5); fill 'close'
  //   0    10     1    NaN   x > 0 defined and true: not → false
  //   1    11     NaN  NaN   x > 0 undefined: not → false (a NaN never triggers, even under not)
  //   2    12     NaN  NaN   the same
  //   3    12     −1   NaN   x > 0 defined and false: not → true: enter long at 12
  //   4    15     NaN  NaN   long: the exit's any() has no defined true child: stay
  //   5    18     NaN  1     y > 0 true (x > 5 undefined): any() fires: exit at 18
  // E_4 = 1·(1 + (15 / 12 − 1)), E_5 = E_4·(1 + (18 / 15 − 1)); no fees, so E only rises.
  const program = programOf({
    signals: { long_entry: not(aboveConst(0, 0)), long_exit: any(aboveConst(1, 0), aboveConst(0, 5)) },
  });
  const bars = barsOf({ open: [10, 10, 11, 12, 12, 15], close: [10, 11, 12, 12, 15, 18] }, [
    [1, nan, nan, -1, nan, nan],
    [nan, nan, nan, nan, nan, 1],
  ]);
  const e4 = 1 * (1 + (15 / 12 - 1));
  const e5 = e4 * (1 + (18 / 15 - 1));

  it('are false, not over a NaN is false, and any() fires on a defined true child', () => {
    expectWorked(program, bars, execOf({ fill: 'close' }), {
      equity: [1, 1, 1, 1, e4, e5],
      returns: [0, 0, 0, 0, 1 + (15 / 12 - 1) - 1, e5 / e4 - 1],
      maxDrawdown: 0,
      exposed: 2,
      trades: [
        trade({ side: 'long', entry_bar: 3, entry_price: 12, exit_bar: 5, exit_price: 18, bars_held: 2, return: e5 / 1 - 1, open: false }),
      ],
    });
  });
});

describe('a cross across a hole', () => {
  //   row  close  x (variant 0)  x' (variant 1)   long entry: series crosses above 0; fill 'close'
  //   0    20     −1             −1
  //   1    21     −1             −1
  //   2    hole   NaN            −1               no decision at a hole
  //   3    22     1              1                variant 0: the previous row's x is NaN → no cross;
  //                                               variant 1: x'_2 = −1 ≤ 0 < x'_3 → enter at 22
  //   4    24     1              1                E_4 = 1·(1 + (24 / 22 − 1)), open at the end
  // Rules read the previous timeline row, hole or not: only its NaN operand blocks the cross.
  const program = programOf({ variants: 2, signals: { long_entry: crossAbove([0, 1], val(0)) } });
  const bars = barsOf({ open: [20, 20, nan, 21, 22], close: [20, 21, nan, 22, 24] }, [
    [-1, -1, nan, 1, 1],
    [-1, -1, -1, 1, 1],
  ]);

  it('does not trigger when the previous row is NaN', () => {
    expectWorked(
      program,
      bars,
      execOf({ fill: 'close' }),
      { equity: [1, 1, nan, 1, 1], returns: [0, 0, 0, 0], maxDrawdown: 0, exposed: 0, trades: [] },
      0,
    );
  });

  it('triggers on the row after a hole when the operand is defined there', () => {
    const e4 = 1 * (1 + (24 / 22 - 1));
    expectWorked(
      program,
      bars,
      execOf({ fill: 'close' }),
      {
        equity: [1, 1, nan, 1, e4],
        returns: [0, 0, 0, 1 + (24 / 22 - 1) - 1],
        maxDrawdown: 0,
        exposed: 1,
        trades: [
          trade({
            side: 'long',
            entry_bar: 3,
            entry_price: 22,
            exit_bar: null,
            exit_price: 24,
            bars_held: 1,
            return: e4 / 1 - 1,
            open: true,
          }),
        ],
      },
      1,
    );
  });
});

describe('entry priority and the side option', () => {
  //   row  close  x      long entry and short entry: both x > 0; no exits; fill 'close'
  //   0    40     −1
  //   1    40     1      both entries fire while flat
  //   2    44     1      mark
  //   3    42     1      mark, open at the end
  // side both: long wins: E_2 = 1 + (44 / 40 − 1), E_3 = E_2·(1 + (42 / 44 − 1)).
  // side long with only the short entry firing, or side short with only the long one: no trade.
  const both = programOf({ signals: { long_entry: aboveConst(0, 0), short_entry: aboveConst(0, 0) } });
  const bars = barsOf({ open: [40, 40, 40, 44], close: [40, 40, 44, 42] }, [[-1, 1, 1, 1]]);

  it('goes long when both entries fire while flat', () => {
    const e2 = 1 * (1 + (44 / 40 - 1));
    const e3 = e2 * (1 + (42 / 44 - 1));
    expectWorked(both, bars, execOf({ side: 'both', fill: 'close' }), {
      equity: [1, 1, e2, e3],
      returns: [0, 0, 1 + (44 / 40 - 1) - 1, 1 + (42 / 44 - 1) - 1],
      maxDrawdown: 1 - e3 / e2,
      exposed: 2,
      trades: [
        trade({
          side: 'long',
          entry_bar: 1,
          entry_price: 40,
          exit_bar: null,
          exit_price: 42,
          bars_held: 2,
          return: e3 / 1 - 1,
          open: true,
        }),
      ],
    });
  });

  it('ignores the short rules with side long and the long rules with side short', () => {
    const flat = { equity: [1, 1, 1, 1], returns: [0, 0, 0, 0], maxDrawdown: 0, exposed: 0, trades: [] };
    const shortOnly = programOf({ signals: { short_entry: aboveConst(0, 0) } });
    const longOnly = programOf({ signals: { long_entry: aboveConst(0, 0) } });
    expectWorked(shortOnly, bars, execOf({ side: 'long', fill: 'close' }), flat);
    expectWorked(longOnly, bars, execOf({ side: 'short', fill: 'close' }), flat);
    // and the same rules do trade on their own side
    expect(runReference(shortOnly, bars, execOf({ side: 'short', fill: 'close' })).trades.map((t) => t.side)).toEqual(['short']);
    expect(runReference(longOnly, bars, execOf({ side: 'long', fill: 'close' })).trades.map((t) => t.side)).toEqual(['long']);
  });

  it('does not reverse a long into a short with side long', () => {
    // long exit and short entry both fire at row 2 (x crosses below): side long only exits
    const bars2 = barsOf({ open: [40, 40, 40, 44], close: [40, 40, 44, 42] }, [[-1, 1, -1, -1]]);
    const e2 = 1 * (1 + (44 / 40 - 1));
    expectWorked(crossProgram, bars2, execOf({ side: 'long', fill: 'close' }), {
      equity: [1, 1, e2, e2],
      returns: [0, 0, e2 / 1 - 1, 0],
      maxDrawdown: 0,
      exposed: 1,
      trades: [
        trade({ side: 'long', entry_bar: 1, entry_price: 40, exit_bar: 2, exit_price: 44, bars_held: 1, return: e2 / 1 - 1, open: false }),
      ],
    });
  });
});

describe('scored rows', () => {
  // The holdout parts: rows [first, end) start flat with E = 1; signals still read earlier rows.
  //   row  open  close  x      next_open, scored rows [2, 5)
  //   0    30    30     −1
  //   1    30    31     1      x crosses above, but row 1 is not scored
  //   2    31    32     1      flat: no cross here (x_1 = 1 > 0)
  //   3    32    33     −1
  //   4    33    34     1      x crosses above (x_3 = −1): target +1, never filled (last scored row)
  const bars = barsOf({ open: [30, 30, 31, 32, 33, 34], close: [30, 31, 32, 33, 34, 35] }, [[-1, 1, 1, -1, 1, 1]], 2, 5);

  it('start flat at the first scored row and end at the last', () => {
    expectWorked(crossProgram, bars, execOf(), {
      equity: [nan, nan, 1, 1, 1, nan],
      returns: [0, 0, 0],
      maxDrawdown: 0,
      exposed: 0,
      trades: [],
    });
  });
});
