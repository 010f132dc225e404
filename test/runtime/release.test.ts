/**
 * tensor.release(): the data accessors of a released tensor throw TensorReleasedError, and its
 * memory serves a later compute without `out` (same bits as a fresh memory), on one thread and on
 * the pool; without release every compute gets a memory of its own, as before.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { TensorReleasedError } from '../../src/errors.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { thrown } from '../helpers/errors.js';
import { randomWalk } from '../helpers/series.js';

const opened: Engine[] = [];
const engine = (opts: Parameters<typeof createEngine>[0]): Engine => {
  const e = createEngine({ env: 'test', onWarning: () => undefined, ...opts });
  opened.push(e);
  return e;
};
afterAll(async () => {
  for (const e of opened) await e.close();
});

function candles(t: number, seed: number, id: string) {
  const w = randomWalk(t, seed);
  return createCandles({
    instrumentId: id,
    timeframe: '1m',
    tsOpen: Array.from({ length: t }, (_, i) => 1_700_000_040_000 + i * 60_000),
    open: w.open,
    high: w.high,
    low: w.low,
    close: w.close,
    volume: w.volume,
  });
}

const EMA = { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range' as const, start: 5, stopIncl: 60, step: 1 } } };
const RSI = { indicatorId: 'momentum.rsi', source: ['close', 'hlc3'], params: { window: [2, 7, 14, 30] } };
const bytes = (a: Float32Array): Buffer => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

describe('tensor.release()', () => {
  it('makes every data accessor throw TensorReleasedError; shape, meta and keys stay; idempotent', async () => {
    const e = engine({ engine: 'wasm-simd', threads: 1 });
    const t = await e.compute({ candles: candles(2000, 1, 'A'), grid: EMA });
    const key = t.variantKey(3);
    expect(t.released).toBe(false);
    t.release();
    t.release();
    expect(t.released).toBe(true);
    for (const [method, f] of [
      ['values', () => t.values],
      ['outputs["value"].values', () => t.outputs[0]!.values],
      ['output', () => t.output('value')],
      ['get', () => t.get(0, 0)],
      ['series', () => t.series(0)],
      ['toArrowIPC', () => t.toArrowIPC()],
    ] as const) {
      const err = thrown(f, TensorReleasedError);
      expect(err, method).toBeInstanceOf(TensorReleasedError);
      expect(err.toJSON(), method).toMatchObject({ code: 'tensor_released', details: { indicatorId: 'ma.ema', method } });
    }
    expect(t.shape).toEqual([2000, 56]);
    expect(t.variantKey(3)).toBe(key);
    // a released tensor cannot be a compute's `out`
    await expect(e.compute({ candles: candles(2000, 1, 'A'), grid: EMA, out: t })).rejects.toBeInstanceOf(TensorReleasedError);
  });

  for (const threads of [1, 2]) {
    it(`threads ${threads}: a compute without out after a release reuses its memory, with the bits of a fresh memory`, async () => {
      const e = engine({ engine: 'wasm-simd', threads });
      const fresh = engine({ engine: 'wasm-simd', threads: 1 });
      // big enough for the pool at threads 2 (2^20 output values)
      const t = 40_000;
      const a = await e.compute({ candles: candles(t, 2, 'A'), grid: EMA });
      const buffer = a.values.buffer;
      expect(a.meta.threads).toBe(threads);
      a.release();
      // another instrument, another grid (fewer bytes): the released memory serves it
      const b = await e.compute({ candles: candles(t, 3, 'B'), grid: RSI });
      expect(b.values.buffer, 'the released memory').toBe(buffer);
      const want = await fresh.compute({ candles: candles(t, 3, 'B'), grid: RSI });
      expect(bytes(b.values).equals(bytes(want.values))).toBe(true);
      // released by the block's end (Symbol.dispose), then taken again
      {
        using c = await e.compute({ candles: candles(t, 4, 'C'), grid: EMA });
        expect(c.values.buffer).not.toBe(buffer);
        b.release();
      }
      const d = await e.compute({ candles: candles(t, 5, 'D'), grid: EMA });
      const wantD = await fresh.compute({ candles: candles(t, 5, 'D'), grid: EMA });
      expect(bytes(d.values).equals(bytes(wantD.values))).toBe(true);
    });
  }

  it('without release every compute has a memory of its own; a released memory too small for a compute is left alone', async () => {
    const e = engine({ engine: 'wasm-simd', threads: 1 });
    const a = await e.compute({ candles: candles(3000, 6, 'A'), grid: EMA });
    const b = await e.compute({ candles: candles(3000, 7, 'B'), grid: EMA });
    expect(b.values.buffer).not.toBe(a.values.buffer);
    // still readable: nothing was released
    expect(a.get(2999, 0)).toBe(a.values[2999 * 56]!);
    const small = await e.compute({ candles: candles(500, 8, 'S'), grid: RSI });
    const smallBuffer = small.values.buffer;
    small.release();
    const big = await e.compute({ candles: candles(30_000, 9, 'G'), grid: EMA });
    expect(big.values.buffer).not.toBe(smallBuffer);
  });

  it('on the reference engine: the accessors throw after release, nothing else changes', async () => {
    const e = engine({ engine: 'reference', threads: 1 });
    const t = await e.compute({ candles: candles(300, 10, 'R'), grid: RSI });
    const v = t.get(299, 1);
    t.release();
    expect(thrown(() => t.get(299, 1))).toBeInstanceOf(TensorReleasedError);
    const again = await e.compute({ candles: candles(300, 10, 'R'), grid: RSI });
    expect(again.get(299, 1)).toBe(v);
  });
});
