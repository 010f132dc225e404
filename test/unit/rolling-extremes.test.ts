/**
 * The reference's ROLLMAX / ROLLMIN / AGE_MAX / AGE_MIN are monotone deques (O(1) amortised, so the
 * oracle's 2000-bar windows stay fast). Here they are checked against the spec's literal scans
 * on small inputs full of ties, signed zeros and NaNs, bit for bit.
 */
import { describe, expect, it } from 'vitest';
import { ageMax, ageMin, rollmax, rollmin } from '../../src/reference/primitives.js';
import { prng } from '../helpers/series.js';

/** ROLLMAX / ROLLMIN as written: NaN under the rolling rule, else scan oldest to newest replacing on `better`. */
function scanExtreme(x: Float64Array, n: number, better: (v: number, m: number) => boolean): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let t = n - 1; t < x.length; t++) {
    let nan = false;
    for (let j = t - n + 1; j <= t; j++) if (x[j] !== x[j]) nan = true;
    if (nan) continue;
    let m = x[t - n + 1]!;
    for (let j = t - n + 2; j <= t; j++) if (better(x[j]!, m)) m = x[j]!;
    out[t] = m;
  }
  return out;
}

/** AGE_MAX / AGE_MIN as written: the same scan remembering the index of the kept value; result t − p. */
function scanAge(x: Float64Array, n: number, keep: (v: number, m: number) => boolean): Float64Array {
  const out = new Float64Array(x.length).fill(NaN);
  for (let t = n - 1; t < x.length; t++) {
    let nan = false;
    for (let j = t - n + 1; j <= t; j++) if (x[j] !== x[j]) nan = true;
    if (nan) continue;
    let p = t - n + 1;
    for (let j = t - n + 2; j <= t; j++) if (keep(x[j]!, x[p]!)) p = j;
    out[t] = t - p;
  }
  return out;
}

/** Small integers (many ties), +0 and −0 side by side, and a NaN now and then. */
function tiedSeries(t: number, seed: number): Float64Array {
  const rnd = prng(seed);
  const x = new Float64Array(t);
  for (let i = 0; i < t; i++) {
    const r = rnd();
    x[i] = r < 0.06 ? NaN : r < 0.2 ? 0 : r < 0.34 ? -0 : Math.floor(rnd() * 5) - 2;
  }
  return x;
}

function firstDifference(got: Float64Array, want: Float64Array): string | null {
  for (let t = 0; t < got.length; t++)
    if (!Object.is(got[t], want[t]))
      return `t ${t}: ${Object.is(got[t], -0) ? '-0' : got[t]} vs ${Object.is(want[t], -0) ? '-0' : want[t]}`;
  return null;
}

describe('the deque rolling extremes equal the spec scan', () => {
  const cases = Array.from({ length: 40 }, (_, k) => ({ seed: 100 + k, t: 5 + ((k * 7) % 56) }));

  it('ROLLMAX keeps the older of equal values (+0 before −0 stays +0)', () => {
    for (const { seed, t } of cases) {
      const x = tiedSeries(t, seed);
      for (let n = 1; n <= 12; n++)
        expect(
          firstDifference(
            rollmax(x, n),
            scanExtreme(x, n, (v, m) => v > m),
          ),
          `seed ${seed} n ${n}`,
        ).toBeNull();
    }
  });

  it('ROLLMIN keeps the older of equal values', () => {
    for (const { seed, t } of cases) {
      const x = tiedSeries(t, seed);
      for (let n = 1; n <= 12; n++)
        expect(
          firstDifference(
            rollmin(x, n),
            scanExtreme(x, n, (v, m) => v < m),
          ),
          `seed ${seed} n ${n}`,
        ).toBeNull();
    }
  });

  it('AGE_MAX counts the bars since the newest of equal maxima', () => {
    for (const { seed, t } of cases) {
      const x = tiedSeries(t, seed);
      for (let n = 1; n <= 12; n++)
        expect(
          firstDifference(
            ageMax(x, n),
            scanAge(x, n, (v, m) => v >= m),
          ),
          `seed ${seed} n ${n}`,
        ).toBeNull();
    }
  });

  it('AGE_MIN counts the bars since the newest of equal minima', () => {
    for (const { seed, t } of cases) {
      const x = tiedSeries(t, seed);
      for (let n = 1; n <= 12; n++)
        expect(
          firstDifference(
            ageMin(x, n),
            scanAge(x, n, (v, m) => v <= m),
          ),
          `seed ${seed} n ${n}`,
        ).toBeNull();
    }
  });

  it('returns the older zero of a +0 / −0 tie', () => {
    const x = Float64Array.from([0, -0, -0, 0]);
    expect(Object.is(rollmax(x, 2)[1], 0), 'max of [+0, −0]').toBe(true);
    expect(Object.is(rollmax(x, 2)[2], -0), 'max of [−0, −0]').toBe(true);
    expect(Object.is(rollmin(x, 2)[3], -0), 'min of [−0, +0]').toBe(true);
    expect(Array.from(ageMax(x, 3)), 'ties keep the newest').toEqual([NaN, NaN, 0, 0]);
  });
});
