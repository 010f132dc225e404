/**
 * Outputs past 2 GiB and 3 GiB of one WebAssembly memory equal the reference at chosen variants and
 * bars, on both layouts, in-process (threads 1) and on the pool (threads 2). Byte offsets of 2^31 and
 * more must never go through signed 32-bit arithmetic; a compute above 2 GiB once returned NaN or
 * zeros without an error. Each compute is checked at its first, middle and last variants and bars
 * first, warm-up end, middle and last two, plus the variant (VARIANT_MAJOR) or bar (TIME_MAJOR)
 * holding the 2 GiB and 3 GiB bytes, against the plain-TypeScript reference run for those variants
 * only. Sized for a 2-core CI machine: at most one memory of ~3 GiB lives at a time (each tensor is
 * dropped before the next compute; gridta collects dead memories), one engine per thread count.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { buildSourceSeries, createCandles, type Candles } from '../../src/candles/index.js';
import type { GridSpec, Layout } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { randomWalk } from '../helpers/series.js';

const GiB = 2 ** 30;
/** Bars of every compute here: 2^21, so ema 256 windows is exactly 2 GiB. */
const T = 2 ** 21;

const walk = randomWalk(T, 13, 'large');
const candles: Candles = createCandles({
  instrumentId: 'test:LARGE',
  timeframe: '1m',
  tsOpen: new Float64Array(T).map((_, i) => i * 60_000),
  open: walk.open,
  high: walk.high,
  low: walk.low,
  close: walk.close,
  volume: walk.volume,
});

const engines = new Map<number, Engine>();
function engine(threads: number): Engine {
  let e = engines.get(threads);
  if (!e) {
    e = createEngine({ env: 'test', threads, onWarning: () => undefined });
    engines.set(threads, e);
  }
  return e;
}
afterAll(async () => {
  for (const e of engines.values()) await e.close();
});

const words = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);
const windows = (start: number, count: number) => ({ mode: 'range' as const, start, stopIncl: start + count - 1, step: 1 });

/**
 * Computes `grid` and compares every output with the reference at the first, middle and last
 * variants and bars 0, the warm-up end, T / 2 and the last two, plus, for each boundary of 2 GiB and
 * 3 GiB inside the first output, the variant (VARIANT_MAJOR) or bar (TIME_MAJOR) holding that byte.
 * The other outputs lie above the first, so their checked values sit past the boundaries too.
 */
async function check(
  grid: GridSpec,
  layout: Layout,
  threads: number,
): Promise<{ compared: number; bytes: number; ms: number; batches: number; batchVariants: number }> {
  const def = registry.get(grid.indicatorId);
  const t0 = performance.now();
  let tensor: Awaited<ReturnType<Engine['compute']>> | undefined = await engine(threads).compute({ candles, grid, layout });
  const ms = performance.now() - t0;
  const V = tensor.meta.variants;
  const K = tensor.outputs.length;
  expect(tensor.meta.threads).toBe(threads);
  const tm = layout === 'TIME_MAJOR';
  const boundaries = [2 * GiB, 3 * GiB].filter((b) => b < T * V * 4);
  const src = buildSourceSeries(candles, 'close');
  const inputs = { t: T, src, open: candles.open, high: candles.high, low: candles.low, close: candles.close, volume: candles.volume };
  const variants = new Set([0, V >> 1, V - 1, ...(tm ? [] : boundaries.map((b) => Math.floor(b / (T * 4))))]);
  let compared = 0;
  for (const v of variants) {
    const params = tensor.variantValues(v) as Record<string, number>;
    const ref = def.kernel!.reference(inputs, params);
    // the reference's last bar is a number here (the series has no holes), so a NaN there is caught
    expect(Number.isFinite(ref[tensor.outputs[0]!.name]![T - 1]!)).toBe(true);
    const firstValid = Math.max(...Object.values(ref).map((col) => col.findIndex((x) => !Number.isNaN(x))));
    const bars = new Set([
      0,
      Math.max(0, firstValid - 1),
      Math.max(0, firstValid),
      T >> 1,
      T - 2,
      T - 1,
      ...(tm ? boundaries.map((b) => Math.floor(b / (V * 4))) : []),
    ]);
    for (const o of tensor.outputs) {
      const got = words(o.values);
      const want = words(ref[o.name]!);
      for (const t of bars) {
        const at = tm ? t * V + v : v * T + t;
        expect({ output: o.name, variant: v, bar: t, bits: got[at] }).toEqual({ output: o.name, variant: v, bar: t, bits: want[t] });
        compared++;
      }
    }
  }
  const bytes = T * V * K * 4;
  const { batches, batchVariants } = tensor.meta;
  tensor = undefined;
  return { compared, bytes, ms, batches, batchVariants };
}

describe('outputs past 2 GiB and 3 GiB equal the reference', () => {
  const cases: { layout: Layout; threads: number }[] = [
    { layout: 'TIME_MAJOR', threads: 1 },
    { layout: 'VARIANT_MAJOR', threads: 1 },
    { layout: 'TIME_MAJOR', threads: 2 },
    { layout: 'VARIANT_MAJOR', threads: 2 },
  ];
  for (const { layout, threads } of cases) {
    it(`ma.sma 386 windows (3.02 GiB), ${layout}, threads ${threads}`, async () => {
      const grid: GridSpec = { indicatorId: 'ma.sma', source: ['close'], params: { window: windows(5, 386) } };
      const r = await check(grid, layout, threads);
      expect(r.bytes).toBeGreaterThan(3 * GiB);
      expect(r.compared).toBeGreaterThanOrEqual(3 * 8);
      console.log(`ma.sma ${(r.bytes / GiB).toFixed(2)} GiB ${layout} threads ${threads}: compute ${r.ms.toFixed(0)} ms`);
    }, 120_000);
  }

  it('ma.ema 256 windows (exactly 2 GiB: series, work regions and time-piece checkpoints past 2 GiB), TIME_MAJOR, threads 2', async () => {
    const grid: GridSpec = { indicatorId: 'ma.ema', source: ['close'], params: { window: windows(2, 256) } };
    const r = await check(grid, 'TIME_MAJOR', 2);
    expect(r.bytes).toBe(2 * GiB);
    // two time pieces of every variant: the checkpoints are used
    expect([r.batches, r.batchVariants]).toEqual([2, 256]);
  }, 120_000);

  it('momentum.macd 3 outputs × 90 variants (2.11 GiB), VARIANT_MAJOR, threads 1', async () => {
    const grid: GridSpec = {
      indicatorId: 'momentum.macd',
      source: ['close'],
      params: { fast_window: windows(3, 9), slow_window: windows(20, 10), signal_window: { mode: 'explicit', values: [9] } },
    };
    const r = await check(grid, 'VARIANT_MAJOR', 1);
    expect(r.bytes).toBeGreaterThan(2 * GiB);
  }, 120_000);
});
