/**
 * The oracle suite every group registers: for each definition of the group that has a kernel, on
 * every series of the set, both builds × both layouts × batch sizes 1, 7 and all must equal the
 * reference bit for bit; and V = 1..9 covers every lane remainder.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, firstMismatch, referenceAll, runKernel, type Target } from './oracle.js';
import { randomWalk, seriesSet } from './series.js';

const LAYOUTS: Layout[] = ['TIME_MAJOR', 'VARIANT_MAJOR'];
const TARGETS: Target[] = ['simd', 'scalar'];

export function oracleSuite(group: string): void {
  const defs = registry.byGroup(group).filter((d) => d.kernel);
  const series = seriesSet();
  describe.each(defs.map((def) => ({ id: def.id, def })))('$id kernel agrees with its reference', ({ def }) => {
    it.each(series.map((s) => ({ name: s.name, s })))('on $name, both builds, both layouts, batches 1, 7, all', ({ s }) => {
      const axes = edgeAxes(def, s.t);
      const refs = referenceAll(def, axes, s);
      const V = refs.length;
      for (const target of TARGETS)
        for (const layout of LAYOUTS)
          for (const batch of [1, 7, V]) {
            const run = runKernel(def, axes, s, { target, layout, batch });
            const miss = firstMismatch(def, refs, s, run, layout);
            expect(miss, `${target} ${layout} batch ${batch}`).toBeNull();
          }
    });

    it('matches for every lane remainder V = 1..9', () => {
      const s = randomWalk(700, 23);
      for (let V = 1; V <= 9; V++) {
        const axes: Axis[] = def.axes.map((name, k) => {
          const base = edgeAxes(def, s.t)[k]!;
          if (k !== def.axes.length - 1) return { ...base, values: [base.values[0]!] as number[] | string[] };
          const p = def.params.find((x) => x.name === name);
          if (!p || p.kind === 'enum') return base;
          const values = Array.from({ length: V }, (_, i) =>
            p.kind === 'float' ? Number((p.min! + i * p.step! * 7).toFixed(6)) : p.min! + i * 3,
          );
          return { name, kind: p.kind, values };
        });
        const refs = referenceAll(def, axes, s);
        for (const target of TARGETS)
          for (const layout of LAYOUTS) {
            const run = runKernel(def, axes, s, { target, layout, batch: refs.length });
            expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} V=${refs.length}`).toBeNull();
          }
      }
    });
  });
}
