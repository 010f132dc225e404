/**
 * The exercise phase of warmup: every kernel run on deterministic synthetic candles
 * so V8 tiers the hot loops up before real work arrives. Pool workers import this file on their own,
 * so it stays free of the cache and the pool.
 */
import { createCandles, type Candles } from '../candles/index.js';
import type { Axis } from '../grid/types.js';
import { registry } from '../registry/index.js';
import type { IndicatorDef } from '../registry/types.js';
import { runReference, runWasm, type EngineKind } from '../compute/run.js';

/** The exercise candles, deterministic: T = 2048, close rising 1 → 2, open = close − 0.15, high/low = close ± 1.2, volume 10 → 20, every 97th bar a hole. */
export function exerciseCandles(): Candles {
  const T = 2048;
  const ts: number[] = [],
    open: number[] = [],
    high: number[] = [],
    low: number[] = [],
    close: number[] = [],
    volume: number[] = [];
  for (let i = 0; i < T; i++) {
    const c = 1 + i / (T - 1);
    const hole = i % 97 === 96;
    ts.push(i * 60_000);
    close.push(hole ? NaN : c);
    open.push(hole ? NaN : c - 0.15);
    high.push(hole ? NaN : c + 1.2);
    low.push(hole ? NaN : c - 1.2);
    volume.push(hole ? NaN : 10 + (10 * i) / (T - 1));
  }
  return createCandles({ instrumentId: 'gridta:warmup', timeframe: '1m', tsOpen: ts, open, high, low, close, volume });
}

/** At most 5 variants around the param defaults on the hard step grid, source close. */
export function exerciseAxes(def: IndicatorDef): Axis[] {
  let budget = 5;
  return def.axes.map((name): Axis => {
    if (name === 'source') return { name, kind: 'source', values: ['close'] };
    const p = def.params.find((x) => x.name === name)!;
    const d = p.default as number;
    const values =
      budget >= 5 ? [d, d + p.step! < p.max! ? Number((d + p.step!).toFixed(6)) : d].filter((v, i, a) => a.indexOf(v) === i) : [d];
    budget = Math.floor(budget / values.length);
    return { name, kind: p.kind as 'int' | 'float', values };
  });
}

/** Runs every kernel of the registry three times on the exercise candles; returns the ids exercised. */
export async function exerciseKernels(engine: EngineKind, module: WebAssembly.Module | null): Promise<string[]> {
  const candles = exerciseCandles();
  const ids: string[] = [];
  for (const def of registry.list()) {
    if (!def.kernel) continue;
    const axes = exerciseAxes(def);
    const variants = axes.reduce((a, x) => a * x.values.length, 1);
    for (let r = 0; r < 3; r++) {
      const req = { def, axes, variants, layout: 'TIME_MAJOR' as const, outputs: def.outputs, candles };
      const res = engine === 'reference' ? await runReference(req) : await runWasm(module!, req);
      if (res.arrays.length !== def.outputs.length || res.arrays[0]!.length !== candles.t * variants) {
        throw new Error(`warmup: ${def.id} produced the wrong shape`);
      }
    }
    ids.push(def.id);
  }
  return ids.sort();
}
