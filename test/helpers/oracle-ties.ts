/**
 * Kernels over rolling extremes against their reference on a series built to stress the extreme
 * tables and deques:
 * small integer prices with many ties, +0 and −0 side by side, and NaNs that hit high, low and close
 * independently (each series has its own NaN bars). Both builds × both layouts × batches 1 and all.
 */
import { describe, expect, it } from 'vitest';
import type { Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, firstMismatch, referenceAll, runKernel, type Target } from './oracle.js';
import { prng, type TestSeries } from './series.js';

export function signedZeroTies(t: number, seed: number): TestSeries {
  const rnd = prng(seed);
  const s: TestSeries = {
    name: 'signed-zero ties',
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  const value = (): number => {
    const r = rnd();
    return r < 0.04 ? NaN : r < 0.2 ? 0 : r < 0.36 ? -0 : Math.floor(rnd() * 5) - 2;
  };
  for (let i = 0; i < t; i++) {
    s.open[i] = value();
    s.high[i] = value();
    s.low[i] = value();
    s.close[i] = value();
    s.volume[i] = 1;
  }
  return s;
}

export function tiesSuite(ids: readonly string[]): void {
  const s = signedZeroTies(600, 5);
  describe.each(ids.map((id) => ({ id })))('$id kernel agrees with its reference on signed-zero ties and split NaNs', ({ id }) => {
    it('in both builds, both layouts, batches 1 and all', () => {
      const def = registry.get(id);
      const axes = edgeAxes(def, s.t);
      const refs = referenceAll(def, axes, s);
      for (const target of ['simd', 'scalar'] as Target[])
        for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[])
          for (const batch of [1, refs.length]) {
            const run = runKernel(def, axes, s, { target, layout, batch });
            expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} batch ${batch}`).toBeNull();
          }
    });
  });
}
