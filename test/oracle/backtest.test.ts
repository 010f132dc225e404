/**
 * The backtest oracle, driven by the strategy registry: for every template on a small grid (the
 * first and last value of each default axis), every metric of Stage A is bit-identical (Object.is)
 * between the reference engine and both kernel builds, for batches of 1, 3 and the default, for
 * every side × fill with fees and slippage, with and without a holdout; on ttrc.csv (sessions
 * timeline), holes, flat runs and a crash that ruins shorts. Stage B replays the shortlist with
 * Stage A's metrics exactly, and the same trades and equity on every engine. Every metric is also
 * held within 1e-9 relative of a plain implementation of the spec (simulate in test/helpers/backtest.ts),
 * a custom strategy covers the rule forms no template uses, and a pool of 2 workers changes nothing:
 * Stage A's batches on the workers give the same bits as threads 1 and the reference, for every
 * template and batch size.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { barInputs } from '../../src/backtest/bars.js';
import { type Execution, METRIC_NAMES } from '../../src/backtest/program.js';
import { operandSeries } from '../../src/backtest/series.js';
import { POOL_MIN_VALUES } from '../../src/compute/plan.js';
import type { BacktestProgress, BacktestRequest, BacktestResult } from '../../src/backtest/run.js';
import { type Candles, candlesFromCsv } from '../../src/candles/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { compileStrategy, strategyRegistry } from '../../src/strategies/index.js';
import { expectMetricsClose, simulate } from '../helpers/backtest.js';
import { crashAndRecovery, flatRuns } from '../helpers/backtest-series.js';
import { candlesOf, simpleCandles, warmEngines } from '../helpers/engine.js';
import { metricMismatch, replayMismatch, replaysMismatch, smallGrid } from '../helpers/oracle-backtest.js';
import { randomWalk, withHoles } from '../helpers/series.js';

const engines = warmEngines(['reference', 'wasm-simd', 'wasm-scalar']);
// With a pool of 2, Stage A of a backtest big enough scores on the workers (stats.threads 2), and
// the operand series of a grid big enough come from them too: the scores must not change (the
// 'threads' tests below).
let pooled: Engine;
beforeAll(async () => {
  pooled = createEngine({ env: 'test', engine: 'wasm-simd', threads: 2, onWarning: () => undefined });
  await pooled.warmup();
}, 120_000);
afterAll(() => pooled.close());
const KERNELS = ['wasm-simd', 'wasm-scalar'] as const;
const BATCHES = [1, 3, undefined] as const;

const EXECUTIONS: Partial<Execution>[] = (['long', 'short', 'both'] as const).flatMap((side) =>
  (['next_open', 'close'] as const).map((fill) => ({ side, fill, fee_bps: 5, slippage_bps: 2 })),
);
const HOLDOUTS = [undefined, { fraction: 0.3 }] as const;

const ttrc = await candlesFromCsv(new URL('../../bench/ttrc.csv', import.meta.url), { instrumentId: 'TTRC', timeline: 'sessions' });
const [HOLES, FLAT, CRASH] = [withHoles(), flatRuns(), crashAndRecovery()].map((s) => ({ name: s.name, candles: candlesOf(s) }));
const TTRC = { name: 'ttrc.csv (sessions)', candles: ttrc };
const SERIES: { name: string; candles: Candles }[] = [TTRC, HOLES!, FLAT!, CRASH!];

const run = (kind: string, req: BacktestRequest): Promise<BacktestResult> => engines.get(kind)!.backtest(req);

describe.each(strategyRegistry.list().map((def) => ({ id: def.id, def })))('$id: Stage A and B agree on every engine', ({ def }) => {
  const strategy = { id: def.id, params: smallGrid(def) };

  it.each(SERIES)('on $name, every side × fill, with and without a holdout', async ({ candles }) => {
    for (const execution of EXECUTIONS)
      for (const holdout of HOLDOUTS) {
        // min_trades 0 so the shortlist is never empty (some variants do not trade on a short series)
        const req: BacktestRequest = { candles, strategy, execution, filters: { min_trades: 0 }, top: 3, ...(holdout ? { holdout } : {}) };
        const label = `${execution.side} ${execution.fill}${holdout ? ' holdout 0.3' : ''}`;
        const want = await run('reference', req);
        expect(want.stats.engine, label).toBe('reference');
        expect(want.variants, label).toBeGreaterThan(1);
        const results = new Map<string, BacktestResult>([['reference', want]]);
        for (const kind of KERNELS)
          for (const batchVariants of BATCHES) {
            const got = await run(kind, batchVariants === undefined ? req : { ...req, batchVariants });
            expect(got.stats.engine, label).toBe(kind);
            expect(metricMismatch(got, want), `${label}: ${kind} batch ${batchVariants ?? 'default'}`).toBeNull();
            expect(
              got.shortlist.map((e) => e.variant),
              `${label}: ${kind} shortlist`,
            ).toEqual(want.shortlist.map((e) => e.variant));
            if (batchVariants === undefined) results.set(kind, got);
          }
        expect(want.shortlist.length, label).toBeGreaterThan(0);
        const replays = new Map<string, Awaited<ReturnType<BacktestResult['replay']>>>();
        for (const [kind, result] of results) {
          const rows = await result.replay();
          expect(
            rows.map((r) => r.variant),
            `${label}: ${kind} replays the shortlist`,
          ).toEqual(result.shortlist.map((e) => e.variant));
          for (const r of rows) expect(replayMismatch(r.metrics, result, r.variant), `${label}: ${kind} replay vs Stage A`).toBeNull();
          expect(
            rows.every((r) => (r.out_of_sample !== undefined) === (holdout !== undefined)),
            label,
          ).toBe(true);
          replays.set(kind, rows);
        }
        for (const kind of KERNELS)
          expect(replaysMismatch(replays.get(kind)!, replays.get('reference')!), `${label}: ${kind} replay`).toBeNull();
      }
  });
});

describe.each(strategyRegistry.list().map((def) => ({ id: def.id, def })))(
  '$id: within 1e-9 relative of a plain implementation of the spec',
  ({ def }) => {
    const strategy = { id: def.id, params: smallGrid(def) };
    const program = compileStrategy(strategy);

    it.each([TTRC, HOLES!, CRASH!])('on $name, both parts of a holdout', async ({ candles }) => {
      const series = await operandSeries(program.series, candles, (r) => engines.get('reference')!.compute(r), {});
      const bars = barInputs(candles, series);
      for (const execution of EXECUTIONS) {
        const label = `${execution.side} ${execution.fill}`;
        const res = await run('reference', { candles, strategy, execution, holdout: { fraction: 0.3 }, filters: { min_trades: 0 } });
        const row = res.holdout!.row;
        const replays = await res.replay(Array.from({ length: res.variants }, (_, v) => v));
        for (let v = 0; v < res.variants; v++) {
          const inSample = simulate(program, { ...bars, first: 0, end: row }, res.execution, v).metrics;
          const got = Object.fromEntries(METRIC_NAMES.map((m) => [m, res.metrics[m][v]!])) as typeof inSample;
          expectMetricsClose(got, inSample, `${label} in-sample, variant ${v}`);
          const outOfSample = simulate(program, { ...bars, first: row, end: candles.t }, res.execution, v).metrics;
          expectMetricsClose(replays[v]!.out_of_sample!.metrics, outOfSample, `${label} out-of-sample, variant ${v}`);
        }
      }
    });
  },
);

/**
 * The templates compare with cross_above, cross_below, above and all only: a custom strategy adds
 * below, any, not (nested), lags, per-variant constants and the derived prices (hl2, ohlc4, volume).
 */
const sma = (window: string) => ({ ind: 'ma.sma', params: { window } });
const rsi = { ind: 'momentum.rsi', params: { window: 14 } };
const EVERY_RULE_FORM = {
  id: 'custom',
  params: [
    { name: 'n', kind: 'int', min: 2, max: 100, default: [5, 10, 30] },
    { name: 'lvl', kind: 'float', min: 0, max: 100, default: [30, 50, 70] },
  ],
  constraints: [],
  rules: {
    long_entry: [
      'any',
      ['all', ['cross_above', { price: 'close' }, sma('$n')], ['not', ['above', rsi, '$lvl']]],
      ['cross_below', { price: 'hl2', lag: 3 }, { price: 'low', lag: 1 }],
    ],
    long_exit: ['any', ['below', { price: 'close' }, sma('$n')], ['not', ['not', ['above', { price: 'volume' }, 1500]]]],
    short_entry: [
      'all',
      ['below', { price: 'close', lag: 2 }, sma('$n')],
      ['not', ['any', ['above', rsi, '$lvl'], ['cross_above', { price: 'ohlc4' }, { price: 'open', lag: 5 }]]],
    ],
    short_exit: ['not', ['below', { price: 'close' }, { ind: 'ma.ema', params: { window: '$n' }, lag: 1 }]],
  },
} as const;

describe('a custom strategy with every rule form', () => {
  it.each([HOLES!, CRASH!])('agrees on every engine on $name', async ({ candles }) => {
    for (const execution of EXECUTIONS)
      for (const holdout of HOLDOUTS) {
        const req: BacktestRequest = {
          candles,
          strategy: EVERY_RULE_FORM as never,
          execution,
          filters: { min_trades: 0 },
          ...(holdout ? { holdout } : {}),
        };
        const label = `${execution.side} ${execution.fill}${holdout ? ' holdout 0.3' : ''}`;
        const want = await run('reference', req);
        expect(want.variants).toBe(9);
        for (const kind of KERNELS)
          for (const batchVariants of BATCHES) {
            const got = await run(kind, batchVariants === undefined ? req : { ...req, batchVariants });
            expect(metricMismatch(got, want), `${label}: ${kind} batch ${batchVariants ?? 'default'}`).toBeNull();
          }
        const got = await run('wasm-simd', req);
        expect(replaysMismatch(await got.replay(), await want.replay()), `${label}: replays`).toBeNull();
      }
  });
});

/**
 * Stage A reads a series' comparisons without their NaN tests on blocks where the series has no NaN
 * (a flag per series and block, four series scanned at a time). Five SMA series whose warm-up NaN
 * ends in different blocks (rows 99, 299, 599, 899, 1099 of 256-row blocks), read through `not`, so
 * a NaN row taken for a number would turn into an entry: every engine must agree with the reference.
 */
describe('operand series whose NaN prefixes end in different blocks', () => {
  const candles = candlesOf(randomWalk(2000, 77));
  const sma = { ind: 'ma.sma', params: { window: '$n' } };
  const strategy = {
    id: 'custom',
    params: [{ name: 'n', kind: 'int', min: 2, max: 2000, default: [100, 300, 600, 900, 1100] }],
    constraints: [],
    rules: { long_entry: ['not', ['above', { price: 'close' }, sma]], long_exit: ['above', { price: 'close' }, sma] },
  } as const;

  it('scores alike on every engine and batch size', async () => {
    const req: BacktestRequest = {
      candles,
      strategy: strategy as never,
      execution: { side: 'long', fee_bps: 5 },
      filters: { min_trades: 0 },
    };
    const want = await run('reference', req);
    expect(want.variants).toBe(5);
    for (const kind of KERNELS)
      for (const batchVariants of BATCHES) {
        const got = await run(kind, batchVariants === undefined ? req : { ...req, batchVariants });
        expect(metricMismatch(got, want), `${kind} batch ${batchVariants ?? 'default'}`).toBeNull();
      }
  });
});

/**
 * Equity that underflows: long from 1e30 down to 1e-30 over four bars of −99.9999999999999% each,
 * out, back up while flat, in again at 1e30, ten times. Each cycle multiplies the equity by about
 * 1e-60, so in the sixth it passes the smallest float64 and becomes 0 on a bar that only marks,
 * where the kernel runs its stretch without a per-row ruin test (every factor there is positive):
 * the ruin must land on the same row as in the reference, with the same metrics.
 */
describe('equity that underflows to 0 on a bar that only marks', () => {
  const cycle = [1e30, 1e30, 1e15, 1, 1e-15, 1e-30, 1e-30, 1e-15, 1, 1e15];
  const close = Array.from({ length: 100 }, (_, i) => cycle[i % cycle.length]!);
  const candles = simpleCandles(close, { open: close, high: close, low: close });
  const strategy = {
    id: 'custom',
    params: [{ name: 'lvl', kind: 'float', min: 0, max: 1e38, default: [1e20] }],
    constraints: [],
    rules: { long_entry: ['above', { price: 'close' }, '$lvl'], long_exit: ['below', { price: 'close' }, 1e-20] },
  } as const;

  it('ruins on the same row on every engine', async () => {
    for (const fill of ['next_open', 'close'] as const) {
      const req: BacktestRequest = {
        candles,
        strategy: strategy as never,
        execution: { side: 'long', fill, fee_bps: 5 },
        filters: { min_trades: 0 },
      };
      const want = await run('reference', req);
      expect(want.metrics.total_return[0], `${fill}: ruined`).toBe(-1);
      for (const kind of KERNELS) expect(metricMismatch(await run(kind, req), want), `${fill}: ${kind}`).toBeNull();
      const [got] = await (await run('wasm-simd', req)).replay();
      const [ref] = await want.replay();
      expect(got!.trades.at(-1), `${fill}: the ruinous trade`).toEqual(ref!.trades.at(-1));
    }
  });
});

/** Progress of a run: monotone, every batch once, the last event at the total. */
function expectCompleteProgress(seen: readonly BacktestProgress[], res: BacktestResult, label: string): void {
  const total = res.variants * res.stats.rows;
  expect(seen.length, `${label}: one progress event per batch`).toBe(res.stats.batches);
  seen.forEach((p, i) => {
    expect([p.total, p.batchesDone, p.batchesTotal], label).toEqual([total, i + 1, res.stats.batches]);
    if (i > 0) expect(p.processed, label).toBeGreaterThan(seen[i - 1]!.processed);
  });
  expect(seen.at(-1)!.processed, label).toBe(total);
}

describe('threads: Stage A on a pool of 2 workers', () => {
  // Under POOL_MIN_VALUES (2^20) variant-bars Stage A stays in-process. Each template's default
  // grid (6 to 90 variants) gets a random walk with holes just over that (at least 12,000 bars), so
  // it scores on the workers while the reference, the slow side, runs about the same variant-bars
  // for every template (a fixed 180,000 bars cost the 90 variants of ma_cross 7 s of reference).
  const FLOOR = POOL_MIN_VALUES;
  const longFor = (variants: number): Candles => {
    const t = Math.max(12_000, Math.ceil((1.1 * FLOOR) / variants));
    const walk = randomWalk(t, 41);
    for (const g of [0, 1, 5_000, t >> 1, (t >> 1) + 1, t - 2]) {
      for (const k of ['open', 'high', 'low', 'close'] as const) walk[k][g] = Number.NaN;
    }
    return candlesOf(walk);
  };
  const probe = candlesOf(randomWalk(500, 41));
  const execution: Partial<Execution> = { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 2 };

  it.each(strategyRegistry.list().map((def) => ({ id: def.id })))(
    '$id (default grid): every metric bit-identical to threads 1 and to the reference, batches 1, 3 and default',
    async ({ id }) => {
      const { variants } = await run('wasm-simd', { candles: probe, strategy: { id }, execution });
      const req: BacktestRequest = { candles: longFor(variants), strategy: { id }, execution, filters: { min_trades: 0 }, top: 3 };
      const want = await run('reference', req);
      const one = await run('wasm-simd', req);
      expect(one.stats.threads).toBe(1);
      expect(metricMismatch(one, want), 'threads 1 vs the reference').toBeNull();
      const V = want.variants;
      expect(V, 'the default grid').toBe(variants);
      expect(V * want.stats.rows, 'over the in-process floor').toBeGreaterThanOrEqual(FLOOR);
      for (const batchVariants of BATCHES) {
        const label = `batch ${batchVariants ?? 'default'}`;
        const seen: BacktestProgress[] = [];
        const got = await pooled.backtest({ ...req, ...(batchVariants ? { batchVariants } : {}), onProgress: (p) => seen.push(p) });
        expect(got.stats.threads, `${label}: Stage A scores on the pool`).toBe(2);
        // default: equal batches of at most 256, as many as a multiple of the threads
        expect(got.stats.batches, label).toBe(batchVariants ? Math.ceil(V / batchVariants) : 2 * Math.ceil(Math.ceil(V / 256) / 2));
        expect(got.stats.attempts, label).toBe(got.stats.batches);
        expect(metricMismatch(got, one), `${label}: pool of 2 vs threads 1`).toBeNull();
        expect(metricMismatch(got, want), `${label}: pool of 2 vs the reference`).toBeNull();
        expect(got.shortlist, label).toEqual(want.shortlist);
        expectCompleteProgress(seen, got, label);
      }
    },
  );

  it('scores the same when the operand series are computed on the pool too, replays included', async () => {
    // 25 distinct EMA windows × 42,000 bars: over the pool's minimum, so the series come from the workers
    const candles = candlesOf(randomWalk(42_000, 37));
    const fast = { mode: 'range', start: 5, stopIncl: 50, step: 5 } as const;
    const slow = { mode: 'range', start: 60, stopIncl: 200, step: 10 } as const;
    const req: BacktestRequest = {
      candles,
      strategy: { id: 'ma_cross', params: { fast, slow } },
      execution: { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 2 },
      holdout: { fraction: 0.25 },
      top: 3,
    };
    // in-process wasm-simd: bit-identical to the reference, as the suite above shows
    const want = await run('wasm-simd', req);
    expect(want.variants).toBe(150);
    const got = await pooled.backtest(req);
    expect(got.stats.threads, 'Stage A scores on the pool').toBe(2);
    const windows = [...Array.from({ length: 10 }, (_, i) => 5 + 5 * i), ...Array.from({ length: 15 }, (_, i) => 60 + 10 * i)];
    const series = await pooled.compute({
      candles,
      grid: { indicatorId: 'ma.ema', source: 'close', params: { window: windows } },
      layout: 'VARIANT_MAJOR',
    });
    expect(series.meta.threads, 'the operand series of this grid are computed on the pool').toBe(2);
    expect(metricMismatch(got, want), 'wasm-simd on a pool of 2').toBeNull();
    expect(replaysMismatch(await got.replay(), await want.replay()), 'replays on a pool of 2').toBeNull();
  });

  it('stays in-process under 2^20 variant-bars or with one batch, with the same bits', async () => {
    const def = strategyRegistry.get('ma_cross');
    const req: BacktestRequest = { candles: CRASH!.candles, strategy: { id: def.id, params: smallGrid(def) }, execution };
    const want = await run('reference', req);
    for (const batchVariants of BATCHES) {
      const got = await pooled.backtest(batchVariants ? { ...req, batchVariants } : req);
      expect(got.stats.threads, 'small work scores in-process').toBe(1);
      expect(metricMismatch(got, want)).toBeNull();
    }
    // over the floor, so only the single batch keeps it in-process
    const long = longFor(want.variants);
    const whole = await pooled.backtest({ ...req, candles: long, batchVariants: 1000 });
    expect([whole.stats.threads, whole.stats.batches], 'one batch scores in-process').toEqual([1, 1]);
    expect(metricMismatch(whole, await run('wasm-simd', { ...req, candles: long }))).toBeNull();
  });
});

describe('the adversarial paths reach the cases they are there for', () => {
  it('the crash ruins some shorts: equity 0, total_return −1, cagr −1, on every engine', async () => {
    const candles = CRASH!.candles;
    let ruined = 0;
    for (const def of strategyRegistry.list()) {
      const req: BacktestRequest = {
        candles,
        strategy: { id: def.id, params: smallGrid(def) },
        execution: { side: 'short', fill: 'close' },
      };
      const want = await run('reference', req);
      for (let v = 0; v < want.variants; v++) {
        if (want.metrics.total_return[v] !== -1) continue;
        ruined++;
        expect(want.metrics.cagr[v], `${def.id} variant ${v}`).toBe(-1);
        expect(want.metrics.max_drawdown[v], `${def.id} variant ${v}`).toBe(1);
      }
      for (const kind of KERNELS) expect(metricMismatch(await run(kind, req), want), `${def.id} ${kind}`).toBeNull();
    }
    expect(ruined, 'ruined short variants over the registry').toBeGreaterThan(0);
  });

  it('the flat runs give bars of exactly zero return while a position is open', async () => {
    const def = strategyRegistry.get('ma_cross');
    const res = await run('reference', {
      candles: FLAT!.candles,
      strategy: { id: def.id, params: smallGrid(def) },
      execution: { side: 'both', fill: 'close' },
    });
    const [row] = await res.replay([0]);
    const spanning = row!.trades.filter((t) => t.entry_bar < 400 && (t.exit_bar === null || t.exit_bar >= 640));
    expect(spanning, 'one trade is open over the whole flat run').toHaveLength(1);
    const curve = row!.equity;
    let unchanged = 0;
    for (let i = 401; i < 640; i++) if (curve[i] === curve[i - 1] && Number.isFinite(curve[i]!)) unchanged++;
    expect(unchanged, 'bars of the long flat run with the equity unchanged').toBe(239);
  });
});
