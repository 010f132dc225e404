/** Which input column feeds which candle field (shared by the CSV and Arrow loaders). */
import { candlesError } from './fail.js';
import { BASE_SERIES, type BaseSeries, type CandleColumns } from './types.js';

/** Header names that may hold the bar open time, in no particular priority: the leftmost wins. */
const TIMESTAMP_NAMES = ['ts_open', 'open_time', 'timestamp', 'time', 'datetime', 'date'];
const SERIES_NAMES: Readonly<Record<BaseSeries, readonly string[]>> = {
  open: ['open'],
  high: ['high'],
  low: ['low'],
  close: ['close'],
  volume: ['volume', 'vol'],
};

/** Column indices of the timestamp and of each series found; absent series are left out. */
export interface ColumnMap {
  readonly tsOpen: number;
  readonly series: Partial<Record<BaseSeries, number>>;
}

const norm = (name: string): string => name.trim().toLowerCase();

/**
 * Two columns whose names match alike (trimmed, any case) would make the match depend on column
 * order: refused, naming the name and both (1-based) column numbers (and the header's line, for
 * a CSV). Unnamed columns may repeat.
 */
function checkUnique(headers: readonly string[], keys: readonly string[], line: number | undefined): void {
  const seen = new Map<string, number>();
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (key === '') continue;
    const first = seen.get(key);
    if (first !== undefined) {
      throw candlesError(headers[i]!, 'duplicate_column', `columns ${first + 1} and ${i + 1} have the same name`, {
        ...(line !== undefined ? { line } : {}),
        value: headers[i]!,
        expected: 'unique column names',
      });
    }
    seen.set(key, i);
  }
}

/**
 * Matches headers case-insensitively after trimming. `explicit` names win over the automatic
 * match; an explicit name that is not in the header, or no timestamp / close column at all, is
 * `missing_column`.
 */
export function matchColumns(headers: readonly string[], explicit: CandleColumns = {}, headerLine?: number): ColumnMap {
  const keys = headers.map(norm);
  checkUnique(headers, keys, headerLine);
  const find = (field: 'tsOpen' | BaseSeries, candidates: readonly string[]): number => {
    const wanted = explicit[field];
    if (wanted !== undefined) {
      const exact = headers.indexOf(wanted);
      const at = exact >= 0 ? exact : keys.indexOf(norm(wanted));
      if (at < 0)
        throw candlesError(field, 'missing_column', `column ${JSON.stringify(wanted)} given in columns.${field} is not in the header`, {
          value: wanted,
          expected: [...headers],
        });
      return at;
    }
    return keys.findIndex((k) => candidates.includes(k));
  };
  const tsOpen = find('tsOpen', TIMESTAMP_NAMES);
  if (tsOpen < 0)
    throw candlesError('tsOpen', 'missing_column', `no timestamp column (one of ${TIMESTAMP_NAMES.join(', ')}, or columns.tsOpen)`, {
      value: [...headers],
      expected: TIMESTAMP_NAMES,
    });
  const series: Partial<Record<BaseSeries, number>> = {};
  for (const name of BASE_SERIES) {
    const at = find(name, SERIES_NAMES[name]);
    if (at >= 0) series[name] = at;
  }
  if (series.close === undefined)
    throw candlesError('close', 'missing_column', 'no close column (or columns.close)', { value: [...headers], expected: ['close'] });
  return { tsOpen, series };
}
