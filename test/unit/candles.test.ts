import { describe, expect, it } from 'vitest';
import { MissingInputSeriesError } from '../../src/errors.js';
import { availableSeries, buildSourceSeries, createCandles, isCandles, type CandlesInput } from '../../src/candles/index.js';
import { candlesDetails } from '../helpers/errors.js';

const MIN = 60_000;

/** A valid 1m input of `t` bars starting at 0, close = 1..t. */
function input(t = 4, extra: Partial<CandlesInput> = {}): CandlesInput {
  return {
    instrumentId: 'binance:BTCUSDT',
    timeframe: '1m',
    tsOpen: Array.from({ length: t }, (_, i) => i * MIN),
    close: Array.from({ length: t }, (_, i) => i + 1),
    ...extra,
  };
}

describe('createCandles', () => {
  it('converts number[] inputs to BigInt64Array and Float32Array and derives start, end and t', () => {
    const c = createCandles(input(3, { open: [0.1, 2, 3] }));
    expect(c.tsOpen).toBeInstanceOf(BigInt64Array);
    expect([...c.tsOpen]).toEqual([0n, 60_000n, 120_000n]);
    expect(c.close).toBeInstanceOf(Float32Array);
    expect(c.open![0]).toBe(Math.fround(0.1));
    expect({ t: c.t, stepMs: c.stepMs, start: c.start, end: c.end, timeline: c.timeline, timeframe: c.timeframe }).toEqual({
      t: 3,
      stepMs: MIN,
      start: 0,
      end: 180_000,
      timeline: 'dense',
      timeframe: '1m',
    });
  });

  it('returns a frozen object without keys for absent series', () => {
    const c = createCandles(input());
    expect(Object.isFrozen(c)).toBe(true);
    expect('open' in c).toBe(false);
    expect('volume' in c).toBe(false);
    expect('loadReport' in c).toBe(false);
  });

  it('keeps Float32Array and BigInt64Array inputs as given', () => {
    const tsOpen = BigInt64Array.from([0n, 60_000n]);
    const close = Float32Array.from([1, 2]);
    const c = createCandles({ instrumentId: 'x', timeframe: '1m', tsOpen, close });
    expect(c.tsOpen).toBe(tsOpen);
    expect(c.close).toBe(close);
  });

  it('copies number[] and Float64Array inputs and leaves them untouched', () => {
    const close = new Float64Array([0.1, 0.2]);
    const high = [0.3, 0.4];
    const c = createCandles({ instrumentId: 'x', timeframe: '1m', tsOpen: new Float64Array([0, MIN]), close, high });
    expect(c.close.buffer).not.toBe(close.buffer);
    expect([...close]).toEqual([0.1, 0.2]);
    expect(high).toEqual([0.3, 0.4]);
    expect([...c.close]).toEqual([Math.fround(0.1), Math.fround(0.2)]);
  });

  it('trims the instrument id and normalises the timeframe', () => {
    const c = createCandles(input(2, { instrumentId: '  binance:ETHUSDT ', timeframe: ' 1H ', tsOpen: [0, 3_600_000] }));
    expect(c.instrumentId).toBe('binance:ETHUSDT');
    expect(c.timeframe).toBe('1h');
    expect(c.end).toBe(7_200_000);
  });

  it('accepts NaN anywhere as a missing value', () => {
    const c = createCandles(input(3, { close: [NaN, 1, NaN], volume: [1, NaN, 2] }));
    expect(Number.isNaN(c.close[0])).toBe(true);
    expect(Number.isNaN(c.volume![1])).toBe(true);
  });

  it('carries a load report through, frozen', () => {
    const loadReport = {
      rowsRead: 1,
      rowsPlaced: 1,
      duplicates: 0,
      misaligned: 0,
      outOfRange: 0,
      holes: 0,
      timeframeInferred: false,
      warnings: [],
    };
    const c = createCandles(input(1, { loadReport }));
    expect(c.loadReport).toEqual(loadReport);
    expect(Object.isFrozen(c.loadReport)).toBe(true);
  });
});

describe('createCandles instrumentId', () => {
  it('rejects an empty instrument id', () => {
    expect(candlesDetails(() => createCandles(input(2, { instrumentId: '' })))).toMatchObject({
      field: 'instrumentId',
      reason: 'empty_instrument',
      value: '',
    });
  });

  it('rejects an instrument id made of white space', () => {
    expect(candlesDetails(() => createCandles(input(2, { instrumentId: ' \t ' }))).reason).toBe('empty_instrument');
  });

  it('rejects an instrument id that is not a string', () => {
    expect(candlesDetails(() => createCandles(input(2, { instrumentId: 42 as never }))).reason).toBe('empty_instrument');
  });

  it('rejects an instrument id with a lone surrogate', () => {
    const d = candlesDetails(() => createCandles(input(2, { instrumentId: 'btc\uD800usdt' })));
    expect(d).toMatchObject({ field: 'instrumentId', reason: 'empty_instrument' });
  });

  it('accepts an instrument id with a surrogate pair', () => {
    expect(createCandles(input(2, { instrumentId: 'coin\uD83D\uDE00' })).instrumentId).toBe('coin\uD83D\uDE00');
  });

  it('reports the instrument id before a bad timeframe', () => {
    expect(candlesDetails(() => createCandles(input(2, { instrumentId: '', timeframe: '2h' }))).field).toBe('instrumentId');
  });
});

describe('createCandles timeframe', () => {
  it('rejects a timeframe outside the supported list', () => {
    const d = candlesDetails(() => createCandles(input(2, { timeframe: '2h' })));
    expect(d).toMatchObject({ field: 'timeframe', reason: 'unsupported_timeframe', value: '2h' });
  });

  it('rejects a timeframe given as a number of ms', () => {
    expect(candlesDetails(() => createCandles(input(2, { timeframe: 60000 as never }))).reason).toBe('unsupported_timeframe');
  });
});

describe('createCandles shapes and types', () => {
  it('rejects an empty tsOpen', () => {
    expect(candlesDetails(() => createCandles(input(0)))).toMatchObject({ field: 'tsOpen', reason: 'empty' });
  });

  it('rejects a tsOpen of the wrong array type', () => {
    const d = candlesDetails(() => createCandles(input(2, { tsOpen: new Int32Array([0, MIN]) as never })));
    expect(d).toMatchObject({ field: 'tsOpen', reason: 'wrong_dtype', value: 'Int32Array' });
  });

  it('rejects a tsOpen number that is not a safe integer', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, 60_000.5, 120_000] })));
    expect(d).toMatchObject({ field: 'tsOpen', reason: 'bad_timestamp', index: 1, value: 60_000.5 });
  });

  it('rejects a series shorter than tsOpen', () => {
    const d = candlesDetails(() => createCandles(input(3, { high: [1, 2] })));
    expect(d).toMatchObject({ field: 'high', reason: 'length_mismatch', value: 2, expected: 3 });
  });

  it('rejects a series of the wrong array type', () => {
    const d = candlesDetails(() => createCandles(input(2, { volume: new Int32Array(2) as never })));
    expect(d).toMatchObject({ field: 'volume', reason: 'wrong_dtype', value: 'Int32Array' });
  });

  it('rejects a non-number inside a number[] series', () => {
    const d = candlesDetails(() => createCandles(input(3, { low: [1, '2', 3] as never })));
    expect(d).toMatchObject({ field: 'low', reason: 'wrong_dtype', index: 1, value: '2' });
  });

  it('rejects candles without close', () => {
    const { close: _omit, ...rest } = input(2);
    expect(candlesDetails(() => createCandles(rest as never))).toMatchObject({ field: 'close', reason: 'missing_column' });
  });

  it('reports a length mismatch before a gap', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, 5 * MIN, 6 * MIN], close: [1, 2] })));
    expect(d.reason).toBe('length_mismatch');
  });
});

describe('createCandles dense and aligned', () => {
  it('rejects a gap, naming the first bad index and the actual step', () => {
    const d = candlesDetails(() => createCandles(input(4, { tsOpen: [0, MIN, 3 * MIN, 4 * MIN] })));
    expect(d).toMatchObject({ field: 'tsOpen', reason: 'not_dense', index: 2, value: 2 * MIN, expected: MIN });
  });

  it('rejects a repeated time', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, MIN, MIN] })));
    expect(d).toMatchObject({ reason: 'not_dense', index: 2, value: 0 });
  });

  it('reports a gap before an infinite value', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, 2 * MIN, 3 * MIN], close: [Infinity, 1, 2] })));
    expect(d.reason).toBe('not_dense');
  });

  it('accepts gaps on the step grid with timeline sessions', () => {
    const c = createCandles(input(3, { tsOpen: [0, 3 * MIN, 10 * MIN], timeline: 'sessions' }));
    expect(c.timeline).toBe('sessions');
    expect(c.t).toBe(3);
  });

  it('rejects a decreasing time with timeline sessions', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, 3 * MIN, 2 * MIN], timeline: 'sessions' })));
    expect(d).toMatchObject({ field: 'tsOpen', reason: 'not_dense', index: 2, value: -MIN });
  });

  it('rejects a time off the step grid with timeline sessions', () => {
    const d = candlesDetails(() => createCandles(input(3, { tsOpen: [0, 3 * MIN, 3 * MIN + 1], timeline: 'sessions' })));
    expect(d).toMatchObject({ reason: 'not_dense', index: 2, value: 1 });
  });

  it('rejects an unknown timeline', () => {
    expect(candlesDetails(() => createCandles(input(2, { timeline: 'calendar' as never })))).toMatchObject({
      field: 'timeline',
      value: 'calendar',
    });
  });
});

describe('createCandles finite or NaN', () => {
  it('rejects +Infinity, naming the series and index', () => {
    const d = candlesDetails(() => createCandles(input(3, { open: [1, 2, Infinity] })));
    expect(d).toMatchObject({ field: 'open', reason: 'non_finite', index: 2, value: Infinity });
  });

  it('rejects -Infinity in a Float32Array', () => {
    const d = candlesDetails(() => createCandles(input(2, { close: Float32Array.from([-Infinity, 1]) })));
    expect(d).toMatchObject({ field: 'close', reason: 'non_finite', index: 0 });
  });

  it('rejects 1e39, finite as a double but not as a float32', () => {
    const d = candlesDetails(() => createCandles(input(2, { volume: [1, 1e39] })));
    expect(d).toMatchObject({ field: 'volume', reason: 'non_finite', index: 1, value: 1e39 });
  });

  it('rejects 1e39 in a Float64Array', () => {
    expect(candlesDetails(() => createCandles(input(2, { high: new Float64Array([1e39, 1]) }))).reason).toBe('non_finite');
  });
});

describe('createCandles range', () => {
  it('ends a dense timeline T steps after the start', () => {
    const c = createCandles(input(5, { tsOpen: [1000, 1000 + MIN, 1000 + 2 * MIN, 1000 + 3 * MIN, 1000 + 4 * MIN] }));
    expect([c.start, c.end]).toEqual([1000, 1000 + 5 * MIN]);
  });

  it('ends a sessions timeline one step after the last bar', () => {
    const c = createCandles(input(3, { tsOpen: [0, 5 * MIN, 9 * MIN], timeline: 'sessions' }));
    expect([c.start, c.end]).toEqual([0, 10 * MIN]);
  });

  it('accepts times before 1970', () => {
    const c = createCandles(input(2, { timeframe: '1d', tsOpen: [-86_400_000, 0] }));
    expect(c.start).toBe(-86_400_000);
  });
});

describe('isCandles', () => {
  it('recognises candles made by createCandles', () => {
    expect(isCandles(createCandles(input()))).toBe(true);
  });

  it('refuses look-alike objects and non-objects', () => {
    const c = createCandles(input());
    expect(isCandles({ ...c })).toBe(false);
    expect(isCandles(null)).toBe(false);
    expect(isCandles('candles')).toBe(false);
  });
});

/** Deterministic pseudo-random prices in [50, 150) with many decimals. */
function prices(n: number, seed: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return 50 + (s / 2 ** 32) * 100;
  });
}

describe('buildSourceSeries', () => {
  const n = 2000;
  const open = prices(n, 1),
    high = prices(n, 2),
    low = prices(n, 3),
    close = prices(n, 4);
  const c = createCandles({
    instrumentId: 'x',
    timeframe: '1m',
    tsOpen: Array.from({ length: n }, (_, i) => i * MIN),
    open,
    high,
    low,
    close,
    volume: prices(n, 5),
  });
  const f = Math.fround;
  const bits = (a: Float32Array) => [...new Uint32Array(a.buffer, a.byteOffset, a.length)];

  it('returns the candle array itself for a base source', () => {
    expect(buildSourceSeries(c, 'close')).toBe(c.close);
    expect(buildSourceSeries(c, 'volume')).toBe(c.volume);
  });

  it('copies a base source into a given target', () => {
    const into = new Float32Array(n);
    expect(buildSourceSeries(c, 'open', into)).toBe(into);
    expect(bits(into)).toEqual(bits(c.open!));
  });

  it('builds hl2 bit for bit as f(f(h + l) / 2)', () => {
    const want = Float32Array.from({ length: n }, (_, i) => f(f(high[i]! + low[i]!) / 2));
    expect(bits(buildSourceSeries(c, 'hl2'))).toEqual(bits(want));
  });

  it('builds hlc3 bit for bit as f(f(f(h + l) + c) / 3)', () => {
    const want = Float32Array.from({ length: n }, (_, i) => f(f(f(high[i]! + low[i]!) + close[i]!) / 3));
    expect(bits(buildSourceSeries(c, 'hlc3'))).toEqual(bits(want));
  });

  it('builds ohlc4 bit for bit as f(f(f(f(o + h) + l) + c) / 4)', () => {
    const want = Float32Array.from({ length: n }, (_, i) => f(f(f(f(open[i]! + high[i]!) + low[i]!) + close[i]!) / 4));
    expect(bits(buildSourceSeries(c, 'ohlc4'))).toEqual(bits(want));
  });

  it('differs from a one-rounding double computation, so the order matters', () => {
    const once = Float32Array.from({ length: n }, (_, i) => (high[i]! + low[i]! + close[i]!) / 3);
    expect(bits(buildSourceSeries(c, 'hlc3'))).not.toEqual(bits(once));
  });

  it('writes a derived source into a given target', () => {
    const into = new Float32Array(n);
    expect(buildSourceSeries(c, 'ohlc4', into)).toBe(into);
    expect(bits(into)).toEqual(bits(buildSourceSeries(c, 'ohlc4')));
  });

  it('refuses a target of the wrong length', () => {
    expect(() => buildSourceSeries(c, 'hl2', new Float32Array(n - 1))).toThrow(RangeError);
  });

  it('propagates a NaN in any component', () => {
    const k = createCandles({
      instrumentId: 'x',
      timeframe: '1m',
      tsOpen: [0, MIN, 2 * MIN],
      open: [1, NaN, 1],
      high: [2, 2, 2],
      low: [1, 1, NaN],
      close: [1, 1, 1],
    });
    const o4 = buildSourceSeries(k, 'ohlc4');
    expect([Number.isNaN(o4[0]), Number.isNaN(o4[1]), Number.isNaN(o4[2])]).toEqual([false, true, true]);
    expect(buildSourceSeries(k, 'hl2')[1]).toBe(1.5);
  });

  it.each([
    // (3.3e38 + 3.2e38) overflows float32 although both candles are finite
    ['hl2', { high: [3.3e38, 3.3e38, 3.3e38], low: [1, 3.2e38, 3.2e38] }, 1, Infinity],
    ['hlc3', { high: [1, 1, -3.4e38], low: [1, 1, -3.4e38] }, 2, -Infinity],
    ['ohlc4', { open: [3e38, 1, 1], high: [3e38, 1, 1], low: [1, 1, 1] }, 0, Infinity],
  ] as const)('refuses a %s that overflows float32 (non_finite, naming the bar)', (source, extra, index, value) => {
    const k = createCandles({ instrumentId: 'x', timeframe: '1m', tsOpen: [0, MIN, 2 * MIN], close: [1, 2, 3], ...extra });
    expect(candlesDetails(() => buildSourceSeries(k, source, new Float32Array(3)))).toEqual({
      field: source,
      reason: 'non_finite',
      index,
      value: String(value),
      expected: 'finite or NaN',
    });
  });

  it('refuses a derived source whose component is absent', () => {
    const k = createCandles(input(2, { high: [1, 2] }));
    let caught: unknown;
    try {
      buildSourceSeries(k, 'hlc3');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MissingInputSeriesError);
    expect((caught as MissingInputSeriesError).details).toEqual({
      indicatorId: 'hlc3',
      missing: ['low'],
      required: ['close', 'high', 'low'],
      available: ['close', 'high'],
    });
  });
});

describe('availableSeries', () => {
  it('lists the present base series sorted by name', () => {
    expect(availableSeries(createCandles(input(2, { volume: [1, 2], open: [1, 2], low: [1, 2] })))).toEqual([
      'close',
      'low',
      'open',
      'volume',
    ]);
  });

  it('lists only close for close-only candles', () => {
    expect(availableSeries(createCandles(input(2)))).toEqual(['close']);
  });
});
