/**
 * The oracle on the zero-volume / flat-run series (series-volume.ts): every definition of a group
 * that has a kernel, both builds × both layouts × batch sizes 1, 7 and all, bit for bit against the
 * reference, on the edge grid of oracle.ts.
 */
import { describe, expect, it } from 'vitest';
import type { Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, firstMismatch, referenceAll, runKernel, type Target } from './oracle.js';
import { zeroVolumeRuns } from './series-volume.js';

export function zeroVolumeSuite(group: string): void {
  const defs = registry.byGroup(group).filter((d) => d.kernel);
  const s = zeroVolumeRuns();
  describe(`${group} kernels on ${s.name}`, () => {
    it.each(defs.map((def) => ({ id: def.id, def })))(
      '$id equals its reference in both builds, both layouts, batches 1, 7, all',
      ({ def }) => {
        const axes = edgeAxes(def, s.t);
        const refs = referenceAll(def, axes, s);
        for (const target of ['simd', 'scalar'] as Target[])
          for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
            for (const batch of [1, 7, refs.length]) {
              const run = runKernel(def, axes, s, { target, layout, batch });
              expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout} batch ${batch}`).toBeNull();
            }
          }
      },
    );
  });
}
