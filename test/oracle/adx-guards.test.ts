/**
 * trend.adx's guards on bars no consistent candle produces. The TIME_MAJOR SIMD kernel leaves DX's
 * guards to IEEE arithmetic (P/0 and 0/0 make DX NaN by themselves) and keeps only the test of
 * A = ±0 for plus_di / minus_di, where an unguarded +inf or −inf would show. These series reach
 * those cases; the kernel must equal the reference bit for bit in both builds and layouts, with
 * odd variant counts so the padded last block is exercised.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { firstMismatch, referenceAll, runKernel, type Target } from '../helpers/oracle.js';
import { prng, randomWalk, type TestSeries } from '../helpers/series.js';

const def = registry.get('trend.adx');
const AXES: Axis[] = [
  { name: 'window', kind: 'int', values: [2, 3, 5, 9, 14] },
  { name: 'smoothing', kind: 'int', values: [2, 14, 30] },
];
/** Seven variants: one full block of four and a padded block of three. */
const SEVEN: Axis[] = [
  { name: 'window', kind: 'int', values: [2, 3, 5, 9, 14, 20, 40] },
  { name: 'smoothing', kind: 'int', values: [14] },
];
const f32 = (x: number): number => Math.fround(x);

/**
 * A hole at 99, then three bars with high = low = previous close, so TR = 0 and A = 0 from the seed
 * at 100 on; bar 101 closes above its high (10 > 9), so bar 102 (high = low = close = 10) has
 * up = 10 − 9 = 1: PDM = 1, P = a·1 > 0 while A = 0, and 100·(P / A) would be +inf.
 */
function zeroRangeUpMove(): TestSeries {
  const s = randomWalk(300, 41, 'zero true range with an up move');
  const bar = (i: number, h: number, l: number, c: number): void => {
    s.open[i] = c;
    s.high[i] = h;
    s.low[i] = l;
    s.close[i] = c;
  };
  for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][99] = NaN;
  bar(100, 9, 9, 9);
  bar(101, 9, 9, 10);
  bar(102, 10, 10, 10);
  bar(103, 10, 10, 10);
  return s;
}

/** Random small integers with high < low allowed and closes outside the range: TR of either sign after a hole, A = −0, A = 0 with SP > 0. */
function inconsistentBars(): TestSeries {
  const rnd = prng(77);
  const t = 1500;
  const s: TestSeries = {
    name: 'inconsistent bars',
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  const v = (): number => {
    const r = rnd();
    return r < 0.03 ? NaN : r < 0.1 ? -0 : Math.floor(rnd() * 3);
  };
  for (let i = 0; i < t; i++) {
    s.open[i] = v();
    s.high[i] = v();
    s.low[i] = v();
    s.close[i] = v();
    s.volume[i] = 1;
  }
  return s;
}

describe('trend.adx guards', () => {
  it('plus_di is NaN, not +inf, where A = 0 and SP > 0 (worked by hand: bar 102)', () => {
    const s = zeroRangeUpMove();
    const refs = referenceAll(def, AXES, s);
    for (const ref of refs) {
      const plus = new Float32Array(ref.plus_di!.buffer),
        minus = new Float32Array(ref.minus_di!.buffer),
        adx = new Float32Array(ref.adx!.buffer);
      expect(Number.isNaN(plus[102]!)).toBe(true);
      expect(Number.isNaN(minus[102]!)).toBe(true);
      expect(Number.isNaN(adx[102]!)).toBe(true);
      expect(plus[99]).toBeNaN();
    }
    // window 2 (a = 0.5) at bar 104 after bar 103 (TR 0, PDM 0): SP = 0.25, A = 0.5·TR(104).
    const h104 = s.high[104]!,
      l104 = s.low[104]!;
    const tr104 = Math.max(h104 - l104, Math.abs(h104 - 10), Math.abs(l104 - 10));
    const up = h104 - 10,
      dn = 10 - l104;
    const pdm104 = up > dn && up > 0 ? up : 0;
    const P = 0.5 * pdm104 + 0.5 * (0.5 * 0 + 0.5 * (0.5 * 1 + 0.5 * 0));
    const A = 0.5 * tr104 + 0.5 * 0;
    const variant = 0; // window 2, smoothing 2
    expect(new Float32Array(refs[variant]!.plus_di!.buffer)[104]).toBe(f32(100 * (P / A)));
  });

  for (const make of [zeroRangeUpMove, inconsistentBars]) {
    it(`kernel equals reference on ${make().name}: both builds, both layouts, V = 15 and 7`, () => {
      const s = make();
      for (const axes of [AXES, SEVEN]) {
        const refs = referenceAll(def, axes, s);
        for (const target of ['simd', 'scalar'] as Target[])
          for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[])
            for (const batch of [1, refs.length]) {
              const run = runKernel(def, axes, s, { target, layout, batch });
              expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} batch ${batch}`).toBeNull();
            }
      }
    });
  }

  it('talib profile: DI 0 and DX skipped where the TR sum is zero (worked by hand, window = smoothing = 2)', () => {
    // bars 0-3 flat at 10: bar 0 only serves as the previous bar; the seed (bar 1) and bars 2, 3 give
    // the sums STR = SP = SM = 0, so plus_di = minus_di = 0 (TA-Lib's zero) and DX is skipped: the adx
    // at bar 3 (= 2n − 1) is the empty DX sum / 2 = 0.
    // bar 4 (12, 10, 11): TR 2, PDM 2; STR = 2, SP = 2: plus 100, minus 0, DX 100, adx (0·1 + 100) / 2 = 50.
    // bar 5 (12, 11, 11): TR 1, no DM; STR = (2 − 1) + 1 = 2, SP = 1: plus 50, DX 100, adx 75.
    // bar 6 (11, 9, 10): TR 2, MDM 2; STR = 3, SP = 0.5, SM = 2: plus 100·(0.5/3), minus 100·(2/3),
    // DX = 100·(50 / (250/3)) = 60, adx (75 + 60) / 2 = 67.5 (TA-Lib 0.6 gives the same).
    const hi = [10, 10, 10, 10, 12, 12, 11],
      lo = [10, 10, 10, 10, 10, 11, 9],
      cl = [10, 10, 10, 10, 11, 11, 10];
    const ref = def.kernel!.reference(
      { t: 7, high: Float32Array.from(hi), low: Float32Array.from(lo), close: Float32Array.from(cl) },
      { window: 2, smoothing: 2 },
      'talib',
    );
    const pd = 100 * (0.5 / 3),
      md = 100 * (2 / 3);
    expect(Array.from(ref.plus_di!)).toEqual([NaN, NaN, 0, 0, 100, 50, f32(pd)]);
    expect(Array.from(ref.minus_di!)).toEqual([NaN, NaN, 0, 0, 0, 0, f32(md)]);
    expect(Array.from(ref.adx!)).toEqual([NaN, NaN, NaN, 0, 50, 75, f32((75 + 100 * (Math.abs(md - pd) / (md + pd))) / 2)]);
  });
});
