/**
 * Kernels whose TIME_MAJOR SIMD path changes shape on wide calls (bar by bar over all variants, from
 * 8 or 16 variants a call: ema and rma, rsi, adx; blocks of eight variants then the last four, two
 * and one: atr, whose clean tiles skip the NaN tests) against the reference on the whole oracle series
 * set (holes, leading NaNs, flat bars, a short series), with 39 windows, so those paths meet every
 * kind of bar; both builds, both layouts, one call and calls of 7 (the narrow paths) each.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { firstMismatch, referenceAll, runKernel, type Target } from '../helpers/oracle.js';
import { seriesSet } from '../helpers/series.js';

const WINDOWS = Array.from({ length: 39 }, (_, i) => 2 + i);
const GRIDS: Record<string, Axis[]> = {
  'ma.ema': [
    { name: 'source', kind: 'source', values: ['close'] },
    { name: 'window', kind: 'int', values: WINDOWS },
  ],
  'ma.rma': [
    { name: 'source', kind: 'source', values: ['close'] },
    { name: 'window', kind: 'int', values: WINDOWS },
  ],
  'momentum.rsi': [
    { name: 'source', kind: 'source', values: ['close'] },
    { name: 'window', kind: 'int', values: WINDOWS },
  ],
  'volatility.atr': [{ name: 'window', kind: 'int', values: WINDOWS }],
  'trend.adx': [
    { name: 'window', kind: 'int', values: WINDOWS },
    { name: 'smoothing', kind: 'int', values: [2, 14] },
  ],
};

describe.each(Object.keys(GRIDS).map((id) => ({ id })))('$id on wide grids', ({ id }) => {
  const def = registry.get(id);
  it.each(seriesSet().map((s) => ({ name: s.name, s })))('equals the reference on $name', ({ s }) => {
    const axes = GRIDS[id]!;
    const refs = referenceAll(def, axes, s);
    for (const target of ['simd', 'scalar'] as Target[])
      for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[])
        for (const batch of [7, refs.length]) {
          const run = runKernel(def, axes, s, { target, layout, batch });
          expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} batch ${batch}`).toBeNull();
        }
  });
});
