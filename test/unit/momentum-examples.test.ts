/**
 * Hand-worked examples of the momentum group: a few bars worked out by hand in the
 * comments; the reference and the kernel (SIMD and scalar builds, both layouts) must give exactly the
 * float32 of the worked binary64 arithmetic. Windows are picked so that the smoothing factors are
 * exact binary fractions (EMA window 3 → α = 0.5, EMA window 7 → α = 0.25, RMA window 2 → α = 0.5).
 */
import { describe, expect, it } from 'vitest';
import { bars, expectExample, kernelOutputs, referenceOutput } from '../helpers/examples.js';

/** Candles from closes only (open = high = low = close, volume 1): enough for the source-based ids. */
const closes = (name: string, xs: readonly number[]) =>
  bars(
    name,
    xs.map((c) => [c, c, c, c, 1] as const),
  );

describe('momentum.rsi worked by hand', () => {
  // window 2: α = 1/2, so G = 0.5·g + 0.5·G and L = 0.5·q + 0.5·L after the seed.
  //   t  close  d    g  q   G     L     rsi
  //   0  10                              NaN  first price of the run
  //   1  10     0    0  0   0     0     NaN  G = L = 0 (flat start)
  //   2  12     +2   2  0   1     0     100  L = 0, G ≠ 0
  //   3  11     −1   0  1   0.5   0.5   100 − 100 / (1 + 1) = 50
  //   4  14     +3   3  0   1.75  0.25  100 − 100 / (1 + 7) = 87.5
  //   5  NaN                             NaN  resets p, G, L
  //   6  14                              NaN  first price of the new run
  //   7  13     −1   0  1   0     1     100 − 100 / (1 + 0) = 0   (re-seeded on this change)
  //   8  15     +2   2  0   1     0.5   100 − 100 / (1 + 2) = 66.66…
  const s = closes('rsi', [10, 10, 12, 11, 14, NaN, 14, 13, 15]);

  it('is NaN on a flat start, 100 without losses, and re-seeds on the first change after a gap', () => {
    expectExample('momentum.rsi', { source: 'close', window: 2 }, s, 'rsi', [NaN, NaN, 100, 50, 87.5, NaN, NaN, 0, 100 - 100 / (1 + 2)]);
  });

  it('is 100 on every bar of a rising series', () => {
    expectExample('momentum.rsi', { source: 'close', window: 14 }, closes('rising', [1, 2, 3, 5, 8]), 'rsi', [NaN, 100, 100, 100, 100]);
  });
});

describe('momentum.macd worked by hand', () => {
  // fast 3 (α = 0.5), slow 7 (α = 0.25), signal 3 (α = 0.5):
  //   t  close  F                 S                    macd  signal            hist
  //   0  8      8                 8                    0     0                 0     (every stage seeds)
  //   1  16     0.5·16 + 0.5·8=12 0.25·16 + 0.75·8=10  2     0.5·2 + 0.5·0 = 1  1
  //   2  NaN    NaN               NaN                  NaN   NaN               NaN   (all stages reset)
  //   3  4      4                 4                    0     0                 0     (re-seeded)
  //   4  12     8                 6                    2     1                 1
  const s = closes('macd', [8, 16, NaN, 4, 12]);
  const p = { fast_window: 3, signal_window: 3, slow_window: 7, source: 'close' };

  it('starts every chain at 0 on the first bar of a run and resets on a missing bar', () => {
    expectExample('momentum.macd', p, s, 'macd', [0, 2, NaN, 0, 2]);
    expectExample('momentum.macd', p, s, 'signal', [0, 1, NaN, 0, 1]);
    expectExample('momentum.macd', p, s, 'hist', [0, 1, NaN, 0, 1]);
  });
});

describe('momentum.ppo worked by hand', () => {
  // Same windows. close 0, 0, 4: F and S are 0 on the first two bars, so ppo = 100·((F − S) / S) is
  // NaN there and the signal EMA stays unseeded; at t=2 F = 0.5·4 + 0.5·0 = 2, S = 0.25·4 + 0.75·0 = 1,
  // ppo = 100·((2 − 1) / 1) = 100, the signal seeds on it (100) and hist = 0.
  // Then close 8 → F = 5, S = 2.75, ppo = 100·(2.25 / 2.75), signal = 0.5·ppo + 0.5·100.
  const s = closes('ppo', [0, 0, 4, 8]);
  const p = { fast_window: 3, signal_window: 3, slow_window: 7, source: 'close' };
  const ppo3 = 100 * (2.25 / 2.75);

  it('is NaN where the slow EMA is 0 and its signal re-seeds after that', () => {
    expectExample('momentum.ppo', p, s, 'ppo', [NaN, NaN, 100, ppo3]);
    expectExample('momentum.ppo', p, s, 'signal', [NaN, NaN, 100, 0.5 * ppo3 + 0.5 * 100]);
    expectExample('momentum.ppo', p, s, 'hist', [NaN, NaN, 0, ppo3 - (0.5 * ppo3 + 0.5 * 100)]);
  });
});

describe('momentum.trix worked by hand', () => {
  // window 3 (α = 0.5), signal 3 (α = 0.5):
  //   t  close  E1   E2   E3     trix = 100·((E3[t] / E3[t−1]) − 1)
  //   0  8      8    8    8      NaN (no previous E3)
  //   1  16     12   10   9      100·(9/8 − 1) = 12.5
  //   2  16     14   12   10.5   100·(10.5/9 − 1) = 16.66…
  //   3  NaN    NaN  NaN  NaN    NaN
  //   4  4      4    4    4      NaN (E3[3] is NaN)
  //   5  8      6    5    4.5    100·(4.5/4 − 1) = 12.5
  // signal: seeds at t=1 (12.5), t=2 0.5·trix[2] + 0.5·12.5, reset at 3 and 4, re-seeds at t=5 (12.5).
  const s = closes('trix', [8, 16, 16, NaN, 4, 8]);
  const p = { signal_window: 3, source: 'close', window: 3 };
  const t2 = 100 * (10.5 / 9 - 1);
  const sig2 = 0.5 * t2 + 0.5 * 12.5;

  it('divides consecutive triple-EMA values and restarts its chain after a missing bar', () => {
    expectExample('momentum.trix', p, s, 'trix', [NaN, 12.5, t2, NaN, NaN, 12.5]);
    expectExample('momentum.trix', p, s, 'signal', [NaN, 12.5, sig2, NaN, NaN, 12.5]);
    expectExample('momentum.trix', p, s, 'hist', [NaN, 0, t2 - sig2, NaN, NaN, 0]);
  });
});

describe('momentum.stoch worked by hand', () => {
  // k_window 3, smoothing 2, d_window 2:
  //   t  high  low  close  HH  LL  K0 = 100·((close − LL) / (HH − LL))
  //   0  10    6    8      NaN NaN NaN (window not full)
  //   1  12    8    10     NaN NaN NaN
  //   2  14    10   12     14  6   100·(6/8) = 75
  //   3  14    10   11     14  8   100·(3/6) = 50
  //   4  12    10   10     14  10  100·(0/4) = 0
  //   5  20    20   20     20  10  100·(10/10) = 100
  //   6  20    20   20     20  10  100
  //   7  20    20   20     20  20  NaN (flat window: HH == LL)
  // k = ROLLMEAN(K0, 2): NaN, NaN, NaN, 62.5, 25, 50, 100, NaN
  // d = ROLLMEAN(k, 2):  NaN, NaN, NaN, NaN, 43.75, 37.5, 75, NaN
  const s = bars('stoch', [
    [8, 10, 6, 8, 1],
    [10, 12, 8, 10, 1],
    [12, 14, 10, 12, 1],
    [11, 14, 10, 11, 1],
    [10, 12, 10, 10, 1],
    [20, 20, 20, 20, 1],
    [20, 20, 20, 20, 1],
    [20, 20, 20, 20, 1],
  ]);
  const p = { d_window: 2, k_window: 3, smoothing: 2 };

  it('smooths the raw %K and averages it into %D, NaN for a flat window', () => {
    expectExample('momentum.stoch', p, s, 'k', [NaN, NaN, NaN, 62.5, 25, 50, 100, NaN]);
    expectExample('momentum.stoch', p, s, 'd', [NaN, NaN, NaN, NaN, 43.75, 37.5, 75, NaN]);
  });
});

describe('momentum.williams_r worked by hand', () => {
  // window 2:
  //   t  high  low  close  HH  LL  −100·((HH − close) / (HH − LL))
  //   0  10    8    9      NaN NaN NaN
  //   1  12    9    12     12  8   −100·(0/4) = −0  (close at the window high)
  //   2  12    10   10.5   12  9   −100·(1.5/3) = −50
  //   3  12    12   12     12  10  −100·(0/2) = −0
  //   4  12    12   12     12  12  NaN (HH == LL)
  const s = bars('williams_r', [
    [9, 10, 8, 9, 1],
    [11, 12, 9, 12, 1],
    [11, 12, 10, 10.5, 1],
    [12, 12, 12, 12, 1],
    [12, 12, 12, 12, 1],
  ]);

  it('is −0 where the close equals the window high', () => {
    expectExample('momentum.williams_r', { window: 2 }, s, 'williams_r', [NaN, -0, -50, -0, NaN]);
    const all = {
      reference: referenceOutput('momentum.williams_r', { window: 2 }, s, 'williams_r'),
      ...kernelOutputs('momentum.williams_r', { window: 2 }, s, 'williams_r'),
    };
    for (const [name, out] of Object.entries(all)) {
      expect(Object.is(out[1], -0), `${name} t=1 is −0`).toBe(true);
      expect(Object.is(out[3], -0), `${name} t=3 is −0`).toBe(true);
    }
  });
});

describe('momentum.roc worked by hand', () => {
  // window 2: roc[t] = 100·((close[t] / close[t−2]) − 1); close[t−2] = 0 gives NaN.
  //   close 8, 0, 10, 5, 12 → NaN, NaN, 100·(10/8 − 1) = 25, NaN (÷0), 100·(12/10 − 1) = 19.99…
  const s = closes('roc', [8, 0, 10, 5, 12]);

  it('is NaN for the first window bars and where the old price is 0', () => {
    expectExample('momentum.roc', { source: 'close', window: 2 }, s, 'roc', [NaN, NaN, 25, NaN, 100 * (12 / 10 - 1)]);
  });
});
