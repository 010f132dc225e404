/**
 * Unit files and their merge. A unit file is a slice of the long table `toArrow()` exports (one row
 * per variant and bar, variant-major): the rows of variants `[start, end)` of the job's full grid for
 * one instrument, with the full grid's variant indices, axis dictionaries and schema metadata, plus
 * `gridta.job_id` / `gridta.unit` and a
 * `variant_key` column. Its bytes depend only on the job and the range, so a re-run rewrites them
 * identically. `mergeUnits` rebuilds the whole grid's tensor from the slices; its `toArrow()` is the
 * table an in-process compute of the same grid exports.
 */
import {
  type Data,
  Dictionary,
  Field,
  Float32,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableFromIPC,
  tableToIPC,
  TimestampMillisecond,
  Uint32,
  Utf8,
  type Vector,
  type DataType,
} from 'apache-arrow';
import { MAX_BATCH_ROWS, TENSOR_LONG_SCHEMA, toArrowExporters, utf8Vector } from '../arrow/export.js';
import { createTensor, type IndicatorTensor } from '../compute/tensor.js';
import { JobIncompleteError } from '../errors.js';
import { tensorVariantKey } from '../grid/keys.js';
import type { Timeframe } from '../grid/timeframe.js';
import type { Axis } from '../grid/types.js';
import { DEFAULT_PROFILE, type IndicatorDef, type Profile } from '../registry/types.js';

/** What a unit file describes besides its values: the job's full grid on one instrument. */
export interface UnitGrid {
  readonly jobId: string;
  readonly def: IndicatorDef;
  /** The full grid's axes. */
  readonly axes: readonly Axis[];
  readonly variants: number;
  /** Primary first, as the engine orders them. */
  readonly outputs: readonly string[];
  readonly instrumentId: string;
  readonly timeframe: Timeframe;
  readonly timeline: 'dense' | 'sessions';
  readonly tsOpen: BigInt64Array;
  /** The job's profile (absent: the default; only another profile is written to the metadata). */
  readonly profile?: Profile;
}

/** The values of one unit: per output, `(end - start) · T` floats, variant-major. */
export interface UnitValues {
  readonly index: number;
  readonly instrument: number;
  readonly start: number;
  readonly end: number;
  readonly outputs: readonly Float32Array[];
  readonly keys: readonly string[];
}

function metadata(g: UnitGrid, u: Pick<UnitValues, 'index' | 'instrument' | 'start' | 'end'>): Map<string, string> {
  const lookAhead = g.def.lookAhead.filter((n) => g.outputs.includes(n));
  return new Map<string, string>([
    ['gridta.schema', TENSOR_LONG_SCHEMA],
    ['gridta.indicator_id', g.def.id],
    ['gridta.instrument_id', g.instrumentId],
    ['gridta.timeframe', g.timeframe],
    ['gridta.t', String(g.tsOpen.length)],
    ['gridta.variants', String(g.variants)],
    ['gridta.outputs', JSON.stringify(g.outputs)],
    ['gridta.primary_output', g.outputs[0]!],
    ['gridta.axes', JSON.stringify(g.axes.map((a) => ({ name: a.name, kind: a.kind, values: a.values })))],
    ['gridta.nan_policy', 'propagate'],
    ['gridta.variant_key_version', '1'],
    ['gridta.look_ahead_outputs', JSON.stringify(lookAhead)],
    ['gridta.job_id', g.jobId],
    ['gridta.unit', JSON.stringify({ index: u.index, instrument: u.instrument, start: u.start, end: u.end })],
    ...(g.profile === undefined || g.profile === DEFAULT_PROFILE ? [] : [['gridta.profile', g.profile] as [string, string]]),
  ]);
}

/** The unit's slice of the long table as Arrow IPC file bytes (deterministic). */
export function unitToIPC(g: UnitGrid, u: UnitValues): Uint8Array {
  const T = g.tsOpen.length;
  const n = u.end - u.start;
  if (u.outputs.length !== g.outputs.length || u.outputs.some((o) => o.length !== n * T) || u.keys.length !== n) {
    throw new TypeError(`unit ${u.index}: ${g.outputs.length} outputs of ${n} x ${T} values and ${n} keys expected`);
  }
  let dictId = 0;
  const fields: Field<DataType>[] = [
    new Field('ts_open', new TimestampMillisecond('UTC'), false),
    new Field('variant', new Uint32(), false),
  ];
  const st: number[] = [];
  let stride = g.variants;
  const axisTypes: DataType[] = [];
  const axisDicts: (Vector<Utf8> | undefined)[] = [];
  for (const a of g.axes) {
    stride /= a.values.length;
    st.push(stride);
    const type: DataType =
      a.kind === 'int' ? new Int32() : a.kind === 'float' ? new Float64() : new Dictionary(new Utf8(), new Int32(), dictId++, false);
    axisTypes.push(type);
    axisDicts.push(a.kind === 'int' || a.kind === 'float' ? undefined : utf8Vector(a.values.map(String)));
    fields.push(new Field(a.name, type, false));
  }
  for (const name of g.outputs) fields.push(new Field(name, new Float32(), false));
  const keyType = new Dictionary(new Utf8(), new Int32(), dictId++, false);
  const keyDict = utf8Vector(u.keys);
  fields.push(new Field('variant_key', keyType, false));
  const schema = new Schema(fields, metadata(g, u));
  const structType = new Struct(fields);

  const perBatch = Math.max(1, Math.floor(MAX_BATCH_ROWS / T));
  const batches: RecordBatch[] = [];
  for (let j0 = 0; j0 < n; j0 += perBatch) {
    const j1 = Math.min(n, j0 + perBatch);
    const rows = (j1 - j0) * T;
    const ts = new BigInt64Array(rows);
    const variant = new Uint32Array(rows);
    const key = new Int32Array(rows);
    for (let j = j0; j < j1; j++) {
      const r = (j - j0) * T;
      ts.set(g.tsOpen, r);
      variant.fill(u.start + j, r, r + T);
      key.fill(j, r, r + T);
    }
    const children: Data[] = [
      makeData({ type: fields[0]!.type as TimestampMillisecond, length: rows, nullCount: 0, data: ts }),
      makeData({ type: fields[1]!.type as Uint32, length: rows, nullCount: 0, data: variant }),
    ];
    g.axes.forEach((a, k) => {
      const values = a.values as readonly (number | string)[];
      const pos = (j: number): number => Math.floor((u.start + j) / st[k]!) % values.length;
      if (a.kind === 'float') {
        const col = new Float64Array(rows);
        for (let j = j0; j < j1; j++) col.fill(values[pos(j)] as number, (j - j0) * T, (j - j0 + 1) * T);
        children.push(makeData({ type: axisTypes[k] as Float64, length: rows, nullCount: 0, data: col }));
      } else {
        const col = new Int32Array(rows);
        for (let j = j0; j < j1; j++) col.fill(a.kind === 'int' ? (values[pos(j)] as number) : pos(j), (j - j0) * T, (j - j0 + 1) * T);
        children.push(
          a.kind === 'int'
            ? makeData({ type: axisTypes[k] as Int32, length: rows, nullCount: 0, data: col })
            : makeData({ type: axisTypes[k] as Dictionary<Utf8, Int32>, length: rows, nullCount: 0, data: col, dictionary: axisDicts[k]! }),
        );
      }
    });
    for (const values of u.outputs) {
      children.push(makeData({ type: new Float32(), length: rows, nullCount: 0, data: values.slice(j0 * T, j1 * T) }));
    }
    children.push(makeData({ type: keyType, length: rows, nullCount: 0, data: key, dictionary: keyDict }));
    batches.push(new RecordBatch(schema, makeData({ type: structType, length: rows, nullCount: 0, children })));
  }
  return tableToIPC(new Table(schema, batches), 'file');
}

/** The unit a file says it holds (schema metadata), or `null` for a file that is not a unit file. */
export function unitOfTable(table: Table): { jobId: string; index: number; instrument: number; start: number; end: number } | null {
  const m = table.schema.metadata;
  const job = m.get('gridta.job_id');
  const unit = m.get('gridta.unit');
  if (job === undefined || unit === undefined) return null;
  const u = JSON.parse(unit) as { index: number; instrument: number; start: number; end: number };
  return { jobId: job, ...u };
}

export interface MergeInput extends Omit<UnitGrid, 'tsOpen'> {
  /** Bars, first and last bar open time (ms) of the instrument's candles. */
  readonly t: number;
  readonly start: number;
  readonly end: number;
  /** The engine the workers computed with (recorded per unit). */
  readonly engine: 'wasm-simd' | 'wasm-scalar' | 'reference';
  /** Every unit of this instrument: its range and its file's bytes (`null` when the file is missing). */
  readonly units: readonly { index: number; start: number; end: number; file: string; bytes: Uint8Array | null }[];
  readonly maxComputeBytesTotal: number;
}

/**
 * Rebuilds the instrument's whole tensor (VARIANT_MAJOR) from its unit files, checking that every
 * unit is present and is the slice it claims to be (job, range, timeline, variant indices and keys).
 * Its `toArrow()` / `toArrowIPC()` equal those of an in-process compute of the same grid.
 */
export function mergeUnits(g: MergeInput): IndicatorTensor<Table> {
  const T = g.t;
  const V = g.variants;
  const missing = g.units.filter((u) => u.bytes === null);
  if (missing.length) {
    throw new JobIncompleteError({
      jobId: g.jobId,
      instrumentId: g.instrumentId,
      reason: 'missing_units',
      missing: missing.slice(0, 20).map((u) => ({ unit: u.index, file: u.file })),
      missingCount: missing.length,
      total: g.units.length,
    });
  }
  const bad = (unit: number, file: string, what: string): never => {
    throw new JobIncompleteError(
      {
        jobId: g.jobId,
        instrumentId: g.instrumentId,
        reason: 'bad_unit_file',
        missing: [{ unit, file }],
        missingCount: 1,
        total: g.units.length,
      },
      `${file}: ${what}`,
    );
  };
  const outputs = g.outputs.map(() => new Float32Array(T * V));
  const covered = new Uint8Array(V);
  let tsOpen: BigInt64Array | undefined;
  for (const u of g.units) {
    let table: Table;
    try {
      table = tableFromIPC(u.bytes!);
    } catch (e) {
      return bad(u.index, u.file, `not an Arrow IPC file (${(e as Error).message})`);
    }
    const id = unitOfTable(table);
    if (!id || id.jobId !== g.jobId || id.index !== u.index || id.start !== u.start || id.end !== u.end) {
      bad(u.index, u.file, `is not unit ${u.index} (variants ${u.start}..${u.end - 1}) of job ${g.jobId}`);
    }
    const n = u.end - u.start;
    if (table.numRows !== n * T) bad(u.index, u.file, `has ${table.numRows} rows, expected ${n * T}`);
    const ts = table.getChild('ts_open')!.toArray() as BigInt64Array;
    if (!tsOpen) tsOpen = ts.slice(0, T);
    for (let j = 0; j < n; j++) {
      for (let i = 0; i < T; i++)
        if (ts[j * T + i] !== tsOpen[i]) bad(u.index, u.file, `ts_open of row ${j * T + i} differs from the instrument's timeline`);
    }
    const variant = table.getChild('variant')!.toArray() as Uint32Array;
    const keys = table.getChild('variant_key');
    for (let j = 0; j < n; j++) {
      const v = u.start + j;
      if (variant[j * T] !== v || variant[j * T + T - 1] !== v) bad(u.index, u.file, `row ${j * T} is not variant ${v}`);
      if (covered[v]) bad(u.index, u.file, `variant ${v} appears twice`);
      covered[v] = 1;
      const key = keys?.get(j * T) as string | null | undefined;
      if (key !== tensorVariantKey(g.def, g.axes, v, g.instrumentId, g.timeframe, g.profile))
        bad(u.index, u.file, `variant ${v} has key ${String(key)}, not the grid's`);
    }
    g.outputs.forEach((name, k) => {
      const col = table.getChild(name);
      if (!col) bad(u.index, u.file, `has no column ${name}`);
      const values = col!.toArray() as Float32Array;
      // bit patterns, so every NaN keeps its exact bits
      new Uint32Array(outputs[k]!.buffer).set(new Uint32Array(values.buffer, values.byteOffset, values.length), u.start * T);
    });
  }
  const gaps = covered.reduce((c, x) => c + (x === 0 ? 1 : 0), 0);
  if (gaps > 0 || !tsOpen) {
    const gap = covered.indexOf(0);
    throw new JobIncompleteError(
      { jobId: g.jobId, instrumentId: g.instrumentId, reason: 'missing_variants', missing: [], missingCount: gaps, total: g.units.length },
      `variant ${gap} of ${g.instrumentId} is in no unit file`,
    );
  }
  return createTensor<Table>(
    {
      def: g.def,
      axes: g.axes,
      layout: 'VARIANT_MAJOR',
      t: T,
      variants: V,
      outputs: g.outputs.map((name, k) => ({ name, values: outputs[k]! })),
      tsOpen,
      maxComputeBytesTotal: g.maxComputeBytesTotal,
      meta: {
        t: T,
        variants: V,
        outputs: g.outputs.length,
        nanPolicy: 'propagate',
        computeMs: 0,
        warmupMs: 0,
        engine: g.engine,
        threads: 1,
        batches: g.units.length,
        batchVariants: Math.max(...g.units.map((u) => u.end - u.start)),
        attempts: g.units.length,
        lookAheadOutputs: g.def.lookAhead.filter((o) => g.outputs.includes(o)),
        instrumentId: g.instrumentId,
        timeframe: g.timeframe,
        timeline: g.timeline,
        start: g.start,
        end: g.end,
        // the job's profile, so the merged tensor's keys and metadata name it as a compute's do
        ...(g.profile ? { profile: g.profile } : {}),
      },
    },
    toArrowExporters,
  );
}
