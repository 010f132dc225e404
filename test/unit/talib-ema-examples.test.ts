/**
 * The talib profile of the EMA family worked by hand where a convention is easy to miss: the SMA
 * seed and its restart after a hole, and TA-Lib's zero divisions (0 where gridta's default gives
 * NaN). The reference and the kernel (both builds, both layouts) must give exactly the float32 of the
 * worked binary64 arithmetic. Windows 3 and 7 give exact smoothing factors (k = 0.5, 0.25).
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { bars, f32s } from '../helpers/examples.js';
import { runKernel, runReferenceVariant, type Target } from '../helpers/oracle.js';

const closes = (name: string, xs: readonly number[]) =>
  bars(
    name,
    xs.map((c) => [c, c, c, c, 1] as const),
  );

/** The talib-profile `output` of `id` from the reference and from every kernel build and layout equals `expected`. */
function expectTalib(id: string, params: Record<string, number>, xs: readonly number[], output: string, expected: readonly number[]): void {
  const def = registry.get(id);
  const s = closes(id, xs);
  const axes = def.axes.map((name): Axis => {
    if (name === 'source') return { name, kind: 'source', values: ['close'] } as Axis;
    return { name, kind: 'int', values: [params[name]!] } as Axis;
  });
  const want = f32s(expected);
  const ref = new Float32Array(runReferenceVariant(def, axes, s, 0, 'talib')[output]!.buffer);
  expect(Array.from(ref), `${id}.${output} reference`).toEqual(want);
  for (const target of ['simd', 'scalar'] as Target[])
    for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
      const run = runKernel(def, axes, s, { target, layout, batch: 1, outputs: [output], profile: 'talib' });
      expect(Array.from(new Float32Array(run.values[0]!.buffer)), `${id}.${output} ${target} ${layout}`).toEqual(want);
    }
}

describe('talib profile, EMA family, worked by hand', () => {
  it('ma.ema seeds with the SMA of the first n values and again after a hole', () => {
    // window 3, k = 0.5: bar 2 (2 + 4 + 6) / 3 = 4; bar 3 (8 − 4)·0.5 + 4 = 6; bar 4 a hole;
    // bars 5, 6 NaN (seeding); bar 7 (1 + 2 + 3) / 3 = 2; bar 8 (5 − 2)·0.5 + 2 = 3.5 (TA-Lib: EMA 4, 6 from bar 2)
    expectTalib('ma.ema', { window: 3 }, [2, 4, 6, 8, NaN, 1, 2, 3, 5], 'value', [NaN, NaN, 4, 6, NaN, NaN, NaN, 2, 3.5]);
  });

  it('momentum.ppo is 0 where the slow EMA is 0 (TA_IS_ZERO), not NaN', () => {
    // fast 3 (k 0.5), slow 7 (k 0.25): bar 6 F = S = 0, ppo 0; bar 7 F = 8·0.5 = 4, S = 8·0.25 = 2,
    // ppo ((4 − 2) / 2)·100 = 100; bar 8 F = 6, S = 3.5, ppo ((6 − 3.5) / 3.5)·100 (TA-Lib: 0, 100, 71.428…)
    const xs = [0, 0, 0, 0, 0, 0, 0, 8, 8];
    const p = { fast_window: 3, slow_window: 7, signal_window: 3 };
    const p8 = ((6 - 3.5) / 3.5) * 100;
    expectTalib('momentum.ppo', p, xs, 'ppo', [NaN, NaN, NaN, NaN, NaN, NaN, 0, 100, p8]);
    // the signal, TA-Lib's EMA of ppo (window 3), seeds on bars 6..8: (0 + 100 + p8) / 3
    expectTalib('momentum.ppo', p, xs, 'signal', [NaN, NaN, NaN, NaN, NaN, NaN, NaN, NaN, (0 + 100 + p8) / 3]);
  });

  it('momentum.trix is 0 where the previous triple EMA is 0 (TA-Lib ROC), not NaN', () => {
    // window 2: E1 from bar 1, E2 from bar 2, E3 from bar 3, all 0; trix from bar 4: E3[t−1] = 0 → 0 (TA-Lib: 0, 0)
    expectTalib('momentum.trix', { window: 2, signal_window: 9 }, [0, 0, 0, 0, 0, 3], 'trix', [NaN, NaN, NaN, NaN, 0, 0]);
  });
});
