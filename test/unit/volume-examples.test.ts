/**
 * Hand-worked examples of the volume group: a few bars worked out by hand in the
 * comments; the reference and the kernel (SIMD and scalar builds, both layouts) must give exactly
 * the float32 of the worked binary64 arithmetic.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { bars, expectExample, f32s } from '../helpers/examples.js';
import { runKernel, type Target } from '../helpers/oracle.js';
import type { TestSeries } from '../helpers/series.js';

const f = Math.fround;

describe('volume.obv worked by hand', () => {
  // close 10, 11, 11, 10.5, 12, NaN, 13, 12 with volume 100 … 70:
  //   DIFF(close)   NaN, 1,   0,   −0.5, 1.5, NaN, NaN, −1
  //   SV            NaN, 200, 0,   −400, 500, NaN, NaN, −70
  //   CUMSUM        NaN, 200, 200, −200, 300, NaN, NaN, −70   (restarts two bars after the hole)
  const s = bars('obv', [
    [10, 10, 10, 10, 100],
    [11, 11, 11, 11, 200],
    [11, 11, 11, 11, 300],
    [10.5, 10.5, 10.5, 10.5, 400],
    [12, 12, 12, 12, 500],
    [NaN, NaN, NaN, NaN, NaN],
    [13, 13, 13, 13, 50],
    [12, 12, 12, 12, 70],
  ]);

  it('adds up the volume signed by the close change and restarts after a missing bar', () => {
    expectExample('volume.obv', {}, s, 'obv', [NaN, 200, 200, -200, 300, NaN, NaN, -70]);
  });
});

describe('volume.mfi worked by hand', () => {
  // (high, low, close) chosen so that TP = ((h + l) + c) / 3 is an integer:
  //   bar  TP  volume  flow
  //   0    10  100     NaN (no previous TP)
  //   1    11  200     POS 2200
  //   2    10  300     NEG 3000
  //   3    12  100     POS 1200
  //   4    12    0     0, 0 (tie)
  //   5    12    0     0, 0 (tie)
  // window 2:
  //   t=1  the window holds bar 0's NaN flow                      → NaN (warm-up 2)
  //   t=2  SP 2200, SN 3000: 100 − 100 / (1 + 2200/3000)           → 42.307692…
  //   t=3  SP 1200, SN 3000: 100 − 100 / (1 + 1200/3000) = 100 − 100/1.4 → 28.571428…
  //   t=4  SP 1200, SN 0                                           → 100
  //   t=5  SP 0, SN 0 (all-zero window)                            → 100
  const s = bars('mfi', [
    [10, 11, 9, 10, 100],
    [11, 12, 10, 11, 200],
    [10, 11, 9, 10, 300],
    [12, 13, 11, 12, 100],
    [12, 13, 11, 12, 0],
    [12, 13, 11, 12, 0],
  ]);

  it('follows 100 − 100 / (1 + SP/SN) and gives 100 where SN is 0, also for an all-zero window', () => {
    expect(f(100 - 100 / (1 + 1200 / 3000)), 'the worked value at t=3').toBe(f(28.571428571428573));
    expectExample('volume.mfi', { window: 2 }, s, 'mfi', [
      NaN,
      NaN,
      100 - 100 / (1 + 2200 / 3000),
      100 - 100 / (1 + 1200 / 3000),
      100,
      100,
    ]);
  });
});

describe('volume.vwap and volume.vwap_deviation worked by hand', () => {
  //   bar  TP  volume  TP·volume
  //   0    10  100     1000
  //   1    11  300     3300
  //   2    12  100     1200
  // window 2: vwap[1] = (1000 + 3300) / 400 = 10.75, vwap[2] = (3300 + 1200) / 400 = 11.25
  // E = TP − vwap: E[1] = 0.25, E[2] = 0.75; at t=2 the window of E is full:
  //   S = 1, Q = 0.0625 + 0.5625 = 0.625, m = 0.5, var = 0.3125 − 0.25 = 0.0625, sd = 0.25
  //   mult 2: upper = 11.25 + 0.5 = 11.75, lower = 11.25 − 0.5 = 10.75
  const s = bars('vwap', [
    [10, 11, 9, 10, 100],
    [11, 12, 10, 11, 300],
    [12, 13, 11, 12, 100],
  ]);

  it('divides the rolling sum of TP·volume by the rolling volume', () => {
    expectExample('volume.vwap', { window: 2 }, s, 'vwap', [NaN, 10.75, 11.25]);
  });

  it('puts bands at mult population deviations of TP − vwap', () => {
    const p = { mult: 2, window: 2 };
    expectExample('volume.vwap_deviation', p, s, 'vwap', [NaN, 10.75, 11.25]);
    expectExample('volume.vwap_deviation', p, s, 'vwap_stdev', [NaN, NaN, 0.25]);
    expectExample('volume.vwap_deviation', p, s, 'vwap_upper', [NaN, NaN, 11.75]);
    expectExample('volume.vwap_deviation', p, s, 'vwap_lower', [NaN, NaN, 10.75]);
  });
});

describe('zero-volume windows after fractional volume', () => {
  //   bar  (h, l, c)         TP    volume  mfm
  //   0    (11, 9, 10)       10    1e8     ((10 − 9) − (11 − 10)) / 2 = 0
  //   1    (11, 9, 10)       10    0.1f    0            (0.1f = float32 0.1 = 0.100000001490116…)
  //   2–4  (11, 10, 10.5)    10.5  0       0
  // ROLLSUM(volume, 2) in the spec's order: den[1] = 1e8 + 0.1f (rounded), den[2] = (den[1] + 0) − 1e8,
  // then at t=3 a residue (−7.45e−9) would remain; the window [2, 3] holds only zeros, so z == 0 resets
  // the sum to exactly 0 and every guarded division gives NaN (vwap, cmf) or mfi's 100.
  const v1 = f(0.1);
  const s = bars('zero volume', [
    [10, 11, 9, 10, 1e8],
    [10, 11, 9, 10, 0.1],
    [10.5, 11, 10, 10.5, 0],
    [10.5, 11, 10, 10.5, 0],
    [10.5, 11, 10, 10.5, 0],
  ]);
  const den1 = 1e8 + v1,
    den2 = den1 + 0 - 1e8;

  it('leaves a residue in the running volume sum without the reset (the case the reset exists for)', () => {
    expect(den2 + 0 - v1, 'sum after both terms left').not.toBe(0);
  });

  it('gives NaN for vwap over a window of zero volume', () => {
    // num[1] = 10·1e8 + 10·0.1f, num[2] = (num[1] + 10.5·0) − 10·1e8
    const num1 = 1e9 + 10 * v1,
      num2 = num1 + 0 - 1e9;
    expect(f(num2 / den2), 'the worked value at t=2').toBe(f(10.000000953674316));
    expectExample('volume.vwap', { window: 2 }, s, 'vwap', [NaN, num1 / den1, num2 / den2, NaN, NaN]);
  });

  it('gives NaN for cmf over a window of zero volume', () => {
    // AD = 0, 0, 0, 0, 0 (every mfm is 0), M = DIFF(AD) = NaN, 0, 0, 0, 0:
    // t=1 holds M[0] = NaN, t=2 is (0 + 0) / den[2] = 0, t=3 and t=4 divide by a zero volume sum
    expectExample('volume.cmf', { window: 2 }, s, 'cmf', [NaN, NaN, 0, NaN, NaN]);
  });

  it('gives 100 for mfi over a window of zero volume', () => {
    // flows: bar 1 tie (0, 0), bar 2 TP up with volume 0 (POS = 10.5·0 = 0), bars 3–4 ties
    expectExample('volume.mfi', { window: 2 }, s, 'mfi', [NaN, NaN, 100, 100, 100]);
  });
});

describe('volume.ad_line worked by hand', () => {
  //   bar  h   l   c     v    mfm = ((c − l) − (h − c)) / (h − l)   mfv    AD
  //   0    12  10  11.5  100  (1.5 − 0.5) / 2 = 0.5                  50     50
  //   1    12  10  10.5  200  (0.5 − 1.5) / 2 = −0.5                 −100   −50
  //   2    11  11  11    300  zero range                            —      NaN (line broken)
  //   3    13  11  12.5  400  (1.5 − 0.5) / 2 = 0.5                  200    200 (restarts)
  //   4    13  11  13    100  (2 − 0) / 2 = 1                        100    300
  //   5    13  11  11    100  (0 − 2) / 2 = −1                       −100   200
  const s = bars('ad', [
    [11, 12, 10, 11.5, 100],
    [11, 12, 10, 10.5, 200],
    [11, 11, 11, 11, 300],
    [12, 13, 11, 12.5, 400],
    [12, 13, 11, 13, 100],
    [12, 13, 11, 11, 100],
  ]);

  it("breaks on a zero-range bar and restarts from the next bar's flow", () => {
    expectExample('volume.ad_line', {}, s, 'ad_line', [50, -50, NaN, 200, 300, 200]);
  });

  it('makes cmf NaN from the zero-range bar g through g + n', () => {
    // M = DIFF(AD) = NaN, −100, NaN, NaN, 100, −100; window 2: t=5 → (100 − 100) / (100 + 100) = 0
    expectExample('volume.cmf', { window: 2 }, s, 'cmf', [NaN, NaN, NaN, NaN, NaN, 0]);
  });
});

/** As expectExample, in the talib profile: the reference and every kernel build and layout (int params only). */
function expectTalib(
  id: string,
  params: Readonly<Record<string, number>>,
  s: TestSeries,
  output: string,
  expected: readonly number[],
): void {
  const def = registry.get(id);
  const inputs = { t: s.t, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
  expect(Array.from(def.kernel!.reference(inputs, params, 'talib')[output]!), `${id}.${output} reference`).toEqual(f32s(expected));
  const axes = def.axes.map((name): Axis => ({ name, kind: 'int', values: [params[name]!] }) as Axis);
  for (const target of ['simd', 'scalar'] as Target[])
    for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
      const run = runKernel(def, axes, s, { target, layout, batch: 1, outputs: [output], profile: 'talib' });
      expect(Array.from(new Float32Array(run.values[0]!.buffer)), `${id}.${output} kernel ${target} ${layout}`).toEqual(f32s(expected));
    }
}

describe('talib profile: volume ids worked by hand (TA-Lib 0.6 gives the same numbers)', () => {
  it("mfi: 0 where SP + SN < 1, zero-volume windows included (TA-Lib's MFI)", () => {
    //   bar  TP  volume  flow           SP (−bar t−2, +bar t)   SN        output (from bar n = 2)
    //   0    10  100     —              —                       —         NaN
    //   1    11  200     POS 2200       2200                    0         NaN
    //   2    10  300     NEG 3000       2200                    3000      100 · 2200 / 5200 = 42.307…
    //   3    12  0       POS 0          0                       3000      100 · 0 / 3000 = 0
    //   4–5  12  0       tie            0                       0         sum 0 < 1 → 0 (gridta: 100)
    //   6    13  0.05f   POS 13·0.05f   0.65…                   0         sum 0.65 < 1 → 0
    //   7    12  0.05f   NEG 12·0.05f   0.65…                   0.60…     100 · p / (p + q) = 52
    const s = bars('mfi talib', [
      [10, 11, 9, 10, 100],
      [11, 12, 10, 11, 200],
      [10, 11, 9, 10, 300],
      [12, 13, 11, 12, 0],
      [12, 13, 11, 12, 0],
      [12, 13, 11, 12, 0],
      [13, 14, 12, 13, 0.05],
      [12, 13, 11, 12, 0.05],
    ]);
    const p = 13 * f(0.05),
      q = 12 * f(0.05);
    expectTalib('volume.mfi', { window: 2 }, s, 'mfi', [NaN, NaN, 100 * (2200 / 5200), 0, 0, 0, 0, 100 * (p / (p + q))]);
  });

  it("ad_line: a zero-range bar adds 0, a hole restarts the sum from 0 (TA-Lib's AD)", () => {
    // the rows of the gridta example above, then a hole and one bar: 50, −50, −50 (zero range),
    // 150, 250, 150, NaN, then (1.5 − 0.5) / 2 · 400 = 200 from 0
    const s = bars('ad talib', [
      [11, 12, 10, 11.5, 100],
      [11, 12, 10, 10.5, 200],
      [11, 11, 11, 11, 300],
      [12, 13, 11, 12.5, 400],
      [12, 13, 11, 13, 100],
      [12, 13, 11, 11, 100],
      [NaN, NaN, NaN, NaN, NaN],
      [12, 13, 11, 12.5, 400],
    ]);
    expectTalib('volume.ad_line', {}, s, 'ad_line', [50, -50, -50, 150, 250, 150, NaN, 200]);
  });

  it("obv: the first bar, and the first after a hole, start from their volume (TA-Lib's OBV)", () => {
    // close 10, 11, 11, 10.5, 12, NaN, 13, 12 with volume 100, 200, 300, 400, 500, NaN, 50, 70
    const s = bars('obv talib', [
      [10, 10, 10, 10, 100],
      [11, 11, 11, 11, 200],
      [11, 11, 11, 11, 300],
      [10.5, 10.5, 10.5, 10.5, 400],
      [12, 12, 12, 12, 500],
      [NaN, NaN, NaN, NaN, NaN],
      [13, 13, 13, 13, 50],
      [12, 12, 12, 12, 70],
    ]);
    expectTalib('volume.obv', {}, s, 'obv', [100, 300, 300, -100, 400, NaN, 50, -20]);
  });
});
