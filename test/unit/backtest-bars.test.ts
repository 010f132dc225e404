/**
 * The bar tables convert each row's int64 milliseconds to float64 from the two 32-bit halves; every
 * value must be exactly Number(x), the conversion the metrics' years and the trades' times rely on.
 */
import { describe, expect, it } from 'vitest';
import { millisAsNumbers } from '../../src/backtest/bars.js';

describe('bar times as numbers', () => {
  it('equal Number(x) for every int64, signs, halves and roundings above 2^53 included', () => {
    const xs = [
      0n,
      1n,
      -1n,
      1_704_067_200_000n, // 2024-01-01
      -62_135_596_800_000n, // year 1
      2n ** 32n - 1n,
      2n ** 32n,
      -(2n ** 32n),
      -(2n ** 32n) - 1n,
      2n ** 53n - 1n,
      2n ** 53n + 1n, // a tie: rounds to even
      2n ** 53n + 3n,
      -(2n ** 53n) - 1n,
      2n ** 63n - 1n,
      -(2n ** 63n),
      0x7fff_ffff_0000_0001n,
    ];
    const got = millisAsNumbers(BigInt64Array.from(xs));
    for (const [i, x] of xs.entries()) expect(Object.is(got[i], Number(x)), `${x}`).toBe(true);
  });

  it('read a view that starts inside its buffer', () => {
    const all = BigInt64Array.from([5n, -7n, 1_700_000_000_123n]);
    const view = new BigInt64Array(all.buffer, 8, 2);
    expect([...millisAsNumbers(view)]).toEqual([-7, 1_700_000_000_123]);
  });
});
