/**
 * Oracle series for the volume and structure groups: long zero-volume runs (longer than the largest
 * window, so every rolling volume sum must reset to exactly 0) and runs of flat bars (zero range),
 * with fractional volumes that leave rounding residue in the running sums, signed zeros, NaN holes
 * inside the runs and a series longer than the 4096-slot shared rings of the kernels.
 */
import { prng, type TestSeries } from './series.js';

/** Bars where the runs start (ascending, for tests that look inside them). */
export const ZERO_VOLUME_RUN = { from: 1200, to: 3700 } as const; // 2500 bars > the 2000-bar window bound
export const FLAT_START = { from: 0, to: 40 } as const; // flat from the first bar: ATR is exactly 0
export const FLAT_RUN = { from: 4300, to: 4500 } as const; // flat bars with volume (zero range, AD breaks)

export function zeroVolumeRuns(t = 6000, seed = 29): TestSeries {
  const rnd = prng(seed);
  const s: TestSeries = {
    name: 'long zero-volume runs and flat runs',
    t,
    open: new Float32Array(t),
    high: new Float32Array(t),
    low: new Float32Array(t),
    close: new Float32Array(t),
    volume: new Float32Array(t),
  };
  let p = 40;
  for (let i = 0; i < t; i++) {
    const o = p;
    p = Math.max(1, p + (rnd() - 0.5) * 1.5);
    s.open[i] = o;
    s.close[i] = p;
    s.high[i] = Math.max(o, p) + rnd() * 0.7;
    s.low[i] = Math.min(o, p) - rnd() * 0.7;
    s.volume[i] = rnd() * 3000 + 0.1; // fractional: sums keep residue unless reset
  }
  // flat from the first bar, no volume: TR = 0 so ATR32 == 0 (guarded), zero range, zero volume
  for (let i = FLAT_START.from; i < FLAT_START.to; i++) {
    s.open[i] = s.high[i] = s.low[i] = s.close[i] = 10;
    s.volume[i] = 0;
  }
  // a long run of zero volume with moving prices, signed zero volumes and one missing bar inside
  for (let i = ZERO_VOLUME_RUN.from; i < ZERO_VOLUME_RUN.to; i++) s.volume[i] = i % 7 === 0 ? -0 : 0;
  for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][1300] = NaN;
  // flat bars that keep trading: zero range, ties of TP (no money flow), constant close
  for (let i = FLAT_RUN.from; i < FLAT_RUN.to; i++) {
    s.open[i] = s.high[i] = s.low[i] = s.close[i] = 37.25;
  }
  // flat bars at price zero with signed zeros, then every other bar without volume
  for (let i = 4600; i < 4700; i++) {
    s.open[i] = i % 2 ? -0 : 0;
    s.high[i] = 0;
    s.low[i] = i % 3 ? 0 : -0;
    s.close[i] = i % 5 ? -0 : 0;
    s.volume[i] = i % 2 ? 0 : 5;
  }
  for (let i = 5000; i < 5400; i += 2) s.volume[i] = 0;
  return s;
}
