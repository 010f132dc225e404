import { describe, expect, it } from 'vitest';
import { GridtaError } from '../../src/errors.js';
import { registry } from '../../src/registry/index.js';
import {
  ArrowExportUnavailableError,
  createTensor,
  DEFAULT_MAX_COMPUTE_BYTES_TOTAL,
  tensorExportBudget,
  type IndicatorTensor,
  type TensorExporters,
} from '../../src/compute/tensor.js';
import { BBANDS_AXES, knownValue, makeTensor, SMA_AXES, TS0 } from './tensor-fixture.js';
import { gridDetails, thrown } from '../helpers/errors.js';

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('IndicatorTensor shape and addressing', () => {
  const tm = makeTensor({ layout: 'TIME_MAJOR' });
  const vm = makeTensor({ layout: 'VARIANT_MAJOR' });

  it('has shape [T, V] for TIME_MAJOR and [V, T] for VARIANT_MAJOR', () => {
    expect(tm.shape).toEqual([3, 4]);
    expect(vm.shape).toEqual([4, 3]);
    expect(tm.layout).toBe('TIME_MAJOR');
    expect(vm.layout).toBe('VARIANT_MAJOR');
  });

  it('stores (t, v) at t * V + v in TIME_MAJOR and at v * T + t in VARIANT_MAJOR', () => {
    // (t = 2, v = 3): 10 * 3 + 2 + 0.25
    expect(tm.values[2 * 4 + 3]).toBe(32.25);
    expect(vm.values[3 * 3 + 2]).toBe(32.25);
    expect(Array.from(tm.values.subarray(0, 4))).toEqual([0.25, NaN, 20.25, 30.25]);
    expect(Array.from(vm.values.subarray(0, 3))).toEqual([0.25, 1.25, 2.25]);
  });

  it('get(t, v) returns the same value in both layouts for every t and v', () => {
    for (let t = 0; t < 3; t++) {
      for (let v = 0; v < 4; v++) {
        const want = knownValue(0, t, v);
        expect(same(tm.get(t, v), want), `TIME_MAJOR (${t}, ${v})`).toBe(true);
        expect(same(vm.get(t, v), want), `VARIANT_MAJOR (${t}, ${v})`).toBe(true);
      }
    }
    expect(tm.get(0, 1)).toBeNaN();
  });

  it('values is the primary output array and tsOpen is the timeline given, not a copy', () => {
    expect(tm.values).toBe(tm.outputs[0]!.values);
    expect(tm.outputs.map((o) => o.name)).toEqual(['value']);
    expect(Array.from(tm.tsOpen)).toEqual([BigInt(TS0), BigInt(TS0 + 60_000), BigInt(TS0 + 120_000)]);
    const tsOpen = new BigInt64Array([1n, 2n, 3n]);
    const values = new Float32Array(12);
    const t = createTensor({
      def: registry.get('ma.sma'),
      axes: SMA_AXES,
      layout: 'TIME_MAJOR',
      t: 3,
      variants: 4,
      outputs: [{ name: 'value', values }],
      tsOpen,
      meta: tm.meta,
      maxComputeBytesTotal: 1000,
    });
    expect(t.tsOpen).toBe(tsOpen);
    expect(t.values).toBe(values);
    expect(t.indicatorId).toBe('ma.sma');
  });

  it('is frozen plain data: the tensor, its outputs, axes, shape and meta cannot be changed', () => {
    for (const o of [tm, tm.outputs, tm.outputs[0], tm.axes, tm.axes[0], tm.axes[0]!.values, tm.shape, tm.meta, tm.meta.lookAheadOutputs]) {
      expect(Object.isFrozen(o)).toBe(true);
    }
    expect(() => {
      (tm as { layout: string }).layout = 'VARIANT_MAJOR';
    }).toThrow(TypeError);
    expect(() => {
      (tm.meta as { t: number }).t = 9;
    }).toThrow(TypeError);
  });

  it('keeps the meta it was given, with nanPolicy propagate', () => {
    expect(tm.meta).toMatchObject({
      t: 3,
      variants: 4,
      outputs: 1,
      nanPolicy: 'propagate',
      engine: 'reference',
      instrumentId: '1:BTCUSDT',
      timeframe: '1m',
      timeline: 'dense',
      start: TS0,
      end: TS0 + 180_000,
      lookAheadOutputs: [],
    });
  });

  it('rejects out-of-range or non-integer indices in get with RangeError', () => {
    expect(() => tm.get(3, 0)).toThrow(RangeError);
    expect(() => tm.get(-1, 0)).toThrow(RangeError);
    expect(() => tm.get(0, 4)).toThrow(RangeError);
    expect(() => tm.get(0, 1.5)).toThrow(RangeError);
    expect(() => vm.get(0, Number.NaN)).toThrow(/variant index must be an integer in \[0, 4\) \(got NaN\)/);
    expect(() => vm.get(7, 0)).toThrow(/bar index must be an integer in \[0, 3\) \(got 7\)/);
  });
});

describe('IndicatorTensor outputs', () => {
  const bb = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, layout: 'VARIANT_MAJOR' });

  it('returns every output by name, primary first', () => {
    expect(bb.outputs.map((o) => o.name)).toEqual(['basis', 'upper', 'lower']);
    expect(bb.output('lower')).toBe(bb.outputs[2]!.values);
    expect(bb.values).toBe(bb.output('basis'));
  });

  it('get and series read the named output', () => {
    expect(bb.get(2, 5, 'upper')).toBe(knownValue(1, 2, 5));
    expect(bb.get(2, 5, 'lower')).toBe(252.25);
    expect(bb.get(2, 5)).toBe(52.25);
    expect(Array.from(bb.series(5, 'lower'))).toEqual([250.25, 251.25, 252.25]);
  });

  it('rejects an unknown output name with GridValidationError unknown_output', () => {
    const d = gridDetails(() => bb.output('middle'));
    expect(d).toEqual({
      indicatorId: 'volatility.bbands',
      field: 'outputs',
      reason: 'unknown_output',
      value: 'middle',
      expected: ['basis', 'upper', 'lower'],
    });
    expect(gridDetails(() => bb.get(0, 0, 'middle')).reason).toBe('unknown_output');
    expect(gridDetails(() => bb.series(0, 'middle')).reason).toBe('unknown_output');
  });
});

describe('IndicatorTensor.series', () => {
  it('returns a view on the output for VARIANT_MAJOR', () => {
    const vm = makeTensor({ layout: 'VARIANT_MAJOR' });
    const s = vm.series(2);
    expect(Array.from(s)).toEqual([20.25, 21.25, 22.25]);
    expect(s.buffer).toBe(vm.values.buffer);
    expect(s.byteOffset).toBe(2 * 3 * 4);
  });

  it('returns a fresh copy for TIME_MAJOR', () => {
    const tm = makeTensor({ layout: 'TIME_MAJOR' });
    const s = tm.series(2);
    expect(Array.from(s)).toEqual([20.25, 21.25, 22.25]);
    expect(s.buffer).not.toBe(tm.values.buffer);
    s[0] = 99;
    expect(tm.get(0, 2)).toBe(20.25);
  });

  it('keeps NaN in the series', () => {
    expect(Array.from(makeTensor({ layout: 'TIME_MAJOR' }).series(1))).toEqual([NaN, 11.25, 12.25]);
    expect(Array.from(makeTensor({ layout: 'VARIANT_MAJOR' }).series(1))).toEqual([NaN, 11.25, 12.25]);
  });

  it('rejects a variant index out of range with RangeError', () => {
    expect(() => makeTensor().series(4)).toThrow(RangeError);
  });
});

describe('IndicatorTensor variant helpers', () => {
  const tm = makeTensor();

  it('variantValues inverts the cartesian order, keys in axis order', () => {
    expect(tm.variantValues(0)).toEqual({ source: 'open', window: 20 });
    expect(tm.variantValues(1)).toEqual({ source: 'open', window: 10 });
    expect(tm.variantValues(2)).toEqual({ source: 'close', window: 20 });
    expect(tm.variantValues(3)).toEqual({ source: 'close', window: 10 });
    expect(Object.keys(tm.variantValues(3))).toEqual(['source', 'window']);
    expect(() => tm.variantValues(4)).toThrow(RangeError);
  });

  it('variantValues of bbands variant 5 is (mult 2, close, window 20)', () => {
    const bb = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES });
    expect(bb.variantValues(5)).toEqual({ mult: 2, source: 'close', window: 20 });
    expect(bb.variantValues(6)).toEqual({ mult: 2, source: 'hlc3', window: 10 });
  });

  it('variantIndex maps a full assignment back to its index', () => {
    expect(tm.variantIndex({ source: 'close', window: 20 })).toBe(2);
    expect(tm.variantIndex({ window: 10, source: 'open' })).toBe(1);
    for (let v = 0; v < 4; v++) expect(tm.variantIndex(tm.variantValues(v))).toBe(v);
  });

  it('variantIndex rejects a value not on its axis, a missing axis and an unknown axis', () => {
    expect(gridDetails(() => tm.variantIndex({ source: 'close', window: 30 }))).toMatchObject({
      indicatorId: 'ma.sma',
      field: 'params.window',
      reason: 'not_allowed',
      value: 30,
    });
    expect(gridDetails(() => tm.variantIndex({ source: 'hl2', window: 20 }))).toMatchObject({
      field: 'source',
      reason: 'not_allowed',
      value: 'hl2',
    });
    expect(gridDetails(() => tm.variantIndex({ source: 'close', window: '20' as unknown as number }))).toMatchObject({
      reason: 'not_allowed',
      value: '20',
    });
    expect(gridDetails(() => tm.variantIndex({ source: 'close' }))).toMatchObject({ field: 'params.window', reason: 'missing_axis' });
    expect(gridDetails(() => tm.variantIndex({ source: 'close', window: 20, mult: 2 }))).toMatchObject({
      reason: 'unknown_axis',
      value: ['mult'],
    });
  });

  it('variantKey of ma.sma (close, 36) on 1:BTCUSDT 1m is the key test vector', () => {
    const t = makeTensor({
      axes: [
        { name: 'source', kind: 'source', values: ['open', 'close'] },
        { name: 'window', kind: 'int', values: [20, 36] },
      ],
    });
    expect(t.variantValues(3)).toEqual({ source: 'close', window: 36 });
    expect(t.variantKeyPayload(3)).toBe(
      '{"indicators":[{"id":"ma.sma","inputs":[["source","close"]],"params":[["window",36]]}],"instrument_id":"1:BTCUSDT","schema_version":1,"timeframe":"1m"}',
    );
    expect(t.variantKey(3)).toBe('18fef2c6d92a7f3eaaa8c183353cd6d4f4827cd0b1a800cb91e06bbcb976d80e');
  });

  it('variantKey of bbands (close, mult 2, window 20) is the key test vector', () => {
    const bb = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES });
    expect(bb.variantKeyPayload(5)).toBe(
      '{"indicators":[{"id":"volatility.bbands","inputs":[["source","close"]],"params":[["mult",2.0],["window",20]]}],"instrument_id":"1:BTCUSDT","schema_version":1,"timeframe":"1m"}',
    );
    expect(bb.variantKey(5)).toBe('6da4adea9b5a0b5a3d5a1c3c5f1025d0c293bf9210289d3c931af21bd2b24d48');
  });

  it('variantKey of a tensor without axes is the volatility.tr test vector', () => {
    const tr = makeTensor({ indicatorId: 'volatility.tr', axes: [] });
    expect(tr.shape).toEqual([3, 1]);
    expect(tr.variantValues(0)).toEqual({});
    expect(tr.variantIndex({})).toBe(0);
    expect(tr.variantKey(0)).toBe('141227cb2c46e73ad7c751c477968ecab43bebff2e7addd98c20e394a522053f');
  });

  it('variantKeys is computed once, cached, frozen and equal to variantKey(v)', () => {
    const t = makeTensor();
    const keys = t.variantKeys();
    expect(keys).toHaveLength(4);
    expect(t.variantKeys()).toBe(keys);
    expect(Object.isFrozen(keys)).toBe(true);
    expect(new Set(keys).size).toBe(4);
    for (let v = 0; v < 4; v++) {
      expect(keys[v]).toMatch(/^[0-9a-f]{64}$/);
      expect(t.variantKey(v)).toBe(keys[v]);
    }
  });

  it('keys do not depend on the layout, the outputs or the engine, but on the instrument and timeframe', () => {
    const a = makeTensor({ layout: 'TIME_MAJOR' }).variantKeys();
    expect(makeTensor({ layout: 'VARIANT_MAJOR', meta: { engine: 'wasm-simd', threads: 4 } }).variantKeys()).toEqual(a);
    expect(makeTensor({ meta: { instrumentId: '1:ETHUSDT' } }).variantKeys()[0]).not.toBe(a[0]);
    expect(makeTensor({ meta: { timeframe: '5m' } }).variantKeys()[0]).not.toBe(a[0]);
    const bbAll = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES }).variantKeys();
    expect(makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, outputs: ['upper'] }).variantKeys()).toEqual(bbAll);
  });

  it('variantKey and variantKeyPayload reject a variant index out of range with RangeError', () => {
    expect(() => tm.variantKey(4)).toThrow(RangeError);
    expect(() => tm.variantKeyPayload(-1)).toThrow(RangeError);
  });
});

describe('IndicatorTensor Arrow delegation', () => {
  it('throws arrow_unavailable from toArrow and toArrowIPC when no exporters were injected', () => {
    const t = makeTensor();
    const e = thrown(() => t.toArrow());
    expect(e).toBeInstanceOf(ArrowExportUnavailableError);
    expect(e).toBeInstanceOf(GridtaError);
    expect((e as GridtaError).code).toBe('arrow_unavailable');
    expect((e as GridtaError).details).toEqual({ method: 'toArrow', indicatorId: 'ma.sma' });
    expect((e as Error).message).toMatch(/gridta\/arrow/);
    expect((thrown(() => t.toArrowIPC()) as GridtaError).details).toEqual({ method: 'toArrowIPC', indicatorId: 'ma.sma' });
  });

  it('delegates toArrow and toArrowIPC to the injected exporters with the tensor and the options', () => {
    const calls: unknown[][] = [];
    const exporters: TensorExporters<string> = {
      toArrow: (tensor, opts) => {
        calls.push(['toArrow', tensor, opts]);
        return 'table';
      },
      toArrowIPC: (tensor, opts) => {
        calls.push(['toArrowIPC', tensor, opts]);
        return new Uint8Array([1, 2]);
      },
    };
    const t = makeTensor({ exporters: exporters as TensorExporters<unknown> }) as IndicatorTensor<string>;
    expect(t.toArrow({ outputs: ['value'] })).toBe('table');
    expect(Array.from(t.toArrowIPC({ format: 'stream' }))).toEqual([1, 2]);
    expect(calls).toEqual([
      ['toArrow', t, { outputs: ['value'] }],
      ['toArrowIPC', t, { format: 'stream' }],
    ]);
  });

  it('keeps maxComputeBytesTotal for the export guard, defaulting for foreign objects', () => {
    expect(tensorExportBudget(makeTensor({ maxComputeBytesTotal: 4096 }))).toBe(4096);
    expect(tensorExportBudget({ ...makeTensor() })).toBe(DEFAULT_MAX_COMPUTE_BYTES_TOTAL);
  });
});

describe('createTensor invariants', () => {
  const base = makeTensor();
  const init = () => ({
    def: registry.get('ma.sma'),
    axes: SMA_AXES,
    layout: 'TIME_MAJOR' as const,
    t: 3,
    variants: 4,
    outputs: [{ name: 'value', values: new Float32Array(12) }],
    tsOpen: base.tsOpen,
    meta: base.meta,
    maxComputeBytesTotal: 1e9,
  });

  it('rejects an output array whose length is not t * variants', () => {
    expect(() => createTensor({ ...init(), outputs: [{ name: 'value', values: new Float32Array(11) }] })).toThrow(
      /length t \* variants = 12/,
    );
  });

  it('rejects variants that differ from the product of the axis lengths', () => {
    expect(() => createTensor({ ...init(), variants: 3, outputs: [{ name: 'value', values: new Float32Array(9) }] })).toThrow(
      /product of the axis lengths \(4\)/,
    );
  });

  it('rejects a timeline of the wrong length and a meta that disagrees', () => {
    expect(() => createTensor({ ...init(), tsOpen: new BigInt64Array(2) })).toThrow(TypeError);
    expect(() => createTensor({ ...init(), meta: { ...base.meta, t: 4 } })).toThrow(/meta/);
  });

  it("does not freeze or copy the caller's output arrays", () => {
    const t = createTensor(init());
    expect(Object.isFrozen(t.values)).toBe(false);
    t.values[0] = 7;
    expect(t.get(0, 0)).toBe(7);
  });
});
