import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { DefaultsValidationError, GridValidationError, UnknownIndicatorError } from '../../src/errors.js';
import { materializeGrid } from '../../src/grid/axes.js';
import { createRegistry, defineIndicator, registry } from '../../src/registry/index.js';
import { defaultGrid, mergedIndicatorViews, validateDefaults, type ValidatedDefaults } from '../../src/runtime/defaults.js';
import { thrown } from '../helpers/errors.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ENVS = ['dev', 'test', 'prod'] as const;
const CONFIG = '/app/configs/dev/indicators.yaml';
const SRC6 = ['close', 'hlc3', 'ohlc4', 'low', 'high', 'open'];

const spec = parse(readFileSync(join(ROOT, 'spec', 'indicators.yaml'), 'utf8')) as {
  indicators: Record<string, { defaults: Record<string, unknown> }>;
};
const shipped = (env: string): Record<string, unknown> => parse(readFileSync(join(ROOT, 'configs', env, 'indicators.yaml'), 'utf8'));

/** A document with one `defaults` section. */
const doc = (defaults: unknown): unknown => ({ schema_version: 1, defaults });
const sma = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  inputs: { source: { mode: 'explicit', values: ['close'] } },
  params: { window: { mode: 'range', start: 5, stop_incl: 50, step: 1 } },
  ...extra,
});

function violation(document: unknown, reg = registry): DefaultsValidationError['details'] {
  try {
    validateDefaults(document, CONFIG, reg);
  } catch (e) {
    expect(e, 'a DefaultsValidationError').toBeInstanceOf(DefaultsValidationError);
    expect((e as DefaultsValidationError).code).toBe('defaults_invalid');
    return (e as DefaultsValidationError).details;
  }
  throw new Error('expected a DefaultsValidationError, the document was accepted');
}

const expectViolation = (
  document: unknown,
  yamlPath: string,
  indicatorId: string | null,
  name: string | null,
  expected: string,
  actual: string,
  reg = registry,
): void => {
  expect(violation(document, reg)).toEqual({ configPath: CONFIG, yamlPath, indicatorId, name, expected, actual });
};

/** A registry with what the real one lacks: an enum param and an int param with a hard step of 2. */
const fakeRegistry = createRegistry([
  defineIndicator({
    id: 'structure.fake',
    group: 'structure',
    title: 'Fake',
    inputs: ['close'],
    sourceValues: null,
    params: [
      { name: 'style', kind: 'enum', enumValues: ['fast', 'slow'], default: 'fast' },
      { name: 'span', kind: 'int', min: 2, max: 100, step: 2, default: 10 },
    ],
    axes: ['style', 'span'],
    outputs: ['value'],
    warmup: { value: '0' },
    kernel: null,
    doc: 'test only',
  }),
]);

describe('shipped configs', () => {
  it.each(ENVS)('%s defaults are exactly the spec defaults.%s grids', (env) => {
    const want = Object.fromEntries(
      Object.entries(spec.indicators)
        .filter(([, d]) => d.defaults[env] !== null)
        .map(([id, d]) => [id, d.defaults[env]]),
    );
    const got = shipped(env).defaults as Record<string, unknown>;
    expect(Object.keys(got)).toEqual(Object.keys(want));
    expect(got).toEqual(want);
  });

  it.each(ENVS)('%s passes validation against the registry', (env) => {
    const v = validateDefaults(shipped(env), `/x/${env}.yaml`);
    expect(v.indicators.size).toBe(Object.values(spec.indicators).filter((d) => d.defaults[env] !== null).length);
  });

  it('are what scripts/gen-configs.mjs writes', () => {
    expect(() => execFileSync(process.execPath, [join(ROOT, 'scripts', 'gen-configs.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });

  it.each(ENVS)('every %s default grid materialises with the grid builder', (env) => {
    const v = validateDefaults(shipped(env), `/x/${env}.yaml`);
    for (const id of v.indicators.keys()) {
      expect(() => materializeGrid(defaultGrid(v, id)), id).not.toThrow();
    }
  });
});

describe('document shape', () => {
  it('rejects a document that is not a mapping', () => {
    expectViolation(['a'], '(document)', null, null, 'a mapping with schema_version: 1', 'a list');
    expectViolation(null, '(document)', null, null, 'a mapping with schema_version: 1', 'an empty document');
  });
  it('rejects a missing schema_version', () => {
    expectViolation({ defaults: {} }, 'schema_version', null, null, 'the integer 1', 'missing');
  });
  it('rejects a schema_version other than the integer 1', () => {
    expectViolation({ schema_version: '1' }, 'schema_version', null, null, 'the integer 1', '"1"');
    expectViolation({ schema_version: 2 }, 'schema_version', null, null, 'the integer 1', '2');
  });
  it('rejects a defaults section that is not a mapping', () => {
    expectViolation(doc(['ma.sma']), 'defaults', null, null, 'a mapping of indicator id -> grid defaults', 'a list');
  });
  it('accepts an absent or empty defaults section', () => {
    expect(validateDefaults({ schema_version: 1 }, CONFIG).indicators.size).toBe(0);
    expect(validateDefaults(doc(null), CONFIG).indicators.size).toBe(0);
    expect(validateDefaults(doc({}), CONFIG).indicators.size).toBe(0);
  });
});

describe('indicator entries', () => {
  it('rejects an entry that is not a mapping', () => {
    expectViolation(doc({ 'ma.sma': null }), 'defaults.ma.sma', 'ma.sma', null, 'a mapping with inputs, params or signals', 'null');
  });
  it('rejects a key other than inputs, params, signals', () => {
    expectViolation(
      doc({ 'ma.sma': sma({ grid: 1 }) }),
      'defaults.ma.sma.grid',
      'ma.sma',
      null,
      'only the keys inputs, params, signals',
      'the key "grid"',
    );
  });
  it('rejects params that are not a mapping', () => {
    expectViolation(doc({ 'ma.sma': { params: [1] } }), 'defaults.ma.sma.params', 'ma.sma', null, 'a mapping of name -> spec', 'a list');
  });
  it('ignores signals', () => {
    expect(
      validateDefaults(doc({ 'ma.sma': sma({ signals: { anything: [1, { x: 2 }] } }) }), CONFIG).indicators.get('ma.sma')!.params.window,
    ).toEqual({ mode: 'range', start: 5, stopIncl: 50, step: 1 });
  });
});

describe('specs', () => {
  const window = (spec: unknown): unknown => doc({ 'ma.sma': sma({ params: { window: spec } }) });
  const P = 'defaults.ma.sma.params.window';

  it('rejects a spec that is not a mapping', () => {
    expectViolation(window([10]), P, 'ma.sma', 'window', 'a spec mapping with mode explicit or range', 'a list');
  });
  it('rejects a missing or unknown mode', () => {
    expectViolation(window({ values: [10] }), `${P}.mode`, 'ma.sma', 'window', 'explicit or range', 'missing');
    expectViolation(window({ mode: 'list', values: [10] }), `${P}.mode`, 'ma.sma', 'window', 'explicit or range', '"list"');
  });
  it('accepts a mode in any case with blanks around it', () => {
    expect(validateDefaults(window({ mode: ' Explicit ', values: [10] }), CONFIG).indicators.get('ma.sma')!.params.window).toEqual({
      mode: 'explicit',
      values: [10],
    });
  });
  it('rejects an empty values list', () => {
    expectViolation(
      window({ mode: 'explicit', values: [] }),
      `${P}.values`,
      'ma.sma',
      'window',
      'a non-empty list of scalars',
      'an empty list',
    );
  });
  it('rejects a boolean value', () => {
    expectViolation(
      window({ mode: 'explicit', values: [10, true] }),
      `${P}.values[1]`,
      'ma.sma',
      'window',
      'a scalar (integer, float or string)',
      'true',
    );
  });
  it('rejects a non-numeric range bound', () => {
    expectViolation(window({ mode: 'range', start: '5', stop_incl: 50, step: 1 }), `${P}.start`, 'ma.sma', 'window', 'a number', '"5"');
    expectViolation(window({ mode: 'range', start: 5, step: 1 }), `${P}.stop_incl`, 'ma.sma', 'window', 'a number', 'missing');
  });
  it('rejects a key that does not belong to the mode', () => {
    expectViolation(
      window({ mode: 'range', start: 5, stop: 50, step: 1 }),
      `${P}.stop`,
      'ma.sma',
      'window',
      'only the keys mode, start, stop_incl, step in a range spec',
      'the key "stop"',
    );
  });
  it('checks the shape of every entry before any registry rule', () => {
    expectViolation(
      doc({ 'aaa.unknown': {}, 'ma.sma': sma({ params: { window: { mode: 'explicit', values: [] } } }) }),
      `${P}.values`,
      'ma.sma',
      'window',
      'a non-empty list of scalars',
      'an empty list',
    );
  });
});

describe('indicator ids', () => {
  it('rejects an id the registry does not know', () => {
    expectViolation(doc({ 'ma.smaa': sma() }), 'defaults.ma.smaa', 'ma.smaa', null, 'a registered indicator id', '"ma.smaa"');
  });
  it('visits ids in sorted order', () => {
    const d = violation(doc({ 'ma.sma': sma({ params: { length: { mode: 'explicit', values: [5] } } }), 'aaa.x': {} }));
    expect(d.yamlPath).toBe('defaults.aaa.x');
  });
});

describe('the source input', () => {
  const source = (spec: unknown, id = 'ma.sma'): unknown => doc({ [id]: sma({ inputs: { source: spec } }) });
  const P = 'defaults.ma.sma.inputs.source';

  it('rejects an input name other than source', () => {
    expectViolation(
      doc({ 'ma.sma': sma({ inputs: { src: { mode: 'explicit', values: ['close'] } } }) }),
      'defaults.ma.sma.inputs.src',
      'ma.sma',
      'src',
      'source, the only input name',
      '"src"',
    );
  });
  it('rejects a source for an indicator without a source axis', () => {
    expectViolation(
      doc({ 'ma.vwma': { inputs: { source: { mode: 'explicit', values: ['close'] } } } }),
      'defaults.ma.vwma.inputs.source',
      'ma.vwma',
      'source',
      'no inputs (ma.vwma has no source axis)',
      '"source"',
    );
  });
  it('rejects a range on the source axis', () => {
    expectViolation(source({ mode: 'range', start: 1, stop_incl: 2, step: 1 }), `${P}.mode`, 'ma.sma', 'source', 'explicit', '"range"');
  });
  it('rejects a source value outside the definition', () => {
    expectViolation(
      doc({ 'volatility.bbands': { inputs: { source: { mode: 'explicit', values: ['close', 'hl2'] } } } }),
      'defaults.volatility.bbands.inputs.source.values[1]',
      'volatility.bbands',
      'source',
      `one of ${SRC6.join(', ')}`,
      '"hl2"',
    );
  });
  it('rejects a duplicate after trimming and lower-casing', () => {
    expectViolation(
      source({ mode: 'explicit', values: ['close', 'high', ' CLOSE'] }),
      `${P}.values[2]`,
      'ma.sma',
      'source',
      'unique values',
      '" CLOSE"',
    );
  });
  it('rejects a blank and a non-string value', () => {
    expectViolation(source({ mode: 'explicit', values: ['  '] }), `${P}.values[0]`, 'ma.sma', 'source', 'a non-empty string', '"  "');
    expectViolation(source({ mode: 'explicit', values: [1] }), `${P}.values[0]`, 'ma.sma', 'source', 'a string', '1');
  });
  it('normalises accepted values', () => {
    expect(validateDefaults(source({ mode: 'explicit', values: [' Close', 'HL2'] }), CONFIG).indicators.get('ma.sma')!.source).toEqual({
      mode: 'explicit',
      values: ['close', 'hl2'],
    });
  });
  it('checks inputs before params', () => {
    const d = violation(
      doc({ 'ma.sma': { inputs: { source: { mode: 'explicit', values: ['x'] } }, params: { length: { mode: 'explicit', values: [1] } } } }),
    );
    expect(d.yamlPath).toBe(`${P}.values[0]`);
  });
});

describe('param names', () => {
  it('rejects a param the definition does not have', () => {
    expectViolation(
      doc({ 'ma.sma': sma({ params: { length: { mode: 'explicit', values: [10] } } }) }),
      'defaults.ma.sma.params.length',
      'ma.sma',
      'length',
      'one of window',
      '"length"',
    );
  });
  it('names the lack of params for an indicator without any', () => {
    expectViolation(
      doc({ 'volatility.tr': { params: { window: { mode: 'explicit', values: [10] } } } }),
      'defaults.volatility.tr.params.window',
      'volatility.tr',
      'window',
      'no params (volatility.tr has none)',
      '"window"',
    );
  });
  it('visits params in sorted order', () => {
    const d = violation(
      doc({ 'trend.adx': { params: { window: { mode: 'explicit', values: [1] }, smoothing: { mode: 'explicit', values: [1] } } } }),
    );
    expect(d.yamlPath).toBe('defaults.trend.adx.params.smoothing.values[0]');
  });
});

describe('enum params', () => {
  const style = (spec: unknown): unknown =>
    doc({ 'structure.fake': { params: { style: spec, span: { mode: 'explicit', values: [10] } } } });
  const P = 'defaults.structure.fake.params.style';

  it('rejects a range', () => {
    expectViolation(
      style({ mode: 'range', start: 1, stop_incl: 2, step: 1 }),
      `${P}.mode`,
      'structure.fake',
      'style',
      'explicit',
      '"range"',
      fakeRegistry,
    );
  });
  it('rejects a value outside enumValues', () => {
    expectViolation(
      style({ mode: 'explicit', values: ['fast', 'medium'] }),
      `${P}.values[1]`,
      'structure.fake',
      'style',
      'one of fast, slow',
      '"medium"',
      fakeRegistry,
    );
  });
  it('accepts values in any case', () => {
    expect(
      validateDefaults(style({ mode: 'explicit', values: ['SLOW', 'fast'] }), CONFIG, fakeRegistry).indicators.get('structure.fake')!.params
        .style,
    ).toEqual({ mode: 'explicit', values: ['slow', 'fast'] });
  });
});

describe('int params', () => {
  const window = (spec: unknown): unknown => doc({ 'ma.sma': sma({ params: { window: spec } }) });
  const span = (spec: unknown): unknown =>
    doc({ 'structure.fake': { params: { style: { mode: 'explicit', values: ['fast'] }, span: spec } } });
  const P = 'defaults.ma.sma.params.window';
  const S = 'defaults.structure.fake.params.span';

  it('rejects a non-integer value', () => {
    expectViolation(window({ mode: 'explicit', values: [10, 10.5] }), `${P}.values[1]`, 'ma.sma', 'window', 'an integer', '10.5');
    expectViolation(window({ mode: 'range', start: 5, stop_incl: 50, step: 1.5 }), `${P}.step`, 'ma.sma', 'window', 'an integer', '1.5');
  });
  it('rejects a duplicate explicit value', () => {
    expectViolation(window({ mode: 'explicit', values: [10, 20, 10] }), `${P}.values[2]`, 'ma.sma', 'window', 'unique values', '10');
  });
  it('rejects a step that is not positive', () => {
    expectViolation(window({ mode: 'range', start: 5, stop_incl: 50, step: 0 }), `${P}.step`, 'ma.sma', 'window', 'a step > 0', '0');
  });
  it('rejects start after stop_incl', () => {
    expectViolation(
      window({ mode: 'range', start: 60, stop_incl: 50, step: 1 }),
      `${P}.start`,
      'ma.sma',
      'window',
      'a start <= stop_incl (50)',
      '60',
    );
  });
  it('rejects a step that is not a multiple of the hard step', () => {
    expectViolation(
      span({ mode: 'range', start: 2, stop_incl: 20, step: 3 }),
      `${S}.step`,
      'structure.fake',
      'span',
      'a multiple of the hard step 2',
      '3',
      fakeRegistry,
    );
  });
  it('rejects values outside [min, max]', () => {
    expectViolation(
      window({ mode: 'range', start: 1, stop_incl: 50, step: 1 }),
      `${P}.start`,
      'ma.sma',
      'window',
      'a value in [2, 2000]',
      '1',
    );
    expectViolation(window({ mode: 'explicit', values: [10, 2001] }), `${P}.values[1]`, 'ma.sma', 'window', 'a value in [2, 2000]', '2001');
  });
  it('rejects values off the hard step grid, explicit ones included', () => {
    expectViolation(
      span({ mode: 'explicit', values: [4, 7] }),
      `${S}.values[1]`,
      'structure.fake',
      'span',
      'a value on the hard step grid 2 + k * 2',
      '7',
      fakeRegistry,
    );
    expectViolation(
      span({ mode: 'range', start: 2, stop_incl: 21, step: 2 }),
      `${S}.stop_incl`,
      'structure.fake',
      'span',
      'a value on the hard step grid 2 + k * 2',
      '21',
      fakeRegistry,
    );
  });
});

describe('float params', () => {
  const mult = (spec: unknown): unknown =>
    doc({
      'volatility.bbands': {
        inputs: { source: { mode: 'explicit', values: ['close'] } },
        params: { mult: spec, window: { mode: 'explicit', values: [20] } },
      },
    });
  const P = 'defaults.volatility.bbands.params.mult';
  const fail = (spec: unknown, path: string, expected: string, actual: string): void =>
    expectViolation(mult(spec), `${P}${path}`, 'volatility.bbands', 'mult', expected, actual);

  it('rejects a non-numeric value', () => fail({ mode: 'explicit', values: [2, '2.5'] }, '.values[1]', 'a finite number', '"2.5"'));
  it('rejects duplicates by numeric equality', () => fail({ mode: 'explicit', values: [2, 1.5, 2.0] }, '.values[2]', 'unique values', '2'));
  it('rejects a step that is not positive', () =>
    fail({ mode: 'range', start: 0.5, stop_incl: 1, step: -0.01 }, '.step', 'a step > 0', '-0.01'));
  it('rejects start after stop_incl', () =>
    fail({ mode: 'range', start: 2, stop_incl: 1, step: 0.01 }, '.start', 'a start <= stop_incl (1)', '2'));
  it('rejects a step that is not a multiple of the hard step', () =>
    fail({ mode: 'range', start: 0.5, stop_incl: 1, step: 0.015 }, '.step', 'a multiple of the hard step 0.01', '0.015'));
  it('rejects a value above max beyond the tolerance', () =>
    fail({ mode: 'range', start: 0.5, stop_incl: 10.01, step: 0.01 }, '.stop_incl', 'a value in [0.1, 10]', '10.01'));
  it('rejects a value off the hard step grid', () =>
    fail({ mode: 'explicit', values: [2, 0.105] }, '.values[1]', 'a value on the hard step grid 0.1 + k * 0.01', '0.105'));
  it('accepts binary rounding within 1e-9', () => {
    const v = validateDefaults(mult({ mode: 'range', start: 0.1 + 0.2, stop_incl: 4.0, step: 0.03 }), CONFIG);
    expect(v.indicators.get('volatility.bbands')!.params.mult).toEqual({ mode: 'range', start: 0.1 + 0.2, stopIncl: 4, step: 0.03 });
  });
});

it('formats the message with path, id, name, expected and actual', () => {
  try {
    validateDefaults(doc({ 'ma.sma': sma({ params: { window: { mode: 'explicit', values: [10, 10] } } }) }), CONFIG);
    expect.unreachable();
  } catch (e) {
    expect((e as Error).message).toBe(
      `${CONFIG}: defaults.ma.sma.params.window.values[1] (indicator_id=ma.sma, name=window) expected unique values, got 10`,
    );
  }
});

describe('mergedIndicatorViews', () => {
  const test = validateDefaults(shipped('test'), '/x/test.yaml');

  it('lists every definition sorted by id with TIME_MAJOR and its defaults', () => {
    const views = mergedIndicatorViews(test);
    expect(views.map((v) => v.id)).toEqual(registry.list().map((d) => d.id));
    expect(views.length).toBe(64);
    const ema = views.find((v) => v.id === 'ma.ema')!;
    expect(ema.defaultLayout).toBe('TIME_MAJOR');
    expect(ema.axes).toEqual(registry.get('ma.ema').axes);
    expect(ema.defaults).toEqual({
      source: { mode: 'explicit', values: ['close'] },
      params: { window: { mode: 'explicit', values: [10] } },
    });
  });

  it('gives ids without defaults empty params', () => {
    expect(mergedIndicatorViews(test).find((v) => v.id === 'structure.pivot_high')!.defaults).toEqual({ params: {} });
  });
});

describe('defaultGrid', () => {
  const test = validateDefaults(shipped('test'), '/x/test.yaml');
  const prod = validateDefaults(shipped('prod'), '/x/prod.yaml');
  const none: ValidatedDefaults = validateDefaults(doc({}), CONFIG);

  const gridError = (fn: () => unknown): GridValidationError => thrown<GridValidationError>(fn, GridValidationError);

  it('builds every axis from the YAML defaults', () => {
    expect(defaultGrid(test, 'ma.sma')).toEqual({
      indicatorId: 'ma.sma',
      source: { mode: 'explicit', values: ['close'] },
      params: { window: { mode: 'explicit', values: [10] } },
    });
  });

  it('turns YAML stop_incl into stopIncl', () => {
    expect(defaultGrid(prod, 'volatility.bbands').params).toEqual({
      mult: { mode: 'range', start: 0.5, stopIncl: 4, step: 0.01 },
      window: { mode: 'range', start: 5, stopIncl: 120, step: 1 },
    });
  });

  it('lets an override win per axis and keeps the others', () => {
    const g = defaultGrid(prod, ' Volatility.BBands ', { params: { window: [20] }, layout: 'VARIANT_MAJOR' });
    expect(g.indicatorId).toBe('volatility.bbands');
    expect(g.params!.window).toEqual([20]);
    expect(g.params!.mult).toEqual({ mode: 'range', start: 0.5, stopIncl: 4, step: 0.01 });
    expect(g.source).toEqual({ mode: 'explicit', values: SRC6 });
    expect(g.layout).toBe('VARIANT_MAJOR');
    expect(defaultGrid(test, 'ma.sma', { source: 'open' }).source).toBe('open');
  });

  it('returns an empty params object for an indicator without axes', () => {
    expect(defaultGrid(test, 'volatility.tr')).toEqual({ indicatorId: 'volatility.tr', params: {} });
  });

  it('reports missing_axis for a param with neither override nor default', () => {
    const e = gridError(() => defaultGrid(test, 'structure.pivot_high', { params: { left: 5 } }));
    expect(e.details).toMatchObject({ indicatorId: 'structure.pivot_high', field: 'params.right', reason: 'missing_axis' });
  });

  it('reports source_required for the source axis', () => {
    const e = gridError(() => defaultGrid(none, 'ma.sma', { params: { window: 10 } }));
    expect(e.details).toMatchObject({ indicatorId: 'ma.sma', field: 'source', reason: 'source_required' });
    expect(defaultGrid(none, 'ma.sma', { source: ['close'], params: { window: 10 } }).params).toEqual({ window: 10 });
  });

  it('reports unknown_axis and source_not_supported for overrides the indicator lacks', () => {
    expect(gridError(() => defaultGrid(test, 'ma.sma', { params: { length: 5 } })).details).toMatchObject({
      reason: 'unknown_axis',
      value: ['length'],
    });
    expect(gridError(() => defaultGrid(test, 'ma.vwma', { source: 'close' })).details).toMatchObject({ reason: 'source_not_supported' });
  });

  it('throws UnknownIndicatorError for an unknown id', () => {
    expect(() => defaultGrid(test, 'ma.nope')).toThrow(UnknownIndicatorError);
  });
});
