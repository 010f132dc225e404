/**
 * The registry's `outputParams`: an output declared to depend on some params only must give the
 * same bits for every variant that agrees on those params, whatever the others are — on every
 * engine. A backtest relies on it to compute such a series once (the Bollinger basis once per
 * window, not once per window and mult). Each declared output is computed over a grid that varies
 * every param (three values where the bounds allow), on a random walk, on one with holes and a gap,
 * and on flat bars with zero volume.
 */
import { describe, expect, it } from 'vitest';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef, ParamDef } from '../../src/registry/types.js';
import { candlesOf, engineOf } from '../helpers/engine.js';
import { flatBars, randomWalk, withHoles } from '../helpers/series.js';

const ENGINES = ['reference', 'wasm-simd', 'wasm-scalar'] as const;
const SERIES = [randomWalk(1200, 23), withHoles(), flatBars()];

/** The default and two larger values on the param's step, kept inside its bounds. */
function valuesOf(p: ParamDef): number[] {
  const d = p.default as number;
  const step = p.kind === 'int' ? 1 : (p.step ?? 0.1);
  const out = [d, d + 3 * step, d + 7 * step].map((x) => (p.kind === 'int' ? x : Math.round(x * 1e6) / 1e6));
  return out.filter((x) => (p.max === undefined || x <= p.max) && (p.min === undefined || x >= p.min));
}

const declared = registry
  .list()
  .filter((d): d is IndicatorDef & { outputParams: Readonly<Record<string, readonly string[]>> } => Boolean(d.outputParams));

describe('outputParams: an output gives the same bits whatever the params it does not depend on', () => {
  it('is declared for the indicators whose outputs ignore some params, naming real outputs and params', () => {
    expect(declared.map((d) => d.id)).toEqual(
      expect.arrayContaining(['volatility.bbands', 'trend.keltner', 'momentum.macd', 'momentum.ppo', 'trend.adx']),
    );
    for (const d of declared) {
      for (const [output, names] of Object.entries(d.outputParams)) {
        expect(d.outputs, `${d.id} output ${output}`).toContain(output);
        for (const n of names) expect(d.axes, `${d.id} ${output} param ${n}`).toContain(n);
        // a strict subset: an entry naming every param would say nothing
        expect(names.length, `${d.id} ${output}`).toBeLessThan(d.params.filter((p) => d.axes.includes(p.name)).length);
      }
    }
  });

  for (const def of declared) {
    for (const engine of ENGINES) {
      it(`${def.id} on ${engine}`, async () => {
        const numeric = def.params.filter((p) => def.axes.includes(p.name) && (p.kind === 'int' || p.kind === 'float'));
        const params = Object.fromEntries(numeric.map((p) => [p.name, valuesOf(p)]));
        for (const p of numeric) expect(params[p.name]!.length, `${def.id} ${p.name} values`).toBeGreaterThan(1);
        for (const s of SERIES) {
          const tensor = await engineOf(engine).compute({
            candles: candlesOf(s),
            grid: { indicatorId: def.id, params, ...(def.sourceValues ? { source: ['close'] } : {}) },
            layout: 'VARIANT_MAJOR',
            outputs: Object.keys(def.outputParams),
          });
          const t = s.t;
          for (const [output, deps] of Object.entries(def.outputParams)) {
            const values = tensor.output(output);
            const firstOf = new Map<string, number>();
            let compared = 0;
            for (let v = 0; v < tensor.shape[0]; v++) {
              const vv = tensor.variantValues(v);
              const key = JSON.stringify(deps.map((n) => vv[n]));
              const f = firstOf.get(key);
              if (f === undefined) {
                firstOf.set(key, v);
                continue;
              }
              for (let i = 0; i < t; i++) {
                const a: number = values[f * t + i]!;
                const b: number = values[v * t + i]!;
                if (!Object.is(a, b)) {
                  expect.fail(
                    `${def.id} ${output} on ${s.name}: variant ${JSON.stringify(vv)} differs at row ${i} from ${JSON.stringify(tensor.variantValues(f))} (${b} vs ${a})`,
                  );
                }
              }
              compared++;
            }
            // every variant but one per group was compared, and some values are defined
            expect(compared, `${def.id} ${output}`).toBe(tensor.shape[0] - firstOf.size);
            expect(compared).toBeGreaterThan(0);
            expect(
              values.some((x) => Number.isFinite(x)),
              `${def.id} ${output} has values`,
            ).toBe(true);
          }
        }
      });
    }
  }
});
