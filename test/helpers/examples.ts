/**
 * Hand-worked example helpers: a few bars typed in by hand, one variant, and the output of an id from
 * its reference and from its kernel in both builds (TIME_MAJOR and VARIANT_MAJOR), as float32 arrays.
 */
import { expect } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { SourceSeries } from '../../src/registry/types.js';
import { runKernel, sourceOf, type Target } from './oracle.js';
import type { TestSeries } from './series.js';

/** Bars as [open, high, low, close, volume] rows (values rounded to float32 like any candle). */
export function bars(name: string, rows: readonly (readonly [number, number, number, number, number])[]): TestSeries {
  const t = rows.length;
  const s: TestSeries = {
    name,
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  rows.forEach(([o, h, l, c, v], i) => {
    s.open[i] = o;
    s.high[i] = h;
    s.low[i] = l;
    s.close[i] = c;
    s.volume[i] = v;
  });
  return s;
}

export type ExampleParams = Readonly<Record<string, number | string>>;

/** The one-variant axes of `id` for the given parameter (and source) values. */
function axesOf(id: string, params: ExampleParams): Axis[] {
  const def = registry.get(id);
  return def.axes.map((name): Axis => {
    const v = params[name];
    if (v === undefined) throw new Error(`example for ${id} lacks ${name}`);
    if (name === 'source') return { name, kind: 'source', values: [v as string] } as Axis;
    return { name, kind: def.params.find((p) => p.name === name)!.kind, values: [v as number] } as Axis;
  });
}

/** The reference's output `output` of `id` (one variant). */
export function referenceOutput(id: string, params: ExampleParams, s: TestSeries, output: string): Float32Array {
  const def = registry.get(id);
  const src = params.source === undefined ? undefined : sourceOf(s, params.source as SourceSeries);
  const numeric: Record<string, number> = {};
  for (const [k, v] of Object.entries(params)) if (k !== 'source') numeric[k] = v as number;
  const res = def.kernel!.reference({ t: s.t, src, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume }, numeric);
  return res[output]!;
}

/** The kernel's output `output` of `id` in every build and layout, keyed `simd TIME_MAJOR` etc. */
export function kernelOutputs(id: string, params: ExampleParams, s: TestSeries, output: string): Record<string, Float32Array> {
  const def = registry.get(id);
  const axes = axesOf(id, params);
  const res: Record<string, Float32Array> = {};
  for (const target of ['simd', 'scalar'] as Target[])
    for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
      const run = runKernel(def, axes, s, { target, layout, batch: 1, outputs: [output] });
      res[`${target} ${layout}`] = new Float32Array(run.values[0]!.buffer);
    }
  return res;
}

/** Float32 values of a hand-worked binary64 result (NaN stays NaN). */
export const f32s = (xs: readonly number[]): number[] => xs.map((x) => Math.fround(x));

/** Both the reference and every kernel build give `expected` (already float32) for `output`. */
export function expectExample(id: string, params: ExampleParams, s: TestSeries, output: string, expected: readonly number[]): void {
  expect(Array.from(referenceOutput(id, params, s, output)), `${id}.${output} reference`).toEqual(f32s(expected));
  for (const [name, got] of Object.entries(kernelOutputs(id, params, s, output))) {
    expect(Array.from(got), `${id}.${output} kernel ${name}`).toEqual(f32s(expected));
  }
}
