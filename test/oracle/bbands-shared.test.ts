/**
 * volatility.bbands shares the rolling mean / standard deviation of a window between the variants
 * that have it (the mult axis): the kernel dedupes the windows of each call. These grids exercise
 * what the edge grids of the generic suite do not: windows repeated across several mults in an
 * unsorted order, duplicate window values, variant counts that are not multiples of 4, batches
 * that split a mult's windows, every output slot at once, zeros in the source (the z reset),
 * NaN holes and numerically negative variances (NaN bands around a valid basis).
 */
import { describe, expect, it } from 'vitest';
import type { Axis, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { firstMismatch, referenceAll, runKernel, type Target } from '../helpers/oracle.js';
import { prng, randomWalk, type TestSeries } from '../helpers/series.js';

const LAYOUTS: Layout[] = ['TIME_MAJOR', 'VARIANT_MAJOR'];
const TARGETS: Target[] = ['simd', 'scalar'];
const SLOTS = ['basis', 'upper', 'lower', 'bandwidth', 'percent_b'];

const def = registry.get('volatility.bbands');

function grid(windows: number[], mults: number[]): Axis[] {
  return [
    { name: 'mult', kind: 'float', values: mults },
    { name: 'source', kind: 'source', values: ['close'] },
    { name: 'window', kind: 'int', values: windows },
  ];
}

/** A random walk with exact zeros (single bars and a run longer than the windows) and NaN holes. */
function zerosAndHoles(): TestSeries {
  const s = randomWalk(2501, 5, 'zeros and holes');
  for (const i of [100, 101, 640, 1203]) s.close[i] = 0;
  for (let i = 1500; i < 1580; i++) s.close[i] = 0;
  for (const i of [900, 1910, 1911]) s.close[i] = NaN;
  for (let i = 2200; i < 2230; i++) s.close[i] = NaN;
  return s;
}

/**
 * Stretches mixing prices near 1e6 with small values (their squares need more than 53 bits, so Q
 * carries rounding), then flat stretches: the rolling variance cancels to values <= −1e−12.
 */
function cancelling(): TestSeries {
  const s = randomWalk(2300, 9, 'cancelling variance');
  const rnd = prng(3);
  for (let i = 0; i < s.t; i++) {
    const flat = Math.floor(i / 150) % 2 === 1;
    s.close[i] = flat ? 1e6 : rnd() < 0.5 ? 1e6 * (1 + (rnd() - 0.5) * 1e-3) : rnd() * 0.01;
  }
  return s;
}

const SERIES: TestSeries[] = [randomWalk(2501, 17, 'random walk'), zerosAndHoles(), cancelling()];

const GRIDS: { name: string; axes: Axis[]; batches: number[] }[] = [
  { name: 'unsorted windows with duplicates × 3 mults', axes: grid([20, 7, 61, 7, 3, 20, 45], [2, 0.5, 3.25]), batches: [1, 3, 5, 8, 21] },
  {
    name: 'a block with windows u, v, u + 2, u + 3',
    axes: grid([10, 11, 12, 13, 14, 15, 16, 17, 10, 15, 12, 13], [1.5, 3]),
    batches: [12, 24],
  },
  { name: 'one mult, 6 windows', axes: grid([9, 2, 33, 10, 11, 12], [2]), batches: [4, 6] },
  { name: 'one window × 5 mults', axes: grid([14], [1, 1.5, 2, 0.1, 10]), batches: [2, 5] },
  {
    name: 'windows 10..50 × mults {1.5, 2, 2.5} (the benchmark grid)',
    axes: grid(
      Array.from({ length: 41 }, (_, i) => 10 + i),
      [1.5, 2, 2.5],
    ),
    batches: [90, 123],
  },
  {
    name: 'descending windows, 2 mults, window longer than the series',
    axes: grid([2600, 40, 30, 20, 10, 5], [2.5, 1.5]),
    batches: [7, 12],
  },
];

describe('volatility.bbands with windows shared across mults agrees with its reference', () => {
  it('exercises a numerically negative variance (NaN bands, valid basis)', () => {
    const [ref] = referenceAll(def, grid([20], [2]), SERIES[2]!);
    let hit = false;
    for (let t = 0; t < ref!.basis!.length; t++) if (ref!.upper![t] === 0x7fc00000 && ref!.basis![t] !== 0x7fc00000) hit = true;
    expect(hit).toBe(true);
  });

  for (const g of GRIDS) {
    it.each(SERIES.map((s) => ({ name: s.name, s })))(`${g.name} on $name: every slot, both builds, both layouts`, ({ s }) => {
      const refs = referenceAll(def, g.axes, s);
      for (const target of TARGETS)
        for (const layout of LAYOUTS)
          for (const batch of g.batches) {
            for (const outputs of [SLOTS, ['basis', 'upper', 'lower'], ['bandwidth'], ['percent_b'], ['upper']]) {
              const run = runKernel(def, g.axes, s, { target, layout, batch, outputs });
              expect(
                firstMismatch(def, refs, s, run, layout, outputs),
                `${target} ${layout} batch ${batch} ${outputs.join(',')}`,
              ).toBeNull();
            }
          }
    });
  }
});
