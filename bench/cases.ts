/**
 * Benchmark cases (one indicator id and grid each), generated from the registry plus the table below: a case whose
 * indicator has no kernel yet is reported as skipped (checked when called, so a kernel that lands
 * shows up without touching this file). Every case has a plain-JS loop (bench/plain.ts).
 */
import type { GridSpec } from '../src/grid/types.js';
import { materializeGrid, variantValues, type Axis } from '../src/grid/index.js';
import { registry } from '../src/registry/index.js';
import {
  plainAdx,
  plainAtr,
  plainBbands,
  plainEma,
  plainMacd,
  plainMfi,
  plainRsi,
  plainSma,
  plainZscore,
  type PlainInputs,
} from './plain.js';

export type { PlainInputs } from './plain.js';

export interface BenchCaseSpec {
  readonly id: string;
  readonly grid: GridSpec;
  /** V of the table (checked against the materialised grid). */
  readonly variants: number;
  /** The grid as a human reads it. */
  readonly label: string;
  /** Plain-JS loop writing the same outputs (in the registry's order) in TIME_MAJOR layout. */
  readonly plain: (inp: PlainInputs, outs: readonly Float32Array[]) => void;
}

export interface BenchCase extends BenchCaseSpec {
  /** The registry's outputs, primary first: what gridta computes by default and the plain loop writes. */
  readonly outputs: readonly string[];
  readonly axes: readonly Axis[];
  /** Numeric params of variant v (the source axis, always close here, left out). */
  params(v: number): Readonly<Record<string, number>>;
  /** The largest window-like parameter of the grid: the agreement check settles over 10× this. */
  readonly largestWindow: number;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const r = (start: number, stopIncl: number) => ({ mode: 'range' as const, start, stopIncl, step: 1 });

const W5_200 = range(5, 200),
  W2_50 = range(2, 50),
  W5_50 = range(5, 50),
  W10_50 = range(10, 50),
  W10_100 = range(10, 100);
const MULTS = [1.5, 2, 2.5];
const FAST = range(8, 16),
  SLOW = range(20, 30),
  SIGNAL = [9],
  SMOOTHING = [14];

/** The cases, in the order the report prints them. */
export const CASE_TABLE: readonly BenchCaseSpec[] = [
  {
    id: 'ma.ema',
    label: 'window 5..200',
    variants: 196,
    grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: r(5, 200) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainEma(i.close, W5_200, o[0]!),
  },
  {
    id: 'ma.sma',
    label: 'window 5..200',
    variants: 196,
    grid: { indicatorId: 'ma.sma', source: ['close'], params: { window: r(5, 200) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainSma(i.close, W5_200, o[0]!),
  },
  {
    id: 'momentum.rsi',
    label: 'window 2..50',
    variants: 49,
    grid: { indicatorId: 'momentum.rsi', source: ['close'], params: { window: r(2, 50) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainRsi(i.close, W2_50, o[0]!),
  },
  {
    id: 'volatility.atr',
    label: 'window 5..50',
    variants: 46,
    grid: { indicatorId: 'volatility.atr', params: { window: r(5, 50) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainAtr(i, W5_50, o[0]!),
  },
  {
    id: 'volatility.bbands',
    label: 'window 10..50 × mult {1.5, 2, 2.5}',
    variants: 123,
    grid: { indicatorId: 'volatility.bbands', source: ['close'], params: { window: r(10, 50), mult: MULTS }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainBbands(i.close, MULTS, W10_50, o),
  },
  {
    id: 'momentum.macd',
    label: 'fast 8..16 × slow 20..30 × signal 9',
    variants: 99,
    grid: {
      indicatorId: 'momentum.macd',
      source: ['close'],
      params: { fast_window: r(8, 16), slow_window: r(20, 30), signal_window: SIGNAL },
      layout: 'TIME_MAJOR',
    },
    plain: (i, o) => plainMacd(i.close, FAST, SIGNAL, SLOW, o),
  },
  {
    id: 'trend.adx',
    label: 'window 5..50 × smoothing 14',
    variants: 46,
    grid: { indicatorId: 'trend.adx', params: { window: r(5, 50), smoothing: SMOOTHING }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainAdx(i, W5_50, SMOOTHING, o),
  },
  {
    id: 'volume.mfi',
    label: 'window 5..50',
    variants: 46,
    grid: { indicatorId: 'volume.mfi', params: { window: r(5, 50) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainMfi(i, W5_50, o[0]!),
  },
  {
    id: 'structure.zscore',
    label: 'window 10..100',
    variants: 91,
    grid: { indicatorId: 'structure.zscore', source: ['close'], params: { window: r(10, 100) }, layout: 'TIME_MAJOR' },
    plain: (i, o) => plainZscore(i.close, W10_100, o[0]!),
  },
];

export const CASE_IDS: readonly string[] = CASE_TABLE.map((c) => c.id);

function build(spec: BenchCaseSpec): BenchCase {
  const grid = materializeGrid(spec.grid);
  const V = Number(grid.variants);
  if (V !== spec.variants) throw new Error(`bench case ${spec.id}: the grid has ${V} variants, the table says ${spec.variants}`);
  const numeric = grid.axes.filter((a) => a.kind !== 'source');
  let largestWindow = 1;
  for (const a of numeric) {
    if (/window|smoothing/.test(a.name)) for (const x of a.values as number[]) largestWindow = Math.max(largestWindow, x);
  }
  return {
    ...spec,
    outputs: grid.def.outputs,
    axes: grid.axes,
    largestWindow,
    params: (v) => {
      const all = variantValues(grid.axes, v);
      const out: Record<string, number> = {};
      for (const a of numeric) out[a.name] = all[a.name] as number;
      return out;
    },
  };
}

export interface Skipped {
  id: string;
  reason: string;
}

/**
 * The cases to run (`select` keeps the table's order; unknown names are reported as skipped) and
 * the skipped ones: an id missing from the registry or whose definition has no kernel yet.
 */
export function benchCases(select?: readonly string[]): { runnable: BenchCase[]; skipped: Skipped[] } {
  const chosen = select?.length ? CASE_TABLE.filter((c) => select.includes(c.id)) : CASE_TABLE;
  const runnable: BenchCase[] = [];
  const skipped: Skipped[] = [];
  for (const name of select ?? [])
    if (!CASE_IDS.includes(name)) skipped.push({ id: name, reason: `not a benchmark case (cases: ${CASE_IDS.join(', ')})` });
  for (const c of chosen) {
    if (!registry.has(c.id)) skipped.push({ id: c.id, reason: 'unknown id' });
    else if (!registry.get(c.id).kernel) skipped.push({ id: c.id, reason: 'no kernel yet' });
    else runnable.push(build(c));
  }
  return { runnable, skipped };
}

/** A case of the table by id whether or not its kernel exists (tests of the plain loops). */
export function caseById(id: string): BenchCase {
  const spec = CASE_TABLE.find((c) => c.id === id);
  if (!spec) throw new Error(`no bench case ${id}`);
  return build(spec);
}
