/**
 * The Stage A metrics table as Apache Arrow: one row per strategy variant, in variant order —
 * `variant` (Uint32), `variant_key` (Utf8, the strategy key), one column per strategy axis (Float64
 * for a numeric axis, dictionary-encoded Utf8 for a string axis: ma ids, sources, enums), then one
 * Float64 column per metric in METRIC_NAMES order. Columns are built from typed arrays directly, and
 * the metric columns are the result's own arrays (no copy). Injected into the result by the engine,
 * so the backtest core never imports apache-arrow.
 */
import {
  Dictionary,
  Field,
  Float64,
  Int32,
  makeData,
  RecordBatch,
  Schema,
  Struct,
  Table,
  tableToIPC,
  Uint32,
  Utf8,
  type Data,
  type DataType,
} from 'apache-arrow';
import { utf8Vector } from '../arrow/export.js';
import { StrategyValidationError } from '../errors.js';
import { findUnknownKey, keyList, unknownKeyExplanation } from '../options.js';
import { METRIC_NAMES } from './program.js';
import type { BacktestArrowIPCOptions, BacktestExporters, BacktestResult } from './run.js';

/** Value of `gridta.schema` in the schema metadata. */
export const BACKTEST_METRICS_SCHEMA = 'backtest-metrics/1';

export const BACKTEST_IPC_OPTION_KEYS = keyList<BacktestArrowIPCOptions>({ format: true });

const isNumericAxis = (kind: string): boolean => kind === 'int' || kind === 'float';

/** The schema metadata: what produced the table, in a fixed key order. */
function schemaMetadata(result: BacktestResult<unknown>): Map<string, string> {
  return new Map<string, string>([
    ['gridta.schema', BACKTEST_METRICS_SCHEMA],
    ['gridta.strategy_id', result.strategyId],
    ['gridta.variants', String(result.variants)],
    ['gridta.axes', JSON.stringify(result.axes.map((a) => ({ name: a.name, kind: a.kind, values: a.values })))],
    ['gridta.metrics', JSON.stringify(METRIC_NAMES)],
    ['gridta.execution', JSON.stringify(result.execution)],
    ['gridta.objective', JSON.stringify(result.stats.objective)],
    ['gridta.variant_key_version', '1'],
    ['gridta.profile', result.stats.profile],
  ]);
}

/** The metrics table of a backtest result (see the module comment). */
export function backtestToArrow(result: BacktestResult<unknown>): Table {
  const V = result.variants;
  let dictId = 0;
  const fields: Field<DataType>[] = [new Field('variant', new Uint32(), false), new Field('variant_key', new Utf8(), false)];
  const children: Data[] = [];

  const variant = new Uint32Array(V);
  const keys = new Array<string>(V);
  // One params record per variant, read once for every axis column.
  const params = new Array<Readonly<Record<string, number | string>>>(V);
  for (let v = 0; v < V; v++) {
    variant[v] = v;
    keys[v] = result.variantKey(v);
    params[v] = result.variantValues(v);
  }
  children.push(makeData({ type: fields[0]!.type as Uint32, length: V, nullCount: 0, data: variant }));
  children.push(utf8Vector(keys).data[0]!);

  for (const axis of result.axes) {
    if (isNumericAxis(axis.kind)) {
      const col = new Float64Array(V);
      for (let v = 0; v < V; v++) col[v] = params[v]![axis.name] as number;
      const type = new Float64();
      fields.push(new Field(axis.name, type, false));
      children.push(makeData({ type, length: V, nullCount: 0, data: col }));
    } else {
      const names = (axis.values as readonly (number | string)[]).map(String);
      const position = new Map(names.map((s, i) => [s, i]));
      const col = new Int32Array(V);
      for (let v = 0; v < V; v++) col[v] = position.get(String(params[v]![axis.name]))!;
      const type = new Dictionary(new Utf8(), new Int32(), dictId++, false);
      fields.push(new Field(axis.name, type, false));
      children.push(makeData({ type, length: V, nullCount: 0, data: col, dictionary: utf8Vector(names) }));
    }
  }
  for (const m of METRIC_NAMES) {
    const type = new Float64();
    fields.push(new Field(m, type, false));
    children.push(makeData({ type, length: V, nullCount: 0, data: result.metrics[m] }));
  }
  const schema = new Schema(fields, schemaMetadata(result));
  const batch = new RecordBatch(schema, makeData({ type: new Struct(fields), length: V, nullCount: 0, children }));
  return new Table(schema, [batch]);
}

/** The metrics table as Arrow IPC bytes: the file format by default, or `format: 'stream'`. */
export function backtestToArrowIPC(result: BacktestResult<unknown>, opts?: BacktestArrowIPCOptions): Uint8Array {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null || Array.isArray(opts)))
    throw new StrategyValidationError({ path: 'options', value: opts, expected: 'an object { format? }' });
  const unknown = findUnknownKey(opts ?? {}, BACKTEST_IPC_OPTION_KEYS);
  if (unknown)
    throw new StrategyValidationError({
      path: unknown.key,
      value: unknown.key,
      expected: unknownKeyExplanation(unknown, 'the export options'),
    });
  const format = opts?.format ?? 'file';
  if (format !== 'file' && format !== 'stream')
    throw new StrategyValidationError({ path: 'format', value: format, expected: "'file' or 'stream'" });
  return tableToIPC(backtestToArrow(result), format);
}

/** Both exporters, for the engine to hand to every backtest result. */
export const backtestArrowExporters: BacktestExporters<Table> = Object.freeze({
  toArrow: (r: BacktestResult<Table>): Table => backtestToArrow(r),
  toArrowIPC: (r: BacktestResult<Table>, opts?: BacktestArrowIPCOptions): Uint8Array => backtestToArrowIPC(r, opts),
});
