/** Bad input through the public engine: each a typed error naming the field and the value. */
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import {
  CandlesValidationError,
  ComputeBudgetExceeded,
  GridValidationError,
  MissingInputSeriesError,
  UnknownIndicatorError,
  VariantsGuardExceeded,
} from '../../src/errors.js';
import { createEngine } from '../../src/runtime/engine.js';
import { engineOf, simpleCandles } from '../helpers/engine.js';
import { rejection } from '../helpers/errors.js';

const candles = simpleCandles([1, 2, 3, 4, 5, 6, 7, 8], { high: [2, 3, 4, 5, 6, 7, 8, 9], low: [0, 1, 2, 3, 4, 5, 6, 7] });
const engine = () => engineOf('wasm-simd');

describe('compute rejects bad grids with typed errors', () => {
  it('rejects an unknown id and suggests the closest ids (distance, then id)', async () => {
    const e = await rejection(engine().compute({ candles, grid: { indicatorId: 'ma.emma', source: 'close', params: { window: 3 } } }));
    expect(e).toBeInstanceOf(UnknownIndicatorError);
    expect(e.details).toEqual({ indicatorId: 'ma.emma', suggestions: ['ma.ema', 'ma.dema', 'ma.hma'] });
  });

  it('rejects a window below 2', async () => {
    const e = await rejection(engine().compute({ candles, grid: { indicatorId: 'ma.sma', source: 'close', params: { window: [5, 1] } } }));
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ field: 'params.window.values[1]', reason: 'below_min', value: 1 });
    expect(e.message).toContain('params.window.values[1]');
  });

  it('rejects a window above 2000', async () => {
    const e = await rejection(engine().compute({ candles, grid: { indicatorId: 'ma.ema', source: 'close', params: { window: 2001 } } }));
    expect(e.details).toMatchObject({ reason: 'above_max', value: 2001 });
  });

  it('rejects a range step that is not a multiple of the hard step', async () => {
    const e = await rejection(
      engine().compute({
        candles,
        grid: {
          indicatorId: 'volatility.bbands',
          source: 'close',
          params: { window: 3, mult: { mode: 'range', start: 1, stopIncl: 2, step: 0.015 } },
        },
      }),
    );
    expect(e.details).toMatchObject({ field: 'params.mult.step', reason: 'step_not_multiple', value: 0.015 });
  });

  it('rejects NaN and Infinity in a range', async () => {
    const a = await rejection(
      engine().compute({
        candles,
        grid: { indicatorId: 'ma.sma', source: 'close', params: { window: { mode: 'range', start: NaN, stopIncl: 10, step: 1 } } },
      }),
    );
    expect(a.details).toMatchObject({ field: 'params.window.start', reason: 'non_finite' });
    const b = await rejection(
      engine().compute({
        candles,
        grid: { indicatorId: 'ma.sma', source: 'close', params: { window: { mode: 'range', start: 2, stopIncl: Infinity, step: 1 } } },
      }),
    );
    expect(b.details).toMatchObject({ field: 'params.window.stopIncl', reason: 'non_finite' });
  });

  it('rejects duplicate explicit values', async () => {
    const e = await rejection(
      engine().compute({ candles, grid: { indicatorId: 'ma.sma', source: 'close', params: { window: [10, 20, 10] } } }),
    );
    expect(e.details).toMatchObject({ field: 'params.window.values[2]', reason: 'duplicate_value', value: 10 });
  });

  it('rejects an unknown axis and lists the allowed ones', async () => {
    const e = await rejection(
      engine().compute({ candles, grid: { indicatorId: 'ma.sma', source: 'close', params: { window: 3, windw: 4 } } }),
    );
    expect(e.details).toMatchObject({ field: 'params', reason: 'unknown_axis', value: ['windw'], expected: ['window'] });
  });

  it('rejects a grid without the source axis the indicator needs', async () => {
    const e = await rejection(engine().compute({ candles, grid: { indicatorId: 'ma.sma', params: { window: 3 } } }));
    expect(e.details).toMatchObject({ field: 'source', reason: 'source_required' });
  });

  it('rejects candles without a series the grid needs, naming it', async () => {
    const closeOnly = simpleCandles([1, 2, 3, 4]);
    const e = await rejection(engine().compute({ candles: closeOnly, grid: { indicatorId: 'volatility.atr', params: { window: 3 } } }));
    expect(e).toBeInstanceOf(MissingInputSeriesError);
    expect(e.details).toEqual({
      indicatorId: 'volatility.atr',
      missing: ['high', 'low'],
      required: ['close', 'high', 'low'],
      available: ['close'],
    });
  });

  it('needs only the sources the grid selects', async () => {
    const closeOnly = simpleCandles([1, 2, 3, 4]);
    const t = await engine().compute({ candles: closeOnly, grid: { indicatorId: 'ma.sma', source: ['close'], params: { window: 2 } } });
    expect(Array.from(t.values)).toEqual([NaN, 1.5, 2.5, 3.5]);
    const e = await rejection(
      engine().compute({ candles: closeOnly, grid: { indicatorId: 'ma.sma', source: ['hlc3'], params: { window: 2 } } }),
    );
    expect(e.details).toMatchObject({ missing: ['high', 'low'] });
  });

  it('rejects a grid over the variants guard', async () => {
    const small = createEngine({ env: 'test', threads: 1, maxVariantsPerCompute: 10, onWarning: () => undefined });
    const e = await rejection(
      small.compute({
        candles,
        grid: { indicatorId: 'ma.sma', source: 'close', params: { window: { mode: 'range', start: 2, stopIncl: 20, step: 1 } } },
      }),
    );
    expect(e).toBeInstanceOf(VariantsGuardExceeded);
    expect(e.details).toEqual({ scope: 'compute', variants: 19, maxVariants: 10, limitSource: 'config' });
  });

  it('rejects a grid over the memory budget before allocating its outputs', async () => {
    const t = 1_000_000;
    const big = createCandles({
      instrumentId: 'test:BIG',
      timeframe: '1m',
      tsOpen: new Float64Array(t).map((_, i) => i * 60_000),
      close: new Float32Array(t),
    });
    const tight = createEngine({ env: 'test', threads: 1, maxComputeBytesTotal: 200_000_000, onWarning: () => undefined });
    const before = process.memoryUsage().arrayBuffers;
    const e = await rejection(
      tight.compute({
        candles: big,
        grid: { indicatorId: 'ma.ema', source: 'close', params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } } },
      }),
    );
    const grown = process.memoryUsage().arrayBuffers - before;
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect(e.details).toMatchObject({
      scope: 'compute',
      limit: 'bytes',
      t,
      variants: 196,
      outputs: 1,
      bytesOut: 784_000_000,
      maxComputeBytesTotal: 200_000_000,
    });
    expect(grown, `array buffers grew by ${grown} bytes`).toBeLessThan(50_000_000);
  });
});

describe('candles reject bad input with typed errors', () => {
  const base = { instrumentId: 'x', timeframe: '1m', tsOpen: [0, 60_000, 120_000] };

  it('rejects series of unequal length', () => {
    expect(() => createCandles({ ...base, close: [1, 2] })).toThrow(CandlesValidationError);
    try {
      createCandles({ ...base, close: [1, 2] });
    } catch (e) {
      expect((e as CandlesValidationError).details).toMatchObject({ field: 'close', reason: 'length_mismatch' });
    }
  });

  it('rejects timestamps that go backwards', () => {
    try {
      createCandles({ ...base, tsOpen: [0, 120_000, 60_000], close: [1, 2, 3] });
      expect.unreachable();
    } catch (e) {
      expect((e as CandlesValidationError).details).toMatchObject({ field: 'tsOpen', reason: 'not_dense', index: 1 });
    }
  });

  it('rejects timestamps off the timeframe grid', () => {
    try {
      createCandles({ ...base, tsOpen: [0, 60_000, 150_000], close: [1, 2, 3] });
      expect.unreachable();
    } catch (e) {
      expect((e as CandlesValidationError).details).toMatchObject({ field: 'tsOpen', reason: 'not_dense', index: 2 });
    }
  });

  it('rejects Infinity in prices', () => {
    try {
      createCandles({ ...base, close: [1, Infinity, 3] });
      expect.unreachable();
    } catch (e) {
      expect((e as CandlesValidationError).details).toMatchObject({ field: 'close', reason: 'non_finite', index: 1 });
    }
  });
});

describe('a derived source that overflows float32', () => {
  // Found by the fuzz suite: both candles finite, (high + low) past float32's range; wasm-simd used to
  // write a NaN with the sign bit set where the reference and scalar builds wrote the canonical NaN.
  const huge = simpleCandles([1, 2, 3], { high: [3.3e38, 3.3e38, 3.3e38], low: [3.2e38, 3.2e38, 3.2e38] });
  it.each(['wasm-simd', 'wasm-scalar', 'reference'] as const)('is the same CandlesValidationError on %s', async (kind) => {
    const e = await rejection(
      engineOf(kind).compute({ candles: huge, grid: { indicatorId: 'ma.dema', source: 'hl2', params: { window: [2, 3, 4, 5] } } }),
    );
    expect(e).toBeInstanceOf(CandlesValidationError);
    expect(e.details).toEqual({ field: 'hl2', reason: 'non_finite', index: 0, value: 'Infinity', expected: 'finite or NaN' });
  });
});
