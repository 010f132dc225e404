/**
 * Every id of the registry computes on its default grid of configs/test/indicators.yaml (or, for
 * the ids the spec gives no default grid, a small explicit grid from its param defaults), on the
 * bundled ttrc.csv sample, with every output of the right shape.
 */
import { describe, expect, it } from 'vitest';
import { candlesFromCsv } from '../../src/candles/index.js';
import type { GridSpec } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { createEngine } from '../../src/runtime/engine.js';

const engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
const candles = await candlesFromCsv(new URL('../../bench/ttrc.csv', import.meta.url), { instrumentId: 'TTRC', timeline: 'sessions' });

/** The environment's default grid, else one value per axis from the param defaults (source close). */
function gridFor(def: IndicatorDef): GridSpec {
  try {
    return engine.defaultGrid(def.id);
  } catch {
    const params: Record<string, number> = {};
    for (const p of def.params) params[p.name] = p.default as number;
    return { indicatorId: def.id, ...(def.sourceValues ? { source: 'close' } : {}), params };
  }
}

describe('every indicator of the registry', () => {
  it.each(registry.list().map((d) => ({ id: d.id, def: d })))('$id computes on its test grid', async ({ def }) => {
    const tensor = await engine.compute({ candles, grid: gridFor(def) });
    expect(tensor.outputs.map((o) => o.name)).toEqual(def.outputs);
    for (const o of tensor.outputs) expect(o.values.length).toBe(candles.t * tensor.meta.variants);
    expect(
      tensor.values.some((v) => !Number.isNaN(v)),
      `${def.id} has at least one valid value`,
    ).toBe(true);
  });
});
