import { describe, expect, it } from 'vitest';
import { ComputeBudgetExceeded, GridValidationError, UnknownIndicatorError, VariantsGuardExceeded } from '../../src/errors.js';
import type { GridSpec } from '../../src/grid/index.js';
import { DEFAULT_LIMITS, estimate, estimateBatch, planCompute, type Limits } from '../../src/guards/index.js';
import { createRegistry, defineIndicator } from '../../src/registry/index.js';
import { gridDetails, thrown } from '../helpers/errors.js';

const SIX = ['close', 'hlc3', 'ohlc4', 'low', 'high', 'open'];
const limits = (over: Partial<Limits> = {}): Limits => ({ ...DEFAULT_LIMITS, ...over });
const smaOpenClose: GridSpec = { indicatorId: 'ma.sma', source: ['open', 'close'], params: { window: [20, 10] } };
const sma1176: GridSpec = { indicatorId: 'ma.sma', source: SIX, params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } } };
const bbands1: GridSpec = { indicatorId: 'volatility.bbands', source: 'close', params: { mult: 2, window: 20 } };
const sma7x1999: GridSpec = {
  indicatorId: 'ma.sma',
  source: ['close', 'hl2', 'hlc3', 'ohlc4', 'low', 'high', 'open'],
  params: { window: { mode: 'range', start: 2, stopIncl: 2000, step: 1 } },
};
const full = { mode: 'range', start: 2, stopIncl: 2000, step: 1 } as const;
const stochRsiFull: GridSpec = {
  indicatorId: 'momentum.stoch_rsi',
  source: SIX,
  params: { d_window: full, k_window: full, rsi_window: full, smoothing: full },
};
const HOUR = { start: 1_700_000_040_000, timeframe: '1m' }; // a minute boundary

describe('defaults', () => {
  it('defaults to 600 000 variants and 5 GiB', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxVariantsPerCompute: 600_000, maxComputeBytesTotal: 5_368_709_120 });
  });
});

describe('estimate and guard test vectors', () => {
  it('refuses ma.sma 2 x 2 over 300 bars with an 8192-byte budget', () => {
    const e = thrown(() => estimate(smaOpenClose, 300, {}, limits({ maxComputeBytesTotal: 8192 })));
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.code).toBe('max_compute_bytes_exceeded');
    expect(e.details).toEqual({
      scope: 'compute',
      limit: 'bytes',
      t: 300,
      variants: 4,
      outputs: 1,
      bytesOut: 4800,
      bytesTotalEst: 67114624,
      maxComputeBytesTotal: 8192,
    });
    expect(Object.keys(e.details)).toEqual([
      'scope',
      'limit',
      't',
      'variants',
      'outputs',
      'bytesOut',
      'bytesTotalEst',
      'maxComputeBytesTotal',
    ]);
  });

  it('sizes ma.sma six sources x 5..200 over 4096 bars', () => {
    const r = estimate(sma1176, 4096);
    expect([r.variants, r.bytesOut, r.bytesTotalEst - r.bytesOut - 67_108_864, r.bytesTotalEst]).toEqual([
      1176, 19_267_584, 3_853_517, 90_229_965,
    ]);
  });

  it('sizes one bbands variant with all three outputs over 128 bars', () => {
    const r = estimate(bbands1, 128);
    expect([r.outputs, r.bytesOut, r.bytesTotalEst - r.bytesOut - 67_108_864, r.bytesTotalEst]).toEqual([
      ['basis', 'upper', 'lower'],
      1536,
      308,
      67_110_708,
    ]);
  });

  it('sizes the sma + adx batch over one hour of 1m with variantsFactor 6', () => {
    const r = estimateBatch(
      [
        { indicatorId: 'ma.sma', source: ['open', 'close'], params: { window: [10, 20, 30] } },
        { indicatorId: 'trend.adx', params: { window: { mode: 'range', start: 10, stopIncl: 11, step: 1 }, smoothing: [14] } },
      ],
      { ...HOUR, end: HOUR.start + 3_600_000 },
      { variantsFactor: 6 },
    );
    expect(r).toMatchObject({
      totalVariants: 72,
      bytesCandles: 1680,
      bytesIndicators: 2880,
      reserve: 67_108_864,
      estimatedMemoryBytes: 67_113_424,
      t: 60,
      withinGuards: true,
    });
    expect(r.perIndicator).toEqual([
      { indicatorId: 'ma.sma', variants: 6, outputs: 1 },
      { indicatorId: 'trend.adx', variants: 2, outputs: 3 },
    ]);
  });
});

describe('estimate', () => {
  it('returns every field in the documented order', () => {
    const r = estimate(smaOpenClose, 300);
    expect(Object.keys(r)).toEqual([
      'indicatorId',
      'axes',
      'variants',
      'outputs',
      't',
      'layout',
      'bytesOut',
      'bytesTotalEst',
      'maxVariants',
      'maxComputeBytesTotal',
      'withinGuards',
    ]);
    expect(r).toMatchObject({
      indicatorId: 'ma.sma',
      variants: 4,
      outputs: ['value'],
      t: 300,
      layout: 'TIME_MAJOR',
      maxVariants: 600_000,
      maxComputeBytesTotal: 5_368_709_120,
      withinGuards: true,
    });
  });

  it('returns the materialised axes in definition order', () => {
    expect(estimate(smaOpenClose, 1).axes).toEqual([
      { name: 'source', kind: 'source', values: ['open', 'close'] },
      { name: 'window', kind: 'int', values: [20, 10] },
    ]);
  });

  it('takes T from a time range', () => {
    expect(estimate(bbands1, { start: 0, end: 86_400_000, timeframe: '1h' }).t).toBe(24);
  });

  it('normalises the time range timeframe', () => {
    expect(estimate(bbands1, { start: 0, end: 600_000, timeframe: ' 5M ' }).t).toBe(2);
  });

  it('takes T from candles', () => {
    const candles = { t: 77, tsOpen: new BigInt64Array(77), close: new Float32Array(77) };
    expect(estimate(bbands1, candles).t).toBe(77);
  });

  it('rejects a time range whose end is not after its start with time_range_empty', () => {
    const d = gridDetails(() => estimate(bbands1, { start: 60_000, end: 60_000, timeframe: '1m' }));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'timeRange',
      reason: 'time_range_empty',
      value: { start: 60_000, end: 60_000 },
      expected: 'end > start',
    });
  });

  it('rejects a time range that is not a whole number of bars with time_range_misaligned', () => {
    const d = gridDetails(() => estimate(bbands1, { start: 0, end: 90_000, timeframe: '1m' }));
    expect([d.field, d.reason]).toEqual(['timeRange', 'time_range_misaligned']);
  });

  it('rejects an unknown time range timeframe', () => {
    const d = gridDetails(() => estimate(bbands1, { start: 0, end: 90_000, timeframe: '2m' }));
    expect([d.field, d.reason]).toEqual(['timeRange.timeframe', 'not_allowed']);
  });

  it.each([[0], [-5], [1.5], [NaN], [Infinity]])('rejects T = %s with invalid_t', (t) => {
    const d = gridDetails(() => estimate(bbands1, t));
    expect([d.field, d.reason]).toEqual(['t', 'invalid_t']);
  });

  it('rejects a horizon of the wrong type with invalid_t', () => {
    expect(gridDetails(() => estimate(bbands1, '300' as never)).reason).toBe('invalid_t');
  });

  it('rejects candles with t = 0 with invalid_t', () => {
    expect(gridDetails(() => estimate(bbands1, { t: 0, tsOpen: new BigInt64Array(0) })).reason).toBe('invalid_t');
  });

  it('lowers the estimate when fewer outputs are asked for', () => {
    const r = estimate(bbands1, 128, { outputs: ['basis'] });
    expect([r.outputs, r.bytesOut]).toEqual([['basis'], 512]);
  });

  it('keeps an output subset in registry order', () => {
    expect(estimate(bbands1, 1, { outputs: ['lower', 'basis'] }).outputs).toEqual(['basis', 'lower']);
  });

  it('rejects an undeclared output with unknown_output', () => {
    const d = gridDetails(() => estimate(bbands1, 1, { outputs: ['basis', 'middle'] }));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'outputs',
      reason: 'unknown_output',
      value: 'middle',
      expected: ['basis', 'upper', 'lower'],
    });
  });

  it('rejects a repeated output with duplicate_value', () => {
    const d = gridDetails(() => estimate(bbands1, 1, { outputs: ['upper', 'upper'] }));
    expect([d.field, d.reason, d.value]).toEqual(['outputs', 'duplicate_value', 'upper']);
  });

  it('lets opts.layout override the grid layout', () => {
    expect(estimate({ ...bbands1, layout: 'TIME_MAJOR' }, 1, { layout: 'VARIANT_MAJOR' }).layout).toBe('VARIANT_MAJOR');
  });

  it('rejects a bad opts.layout with invalid_layout', () => {
    expect(gridDetails(() => estimate(bbands1, 1, { layout: 'x' as never })).reason).toBe('invalid_layout');
  });

  it('returns withinGuards false instead of throwing when throwOnGuard is false', () => {
    const r = estimate(smaOpenClose, 300, { throwOnGuard: false }, limits({ maxComputeBytesTotal: 8192 }));
    expect([r.withinGuards, r.bytesTotalEst]).toEqual([false, 67_114_624]);
  });

  it('still throws validation errors when throwOnGuard is false', () => {
    expect(gridDetails(() => estimate({ ...bbands1, params: { mult: 0, window: 20 } }, 1, { throwOnGuard: false })).reason).toBe(
      'below_min',
    );
  });

  it('reports a grid over the variants guard with withinGuards false', () => {
    const r = estimate(stochRsiFull, 1000, { throwOnGuard: false });
    expect([r.withinGuards, r.variants]).toEqual([false, 6 * 1999 ** 4]);
  });
});

describe('variants guard', () => {
  it('refuses V over the config limit', () => {
    const e = thrown(() => estimate(sma7x1999, 10, {}, limits({ maxVariantsPerCompute: 10_000 })));
    expect(e).toBeInstanceOf(VariantsGuardExceeded);
    expect(e.code).toBe('max_variants_exceeded');
    expect(e.details).toEqual({ scope: 'compute', variants: 13_993, maxVariants: 10_000, limitSource: 'config' });
    expect(Object.keys(e.details)).toEqual(['scope', 'variants', 'maxVariants', 'limitSource']);
  });

  it('refuses V over the request limit', () => {
    const e = thrown(() => estimate(sma7x1999, 10, { maxVariants: 100 }));
    expect(e.details).toEqual({ scope: 'compute', variants: 13_993, maxVariants: 100, limitSource: 'request' });
  });

  it('checks the config limit before the request limit', () => {
    const e = thrown(() => estimate(sma7x1999, 10, { maxVariants: 100 }, limits({ maxVariantsPerCompute: 1000 })));
    expect(e.details).toMatchObject({ maxVariants: 1000, limitSource: 'config' });
  });

  it('accepts V equal to the limit', () => {
    expect(estimate(sma7x1999, 10, { maxVariants: 13_993 }).withinGuards).toBe(true);
  });

  it('reports the effective limit as the smaller of request and config', () => {
    expect(estimate(bbands1, 10, { maxVariants: 5 }).maxVariants).toBe(5);
    expect(estimate(bbands1, 10, { maxVariants: 5_000_000 }).maxVariants).toBe(600_000);
  });

  it.each([[0], [-1], [1.5], [NaN], ['10']])('rejects maxVariants %s with invalid_guard', (m) => {
    const d = gridDetails(() => estimate(bbands1, 10, { maxVariants: m as number }));
    expect([d.field, d.reason]).toEqual(['maxVariants', 'invalid_guard']);
  });

  it('writes V above 2^53 - 1 as a decimal string', () => {
    const reg = createRegistry([
      defineIndicator({
        id: 'ma.cube',
        group: 'ma',
        title: 'Cube',
        inputs: ['close'],
        sourceValues: null,
        params: ['a', 'b', 'c'].map((name) => ({ name, kind: 'int' as const, min: 0, max: 2_000_000, step: 1 })),
        axes: ['a', 'b', 'c'],
        outputs: ['value'],
        warmup: { value: '0' },
        kernel: null,
        doc: '',
      }),
    ]);
    const r = { mode: 'range', start: 1, stopIncl: 1_000_000, step: 1 } as const;
    const e = thrown(() => estimate({ indicatorId: 'ma.cube', params: { a: r, b: r, c: r } }, 1, {}, DEFAULT_LIMITS, reg));
    expect(e.details).toEqual({ scope: 'compute', variants: '1000000000000000000', maxVariants: 600_000, limitSource: 'config' });
  });

  it('fails a stoch_rsi grid over its full hard bounds fast and without memory growth', () => {
    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const heap0 = process.memoryUsage().heapUsed;
    const t0 = performance.now();
    const e = thrown(() => estimate(stochRsiFull, 1_000_000));
    const ms = performance.now() - t0;
    const grown = process.memoryUsage().heapUsed - heap0;
    expect(e).toBeInstanceOf(VariantsGuardExceeded);
    expect(e.details).toEqual({ scope: 'compute', variants: 95_808_143_952_006, maxVariants: 600_000, limitSource: 'config' });
    expect(ms).toBeLessThan(250);
    expect(grown, `heap grew by ${grown} bytes`).toBeLessThan(4 * 1024 * 1024);
  });
});

describe('per-variant rules after the variants guard, before allocation', () => {
  const badPsar: GridSpec = { indicatorId: 'trend.psar', params: { accel_max: [0.01], accel_start: [0.02], accel_step: [0.02] } };

  it('rejects a psar variant with accel_max < accel_start in estimate', () => {
    const d = gridDetails(() => estimate(badPsar, 10));
    expect(d).toEqual({
      indicatorId: 'trend.psar',
      field: 'variants[0]',
      reason: 'variant_rule',
      value: { accel_max: 0.01, accel_start: 0.02, accel_step: 0.02 },
      expected: 'accel_max >= accel_start',
    });
  });

  it('reports the variants guard before a per-variant rule', () => {
    expect(thrown(() => estimate(badPsar, 10, { maxVariants: 1 }, limits({ maxVariantsPerCompute: 0 })))).toBeInstanceOf(
      VariantsGuardExceeded,
    );
  });

  it('reports a per-variant rule before the memory guard', () => {
    expect(gridDetails(() => estimate(badPsar, 10, {}, limits({ maxComputeBytesTotal: 1 }))).reason).toBe('variant_rule');
  });
});

describe('memory guard', () => {
  it('refuses one output array above 2^32 - 1 elements even within the byte budget', () => {
    const e = thrown(() => estimate({ indicatorId: 'volatility.tr' }, 4_294_967_296, {}, limits({ maxComputeBytesTotal: 1e12 })));
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect(e.details).toEqual({
      scope: 'compute',
      limit: 'elements',
      t: 4_294_967_296,
      variants: 1,
      outputs: 1,
      bytesOut: 17_179_869_184,
      bytesTotalEst: 17_179_869_184 + 3_435_973_837 + 67_108_864,
      maxComputeBytesTotal: 1e12,
    });
  });

  it('accepts exactly 2^32 - 1 elements (an engine without a WebAssembly memory: the reference)', () => {
    expect(
      estimate({ indicatorId: 'volatility.tr' }, 4_294_967_295, {}, limits({ maxComputeBytesTotal: 1e12, memoryBytes: () => null }))
        .withinGuards,
    ).toBe(true);
  });

  it('checks bytes before elements', () => {
    expect(thrown(() => estimate({ indicatorId: 'volatility.tr' }, 4_294_967_296)).details.limit).toBe('bytes');
  });

  it('accepts an estimate equal to the budget', () => {
    expect(estimate(smaOpenClose, 300, {}, limits({ maxComputeBytesTotal: 67_114_624 })).withinGuards).toBe(true);
  });
});

describe('the order: lookup, grid, outputs, variants guard, rules, memory guard', () => {
  it('looks the indicator up first', () => {
    expect(
      thrown(() => estimate({ indicatorId: 'ma.emma', params: { window: 3 } }, 0, { outputs: ['x'], maxVariants: -1 })),
    ).toBeInstanceOf(UnknownIndicatorError);
  });

  it('validates the grid before the horizon', () => {
    expect(gridDetails(() => estimate({ ...bbands1, layout: 'x' as never }, 0)).reason).toBe('invalid_layout');
  });

  it('selects outputs before the variants guard', () => {
    expect(gridDetails(() => estimate(stochRsiFull, 10, { outputs: ['j'] })).reason).toBe('unknown_output');
  });

  it('validates maxVariants before comparing V', () => {
    expect(gridDetails(() => estimate(stochRsiFull, 10, { maxVariants: 0 })).reason).toBe('invalid_guard');
  });

  it('checks the variants guard before the memory guard', () => {
    expect(thrown(() => estimate(stochRsiFull, 10, {}, limits({ maxComputeBytesTotal: 1 })))).toBeInstanceOf(VariantsGuardExceeded);
  });
});

describe('planCompute agrees with estimate', () => {
  it('plans a compute with the estimate numbers', () => {
    const p = planCompute(sma1176, 4096, {}, DEFAULT_LIMITS);
    expect({
      variants: p.variants,
      t: p.t,
      outputs: p.outputs,
      layout: p.layout,
      bytesOut: p.bytesOut,
      bytesTotalEst: p.bytesTotalEst,
      maxVariants: p.maxVariants,
    }).toEqual({
      variants: 1176,
      t: 4096,
      outputs: ['value'],
      layout: 'TIME_MAJOR',
      bytesOut: 19_267_584,
      bytesTotalEst: 90_229_965,
      maxVariants: 600_000,
    });
  });

  it('returns the same axes as the estimate', () => {
    expect(planCompute(sma1176, 4096, {}, DEFAULT_LIMITS).grid.axes).toEqual(estimate(sma1176, 4096).axes);
  });

  it('applies the layout override', () => {
    expect(planCompute(bbands1, 10, { layout: 'VARIANT_MAJOR' }, DEFAULT_LIMITS).layout).toBe('VARIANT_MAJOR');
  });

  it.each<[string, GridSpec, { maxVariants?: number; outputs?: string[] }, Partial<Limits>]>([
    ['the byte budget', smaOpenClose, {}, { maxComputeBytesTotal: 8192 }],
    ['the config variants limit', sma7x1999, {}, { maxVariantsPerCompute: 10 }],
    ['the request variants limit', sma7x1999, { maxVariants: 10 }, {}],
    ['an unknown output', bbands1, { outputs: ['x'] }, {}],
    ['a psar rule', { indicatorId: 'trend.psar', params: { accel_max: 0.01, accel_start: 0.5, accel_step: 0.02 } }, {}, {}],
    ['a bad window', { indicatorId: 'ma.sma', source: 'close', params: { window: 1 } }, {}, {}],
  ])('throws the same error as estimate for %s', (_name, spec, opts, over) => {
    const a = thrown(() => planCompute(spec, 300, opts, limits(over)));
    const b = thrown(() => estimate(spec, { t: 300, tsOpen: null }, opts, limits(over)));
    expect([a.constructor, a.code, a.message, a.details]).toEqual([b.constructor, b.code, b.message, b.details]);
  });
});

describe('estimateBatch', () => {
  const sma: GridSpec = { indicatorId: 'ma.sma', source: ['open', 'close'], params: { window: [10, 20, 30] } };
  const adx: GridSpec = { indicatorId: 'trend.adx', params: { window: [10, 11], smoothing: [14] } };

  it('gives the same result whatever the order of the grids', () => {
    expect(estimateBatch([adx, sma], 60, { variantsFactor: 6 })).toEqual(estimateBatch([sma, adx], 60, { variantsFactor: 6 }));
  });

  it('defaults variantsFactor to 1', () => {
    expect(estimateBatch([sma, adx], 60).totalVariants).toBe(12);
  });

  it('refuses a batch over the byte budget with batch details', () => {
    const e = thrown(() => estimateBatch([sma, adx], 60, { variantsFactor: 6 }, limits({ maxComputeBytesTotal: 1000 })));
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect(e.details).toEqual({
      scope: 'batch',
      limit: 'bytes',
      t: 60,
      totalVariants: 72,
      bytesCandles: 1680,
      bytesOut: 2880,
      reserve: 67_108_864,
      bytesTotalEst: 67_113_424,
      maxComputeBytesTotal: 1000,
    });
    expect(Object.keys(e.details)).toEqual([
      'scope',
      'limit',
      't',
      'totalVariants',
      'bytesCandles',
      'bytesOut',
      'reserve',
      'bytesTotalEst',
      'maxComputeBytesTotal',
    ]);
  });

  it('refuses a batch over the variants guard with scope batch', () => {
    const e = thrown(() => estimateBatch([sma, adx], 60, { variantsFactor: 6 }, limits({ maxVariantsPerCompute: 71 })));
    expect(e.details).toEqual({ scope: 'batch', variants: 72, maxVariants: 71, limitSource: 'config' });
  });

  it('uses a 20 % reserve once it exceeds 64 MiB', () => {
    const r = estimateBatch([sma1176], 100_000);
    expect(r.reserve).toBe(Math.ceil((2_800_000 + 470_400_000) * 0.2));
  });

  it('rejects an empty list with empty_values', () => {
    const d = gridDetails(() => estimateBatch([], 60));
    expect([d.field, d.reason]).toEqual(['grids', 'empty_values']);
  });

  it.each([[0], [1.5], [-2]])('rejects variantsFactor %s with invalid_guard', (f) => {
    const d = gridDetails(() => estimateBatch([sma], 60, { variantsFactor: f }));
    expect([d.field, d.reason]).toEqual(['variantsFactor', 'invalid_guard']);
  });

  it('returns withinGuards false instead of throwing when throwOnGuard is false', () => {
    expect(estimateBatch([sma], 60, { throwOnGuard: false }, limits({ maxComputeBytesTotal: 1 })).withinGuards).toBe(false);
  });

  it('validates each grid', () => {
    expect(gridDetails(() => estimateBatch([sma, { ...adx, params: { window: 1, smoothing: 14 } }], 60)).indicatorId).toBe('trend.adx');
  });

  it('reports the same first invalid grid whatever the order', () => {
    const bad1: GridSpec = { indicatorId: 'trend.adx', params: { window: 1, smoothing: 14 } };
    const bad2: GridSpec = { indicatorId: 'ma.sma', source: 'close', params: { window: 1 } };
    expect(gridDetails(() => estimateBatch([bad1, bad2], 60))).toEqual(gridDetails(() => estimateBatch([bad2, bad1], 60)));
  });

  it('checks per-variant rules of every grid', () => {
    expect(
      gridDetails(() =>
        estimateBatch([sma, { indicatorId: 'trend.psar', params: { accel_max: 0.01, accel_start: 0.5, accel_step: 0.02 } }], 60),
      ).reason,
    ).toBe('variant_rule');
  });
});
