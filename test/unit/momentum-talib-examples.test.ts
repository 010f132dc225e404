/**
 * Hand-worked examples of the talib profile's subtle conventions in the momentum group: TA-Lib's
 * zero-division outputs and the restart after a hole. The reference and the kernel (SIMD and scalar
 * builds, both layouts) must give exactly the float32 of the worked binary64 arithmetic.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { bars, f32s } from '../helpers/examples.js';
import { runKernel, sourceOf, type Target } from '../helpers/oracle.js';
import type { TestSeries } from '../helpers/series.js';

const closes = (name: string, xs: readonly number[]) =>
  bars(
    name,
    xs.map((c) => [c, c, c, c, 1] as const),
  );

/** The reference and every kernel build and layout give `expected` for `output` in the talib profile. */
function expectTalib(id: string, window: number, s: TestSeries, output: string, expected: readonly number[]): void {
  const def = registry.get(id);
  const src = def.axes.includes('source') ? sourceOf(s, 'close') : undefined;
  const ref = def.kernel!.reference(
    { t: s.t, src, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume },
    { window },
    'talib',
  );
  expect(Array.from(ref[output]!), `${id} reference`).toEqual(f32s(expected));
  const axes = def.axes.map(
    (name): Axis => (name === 'source' ? { name, kind: 'source', values: ['close'] } : { name, kind: 'int', values: [window] }) as Axis,
  );
  for (const target of ['simd', 'scalar'] as Target[])
    for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
      const run = runKernel(def, axes, s, { target, layout, batch: 1, outputs: [output], profile: 'talib' });
      expect(Array.from(new Float32Array(run.values[0]!.buffer)), `${id} kernel ${target} ${layout}`).toEqual(f32s(expected));
    }
}

describe('talib profile: momentum.rsi worked by hand', () => {
  // window 2: each segment sums its first 2 changes, then G = ((G·1) + g) / 2, rsi = 100·(G / (G + L)).
  //   t  close  d    sums / averages         rsi
  //   0  10                                   NaN  first price of the segment
  //   1  10     0    G = 0, L = 0 (1 change)  NaN
  //   2  10     0    G = 0/2, L = 0/2         0    G + L == 0: TA-Lib writes 0 (the default profile NaN)
  //   3  12     +2   G = 1, L = 0             100
  //   4  11     −1   G = 0.5, L = 0.5         50
  //   5  NaN                                  NaN  a hole: the series restarts
  //   6  14                                   NaN  first price of the new segment
  //   7  13     −1   G = 0, L = 1 (1 change)  NaN
  //   8  15     +2   G = 2/2, L = 1/2         100·(1 / 1.5)
  //   9  15     0    G = 0.5, L = 0.25        100·(0.5 / 0.75)
  it('writes 0 while G + L is 0, and seeds again after a hole', () => {
    const s = closes('rsi talib', [10, 10, 10, 12, 11, NaN, 14, 13, 15, 15]);
    expectTalib('momentum.rsi', 2, s, 'rsi', [NaN, NaN, 0, 100, 50, NaN, NaN, NaN, 100 * (1 / 1.5), 100 * (0.5 / 0.75)]);
  });
});

describe('talib profile: momentum.roc worked by hand', () => {
  // window 2: t = 2 divides by close 0 (TA-Lib writes 0); the hole at t = 3 restarts the series, so
  // the first value after it is at t = 3 + 1 + 2 = 6: 100·((2 / 4) − 1) = −50 (the default profile
  // gives 100·((4 / 10) − 1) = −60 at t = 4).
  it('writes 0 for a zero divisor and restarts after a hole', () => {
    const s = closes('roc talib', [0, 5, 10, NaN, 4, 8, 2]);
    expectTalib('momentum.roc', 2, s, 'roc', [NaN, NaN, 0, NaN, NaN, NaN, -50]);
  });
});

describe('talib profile: momentum.williams_r and momentum.cci worked by hand', () => {
  // Flat bars: HH == LL (williams_r) and a zero mean deviation (cci): TA-Lib writes 0 from the first window.
  it('write 0 on flat windows', () => {
    const s = closes('flat talib', [7, 7, 7]);
    expectTalib('momentum.williams_r', 2, s, 'williams_r', [NaN, 0, 0]);
    expectTalib('momentum.cci', 2, s, 'cci', [NaN, 0, 0]);
  });
});
