/**
 * The oracle suite again with one source value. The host hands a kernel the variants of one source
 * at a time, so where `source` is not the first axis (macd, ppo, trix, stoch_rsi …) the edge grid's
 * two sources split every call into runs of one to three variants and the SIMD blocks never run.
 * With a single source every call gets the whole batch: both builds × both layouts × batches 1, 7,
 * all on the series set, and V = 1..9 (in the last numeric axis) for every lane remainder.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, firstMismatch, referenceAll, runKernel, type Target } from './oracle.js';
import { randomWalk, seriesSet } from './series.js';

const LAYOUTS: Layout[] = ['TIME_MAJOR', 'VARIANT_MAJOR'];
const TARGETS: Target[] = ['simd', 'scalar'];

const oneSource = (axes: Axis[]): Axis[] => axes.map((a) => (a.name === 'source' ? ({ ...a, values: [a.values[0]!] } as Axis) : a));

export function singleSourceSuite(group: string): void {
  const defs = registry.byGroup(group).filter((d) => d.kernel && d.axes.includes('source') && d.axes.length > 1);
  const series = seriesSet();
  describe.each(defs.map((def) => ({ id: def.id, def })))('$id kernel agrees with its reference with one source', ({ def }) => {
    it.each(series.map((s) => ({ name: s.name, s })))('on $name, both builds, both layouts, batches 1, 7, all', ({ s }) => {
      const axes = oneSource(edgeAxes(def, s.t));
      const refs = referenceAll(def, axes, s);
      const V = refs.length;
      for (const target of TARGETS)
        for (const layout of LAYOUTS)
          for (const batch of [1, 7, V]) {
            const run = runKernel(def, axes, s, { target, layout, batch });
            expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} batch ${batch}`).toBeNull();
          }
    });

    it('matches for every lane remainder V = 1..9', () => {
      const s = randomWalk(700, 29);
      const last = def.axes.reduce((k, name, i) => (name !== 'source' ? i : k), -1);
      for (let V = 1; V <= 9; V++) {
        const axes: Axis[] = oneSource(edgeAxes(def, s.t)).map((base, k) => {
          if (base.name === 'source') return base;
          if (k !== last) return { ...base, values: [base.values[1] ?? base.values[0]!] } as Axis;
          const p = def.params.find((x) => x.name === base.name)!;
          const values = Array.from({ length: V }, (_, i) =>
            p.kind === 'float' ? Number((p.min! + i * p.step! * 7).toFixed(6)) : p.min! + i * 3,
          );
          return { name: base.name, kind: p.kind, values } as Axis;
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
