/** Dead tensors' WebAssembly memories are reclaimed: computing grid after grid without `out` stays bounded. */
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { createEngine } from '../../src/runtime/engine.js';

describe('memory of dead tensors', () => {
  it('is reclaimed: twelve 200 MB computes grow the resident set by far less than 2.4 GB', async () => {
    const t = 500_000;
    const close = new Float32Array(t).map((_, i) => 100 + Math.sin(i / 50));
    const candles = createCandles({
      instrumentId: 'test:MEM',
      timeframe: '1m',
      tsOpen: new Float64Array(t).map((_, i) => i * 60_000),
      close,
    });
    const engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
    const grid = {
      indicatorId: 'ma.ema',
      source: ['close'],
      params: { window: { mode: 'range' as const, start: 2, stopIncl: 101, step: 1 } },
    };
    await engine.compute({ candles, grid });
    const before = process.memoryUsage().rss;
    let last = 0;
    for (let k = 0; k < 12; k++) last = (await engine.compute({ candles, grid })).values[t * 100 - 1]!;
    const grown = process.memoryUsage().rss - before;
    expect(Number.isFinite(last)).toBe(true);
    expect(grown, `resident set grew by ${(grown / 1e6).toFixed(0)} MB over 12 computes of 200 MB`).toBeLessThan(1.5e9);
  }, 60_000);
});
