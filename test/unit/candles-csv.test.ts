import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { candlesFromCsv, isCandles, type Candles, type CsvLoadOptions } from '../../src/candles/index.js';
import { checkTsUnit } from '../../src/candles/place.js';
import { candlesRejection } from '../helpers/errors.js';
import { tempDirs } from '../helpers/tmp.js';

const tempDir = tempDirs();

const DAY = 86_400_000;
const TTRC = new URL('../../bench/ttrc.csv', import.meta.url);

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const load = (text: string, opts: Partial<CsvLoadOptions> = {}): Promise<Candles> =>
  candlesFromCsv(bytes(text), { instrumentId: 'test', ...opts });

const ms = (a: BigInt64Array) => [...a].map(Number);
const f32 = (xs: number[]) => [...Float32Array.from(xs)];

describe('candlesFromCsv: the placement worked example', () => {
  const csv = 'ts_open,open,close\n180000,3,30\n0,0,0\n60000,1,10\n60000,1.5,15\n360000,9,90\n90000,7,70\n';

  it('places rows on the dense timeline last-wins and reports what it did', async () => {
    const c = await load(csv, { timeframe: '1m', start: 0, end: 300_000 });
    expect(c.t).toBe(5);
    expect(ms(c.tsOpen)).toEqual([0, 60_000, 120_000, 180_000, 240_000]);
    expect([...c.open!]).toEqual([0, 1.5, NaN, 3, NaN]);
    expect([...c.close]).toEqual([0, 15, NaN, 30, NaN]);
    expect(c.loadReport).toEqual({
      rowsRead: 6,
      rowsPlaced: 3,
      duplicates: 1,
      misaligned: 1,
      outOfRange: 1,
      holes: 2,
      timeframeInferred: false,
      warnings: [],
    });
  });

  it('returns frozen, branded candles with a frozen report', async () => {
    const c = await load(csv, { timeframe: '1m', start: 0, end: 300_000 });
    expect(isCandles(c)).toBe(true);
    expect(Object.isFrozen(c)).toBe(true);
    expect(Object.isFrozen(c.loadReport)).toBe(true);
  });

  it('rejects the first duplicate row with strict, naming its line', async () => {
    const d = await candlesRejection(load(csv, { timeframe: '1m', start: 0, end: 300_000, strict: true }));
    expect(d).toMatchObject({ field: 'ts_open', reason: 'duplicate_timestamp', line: 5, value: 60_000 });
  });

  it('rejects a misaligned row with strict when it comes first', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n90000,2\n60000,3\n60000,4\n', { timeframe: '1m', strict: true }));
    expect(d).toMatchObject({ field: 'ts_open', reason: 'misaligned_timestamp', line: 3, value: 90_000 });
  });

  it('never rejects out-of-range rows, even with strict', async () => {
    const c = await load('ts_open,close\n0,1\n60000,2\n600000,3\n', { timeframe: '1m', end: 120_000, strict: true });
    expect(c.loadReport!.outOfRange).toBe(1);
    expect(c.t).toBe(2);
  });
});

describe('candlesFromCsv: timeframe and range', () => {
  it('infers the timeframe from the most frequent step', async () => {
    const c = await load('ts_open,close\n0,1\n300000,2\n600000,3\n1200000,4\n');
    expect(c.timeframe).toBe('5m');
    expect(c.loadReport!.timeframeInferred).toBe(true);
    expect(c.t).toBe(5);
  });

  it('breaks a tie between steps in favour of the smaller one', async () => {
    const c = await load('ts_open,close\n0,1\n60000,2\n360000,3\n');
    expect(c.timeframe).toBe('1m');
  });

  it('infers from sorted distinct times whatever the row order', async () => {
    const c = await load('ts_open,close\n7200000,3\n0,1\n3600000,2\n3600000,2\n');
    expect(c.timeframe).toBe('1h');
    expect([...c.close]).toEqual([1, 2, 3]);
  });

  it('rejects a single distinct time without a timeframe', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n0,2\n'));
    expect(d).toMatchObject({ field: 'timeframe', reason: 'timeframe_required', value: 1 });
  });

  it('rejects an inferred step that is no supported timeframe', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n120000,2\n240000,3\n'));
    expect(d).toMatchObject({ field: 'timeframe', reason: 'timeframe_not_inferred', value: 120_000 });
  });

  it('rejects an unsupported timeframe option before reading the file', async () => {
    const d = await candlesRejection(candlesFromCsv('/nonexistent/file.csv', { instrumentId: 'x', timeframe: '3m' }));
    expect(d).toMatchObject({ field: 'timeframe', reason: 'unsupported_timeframe', value: '3m' });
  });

  it('ends the inferred range just after the last row on the start grid', async () => {
    const c = await load('ts_open,close\n30000,1\n150000,2\n', { timeframe: '1m', start: 0 });
    expect(c.end).toBe(180_000);
    expect(c.loadReport!.misaligned).toBe(2);
  });

  it('slices a file with start and end', async () => {
    const c = await load('ts_open,close\n0,1\n60000,2\n120000,3\n180000,4\n', { start: 60_000, end: 180_000 });
    expect([...c.close]).toEqual([2, 3]);
    expect(c.loadReport!.outOfRange).toBe(2);
  });

  it('rejects a start after every row', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n60000,2\n', { start: 120_000 }));
    expect(d).toMatchObject({ field: 'start', reason: 'empty_range', value: 120_000 });
  });

  it('rejects an end not after the start', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n60000,2\n', { start: 60_000, end: 60_000 }));
    expect(d).toMatchObject({ field: 'end', reason: 'empty_range', value: 60_000 });
  });

  it('rejects an end off the start grid', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n60000,2\n', { end: 90_000 }));
    expect(d).toMatchObject({ field: 'end', reason: 'range_not_aligned', value: 90_000 });
  });

  it('rejects a start that is not an integer', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n60000,2\n', { start: 0.5 }));
    expect(d).toMatchObject({ field: 'start', reason: 'bad_timestamp', value: 0.5 });
  });

  it('fills a given range without rows with holes', async () => {
    const c = await load('ts_open,close\n', { timeframe: '1m', start: 0, end: 120_000 });
    expect([...c.close]).toEqual([NaN, NaN]);
    expect(c.loadReport!.holes).toBe(2);
  });
});

describe('candlesFromCsv: sessions timeline', () => {
  const csv = 'ts_open,close\n0,1\n300000,2\n60000,3\n300000,4\n330000,5\n';

  it('makes one bar per distinct aligned time, without holes', async () => {
    const c = await load(csv, { timeframe: '1m', timeline: 'sessions' });
    expect(ms(c.tsOpen)).toEqual([0, 60_000, 300_000]);
    expect([...c.close]).toEqual([1, 3, 4]);
    expect(c.timeline).toBe('sessions');
    expect(c.end).toBe(360_000);
    expect(c.loadReport).toMatchObject({ rowsRead: 5, rowsPlaced: 3, duplicates: 1, misaligned: 1, holes: 0 });
  });

  it('cuts rows off with start and end', async () => {
    const c = await load(csv, { timeframe: '1m', timeline: 'sessions', start: 60_000, end: 300_000 });
    expect(ms(c.tsOpen)).toEqual([60_000]);
    expect(c.loadReport!.outOfRange).toBe(4);
  });

  it('rejects a range that keeps no row', async () => {
    const d = await candlesRejection(load(csv, { timeframe: '1m', timeline: 'sessions', start: 30_000, end: 60_000 }));
    expect(d.reason).toBe('empty_range');
  });

  it('loads bench/ttrc.csv as 5550 consecutive daily bars', async () => {
    const c = await candlesFromCsv(TTRC, { instrumentId: 'ttrc', timeline: 'sessions' });
    expect(c.timeframe).toBe('1d');
    expect(c.t).toBe(5550);
    expect(c.loadReport).toMatchObject({ rowsRead: 5550, rowsPlaced: 5550, holes: 0, warnings: [] });
    expect([c.start, c.end]).toEqual([473_472_000_000, 1_167_350_400_000 + DAY]);
    expect([c.close[0], c.close[5549]]).toEqual([Math.fround(3.08), Math.fround(51.95)]);
    expect(c.open && c.high && c.low && c.volume).toBeTruthy();
  });
});

describe('candlesFromCsv: many holes', () => {
  it('warns GRIDTA_MANY_HOLES for bench/ttrc.csv loaded dense', async () => {
    const c = await candlesFromCsv(TTRC, { instrumentId: 'ttrc' });
    expect(c.t).toBe(8032);
    expect(c.loadReport!.holes).toBe(8032 - 5550);
    expect(c.loadReport!.warnings).toHaveLength(1);
    expect(c.loadReport!.warnings[0]!.code).toBe('GRIDTA_MANY_HOLES');
    expect(c.loadReport!.warnings[0]!.message).toContain('2482');
    expect(c.loadReport!.warnings[0]!.message).toContain('sessions');
    expect(Number.isNaN(c.close[3])).toBe(true); // 1985-01-05, a Saturday
  });

  it('does not warn for a daily load with 20% holes', async () => {
    const rows = [0, 1, 2, 3, 5].map((d) => `${d * DAY},1`).join('\n');
    const c = await load(`ts_open,close\n${rows}\n`, { timeframe: '1d' });
    expect(c.loadReport!.holes).toBe(1);
    expect(c.loadReport!.warnings).toEqual([]);
  });

  it('does not warn for intraday holes', async () => {
    const c = await load('ts_open,close\n0,1\n300000,2\n', { timeframe: '1m' });
    expect(c.loadReport!.holes).toBe(4);
    expect(c.loadReport!.warnings).toEqual([]);
  });
});

describe('candlesFromCsv: headers and columns', () => {
  it('matches headers case-insensitively after trimming', async () => {
    const c = await load(' TimeStamp ,OPEN, Close ,Vol\n0,1,2,3\n60000,4,5,6\n');
    expect([...c.open!]).toEqual([1, 4]);
    expect([...c.close]).toEqual([2, 5]);
    expect([...c.volume!]).toEqual([3, 6]);
    expect(c.high).toBeUndefined();
  });

  it('takes the leftmost header that names a timestamp', async () => {
    const c = await load('date,ts_open,close\n2024-01-01,5,1\n2024-01-02,6,2\n');
    expect(c.start).toBe(Date.UTC(2024, 0, 1));
    expect(c.timeframe).toBe('1d');
  });

  it('maps columns explicitly, overriding the automatic match', async () => {
    const c = await load('Date,Close,Adj Close\n2024-01-01,10,9\n2024-01-02,20,19\n', { columns: { tsOpen: 'Date', close: 'Adj Close' } });
    expect([...c.close]).toEqual([9, 19]);
  });

  it('rejects an explicit column that is not in the header', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1\n', { timeframe: '1m', columns: { high: 'Max' } }));
    expect(d).toMatchObject({ field: 'high', reason: 'missing_column', value: 'Max' });
  });

  it('rejects a file without a timestamp column', async () => {
    const d = await candlesRejection(load('when,close\n0,1\n'));
    expect(d).toMatchObject({ field: 'tsOpen', reason: 'missing_column' });
  });

  it('rejects a file without a close column', async () => {
    const d = await candlesRejection(load('ts_open,open\n0,1\n'));
    expect(d).toMatchObject({ field: 'close', reason: 'missing_column' });
  });

  it('rejects an empty file for lack of a header', async () => {
    expect((await candlesRejection(load(''))).reason).toBe('missing_column');
  });

  it('ignores columns it does not use', async () => {
    const c = await load('ts_open,symbol,close\n0,ABC,1\n60000,ABC,2\n');
    expect([...c.close]).toEqual([1, 2]);
  });
});

describe('candlesFromCsv: CSV syntax', () => {
  it('skips a UTF-8 byte order mark before the header', async () => {
    const c = await load('\uFEFFts_open,close\n0,1\n60000,2\n');
    expect([...c.close]).toEqual([1, 2]);
  });

  it('reads quoted fields, including delimiters, quotes and line breaks inside them', async () => {
    const c = await load('"ts_open","note","close"\n"0","a, ""b""","1.5"\n"60000","two\nlines","2"\n');
    expect([...c.close]).toEqual([1.5, 2]);
  });

  it('counts lines inside quoted fields when naming a line', async () => {
    const d = await candlesRejection(load('ts_open,note,close\n0,"x\ny",1\n60000,z,oops\n'));
    expect(d).toMatchObject({ field: 'close', reason: 'not_a_number', line: 4, value: 'oops' });
  });

  it('counts blank lines and CRLF line ends when naming a line', async () => {
    const d = await candlesRejection(load('ts_open,close\r\n0,1\r\n\r\n60000,x\r\n'));
    expect(d).toMatchObject({ line: 4, value: 'x' });
  });

  it('uses the delimiter option', async () => {
    const c = await load('ts_open;close\n0;1,5\n60000;2\n'.replace('1,5', '1.5'), { delimiter: ';' });
    expect([...c.close]).toEqual([1.5, 2]);
  });

  it('rejects a row with fewer fields than the header, naming its line', async () => {
    const d = await candlesRejection(load('ts_open,open,close\n0,1,2\n60000,3\n'));
    expect(d).toMatchObject({ field: 'close', reason: 'length_mismatch', line: 3, value: 2, expected: 3 });
  });

  it('rejects a row with more fields than the header', async () => {
    const d = await candlesRejection(load('ts_open,close\n0,1,2\n'));
    expect(d).toMatchObject({ reason: 'length_mismatch', line: 2, value: 3, expected: 2 });
  });

  it('rejects an unterminated quote', async () => {
    expect((await candlesRejection(load('ts_open,close\n0,"1\n'))).reason).toBe('not_a_number');
  });
});

describe('candlesFromCsv: timestamp cells', () => {
  it('reads integer seconds with tsUnit s', async () => {
    const c = await load('ts_open,close\n1700000040,1\n1700000100,2\n', { tsUnit: 's' });
    expect(ms(c.tsOpen)).toEqual([1_700_000_040_000, 1_700_000_100_000]);
  });

  it('reads integer microseconds with tsUnit us', async () => {
    const c = await load('ts_open,close\n1700000040000000,1\n1700000100000000,2\n', { tsUnit: 'us' });
    expect(c.start).toBe(1_700_000_040_000);
  });

  it('reads integer nanoseconds beyond 2^53 exactly with tsUnit ns', async () => {
    const c = await load('ts_open,close\n1700000040000000000,1\n1700000100000000000,2\n', { tsUnit: 'ns' });
    expect(ms(c.tsOpen)).toEqual([1_700_000_040_000, 1_700_000_100_000]);
  });

  it('rejects microseconds that are not a whole millisecond', async () => {
    const d = await candlesRejection(load('ts_open,close\n1700000040000000,1\n1700000100000500,2\n', { tsUnit: 'us' }));
    expect(d).toMatchObject({ field: 'ts_open', reason: 'bad_timestamp', line: 3, value: '1700000100000500' });
  });

  it('rejects an unknown tsUnit', async () => {
    expect((await candlesRejection(load('ts_open,close\n0,1\n', { tsUnit: 'min' as never }))).reason).toBe('bad_timestamp');
  });

  it('checkTsUnit (the CLI flags use it) passes ms, s, us, ns and throws the loader error for anything else', async () => {
    for (const u of ['ms', 's', 'us', 'ns']) expect(checkTsUnit(u)).toBe(u);
    const expected = { field: 'tsOpen', reason: 'bad_timestamp', value: 'min', expected: ['ms', 's', 'us', 'ns'] };
    expect(await candlesRejection(() => checkTsUnit('min'))).toEqual(expected);
    expect(await candlesRejection(load('ts_open,close\n0,1\n', { tsUnit: 'min' as never }))).toEqual(expected);
    expect(await candlesRejection(() => checkTsUnit('MS'))).toMatchObject({ field: 'tsOpen', value: 'MS' });
  });

  it('reads ISO-8601 date-times with Z', async () => {
    const c = await load('time,close\n2024-01-02T03:04:00Z,1\n2024-01-02T03:05:00.000Z,2\n');
    expect(ms(c.tsOpen)).toEqual([Date.UTC(2024, 0, 2, 3, 4), Date.UTC(2024, 0, 2, 3, 5)]);
  });

  it('reads ISO-8601 date-times with an offset', async () => {
    const c = await load('time,close\n2024-01-02T05:04:00+02:00,1\n2024-01-01T22:05:00-05:00,2\n2024-01-02T03:06:00+0000,3\n');
    expect(ms(c.tsOpen)).toEqual([Date.UTC(2024, 0, 2, 3, 4), Date.UTC(2024, 0, 2, 3, 5), Date.UTC(2024, 0, 2, 3, 6)]);
  });

  it('reads YYYY-MM-DD as UTC midnight', async () => {
    const c = await load('date,close\n2024-02-28,1\n2024-02-29,2\n');
    expect(ms(c.tsOpen)).toEqual([Date.UTC(2024, 1, 28), Date.UTC(2024, 1, 29)]);
  });

  it('reads millisecond fractions and zero digits beyond them', async () => {
    const c = await load('time,close\n2024-01-01T00:00:00.000000Z,1\n', { timeframe: '1m' });
    expect(c.start).toBe(Date.UTC(2024, 0, 1));
    const d = await candlesRejection(load('time,close\n2024-01-01T00:00:00.0001Z,1\n', { timeframe: '1m' }));
    expect(d).toMatchObject({ field: 'time', reason: 'bad_timestamp', line: 2 });
  });

  it('rejects a timestamp without a zone', async () => {
    const d = await candlesRejection(load('datetime,close\n2024-01-02T03:04:00Z,1\n2024-01-02T03:05:00,2\n'));
    expect(d).toMatchObject({ field: 'datetime', reason: 'bad_timestamp', line: 3, value: '2024-01-02T03:05:00' });
  });

  it('rejects a date that is not on the calendar', async () => {
    const d = await candlesRejection(load('date,close\n2023-02-29,1\n', { timeframe: '1d' }));
    expect(d).toMatchObject({ reason: 'bad_timestamp', value: '2023-02-29' });
  });

  it('rejects an empty or fractional timestamp', async () => {
    expect(await candlesRejection(load('ts_open,close\n,1\n', { timeframe: '1m' }))).toMatchObject({ reason: 'bad_timestamp', line: 2 });
    expect(await candlesRejection(load('ts_open,close\n1.5,1\n', { timeframe: '1m' }))).toMatchObject({
      reason: 'bad_timestamp',
      value: '1.5',
    });
  });
});

describe('candlesFromCsv: value cells', () => {
  it('rounds decimal and exponent notation once to float32', async () => {
    const c = await load('ts_open,close\n0,0.1\n60000,-2.5e-3\n120000,.5\n180000,+7.\n240000,1E2\n');
    expect([...c.close]).toEqual(f32([0.1, -2.5e-3, 0.5, 7, 100]));
  });

  it('reads empty cells and nan, NaN, null, NULL as NaN', async () => {
    const c = await load('ts_open,close\n0,\n60000,nan\n120000,NaN\n180000,null\n240000,NULL\n300000,1\n');
    expect([...c.close]).toEqual([NaN, NaN, NaN, NaN, NaN, 1]);
  });

  it('rejects 1e39 as non_finite, naming line and column', async () => {
    const d = await candlesRejection(load('ts_open,open,close\n0,1,1\n60000,1e39,1\n'));
    expect(d).toMatchObject({ field: 'open', reason: 'non_finite', line: 3, value: '1e39' });
  });

  it('rejects inf as non_finite', async () => {
    expect(await candlesRejection(load('ts_open,close\n0,-inf\n'))).toMatchObject({ field: 'close', reason: 'non_finite', line: 2 });
  });

  it('rejects a hexadecimal cell that Number() would accept', async () => {
    const d = await candlesRejection(load('ts_open,close\n0," 0x1A "\n'));
    expect(d).toMatchObject({ field: 'close', reason: 'not_a_number', line: 2, value: ' 0x1A ' });
  });

  it('reads a cell of blanks as missing, never as the 0 of Number(" ")', async () => {
    const c = await load('ts_open,close\n0,"  "\n60000,1\n');
    expect(Number.isNaN(c.close[0])).toBe(true);
  });

  it('rejects words, thousands separators and trailing units', async () => {
    for (const cell of ['abc', '"1,000"', '5kg', 'NAN', '1e', '--1']) {
      const d = await candlesRejection(load(`ts_open,close\n0,${cell}\n`, { timeframe: '1m' }));
      expect(d.reason, cell).toBe('not_a_number');
    }
  });

  it('names the column number in the message', async () => {
    const e = await load('ts_open,open,close\n0,1,x\n').catch((err: unknown) => err);
    expect((e as Error).message).toContain('line 2');
    expect((e as Error).message).toContain('column 3');
  });
});

describe('candlesFromCsv: sources and options', () => {
  it('reads a file path and a file: URL', async () => {
    const dir = await tempDir('gridta-csv-');
    const path = join(dir, 'btc.csv');
    await writeFile(path, 'ts_open,close\n0,1\n60000,2\n');
    expect([...(await candlesFromCsv(path, { instrumentId: 'btc' })).close]).toEqual([1, 2]);
    expect([...(await candlesFromCsv(pathToFileURL(path), { instrumentId: 'btc' })).close]).toEqual([1, 2]);
  });

  it('rejects a missing instrument id with a rejected promise, not a throw', async () => {
    const p = candlesFromCsv(bytes('ts_open,close\n0,1\n'), {} as never);
    expect(p).toBeInstanceOf(Promise);
    expect(await candlesRejection(p)).toMatchObject({ field: 'instrumentId', reason: 'empty_instrument' });
  });

  it('stores the instrument id trimmed', async () => {
    expect((await load('ts_open,close\n0,1\n', { instrumentId: ' ttrc ', timeframe: '1d' })).instrumentId).toBe('ttrc');
  });
});
