/**
 * Hand-worked examples of the trend group: a few bars worked out by hand in the
 * comments; the reference and the kernel (SIMD and scalar builds, both layouts) must give exactly the
 * float32 of the worked binary64 arithmetic.
 */
import { describe, it } from 'vitest';
import { bars, expectExample } from '../helpers/examples.js';

describe('trend.adx worked by hand', () => {
  // window 2 and smoothing 2 (both RMAs use α = 0.5):
  //   t  high low close  TR  PDM MDM  A                     SP    SM   plus_di        minus_di       DX
  //   0  10   8   9      2   0   0    2                     0     0    0              0              NaN (0 / 0)
  //   1  12   9   11     3   2   0    0.5·3 + 0.5·2 = 2.5   1     0    100·(1/2.5)=40 0              100·(40/40) = 100
  //   2  11   7   8      4   0   2    0.5·4 + 0.5·2.5=3.25  0.5   1    100·(0.5/3.25) 100·(1/3.25)   100·(|p − m| / (p + m)) = 100/3
  //   3  NaN                                                           NaN            NaN            NaN (everything resets)
  //   4  10   9   9.5    1   0   0    1                     0     0    0              0              NaN (first bar of a run)
  // TR[1] = max(12 − 9, |12 − 9|, |9 − 9|) = 3; TR[2] = max(4, |11 − 11|, |7 − 11|) = 4; TR[4] = 10 − 9
  // (no previous close). PDM[1]: up = 12 − 10 = 2 > dn = 8 − 9; MDM[2]: dn = 9 − 7 = 2 > up = −1.
  // adx = RMA(DX, 2): NaN at 0 (DX NaN), seeds with 100 at 1, 0.5·(100/3) + 0.5·100 at 2, NaN at 3 and 4.
  const s = bars('adx', [
    [9, 10, 8, 9, 1],
    [10, 12, 9, 11, 1],
    [11, 11, 7, 8, 1],
    [NaN, NaN, NaN, NaN, NaN],
    [9, 10, 9, 9.5, 1],
  ]);
  const p = { window: 2, smoothing: 2 };
  const pd2 = 100 * (0.5 / 3.25),
    md2 = 100 * (1 / 3.25);
  const dx2 = 100 * (Math.abs(pd2 - md2) / (pd2 + md2));

  it('gives DI from smoothed directional movement over ATR and ADX as the RMA of DX', () => {
    expectExample('trend.adx', p, s, 'plus_di', [0, 40, pd2, NaN, 0]);
    expectExample('trend.adx', p, s, 'minus_di', [0, 0, md2, NaN, 0]);
    expectExample('trend.adx', p, s, 'adx', [NaN, 100, 0.5 * dx2 + 0.5 * 100, NaN, NaN]);
  });
});

describe('trend.psar worked by hand', () => {
  // accel_start 0.25, accel_step 0.25, accel_max 0.5:
  //   t  high low   step 3: sar + af·(ep − sar)      clamp / reversal                 psar    dir  ep   af
  //   0  10   9    first bar: long, sar = low                                          9       +1   10   0.25
  //   1  12   10   9 + 0.25·(10 − 9) = 9.25          > prev low 9 → 9; new high       9       +1   12   0.5
  //   2  13   11   9 + 0.5·(12 − 9) = 10.5           > prev low 10 → 10; new high     10      +1   13   0.5 (capped)
  //   3  12   9.5  10 + 0.5·(13 − 10) = 11.5         > prev low 11 → 11; low 9.5 < 11: reverse, sar = ep = 13
  //                                                                                    13      −1   9.5  0.25
  //   4  11   9    13 + 0.25·(9.5 − 13) = 12.125     not < prev high 12; new low      12.125  −1   9    0.5
  //   5  NaN                                                                           NaN     NaN  (reset)
  //   6  5    4    first bar of a run: long, sar = low                                 4       +1
  const s = bars('psar', [
    [9, 10, 9, 9, 1],
    [11, 12, 10, 11, 1],
    [12, 13, 11, 12, 1],
    [10, 12, 9.5, 10, 1],
    [10, 11, 9, 10, 1],
    [NaN, NaN, NaN, NaN, NaN],
    [4, 5, 4, 5, 1],
  ]);
  const p = { accel_max: 0.5, accel_start: 0.25, accel_step: 0.25 };

  it('clamps to the previous bar, caps the acceleration and reverses onto the extreme point', () => {
    expectExample('trend.psar', p, s, 'psar', [9, 9, 10, 13, 12.125, NaN, 4]);
    expectExample('trend.psar', p, s, 'psar_dir', [1, 1, 1, -1, -1, NaN, 1]);
  });
});

describe('trend.ichimoku worked by hand', () => {
  // conversion 2, base 3, span_b 4, displacement 2 over six bars (high, low, close):
  //   t  high low close  conversion        base              A0 = (conv + base)·0.5  B0 (4 bars)
  //   0  10   8   9      NaN               NaN               NaN                     NaN
  //   1  12   9   11     (12 + 8)·0.5 = 10 NaN               NaN                     NaN
  //   2  11   7   8      (12 + 7)·0.5=9.5  (12 + 7)·0.5=9.5  9.5                     NaN
  //   3  13   10  12     (13 + 7)·0.5 = 10 (13 + 7)·0.5 = 10 10                      (13 + 7)·0.5 = 10
  //   4  14   12  13     (14 + 10)·0.5=12  (14 + 7)·0.5=10.5 11.25                   (14 + 7)·0.5 = 10.5
  //   5  12   11  11.5   (14 + 11)·0.5=12.5 (14 + 10)·0.5=12 12.25                   (14 + 7)·0.5 = 10.5
  // span_a[t] = A0[t + 2] and span_b[t] = B0[t + 2] (look-ahead; the last 2 bars are NaN);
  // lagging[t] = close[t − 2].
  const s = bars('ichimoku', [
    [9, 10, 8, 9, 1],
    [10, 12, 9, 11, 1],
    [11, 11, 7, 8, 1],
    [11, 13, 10, 12, 1],
    [12, 14, 12, 13, 1],
    [12, 12, 11, 11.5, 1],
  ]);
  const p = { conversion_window: 2, base_window: 3, span_b_window: 4, displacement: 2 };

  it('shifts both spans back by the displacement and the lagging line forward', () => {
    expectExample('trend.ichimoku', p, s, 'conversion', [NaN, 10, 9.5, 10, 12, 12.5]);
    expectExample('trend.ichimoku', p, s, 'base', [NaN, NaN, 9.5, 10, 10.5, 12]);
    expectExample('trend.ichimoku', p, s, 'span_a', [9.5, 10, 11.25, 12.25, NaN, NaN]);
    expectExample('trend.ichimoku', p, s, 'span_b', [NaN, 10, 10.5, 10.5, NaN, NaN]);
    expectExample('trend.ichimoku', p, s, 'lagging', [NaN, NaN, 9, 11, 8, 12]);
  });
});

describe('trend.supertrend worked by hand', () => {
  // window 2 (ATR α = 0.5), mult 1; A = ATR, m = (high + low)·0.5, BU = m + A, BL = m − A:
  //   t  high low close  TR                        A                      m   BU     BL
  //   0  12   8   11     12 − 8 = 4                4                      10  14     6
  //   1  13   11  12     max(2, |13−11|, |11−11|)=2 0.5·2 + 0.5·4 = 3      12  15     9
  //   2  10   6   7      max(4, |10−12|, |6−12|)=6  0.5·6 + 0.5·3 = 4.5    8   12.5   3.5
  //   3  9    7   8      max(2, |9−7|, |7−7|) = 2   0.5·2 + 0.5·4.5 = 3.25 8   11.25  4.75
  // t=0: close 11 ≥ m → up; FU = 14, FL = 6; output FL = 6.
  // t=1: BU 15 ≥ FU and pc 11 ≤ FU → FU stays 14; BL 9 > FL → FL = 9; close 12 ≥ FL → output 9.
  // t=2: BU 12.5 < FU → FU = 12.5; FL stays 9; close 7 < FL → down, output FU = 12.5.
  // t=3: BU 11.25 < FU → FU = 11.25; pc 7 < FL → FL = 4.75; close 8 ≤ FU → stays down, output 11.25.
  const s = bars('supertrend', [
    [10, 12, 8, 11, 1],
    [11, 13, 11, 12, 1],
    [12, 10, 6, 7, 1],
    [7, 9, 7, 8, 1],
  ]);

  it('follows the lower band in an up-trend and flips to the upper band when the close breaks it', () => {
    expectExample('trend.supertrend', { window: 2, mult: 1 }, s, 'supertrend', [6, 9, 12.5, 11.25]);
    expectExample('trend.supertrend', { window: 2, mult: 1 }, s, 'supertrend_dir', [1, 1, -1, -1]);
  });
});
