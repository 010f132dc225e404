/**
 * Hand-worked examples through the public engine, for sma, ema, wma, hma, atr and bbands. Every
 * expected value is worked in the comments and written as the same binary64 arithmetic, rounded
 * once to float32 as the tensor stores it.
 */
import { describe, expect, it } from 'vitest';
import { engineOf, simpleCandles } from '../helpers/engine.js';

const f = Math.fround;
const engines = ['wasm-simd', 'wasm-scalar', 'reference'] as const;

async function values(
  engine: (typeof engines)[number],
  candles: ReturnType<typeof simpleCandles>,
  indicatorId: string,
  params: Record<string, number | number[]>,
  output?: string,
) {
  const grid = {
    indicatorId,
    ...(indicatorId.startsWith('ma.') || indicatorId === 'volatility.bbands' ? { source: 'close' } : {}),
    params,
  } as never;
  const tensor = await engineOf(engine).compute({ candles, grid });
  return Array.from(output ? tensor.output(output) : tensor.values);
}

describe.each(engines)('hand-worked examples on the %s engine', (engine) => {
  it('sma(3) of 1,2,3,4,5 is NaN, NaN, 2, 3, 4', async () => {
    // t=2: (1+2+3)/3 = 2; t=3: running sum 6 + 4 − 1 = 9 → 3; t=4: 9 + 5 − 2 = 12 → 4
    expect(await values(engine, simpleCandles([1, 2, 3, 4, 5]), 'ma.sma', { window: 3 })).toEqual([NaN, NaN, 2, 3, 4]);
  });

  it('ema(3) seeds with the first value and uses alpha 0.5', async () => {
    // alpha = 2/(3+1) = 0.5: 1; 0.5·2 + 0.5·1 = 1.5; 0.5·3 + 0.5·1.5 = 2.25; 2 + 1.125 = 3.125; 2.5 + 1.5625 = 4.0625
    expect(await values(engine, simpleCandles([1, 2, 3, 4, 5]), 'ma.ema', { window: 3 })).toEqual([1, 1.5, 2.25, 3.125, 4.0625]);
  });

  it('ema(3) resets on a hole and re-seeds on the next bar', async () => {
    // 1; 1.5; NaN (state dropped); 4 (new seed); 0.5·5 + 0.5·4 = 4.5
    expect(await values(engine, simpleCandles([1, 2, NaN, 4, 5]), 'ma.ema', { window: 3 })).toEqual([1, 1.5, NaN, 4, 4.5]);
  });

  it('wma(3) weights the newest bar 3, the oldest 1', async () => {
    // D = 3·4/2 = 6. t=2: 1·1 + 2·2 + 3·3 = 14 → 14/6; t=3: B = (14 − 6) + 3·4 = 20 → 20/6 (= 1·2 + 2·3 + 3·4);
    // t=4: B = (20 − 9) + 3·5 = 26 → 26/6 (= 3 + 8 + 15)
    expect(await values(engine, simpleCandles([1, 2, 3, 4, 5]), 'ma.wma', { window: 3 })).toEqual([
      NaN,
      NaN,
      f(14 / 6),
      f(20 / 6),
      f(26 / 6),
    ]);
  });

  it('hma(4) tracks a straight line with no lag from bar 4', async () => {
    // h = 2, s = ⌊√4⌋ = 2. WMA2[t] = (x[t−1] + 2x[t])/3, WMA4[t] = (x0 + 2x1 + 3x2 + 4x3)/10 over the last four.
    // x = 1..6: WMA2 = ., 5/3, 8/3, 11/3, 14/3, 17/3; WMA4 = ., ., ., 3, 4, 5; D = 2·WMA2 − WMA4 = ., ., ., 13/3, 16/3, 19/3
    // value = WMA(D, 2): t=4 (13/3 + 2·16/3)/3 = 5, t=5 (16/3 + 2·19/3)/3 = 6. Warm-up n + s − 2 = 4.
    expect(await values(engine, simpleCandles([1, 2, 3, 4, 5, 6]), 'ma.hma', { window: 4 })).toEqual([NaN, NaN, NaN, NaN, 5, 6]);
  });

  it('atr(3) is the Wilder average of the true range from the first bar', async () => {
    const high = [10, 11, 13, 12, 15],
      low = [8, 9, 10, 11, 12],
      close = [9, 10, 12, 11.5, 14];
    // TR: bar0 10−8 = 2; bar1 max(2, |11−9|, |9−9|) = 2; bar2 max(3, |13−10|, 0) = 3;
    //     bar3 max(1, |12−12|, |11−12|) = 1; bar4 max(3, |15−11.5| = 3.5, 0.5) = 3.5
    const a = 1 / 3,
      b = 1 - a;
    const y0 = 2,
      y1 = a * 2 + b * y0,
      y2 = a * 3 + b * y1,
      y3 = a * 1 + b * y2,
      y4 = a * 3.5 + b * y3;
    expect(await values(engine, simpleCandles(close, { high, low }), 'volatility.atr', { window: 3 })).toEqual([y0, y1, y2, y3, y4].map(f));
  });

  it('bbands(3, 2) uses the population deviation', async () => {
    // t=2: S = 6, Q = 1 + 4 + 9 = 14, m = 2, var = 14/3 − 4 = 2/3, sd = √(2/3); upper = 2 + 2·sd, lower = 2 − 2·sd
    // t=3: S = 9, Q = 14 + 16 − 1 = 29, m = 3, var = 29/3 − 9; t=4: S = 12, Q = 29 + 25 − 4 = 50, m = 4, var = 50/3 − 16
    const c = simpleCandles([1, 2, 3, 4, 5]);
    const sd = [14 / 3 - 2 * 2, 29 / 3 - 3 * 3, 50 / 3 - 4 * 4].map(Math.sqrt);
    const mean = [2, 3, 4];
    expect(await values(engine, c, 'volatility.bbands', { window: 3, mult: 2 }, 'basis')).toEqual([NaN, NaN, 2, 3, 4]);
    expect(await values(engine, c, 'volatility.bbands', { window: 3, mult: 2 }, 'upper')).toEqual([
      NaN,
      NaN,
      ...mean.map((m, i) => f(m + 2 * sd[i]!)),
    ]);
    expect(await values(engine, c, 'volatility.bbands', { window: 3, mult: 2 }, 'lower')).toEqual([
      NaN,
      NaN,
      ...mean.map((m, i) => f(m - 2 * sd[i]!)),
    ]);
  });
});
