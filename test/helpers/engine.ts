/** Engine fixtures for tests: in-process engines for each kind, candles from the oracle series. */
import { afterAll, beforeAll } from 'vitest';
import { createCandles, type Candles } from '../../src/candles/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import type { TestSeries } from './series.js';

const engines = new Map<string, Engine>();

/** One cached in-process engine per kind (threads = 1), on the test environment's config. */
export function engineOf(engine: 'wasm-simd' | 'wasm-scalar' | 'reference'): Engine {
  let e = engines.get(engine);
  if (!e) {
    e = createEngine({ env: 'test', engine, threads: 1, onWarning: () => undefined });
    engines.set(engine, e);
  }
  return e;
}

/**
 * For one test file: an in-process engine per kind (threads 1), each warmed up before the file's
 * tests (so a warmup failure shows there) and closed after them.
 */
export function warmEngines(kinds: readonly ('wasm-simd' | 'wasm-scalar' | 'reference')[]): ReadonlyMap<string, Engine> {
  const engines = new Map<string, Engine>();
  beforeAll(async () => {
    for (const k of kinds) {
      const e = createEngine({ env: 'test', engine: k, threads: 1, onWarning: () => undefined });
      await e.warmup();
      engines.set(k, e);
    }
  }, 120_000);
  afterAll(async () => {
    for (const e of engines.values()) await e.close();
  });
  return engines;
}

/**
 * For one test file: a factory of wasm-simd engines on the test environment's config (the options
 * override), every engine it made closed after the file's tests.
 */
export function closingEngines(): (opts?: Parameters<typeof createEngine>[0]) => Engine {
  const opened: Engine[] = [];
  afterAll(async () => {
    await Promise.all(opened.map((e) => e.close()));
  });
  return (opts = {}) => {
    const e = createEngine({ env: 'test', engine: 'wasm-simd', onWarning: () => undefined, ...opts });
    opened.push(e);
    return e;
  };
}

export function candlesOf(s: TestSeries, instrumentId = 'test:SERIES'): Candles {
  const tsOpen = Array.from({ length: s.t }, (_, i) => 1_700_000_000_000 + i * 60_000);
  return createCandles({ instrumentId, timeframe: '1m', tsOpen, open: s.open, high: s.high, low: s.low, close: s.close, volume: s.volume });
}

/** Candles from plain close (and optional high/low) arrays, 1m bars from t = 0. */
export function simpleCandles(
  close: number[],
  extra: { high?: number[]; low?: number[]; open?: number[]; volume?: number[] } = {},
): Candles {
  return createCandles({ instrumentId: 'test:HAND', timeframe: '1m', tsOpen: close.map((_, i) => i * 60_000), close, ...extra });
}

/** Bits of a Float32Array, for Object.is-level comparison with NaN positions. */
export const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** Index of the first element whose bits differ (NaN payloads included), or -1; fast on millions of values. */
export function firstBitDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return 0;
  const x = bits(a),
    y = bits(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}
