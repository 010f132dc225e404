/**
 * The plain-JS baselines compute what gridta computes: bit for bit equal to the reference on a
 * series with holes, for the first, middle and last variant of every output of every case.
 */
import { describe, expect, it } from 'vitest';
import { CASE_IDS, benchCases, caseById } from '../../bench/cases.js';
import { syntheticMinuteCandles } from '../../bench/data.js';
import { registry } from '../../src/registry/index.js';

const candles = syntheticMinuteCandles(20_000);

describe.each(CASE_IDS.map((id) => ({ id })))('plain loop of $id', ({ id }) => {
  it('matches the reference bit for bit (NaN positions included)', () => {
    const kernel = registry.get(id).kernel;
    if (!kernel) {
      // no kernel yet means no reference binding either: the case generator must list it as skipped
      expect(
        benchCases([id]).skipped.map((s) => s.id),
        `${id} has no kernel and must be skipped`,
      ).toContain(id);
      return;
    }
    const c = caseById(id);
    const T = candles.t,
      V = c.variants;
    const outs = c.outputs.map(() => new Float32Array(T * V));
    c.plain(candles, outs);
    const inp = {
      t: T,
      src: candles.close,
      open: candles.open,
      high: candles.high,
      low: candles.low,
      close: candles.close,
      volume: candles.volume,
    };
    for (const v of [0, Math.floor((V - 1) / 2), V - 1]) {
      const want = kernel.reference(inp, c.params(v));
      c.outputs.forEach((o, k) => {
        for (let t = 0; t < T; t++) {
          const got = outs[k]![t * V + v]!,
            exp = want[o]![t]!;
          if (!(Object.is(got, exp) || (got !== got && exp !== exp))) {
            expect.fail(`${id} ${o} variant ${JSON.stringify(c.params(v))} bar ${t}: plain ${got} vs reference ${exp}`);
          }
        }
      });
    }
  });
});

describe('bench cases', () => {
  it('match the bench case table (variant counts checked against the materialised grids)', () => {
    expect(CASE_IDS).toEqual([
      'ma.ema',
      'ma.sma',
      'momentum.rsi',
      'volatility.atr',
      'volatility.bbands',
      'momentum.macd',
      'trend.adx',
      'volume.mfi',
      'structure.zscore',
    ]);
    expect(CASE_IDS.map((id) => caseById(id).variants)).toEqual([196, 196, 49, 46, 123, 99, 46, 46, 91]);
  });

  it('list an unknown name as skipped instead of failing', () => {
    const { runnable, skipped } = benchCases(['ma.ema', 'ma.nope']);
    expect(skipped.map((s) => s.id)).toContain('ma.nope');
    expect(runnable.every((c) => c.id === 'ma.ema')).toBe(true);
  });
});
