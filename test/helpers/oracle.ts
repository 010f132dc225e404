/**
 * Kernel ≡ reference harness. Runs a definition's WebAssembly kernel (SIMD and scalar builds, both
 * layouts, several batch sizes) straight through the compute core and compares every output with
 * the plain-TypeScript reference, bit for bit (same NaN positions, same bits otherwise).
 */
import { fileURLToPath } from 'node:url';
import type { Axis, Layout } from '../../src/grid/types.js';
import type { IndicatorDef, Profile, SeriesInputs, SourceSeries } from '../../src/registry/types.js';
import { axisStrides, axisValueAt, planLayout } from '../../src/compute/plan.js';
import { runBatch } from '../../src/compute/kernels.js';
import { cacheKey, readEntry } from '../../src/runtime/cache.js';
import type { TestSeries } from './series.js';

export type Target = 'simd' | 'scalar';

/**
 * The modules `npm run build` wrote (pretest builds them), picked by the cache key of the current
 * kernel sources, so a stale entry left in dist/wasm-cache can never be loaded by mistake.
 */
const modules: Record<Target, WebAssembly.Module> = Object.fromEntries(
  await Promise.all(
    (['simd', 'scalar'] as const).map(async (target) => {
      const dir = fileURLToPath(new URL('../../dist/wasm-cache/', import.meta.url));
      const { key } = await cacheKey(target);
      const entry = await readEntry(dir, key, target);
      if (entry.status !== 'ok')
        throw new Error(`dist/wasm-cache has no valid ${target} entry for the current sources (${entry.status}): run npm run build`);
      return [target, entry.module] as const;
    }),
  ),
) as Record<Target, WebAssembly.Module>;

export function bundledModules(): Record<Target, WebAssembly.Module> {
  return modules;
}

const f32 = Math.fround;

/** Derived sources in float32 arithmetic (sum left to right, then divide), independent of src/candles. */
export function sourceOf(s: TestSeries, name: SourceSeries): Float32Array {
  const out = new Float32Array(s.t);
  for (let i = 0; i < s.t; i++) {
    const o = s.open[i]!,
      h = s.high[i]!,
      l = s.low[i]!,
      c = s.close[i]!;
    switch (name) {
      case 'hl2':
        out[i] = f32(f32(h + l) / 2);
        break;
      case 'hlc3':
        out[i] = f32(f32(f32(h + l) + c) / 3);
        break;
      case 'ohlc4':
        out[i] = f32(f32(f32(f32(o + h) + l) + c) / 4);
        break;
      default:
        out[i] = s[name][i]!;
    }
  }
  return out;
}

export interface KernelRun {
  values: Uint32Array[];
  variants: number;
}

/** Runs the kernel of `def` over all variants of `axes`. */
export function runKernel(
  def: IndicatorDef,
  axes: readonly Axis[],
  s: TestSeries,
  opts: { target: Target; layout: Layout; batch: number; outputs?: readonly string[]; profile?: Profile },
): KernelRun {
  const outputs = opts.outputs ?? def.outputs;
  const variants = axes.reduce((a, x) => a * x.values.length, 1);
  const plan = planLayout({
    def,
    kernel: def.kernel!,
    axes,
    t: s.t,
    variants,
    layout: opts.layout,
    outputs,
    threads: 1,
    batchVariants: opts.batch,
    executors: 1,
    profile: opts.profile,
  });
  const memory = new WebAssembly.Memory({ initial: plan.pages, maximum: plan.pages, shared: true });
  const inst = new WebAssembly.Instance(bundledModules()[opts.target], { env: { memory } });
  for (const [name, off] of Object.entries(plan.series)) new Float32Array(memory.buffer, off, s.t).set(sourceOf(s, name as SourceSeries));
  for (const b of plan.batches) runBatch(inst.exports as Record<string, unknown>, memory, def, axes, plan, b, 0);
  return { values: plan.outputOffsets.map((off) => new Uint32Array(memory.buffer, off, s.t * variants).slice()), variants };
}

/** The reference of one variant: every slot of the definition's kernel as float32 bits. */
export function runReferenceVariant(
  def: IndicatorDef,
  axes: readonly Axis[],
  s: TestSeries,
  v: number,
  profile?: Profile,
): Record<string, Uint32Array> {
  const strides = axisStrides(axes);
  const params: Record<string, number> = {};
  let src: Float32Array | undefined;
  axes.forEach((a, k) => {
    const val = axisValueAt(axes, strides, k, v);
    if (a.name === 'source') src = sourceOf(s, val as SourceSeries);
    else params[a.name] = val as number;
  });
  const inputs: SeriesInputs = { t: s.t, src, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume };
  const res = def.kernel!.reference(inputs, params, profile);
  const out: Record<string, Uint32Array> = {};
  for (const [k, arr] of Object.entries(res)) out[k] = new Uint32Array(arr.buffer, arr.byteOffset, arr.length);
  return out;
}

/** Describes the first differing element, or returns null when every output matches bit for bit. */
export function firstMismatch(
  def: IndicatorDef,
  refs: readonly Record<string, Uint32Array>[],
  s: TestSeries,
  run: KernelRun,
  layout: Layout,
  outputs: readonly string[] = def.outputs,
): string | null {
  const V = run.variants;
  for (let v = 0; v < V; v++) {
    const ref = refs[v]!;
    for (let k = 0; k < outputs.length; k++) {
      const want = ref[outputs[k]!]!;
      const got = run.values[k]!;
      for (let t = 0; t < s.t; t++) {
        const g = got[layout === 'TIME_MAJOR' ? t * V + v : v * s.t + t]!;
        if (g !== want[t]) {
          const asF = (b: number) => new Float32Array(new Uint32Array([b]).buffer)[0];
          return `${def.id} ${outputs[k]} on ${s.name}, variant ${v}, t ${t}: kernel 0x${g.toString(16)} (${asF(g)}) vs reference 0x${want[t]!.toString(16)} (${asF(want[t]!)})`;
        }
      }
    }
  }
  return null;
}

/** References of every variant, computed once per (definition, series). */
export function referenceAll(def: IndicatorDef, axes: readonly Axis[], s: TestSeries): Record<string, Uint32Array>[] {
  const V = axes.reduce((a, x) => a * x.values.length, 1);
  return Array.from({ length: V }, (_, v) => runReferenceVariant(def, axes, s, v));
}

/** Edge grid of a definition: min, default and a few more values of every param; sources close and hlc3. */
export function edgeAxes(def: IndicatorDef, t: number): Axis[] {
  return def.axes.map((name): Axis => {
    if (name === 'source')
      return { name, kind: 'source', values: def.sourceValues!.includes('hl2' as never) ? ['close', 'hl2', 'ohlc4'] : ['close', 'hlc3'] };
    const p = def.params.find((x) => x.name === name)!;
    if (p.kind === 'float') {
      const vals = [...new Set([p.min!, p.default as number, Math.min(p.max!, (p.default as number) * 2)])];
      return { name, kind: 'float', values: vals };
    }
    // int: min, default, a prime, a long window and one longer than the series (fewer when the grid has many axes)
    const many = def.axes.length >= 3;
    const wanted = many ? [p.min!, p.default as number, t + 3] : [p.min!, p.default as number, 7, 61, t + 3];
    const vals = [...new Set(wanted.map((x) => Math.min(p.max!, x)))].filter((x) => x >= p.min!);
    return { name, kind: 'int', values: vals };
  });
}
