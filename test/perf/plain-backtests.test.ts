/**
 * The bench's plain-JS backtest loops compute what a backtest computes: every metric of every
 * variant within 1e-9 relative of engine.backtest, and of the test helpers' second implementation
 * of the execution model run on the same series; and the backtest bench cases are the spec's grids,
 * expanded by the strategy registry.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { BACKTEST_CASE_IDS, backtestCaseById, backtestCases } from '../../bench/backtest-cases.js';
import { checkBacktest } from '../../bench/agreement.js';
import { syntheticMinuteCandles } from '../../bench/data.js';
import { barInputs } from '../../src/backtest/bars.js';
import { checkExecution } from '../../src/backtest/options.js';
import { buildSourceSeries, type Candles } from '../../src/candles/index.js';
import { compileStrategy, METRIC_NAMES, type StrategyProgram, variantParams } from '../../src/index.js';
import { createEngine } from '../../src/runtime/engine.js';
import { closeRel, simulate } from '../helpers/backtest.js';

const engine = createEngine({ engine: 'wasm-simd', threads: 1, onWarning: () => undefined });
afterAll(() => engine.close());
const compute = engine.compute.bind(engine);

describe('backtest bench cases', () => {
  it('are the three grids of the backtest spec, expanded (constraints included) by the strategy registry', () => {
    expect(BACKTEST_CASE_IDS).toEqual(['backtest.ma_cross', 'backtest.rsi_revert', 'backtest.bbands_revert']);
    const cases = backtestCases().runnable;
    // ma_cross: 46 fast × 37 slow windows less the 112 pairs with fast >= slow; rsi: 49 × 4 × 4; bbands: 41 × 3
    expect(cases.map((c) => c.variants)).toEqual([1590, 784, 123]);
    expect(cases.map((c) => c.label)).toEqual([
      'ma.ema, fast 5..50 × slow 20..200 step 5, fast < slow',
      'window 2..50 × lower 20..35 step 5 × upper 65..80 step 5, lower < upper',
      'window 10..50 × mult 1.5..2.5 step 0.5',
    ]);
    for (const c of cases) expect(c.executionLabel).toBe('side long, fill next_open, fee 5 bps');
  });

  it('select by id and leave other names to the indicator cases', () => {
    const { runnable, skipped } = backtestCases(['ma.ema', 'backtest.rsi_revert']);
    expect(runnable.map((c) => c.id)).toEqual(['backtest.rsi_revert']);
    expect(skipped).toEqual([]);
  });
});

/** The operand series of a program, each computed on its own and read by output name. */
async function seriesOf(program: StrategyProgram, candles: Candles): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  for (const s of program.series) {
    if (s.kind === 'price') {
      out.push(s.price === 'volume' ? candles.volume! : buildSourceSeries(candles, s.price));
      continue;
    }
    const params = Object.fromEntries(Object.entries(s.params).map(([k, v]) => [k, [v]]));
    const tensor = await compute({
      candles,
      grid: { indicatorId: s.indicatorId, params, ...(s.source ? { source: [s.source] } : {}) },
      layout: 'VARIANT_MAJOR',
      outputs: [s.output],
    });
    out.push(tensor.output(s.output));
  }
  return out;
}

describe.each(BACKTEST_CASE_IDS.map((id) => ({ id })))('plain backtest loop of $id', ({ id }) => {
  it("agrees with the test helpers' second implementation on the first, middle and last variant", async () => {
    const c = backtestCaseById(id);
    const candles = syntheticMinuteCandles(5_000);
    const exec = checkExecution(c.execution);
    const run = await c.plain(compute, candles, c.axisValues, exec);
    expect(run.params.length, 'the plain loop runs every variant of the grid').toBe(c.variants);
    const program = compileStrategy(c.strategy);
    const bars = barInputs(candles, await seriesOf(program, candles));
    for (const v of [0, Math.floor((c.variants - 1) / 2), c.variants - 1]) {
      const values = variantParams(program, v);
      const at = run.params.findIndex((p) => Object.entries(p).every(([k, x]) => values[k] === x));
      expect(at, `the plain loop has variant ${JSON.stringify(values)}`).toBeGreaterThanOrEqual(0);
      const want = simulate(program, bars, exec, v).metrics;
      for (const m of METRIC_NAMES) {
        const got = run.metrics[m][at]!;
        if (!closeRel(got, want[m]))
          expect.fail(`${id} ${JSON.stringify(values)}: ${m} is ${got}, the second implementation gives ${want[m]}`);
      }
      expect(want.trades, `${id} ${JSON.stringify(values)} trades on this series`).toBeGreaterThan(0);
    }
  });
});

describe.each(BACKTEST_CASE_IDS.map((id) => ({ id })))('plain backtest loop of $id', ({ id }) => {
  it('agrees with engine.backtest on every metric of every variant within 1e-9 relative', async () => {
    const c = backtestCaseById(id);
    const candles = syntheticMinuteCandles(20_000);
    const result = await engine.backtest({ candles, strategy: c.strategy, execution: c.execution });
    const run = await c.plain(compute, candles, c.axisValues, result.execution);
    const a = checkBacktest(run, result, c.fixed);
    expect(a.status, JSON.stringify(a)).toBe('agrees');
    expect(a.compared).toBe(c.variants * METRIC_NAMES.length);
  });
});
