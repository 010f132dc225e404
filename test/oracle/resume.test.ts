/**
 * The resume contract (docs/kernel-state.md), driven by the registry: every kernel that declares
 * `resume` gives, split into calls of random lengths (mostly one bar, as a stream pushes) with the
 * state copied between calls and nothing but the declared history before each call, the rows of one
 * unsplit call bit for bit, in both builds, on every variant of its edge grid. The series have leading
 * NaNs, single holes and a gap, flat bars, zero-price bars, zero volume and high = low, and a series
 * shorter than most windows.
 */
import { describe, expect, it } from 'vitest';
import { axisStrides, axisValueAt } from '../../src/compute/plan.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, runKernel, type Target } from '../helpers/oracle.js';
import { callLengths, runResumed } from '../helpers/resume.js';
import { randomWalk, shortSeries, type TestSeries } from '../helpers/series.js';

function resumeSeries(): TestSeries {
  const s = randomWalk(420, 29, 'holes, flat and zero-volume bars');
  const set = (i: number, f: (k: 'open' | 'high' | 'low' | 'close' | 'volume') => number): void => {
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][i] = f(k);
  };
  for (const i of [0, 1, 2, 40, 41, 97]) set(i, () => NaN);
  for (let i = 120; i < 136; i++) set(i, () => NaN);
  for (let i = 180; i < 230; i++) set(i, (k) => (k === 'volume' ? 0 : 50));
  for (let i = 230; i < 240; i++) set(i, (k) => (k === 'volume' ? 0 : 0));
  for (let i = 280; i < 320; i++) s.volume[i] = 0;
  for (let i = 330; i < 340; i++) s.high[i] = s.low[i]!;
  return s;
}

const SERIES = [resumeSeries(), shortSeries()];
const resumable = registry.list().filter((d) => d.kernel?.resume);

describe('resumed calls equal one call (docs/kernel-state.md)', () => {
  it('the registry declares resumable kernels', () => {
    expect(resumable.length).toBeGreaterThan(0);
  });
  for (const def of resumable) {
    for (const s of SERIES) {
      it(`${def.id} on ${s.name}: random call lengths, both builds`, () => {
        const axes = edgeAxes(def, s.t);
        const V = axes.reduce((a, x) => a * x.values.length, 1);
        const strides = axisStrides(axes);
        const srcAxis = axes.findIndex((a) => a.name === 'source');
        for (const target of ['simd', 'scalar'] as Target[]) {
          const whole = runKernel(def, axes, s, { target, layout: 'TIME_MAJOR', batch: V });
          // one run per source value, as the compute core calls the kernel
          let first = 0;
          while (first < V) {
            let end = first + 1;
            if (srcAxis >= 0)
              while (end < V && axisValueAt(axes, strides, srcAxis, end) === axisValueAt(axes, strides, srcAxis, first)) end++;
            else end = V;
            const n = end - first;
            for (const seed of [1, 2]) {
              const got = runResumed(def, axes, s, target, first, n, callLengths(s.t, seed * 7919 + first));
              def.outputs.forEach((out, k) => {
                for (let t = 0; t < s.t; t++) {
                  for (let j = 0; j < n; j++) {
                    const want = whole.values[k]![t * V + first + j]!;
                    const g = got[k]![t * n + j]!;
                    if (g !== want) {
                      expect.fail(
                        `${def.id} ${out} ${target} seed ${seed}: variant ${first + j}, bar ${t}: resumed 0x${g.toString(16)} vs one call 0x${want.toString(16)}`,
                      );
                    }
                  }
                }
              });
            }
            first = end;
          }
        }
      });
    }
  }
});
