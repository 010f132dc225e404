/**
 * Hand-worked examples of the structure group: a few bars worked out by hand in
 * the comments; the reference and the kernel (SIMD and scalar builds, both layouts) must give exactly
 * the float32 of the worked binary64 arithmetic. Also: every single-component wrapper id returns the
 * very bits of the output it wraps.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { bars, expectExample, kernelOutputs, referenceOutput } from '../helpers/examples.js';
import { runKernel, type Target } from '../helpers/oracle.js';
import { flatBars, withHoles } from '../helpers/series.js';

const f = Math.fround;
const N = NaN;

/** Bars from closes only (open = high = low = close, volume 1): enough for source-only ids. */
const closes = (name: string, xs: readonly number[]) =>
  bars(
    name,
    xs.map((x) => [x, x, x, x, 1] as const),
  );

describe('structure.percent_rank worked by hand', () => {
  // window 3, close 3, 1, 2, 2, 5, NaN, 4, 1, 3, 0.5; C = #{window values <= close[t]}:
  //   t=2  [3, 1, 2]  vs 2  → C 2 → (2/3)·100
  //   t=3  [1, 2, 2]  vs 2  → C 3 → 100 (ties count as below or equal)
  //   t=4  [2, 2, 5]  vs 5  → C 3 → 100
  //   t=5…7 the window holds the NaN → NaN
  //   t=8  [4, 1, 3]  vs 3  → C 2 → (2/3)·100
  //   t=9  [1, 3, 0.5] vs 0.5 → C 1 → (1/3)·100 (the current bar counts itself)
  const s = closes('percent rank', [3, 1, 2, 2, 5, NaN, 4, 1, 3, 0.5]);

  it('counts the window values at or below the current one, current bar and ties included', () => {
    expectExample('structure.percent_rank', { source: 'close', window: 3 }, s, 'percent_rank', [
      N,
      N,
      (2 / 3) * 100,
      100,
      100,
      N,
      N,
      N,
      (2 / 3) * 100,
      (1 / 3) * 100,
    ]);
  });
});

describe('structure.pivots worked by hand', () => {
  // left 2, right 1: on bar t the centre is c = t − 1 and the window [t − 3, t].
  //   high 1, 3, 2, 5, 4, 4, 6, 2, 1, 7, 7, 3, 2
  //   t=4  c=3 (5) in [3, 2, 5, 4]  → 5;   t=7  c=6 (6) in [4, 4, 6, 2] → 6
  //   t=10, 11: the two 7s disqualify each other (strict pivots); every other bar has a value >= its centre
  //   low  5, 3, 4, 1, 2, 2, 0, 3, 4, −1, −1, 2, 3
  //   t=4  c=3 (1) in [3, 4, 1, 2]  → 1;   t=7  c=6 (0) in [2, 2, 0, 3] → 0;  the two −1s tie
  const high = [1, 3, 2, 5, 4, 4, 6, 2, 1, 7, 7, 3, 2];
  const low = [5, 3, 4, 1, 2, 2, 0, 3, 4, -1, -1, 2, 3];
  const s = bars(
    'pivots',
    high.map((h, i) => [low[i]!, h, low[i]!, low[i]!, 1] as const),
  );
  const p = { left: 2, right: 1 };

  it('reports a strict pivot high on its confirmation bar', () => {
    expectExample('structure.pivots', p, s, 'pivot_high', [N, N, N, N, 5, N, N, 6, N, N, N, N, N]);
  });

  it('reports a strict pivot low on its confirmation bar', () => {
    expectExample('structure.pivots', p, s, 'pivot_low', [N, N, N, N, 1, N, N, 0, N, N, N, N, N]);
  });

  it('drops a pivot whose window holds a NaN', () => {
    // high 1, 0, 2, 9, 3, 1: t=4 confirms 9 in [0, 2, 9, 3]; with bar 1 missing the window is not NaN-free
    const clean = bars(
      'clean',
      [1, 0, 2, 9, 3, 1].map((h) => [0, h, -1, 0, 1] as const),
    );
    const holed = bars(
      'holed',
      [1, NaN, 2, 9, 3, 1].map((h) => [0, h, -1, 0, 1] as const),
    );
    expectExample('structure.pivot_high', p, clean, 'pivot_high', [N, N, N, N, 9, N]);
    expectExample('structure.pivot_high', p, holed, 'pivot_high', [N, N, N, N, N, N]);
  });
});

describe('structure.candle_stats worked by hand', () => {
  //   bar  (o, h, l, c)          range  body  upper           lower
  //   0    (10, 12, 9, 11)       3      1     12 − 11 = 1     10 − 9 = 1
  //   1    (11, 11.5, 8, 8.5)    3.5    2.5   11.5 − 11 = 0.5 8.5 − 8 = 0.5
  //   2    (7, 7, 7, 7)          0      0     0               0          (flat: every fraction NaN)
  //   3    (NaN, 7, 6, 6.5)      NaN everywhere (one price missing)
  const s = bars('candles', [
    [10, 12, 9, 11, 1],
    [11, 11.5, 8, 8.5, 1],
    [7, 7, 7, 7, 1],
    [NaN, 7, 6, 6.5, 1],
  ]);

  it('measures range, body and wicks, NaN on a bar with a missing price', () => {
    expectExample('structure.candle_stats', {}, s, 'range', [3, 3.5, 0, N]);
    expectExample('structure.candle_stats', {}, s, 'body', [1, 2.5, 0, N]);
    expectExample('structure.candle_stats', {}, s, 'upper_wick', [1, 0.5, 0, N]);
    expectExample('structure.candle_stats', {}, s, 'lower_wick', [1, 0.5, 0, N]);
  });

  it('gives the fractions of the range and NaN for candle_body_pct on a flat bar', () => {
    expectExample('structure.candle_stats', {}, s, 'body_pct', [1 / 3, 2.5 / 3.5, N, N]);
    expectExample('structure.candle_stats', {}, s, 'upper_wick_pct', [1 / 3, 0.5 / 3.5, N, N]);
    expectExample('structure.candle_body_pct', {}, s, 'body_pct', [1 / 3, 2.5 / 3.5, N, N]);
  });
});

describe('ATR-normalised structure ids worked by hand', () => {
  // atr_window 3: a = 1/3, b = 1 − a. TR: bar 0 = 12 − 9 = 3 (seed: ATR = 3);
  // bar 1 = max(11.5 − 8, |11.5 − 11|, |8 − 11|) = 3.5, ATR = a·3.5 + b·3 = 3.1666…, which is not a
  // float32: Z = fl32(ATR) = 3.1666667461…, and every component is divided by that rounded value.
  const s = bars('atr norm', [
    [10, 12, 9, 11, 1],
    [11, 11.5, 8, 8.5, 1],
  ]);
  const a = 1 / 3,
    b = 1 - a;
  const z1 = f(a * 3.5 + b * 3);

  it('divides the candle components by the float32-rounded ATR', () => {
    expect(z1, 'ATR32 of bar 1').not.toBe(a * 3.5 + b * 3);
    const p = { atr_window: 3 };
    expectExample('structure.candle_stats_atr_norm', p, s, 'body_atr', [1 / 3, 2.5 / z1]);
    expectExample('structure.candle_stats_atr_norm', p, s, 'range_atr', [3 / 3, 3.5 / z1]);
    expectExample('structure.candle_stats_atr_norm', p, s, 'upper_wick_atr', [1 / 3, 0.5 / z1]);
    expectExample('structure.candle_stats_atr_norm', p, s, 'lower_wick_atr', [1 / 3, 0.5 / z1]);
  });

  it('gives NaN while the ATR is exactly 0 (flat from the first bar)', () => {
    const flat = bars('flat start', [
      [5, 5, 5, 5, 1],
      [5, 5, 5, 5, 1],
      [5, 6, 4, 5, 1],
    ]);
    // TR 0, 0, then 2: ATR 0, 0, a·2 + b·0 → range_atr NaN, NaN, 2 / fl32(a·2)
    expectExample('structure.candle_range_atr', { atr_window: 3 }, flat, 'range_atr', [N, N, 2 / f(a * 2 + b * 0)]);
  });

  it('measures the distance to the EMA in units of the float32-rounded ATR', () => {
    // window 2: EMA α = 2/3, RMA α = 1/2. Bar 0: E = 11, Z = 3, (11 − 11) / 3 = 0.
    // Bar 1: E = (2/3)·8.5 + (1 − 2/3)·11, Z = fl32(0.5·3.5 + 0.5·3) = 3.25, (8.5 − E) / 3.25
    const ae = 2 / (2 + 1);
    const e1 = ae * 8.5 + (1 - ae) * 11;
    expectExample('structure.distance_to_ma_norm', { source: 'close', window: 2 }, s, 'distance_to_ma_norm', [
      0,
      (8.5 - e1) / f(0.5 * 3.5 + 0.5 * 3),
    ]);
  });
});

describe('structure.zscore worked by hand', () => {
  // window 3 over 1, 2, 3, 3, 3, 3, 4 (running S and Q as in ROLLVAR, integers here):
  //   t=2  S 6,  Q 14: m = 6/3,  V = 14/3 − m·m,  z = (3 − m) / sqrt(V) ≈ 1.2247
  //   t=3  S 8,  Q 22: m = 8/3,  V = 22/3 − m·m,  z = (3 − m) / sqrt(V) ≈ 0.7071
  //   t=4  S 9,  Q 27: V = 9 − 9 = 0 (flat window) → NaN; t=5 the same
  //   t=6  S 10, Q 34: m = 10/3, V = 34/3 − m·m,  z = (4 − m) / sqrt(V) ≈ 1.4142
  const s = closes('zscore', [1, 2, 3, 3, 3, 3, 4]);
  const z = (x: number, S: number, Q: number) => {
    const m = S / 3;
    return (x - m) / Math.sqrt(Q / 3 - m * m);
  };

  it('standardises by the rolling population deviation and is NaN on a flat window', () => {
    expectExample('structure.zscore', { source: 'close', window: 3 }, s, 'zscore', [N, N, z(3, 6, 14), z(3, 8, 22), N, N, z(4, 10, 34)]);
  });
});

describe('structure.zscore on a flat window after moving bars', () => {
  // window 3 over 18.35…, 6.65…, 2.48…, then 1.2536… three times (float32 values): at t=5 the window is
  // flat, but the running sums still carry the rounding of the bars that left, so
  // V = (Q / 3) − (S/3)² comes out at −4.66e−15. ROLLVAR clamps (−1e−12, 0) to 0 and the guard on V == 0
  // makes zscore NaN there (as it would for any V <= 0).
  const xs = [18.351476669311523, 6.650130748748779, 2.487657070159912, 1.2536126375198364, 1.2536126375198364, 1.2536126375198364];
  const s = closes('flat after moving', xs);

  it('is NaN where the rounding leaves the variance just below 0', () => {
    let S = 0,
      Q = 0;
    xs.forEach((v, t) => {
      S = S + v;
      Q = Q + v * v;
      if (t >= 3) {
        const u = xs[t - 3]!;
        S = S - u;
        Q = Q - u * u;
      }
    });
    const raw = Q / 3 - (S / 3) * (S / 3);
    expect(raw < 0 && raw > -1e-12, `unclamped variance ${raw}`).toBe(true);
    const got = referenceOutput('structure.zscore', { source: 'close', window: 3 }, s, 'zscore');
    expect(got[5]).toBeNaN();
    for (const [name, k] of Object.entries(kernelOutputs('structure.zscore', { source: 'close', window: 3 }, s, 'zscore'))) {
      expect(Array.from(k), name).toEqual(Array.from(got));
    }
  });
});

describe('wrapper ids return exactly the output they wrap', () => {
  const WRAPPED: Readonly<Record<string, { of: string; output: string }>> = {
    'structure.candle_body': { of: 'structure.candle_stats', output: 'body' },
    'structure.candle_body_pct': { of: 'structure.candle_stats', output: 'body_pct' },
    'structure.candle_range': { of: 'structure.candle_stats', output: 'range' },
    'structure.candle_upper_wick': { of: 'structure.candle_stats', output: 'upper_wick' },
    'structure.candle_upper_wick_pct': { of: 'structure.candle_stats', output: 'upper_wick_pct' },
    'structure.candle_lower_wick': { of: 'structure.candle_stats', output: 'lower_wick' },
    'structure.candle_lower_wick_pct': { of: 'structure.candle_stats', output: 'lower_wick_pct' },
    'structure.candle_body_atr': { of: 'structure.candle_stats_atr_norm', output: 'body_atr' },
    'structure.candle_range_atr': { of: 'structure.candle_stats_atr_norm', output: 'range_atr' },
    'structure.candle_upper_wick_atr': { of: 'structure.candle_stats_atr_norm', output: 'upper_wick_atr' },
    'structure.candle_lower_wick_atr': { of: 'structure.candle_stats_atr_norm', output: 'lower_wick_atr' },
    'structure.pivot_high': { of: 'structure.pivots', output: 'pivot_high' },
    'structure.pivot_low': { of: 'structure.pivots', output: 'pivot_low' },
  };
  const series = [withHoles(), flatBars()];

  it('covers every single-output wrapper of the group', () => {
    const wrappers = registry
      .byGroup('structure')
      .filter((d) => d.outputs.length === 1 && d.kernel && d.kernel.slots.length > 1)
      .map((d) => d.id);
    expect(wrappers.sort()).toEqual(Object.keys(WRAPPED).sort());
  });

  it.each(Object.entries(WRAPPED).map(([id, w]) => ({ id, ...w })))(
    '$id equals the wrapped $output bit for bit in both builds and layouts',
    ({ id, of, output }) => {
      const def = registry.get(id),
        base = registry.get(of);
      expect(def.kernel, 'the wrapper runs the wrapped kernel').toBe(base.kernel);
      const axes: Axis[] = def.axes.map((name) => ({ name, kind: 'int', values: name === 'atr_window' ? [2, 14, 61] : [2, 5, 9] }) as Axis);
      for (const s of series)
        for (const target of ['simd', 'scalar'] as Target[])
          for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
            const got = runKernel(def, axes, s, { target, layout, batch: 7 }).values[0]!;
            const want = runKernel(base, axes, s, { target, layout, batch: 7 }).values[base.outputs.indexOf(output)]!;
            expect(Array.from(got), `${s.name} ${target} ${layout}`).toEqual(Array.from(want));
            expect(
              got.some((x) => x !== 0x7fc00000),
              'some values are not NaN',
            ).toBe(true);
          }
    },
  );
});
