/**
 * From sparse rows to candles (a dense timeline, or one bar per row for sessions), shared by the CSV and Arrow loaders:
 * timeframe, range, stable sort, last-wins placement, the load report and its warnings.
 */
import { TIMEFRAME_MS, timeframeOfStep, type Timeframe } from '../grid/timeframe.js';
import { TS_UNITS } from './cells.js';
import { checkInstrumentId, checkTimeframe, checkTimeline, createCandles } from './create.js';
import { candlesError, rejectUnknownKeys } from './fail.js';
import {
  COLUMN_KEYS,
  LOAD_OPTION_KEYS,
  type BaseSeries,
  type CandleColumns,
  type Candles,
  type LoadOptions,
  type LoadReport,
  type LoadWarning,
  type Timeline,
  type TsUnit,
} from './types.js';

const isTsUnit = (value: unknown): value is TsUnit => (TS_UNITS as readonly unknown[]).includes(value);

/** `value` as a timestamp unit, or the loaders' CandlesValidationError (field tsOpen, bad_timestamp). */
export function checkTsUnit(value: unknown): TsUnit {
  if (!isTsUnit(value))
    throw candlesError('tsOpen', 'bad_timestamp', `tsUnit must be one of ${TS_UNITS.join(', ')}`, { value, expected: TS_UNITS });
  return value;
}

/** Loader options after validation. */
export interface LoadSettings {
  readonly instrumentId: string;
  readonly timeframe: Timeframe | undefined;
  readonly tsUnit: TsUnit;
  readonly start: number | undefined;
  readonly end: number | undefined;
  readonly strict: boolean;
  readonly timeline: Timeline;
  readonly columns: CandleColumns;
  readonly maxBars: number;
  readonly maxHoleShare: number;
}

/** Rows in input order: exact ms times and float32 values (NaN where a cell was missing). */
export interface SparseRows {
  readonly ts: Float64Array;
  readonly series: Partial<Record<BaseSeries, Float32Array>>;
  /** The timestamp column's name, used as `field` in row errors. */
  readonly tsField: string;
  /** Where row `i` came from: `{ line }` (1-based, CSV) or `{ index }` (0-based, Arrow). */
  readonly locate: (row: number) => { line?: number; index?: number };
}

/** A dense 1d load with more holes than this share of T suggests `timeline: 'sessions'`. */
const MANY_HOLES_SHARE = 0.2;

/** Default `maxBars`: the longest dense timeline a loader builds (2^27 bars: 1 GiB of tsOpen). */
export const DEFAULT_MAX_BARS = 2 ** 27;

/** Default `maxHoleShare`: at most this share of a dense timeline's bars may be holes. */
export const DEFAULT_MAX_HOLE_SHARE = 0.99;

/** Dense timelines of at most this many bars are never refused for their holes (they cost little). */
export const HOLE_GUARD_MIN_BARS = 65_536;

/** Checks the options in createCandles order (instrument, timeframe), then the loader-only ones. */
export function checkLoadOptions(opts: LoadOptions, known: readonly string[] = LOAD_OPTION_KEYS, where = 'the load options'): LoadSettings {
  if (typeof opts !== 'object' || opts === null) {
    throw candlesError('instrumentId', 'empty_instrument', 'load options with an instrumentId are required', { value: opts ?? null });
  }
  rejectUnknownKeys(opts, known, where);
  const columns: unknown = opts.columns;
  if (columns !== undefined) {
    if (typeof columns !== 'object' || columns === null || Array.isArray(columns)) {
      throw candlesError('columns', 'wrong_dtype', 'must be an object of field -> column name', { value: columns, expected: COLUMN_KEYS });
    }
    rejectUnknownKeys(columns, COLUMN_KEYS, `the columns of ${where}`, 'columns.');
  }
  const instrumentId = checkInstrumentId(opts.instrumentId);
  const timeframe = opts.timeframe === undefined ? undefined : checkTimeframe(opts.timeframe);
  const tsUnit = checkTsUnit(opts.tsUnit ?? 'ms');
  for (const field of ['start', 'end'] as const) {
    const v = opts[field];
    if (v !== undefined && !Number.isSafeInteger(v))
      throw candlesError(field, 'bad_timestamp', 'must be a safe integer of epoch ms', { value: v });
  }
  const maxBars = opts.maxBars ?? DEFAULT_MAX_BARS;
  if (typeof maxBars !== 'number' || !Number.isSafeInteger(maxBars) || maxBars < 1) {
    throw candlesError('maxBars', 'wrong_dtype', 'must be a positive integer number of bars', {
      value: jsonNumber(maxBars),
      expected: `an integer >= 1 (default ${DEFAULT_MAX_BARS})`,
    });
  }
  const maxHoleShare = opts.maxHoleShare ?? DEFAULT_MAX_HOLE_SHARE;
  if (typeof maxHoleShare !== 'number' || !(maxHoleShare >= 0 && maxHoleShare <= 1)) {
    throw candlesError('maxHoleShare', 'wrong_dtype', 'must be a number from 0 to 1', {
      value: jsonNumber(maxHoleShare),
      expected: `0..1 (default ${DEFAULT_MAX_HOLE_SHARE})`,
    });
  }
  return {
    instrumentId,
    timeframe,
    tsUnit,
    start: opts.start,
    end: opts.end,
    strict: opts.strict === true,
    timeline: checkTimeline(opts.timeline),
    columns: opts.columns ?? {},
    maxBars,
    maxHoleShare,
  };
}

/** Builds validated candles from rows read by a loader. */
export function candlesFromRows(rows: SparseRows, settings: LoadSettings): Candles {
  const { timeframe, inferred } =
    settings.timeframe !== undefined
      ? { timeframe: settings.timeframe, inferred: false }
      : { timeframe: inferTimeframe(rows.ts), inferred: true };
  const stepMs = TIMEFRAME_MS[timeframe];
  const order = stableOrder(rows.ts);
  let placed: Placement;
  if (settings.timeline === 'dense') {
    const range = denseRange(rows.ts, stepMs, settings);
    checkTimelineLength(rows, order, stepMs, range, settings, timeframe);
    placed = placeDense(rows, order, stepMs, range);
  } else {
    placed = placeSessions(rows, order, stepMs, sessionsRange(rows.ts, settings));
  }
  if (settings.strict) checkStrict(rows, placed, stepMs);

  const series: Partial<Record<BaseSeries, Float32Array>> = {};
  for (const [name, values] of Object.entries(rows.series) as [BaseSeries, Float32Array][]) {
    series[name] = gather(values, placed.slotRow);
  }
  const loadReport = report(rows.ts.length, placed, inferred, timeframe, settings.timeline);
  return createCandles({
    instrumentId: settings.instrumentId,
    timeframe,
    tsOpen: placed.tsOpen,
    close: series.close!,
    ...series,
    timeline: settings.timeline,
    loadReport,
  });
}

/** Timeframe inference: the most frequent positive step between distinct sorted times (ties: smaller). */
export function inferTimeframe(ts: Float64Array): Timeframe {
  const sorted = Float64Array.from(ts).sort();
  const counts = new Map<number, number>();
  let distinct = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length; i++) {
    const diff = sorted[i]! - sorted[i - 1]!;
    if (diff === 0) continue;
    distinct++;
    counts.set(diff, (counts.get(diff) ?? 0) + 1);
  }
  if (distinct < 2) {
    throw candlesError(
      'timeframe',
      'timeframe_required',
      'cannot be inferred from fewer than two distinct timestamps; pass opts.timeframe',
      { value: distinct },
    );
  }
  let best = Infinity;
  let bestCount = 0;
  for (const [diff, count] of counts) {
    if (count > bestCount || (count === bestCount && diff < best)) [best, bestCount] = [diff, count];
  }
  const tf = timeframeOfStep(best);
  if (tf === null) {
    throw candlesError(
      'timeframe',
      'timeframe_not_inferred',
      `the most frequent step, ${best} ms, is not a supported timeframe; pass opts.timeframe`,
      { value: best, expected: Object.values(TIMEFRAME_MS) },
    );
  }
  return tf;
}

/** Row indices sorted by time; equal times keep their input order. */
function stableOrder(ts: Float64Array): Uint32Array {
  const order = new Uint32Array(ts.length);
  let sorted = true;
  for (let i = 0; i < ts.length; i++) {
    order[i] = i;
    if (i > 0 && ts[i]! < ts[i - 1]!) sorted = false;
  }
  return sorted ? order : order.sort((a, b) => ts[a]! - ts[b]! || a - b);
}

interface Range {
  start: number;
  end: number;
}

/** The range: [start, end) on the start grid, ending just after the last row unless given. */
function denseRange(ts: Float64Array, stepMs: number, s: LoadSettings): Range {
  const start = s.start ?? minOf(ts);
  if (start === undefined) throw candlesError('start', 'empty_range', 'there are no rows to take the start from');
  let end = s.end;
  if (end === undefined) {
    const maxTs = maxAtOrAfter(ts, start);
    if (maxTs === undefined) throw candlesError('start', 'empty_range', 'no row lies at or after start', { value: start });
    end = start + stepMs * (Math.floor((maxTs - start) / stepMs) + 1);
  }
  if (end <= start) throw candlesError('end', 'empty_range', 'must be after start', { value: end, expected: `> ${start}` });
  if ((end - start) % stepMs !== 0) {
    throw candlesError('end', 'range_not_aligned', `must lie a multiple of ${stepMs} ms after start (${start})`, {
      value: end,
      expected: `start + k * ${stepMs}`,
    });
  }
  return { start, end };
}

/** Sessions: the start grid as for dense candles; `end` (if given) only cuts rows off. */
function sessionsRange(ts: Float64Array, s: LoadSettings): Range {
  const start = s.start ?? minOf(ts);
  if (start === undefined) throw candlesError('start', 'empty_range', 'there are no rows to take the start from');
  const end = s.end ?? Infinity;
  if (end <= start) throw candlesError('end', 'empty_range', 'must be after start', { value: end, expected: `> ${start}` });
  return { start, end };
}

/**
 * The timeline guard, before anything of length T exists: a dense timeline may have at most
 * `maxBars` bars, and (when longer than HOLE_GUARD_MIN_BARS) at most `maxHoleShare` of them holes.
 * A refusal names the widest gap between bars that have a row (or the range's start / end).
 */
function checkTimelineLength(
  rows: SparseRows,
  order: Uint32Array,
  stepMs: number,
  { start, end }: Range,
  s: LoadSettings,
  timeframe: Timeframe,
): void {
  const t = (end - start) / stepMs;
  if (t <= s.maxBars && t <= HOLE_GUARD_MIN_BARS) return;
  // Distinct aligned in-range times in sorted order: the bars that get a row.
  let filled = 0;
  let prevTs = start - stepMs; // a virtual bar just before start
  let prevRow = -1;
  let gap = { bars: -1, from: start, to: end, fromRow: -1, toRow: -1 };
  const consider = (ts: number, row: number): void => {
    const bars = (ts - prevTs) / stepMs - 1;
    if (bars > gap.bars) gap = { bars, from: prevRow < 0 ? start : prevTs, to: ts, fromRow: prevRow, toRow: row };
  };
  for (const row of order) {
    const ts = rows.ts[row]!;
    if (ts < start || ts >= end || (ts - start) % stepMs !== 0) continue;
    if (filled > 0 && ts === prevTs) {
      prevRow = row;
      continue;
    }
    consider(ts, row);
    filled++;
    prevTs = ts;
    prevRow = row;
  }
  consider(end, -1);
  const holes = t - filled;
  if (t <= s.maxBars && holes <= s.maxHoleShare * t) return;
  const where = (row: number, ts: number, edge: string): string => {
    if (row < 0) return `${ts} (${edge})`;
    const at = rows.locate(row);
    return `${ts} (${at.line !== undefined ? `line ${at.line}` : `index ${at.index!}`})`;
  };
  const why =
    t > s.maxBars ? `more than maxBars=${s.maxBars}` : `${((100 * holes) / t).toFixed(2)}% holes, more than maxHoleShare=${s.maxHoleShare}`;
  throw candlesError(
    rows.tsField,
    'timeline_too_long',
    `the dense ${timeframe} timeline would have ${t} bars, ${holes} of them holes (${why}); the widest gap, from ${where(gap.fromRow, gap.from, 'start')} ` +
      `to ${where(gap.toRow, gap.to, 'end')}, adds ${gap.bars} empty bars. Load with timeline 'sessions', narrow start/end, or raise maxBars / maxHoleShare`,
    {
      ...(gap.toRow >= 0 ? rows.locate(gap.toRow) : {}),
      value: { bars: t, holes, gap: { from: gap.from, to: gap.to, bars: gap.bars } },
      expected: { maxBars: s.maxBars, maxHoleShare: s.maxHoleShare },
    },
  );
}

/** The outcome of placement: which input row fills each bar (-1: a hole). */
interface Placement {
  tsOpen: BigInt64Array;
  slotRow: Int32Array;
  duplicates: number;
  misaligned: number;
  outOfRange: number;
  holes: number;
  /** Input index of the first duplicate / misaligned row, or -1. */
  firstDuplicate: number;
  firstMisaligned: number;
}

/** Placement: one slot per step of [start, end), rows written last-wins. */
function placeDense(rows: SparseRows, order: Uint32Array, stepMs: number, { start, end }: Range): Placement {
  const t = (end - start) / stepMs;
  const p = emptyPlacement(t);
  p.slotRow.fill(-1);
  for (const row of order) {
    const ts = rows.ts[row]!;
    if (ts < start || ts >= end) {
      p.outOfRange++;
      continue;
    }
    if ((ts - start) % stepMs !== 0) {
      p.misaligned++;
      p.firstMisaligned = firstOf(p.firstMisaligned, row);
      continue;
    }
    const slot = (ts - start) / stepMs;
    if (p.slotRow[slot]! >= 0) {
      p.duplicates++;
      p.firstDuplicate = firstOf(p.firstDuplicate, row);
    }
    p.slotRow[slot] = row;
  }
  for (let i = 0; i < t; i++) {
    p.tsOpen[i] = BigInt(start + i * stepMs);
    if (p.slotRow[i]! < 0) p.holes++;
  }
  return p;
}

/** Sessions: one bar per distinct aligned in-range time, in time order; no holes. */
function placeSessions(rows: SparseRows, order: Uint32Array, stepMs: number, { start, end }: Range): Placement {
  const times: number[] = [];
  const winners: number[] = [];
  const p = emptyPlacement(0);
  for (const row of order) {
    const ts = rows.ts[row]!;
    if (ts < start || ts >= end) {
      p.outOfRange++;
      continue;
    }
    if ((ts - start) % stepMs !== 0) {
      p.misaligned++;
      p.firstMisaligned = firstOf(p.firstMisaligned, row);
      continue;
    }
    if (times.length > 0 && times[times.length - 1] === ts) {
      p.duplicates++;
      p.firstDuplicate = firstOf(p.firstDuplicate, row);
      winners[winners.length - 1] = row;
    } else {
      times.push(ts);
      winners.push(row);
    }
  }
  if (times.length === 0) throw candlesError('start', 'empty_range', 'no row lies on the start grid within [start, end)', { value: start });
  return { ...p, tsOpen: BigInt64Array.from(times, (x) => BigInt(x)), slotRow: Int32Array.from(winners) };
}

function emptyPlacement(t: number): Placement {
  return {
    tsOpen: new BigInt64Array(t),
    slotRow: new Int32Array(t),
    duplicates: 0,
    misaligned: 0,
    outOfRange: 0,
    holes: 0,
    firstDuplicate: -1,
    firstMisaligned: -1,
  };
}

const firstOf = (current: number, row: number): number => (current < 0 || row < current ? row : current);

/** `strict`: the earliest duplicate or misaligned row in input order is an error. */
function checkStrict(rows: SparseRows, p: Placement, stepMs: number): void {
  const dup = p.firstDuplicate;
  const mis = p.firstMisaligned;
  if (dup < 0 && mis < 0) return;
  const row = dup >= 0 && (mis < 0 || dup < mis) ? dup : mis;
  const where = rows.locate(row);
  const value = rows.ts[row]!;
  if (row === dup) {
    throw candlesError(rows.tsField, 'duplicate_timestamp', 'repeats the time of an earlier row (strict)', { ...where, value });
  }
  throw candlesError(rows.tsField, 'misaligned_timestamp', `is not on the ${stepMs} ms grid of start (strict)`, {
    ...where,
    value,
    expected: `start + k * ${stepMs}`,
  });
}

/** One output series: the winning row's value per bar, NaN for holes. */
function gather(values: Float32Array, slotRow: Int32Array): Float32Array {
  const out = new Float32Array(slotRow.length);
  for (let i = 0; i < slotRow.length; i++) {
    const row = slotRow[i]!;
    out[i] = row >= 0 ? values[row]! : NaN;
  }
  return out;
}

function report(rowsRead: number, p: Placement, timeframeInferred: boolean, timeframe: Timeframe, timeline: Timeline): LoadReport {
  const warnings: LoadWarning[] = [];
  const t = p.slotRow.length;
  if (timeline === 'dense' && timeframe === '1d' && p.holes > MANY_HOLES_SHARE * t) {
    warnings.push({
      code: 'GRIDTA_MANY_HOLES',
      message:
        `${p.holes} of ${t} daily bars (${((100 * p.holes) / t).toFixed(1)}%) have no row and are NaN; ` +
        "exchange-traded daily data usually wants timeline: 'sessions'",
    });
  }
  return {
    rowsRead,
    rowsPlaced: rowsRead - p.outOfRange - p.misaligned - p.duplicates,
    duplicates: p.duplicates,
    misaligned: p.misaligned,
    outOfRange: p.outOfRange,
    holes: p.holes,
    timeframeInferred,
    warnings,
  };
}

function minOf(ts: Float64Array): number | undefined {
  let min: number | undefined;
  for (const x of ts) if (min === undefined || x < min) min = x;
  return min;
}

function maxAtOrAfter(ts: Float64Array, start: number): number | undefined {
  let max: number | undefined;
  for (const x of ts) if (x >= start && (max === undefined || x > max)) max = x;
  return max;
}

/** A number as JSON keeps it (NaN and infinities as text), anything else as is. */
const jsonNumber = (x: unknown): unknown => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : (x ?? null));
