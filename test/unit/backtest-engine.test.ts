/**
 * engine.backtest as a user meets it: every option defect refused with the path and the value
 * before anything reaches WebAssembly, the variants guard, a missing open series, cancellation and
 * close, progress, the shortlist recomputed from the metrics, the variant helpers, and the holdout
 * against an independent run of the plain-TypeScript reference.
 */
import { afterAll, afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { barInputs, validRows } from '../../src/backtest/bars.js';
import { horizonOf, metricColumns } from '../../src/backtest/metrics.js';
import { METRIC_NAMES, type Execution, type MetricName } from '../../src/backtest/program.js';
import { referenceAccumulators } from '../../src/backtest/reference.js';
import type { BacktestProgress, BacktestRequest, BacktestResult } from '../../src/backtest/run.js';
import { operandSeries } from '../../src/backtest/series.js';
import { ComputeCancelled, MissingInputSeriesError, StrategyValidationError, VariantsGuardExceeded } from '../../src/errors.js';
import { createEngine } from '../../src/runtime/engine.js';
import { compileStrategy } from '../../src/strategies/index.js';
import { crashAndRecovery } from '../helpers/backtest-series.js';
import { candlesOf, engineOf } from '../helpers/engine.js';
import { rejection } from '../helpers/errors.js';
import { randomWalk } from '../helpers/series.js';

const candles = candlesOf(randomWalk(600, 41));
/** ma_cross, fast {5, 10, 20} × slow {20, 50, 700} with fast < slow: 8 variants; a slow SMA of 700 never warms up on 600 bars, so 3 variants never trade. */
const strategy = { id: 'ma_cross', params: { ma: ['ma.sma'], fast: [5, 10, 20], slow: [20, 50, 700] } };
const V = 8;
const base: BacktestRequest = { candles, strategy };

describe('option defects are refused before anything reaches WebAssembly', () => {
  // a fresh engine that is never warmed: a kernel call or a compile would show on the spies
  const fresh = createEngine({ env: 'test', engine: 'wasm-simd', threads: 1, onWarning: () => undefined });
  // WebAssembly.Instance must stay a constructor: a Proxy counts `new` and forwards it
  const RealInstance = WebAssembly.Instance;
  let instances = 0;
  let compiles: MockInstance<typeof WebAssembly.compile>;
  const reached = (): { instances: number; compiles: number } => ({ instances, compiles: compiles.mock.calls.length });
  beforeEach(() => {
    instances = 0;
    WebAssembly.Instance = new Proxy(RealInstance, {
      construct(target, args, newTarget) {
        instances++;
        return Reflect.construct(target, args, newTarget);
      },
    });
    compiles = vi.spyOn(WebAssembly, 'compile');
  });
  afterEach(() => {
    WebAssembly.Instance = RealInstance;
    vi.restoreAllMocks();
  });
  afterAll(() => fresh.close());

  const lastTs = Number(candles.tsOpen[candles.t - 1]!);
  const CASES: { name: string; patch: Record<string, unknown>; path: string; value: unknown; expected?: string }[] = [
    { name: 'an unknown side', patch: { execution: { side: 'sideways' } }, path: 'execution.side', value: 'sideways' },
    { name: 'an unknown fill', patch: { execution: { fill: 'open' } }, path: 'execution.fill', value: 'open' },
    { name: 'a negative fee', patch: { execution: { fee_bps: -1 } }, path: 'execution.fee_bps', value: -1, expected: '[0, 1000]' },
    { name: 'a fee above 1000 bps', patch: { execution: { fee_bps: 1000.5 } }, path: 'execution.fee_bps', value: 1000.5 },
    { name: 'a fee of NaN', patch: { execution: { fee_bps: Number.NaN } }, path: 'execution.fee_bps', value: Number.NaN },
    { name: 'a slippage above 1000 bps', patch: { execution: { slippage_bps: 1001 } }, path: 'execution.slippage_bps', value: 1001 },
    { name: 'a negative slippage', patch: { execution: { slippage_bps: -0.5 } }, path: 'execution.slippage_bps', value: -0.5 },
    { name: 'an annualization of 0', patch: { execution: { annualization: 0 } }, path: 'execution.annualization', value: 0 },
    { name: 'an annualization as text', patch: { execution: { annualization: '252' } }, path: 'execution.annualization', value: '252' },
    {
      name: 'an unknown execution key, with a suggestion',
      patch: { execution: { fees_bps: 5 } },
      path: 'execution.fees_bps',
      value: 5,
      expected: 'did you mean fee_bps?',
    },
    {
      name: 'an unknown objective metric',
      patch: { objective: 'sharp' },
      path: 'objective',
      value: 'sharp',
      expected: 'did you mean sharpe?',
    },
    {
      name: 'an unknown objective metric in an object',
      patch: { objective: { metric: 'max_drawdwn', direction: 'min' } },
      path: 'objective.metric',
      value: 'max_drawdwn',
      expected: 'did you mean max_drawdown?',
    },
    { name: 'an unknown direction', patch: { objective: { metric: 'sharpe', direction: 'up' } }, path: 'objective.direction', value: 'up' },
    {
      name: 'an unknown filter key',
      patch: { filters: { min_trade: 3 } },
      path: 'filters.min_trade',
      value: 3,
      expected: 'did you mean min_trades?',
    },
    {
      name: 'a filter bound with lo > hi',
      patch: { filters: { sharpe: [2, 1] } },
      path: 'filters.sharpe',
      value: [2, 1],
      expected: 'lo <= hi',
    },
    { name: 'a max_drawdown filter as text', patch: { filters: { max_drawdown: '0.4' } }, path: 'filters.max_drawdown', value: '0.4' },
    {
      name: 'a max_drawdown bound with lo > hi',
      patch: { filters: { max_drawdown: [0.5, 0.1] } },
      path: 'filters.max_drawdown',
      value: [0.5, 0.1],
      expected: 'lo <= hi',
    },
    { name: 'a filter bound that is not a pair', patch: { filters: { cagr: [0] } }, path: 'filters.cagr', value: [0] },
    { name: 'top 0', patch: { top: 0 }, path: 'top', value: 0 },
    { name: 'top 1.5', patch: { top: 1.5 }, path: 'top', value: 1.5 },
    { name: 'a holdout fraction of 0', patch: { holdout: { fraction: 0 } }, path: 'holdout.fraction', value: 0 },
    { name: 'a holdout fraction of 0.9', patch: { holdout: { fraction: 0.9 } }, path: 'holdout.fraction', value: 0.9 },
    {
      name: 'a holdout from the last bar (1 bar out of sample)',
      patch: { holdout: { fromTs: lastTs } },
      path: 'holdout.fromTs',
      value: lastTs,
      expected: 'at least 2 valid bars on each side',
    },
    {
      name: 'a holdout from before the second bar (1 bar in sample)',
      patch: { holdout: { fromTs: Number(candles.tsOpen[1]!) } },
      path: 'holdout.fromTs',
      value: Number(candles.tsOpen[1]!),
      expected: 'at least 2 valid bars on each side',
    },
    {
      name: 'an unknown request key, with a suggestion',
      patch: { executon: { side: 'long' } },
      path: 'executon',
      value: { side: 'long' },
      expected: 'did you mean execution?',
    },
    { name: 'a signal that is not an AbortSignal', patch: { signal: 'stop' }, path: 'signal', value: 'stop' },
    { name: 'an onProgress that is not a function', patch: { onProgress: 1 }, path: 'onProgress', value: 1 },
    { name: 'a missing strategy', patch: { strategy: undefined }, path: 'strategy', value: undefined },
    { name: 'maxVariants 0', patch: { maxVariants: 0 }, path: 'maxVariants', value: 0 },
    { name: 'maxVariants 2.5', patch: { maxVariants: 2.5 }, path: 'maxVariants', value: 2.5 },
    { name: 'batchVariants 0', patch: { batchVariants: 0 }, path: 'batchVariants', value: 0 },
    { name: 'batchVariants as text', patch: { batchVariants: '8' }, path: 'batchVariants', value: '8' },
  ];

  it.each(CASES)('refuses $name at $path', async ({ patch, path, value, expected }) => {
    const e = await rejection(fresh.backtest({ ...base, ...patch } as BacktestRequest), StrategyValidationError);
    expect(e.code).toBe('strategy_invalid');
    expect(e.details.path).toBe(path);
    expect(e.details.value).toEqual(value);
    if (expected) expect(e.details.expected).toContain(expected);
    expect(e.message.startsWith(`${path}: `), e.message).toBe(true);
    expect(reached(), 'WebAssembly instances created and modules compiled').toEqual({ instances: 0, compiles: 0 });
  });

  it('refuses more variants than maxVariants with VariantsGuardExceeded', async () => {
    const e = await rejection(fresh.backtest({ ...base, maxVariants: V - 1 }), VariantsGuardExceeded);
    expect(e.code).toBe('max_variants_exceeded');
    expect(e.details).toMatchObject({ variants: V, maxVariants: V - 1, limitSource: 'request' });
    expect(reached()).toEqual({ instances: 0, compiles: 0 });
  });

  it('refuses fills at the next open without an open series (MissingInputSeriesError)', async () => {
    const s = randomWalk(600, 41);
    const tsOpen = Array.from({ length: s.t }, (_, i) => i * 60_000);
    const closeOnly = createCandles({ instrumentId: 'test:NO_OPEN', timeframe: '1m', tsOpen, high: s.high, low: s.low, close: s.close });
    const e = await rejection(fresh.backtest({ candles: closeOnly, strategy }), MissingInputSeriesError);
    expect(e.code).toBe('missing_input_series');
    expect(e.details).toMatchObject({ indicatorId: 'backtest:ma_cross', missing: ['open'] });
    expect(reached()).toEqual({ instances: 0, compiles: 0 });
  });

  it('refuses candles without a valid bar at candles', async () => {
    const s = randomWalk(50, 43);
    s.close.fill(Number.NaN);
    const holes = candlesOf(s, 'test:HOLES');
    const e = await rejection(fresh.backtest({ candles: holes, strategy, execution: { fill: 'close' } }), StrategyValidationError);
    expect(e.details).toMatchObject({ path: 'candles', value: 'test:HOLES' });
    expect(reached()).toEqual({ instances: 0, compiles: 0 });
  });

  it('the spies see a valid backtest reach WebAssembly (the observable is real)', async () => {
    const other = createEngine({ env: 'test', engine: 'wasm-simd', threads: 1, onWarning: () => undefined });
    const res = await other.backtest({ ...base, execution: { fee_bps: 1000, slippage_bps: 1000 } });
    await other.close();
    expect(res.variants).toBe(V);
    expect(reached().compiles, 'the warmup compiled the kernels').toBeGreaterThan(0);
    expect(reached().instances, 'kernels were instantiated').toBeGreaterThan(0);
  });
});

describe('cancellation and close', () => {
  it('an abort from onProgress after the first batch rejects with ComputeCancelled and no result', async () => {
    const ac = new AbortController();
    const seen: BacktestProgress[] = [];
    const run = engineOf('wasm-simd').backtest({
      ...base,
      batchVariants: 3,
      signal: ac.signal,
      onProgress: (p) => {
        seen.push(p);
        ac.abort('stop here');
      },
    });
    const e = await rejection(run, ComputeCancelled);
    expect(e.code).toBe('compute_cancelled');
    expect(e.details).toEqual({ processed: 3, total: V, reason: 'stop here' });
    expect(seen.map((p) => p.batchesDone)).toEqual([1]);
  });

  it('an abort from the last progress event still cancels: no result once the signal has fired', async () => {
    const ac = new AbortController();
    const run = engineOf('wasm-simd').backtest({ ...base, signal: ac.signal, onProgress: () => ac.abort('too late') });
    const e = await rejection(run, ComputeCancelled);
    expect(e.code).toBe('compute_cancelled');
    expect(e.details).toMatchObject({ total: V, reason: 'too late' });
  });

  it('a signal aborted before the call rejects with ComputeCancelled', async () => {
    const e = await rejection(engineOf('wasm-simd').backtest({ ...base, signal: AbortSignal.abort('never started') }), ComputeCancelled);
    expect(e.details.reason).toBe('never started');
  });

  it('engine.close() during a backtest rejects it with ComputeCancelled (engine_closed)', async () => {
    const engine = createEngine({ env: 'test', engine: 'wasm-simd', threads: 1, onWarning: () => undefined });
    let closing: Promise<void> | undefined;
    const run = engine.backtest({
      ...base,
      batchVariants: 2,
      onProgress: () => {
        closing ??= engine.close();
      },
    });
    const e = await rejection(run, ComputeCancelled);
    expect(e.code).toBe('compute_cancelled');
    expect(e.details).toEqual({ processed: 2, total: V, reason: 'engine_closed' });
    await closing;
    const after = await rejection(engine.backtest(base));
    expect(after.code).toBe('engine_closed');
  });
});

describe('progress', () => {
  it('reports variant-bars after each batch, monotone, the last equal to the total', async () => {
    const seen: BacktestProgress[] = [];
    const res = await engineOf('wasm-simd').backtest({ ...base, batchVariants: 3, onProgress: (p) => seen.push(p) });
    expect(res.stats.rows).toBe(600);
    const total = V * 600;
    expect(seen.map((p) => [p.processed, p.total, p.batchesDone, p.batchesTotal])).toEqual([
      [3 * 600, total, 1, 3],
      [6 * 600, total, 2, 3],
      [8 * 600, total, 3, 3],
    ]);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!.elapsedMs).toBeGreaterThanOrEqual(seen[i - 1]!.elapsedMs);
    expect(res.stats.batches).toBe(3);
  });
});

/** The shortlist recomputed from the metrics: passing variants, by value in the direction, NaN last, ties to the lower index. */
function expectedShortlist(res: BacktestResult, metric: MetricName, direction: 'max' | 'min', passes: (v: number) => boolean): number[] {
  const col = res.metrics[metric];
  const ids = Array.from({ length: res.variants }, (_, v) => v).filter(passes);
  const rank = (v: number): [number, number, number] => {
    const x = col[v]!;
    return Number.isNaN(x) ? [1, 0, v] : [0, direction === 'max' ? -x : x, v];
  };
  return ids.sort((a, b) => {
    const [ra, rb] = [rank(a), rank(b)];
    for (let k = 0; k < 3; k++) if (ra[k] !== rb[k]) return ra[k]! < rb[k]! ? -1 : 1;
    return 0;
  });
}

describe('shortlist', () => {
  const all = (): boolean => true;
  // variants 2, 5 and 7 read the slow SMA of 700 on 600 bars: no trade, sharpe NaN, drawdown 0
  const idle = [2, 5, 7];

  it('ranks by sharpe, highest first, NaN last in index order', async () => {
    const res = await engineOf('wasm-simd').backtest({ ...base, filters: { min_trades: 0 }, top: V });
    for (const v of idle) {
      expect(res.metrics.trades[v]).toBe(0);
      expect(res.metrics.sharpe[v]).toBeNaN();
    }
    const got = res.shortlist.map((e) => e.variant);
    expect(got).toEqual(expectedShortlist(res, 'sharpe', 'max', all));
    expect(got.slice(-3)).toEqual(idle);
    expect(res.shortlist.map((e) => e.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    for (const e of res.shortlist) expect(Object.is(e.objective, res.metrics.sharpe[e.variant])).toBe(true);
    expect(res.stats).toMatchObject({ stage_a_variants_total: V, risk_total: V, preselect_used: false });
  });

  it("ranks { metric: 'max_drawdown', direction: 'min' } lowest first, ties to the lower index", async () => {
    const res = await engineOf('wasm-simd').backtest({
      ...base,
      objective: { metric: 'max_drawdown', direction: 'min' },
      filters: { min_trades: 0 },
      top: 5,
    });
    const got = res.shortlist.map((e) => e.variant);
    expect(got).toEqual(expectedShortlist(res, 'max_drawdown', 'min', all).slice(0, 5));
    expect(got.slice(0, 3), 'the three idle variants tie at drawdown 0').toEqual(idle);
    expect(res.stats).toMatchObject({ risk_total: V, preselect_used: true, objective: { metric: 'max_drawdown', direction: 'min' } });
  });

  it('keeps only the variants passing the filters; risk_total counts them', async () => {
    const filters = { min_trades: 2, min_exposure: 0.1, sharpe: [-50, 50] as const };
    const res = await engineOf('wasm-simd').backtest({ ...base, filters, top: 2 });
    const m = res.metrics;
    const passes = (v: number): boolean =>
      m.trades[v]! >= 2 && m.exposure[v]! >= 0.1 && m.max_drawdown[v]! <= 1 && m.sharpe[v]! >= -50 && m.sharpe[v]! <= 50;
    const want = expectedShortlist(res, 'sharpe', 'max', passes);
    expect(want.length, 'the filters keep some variants and drop others').toBeGreaterThan(2);
    expect(want.length).toBeLessThan(V);
    expect(res.shortlist.map((e) => e.variant)).toEqual(want.slice(0, 2));
    expect(res.stats).toMatchObject({ risk_total: want.length, preselect_used: true });
  });

  it('drops variants without a trade by default (min_trades 1) and does not preselect when all passing fit', async () => {
    const res = await engineOf('wasm-simd').backtest({ ...base, top: 10 });
    const want = expectedShortlist(res, 'sharpe', 'max', (v) => res.metrics.trades[v]! >= 1);
    expect(want).toHaveLength(V - idle.length);
    expect(res.shortlist.map((e) => e.variant)).toEqual(want);
    expect(res.stats).toMatchObject({ risk_total: V - idle.length, preselect_used: false });
  });

  it('accepts filters.max_drawdown as a number: the largest drawdown allowed', async () => {
    const probe = await engineOf('wasm-simd').backtest(base);
    const dds = [...probe.metrics.max_drawdown].filter((_, v) => probe.metrics.trades[v]! >= 1).sort((a, b) => a - b);
    const limit = dds[Math.floor(dds.length / 2)]!;
    const res = await engineOf('wasm-simd').backtest({ ...base, filters: { max_drawdown: limit } });
    const want = expectedShortlist(res, 'sharpe', 'max', (v) => res.metrics.trades[v]! >= 1 && res.metrics.max_drawdown[v]! <= limit);
    expect(want.length).toBeLessThan(V - idle.length);
    expect(res.shortlist.map((e) => e.variant)).toEqual(want);
    expect(res.stats.risk_total).toBe(want.length);
    const asBound = await engineOf('wasm-simd').backtest({ ...base, filters: { max_drawdown: [Number.NEGATIVE_INFINITY, limit] } });
    expect(
      asBound.shortlist.map((e) => e.variant),
      'the [lo, hi] form gives the same shortlist',
    ).toEqual(want);
  });
});

describe('variant helpers', () => {
  it('variantIndex(variantValues(v)) is v; keys are distinct SHA-256 hex; the shortlist carries them', async () => {
    const res = await engineOf('wasm-simd').backtest(base);
    expect(res.variantValues(0)).toEqual({ ma: 'ma.sma', source: 'close', fast: 5, slow: 20 });
    expect(res.variantValues(7)).toEqual({ ma: 'ma.sma', source: 'close', fast: 20, slow: 700 });
    const keys = new Set<string>();
    for (let v = 0; v < V; v++) {
      expect(res.variantIndex(res.variantValues(v))).toBe(v);
      expect(res.variantKey(v)).toMatch(/^[0-9a-f]{64}$/);
      keys.add(res.variantKey(v));
    }
    expect(keys.size).toBe(V);
    for (const e of res.shortlist) {
      expect(e.key).toBe(res.variantKey(e.variant));
      expect(e.params).toEqual(res.variantValues(e.variant));
    }
  });

  it('variantIndex is -1 for values a constraint drops; an index outside 0 … V − 1 is a RangeError', async () => {
    const res = await engineOf('wasm-simd').backtest(base);
    expect(res.variantIndex({ ma: 'ma.sma', source: 'close', fast: 20, slow: 20 })).toBe(-1);
    expect(() => res.variantValues(V)).toThrow(RangeError);
    expect(() => res.variantKey(-1)).toThrow(RangeError);
    expect(() => res.variantValues(1.5)).toThrow(RangeError);
  });
});

describe('holdout', () => {
  const crash = candlesOf(crashAndRecovery());
  const exec: Execution = { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 2, annualization: null };
  const req: BacktestRequest = {
    candles: crash,
    strategy,
    execution: exec,
    holdout: { fraction: 0.3 },
    filters: { min_trades: 0 },
    top: V,
  };

  /** The reference over rows [first, end), run directly: the metrics of every variant. */
  async function independent(first: number, end: number): Promise<Record<MetricName, Float64Array>> {
    const program = compileStrategy(strategy);
    const series = await operandSeries(program.series, crash, (r) => engineOf('reference').compute(r), {});
    const bars = { ...barInputs(crash, series, 0, crash.t, validRows(crash)), first, end };
    return metricColumns(referenceAccumulators(program, bars, exec, 0, program.variants), program.variants, horizonOf(bars, exec));
  }

  it('scores in-sample rows that end where the holdout starts: the first valid row of the last 30%', async () => {
    const res = await engineOf('wasm-simd').backtest(req);
    const valid = validRows(crash);
    const rows = [...valid.keys()].filter((r) => valid[r]);
    const row = rows[rows.length - Math.floor(rows.length * 0.3)]!;
    expect(res.holdout).toEqual({ row, ts: Number(crash.tsOpen[row]!) });
    expect(res.stats.rows).toBe(row);
    expect(res.stats.validBars).toBe(rows.filter((r) => r < row).length);
    const want = await independent(0, row);
    for (const m of METRIC_NAMES)
      for (let v = 0; v < V; v++) expect(Object.is(res.metrics[m][v], want[m][v]), `${m} of variant ${v}`).toBe(true);
  });

  it('replays the out-of-sample part as its own run, equal to the reference over those rows', async () => {
    const res = await engineOf('wasm-simd').backtest(req);
    const row = res.holdout!.row;
    const want = await independent(row, crash.t);
    const replays = await res.replay();
    expect(replays).toHaveLength(V);
    let trades = 0;
    for (const r of replays) {
      const oos = r.out_of_sample!;
      for (const m of METRIC_NAMES) expect(Object.is(oos.metrics[m], want[m][r.variant]), `${m} of variant ${r.variant}`).toBe(true);
      for (const t of oos.trades) expect(t.entry_bar).toBeGreaterThanOrEqual(row);
      for (const t of r.trades) expect(t.open || t.exit_bar! < row).toBe(true);
      expect(oos.equity.subarray(0, row).every(Number.isNaN)).toBe(true);
      trades += oos.trades.length;
    }
    expect(trades, 'the out-of-sample part trades').toBeGreaterThan(0);
  });

  it('splits at the first row at or after fromTs', async () => {
    const from = Number(crash.tsOpen[1000]!) - 1;
    const res = await engineOf('wasm-simd').backtest({ ...req, holdout: { fromTs: from } });
    expect(res.holdout).toEqual({ row: 1000, ts: Number(crash.tsOpen[1000]!) });
    expect(res.stats.rows).toBe(1000);
  });
});
