/**
 * Kernels that narrow a quotient S / n through the product S · fl(1/n) (assembly/lanes.ts
 * quotientUnsafe) must fall back to the exact division wherever the two narrow differently. This
 * series plants, for every window n of the grid, one window whose exact sum S (a few binary64 ulps
 * off n times a float32 rounding midpoint) makes fl32(S · fl(1/n)) differ from fl32(S / n): only the
 * fallback gives the reference's bits there. Every value is a multiple of 2⁻⁵⁰ and every running sum
 * stays below 8, so the rolling sums are exact and the planted sums are the sums the kernels see.
 * Windows run consecutive (the one-load gather of the outgoing terms) and spread out (the per-lane
 * gather).
 *
 * That series spans 32 binades, so ma.sma takes its recursion. On a narrow exponent range it takes
 * the exact-sum path (assembly/ma.ts exactPrefix), where a window's mean is either exactly a float32
 * midpoint or far from every one; the second series plants exact midpoints M = S / n for which the
 * product still lands an ulp off M.
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { firstMismatch, referenceAll, runKernel, type Target } from '../helpers/oracle.js';
import { prng, type TestSeries } from '../helpers/series.js';

const f32 = Math.fround;
const B = 2 ** -30; // background value: non-zero, so every stretch is "clean"
const SPACING = 50;

/**
 * A window sum S in [4, 8) on which the product and the quotient narrow differently, split into three
 * float32 terms; none for a power-of-two n, where 1/n is exact and the product is the quotient, nor
 * when a bounded seeded search finds none. S/n must sit below S's binade by less than n (M's exponent
 * e), or S's ulp is at least n ulps of the quotient and the product always narrows right.
 */
function plantFor(n: number, rnd: () => number): { S: number; terms: [number, number, number] } | null {
  if (Number.isInteger(Math.log2(n))) return null;
  const e = Math.floor(Math.log2(4 / n)) + 1;
  for (let tries = 0; tries < 20_000; tries++) {
    const m = Math.floor(rnd() * 2 ** 23);
    const M = 2 ** e * (1 + (2 * m + 1) * 2 ** -24); // a float32 rounding midpoint
    const d = Math.floor(rnd() * 7) - 3;
    const S = n * M + d * 2 ** -50;
    if (S < 4 || S >= 8 - 2 ** -20 || f32(S * (1 / n)) === f32(S / n)) continue;
    const rest = S - (n - 3) * B;
    const a = f32(rest),
      b = f32(rest - a),
      c = rest - a - b;
    if (a !== 0 && b !== 0 && c !== 0 && f32(c) === c && a + b + c === rest) return { S, terms: [a, b, c] };
  }
  return null;
}

function plantedSeries(windows: readonly number[]): { s: TestSeries; planted: { n: number; p: number; S: number }[] } {
  const rnd = prng(2026);
  const t = 100 + SPACING * windows.length;
  const fill = () => new Float32Array(t).fill(B);
  const s: TestSeries = { name: 'planted near-midpoint sums', t, open: fill(), high: fill(), low: fill(), close: fill(), volume: fill() };
  const planted: { n: number; p: number; S: number }[] = [];
  windows.forEach((n, k) => {
    const p = 100 + SPACING * k;
    const plant = plantFor(n, rnd);
    if (!plant) return;
    plant.terms.forEach((x, i) => {
      s.close[p - 2 + i] = x;
    });
    planted.push({ n, p, S: plant.S });
  });
  return { s, planted };
}

describe.each([
  { id: 'ma.sma', windows: Array.from({ length: 40 }, (_, i) => i + 3) }, // 3..42
  { id: 'ma.sma', windows: [41, 7, 30, 12, 3, 25, 16, 9, 38, 21] },
])('$id narrows a near-midpoint mean like the reference', ({ id, windows }) => {
  const { s, planted } = plantedSeries(windows);
  it(`on ${windows.length} windows ${windows[0]}..${windows.at(-1)}, both builds and layouts`, () => {
    const def = registry.get(id);
    const axes: Axis[] = def.axes.map(
      (name): Axis => (name === 'source' ? { name, kind: 'source', values: ['close'] } : { name, kind: 'int', values: [...windows] }),
    );
    const refs = referenceAll(def, axes, s);
    expect(planted.length).toBeGreaterThanOrEqual(windows.length / 2);
    // the reference sees the planted sums, where the product would narrow to the other float32
    for (const { n, p, S } of planted) {
      const got = new Float32Array(refs[windows.indexOf(n)]![def.outputs[0]!]!.buffer)[p];
      expect(got, `window ${n} at ${p}`).toBe(f32(S / n));
      expect(got).not.toBe(f32(S * (1 / n)));
    }
    for (const target of ['simd', 'scalar'] as Target[])
      for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
        const run = runKernel(def, axes, s, { target, layout, batch: refs.length });
        expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout}`).toBeNull();
      }
  });
});

/** A float32 midpoint M in [1, 2) with fl32(n·M · fl(1/n)) ≠ fl32(M) (ties to even), from a seeded search; null if none is found. */
function exactTieFor(n: number, rnd: () => number): number | null {
  if (Number.isInteger(Math.log2(n))) return null;
  for (let tries = 0; tries < 4000; tries++) {
    const m = 2 ** 23 - 1 - Math.floor(rnd() * 2 ** 20);
    const M = 1 + (2 * m + 1) * 2 ** -24;
    if (f32(n * M * (1 / n)) !== f32(M)) return M;
  }
  return null;
}

/** Background 1.5; before each planted bar p, n values summing to n·M exactly: n − 2 copies of fl32(M), one in [2, 4), one in [0.5, 1). */
function exactTieSeries(windows: readonly number[]): { s: TestSeries; planted: { n: number; p: number; M: number }[] } {
  const rnd = prng(77);
  const gap = Math.max(...windows) + 20;
  const t = gap * (windows.length + 1);
  const fill = () => new Float32Array(t).fill(1.5);
  const s: TestSeries = { name: 'exact float32 midpoint means', t, open: fill(), high: fill(), low: fill(), close: fill(), volume: fill() };
  const planted: { n: number; p: number; M: number }[] = [];
  windows.forEach((n, k) => {
    const M = exactTieFor(n, rnd);
    if (M === null) return;
    const p = gap * (k + 1);
    const a = f32(M);
    const two = 2 * a + n * (M - a); // what the last two bars must add up to
    const r = (two - 0.5) % 2 ** -22;
    const b2 = 0.5 + r,
      b1 = two - b2;
    if (f32(b1) !== b1 || f32(b2) !== b2 || (n - 2) * a + b1 + b2 !== n * M) throw new Error(`window ${n}: the split is not exact`);
    for (let i = p - n + 1; i <= p - 2; i++) s.close[i] = a;
    s.close[p - 1] = b1;
    s.close[p] = b2;
    planted.push({ n, p, M });
  });
  return { s, planted };
}

describe.each([
  { id: 'ma.sma', windows: Array.from({ length: 160 }, (_, i) => i + 40) }, // 40..199, row by row
  { id: 'ma.sma', windows: [49, 75, 77, 91, 93, 98, 99, 103, 105, 107, 117, 123] },
])('$id narrows an exact midpoint mean like the reference (exact sums)', ({ id, windows }) => {
  const { s, planted } = exactTieSeries(windows);
  it(`on ${windows.length} windows ${windows[0]}..${windows.at(-1)}, both builds and layouts`, () => {
    const def = registry.get(id);
    const axes: Axis[] = def.axes.map(
      (name): Axis => (name === 'source' ? { name, kind: 'source', values: ['close'] } : { name, kind: 'int', values: [...windows] }),
    );
    const refs = referenceAll(def, axes, s);
    expect(planted.length).toBeGreaterThanOrEqual(5);
    for (const { n, p, M } of planted) {
      const got = new Float32Array(refs[windows.indexOf(n)]![def.outputs[0]!]!.buffer)[p];
      expect(got, `window ${n} at ${p}`).toBe(f32(M));
      expect(got).not.toBe(f32(n * M * (1 / n)));
    }
    for (const target of ['simd', 'scalar'] as Target[])
      for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as Layout[]) {
        const run = runKernel(def, axes, s, { target, layout, batch: refs.length });
        expect(firstMismatch(def, refs, s, run, layout), `${target} ${layout}`).toBeNull();
      }
  });
});
