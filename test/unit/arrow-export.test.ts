import { describe, expect, it } from 'vitest';
import { DataType, type Dictionary, tableFromIPC, TimeUnit, Type, type Table } from 'apache-arrow';
import { ComputeBudgetExceeded, GridValidationError } from '../../src/errors.js';
import type { IndicatorTensor } from '../../src/compute/tensor.js';
import {
  MAX_BATCH_ROWS,
  planTensorExport,
  tensorToArrow,
  tensorToArrowIPC,
  tensorToArrowWithBatchRows,
  toArrowExporters,
} from '../../src/arrow/export.js';
import { BBANDS_AXES, bits, knownValue, makeTensor, STEP_1M, TS0 } from './tensor-fixture.js';
import { gridDetails, thrown } from '../helpers/errors.js';

const col = (table: Table, name: string): unknown[] => Array.from({ length: table.numRows }, (_, i) => table.getChild(name)!.get(i));
const bytesEqual = (a: Uint8Array, b: Uint8Array): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

describe('tensorToArrow columns and rows', () => {
  const table = tensorToArrow(makeTensor({ layout: 'TIME_MAJOR' }));

  it('has the columns ts_open, variant, one per axis and one per output, in that order', () => {
    expect(table.schema.fields.map((f) => f.name)).toEqual(['ts_open', 'variant', 'source', 'window', 'value']);
    expect(table.numRows).toBe(12);
    expect(table.numCols).toBe(5);
  });

  it('types ts_open as Timestamp(MILLISECOND, UTC), variant as Uint32, int axes as Int32 and outputs as Float32', () => {
    const [ts, variant, , window, value] = table.schema.fields.map((f) => f.type);
    expect(DataType.isTimestamp(ts)).toBe(true);
    expect((ts as { unit: TimeUnit }).unit).toBe(TimeUnit.MILLISECOND);
    expect((ts as { timezone: string }).timezone).toBe('UTC');
    expect(variant!.typeId).toBe(Type.Int);
    expect(variant).toMatchObject({ isSigned: false, bitWidth: 32 });
    expect(window).toMatchObject({ typeId: Type.Int, isSigned: true, bitWidth: 32 });
    expect(value).toMatchObject({ typeId: Type.Float, precision: 1 });
    expect(table.schema.fields.every((f) => !f.nullable)).toBe(true);
  });

  it('encodes the source axis as a dictionary of the axis values with Int32 indices', () => {
    const type = table.schema.fields[2]!.type as Dictionary;
    expect(DataType.isDictionary(type)).toBe(true);
    expect(type.indices).toMatchObject({ isSigned: true, bitWidth: 32 });
    expect(DataType.isUtf8(type.dictionary)).toBe(true);
    const data = table.getChild('source')!.data[0]!;
    expect(Array.from(data.dictionary!)).toEqual(['open', 'close']);
    expect(Array.from(data.values as Int32Array)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(col(table, 'source')).toEqual([
      'open',
      'open',
      'open',
      'open',
      'open',
      'open',
      'close',
      'close',
      'close',
      'close',
      'close',
      'close',
    ]);
  });

  it("lays rows out variant-major, r = v * T + t, with each variant's axis values", () => {
    expect(col(table, 'variant')).toEqual([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3]);
    expect(col(table, 'window')).toEqual([20, 20, 20, 10, 10, 10, 20, 20, 20, 10, 10, 10]);
    expect(Array.from(table.getChild('ts_open')!.toArray() as BigInt64Array)).toEqual(
      [0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2].map((t) => BigInt(TS0 + t * STEP_1M)),
    );
    expect(col(table, 'ts_open')[4]).toBe(TS0 + STEP_1M);
    const values = col(table, 'value') as number[];
    for (let v = 0; v < 4; v++)
      for (let t = 0; t < 3; t++) expect(Object.is(values[v * 3 + t], knownValue(0, t, v)), `row ${v * 3 + t}`).toBe(true);
  });

  it('keeps NaN as NaN, never null', () => {
    const value = table.getChild('value')!;
    expect(value.nullCount).toBe(0);
    expect(value.get(3)).toBeNaN();
    expect(value.isValid(3)).toBe(true);
    expect(table.getChild('value')!.data[0]!.nullBitmap?.length ?? 0).toBe(0);
  });

  it('copies NaN bit patterns unchanged from both layouts', () => {
    for (const layout of ['TIME_MAJOR', 'VARIANT_MAJOR'] as const) {
      const t = makeTensor({ layout });
      const raw = new Uint32Array(t.values.buffer);
      const at = layout === 'TIME_MAJOR' ? 2 * 4 + 3 : 3 * 3 + 2; // (t 2, v 3)
      raw[at] = 0x7fc00001;
      const out = tensorToArrow(t).getChild('value')!.data[0]!.values as Float32Array;
      expect(new Uint32Array(out.buffer, out.byteOffset, out.length)[3 * 3 + 2], layout).toBe(0x7fc00001);
    }
  });

  it('writes the schema metadata in the documented order', () => {
    expect([...table.schema.metadata]).toEqual([
      ['gridta.schema', 'tensor-long/1'],
      ['gridta.indicator_id', 'ma.sma'],
      ['gridta.instrument_id', '1:BTCUSDT'],
      ['gridta.timeframe', '1m'],
      ['gridta.t', '3'],
      ['gridta.variants', '4'],
      ['gridta.outputs', '["value"]'],
      ['gridta.primary_output', 'value'],
      ['gridta.axes', '[{"name":"source","kind":"source","values":["open","close"]},{"name":"window","kind":"int","values":[20,10]}]'],
      ['gridta.nan_policy', 'propagate'],
      ['gridta.variant_key_version', '1'],
      ['gridta.look_ahead_outputs', '[]'],
    ]);
  });

  it('types float axes as Float64 and writes every output of a multi-output tensor, primary first', () => {
    const bb = tensorToArrow(makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES }));
    expect(bb.schema.fields.map((f) => f.name)).toEqual(['ts_open', 'variant', 'mult', 'source', 'window', 'basis', 'upper', 'lower']);
    expect(bb.schema.fields[2]!.type).toMatchObject({ typeId: Type.Float, precision: 2 });
    expect(col(bb, 'mult').slice(9, 15)).toEqual([1.5, 1.5, 1.5, 2, 2, 2]);
    expect(col(bb, 'source').slice(3, 9)).toEqual(['close', 'close', 'close', 'hlc3', 'hlc3', 'hlc3']);
    expect(col(bb, 'lower')[5 * 3 + 2]).toBe(knownValue(2, 2, 5));
    expect(bb.schema.metadata.get('gridta.outputs')).toBe('["basis","upper","lower"]');
    expect(bb.schema.metadata.get('gridta.axes')).toBe(
      '[{"name":"mult","kind":"float","values":[1.5,2]},{"name":"source","kind":"source","values":["close","hlc3"]},{"name":"window","kind":"int","values":[10,20]}]',
    );
  });

  it('lists the look-ahead outputs among the exported ones in gridta.look_ahead_outputs', () => {
    const axes = ['conversion_window', 'base_window', 'span_b_window', 'displacement'].map((name, i) => ({
      name,
      kind: 'int' as const,
      values: [9 + i],
    }));
    const t = makeTensor({ indicatorId: 'trend.ichimoku', axes });
    expect(tensorToArrow(t).schema.metadata.get('gridta.look_ahead_outputs')).toBe('["span_a","span_b"]');
    expect(tensorToArrow(t, { outputs: ['span_b', 'base'] }).schema.metadata.get('gridta.look_ahead_outputs')).toBe('["span_b"]');
    expect(tensorToArrow(t, { outputs: ['base'] }).schema.metadata.get('gridta.look_ahead_outputs')).toBe('[]');
  });
});

describe('tensorToArrow layouts', () => {
  it('exports identical tables from TIME_MAJOR and VARIANT_MAJOR tensors of the same values', () => {
    for (const opts of [undefined, { includeVariantKey: true }, { variants: [3, 0, 2] }, { variants: { start: 1, end: 3 } }]) {
      const a = tensorToArrowIPC(makeTensor({ layout: 'TIME_MAJOR' }), opts);
      const b = tensorToArrowIPC(makeTensor({ layout: 'VARIANT_MAJOR' }), opts);
      expect(bytesEqual(a, b), JSON.stringify(opts)).toBe(true);
    }
  });

  it('exports identical bbands tables from both layouts in the stream format too', () => {
    const a = tensorToArrowIPC(makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, layout: 'TIME_MAJOR', t: 37 }), {
      format: 'stream',
      includeVariantKey: true,
    });
    const b = tensorToArrowIPC(makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, layout: 'VARIANT_MAJOR', t: 37 }), {
      format: 'stream',
      includeVariantKey: true,
    });
    expect(bytesEqual(a, b)).toBe(true);
  });

  it('transposes a TIME_MAJOR tensor with more variants than one transpose block', () => {
    const axes = [
      { name: 'source', kind: 'source' as const, values: ['close'] },
      { name: 'window', kind: 'int' as const, values: Array.from({ length: 70 }, (_, i) => i + 2) },
    ];
    const value = (_k: number, t: number, v: number): number => Math.fround(v * 1000 + t + 0.5);
    const tm = tensorToArrowIPC(makeTensor({ axes, layout: 'TIME_MAJOR', t: 11, value }));
    const vm = tensorToArrowIPC(makeTensor({ axes, layout: 'VARIANT_MAJOR', t: 11, value }));
    expect(bytesEqual(tm, vm)).toBe(true);
    const values = tableFromIPC(tm).getChild('value')!.toArray() as Float32Array;
    expect(values[69 * 11 + 10]).toBe(69010.5);
    expect(values[33 * 11 + 4]).toBe(33004.5);
  });
});

describe('tensorToArrow options', () => {
  const tm = makeTensor();

  it('exports a variants list in the order given', () => {
    const t = tensorToArrow(tm, { variants: [3, 0] });
    expect(t.numRows).toBe(6);
    expect(col(t, 'variant')).toEqual([3, 3, 3, 0, 0, 0]);
    expect(col(t, 'source')).toEqual(['close', 'close', 'close', 'open', 'open', 'open']);
    expect(col(t, 'value')).toEqual([30.25, 31.25, 32.25, 0.25, 1.25, 2.25]);
    expect(t.schema.metadata.get('gridta.variants')).toBe('4');
  });

  it('exports a variant range with an exclusive end', () => {
    const t = tensorToArrow(tm, { variants: { start: 1, end: 3 } });
    expect(col(t, 'variant')).toEqual([1, 1, 1, 2, 2, 2]);
    expect(col(t, 'value')).toEqual([NaN, 11.25, 12.25, 20.25, 21.25, 22.25]);
  });

  it('accepts a typed array of variant indices', () => {
    expect(col(tensorToArrow(tm, { variants: Uint32Array.of(2) as unknown as number[] }), 'variant')).toEqual([2, 2, 2]);
  });

  it('keeps tensor order for an output subset listed in another order', () => {
    const bb = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES });
    const t = tensorToArrow(bb, { outputs: ['lower', 'basis'] });
    expect(t.schema.fields.map((f) => f.name).slice(5)).toEqual(['basis', 'lower']);
    expect(t.schema.metadata.get('gridta.outputs')).toBe('["basis","lower"]');
    expect(t.schema.metadata.get('gridta.primary_output')).toBe('basis');
    const upperOnly = tensorToArrow(bb, { outputs: ['upper'] });
    expect(upperOnly.schema.metadata.get('gridta.primary_output')).toBe('upper');
    expect(col(upperOnly, 'upper')[7]).toBe(knownValue(1, 1, 2));
  });

  it("adds a variant_key dictionary column holding each row's v1 key", () => {
    const t = tensorToArrow(tm, { includeVariantKey: true, variants: [2, 1] });
    const field = t.schema.fields.at(-1)!;
    expect(field.name).toBe('variant_key');
    expect(DataType.isDictionary(field.type)).toBe(true);
    expect((field.type as Dictionary).indices).toMatchObject({ isSigned: true, bitWidth: 32 });
    expect(col(t, 'variant_key')).toEqual([2, 2, 2, 1, 1, 1].map((v) => tm.variantKey(v)));
    expect(Array.from(t.getChild('variant_key')!.data[0]!.dictionary!)).toEqual([tm.variantKey(2), tm.variantKey(1)]);
  });

  it('rejects bad variant selections with GridValidationError', () => {
    expect(gridDetails(() => tensorToArrow(tm, { variants: [0, 4] }))).toEqual({
      indicatorId: 'ma.sma',
      field: 'variants[1]',
      reason: 'above_max',
      value: 4,
      expected: 3,
    });
    expect(gridDetails(() => tensorToArrow(tm, { variants: [-1] }))).toMatchObject({ field: 'variants[0]', reason: 'below_min' });
    expect(gridDetails(() => tensorToArrow(tm, { variants: [1.5] }))).toMatchObject({ field: 'variants[0]', reason: 'not_integer' });
    expect(gridDetails(() => tensorToArrow(tm, { variants: [1, 2, 1] }))).toMatchObject({
      field: 'variants[2]',
      reason: 'duplicate_value',
      value: 1,
    });
    expect(gridDetails(() => tensorToArrow(tm, { variants: [] }))).toMatchObject({ field: 'variants', reason: 'empty_values' });
    expect(gridDetails(() => tensorToArrow(tm, { variants: { start: 2, end: 2 } }))).toMatchObject({
      field: 'variants',
      reason: 'empty_values',
    });
    expect(gridDetails(() => tensorToArrow(tm, { variants: { start: 3, end: 1 } }))).toMatchObject({
      field: 'variants.end',
      reason: 'start_after_stop',
    });
    expect(gridDetails(() => tensorToArrow(tm, { variants: { start: 0, end: 5 } }))).toMatchObject({
      field: 'variants.end',
      reason: 'above_max',
      value: 5,
    });
  });

  it('rejects unknown, repeated or empty output lists and unknown option keys', () => {
    expect(gridDetails(() => tensorToArrow(tm, { outputs: ['upper'] }))).toEqual({
      indicatorId: 'ma.sma',
      field: 'outputs',
      reason: 'unknown_output',
      value: 'upper',
      expected: ['value'],
    });
    expect(gridDetails(() => tensorToArrow(tm, { outputs: ['value', 'value'] }))).toMatchObject({
      field: 'outputs[1]',
      reason: 'duplicate_value',
    });
    expect(gridDetails(() => tensorToArrow(tm, { outputs: [] }))).toMatchObject({ field: 'outputs', reason: 'empty_values' });
    expect(gridDetails(() => tensorToArrow(tm, { includeVariantKeys: true } as never))).toMatchObject({
      field: 'includeVariantKeys',
      reason: 'invalid_spec',
    });
    expect(gridDetails(() => tensorToArrow(tm, { format: 'stream' } as never))).toMatchObject({ field: 'format', reason: 'invalid_spec' });
    expect(gridDetails(() => tensorToArrowIPC(tm, { format: 'csv' as never }))).toMatchObject({
      field: 'format',
      reason: 'not_allowed',
      value: 'csv',
    });
  });
});

describe('Arrow record batches', () => {
  it('packs whole variants up to the row limit per batch', () => {
    const t = tensorToArrowWithBatchRows(makeTensor(), undefined, 7);
    expect(t.batches.map((b) => b.numRows)).toEqual([6, 6]);
    expect(t.batches.map((b) => Array.from(b.getChild('variant')!.toArray() as Uint32Array))).toEqual([
      [0, 0, 0, 1, 1, 1],
      [2, 2, 2, 3, 3, 3],
    ]);
  });

  it('puts one variant per batch when one variant alone exceeds the limit', () => {
    const t = tensorToArrowWithBatchRows(makeTensor(), { variants: [3, 1, 0] }, 2);
    expect(t.batches.map((b) => b.numRows)).toEqual([3, 3, 3]);
    expect(col(t, 'variant')).toEqual([3, 3, 3, 1, 1, 1, 0, 0, 0]);
  });

  it('shares one dictionary across batches so the IPC file format accepts them', () => {
    const tm = makeTensor();
    const t = tensorToArrowWithBatchRows(tm, { includeVariantKey: true }, 3);
    expect(t.batches).toHaveLength(4);
    const back = tableFromIPC(tensorToArrowIPC(tm, { includeVariantKey: true }));
    expect(col(back, 'variant_key')).toEqual(col(t, 'variant_key'));
  });

  it('splits at 1 048 576 rows: 1025 variants of 1024 bars make batches of 1048576 and 1024 rows', () => {
    expect(MAX_BATCH_ROWS).toBe(1_048_576);
    const axes = [
      { name: 'source', kind: 'source' as const, values: ['close'] },
      { name: 'window', kind: 'int' as const, values: Array.from({ length: 1025 }, (_, i) => i + 2) },
    ];
    const t = tensorToArrow(makeTensor({ axes, t: 1024, layout: 'VARIANT_MAJOR', value: (_k, t, v) => v + t / 1024 }));
    expect(t.batches.map((b) => b.numRows)).toEqual([1_048_576, 1024]);
    expect(t.batches[1]!.getChild('variant')!.get(0)).toBe(1024);
  });

  it('writes one variant per batch when T alone exceeds 1 048 576 rows', () => {
    const axes = [
      { name: 'source', kind: 'source' as const, values: ['close'] },
      { name: 'window', kind: 'int' as const, values: [10, 20] },
    ];
    const t = tensorToArrow(makeTensor({ axes, t: 1_048_577, layout: 'TIME_MAJOR', value: (_k, t, v) => v * 2 + (t & 1) }));
    expect(t.batches.map((b) => b.numRows)).toEqual([1_048_577, 1_048_577]);
    expect(t.batches[1]!.getChild('value')!.get(1_048_576)).toBe(2);
    expect(t.batches[1]!.getChild('ts_open')!.get(1_048_576)).toBe(TS0 + 1_048_576 * STEP_1M);
  });
});

describe('Arrow export guard (bytes budget)', () => {
  it('refuses an export over maxComputeBytesTotal with scope export and the exact sizes', () => {
    // rows 12 × (8 + 4 + 4 (source index) + 4 (window) + 4 × 1) = 288 bytes
    const e = thrown(() => tensorToArrow(makeTensor({ maxComputeBytesTotal: 287 })));
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect(e).toBeInstanceOf(GridValidationError);
    expect((e as ComputeBudgetExceeded).code).toBe('max_compute_bytes_exceeded');
    expect((e as ComputeBudgetExceeded).details).toEqual({
      scope: 'export',
      limit: 'bytes',
      rows: 12,
      bytesTotalEst: 288,
      maxComputeBytesTotal: 287,
    });
    expect(Object.keys((e as ComputeBudgetExceeded).details)).toEqual(['scope', 'limit', 'rows', 'bytesTotalEst', 'maxComputeBytesTotal']);
    expect(tensorToArrow(makeTensor({ maxComputeBytesTotal: 288 })).numRows).toBe(12);
  });

  it('counts 4 more bytes per row for variant_key, 8 for a float axis and 4 per output', () => {
    const withKey = thrown(() =>
      tensorToArrow(makeTensor({ maxComputeBytesTotal: 300 }), { includeVariantKey: true }),
    ) as ComputeBudgetExceeded;
    expect(withKey.details).toMatchObject({ rows: 12, bytesTotalEst: 336 });
    // bbands: 8 rows-variants × 3 bars; 8 + 4 + 8 (mult) + 4 (source) + 4 (window) + 4 × 3 = 40 per row
    const bb = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, maxComputeBytesTotal: 100 });
    expect((thrown(() => tensorToArrow(bb)) as ComputeBudgetExceeded).details).toMatchObject({ rows: 24, bytesTotalEst: 960 });
    expect((thrown(() => tensorToArrow(bb, { outputs: ['upper'], variants: [1, 2] })) as ComputeBudgetExceeded).details).toMatchObject({
      rows: 6,
      bytesTotalEst: 192,
    });
    expect(planTensorExport(bb, { outputs: ['upper'] }, undefined, { guard: false }).bytesPerRow).toBe(32);
  });

  it('sizes the export before touching any value or timestamp', () => {
    // A foreign tensor-shaped object: its arrays throw if read; the default 5 GiB budget applies.
    const real = makeTensor();
    const axes = [
      { name: 'source', kind: 'source' as const, values: ['close'] },
      { name: 'window', kind: 'int' as const, values: Array.from({ length: 10_000 }, (_, i) => i + 2) },
    ];
    const poisoned = {
      ...real,
      axes,
      meta: { ...real.meta, t: 1_000_000, variants: 10_000 },
      outputs: [
        {
          name: 'value',
          get values(): Float32Array {
            throw new Error('values read before the guard');
          },
        },
      ],
      get tsOpen(): BigInt64Array {
        throw new Error('tsOpen read before the guard');
      },
    } as unknown as IndicatorTensor;
    const e = thrown(() => tensorToArrow(poisoned));
    expect(e).toBeInstanceOf(ComputeBudgetExceeded);
    expect((e as ComputeBudgetExceeded).details).toEqual({
      scope: 'export',
      limit: 'bytes',
      rows: 10_000_000_000,
      bytesTotalEst: 240_000_000_000,
      maxComputeBytesTotal: 5_368_709_120,
    });
  });
});

describe('Arrow IPC', () => {
  it('round-trips through tableFromIPC with values, NaN, dictionaries and metadata intact', () => {
    const tm = makeTensor({ indicatorId: 'volatility.bbands', axes: BBANDS_AXES, layout: 'TIME_MAJOR' });
    const ipc = tensorToArrowIPC(tm, { includeVariantKey: true });
    expect(new TextDecoder().decode(ipc.subarray(0, 6))).toBe('ARROW1');
    const back = tableFromIPC(ipc);
    const direct = tensorToArrow(tm, { includeVariantKey: true });
    expect(back.numRows).toBe(24);
    expect([...back.schema.metadata]).toEqual([...direct.schema.metadata]);
    expect(back.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(direct.schema.fields.map((f) => `${f.name}:${f.type}`));
    for (const name of ['variant', 'mult', 'source', 'window', 'variant_key', 'ts_open'])
      expect(col(back, name), name).toEqual(col(direct, name));
    for (const name of ['basis', 'upper', 'lower']) {
      const got = back.getChild(name)!.toArray() as Float32Array;
      const want = direct.getChild(name)!.toArray() as Float32Array;
      expect(Array.from(got, bits), name).toEqual(Array.from(want, bits));
      expect(back.getChild(name)!.nullCount).toBe(0);
    }
    expect(back.getChild('basis')!.get(3)).toBeNaN();
  });

  it('writes the stream format on request', () => {
    const ipc = tensorToArrowIPC(makeTensor(), { format: 'stream' });
    expect(new TextDecoder().decode(ipc.subarray(0, 6))).not.toBe('ARROW1');
    const back = tableFromIPC(ipc);
    expect(col(back, 'value')).toEqual(col(tensorToArrow(makeTensor()), 'value'));
  });

  it('is what tensor.toArrow and toArrowIPC return when toArrowExporters is injected', () => {
    const tm = makeTensor({ exporters: toArrowExporters });
    const table = tm.toArrow({ variants: [1] }) as Table;
    expect(col(table, 'value')).toEqual([NaN, 11.25, 12.25]);
    expect(bytesEqual(tm.toArrowIPC(), tensorToArrowIPC(tm))).toBe(true);
  });

  it('is exported from the gridta/arrow entry', async () => {
    const entry = await import('../../src/arrow/index.js');
    expect(entry.toArrowExporters).toBe(toArrowExporters);
    expect(entry.tensorToArrow).toBe(tensorToArrow);
    expect(entry.tensorToArrowIPC).toBe(tensorToArrowIPC);
    expect(typeof entry.candlesFromArrow).toBe('function');
    expect(typeof entry.loadCandlesFile).toBe('function');
  });
});
