/**
 * Determinism through the public engine: wasm-simd, wasm-scalar and reference give bit-identical
 * tensors for every id with a kernel, whatever the layout and batch size; TIME_MAJOR and
 * VARIANT_MAJOR hold the same values; reusing a tensor's arrays (`out`) changes nothing.
 */
import { describe, expect, it } from 'vitest';
import type { GridSpec } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { bits, candlesOf, engineOf, firstBitDiff } from '../helpers/engine.js';
import { edgeAxes } from '../helpers/oracle.js';
import { randomWalk, withHoles } from '../helpers/series.js';

function gridOf(def: IndicatorDef, t: number): GridSpec {
  const axes = edgeAxes(def, t);
  const params: Record<string, (number | string)[]> = {};
  let source: string[] | undefined;
  for (const a of axes) {
    if (a.name === 'source') source = a.values as string[];
    else params[a.name] = [...a.values] as number[];
  }
  if (def.variantRule) {
    // keep only values that satisfy the per-variant rule for every combination (psar: accel_max >= accel_start)
    params.accel_max = (params.accel_max as number[]).filter((m) => (params.accel_start as number[]).every((s) => m >= s));
  }
  return { indicatorId: def.id, ...(source ? { source } : {}), params };
}

const defs = registry.list().filter((d) => d.kernel);
const s = withHoles();
const candles = candlesOf(s);

describe.each(defs.map((d) => ({ id: d.id, def: d })))('$id: engines agree bit for bit', ({ def }) => {
  it('wasm-simd, wasm-scalar and reference, both layouts, batches 1, 7 and all', async () => {
    const grid = gridOf(def, s.t);
    const want = await engineOf('reference').compute({ candles, grid, layout: 'TIME_MAJOR' });
    for (const engine of ['wasm-simd', 'wasm-scalar'] as const) {
      for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as const) {
        for (const batchVariants of [1, 7, want.meta.variants]) {
          const got = await engineOf(engine).compute({ candles, grid, layout, batchVariants });
          expect(got.meta.engine).toBe(engine);
          expect(got.variantKeys()).toEqual(want.variantKeys());
          for (const o of def.outputs) {
            const a = got.output(o),
              b = want.output(o);
            const V = got.meta.variants,
              T = got.meta.t;
            const ga = bits(a),
              gb = bits(b);
            for (let v = 0; v < V; v++)
              for (let t = 0; t < T; t++) {
                const x = layout === 'TIME_MAJOR' ? ga[t * V + v] : ga[v * T + t];
                if (x !== gb[t * V + v]) {
                  expect.fail(`${engine} ${layout} batch ${batchVariants} ${o} differs at t=${t} v=${v} (${got.variantKeyPayload(v)})`);
                }
              }
          }
        }
      }
    }
  });
});

describe('output reuse', () => {
  it('writes a new compute into the arrays of the tensor passed as out, with the same bits as a fresh compute', async () => {
    const e = engineOf('wasm-simd');
    const grid: GridSpec = { indicatorId: 'ma.ema', source: ['close'], params: { window: [5, 10, 20] } };
    const c1 = candlesOf(randomWalk(3000, 1));
    const c2 = candlesOf(randomWalk(3000, 2));
    const first = await e.compute({ candles: c1, grid });
    const arrays = first.values;
    const reused = await e.compute({ candles: c2, grid, out: first });
    const fresh = await e.compute({ candles: c2, grid });
    expect(reused.values).toBe(arrays);
    expect(firstBitDiff(reused.values, fresh.values)).toBe(-1);
  });

  it('rejects an out tensor of another shape', async () => {
    const e = engineOf('wasm-simd');
    const c = candlesOf(randomWalk(100, 3));
    const a = await e.compute({ candles: c, grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: [5, 10] } } });
    await expect(
      e.compute({ candles: c, grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: [5, 10, 20] } }, out: a }),
    ).rejects.toMatchObject({ code: 'grid_invalid', details: { field: 'out', reason: 'shape_mismatch' } });
  });
});
