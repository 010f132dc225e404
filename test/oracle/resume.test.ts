/**
 * The resume contract (docs/kernel-state.md), driven by the registry: every kernel that declares
 * `resume` gives, split into calls of random lengths (mostly one bar, as a stream pushes) with the
 * state copied between calls and nothing but the declared history before each call, the rows of one
 * unsplit call bit for bit, in both builds, on every variant of its edge grid. The series have leading
 * NaNs, single holes and a gap, flat bars, zero-price bars, zero volume and high = low, and a series
 * shorter than most windows.
 */
import { describe, expect, it } from 'vitest';
import type { Axis } from '../../src/grid/types.js';
import { axisStrides, axisValueAt } from '../../src/compute/plan.js';
import { registry } from '../../src/registry/index.js';
import { edgeAxes, runKernel, type Target } from '../helpers/oracle.js';
import { callLengths, provisionalRows, runResumed } from '../helpers/resume.js';
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

/** A series longer than every window of `boundedAxes` and than the kernels' 4096-slot rings, with holes and zero-price bars. */
function longSeries(): TestSeries {
  const s = randomWalk(6000, 31, 'long, windows shorter than it');
  for (const i of [5, 300, 301, 2500, 4100]) for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][i] = Number.NaN;
  for (let i = 600; i < 640; i++) for (const k of ['open', 'high', 'low', 'close'] as const) s[k][i] = 0;
  for (let i = 3000; i < 3100; i++) s.volume[i] = 0;
  return s;
}

/**
 * A grid whose windows all fit in the long series, so that every window's outgoing terms and the
 * declared history are exercised (the edge grid's window longer than the series reads nothing old):
 * per int param its minimum, default and values up to 2000; per float param its minimum and
 * default; one source. Fewer values per param when the indicator has several.
 */
function boundedAxes(def: (typeof resumable)[number]): Axis[] {
  const many = def.axes.filter((a) => a !== 'source').length >= 2;
  return def.axes.map((name): Axis => {
    if (name === 'source') return { name, kind: 'source', values: [def.sourceValues!.includes('hlc3' as never) ? 'hlc3' : 'close'] };
    const p = def.params.find((x) => x.name === name)!;
    if (p.kind === 'float') return { name, kind: 'float', values: [...new Set([p.min!, p.default as number])] };
    const wanted = many ? [p.min!, p.default as number, 61, 1500] : [p.min!, p.default as number, 7, 61, 333, 2000];
    return { name, kind: 'int', values: [...new Set(wanted.map((x) => Math.max(p.min!, Math.min(p.max!, x))))] };
  });
}

/** Long calls (past a 4096-slot ring), single bars between them, and a stretch of short calls. */
const LONG_CALLS: readonly (readonly number[])[] = [
  [100, 4500, 1, 1, 1, 1, 1396],
  [2100, 1, 2, 3, 3894],
  [1, 2999, ...callLengths(300, 3), 2700],
];
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
              const lengths = callLengths(s.t, seed * 7919 + first);
              const got = runResumed(def, axes, s, target, first, n, lengths);
              def.outputs.forEach((out, k) => {
                const skip = provisionalRows(def, axes, first, n, lengths, s.t, out);
                for (let t = 0; t < s.t; t++) {
                  for (let j = 0; j < n; j++) {
                    if (skip?.[t * n + j]) continue;
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
    it(`${def.id} on a long series with windows shorter than it: long and short calls, both builds`, () => {
      const s = longSeries();
      const axes = boundedAxes(def);
      const V = axes.reduce((a, x) => a * x.values.length, 1);
      for (const target of ['simd', 'scalar'] as Target[]) {
        const whole = runKernel(def, axes, s, { target, layout: 'TIME_MAJOR', batch: V });
        for (const lengths of LONG_CALLS) {
          const got = runResumed(def, axes, s, target, 0, V, lengths);
          def.outputs.forEach((out, k) => {
            const w = whole.values[k]!;
            const g = got[k]!;
            const skip = provisionalRows(def, axes, 0, V, lengths, s.t, out);
            for (let i = 0; i < s.t * V; i++) {
              if (g[i] !== w[i] && !skip?.[i])
                expect.fail(
                  `${def.id} ${out} ${target} calls ${lengths.slice(0, 4).join(',')}…: variant ${i % V}, bar ${Math.floor(i / V)}: resumed 0x${g[i]!.toString(16)} vs one call 0x${w[i]!.toString(16)}`,
                );
            }
          });
        }
      }
    });
  }
});
