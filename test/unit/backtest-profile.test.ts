/**
 * Backtests in the talib profile: a ma_cross over the moving averages that have `def.talib` (read
 * from the registry) computes its operand series in the profile, names it in its stats, its Arrow
 * metadata and its strategy keys (the default profile's keys unchanged), replays in it (Stage B
 * metrics bit-identical to Stage A's in both profiles) and differs from the default profile's run
 * exactly where the operand series differ. A bad profile is a StrategyValidationError naming it.
 */
import { tableFromIPC } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import { operandSeries } from '../../src/backtest/series.js';
import { StrategyValidationError } from '../../src/errors.js';
import { registry } from '../../src/registry/index.js';
import type { Profile } from '../../src/registry/types.js';
import { compileStrategy, strategyKeyPayload } from '../../src/strategies/index.js';
import { strategyRegistry } from '../../src/strategies/registry.js';
import type { StrategySpec } from '../../src/strategies/types.js';
import { crashAndRecovery } from '../helpers/backtest-series.js';
import { randomWalk } from '../helpers/series.js';
import { candlesOf, closingEngines, engineOf } from '../helpers/engine.js';

const candles = candlesOf(crashAndRecovery());
/** The template's moving averages that TA-Lib computes. */
const maIds = (strategyRegistry.get('ma_cross').params.find((p) => p.name === 'ma')!.values as readonly string[]).filter(
  (id) => registry.has(id) && registry.get(id).talib,
);
const strategy: StrategySpec = { id: 'ma_cross', params: { ma: maIds, fast: [2, 3, 5], slow: [4, 10, 20] } };
const execution = { side: 'both', fill: 'next_open', fee_bps: 5, slippage_bps: 1 } as const;

const sameBits = (a: ArrayLike<number>, b: ArrayLike<number>): boolean =>
  a.length === b.length && Array.from(a).every((x, i) => Object.is(x, b[i]));

describe('backtests in the talib profile', () => {
  it('some moving average of ma_cross has def.talib', () => {
    expect(maIds.length).toBeGreaterThan(0);
  });

  for (const build of ['wasm-simd', 'wasm-scalar'] as const) {
    it(`${build}: stats, keys, Stage B = Stage A, and the difference from the default where the series differ`, async () => {
      const engine = engineOf(build);
      const runs = {} as Record<Profile, Awaited<ReturnType<typeof engine.backtest>>>;
      for (const profile of ['gridta', 'talib'] as const) {
        const r = await engine.backtest({ candles, strategy, execution, profile });
        runs[profile] = r;
        expect(r.stats.profile).toBe(profile);
        expect(tableFromIPC(r.toArrowIPC()).schema.metadata.get('gridta.profile')).toBe(profile);
        // Stage B replays in the run's profile: metrics bit-identical to Stage A's
        const all = Array.from({ length: r.variants }, (_, v) => v);
        const replays = await r.replay(all);
        for (const x of replays) {
          expect(x.key).toBe(r.variantKey(x.variant));
          for (const m of METRIC_NAMES)
            expect(Object.is(x.metrics[m], r.metrics[m][x.variant]), `${profile} ${m} of ${x.variant}`).toBe(true);
        }
        // backtestReplay and backtestRange in the same profile give the same bits
        const again = await engine.backtestReplay({ candles, strategy, execution, variants: [all.length - 1, 0], profile });
        expect(again.map((x) => x.key)).toEqual([r.variantKey(all.length - 1), r.variantKey(0)]);
        for (const m of METRIC_NAMES) expect(Object.is(again[1]!.metrics[m], r.metrics[m][0])).toBe(true);
        const range = await engine.backtestRange({ candles, strategy, execution, profile }, 1, r.variants);
        for (const m of METRIC_NAMES) expect(sameBits(range.metrics[m], r.metrics[m].subarray(1))).toBe(true);
      }
      const { gridta, talib } = runs;
      const program = compileStrategy(strategy, registry, 'both');
      for (let v = 0; v < talib.variants; v++) {
        // the default profile's key is the key it always was; the talib key names its profile
        expect(gridta.variantKey(v)).not.toBe(talib.variantKey(v));
        expect(strategyKeyPayload(program, v, candles.instrumentId, candles.timeframe, gridta.execution)).not.toContain('profile');
        expect(strategyKeyPayload(program, v, candles.instrumentId, candles.timeframe, talib.execution, 'talib')).toContain(
          ',"profile":"talib"}',
        );
      }
      // the operand series of both profiles: the runs differ exactly where a variant's series differ
      const series = {} as Record<Profile, Float32Array[]>;
      for (const profile of ['gridta', 'talib'] as const)
        series[profile] = await operandSeries(program.series, candles, (r) => engine.compute(r), { profile });
      const seriesDiffer = program.series.some((_, k) => !sameBits(series.gridta[k]!, series.talib[k]!));
      const metricsDiffer = METRIC_NAMES.some((m) => !sameBits(gridta.metrics[m], talib.metrics[m]));
      expect(metricsDiffer).toBe(seriesDiffer);
    });
  }

  it('computes every operand series in the requested profile', async () => {
    const program = compileStrategy(strategy, registry, 'both');
    const seen = new Set<unknown>();
    await operandSeries(
      program.series,
      candles,
      (r) => {
        seen.add(r.profile);
        return engineOf('wasm-simd').compute(r);
      },
      { profile: 'talib' },
    );
    expect([...seen]).toEqual(['talib']);
  });

  it("a request without a profile takes the engine's; a request's profile wins", async () => {
    const make = closingEngines();
    const engine = make({ profile: 'talib', threads: 1 });
    const r = await engine.backtest({ candles, strategy, execution });
    expect(r.stats.profile).toBe('talib');
    const explicit = await engineOf('wasm-simd').backtest({ candles, strategy, execution, profile: 'talib' });
    expect(r.variantKey(3)).toBe(explicit.variantKey(3));
    expect((await engine.backtest({ candles, strategy, execution, profile: 'gridta' })).stats.profile).toBe('gridta');
  });

  it('a bad profile is a StrategyValidationError naming the field and the value', async () => {
    const engine = engineOf('wasm-simd');
    for (const bad of ['TALIB!', 'tradingview', 3]) {
      const calls = [
        engine.backtest({ candles, strategy, profile: bad as never }),
        engine.backtestReplay({ candles, strategy, variants: [0], profile: bad as never }),
        engine.backtestRange({ candles, strategy, profile: bad as never }, 0, 1),
      ];
      for (const call of calls) {
        const e = await call.catch((x: unknown) => x);
        expect(e).toBeInstanceOf(StrategyValidationError);
        expect((e as StrategyValidationError).details).toMatchObject({ path: 'profile', value: bad });
      }
    }
  });
});

describe('series shared across params (outputParams) only in the default profile', () => {
  // stoch's k reads k_window and smoothing in the default profile, so variants that differ in
  // d_window share one k series; in TA-Lib's, k starts at the lookback of d as well
  const stochK = { ind: 'momentum.stoch', output: 'k', params: { k_window: 5, smoothing: 3, d_window: '$d' } };
  const custom = (d: number[]): StrategySpec =>
    ({
      id: 'custom',
      params: [{ name: 'd', kind: 'int', min: 2, max: 50, default: d }],
      rules: { long_entry: ['cross_above', stochK, 20], long_exit: ['cross_below', stochK, 80] },
    }) as never;

  it('compiles one k series for two d_window values in the default profile, two in talib', () => {
    const k = (profile: Profile): number => compileStrategy(custom([3, 9]), registry, 'long', profile).series.length;
    expect(k('gridta')).toBe(1);
    expect(k('talib')).toBe(2);
  });

  it('a talib backtest over two d_window values gives each the metrics of its own run', async () => {
    // a hole every 37 bars restarts k, so its extra leading NaNs with d_window 9 change the trades
    const walk = randomWalk(3000, 5, 'holes every 37 bars');
    for (let i = 30; i < walk.t; i += 37) for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) walk[k][i] = Number.NaN;
    const candles = candlesOf(walk);
    const engine = engineOf('wasm-simd');
    const execution = { side: 'long', fill: 'close', fee_bps: 0 } as const;
    const both = await engine.backtest({ candles, strategy: custom([3, 9]), execution, profile: 'talib', filters: { min_trades: 0 } });
    for (const [v, d] of [3, 9].entries()) {
      const alone = await engine.backtest({ candles, strategy: custom([d]), execution, profile: 'talib', filters: { min_trades: 0 } });
      for (const m of METRIC_NAMES) expect(Object.is(both.metrics[m][v], alone.metrics[m][0]), `d_window ${d}: ${m}`).toBe(true);
    }
    // and the two differ: k is NaN for d − 1 more bars of each run with d_window 9
    expect(METRIC_NAMES.some((m) => !Object.is(both.metrics[m][0], both.metrics[m][1]))).toBe(true);
  });
});
