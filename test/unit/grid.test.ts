import { describe, expect, it } from 'vitest';
import { UnknownIndicatorError } from '../../src/errors.js';
import { checkVariantRules, decimalRange, materializeGrid, variantIndex, variantValues, type GridSpec } from '../../src/grid/index.js';
import { createRegistry, defineIndicator } from '../../src/registry/index.js';
import { gridDetails, thrown } from '../helpers/errors.js';

const axesOf = (spec: GridSpec) => materializeGrid(spec).axes.map((a) => [a.name, a.kind, [...a.values]]);
const valuesOf = (spec: GridSpec, name: string) => [...materializeGrid(spec).axes.find((a) => a.name === name)!.values];

/** A registry with a very wide int param. */
const wideRegistry = createRegistry([
  defineIndicator({
    id: 'ma.wide',
    group: 'ma',
    title: 'Wide',
    inputs: ['close'],
    sourceValues: null,
    params: [{ name: 'n', kind: 'int', min: 0, max: 2_000_000_000, step: 1 }],
    axes: ['n'],
    outputs: ['value'],
    warmup: { value: '0' },
    kernel: null,
    doc: '',
  }),
]);

/** A registry with an enum param, which the shipped definitions do not have. */
const enumRegistry = createRegistry([
  defineIndicator({
    id: 'ma.enum_test',
    group: 'ma',
    title: 'Enum test',
    inputs: ['close'],
    sourceValues: null,
    params: [
      { name: 'mode', kind: 'enum', enumValues: ['fast', 'slow'] },
      { name: 'window', kind: 'int', min: 2, max: 10, step: 1 },
    ],
    axes: ['mode', 'window'],
    outputs: ['value'],
    warmup: { value: '0' },
    kernel: null,
    doc: '',
  }),
]);

describe('sugar and shapes', () => {
  it('reads a bare array as an explicit axis kept in request order', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: ['close'], params: { window: [30, 10, 20] } }, 'window')).toEqual([30, 10, 20]);
  });

  it('reads a bare number as a one-value explicit axis', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: 'close', params: { window: 14 } }, 'window')).toEqual([14]);
  });

  it('reads a bare string source as a one-value explicit axis', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: 'hl2', params: { window: 14 } }, 'source')).toEqual(['hl2']);
  });

  it('reads an explicit spec object', () => {
    expect(
      valuesOf({ indicatorId: 'ma.sma', source: { mode: 'explicit', values: ['open', 'low'] }, params: { window: 5 } }, 'source'),
    ).toEqual(['open', 'low']);
  });

  it('reads an int range including stopIncl when it lands on the step', () => {
    expect(
      valuesOf(
        { indicatorId: 'ma.sma', source: 'close', params: { window: { mode: 'range', start: 5, stopIncl: 20, step: 5 } } },
        'window',
      ),
    ).toEqual([5, 10, 15, 20]);
  });

  it('leaves out stopIncl when it does not land on the step', () => {
    expect(
      valuesOf(
        { indicatorId: 'ma.sma', source: 'close', params: { window: { mode: 'range', start: 5, stopIncl: 19, step: 5 } } },
        'window',
      ),
    ).toEqual([5, 10, 15]);
  });

  it('trims and lower-cases the indicator id', () => {
    expect(materializeGrid({ indicatorId: '  MA.SMA ', source: 'close', params: { window: 3 } }).indicatorId).toBe('ma.sma');
  });

  it('trims param keys', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: 'close', params: { ' window ': 7 } }, 'window')).toEqual([7]);
  });

  it('trims and lower-cases source values', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: [' Close', 'HLC3 '], params: { window: 7 } }, 'source')).toEqual(['close', 'hlc3']);
  });

  it('trims and lower-cases enum values', () => {
    const g = materializeGrid({ indicatorId: 'ma.enum_test', params: { mode: [' SLOW ', 'fast'], window: 3 } }, enumRegistry);
    expect(g.axes[0]).toEqual({ name: 'mode', kind: 'enum', values: ['slow', 'fast'] });
  });

  it('takes 5.0 as the integer 5', () => {
    expect(valuesOf({ indicatorId: 'ma.sma', source: 'close', params: { window: [5.0] } }, 'window')).toEqual([5]);
  });

  it('defaults the layout to TIME_MAJOR', () => {
    expect(materializeGrid({ indicatorId: 'volatility.tr' }).layout).toBe('TIME_MAJOR');
  });

  it('keeps a VARIANT_MAJOR layout', () => {
    expect(materializeGrid({ indicatorId: 'volatility.tr', layout: 'VARIANT_MAJOR' }).layout).toBe('VARIANT_MAJOR');
  });

  it('freezes the materialised axes', () => {
    const g = materializeGrid({ indicatorId: 'ma.sma', source: 'close', params: { window: [3, 4] } });
    expect(Object.isFrozen(g.axes)).toBe(true);
    expect(Object.isFrozen(g.axes[1]!.values)).toBe(true);
  });

  it('returns the registry definition with the grid', () => {
    expect(materializeGrid({ indicatorId: 'trend.adx', params: { window: 10, smoothing: 14 } }).def.outputs).toEqual([
      'adx',
      'plus_di',
      'minus_di',
    ]);
  });
});

describe('axis order (definition order, whatever the request order)', () => {
  it('orders volatility.bbands axes as (mult, source, window) whatever the request order', () => {
    const g = materializeGrid({ indicatorId: 'volatility.bbands', params: { window: [20], mult: [2] }, source: ['close'] });
    expect(g.axes.map((a) => a.name)).toEqual(['mult', 'source', 'window']);
  });

  it('orders trend.adx axes as (window, smoothing)', () => {
    const g = materializeGrid({ indicatorId: 'trend.adx', params: { smoothing: [14], window: [10] } });
    expect(g.axes.map((a) => a.name)).toEqual(['window', 'smoothing']);
  });

  it('orders trend.psar axes as (accel_max, accel_start, accel_step)', () => {
    const g = materializeGrid({ indicatorId: 'trend.psar', params: { accel_step: 0.02, accel_start: 0.02, accel_max: 0.2 } });
    expect(g.axes.map((a) => a.name)).toEqual(['accel_max', 'accel_start', 'accel_step']);
  });

  it('gives an indicator without axes one variant', () => {
    const g = materializeGrid({ indicatorId: 'volatility.tr' });
    expect(g.axes).toEqual([]);
    expect(g.variants).toBe(1n);
  });

  it('records each axis kind from the definition', () => {
    expect(axesOf({ indicatorId: 'volatility.bbands', source: 'close', params: { mult: 2, window: 20 } })).toEqual([
      ['mult', 'float', [2]],
      ['source', 'source', ['close']],
      ['window', 'int', [20]],
    ]);
  });
});

describe('float ranges in exact decimal arithmetic', () => {
  const range = (a: number, b: number, s: number) => decimalRange(a, b, s).build();

  it('builds (1.0, 1.04, 0.02) as [1, 1.02, 1.04]', () => {
    expect(range(1.0, 1.04, 0.02)).toEqual([1, 1.02, 1.04]);
  });

  it('builds (1.0, 1.05, 0.02) as [1, 1.02, 1.04]', () => {
    expect(range(1.0, 1.05, 0.02)).toEqual([1, 1.02, 1.04]);
  });

  it('builds (0.1, 0.3, 0.1) ending at the double nearest 0.3', () => {
    const v = range(0.1, 0.3, 0.1);
    expect(v).toEqual([0.1, 0.2, 0.3]);
    expect(v[2]).not.toBe(0.1 + 0.2);
  });

  it('builds (0.5, 4.0, 0.01) as 351 values ending at exactly 4', () => {
    const v = range(0.5, 4.0, 0.01);
    expect(v.length).toBe(351);
    expect(v[350]).toBe(4);
    expect(v[1]).toBe(0.51);
    expect(v[123]).toBe(1.73);
  });

  it('builds (0.01, 0.2, 0.005) as 39 values', () => {
    const v = range(0.01, 0.2, 0.005);
    expect(v.length).toBe(39);
    expect(v[0]).toBe(0.01);
    expect(v[38]).toBe(0.2);
    expect(v[1]).toBe(0.015);
  });

  it('reports the count before building anything', () => {
    expect(decimalRange(0.1, 10, 1e-300).count).toBe(99n * 10n ** 299n + 1n);
  });

  it('handles exponent notation in the bounds', () => {
    expect(range(1e-7, 5e-7, 1e-7)).toEqual([1e-7, 2e-7, 3e-7, 4e-7, 5e-7]);
  });

  it('handles negative starts', () => {
    expect(range(-0.3, 0.3, 0.1)).toEqual([-0.3, -0.2, -0.1, 0, 0.1, 0.2, 0.3]);
  });

  it('agrees with parsing the exact decimal string of every value', () => {
    // 200 pseudo-random ranges; the reference builds each decimal string and parses it.
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    for (let k = 0; k < 200; k++) {
      const digits = 1 + Math.floor(rnd() * 4);
      const start = Number((rnd() * 10).toFixed(digits));
      const step = Number((0.001 + rnd()).toFixed(digits)) || 0.1;
      const stop = Number((start + rnd() * 20).toFixed(digits));
      const got = range(start, stop, step);
      const [fs, fp] = [start, step].map((x) => (String(x).split('.')[1] ?? '').length);
      const scale = Math.max(fs!, fp!, (String(stop).split('.')[1] ?? '').length);
      const S = BigInt(Math.round(start * 10 ** scale)),
        P = BigInt(Math.round(step * 10 ** scale));
      const want = got.map((_, i) => Number(`${S + BigInt(i) * P}e-${scale}`));
      expect(got, `range(${start}, ${stop}, ${step})`).toEqual(want);
    }
  });

  it('materialises a float range on a float axis', () => {
    expect(
      valuesOf(
        {
          indicatorId: 'volatility.bbands',
          source: 'close',
          params: { mult: { mode: 'range', start: 1.0, stopIncl: 1.05, step: 0.02 }, window: 20 },
        },
        'mult',
      ),
    ).toEqual([1, 1.02, 1.04]);
  });

  it('materialises (0.01, 0.2, 0.005) on psar accel_start as 39 values', () => {
    expect(
      valuesOf(
        {
          indicatorId: 'trend.psar',
          params: { accel_max: 5, accel_start: { mode: 'range', start: 0.01, stopIncl: 0.2, step: 0.005 }, accel_step: 0.02 },
        },
        'accel_start',
      ),
    ).toHaveLength(39);
  });
});

describe('validation errors (checks in order, the first failure reported)', () => {
  const sma = (window: unknown, source: unknown = 'close'): GridSpec => ({ indicatorId: 'ma.sma', source, params: { window } }) as GridSpec;
  const bb = (mult: unknown): GridSpec => ({ indicatorId: 'volatility.bbands', source: 'close', params: { mult, window: 20 } }) as GridSpec;

  it('throws UnknownIndicatorError with ma.ema first for ma.emma', () => {
    const e = thrown(() => materializeGrid({ indicatorId: 'ma.emma', params: { window: 5 } }), UnknownIndicatorError);
    expect(e.details.indicatorId).toBe('ma.emma');
    expect(e.details.suggestions[0]).toBe('ma.ema');
  });

  it('looks the indicator up before anything else', () => {
    expect(thrown(() => materializeGrid({ indicatorId: 'nope.x', params: { bogus: 1 }, layout: 'X' as never }))).toBeInstanceOf(
      UnknownIndicatorError,
    );
  });

  it('rejects an unknown range key stop with invalid_spec', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 5, stop: 20, step: 1 })));
    expect(d).toEqual({
      indicatorId: 'ma.sma',
      field: 'params.window.stop',
      reason: 'invalid_spec',
      value: 20,
      expected: ['mode', 'start', 'stopIncl', 'step'],
    });
  });

  it('names the field and value in the message', () => {
    const e = thrown(() => materializeGrid(sma({ mode: 'range', start: 5, stop: 20, step: 1 }))) as Error;
    expect(e.message).toMatch(/^params\.window\.stop: unknown key "stop" .*\(got 20\)$/);
  });

  it('rejects an unknown mode', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'list', values: [5] })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.mode', 'invalid_spec', 'list']);
  });

  it('rejects a boolean axis spec', () => {
    const d = gridDetails(() => materializeGrid(sma(true)));
    expect([d.field, d.reason, d.value]).toEqual(['params.window', 'invalid_spec', true]);
  });

  it('rejects a null axis spec', () => {
    const d = gridDetails(() => materializeGrid(sma(null)));
    expect([d.field, d.reason]).toEqual(['params.window', 'invalid_spec']);
  });

  it('rejects an explicit spec without a values array', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'explicit', values: 5 })));
    expect([d.field, d.reason]).toEqual(['params.window.values', 'invalid_spec']);
  });

  it('rejects a range with a missing key', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 5, step: 1 })));
    expect([d.field, d.reason]).toEqual(['params.window.stopIncl', 'invalid_spec']);
  });

  it('rejects a range on the source axis with invalid_spec', () => {
    const d = gridDetails(() => materializeGrid(sma(5, { mode: 'range', start: 1, stopIncl: 2, step: 1 })));
    expect([d.field, d.reason]).toEqual(['source', 'invalid_spec']);
  });

  it('rejects a range on an enum axis with invalid_spec', () => {
    const d = gridDetails(() =>
      materializeGrid(
        { indicatorId: 'ma.enum_test', params: { mode: { mode: 'range', start: 1, stopIncl: 2, step: 1 }, window: 3 } },
        enumRegistry,
      ),
    );
    expect([d.field, d.reason]).toEqual(['params.mode', 'invalid_spec']);
  });

  it('rejects an unknown top-level grid key with invalid_spec', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'volatility.tr', maxVariants: 5 } as never));
    expect([d.field, d.reason, d.value]).toEqual(['maxVariants', 'invalid_spec', 'maxVariants']);
  });

  it('rejects params that are not an object', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', source: 'close', params: [5] as never }));
    expect([d.field, d.reason]).toEqual(['params', 'invalid_spec']);
  });

  it('lists unknown axes sorted, with the allowed names and no suggestions', () => {
    const d = gridDetails(() =>
      materializeGrid({ indicatorId: 'volatility.bbands', source: 'close', params: { window: 20, mult: 2, zeta: 1, alpha: 2 } }),
    );
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'params',
      reason: 'unknown_axis',
      value: ['alpha', 'zeta'],
      expected: ['mult', 'window'],
    });
  });

  it('treats source inside params as an unknown axis', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', params: { window: 5, source: 'close' } }));
    expect([d.field, d.reason, d.value]).toEqual(['params', 'unknown_axis', ['source']]);
  });

  it('reports unknown axes before a missing source', () => {
    expect(gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', params: { windw: 5 } })).reason).toBe('unknown_axis');
  });

  it('rejects a missing source with source_required', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', params: { window: 5 } }));
    expect([d.field, d.reason]).toEqual(['source', 'source_required']);
  });

  it('rejects a source on an indicator without one with source_not_supported', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'trend.adx', source: 'close', params: { window: 5, smoothing: 5 } }));
    expect([d.field, d.reason, d.value]).toEqual(['source', 'source_not_supported', 'close']);
  });

  it('rejects an omitted param with missing_axis', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'trend.adx', params: { window: 5 } }));
    expect([d.field, d.reason]).toEqual(['params.smoothing', 'missing_axis']);
  });

  it('rejects an empty explicit list with empty_values', () => {
    const d = gridDetails(() => materializeGrid(sma([])));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.values', 'empty_values', []]);
  });

  it('rejects a blank source value with empty_values', () => {
    const d = gridDetails(() => materializeGrid(sma(5, ['close', '  '])));
    expect([d.field, d.reason]).toEqual(['source.values[1]', 'empty_values']);
  });

  it('rejects a numeric source value with wrong_type', () => {
    const d = gridDetails(() => materializeGrid(sma(5, [1])));
    expect([d.field, d.reason, d.value]).toEqual(['source.values[0]', 'wrong_type', 1]);
  });

  it('rejects a string window with wrong_type', () => {
    const d = gridDetails(() => materializeGrid(sma([5, '10'])));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.values[1]', 'wrong_type', '10']);
  });

  it('rejects a string range start with wrong_type', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: '5', stopIncl: 10, step: 1 })));
    expect([d.field, d.reason]).toEqual(['params.window.start', 'wrong_type']);
  });

  it('rejects a fractional window with not_integer', () => {
    const d = gridDetails(() => materializeGrid(sma([5.5])));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.values[0]', 'not_integer', 5.5]);
  });

  it('rejects a fractional int range step with not_integer', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 5, stopIncl: 10, step: 0.5 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.step', 'not_integer', 0.5]);
  });

  it('rejects NaN in a range with non_finite', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: NaN, stopIncl: 10, step: 1 })));
    expect([d.field, d.reason]).toEqual(['params.window.start', 'non_finite']);
    expect(Number.isNaN(d.value)).toBe(true);
  });

  it('rejects Infinity in a float range with non_finite', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 1, stopIncl: Infinity, step: 0.1 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.mult.stopIncl', 'non_finite', Infinity]);
  });

  it('checks finiteness of all range keys before integrality', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 2.5, stopIncl: 10, step: -Infinity })));
    expect([d.field, d.reason]).toEqual(['params.window.step', 'non_finite']);
  });

  it('rejects NaN in an explicit list with non_finite', () => {
    const d = gridDetails(() => materializeGrid(bb([1, NaN])));
    expect([d.field, d.reason]).toEqual(['params.mult.values[1]', 'non_finite']);
  });

  it('rejects a repeated int value with duplicate_value', () => {
    const d = gridDetails(() => materializeGrid(sma([10, 20, 10])));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.values[2]', 'duplicate_value', 10]);
  });

  it('rejects 0 and -0 on a float axis as duplicates', () => {
    const reg = createRegistry([
      defineIndicator({
        id: 'ma.signed',
        group: 'ma',
        title: 'Signed',
        inputs: ['close'],
        sourceValues: null,
        params: [{ name: 'offset', kind: 'float', min: -1, max: 1, step: 0.5 }],
        axes: ['offset'],
        outputs: ['value'],
        warmup: { value: '0' },
        kernel: null,
        doc: '',
      }),
    ]);
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.signed', params: { offset: [0, -0] } }, reg));
    expect([d.field, d.reason]).toEqual(['params.offset.values[1]', 'duplicate_value']);
  });

  it('rejects 2 and 2.0 on a float axis as duplicates', () => {
    const d = gridDetails(() => materializeGrid(bb([2, 2.0])));
    expect([d.field, d.reason]).toEqual(['params.mult.values[1]', 'duplicate_value']);
  });

  it('rejects range decimals that round to one double as duplicates', () => {
    const reg = createRegistry([
      defineIndicator({
        id: 'ma.fine',
        group: 'ma',
        title: 'Fine',
        inputs: ['close'],
        sourceValues: null,
        params: [{ name: 'x', kind: 'float', min: 0, max: 2, step: 1e-17 }],
        axes: ['x'],
        outputs: ['value'],
        warmup: { value: '0' },
        kernel: null,
        doc: '',
      }),
    ]);
    const d = gridDetails(() =>
      materializeGrid(
        { indicatorId: 'ma.fine', params: { x: { mode: 'range', start: 1, stopIncl: 1.0000000000000002, step: 1e-17 } } },
        reg,
      ),
    );
    expect([d.field, d.reason, d.value]).toEqual(['params.x.values[1]', 'duplicate_value', 1]);
  });

  it('rejects param keys that collide after trimming', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', source: 'close', params: { window: 5, ' window': 6 } }));
    expect([d.field, d.reason, d.value]).toEqual(['params', 'duplicate_value', 'window']);
  });

  it('rejects a grid spec that is not an object', () => {
    const d = gridDetails(() => materializeGrid('ma.sma' as never));
    expect([d.indicatorId, d.field, d.reason]).toEqual(['ma.sma', 'grid', 'invalid_spec']);
  });

  it('rejects sources equal after normalisation as duplicates', () => {
    const d = gridDetails(() => materializeGrid(sma(5, ['close', ' CLOSE'])));
    expect([d.field, d.reason, d.value]).toEqual(['source.values[1]', 'duplicate_value', ' CLOSE']);
  });

  it('rejects a window below 2 with below_min', () => {
    const d = gridDetails(() => materializeGrid(sma([1])));
    expect(d).toEqual({ indicatorId: 'ma.sma', field: 'params.window.values[0]', reason: 'below_min', value: 1, expected: '>= 2' });
  });

  it('rejects a window above 2000 with above_max', () => {
    const d = gridDetails(() => materializeGrid(sma([2001])));
    expect(d).toEqual({ indicatorId: 'ma.sma', field: 'params.window.values[0]', reason: 'above_max', value: 2001, expected: '<= 2000' });
  });

  it('reports a range below the bounds on its start', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 1, stopIncl: 10, step: 1 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.start', 'below_min', 1]);
  });

  it('reports a range above the bounds on its stopIncl', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 1990, stopIncl: 2010, step: 10 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.stopIncl', 'above_max', 2010]);
  });

  it('accepts a range whose stopIncl is above max but never produced', () => {
    expect(valuesOf(sma({ mode: 'range', start: 1990, stopIncl: 2005, step: 10 }), 'window')).toEqual([1990, 2000]);
  });

  it('applies float bounds with no tolerance', () => {
    const d = gridDetails(() => materializeGrid(bb([10.000000000000002])));
    expect([d.reason, d.value]).toEqual(['above_max', 10.000000000000002]);
  });

  it('rejects a source outside the allowed set with not_allowed', () => {
    const d = gridDetails(() => materializeGrid(sma(5, ['close', 'volume'])));
    expect(d).toEqual({
      indicatorId: 'ma.sma',
      field: 'source.values[1]',
      reason: 'not_allowed',
      value: 'volume',
      expected: ['close', 'hl2', 'hlc3', 'ohlc4', 'low', 'high', 'open'],
    });
  });

  it('rejects an enum value outside the allowed set with not_allowed', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'ma.enum_test', params: { mode: 'medium', window: 3 } }, enumRegistry));
    expect([d.field, d.reason, d.expected]).toEqual(['params.mode.values[0]', 'not_allowed', ['fast', 'slow']]);
  });

  it('rejects a zero range step with step_not_positive', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 5, stopIncl: 10, step: 0 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.step', 'step_not_positive', 0]);
  });

  it('rejects a negative float range step with step_not_positive', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 1, stopIncl: 2, step: -0.1 })));
    expect([d.field, d.reason]).toEqual(['params.mult.step', 'step_not_positive']);
  });

  it('rejects a range whose start is after stopIncl with start_after_stop', () => {
    const d = gridDetails(() => materializeGrid(sma({ mode: 'range', start: 20, stopIncl: 10, step: 1 })));
    expect([d.field, d.reason, d.value]).toEqual(['params.window.start', 'start_after_stop', 20]);
  });

  it('rejects a range of more than 1 000 000 values with too_many_values', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 0.1, stopIncl: 10, step: 0.000001 })));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'params.mult',
      reason: 'too_many_values',
      value: 9_900_001,
      expected: '<= 1000000 values',
    });
  });

  it('rejects an astronomically long range before building it', () => {
    const t0 = performance.now();
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 0.1, stopIncl: 10, step: 1e-300 })));
    expect(d.reason).toBe('too_many_values');
    expect(typeof d.value).toBe('string');
    expect(performance.now() - t0).toBeLessThan(200);
  });

  it('accepts a range of exactly 1 000 000 values', () => {
    const g = materializeGrid(
      { indicatorId: 'ma.wide', params: { n: { mode: 'range', start: 1, stopIncl: 1_000_000, step: 1 } } },
      wideRegistry,
    );
    expect(g.variants).toBe(1_000_000n);
  });

  it('rejects a range of 1 000 001 values', () => {
    const d = gridDetails(() =>
      materializeGrid({ indicatorId: 'ma.wide', params: { n: { mode: 'range', start: 0, stopIncl: 1_000_000, step: 1 } } }, wideRegistry),
    );
    expect([d.field, d.reason, d.value]).toEqual(['params.n', 'too_many_values', 1_000_001]);
  });

  it('rejects a misaligned range step with step_not_multiple', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 1, stopIncl: 2, step: 0.015 })));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'params.mult.step',
      reason: 'step_not_multiple',
      value: 0.015,
      expected: 'a multiple of 0.01',
    });
  });

  it('rejects a range step far smaller than the hard step with step_not_multiple', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 1, stopIncl: 1, step: 1e-12 })));
    expect(d.reason).toBe('step_not_multiple');
  });

  it('rejects a range start off the hard step grid with off_grid', () => {
    const d = gridDetails(() => materializeGrid(bb({ mode: 'range', start: 1.005, stopIncl: 2, step: 0.01 })));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'params.mult.start',
      reason: 'off_grid',
      value: 1.005,
      expected: '0.1 + k * 0.01',
    });
  });

  it('accepts an explicit float value off the step grid', () => {
    expect(valuesOf(bb([1.005]), 'mult')).toEqual([1.005]);
  });

  it('accepts a float range on the hard step grid', () => {
    expect(valuesOf(bb({ mode: 'range', start: 0.5, stopIncl: 4, step: 0.01 }), 'mult')).toHaveLength(351);
  });

  it('rejects an unknown layout with invalid_layout', () => {
    const d = gridDetails(() => materializeGrid({ indicatorId: 'volatility.tr', layout: 'ROW_MAJOR' as never }));
    expect(d).toEqual({
      indicatorId: 'volatility.tr',
      field: 'layout',
      reason: 'invalid_layout',
      value: 'ROW_MAJOR',
      expected: ['TIME_MAJOR', 'VARIANT_MAJOR'],
    });
  });

  it('checks axis values before the layout', () => {
    expect(
      gridDetails(() => materializeGrid({ indicatorId: 'ma.sma', source: 'close', params: { window: 1 }, layout: 'bad' as never })).reason,
    ).toBe('below_min');
  });

  it('checks axes in definition order', () => {
    // bbands: mult comes before source and window.
    const d = gridDetails(() => materializeGrid({ indicatorId: 'volatility.bbands', source: 'volume', params: { window: 1, mult: 0 } }));
    expect(d.field).toBe('params.mult.values[0]');
  });

  it('does not check per-variant rules while materialising', () => {
    expect(materializeGrid({ indicatorId: 'trend.psar', params: { accel_max: 0.01, accel_start: 0.5, accel_step: 0.02 } }).variants).toBe(
      1n,
    );
  });
});

describe('cartesian order (first axis slowest)', () => {
  const sma = materializeGrid({ indicatorId: 'ma.sma', source: ['open', 'close'], params: { window: [20, 10] } });

  it('enumerates ma.sma (open, close) x (20, 10) with the last axis fastest', () => {
    expect([0, 1, 2, 3].map((v) => variantValues(sma.axes, v))).toEqual([
      { source: 'open', window: 20 },
      { source: 'open', window: 10 },
      { source: 'close', window: 20 },
      { source: 'close', window: 10 },
    ]);
  });

  it('maps bbands variant 4 of 6 to (mult 2, close, window 20)', () => {
    const g = materializeGrid({ indicatorId: 'volatility.bbands', params: { mult: [1.5, 2], window: [10, 20, 30] }, source: ['close'] });
    expect(g.variants).toBe(6n);
    expect(variantValues(g.axes, 4)).toEqual({ mult: 2, source: 'close', window: 20 });
  });

  it('counts 1176 variants for six sources x window 5..200', () => {
    const g = materializeGrid({
      indicatorId: 'ma.sma',
      source: ['close', 'hlc3', 'ohlc4', 'low', 'high', 'open'],
      params: { window: { mode: 'range', start: 5, stopIncl: 200, step: 1 } },
    });
    expect(g.variants).toBe(1176n);
  });

  it('returns variant values with keys in axis order', () => {
    const g = materializeGrid({ indicatorId: 'volatility.bbands', params: { window: 10, mult: 2 }, source: 'close' });
    expect(Object.keys(variantValues(g.axes, 0))).toEqual(['mult', 'source', 'window']);
  });

  it('rejects a variant index outside [0, V)', () => {
    expect(() => variantValues(sma.axes, 4)).toThrow(RangeError);
  });

  it('inverts variantValues with variantIndex for every variant', () => {
    const g = materializeGrid({
      indicatorId: 'trend.ichimoku',
      params: { conversion_window: [9, 10], base_window: [26, 30, 34], span_b_window: [52], displacement: [26, 27] },
    });
    for (let v = 0; v < 12; v++) expect(variantIndex(g.indicatorId, g.axes, variantValues(g.axes, v))).toBe(v);
  });

  it('finds the index of an assignment given in any key order', () => {
    expect(variantIndex('ma.sma', sma.axes, { window: 10, source: 'close' })).toBe(3);
  });

  it('finds values on long axes', () => {
    const g = materializeGrid({
      indicatorId: 'ma.sma',
      source: 'close',
      params: { window: { mode: 'range', start: 2, stopIncl: 2000, step: 1 } },
    });
    expect(variantIndex('ma.sma', g.axes, { source: 'close', window: 1500 })).toBe(1498);
  });

  it('rejects a value not on its axis with not_allowed', () => {
    const d = gridDetails(() => variantIndex('ma.sma', sma.axes, { source: 'close', window: 30 }));
    expect([d.field, d.reason, d.value, d.expected]).toEqual(['params.window', 'not_allowed', 30, [20, 10]]);
  });

  it('compares values exactly, without normalising strings', () => {
    expect(gridDetails(() => variantIndex('ma.sma', sma.axes, { source: 'Close', window: 10 })).reason).toBe('not_allowed');
  });

  it('rejects an assignment without every axis with missing_axis', () => {
    const d = gridDetails(() => variantIndex('ma.sma', sma.axes, { window: 10 }));
    expect([d.field, d.reason]).toEqual(['source', 'missing_axis']);
  });

  it('rejects an assignment naming an unknown axis with unknown_axis', () => {
    const d = gridDetails(() => variantIndex('ma.sma', sma.axes, { source: 'close', window: 10, mult: 2 }));
    expect([d.reason, d.value, d.expected]).toEqual(['unknown_axis', ['mult'], ['source', 'window']]);
  });
});

describe('per-variant rules (trend.psar accel_max >= accel_start)', () => {
  it('accepts a psar grid where accel_max >= accel_start everywhere', () => {
    const g = materializeGrid({ indicatorId: 'trend.psar', params: { accel_max: [0.2, 0.3], accel_start: [0.02, 0.2], accel_step: 0.02 } });
    expect(() => checkVariantRules(g)).not.toThrow();
  });

  it('reports the first psar variant with accel_max < accel_start', () => {
    const g = materializeGrid({
      indicatorId: 'trend.psar',
      params: { accel_max: [0.2, 0.01], accel_start: [0.001, 0.02], accel_step: [0.02, 0.03] },
    });
    const d = gridDetails(() => checkVariantRules(g));
    expect(d).toEqual({
      indicatorId: 'trend.psar',
      field: 'variants[6]',
      reason: 'variant_rule',
      value: { accel_max: 0.01, accel_start: 0.02, accel_step: 0.02 },
      expected: 'accel_max >= accel_start',
    });
  });

  it('checks two million psar variants in well under a second', () => {
    const g = materializeGrid({
      indicatorId: 'trend.psar',
      params: {
        accel_max: { mode: 'range', start: 1, stopIncl: 5, step: 0.01 },
        accel_start: { mode: 'range', start: 0.001, stopIncl: 1, step: 0.001 },
        accel_step: { mode: 'range', start: 0.001, stopIncl: 0.005, step: 0.001 },
      },
    });
    expect(g.variants).toBe(2_005_000n);
    const t0 = performance.now();
    checkVariantRules(g);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('reports a violation late in a psar grid at its exact variant index', () => {
    const g = materializeGrid({
      indicatorId: 'trend.psar',
      params: { accel_max: [1, 0.04], accel_start: { mode: 'range', start: 0.001, stopIncl: 0.05, step: 0.001 }, accel_step: [0.02] },
    });
    // Variants 50..99 have accel_max 0.04; accel_start 0.041 is index 40 of its axis.
    expect(gridDetails(() => checkVariantRules(g)).field).toBe('variants[90]');
  });

  it('does nothing for indicators without a rule', () => {
    expect(() => checkVariantRules(materializeGrid({ indicatorId: 'volatility.tr' }))).not.toThrow();
  });
});
