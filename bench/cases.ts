/**
 * Benchmark cases (bench.md §1), generated from the registry: a case whose indicator has no kernel
 * yet is reported as skipped. Plain-JS baselines exist for the cases that have one in bench/plain.ts.
 */
import type { GridSpec } from '../src/grid/types.js';
import { registry } from '../src/registry/index.js';
import { plainEma, plainSma } from './plain.js';

export interface BenchCase {
  id: string;
  grid: GridSpec;
  variants: number;
  /** Plain-JS loop writing the same TIME_MAJOR output, when one exists. */
  plain?: (close: Float32Array, out: Float32Array) => void;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);
const W5_200 = range(5, 200);

const TABLE: readonly BenchCase[] = [
  { id: 'ma.ema', grid: { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } } }, variants: 196, plain: (c, o) => plainEma(c, W5_200, o) },
  { id: 'ma.sma', grid: { indicatorId: 'ma.sma', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } } }, variants: 196, plain: (c, o) => plainSma(c, W5_200, o) },
  { id: 'momentum.rsi', grid: { indicatorId: 'momentum.rsi', source: ['close'], params: { window: { mode: 'range', start: 2, stopIncl: 50, step: 1 } } }, variants: 49 },
  { id: 'volatility.atr', grid: { indicatorId: 'volatility.atr', params: { window: { mode: 'range', start: 5, stopIncl: 50, step: 1 } } }, variants: 46 },
  { id: 'volatility.bbands', grid: { indicatorId: 'volatility.bbands', source: ['close'], params: { window: { mode: 'range', start: 10, stopIncl: 50, step: 1 }, mult: [1.5, 2, 2.5] } }, variants: 123 },
  { id: 'momentum.macd', grid: { indicatorId: 'momentum.macd', source: ['close'], params: { fast_window: { mode: 'range', start: 8, stopIncl: 16, step: 1 }, slow_window: { mode: 'range', start: 20, stopIncl: 30, step: 1 }, signal_window: [9] } }, variants: 99 },
  { id: 'trend.adx', grid: { indicatorId: 'trend.adx', params: { window: { mode: 'range', start: 5, stopIncl: 50, step: 1 }, smoothing: [14] } }, variants: 46 },
  { id: 'volume.mfi', grid: { indicatorId: 'volume.mfi', params: { window: { mode: 'range', start: 5, stopIncl: 50, step: 1 } } }, variants: 46 },
  { id: 'structure.zscore', grid: { indicatorId: 'structure.zscore', source: ['close'], params: { window: { mode: 'range', start: 10, stopIncl: 100, step: 1 } } }, variants: 91 },
];

export function benchCases(select?: readonly string[]): { runnable: BenchCase[]; skipped: { id: string; reason: string }[] } {
  const chosen = select?.length ? TABLE.filter((c) => select.includes(c.id)) : TABLE;
  const runnable: BenchCase[] = [];
  const skipped: { id: string; reason: string }[] = [];
  for (const c of chosen) {
    if (!registry.has(c.id)) skipped.push({ id: c.id, reason: 'unknown id' });
    else if (!registry.get(c.id).kernel) skipped.push({ id: c.id, reason: 'no kernel yet' });
    else runnable.push(c);
  }
  return { runnable, skipped };
}
