/**
 * candlesFromCsv: RFC 4180 parsing by csv-parse, then strict cell conversion and
 * the shared placement of rows on the timeline (place.ts). Every cell error names the 1-based line and the column.
 */
import { readFile } from 'node:fs/promises';
import { parse } from 'csv-parse/sync';
import { parseTimestampText, parseValueText, type CellResult } from './cells.js';
import { matchColumns } from './columns.js';
import { candlesError, unreadableFile } from './fail.js';
import { candlesFromRows, checkLoadOptions, type SparseRows } from './place.js';
import { CSV_LOAD_OPTION_KEYS, type BaseSeries, type Candles, type CsvLoadOptions, type TsUnit } from './types.js';

/** Loads candles from a CSV file path, a `file:` URL or the file's bytes. */
export async function candlesFromCsv(source: string | URL | Uint8Array, opts: CsvLoadOptions): Promise<Candles> {
  const settings = checkLoadOptions(opts, CSV_LOAD_OPTION_KEYS, 'the candlesFromCsv options');
  const delimiter = opts.delimiter ?? ',';
  if (typeof delimiter !== 'string' || delimiter === '') {
    throw candlesError('delimiter', 'wrong_dtype', 'must be a non-empty string', {
      value: delimiter ?? null,
      expected: 'a string such as ";"',
    });
  }
  const bytes = source instanceof Uint8Array ? Buffer.from(source.buffer, source.byteOffset, source.byteLength) : await readSource(source);
  const rows = readRows(bytes, delimiter, settings.columns, settings.tsUnit);
  return candlesFromRows(rows, settings);
}

/** Reads a path or `file:` URL; a missing or unreadable file is `file_unreadable` on `path`. */
function readSource(source: string | URL): Promise<Buffer> {
  return readFile(source).catch((e: unknown) => {
    throw unreadableFile(e, source instanceof URL ? source.href : source);
  });
}

/** One csv-parse record with `info`: `bytes` is the offset just past it. */
interface ParsedRecord {
  record: string[];
  info: { bytes: number };
}

/** Parses the bytes and converts every data row; the first row is the header. */
function readRows(bytes: Buffer, delimiter: string, columns: CsvLoadOptions['columns'], tsUnit: TsUnit): SparseRows {
  const records = parseRecords(bytes, delimiter);
  const lines = lineFinder(bytes);
  const header = records[0];
  if (header === undefined) throw candlesError('tsOpen', 'missing_column', 'the file has no header row');
  const names = header.record.map((h) => h.trim());
  const map = matchColumns(names, columns, lines(0));
  const tsField = names[map.tsOpen]!;
  const n = records.length - 1;
  const ts = new Float64Array(n);
  const series: Partial<Record<BaseSeries, Float32Array>> = {};
  const rowLines = new Uint32Array(n);
  for (const name of Object.keys(map.series) as BaseSeries[]) series[name] = new Float32Array(n);

  let previousEnd = header.info.bytes;
  for (let r = 0; r < n; r++) {
    const { record, info } = records[r + 1]!;
    const line = lines(previousEnd);
    previousEnd = info.bytes;
    rowLines[r] = line;
    if (record.length !== names.length) throw fieldCountError(names, record.length, line);
    ts[r] = cell(record, map.tsOpen, tsField, line, (text) => parseTimestampText(text, tsUnit));
    for (const [name, col] of Object.entries(map.series) as [BaseSeries, number][]) {
      series[name]![r] = cell(record, col, names[col]!, line, parseValueText);
    }
  }
  return { ts, series, tsField, locate: (row) => ({ line: rowLines[row]! }) };
}

/** csv-parse with per-record byte offsets; its own errors become CandlesValidationError. */
function parseRecords(bytes: Buffer, delimiter: string): ParsedRecord[] {
  try {
    return parse(bytes, {
      bom: true,
      delimiter,
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
    }) as unknown as ParsedRecord[];
  } catch (e) {
    const err = e as { code?: string; message?: string; lines?: number };
    const where = typeof err.lines === 'number' ? { line: err.lines } : {};
    const error = candlesError('csv', 'not_a_number', `the file is not valid CSV: ${err.message ?? String(e)}`, {
      ...where,
      value: err.code ?? null,
    });
    throw Object.assign(error, { cause: e });
  }
}

/** Converts one cell, or throws naming its line and column. */
function cell(record: string[], col: number, field: string, line: number, read: (text: string) => CellResult): number {
  const text = record[col]!;
  const got = read(text);
  if (got.ok) return got.value;
  throw candlesError(field, got.reason, `column ${col + 1} ${got.why}`, { line, value: text });
}

function fieldCountError(names: readonly string[], count: number, line: number) {
  const field = count < names.length ? names[count]! : names[names.length - 1]!;
  return candlesError(field, 'length_mismatch', `the row has ${count} fields, the header ${names.length}`, {
    line,
    value: count,
    expected: names.length,
  });
}

/**
 * 1-based line of the record that starts at or after byte `offset` (blank lines skipped). Offsets
 * must be asked for in increasing order; lines are counted once, by LF.
 */
function lineFinder(bytes: Buffer): (offset: number) => number {
  let pos = 0;
  let line = 1;
  return (offset) => {
    let start = offset;
    while (start < bytes.length && (bytes[start] === 0x0a || bytes[start] === 0x0d)) start++;
    for (; pos < start; pos++) if (bytes[pos] === 0x0a) line++;
    return line;
  };
}
