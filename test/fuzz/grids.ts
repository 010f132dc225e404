/**
 * Random grids for the fuzz suite: any registry indicator, each axis explicit or a range, values
 * mostly inside the parameter bounds (small windows, windows around the series length) and at times
 * just outside them (below min, above max, off the step grid, not an integer, a duplicate), source
 * values of the definition and at times one it does not allow. Few values per axis, so a grid stays
 * small enough for the reference engine.
 */
import fc from 'fast-check';
import type { AxisInput, GridSpec, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef, ParamDef } from '../../src/registry/types.js';

export const DEFS: readonly IndicatorDef[] = registry.list();
export const IDS: readonly string[] = DEFS.map((d) => d.id);

export interface GridCase {
  grid: GridSpec;
  layout: Layout;
  /** undefined: every output. */
  outputs?: string[];
  batchVariants?: number;
  maxVariants?: number;
}

/** An int value: mostly small windows, some around the series length, a few just out of bounds. */
function intValue(p: ParamDef, t: number, maxSmall: number): fc.Arbitrary<number> {
  const min = p.min!,
    max = p.max!;
  return fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min, max: Math.min(max, min + maxSmall) }) },
    { weight: 2, arbitrary: fc.integer({ min: Math.min(max, Math.max(min, t - 3)), max: Math.min(max, Math.max(min, t + 4)) }) },
    { weight: 1, arbitrary: fc.integer({ min, max: Math.min(max, 300) }) },
    { weight: 1, arbitrary: fc.constantFrom(min - 1, min - 2, 0, -1, max, max + 1, min + 0.5) },
  );
}

/** A float value on the step grid near the low end, with some off-grid and out-of-bounds values. */
function floatValue(p: ParamDef): fc.Arbitrary<number> {
  const min = p.min!,
    max = p.max!,
    step = p.step!;
  const onGrid = (k: number): number => Number((min + k * step).toFixed(10));
  return fc.oneof(
    { weight: 8, arbitrary: fc.integer({ min: 0, max: Math.min(400, Math.round((max - min) / step)) }).map(onGrid) },
    { weight: 1, arbitrary: fc.double({ min, max, noNaN: true }) },
    { weight: 1, arbitrary: fc.constantFrom(min - step, max + step, max, min + step / 3, 0, -min) },
  );
}

function paramAxis(p: ParamDef, t: number, maxValues: number, maxSmall: number): fc.Arbitrary<AxisInput> {
  const value = p.kind === 'float' ? floatValue(p) : intValue(p, t, maxSmall);
  const explicit = fc.array(value, { minLength: 1, maxLength: maxValues });
  const step =
    p.kind === 'float'
      ? fc.oneof(
          { weight: 6, arbitrary: fc.integer({ min: 1, max: 20 }).map((k) => Number((k * p.step!).toFixed(10))) },
          { weight: 1, arbitrary: fc.constantFrom(0, -p.step!, p.step! / 2) },
        )
      : fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 1, max: 7 }) }, { weight: 1, arbitrary: fc.constantFrom(0, -1, 1.5) });
  const range = fc.record({ start: value, step, count: fc.integer({ min: 1, max: maxValues }) }).map(
    ({ start, step: s, count }): AxisInput => ({
      mode: 'range',
      start,
      stopIncl: Number((start + s * (count - 1)).toFixed(10)),
      step: s,
    }),
  );
  return fc.oneof({ weight: 5, arbitrary: explicit }, { weight: 2, arbitrary: range }, { weight: 1, arbitrary: value });
}

function sourceAxis(def: IndicatorDef, maxValues: number): fc.Arbitrary<AxisInput> {
  const allowed = def.sourceValues!;
  const foreign = ['hl2', 'volume', 'CLOSE', ' hlc3 ', 'median'].filter((s) => !allowed.includes(s as never));
  return fc.oneof(
    {
      weight: 10,
      arbitrary: fc
        .subarray([...allowed], { minLength: 1, maxLength: maxValues })
        .chain((s) => fc.shuffledSubarray(s, { minLength: s.length })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...allowed) },
    { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...allowed), fc.constantFrom(...foreign, allowed[0]!)).map(([a, b]) => [a, b]) },
  );
}

/**
 * A grid case for one definition and series length `t`. `maxValues` per axis shrinks with the number
 * of axes so a grid has at most a few dozen variants; `maxSmall` bounds the small windows.
 */
export function gridCase(def: IndicatorDef, t: number, opts: { maxSmall?: number; maxVariantsArb?: boolean } = {}): fc.Arbitrary<GridCase> {
  const maxSmall = opts.maxSmall ?? 60;
  const paramAxes = def.axes.filter((a) => a !== 'source');
  const maxValues = def.axes.length >= 4 ? 2 : def.axes.length === 3 ? 2 : def.axes.length === 2 ? 4 : 8;
  const params: Record<string, fc.Arbitrary<AxisInput>> = {};
  for (const name of paramAxes) params[name] = paramAxis(def.params.find((p) => p.name === name)!, t, maxValues, maxSmall);
  const hasSource = def.axes.includes('source');
  const outputs = fc.oneof(
    { weight: 4, arbitrary: fc.constant(undefined) },
    { weight: 4, arbitrary: fc.shuffledSubarray([...def.outputs], { minLength: 1 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.constantFrom(...def.outputs), fc.constantFrom('nope', def.outputs[0]!.toUpperCase(), def.outputs[0]!))
        .map(([a, b]) => [a, b]),
    },
  );
  return fc
    .record({
      params: fc.record(params),
      source: hasSource ? sourceAxis(def, maxValues) : fc.constant(undefined),
      layout: fc.constantFrom<Layout[]>('TIME_MAJOR', 'VARIANT_MAJOR'),
      outputs,
      batchVariants: fc.oneof(fc.constant(undefined), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 4096 })),
      maxVariants:
        opts.maxVariantsArb === false
          ? fc.constant(undefined)
          : fc.oneof({ weight: 8, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 40 }) }),
    })
    .map(({ params: p, source, layout, outputs: o, batchVariants, maxVariants }) => {
      const grid: GridSpec = {
        indicatorId: def.id,
        ...(source !== undefined ? { source } : {}),
        ...(paramAxes.length ? { params: p } : {}),
      };
      return {
        grid,
        layout,
        ...(o ? { outputs: o } : {}),
        ...(batchVariants !== undefined ? { batchVariants } : {}),
        ...(maxVariants !== undefined ? { maxVariants } : {}),
      };
    });
}
