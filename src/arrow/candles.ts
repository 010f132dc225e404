/**
 * Apache Arrow in: the same column matching and row placement as the CSV loader,
 * with type-directed conversion of each column, chunk by chunk. Also the file loader the CLI uses.
 */
import { readFile } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { DataType, DateUnit, Precision, TimeUnit, makeVector, tableFromIPC, type Data, type Table, type Vector } from 'apache-arrow';
import { candlesFromCsv } from '../candles/csv.js';
import { checkFloat32, integerToMs, parseTimestampText, type CellResult } from '../candles/cells.js';
import { matchColumns } from '../candles/columns.js';
import { candlesError, rejectUnknownKeys, unreadableFile } from '../candles/fail.js';
import { candlesFromRows, checkLoadOptions, type SparseRows } from '../candles/place.js';
import {
  CSV_LOAD_OPTION_KEYS,
  LOAD_OPTION_KEYS,
  type ArrowLoadOptions,
  type BaseSeries,
  type Candles,
  type CsvLoadOptions,
  type TsUnit,
} from '../candles/types.js';

export type { ArrowLoadOptions } from '../candles/types.js';

/** Builds candles from an Arrow table; nulls are NaN, unsupported column types `wrong_dtype`. */
export function candlesFromArrow(table: Table, opts: ArrowLoadOptions): Candles {
  const settings = checkLoadOptions(opts, LOAD_OPTION_KEYS, 'the candlesFromArrow options');
  const names = table.schema.fields.map((f) => f.name);
  const map = matchColumns(names, settings.columns);
  const tsField = names[map.tsOpen]!;
  const ts = readTimes(table.getChildAt(map.tsOpen)!, tsField, settings.tsUnit);
  const series: Partial<Record<BaseSeries, Float32Array>> = {};
  for (const [name, col] of Object.entries(map.series) as [BaseSeries, number][]) {
    series[name] = readValues(table.getChildAt(col)!, names[col]!);
  }
  const rows: SparseRows = { ts, series, tsField, locate: (row) => ({ index: row }) };
  return candlesFromRows(rows, settings);
}

/** Reads one cell of a chunk (index local to the chunk); never called for nulls. */
type CellReader = (data: Data, i: number) => CellResult;

const TS_TYPES = 'Timestamp, Date64, Int32, Int64, Uint32 or Utf8';
const VALUE_TYPES = 'Float32, Float64, Int8..Int64 or Uint8..Uint64';

const UNIT_OF: Readonly<Record<number, TsUnit>> = {
  [TimeUnit.SECOND]: 's',
  [TimeUnit.MILLISECOND]: 'ms',
  [TimeUnit.MICROSECOND]: 'us',
  [TimeUnit.NANOSECOND]: 'ns',
};

const asBigInt = (x: unknown): bigint => (typeof x === 'bigint' ? x : BigInt(x as number));

/** How to turn a timestamp cell of this Arrow type into exact ms, or null if the type is refused. */
function timeReader(type: DataType, tsUnit: TsUnit): CellReader | null {
  if (DataType.isTimestamp(type)) {
    const unit = UNIT_OF[type.unit]!;
    return (data, i) => integerToMs(asBigInt(data.values[i]), unit);
  }
  if (DataType.isDate(type) && type.unit === DateUnit.MILLISECOND) return (data, i) => integerToMs(asBigInt(data.values[i]), 'ms');
  if (
    DataType.isInt(type) &&
    ((type.isSigned && (type.bitWidth === 32 || type.bitWidth === 64)) || (!type.isSigned && type.bitWidth === 32))
  ) {
    return (data, i) => integerToMs(asBigInt(data.values[i]), tsUnit);
  }
  if (DataType.isUtf8(type)) return (data, i) => parseTimestampText(String(stringAt(data, i)), tsUnit);
  return null;
}

/** How to turn a value cell of this Arrow type into float32, or null if the type is refused. */
function valueReader(type: DataType): CellReader | null {
  const isFloat = DataType.isFloat(type) && (type.precision === Precision.SINGLE || type.precision === Precision.DOUBLE);
  if (isFloat || DataType.isInt(type)) return (data, i) => checkFloat32(Number(data.values[i]));
  return null;
}

/** Timestamps as exact ms in table order; a null or inexact one is `bad_timestamp` with its row index. */
function readTimes(column: Vector, field: string, tsUnit: TsUnit): Float64Array {
  const read = timeReader(column.type, tsUnit);
  if (read === null) throw wrongType(field, column.type, TS_TYPES);
  const out = new Float64Array(column.length);
  forEachCell(column, (data, i, row) => {
    if (!data.getValid(i)) throw candlesError(field, 'bad_timestamp', 'is null', { index: row, value: null });
    const got = read(data, i);
    if (!got.ok) throw candlesError(field, got.reason, got.why, { index: row, value: cellValue(data, i) });
    out[row] = got.value;
  });
  return out;
}

/** One value column as float32 in table order; nulls are NaN. */
function readValues(column: Vector, field: string): Float32Array {
  const read = valueReader(column.type);
  if (read === null) throw wrongType(field, column.type, VALUE_TYPES);
  const out = new Float32Array(column.length);
  forEachCell(column, (data, i, row) => {
    if (!data.getValid(i)) {
      out[row] = NaN;
      return;
    }
    const got = read(data, i);
    if (!got.ok) throw candlesError(field, got.reason, got.why, { index: row, value: cellValue(data, i) });
    out[row] = got.value;
  });
  return out;
}

/** Visits every cell of every chunk with its chunk-local and table-wide index. */
function forEachCell(column: Vector, visit: (data: Data, i: number, row: number) => void): void {
  let row = 0;
  for (const data of column.data) {
    for (let i = 0; i < data.length; i++, row++) visit(data, i, row);
  }
}

/** A Utf8 cell; the chunk's vector is kept while its cells are read in a row. */
let lastChunk: { data: Data; vector: Vector } | null = null;
function stringAt(data: Data, i: number): unknown {
  if (lastChunk?.data !== data) lastChunk = { data, vector: makeVector(data) };
  return lastChunk.vector.get(i);
}

function wrongType(field: string, type: DataType, expected: string) {
  return candlesError(field, 'wrong_dtype', `Arrow type ${String(type)} is not supported here (use ${expected})`, {
    value: String(type),
    expected,
  });
}

/** A JSON-safe copy of a raw cell for error details. */
function cellValue(data: Data, i: number): unknown {
  const v: unknown = DataType.isUtf8(data.type) ? stringAt(data, i) : data.values[i];
  if (typeof v === 'bigint') return v.toString();
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

/** `loadCandlesFile` options: those of the CSV loader, with `instrumentId` defaulting to the file's base name. */
export type FileLoadOptions = Omit<CsvLoadOptions, 'instrumentId'> & { readonly instrumentId?: string };

const ARROW_EXTENSIONS = ['.arrow', '.arrows', '.feather'];

/**
 * The extension of a path's last component, lower-cased: `.csv` for `dir/.csv` too (Node's extname
 * gives '' for a name that starts with its only dot).
 */
export function fileExtension(path: string): string {
  const name = basename(path);
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(dot).toLowerCase();
}

/** Loads `.csv` with candlesFromCsv and `.arrow` / `.arrows` / `.feather` (IPC file or stream) with candlesFromArrow. */
export async function loadCandlesFile(path: string, opts: FileLoadOptions = {}): Promise<Candles> {
  if (typeof opts !== 'object' || opts === null || Array.isArray(opts)) {
    throw candlesError('options', 'wrong_dtype', 'the loadCandlesFile options must be an object', {
      value: opts,
      expected: CSV_LOAD_OPTION_KEYS,
    });
  }
  rejectUnknownKeys(opts, CSV_LOAD_OPTION_KEYS, 'the loadCandlesFile options');
  const ext = fileExtension(path);
  const instrumentId = opts.instrumentId ?? basename(path, extname(path));
  const withId = { ...opts, instrumentId };
  if (ext === '.csv') return candlesFromCsv(path, withId);
  if (ARROW_EXTENSIONS.includes(ext)) {
    const bytes = await readFile(path).catch((e: unknown) => {
      throw unreadableFile(e, path);
    });
    // the delimiter only matters for CSV files
    const { delimiter: _delimiter, ...arrowOpts } = withId;
    return candlesFromArrow(tableFromIPC(bytes), arrowOpts);
  }
  throw candlesError('path', 'wrong_dtype', 'must end in .csv, .arrow, .arrows or .feather', {
    value: path,
    expected: ['.csv', ...ARROW_EXTENSIONS],
  });
}
