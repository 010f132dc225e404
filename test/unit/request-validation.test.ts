/**
 * The whole compute / estimate request is checked at the boundary: every field of the wrong type or
 * out of range is a typed error naming the field and the value, and compute rejects (never throws
 * synchronously, never a TypeError from deep inside).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, GridValidationError } from '../../src/errors.js';
import { createEngine } from '../../src/runtime/engine.js';
import { estimate, estimateBatch } from '../../src/guards/index.js';
import { computeUnitValues } from '../../src/jobs/compute.js';
import { registry } from '../../src/registry/index.js';
import { engineOf, simpleCandles } from '../helpers/engine.js';
import { thrown } from '../helpers/errors.js';

const candles = simpleCandles(Array.from({ length: 40 }, (_, i) => 100 + Math.sin(i) * 5));
const grid = { indicatorId: 'ma.sma', source: 'close', params: { window: [2, 3, 4, 5, 6] } } as const;
const engine = () => engineOf('wasm-simd');

type Typed = Error & { code: string; details: Record<string, unknown> };

/** Calls `compute` and returns what it rejected with; fails when it threw synchronously or resolved. */
async function rejection(req: unknown): Promise<Typed> {
  let p: Promise<unknown>;
  try {
    p = engine().compute(req as never);
  } catch (e) {
    throw new Error(`compute threw synchronously instead of rejecting: ${String(e)}`);
  }
  try {
    await p;
  } catch (e) {
    return e as Typed;
  }
  throw new Error('expected a rejection, compute resolved');
}

describe('batchVariants of a compute request', () => {
  it.each([
    [1.5, 'not_integer'],
    [2.5, 'not_integer'],
    [NaN, 'non_finite'],
    [Infinity, 'non_finite'],
    [-Infinity, 'non_finite'],
    [0, 'below_min'],
    [-3, 'below_min'],
    [2 ** 53, 'not_integer'],
    ['4', 'wrong_type'],
    [null, 'wrong_type'],
    [true, 'wrong_type'],
  ])('rejects %s with GridValidationError reason %s', async (value, reason) => {
    const e = await rejection({ candles, grid, batchVariants: value });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.code).toBe('grid_invalid');
    expect(e.details).toEqual({ indicatorId: 'ma.sma', field: 'batchVariants', reason, value, expected: 'a positive safe integer' });
    expect(e.message).toMatch(/^batchVariants: /);
  });

  it('names the value in the message, NaN included', async () => {
    expect((await rejection({ candles, grid, batchVariants: NaN })).message).toContain('(got NaN)');
    expect((await rejection({ candles, grid, batchVariants: 1.5 })).message).toContain('(got 1.5)');
    expect((await rejection({ candles, grid, batchVariants: '4' })).message).toContain('(got "4")');
  });

  it('builds the message for values that have no string form (found by the fuzz suite)', async () => {
    const bare = Object.assign(Object.create(null) as object, { n: 3n });
    const e = await rejection({ candles, grid, batchVariants: bare });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.message).toContain('(got {"n":"3"})');
    const cyclic: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    cyclic.self = cyclic;
    expect((await rejection({ candles, grid, batchVariants: cyclic })).message).toContain('(got [object Object])');
  });

  it('accepts 1, 2 and a batch size above V, with the values of the unbatched compute', async () => {
    const whole = await engine().compute({ candles, grid });
    for (const b of [1, 2, 3, 1000]) {
      const got = await engine().compute({ candles, grid, batchVariants: b });
      expect(got.meta.batchVariants, `batchVariants ${b}`).toBe(Math.min(b, 5));
      expect(Array.from(got.outputs[0]!.values), `batchVariants ${b}`).toEqual(Array.from(whole.outputs[0]!.values));
    }
  });
});

describe('maxVariants of a compute request', () => {
  it.each([[1.5], [0], [-3], [NaN], [Infinity], ['4'], [2 ** 60]])('rejects %s with reason invalid_guard', async (value) => {
    const e = await rejection({ candles, grid, maxVariants: value });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ indicatorId: 'ma.sma', field: 'maxVariants', reason: 'invalid_guard' });
  });
});

describe('the other fields of a compute request', () => {
  it.each([undefined, null, 5, 'x', [1, 2]])('rejects a request that is %s', async (req) => {
    const e = await rejection(req);
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ indicatorId: '', field: 'request', reason: 'wrong_type' });
  });

  it('rejects a missing grid naming the field grid', async () => {
    const e = await rejection({ candles, grid: undefined });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ indicatorId: '', field: 'grid', reason: 'invalid_spec', value: null });
  });

  it.each([[5], ['ma.sma'], [[grid]]])('rejects a grid that is %j', async (g) => {
    const e = await rejection({ candles, grid: g });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ field: 'grid', reason: 'invalid_spec' });
  });

  it('rejects missing candles and candles that are not an object', async () => {
    for (const c of [undefined, null, 7, 'close']) {
      const e = await rejection({ candles: c, grid });
      expect(e, String(c)).toBeInstanceOf(GridValidationError);
      expect(e.details, String(c)).toMatchObject({ indicatorId: 'ma.sma', field: 'candles', reason: 'wrong_type' });
    }
  });

  it('rejects onProgress that is not a function', async () => {
    const e = await rejection({ candles, grid, onProgress: 5 });
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toEqual({ indicatorId: 'ma.sma', field: 'onProgress', reason: 'wrong_type', value: 5, expected: 'a function' });
  });

  it('rejects a signal that is not an AbortSignal', async () => {
    for (const s of [5, {}, { aborted: false }, 'stop']) {
      const e = await rejection({ candles, grid, signal: s });
      expect(e, JSON.stringify(s)).toBeInstanceOf(GridValidationError);
      expect(e.details, JSON.stringify(s)).toMatchObject({ field: 'signal', reason: 'wrong_type' });
    }
  });

  it('rejects a layout other than TIME_MAJOR or VARIANT_MAJOR', async () => {
    for (const l of ['time_major', 5, null]) {
      const e = await rejection({ candles, grid, layout: l });
      expect(e, String(l)).toBeInstanceOf(GridValidationError);
      expect(e.details, String(l)).toMatchObject({ field: 'layout', reason: 'invalid_layout' });
    }
  });

  it('rejects outputs that are not an array of strings', async () => {
    const a = await rejection({ candles, grid, outputs: 'value' });
    expect(a.details).toMatchObject({ field: 'outputs', reason: 'wrong_type', value: 'value' });
    const b = await rejection({ candles, grid, outputs: ['value', 3] });
    expect(b.details).toMatchObject({ field: 'outputs[1]', reason: 'wrong_type', value: 3 });
  });

  it('rejects an out that is not a tensor', async () => {
    for (const o of [5, 'x', null]) {
      const e = await rejection({ candles, grid, out: o });
      expect(e, String(o)).toBeInstanceOf(GridValidationError);
      expect(e.details, String(o)).toMatchObject({ field: 'out', reason: 'wrong_type' });
    }
  });

  it('accepts a real AbortSignal, a progress function and an explicit layout', async () => {
    const seen: number[] = [];
    const got = await engine().compute({
      candles,
      grid,
      layout: 'VARIANT_MAJOR',
      signal: new AbortController().signal,
      onProgress: (p) => seen.push(p.processed),
    });
    expect(got.layout).toBe('VARIANT_MAJOR');
    expect(seen.at(-1)).toBe(5);
  });
});

describe('estimate and estimateBatch options', () => {
  it('engine.estimate rejects options that are not an object', () => {
    const e = thrown(() => engine().estimate(grid, 100, 5 as never));
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e.details).toMatchObject({ indicatorId: 'ma.sma', field: 'opts', reason: 'wrong_type', value: 5 });
  });

  it('estimate rejects throwOnGuard that is not a boolean', () => {
    const e = thrown(() => estimate(grid, 100, { throwOnGuard: 'no' as never }));
    expect(e.details).toMatchObject({ field: 'throwOnGuard', reason: 'wrong_type', value: 'no' });
  });

  it('estimateBatch rejects options that are not an object and a fractional maxVariants', () => {
    const a = thrown(() => engine().estimateBatch([grid], 100, null as never));
    expect(a).toBeInstanceOf(GridValidationError);
    expect(a.details).toMatchObject({ field: 'opts', reason: 'wrong_type', value: null });
    const b = thrown(() => estimateBatch([grid], 100, { maxVariants: 2.5 }));
    expect(b.details).toMatchObject({ field: 'maxVariants', reason: 'invalid_guard', value: 2.5 });
  });
});

describe('engine-level batch settings', () => {
  it.each([1.5, 0, -3, NaN, '4'])('createEngine refuses batchVariants %s with ConfigError', (value) => {
    const e = thrown(() => createEngine({ env: 'test', threads: 1, batchVariants: value as never }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.details).toMatchObject({ key: 'batchVariants', source: 'option' });
  });
});

describe('engine options as a whole', () => {
  it.each([[null], [5], ['test'], [[1]]])('createEngine refuses options that are %j with ConfigError naming options', (value) => {
    const e = thrown(() => createEngine(value as never));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.details).toMatchObject({ key: 'options', source: 'option', value });
  });

  it('createEngine refuses an onWarning that is not a function', () => {
    const e = thrown(() => createEngine({ env: 'test', threads: 1, onWarning: 5 as never }));
    expect(e).toBeInstanceOf(ConfigError);
    expect(e.details).toMatchObject({ key: 'onWarning', source: 'option', value: 5, expected: 'a function' });
  });
});

describe('batchVariants of a jobs unit compute', () => {
  it.each([0, 1.5, -3, NaN])('computeUnitValues refuses %s with GridValidationError, not an untyped RangeError', async (value) => {
    const e = await computeUnitValues({
      engine: engine(),
      def: registry.get('ma.sma'),
      axes: [
        { name: 'source', kind: 'source', values: ['close'] },
        { name: 'window', kind: 'int', values: [2, 3] },
      ],
      outputs: ['value'],
      candles,
      start: 0,
      end: 2,
      batchVariants: value,
    }).then(
      () => null,
      (x: unknown) => x as Typed,
    );
    expect(e).toBeInstanceOf(GridValidationError);
    expect(e!.details).toMatchObject({ indicatorId: 'ma.sma', field: 'batchVariants', value });
  });
});
