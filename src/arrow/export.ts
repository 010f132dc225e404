/**
 * Arrow long-format export of an IndicatorTensor: one row per (variant, bar),
 * rows variant-major whatever the tensor layout, every selected output as a Float32 column. Columns
 * are built straight from typed arrays (no row builders), in record batches of whole variants.
 */
import {
  type Data,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int32,
  makeData,
  makeVector,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  TimestampMillisecond,
  Uint32,
  Utf8,
  type Vector,
  type DataType,
} from 'apache-arrow';
import { ComputeBudgetExceeded, GridValidationError, type GridReason } from '../errors.js';
import {
  tensorExportBudget,
  type ArrowExportOptions,
  type ArrowIPCExportOptions,
  type IndicatorTensor,
  type TensorExporters,
} from '../compute/tensor.js';
import type { Axis } from '../grid/types.js';
import { DEFAULT_PROFILE } from '../registry/types.js';
import { findUnknownKey, keyList, unknownKeyExplanation } from '../options.js';

/** A record batch holds at most this many rows, unless one variant alone is longer. */
export const MAX_BATCH_ROWS = 1_048_576;

/** Value of `gridta.schema` in the schema metadata. */
export const TENSOR_LONG_SCHEMA = 'tensor-long/1';

/** How one axis becomes a column. */
export interface AxisColumnPlan {
  readonly axis: Axis;
  /** `int` → Int32, `float` → Float64, `dict` → dictionary Utf8 with Int32 indices. */
  readonly encoding: 'int' | 'float' | 'dict';
  /** Bytes per row counted by the export guard. */
  readonly bytes: 4 | 8;
  /** Variant index → position on this axis is `floor(v / stride) % length`. */
  readonly stride: number;
  readonly length: number;
}

/** @internal A validated, sized export: what both the Arrow and the CSV writers follow. */
export interface ExportPlan {
  readonly t: number;
  /** Selected variant indices, in row order. */
  readonly variants: Uint32Array;
  readonly axes: readonly AxisColumnPlan[];
  readonly outputs: readonly { readonly name: string; readonly values: Float32Array }[];
  readonly includeVariantKey: boolean;
  readonly rows: number;
  readonly bytesPerRow: number;
  readonly bytesTotalEst: number;
}

export const EXPORT_OPTION_KEYS = keyList<ArrowExportOptions>({ variants: true, outputs: true, includeVariantKey: true });
export const IPC_EXPORT_OPTION_KEYS = keyList<ArrowIPCExportOptions>({
  variants: true,
  outputs: true,
  includeVariantKey: true,
  format: true,
});

function fail(
  tensor: IndicatorTensor<unknown>,
  field: string,
  reason: GridReason,
  value: unknown,
  explanation: string,
  expected?: unknown,
): never {
  const details =
    expected === undefined
      ? { indicatorId: tensor.indicatorId, field, reason, value }
      : { indicatorId: tensor.indicatorId, field, reason, value, expected };
  throw new GridValidationError(details, explanation);
}

function checkVariantIndex(tensor: IndicatorTensor<unknown>, field: string, v: unknown, V: number): number {
  if (typeof v !== 'number')
    fail(tensor, field, 'wrong_type', v === undefined ? null : v, 'must be a variant index (a number)', 'an integer');
  if (!Number.isInteger(v))
    fail(
      tensor,
      field,
      Number.isFinite(v) ? 'not_integer' : 'non_finite',
      Number.isFinite(v) ? v : String(v),
      'must be an integer variant index',
      'an integer',
    );
  if (v < 0) fail(tensor, field, 'below_min', v, 'must be >= 0', 0);
  if (v >= V) fail(tensor, field, 'above_max', v, `must be < ${V} (the tensor has ${V} variants)`, V - 1);
  return v;
}

function selectVariants(tensor: IndicatorTensor<unknown>, spec: ArrowExportOptions['variants'], V: number): Uint32Array {
  if (spec === undefined) {
    const all = new Uint32Array(V);
    for (let v = 0; v < V; v++) all[v] = v;
    return all;
  }
  const isList = Array.isArray(spec) || (ArrayBuffer.isView(spec) && !(spec instanceof DataView));
  if (isList) {
    const list = spec as ArrayLike<unknown>;
    if (list.length === 0)
      fail(tensor, 'variants', 'empty_values', [], 'must select at least one variant', 'a non-empty list of variant indices');
    const out = new Uint32Array(list.length);
    const seen = new Set<number>();
    for (let i = 0; i < list.length; i++) {
      const v = checkVariantIndex(tensor, `variants[${i}]`, list[i], V);
      if (seen.has(v)) fail(tensor, `variants[${i}]`, 'duplicate_value', v, `selects variant ${v} twice`, 'unique variant indices');
      seen.add(v);
      out[i] = v;
    }
    return out;
  }
  if (typeof spec !== 'object' || spec === null) {
    fail(tensor, 'variants', 'invalid_spec', spec, 'must be a list of variant indices or { start, end }', '{ start, end } or a list');
  }
  for (const key of Object.keys(spec)) {
    if (key !== 'start' && key !== 'end')
      fail(tensor, `variants.${key}`, 'invalid_spec', key, 'unknown key in a variant range (allowed: start, end)', ['start', 'end']);
  }
  const r = spec as { start?: unknown; end?: unknown };
  const start = checkVariantIndex(tensor, 'variants.start', r.start, V);
  if (typeof r.end !== 'number')
    fail(tensor, 'variants.end', 'wrong_type', r.end === undefined ? null : r.end, 'must be a number (exclusive end)', 'an integer');
  const end = r.end;
  if (!Number.isInteger(end))
    fail(
      tensor,
      'variants.end',
      Number.isFinite(end) ? 'not_integer' : 'non_finite',
      Number.isFinite(end) ? end : String(end),
      'must be an integer',
      'an integer',
    );
  if (end > V) fail(tensor, 'variants.end', 'above_max', end, `must be <= ${V} (exclusive end; the tensor has ${V} variants)`, V);
  if (end < start) fail(tensor, 'variants.end', 'start_after_stop', end, `must be >= start (${start})`, `>= ${start}`);
  if (end === start) fail(tensor, 'variants', 'empty_values', { start, end }, 'selects no variant (end is exclusive)', 'end > start');
  const out = new Uint32Array(end - start);
  for (let i = 0; i < out.length; i++) out[i] = start + i;
  return out;
}

function selectOutputs(tensor: IndicatorTensor<unknown>, spec: readonly string[] | undefined): ExportPlan['outputs'] {
  if (spec === undefined) return tensor.outputs;
  const names = tensor.outputs.map((o) => o.name);
  if (!Array.isArray(spec)) fail(tensor, 'outputs', 'invalid_spec', spec, 'must be a list of output names', names);
  if (spec.length === 0) fail(tensor, 'outputs', 'empty_values', [], 'must name at least one output', names);
  const wanted = new Set<string>();
  for (let i = 0; i < spec.length; i++) {
    const name: unknown = spec[i];
    if (typeof name !== 'string') fail(tensor, `outputs[${i}]`, 'wrong_type', name ?? null, 'must be an output name', names);
    if (!names.includes(name))
      fail(
        tensor,
        'outputs',
        'unknown_output',
        name,
        `${tensor.indicatorId} has no output ${JSON.stringify(name)} in this tensor (outputs: ${names.join(', ')})`,
        names,
      );
    if (wanted.has(name)) fail(tensor, `outputs[${i}]`, 'duplicate_value', name, `names the output ${name} twice`, 'unique output names');
    wanted.add(name);
  }
  // Like a compute's output subset: tensor order, whatever order the request lists.
  return tensor.outputs.filter((o) => wanted.has(o.name));
}

/**
 * @internal Validates export options against a tensor, sizes the export and applies the export guard
 * (bytes budget) before anything proportional to the row count exists. Shared by the Arrow and CSV writers
 * (the streaming CSV writer passes `guard: false`).
 */
export function planTensorExport(
  tensor: IndicatorTensor<unknown>,
  opts: ArrowExportOptions | ArrowIPCExportOptions | undefined,
  allowedKeys: readonly string[] = EXPORT_OPTION_KEYS,
  { guard = true }: { guard?: boolean } = {},
): ExportPlan {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts))) {
    fail(tensor, 'options', 'invalid_spec', opts, 'export options must be an object', [...allowedKeys]);
  }
  const o = (opts ?? {}) as Record<string, unknown>;
  const unknown = findUnknownKey(o, allowedKeys);
  if (unknown)
    fail(tensor, unknown.key, 'invalid_spec', unknown.key, unknownKeyExplanation(unknown, 'the export options'), [...allowedKeys]);
  if (o.includeVariantKey !== undefined && typeof o.includeVariantKey !== 'boolean') {
    fail(tensor, 'includeVariantKey', 'wrong_type', o.includeVariantKey, 'must be a boolean', 'a boolean');
  }
  const T = tensor.meta.t;
  const V = tensor.meta.variants;
  const outputs = selectOutputs(tensor, o.outputs as readonly string[] | undefined);
  const variants = selectVariants(tensor, o.variants as ArrowExportOptions['variants'], V);
  const includeVariantKey = o.includeVariantKey === true;

  let stride = V;
  const axes: AxisColumnPlan[] = tensor.axes.map((axis) => {
    const length = axis.values.length;
    stride /= length;
    const encoding = axis.kind === 'int' ? 'int' : axis.kind === 'float' ? 'float' : 'dict';
    return { axis, encoding, bytes: encoding === 'float' ? 8 : 4, stride, length };
  });
  const rows = variants.length * T;
  const bytesPerRow = exportBytesPerRow(tensor.axes, outputs.length, includeVariantKey);
  const bytesTotalEst = rows * bytesPerRow;
  if (guard) checkExportBudget(rows, bytesPerRow, tensorExportBudget(tensor));
  return { t: T, variants, axes, outputs, includeVariantKey, rows, bytesPerRow, bytesTotalEst };
}

/**
 * @internal Bytes per row the export guard counts: ts_open 8, variant 4, a float axis 8, any other
 * axis 4, 4 per output, 4 for variant_key. Known from the grid alone, so a caller can check the
 * export before computing.
 */
export function exportBytesPerRow(axes: readonly Pick<Axis, 'kind'>[], outputs: number, includeVariantKey: boolean): number {
  return 8 + 4 + axes.reduce((s, a) => s + (a.kind === 'float' ? 8 : 4), 0) + 4 * outputs + (includeVariantKey ? 4 : 0);
}

/** @internal The in-memory export guard: `rows * bytesPerRow` must not exceed the byte budget. */
export function checkExportBudget(rows: number, bytesPerRow: number, maxComputeBytesTotal: number): void {
  const bytesTotalEst = rows * bytesPerRow;
  if (bytesTotalEst > maxComputeBytesTotal) {
    throw new ComputeBudgetExceeded(
      { scope: 'export', limit: 'bytes', rows, bytesTotalEst, maxComputeBytesTotal },
      `exporting ${rows} rows x ${bytesPerRow} bytes = ${bytesTotalEst} bytes would exceed maxComputeBytesTotal=${maxComputeBytesTotal}; export a subset of variants or outputs`,
    );
  }
}

/**
 * The schema metadata, keys in the documented order; `gridta.profile` comes last and only when the
 * tensor was computed in a profile other than the default (as in its variant keys), so that the
 * default profile's files stay what they were.
 */
function schemaMetadata(tensor: IndicatorTensor<unknown>, plan: ExportPlan): Map<string, string> {
  const outputs = plan.outputs.map((o) => o.name);
  const lookAhead = tensor.meta.lookAheadOutputs.filter((n) => outputs.includes(n));
  const profile = tensor.meta.profile ?? DEFAULT_PROFILE;
  return new Map<string, string>([
    ['gridta.schema', TENSOR_LONG_SCHEMA],
    ['gridta.indicator_id', tensor.indicatorId],
    ['gridta.instrument_id', tensor.meta.instrumentId],
    ['gridta.timeframe', tensor.meta.timeframe],
    ['gridta.t', String(tensor.meta.t)],
    ['gridta.variants', String(tensor.meta.variants)],
    ['gridta.outputs', JSON.stringify(outputs)],
    ['gridta.primary_output', outputs[0]!],
    ['gridta.axes', JSON.stringify(tensor.axes.map((a) => ({ name: a.name, kind: a.kind, values: a.values })))],
    ['gridta.nan_policy', tensor.meta.nanPolicy],
    ['gridta.variant_key_version', '1'],
    ['gridta.look_ahead_outputs', JSON.stringify(lookAhead)],
    ...(profile === DEFAULT_PROFILE ? [] : [['gridta.profile', profile] as [string, string]]),
  ]);
}

const encoder = new TextEncoder();

/** A Utf8 vector built from its offsets and bytes directly. */
export function utf8Vector(strings: readonly string[]): Vector<Utf8> {
  const encoded = strings.map((s) => encoder.encode(s));
  const offsets = new Int32Array(strings.length + 1);
  for (let i = 0; i < encoded.length; i++) offsets[i + 1] = offsets[i]! + encoded[i]!.length;
  const bytes = new Uint8Array(offsets[strings.length]!);
  for (let i = 0; i < encoded.length; i++) bytes.set(encoded[i]!, offsets[i]!);
  return makeVector(makeData({ type: new Utf8(), length: strings.length, nullCount: 0, valueOffsets: offsets, data: bytes }));
}

/** Copies variant `sel[j]` of a layout into `dst[j * T ..]` for every j of the batch. */
function fillOutput(dst: Float32Array, src: Float32Array, timeMajor: boolean, sel: Uint32Array, T: number, V: number): void {
  const n = sel.length;
  if (!timeMajor) {
    for (let j = 0; j < n; j++) {
      const v = sel[j]!;
      dst.set(src.subarray(v * T, v * T + T), j * T);
    }
    return;
  }
  // Blocked transpose: each time row is read once per block of variants, each block writes a few
  // sequential streams. Copied as 32-bit patterns so every NaN keeps its exact bits.
  const from = new Uint32Array(src.buffer, src.byteOffset, src.length);
  const to = new Uint32Array(dst.buffer, dst.byteOffset, dst.length);
  const BLOCK = 32;
  for (let j0 = 0; j0 < n; j0 += BLOCK) {
    const j1 = Math.min(n, j0 + BLOCK);
    for (let t = 0; t < T; t++) {
      const base = t * V;
      for (let j = j0, d = j0 * T + t; j < j1; j++, d += T) to[d] = from[base + sel[j]!]!;
    }
  }
}

/** @internal `tensorToArrow` with an explicit batch row limit (tests use a small one). */
export function tensorToArrowWithBatchRows(
  tensor: IndicatorTensor<unknown>,
  opts: ArrowExportOptions | undefined,
  maxBatchRows: number,
  allowedKeys: readonly string[] = EXPORT_OPTION_KEYS,
): Table {
  const plan = planTensorExport(tensor, opts, allowedKeys);
  const T = plan.t;
  const V = tensor.meta.variants;
  const timeMajor = tensor.layout === 'TIME_MAJOR';

  // Fields; dictionary ids are numbered per table (0, 1, ...) so equal tensors give equal IPC bytes.
  let dictId = 0;
  const fields: Field<DataType>[] = [
    new Field('ts_open', new TimestampMillisecond('UTC'), false),
    new Field('variant', new Uint32(), false),
  ];
  const axisTypes: DataType[] = [];
  const axisDicts: (Vector<Utf8> | undefined)[] = [];
  for (const a of plan.axes) {
    let type: DataType;
    if (a.encoding === 'int') type = new Int32();
    else if (a.encoding === 'float') type = new Float64();
    else type = new Dictionary(new Utf8(), new Int32(), dictId++, false);
    axisTypes.push(type);
    axisDicts.push(a.encoding === 'dict' ? utf8Vector(a.axis.values.map(String)) : undefined);
    fields.push(new Field(a.axis.name, type, false));
  }
  for (const o of plan.outputs) fields.push(new Field(o.name, new Float32(), false));
  let keyType: Dictionary<Utf8, Int32> | undefined;
  let keyDict: Vector<Utf8> | undefined;
  if (plan.includeVariantKey) {
    keyType = new Dictionary(new Utf8(), new Int32(), dictId++, false);
    const keys = new Array<string>(plan.variants.length);
    for (let i = 0; i < keys.length; i++) keys[i] = tensor.variantKey(plan.variants[i]!);
    keyDict = utf8Vector(keys); // index = position in the selection
    fields.push(new Field('variant_key', keyType, false));
  }
  const schema = new Schema(fields, schemaMetadata(tensor, plan));
  const structType = new Struct(fields);

  const perBatch = Math.max(1, Math.floor(maxBatchRows / T));
  const batches: RecordBatch[] = [];
  for (let b0 = 0; b0 < plan.variants.length; b0 += perBatch) {
    const b1 = Math.min(plan.variants.length, b0 + perBatch);
    const sel = plan.variants.subarray(b0, b1);
    const n = sel.length;
    const rows = n * T;

    const ts = new BigInt64Array(rows);
    const variant = new Uint32Array(rows);
    for (let j = 0; j < n; j++) {
      ts.set(tensor.tsOpen, j * T);
      variant.fill(sel[j]!, j * T, j * T + T);
    }
    const children: Data[] = [
      makeData({ type: fields[0]!.type as TimestampMillisecond, length: rows, nullCount: 0, data: ts }),
      makeData({ type: fields[1]!.type as Uint32, length: rows, nullCount: 0, data: variant }),
    ];
    plan.axes.forEach((a, k) => {
      const values = a.axis.values as readonly (number | string)[];
      if (a.encoding === 'float') {
        const col = new Float64Array(rows);
        for (let j = 0; j < n; j++) col.fill(values[Math.floor(sel[j]! / a.stride) % a.length] as number, j * T, j * T + T);
        children.push(makeData({ type: axisTypes[k] as Float64, length: rows, nullCount: 0, data: col }));
      } else {
        const col = new Int32Array(rows);
        for (let j = 0; j < n; j++) {
          const pos = Math.floor(sel[j]! / a.stride) % a.length;
          col.fill(a.encoding === 'int' ? (values[pos] as number) : pos, j * T, j * T + T);
        }
        children.push(
          a.encoding === 'int'
            ? makeData({ type: axisTypes[k] as Int32, length: rows, nullCount: 0, data: col })
            : makeData({ type: axisTypes[k] as Dictionary<Utf8, Int32>, length: rows, nullCount: 0, data: col, dictionary: axisDicts[k]! }),
        );
      }
    });
    for (const o of plan.outputs) {
      const col = new Float32Array(rows);
      fillOutput(col, o.values, timeMajor, sel, T, V);
      children.push(makeData({ type: new Float32(), length: rows, nullCount: 0, data: col }));
    }
    if (keyType && keyDict) {
      const col = new Int32Array(rows);
      for (let j = 0; j < n; j++) col.fill(b0 + j, j * T, j * T + T);
      children.push(makeData({ type: keyType, length: rows, nullCount: 0, data: col, dictionary: keyDict }));
    }
    batches.push(new RecordBatch(schema, makeData({ type: structType, length: rows, nullCount: 0, children })));
  }
  return new Table(schema, batches);
}

/**
 * The long table of a tensor: `ts_open`, `variant`, one column per axis, one Float32 column per
 * selected output (primary first), optionally `variant_key`; rows `r = v * T + t` in the selection's
 * variant order; record batches of whole variants of at most 1 048 576 rows (one variant per batch
 * when T alone is longer). Sized first: over the tensor's budget → ComputeBudgetExceeded (scope
 * `export`). Bad options → GridValidationError.
 */
export function tensorToArrow(tensor: IndicatorTensor<unknown>, opts?: ArrowExportOptions): Table {
  return tensorToArrowWithBatchRows(tensor, opts, MAX_BATCH_ROWS);
}

/** The long table as Arrow IPC bytes: the file format by default, or `format: 'stream'`. */
export function tensorToArrowIPC(tensor: IndicatorTensor<unknown>, opts?: ArrowIPCExportOptions): Uint8Array {
  const format = opts?.format ?? 'file';
  if (format !== 'file' && format !== 'stream') {
    fail(tensor, 'format', 'not_allowed', format, "must be 'file' or 'stream'", ['file', 'stream']);
  }
  const table = tensorToArrowWithBatchRows(tensor, opts, MAX_BATCH_ROWS, IPC_EXPORT_OPTION_KEYS);
  return tableToIPC(table, format);
}

/** Both exporters, for `createTensor(init, toArrowExporters)`. */
export const toArrowExporters: TensorExporters<Table> = Object.freeze({
  toArrow: (t: IndicatorTensor<Table>, opts?: ArrowExportOptions): Table => tensorToArrow(t, opts),
  toArrowIPC: (t: IndicatorTensor<Table>, opts?: ArrowIPCExportOptions): Uint8Array => tensorToArrowIPC(t, opts),
});
