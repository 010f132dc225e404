import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Bool,
  DateDay,
  DateMillisecond,
  Float16,
  Float32,
  Float64,
  Int32,
  Int64,
  Int8,
  Table,
  TimestampMillisecond,
  TimestampMicrosecond,
  TimestampNanosecond,
  TimestampSecond,
  Uint32,
  Uint64,
  Uint8,
  Utf8,
  makeData,
  makeVector,
  tableToIPC,
  vectorFromArray,
  type DataType,
  type Vector,
} from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { candlesFromArrow, loadCandlesFile } from '../../src/arrow/candles.js';
import { candlesFromCsv, isCandles, type ArrowLoadOptions } from '../../src/candles/index.js';
import { candlesDetails, candlesRejection } from '../helpers/errors.js';
import { tempDirs } from '../helpers/tmp.js';

const tempDir = tempDirs();

const MIN = 60_000;

/** A 64-bit timestamp vector built from exact bigints (Arrow's builders take ms numbers). */
function bigVector(type: DataType, values: bigint[]): Vector {
  return makeVector(makeData({ type, length: values.length, data: BigInt64Array.from(values) } as never));
}

const opts = (extra: Partial<ArrowLoadOptions> = {}): ArrowLoadOptions => ({ instrumentId: 'test', ...extra });
const ms = (a: BigInt64Array) => [...a].map(Number);
const closeOf = (n: number) =>
  vectorFromArray(
    Array.from({ length: n }, (_, i) => i + 1),
    new Float64(),
  );

describe('candlesFromArrow: timestamp columns', () => {
  it('reads Timestamp<MILLISECOND>', () => {
    const t = new Table({ ts_open: vectorFromArray([0, MIN, 2 * MIN], new TimestampMillisecond()), close: closeOf(3) });
    const c = candlesFromArrow(t, opts());
    expect(ms(c.tsOpen)).toEqual([0, MIN, 2 * MIN]);
    expect([...c.close]).toEqual([1, 2, 3]);
    expect(isCandles(c)).toBe(true);
  });

  it('reads Timestamp<SECOND>, <MICROSECOND> and <NANOSECOND> exactly', () => {
    const cases: [DataType, bigint][] = [
      [new TimestampSecond(), 60n],
      [new TimestampMicrosecond(), 60_000_000n],
      [new TimestampNanosecond(), 60_000_000_000n],
    ];
    for (const [type, step] of cases) {
      const base = 1_700_000_040n * (step / 60n);
      const t = new Table({ ts_open: bigVector(type, [base, base + step]), close: closeOf(2) });
      expect(ms(candlesFromArrow(t, opts()).tsOpen), String(type)).toEqual([1_700_000_040_000, 1_700_000_100_000]);
    }
  });

  it('reads a Timestamp with a time zone as UTC epoch', () => {
    const t = new Table({ ts_open: bigVector(new TimestampMillisecond('Europe/Paris'), [0n, 60_000n]), close: closeOf(2) });
    expect(candlesFromArrow(t, opts()).start).toBe(0);
  });

  it('rejects nanoseconds that are not a whole millisecond, naming the row', () => {
    const t = new Table({ ts_open: bigVector(new TimestampNanosecond(), [0n, 60_000_000_001n]), close: closeOf(2) });
    expect(candlesDetails(() => candlesFromArrow(t, opts()))).toMatchObject({
      field: 'ts_open',
      reason: 'bad_timestamp',
      index: 1,
      value: '60000000001',
    });
  });

  it('reads Date64', () => {
    const t = new Table({
      date: vectorFromArray([new Date(Date.UTC(2024, 0, 1)), new Date(Date.UTC(2024, 0, 2))], new DateMillisecond()),
      close: closeOf(2),
    });
    const c = candlesFromArrow(t, opts());
    expect(ms(c.tsOpen)).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 2)]);
    expect(c.timeframe).toBe('1d');
  });

  it('reads Int64 in the tsUnit given', () => {
    const t = new Table({ ts_open: vectorFromArray([1_700_000_040_000_000n, 1_700_000_100_000_000n], new Int64()), close: closeOf(2) });
    expect(candlesFromArrow(t, opts({ tsUnit: 'us' })).start).toBe(1_700_000_040_000);
  });

  it('reads Int32 seconds and Uint32 seconds', () => {
    for (const type of [new Int32(), new Uint32()]) {
      const t = new Table({ time: vectorFromArray([1_700_000_040, 1_700_000_100], type), close: closeOf(2) });
      expect(ms(candlesFromArrow(t, opts({ tsUnit: 's' })).tsOpen), String(type)).toEqual([1_700_000_040_000, 1_700_000_100_000]);
    }
  });

  it('reads Utf8 as in CSV and rejects a string without a zone', () => {
    const good = new Table({
      datetime: vectorFromArray(['2024-01-01T00:00:00Z', '2024-01-01T02:01:00+02:00'], new Utf8()),
      close: closeOf(2),
    });
    expect(ms(candlesFromArrow(good, opts()).tsOpen)).toEqual([Date.UTC(2024, 0, 1), Date.UTC(2024, 0, 1, 0, 1)]);
    const bad = new Table({ datetime: vectorFromArray(['2024-01-01T00:00:00Z', '2024-01-01T00:01:00'], new Utf8()), close: closeOf(2) });
    expect(candlesDetails(() => candlesFromArrow(bad, opts()))).toMatchObject({
      field: 'datetime',
      reason: 'bad_timestamp',
      index: 1,
      value: '2024-01-01T00:01:00',
    });
  });

  it('rejects a null timestamp, naming the row', () => {
    const t = new Table({ ts_open: vectorFromArray([0, null, 2 * MIN], new TimestampMillisecond()), close: closeOf(3) });
    expect(candlesDetails(() => candlesFromArrow(t, opts()))).toMatchObject({ field: 'ts_open', reason: 'bad_timestamp', index: 1 });
  });

  it('rejects a Bool timestamp column with wrong_dtype', () => {
    const t = new Table({ ts_open: vectorFromArray([true, false], new Bool()), close: closeOf(2) });
    expect(candlesDetails(() => candlesFromArrow(t, opts()))).toMatchObject({ field: 'ts_open', reason: 'wrong_dtype', value: 'Bool' });
  });

  it('rejects Date32 and Int8 timestamp columns with wrong_dtype', () => {
    const date32 = new Table({ date: vectorFromArray([new Date(0)], new DateDay()), close: closeOf(1) });
    expect(candlesDetails(() => candlesFromArrow(date32, opts({ timeframe: '1d' })))).toMatchObject({
      field: 'date',
      reason: 'wrong_dtype',
      value: 'Date32<DAY>',
    });
    const int8 = new Table({ time: vectorFromArray([1], new Int8()), close: closeOf(1) });
    expect(candlesDetails(() => candlesFromArrow(int8, opts({ timeframe: '1d' }))).reason).toBe('wrong_dtype');
  });
});

describe('candlesFromArrow: value columns', () => {
  const ts = () => vectorFromArray([0, MIN, 2 * MIN], new TimestampMillisecond());

  it('converts Float64, Int32, Uint8, Int64 and Uint64 to float32 and keeps Float32 as is', () => {
    const t = new Table({
      ts_open: ts(),
      open: vectorFromArray([0.1, 2, 3], new Float64()),
      high: vectorFromArray([16_777_217, 5, -6], new Int32()),
      low: vectorFromArray([255, 0, 7], new Uint8()),
      close: vectorFromArray([Math.fround(0.3), 1, 2], new Float32()),
      volume: vectorFromArray([2n ** 40n, 1n, 2n], new Int64()),
    });
    const c = candlesFromArrow(t, opts());
    expect([...c.open!]).toEqual([Math.fround(0.1), 2, 3]);
    expect([...c.high!]).toEqual([16_777_216, 5, -6]);
    expect([...c.low!]).toEqual([255, 0, 7]);
    expect(c.close[0]).toBe(Math.fround(0.3));
    expect(c.volume![0]).toBe(2 ** 40);
    const u64 = new Table({ ts_open: ts(), close: vectorFromArray([1n, 2n, 3n], new Uint64()) });
    expect([...candlesFromArrow(u64, opts()).close]).toEqual([1, 2, 3]);
  });

  it('reads nulls as NaN', () => {
    const t = new Table({
      ts_open: ts(),
      close: vectorFromArray([1, null, 3], new Float32()),
      volume: vectorFromArray([null, 2, 3], new Uint8()),
    });
    const c = candlesFromArrow(t, opts());
    expect([...c.close]).toEqual([1, NaN, 3]);
    expect(Number.isNaN(c.volume![0])).toBe(true);
  });

  it('rejects a Bool value column with wrong_dtype naming the column and type', () => {
    const t = new Table({ ts_open: ts(), close: closeOf(3), volume: vectorFromArray([true, false, true], new Bool()) });
    const d = candlesDetails(() => candlesFromArrow(t, opts()));
    expect(d).toMatchObject({ field: 'volume', reason: 'wrong_dtype', value: 'Bool' });
  });

  it('rejects a Float16 value column with wrong_dtype', () => {
    const t = new Table({ ts_open: ts(), close: vectorFromArray([1, 2, 3], new Float16()) });
    expect(candlesDetails(() => candlesFromArrow(t, opts()))).toMatchObject({ field: 'close', reason: 'wrong_dtype', value: 'Float16' });
  });

  it('rejects Infinity and 1e39 as non_finite, naming the row', () => {
    const inf = new Table({ ts_open: ts(), close: vectorFromArray([1, 2, Infinity], new Float64()) });
    expect(candlesDetails(() => candlesFromArrow(inf, opts()))).toMatchObject({ field: 'close', reason: 'non_finite', index: 2 });
    const big = new Table({ ts_open: ts(), close: vectorFromArray([1, 1e39, 3], new Float64()) });
    expect(candlesDetails(() => candlesFromArrow(big, opts()))).toMatchObject({
      field: 'close',
      reason: 'non_finite',
      index: 1,
      value: 1e39,
    });
  });

  it('rejects a table without a close column', () => {
    const t = new Table({ ts_open: ts(), open: closeOf(3) });
    expect(candlesDetails(() => candlesFromArrow(t, opts()))).toMatchObject({ field: 'close', reason: 'missing_column' });
  });

  it('maps columns explicitly', () => {
    const t = new Table({ Date: ts(), Close: closeOf(3), 'Adj Close': vectorFromArray([7, 8, 9], new Float64()) });
    expect([...candlesFromArrow(t, opts({ columns: { tsOpen: 'Date', close: 'Adj Close' } })).close]).toEqual([7, 8, 9]);
  });
});

describe('candlesFromArrow: placement and chunks', () => {
  it('gives the placement worked example (last wins, misaligned, out of range, holes)', () => {
    const t = new Table({
      ts_open: vectorFromArray([180_000, 0, 60_000, 60_000, 360_000, 90_000], new TimestampMillisecond()),
      open: vectorFromArray([3, 0, 1, 1.5, 9, 7], new Float64()),
      close: closeOf(6),
    });
    const c = candlesFromArrow(t, opts({ timeframe: '1m', start: 0, end: 300_000 }));
    expect([...c.open!]).toEqual([0, 1.5, NaN, 3, NaN]);
    expect(c.loadReport).toMatchObject({ duplicates: 1, outOfRange: 1, misaligned: 1, holes: 2, rowsPlaced: 3 });
  });

  it('names the table row of the first duplicate with strict', () => {
    const t = new Table({ ts_open: vectorFromArray([0, MIN, MIN], new TimestampMillisecond()), close: closeOf(3) });
    expect(candlesDetails(() => candlesFromArrow(t, opts({ strict: true })))).toMatchObject({
      field: 'ts_open',
      reason: 'duplicate_timestamp',
      index: 2,
      value: MIN,
    });
  });

  it('reads a table of two chunks in order', () => {
    const a = new Table({
      ts_open: vectorFromArray([0, MIN], new TimestampMillisecond()),
      close: vectorFromArray([1, null], new Float64()),
    });
    const b = new Table({
      ts_open: vectorFromArray([2 * MIN, 3 * MIN], new TimestampMillisecond()),
      close: vectorFromArray([3, 4], new Float64()),
    });
    const t = a.concat(b);
    expect(t.getChild('close')!.data).toHaveLength(2);
    const c = candlesFromArrow(t, opts());
    expect([...c.close]).toEqual([1, NaN, 3, 4]);
    expect(ms(c.tsOpen)).toEqual([0, MIN, 2 * MIN, 3 * MIN]);
  });

  it('names the table-wide row of an error in a second chunk', () => {
    const a = new Table({ ts_open: vectorFromArray([0, MIN], new TimestampMillisecond()), close: vectorFromArray([1, 2], new Float64()) });
    const b = new Table({
      ts_open: vectorFromArray([2 * MIN, 3 * MIN], new TimestampMillisecond()),
      close: vectorFromArray([3, -Infinity], new Float64()),
    });
    expect(candlesDetails(() => candlesFromArrow(a.concat(b), opts()))).toMatchObject({ field: 'close', reason: 'non_finite', index: 3 });
  });

  it('reads a sliced table with its offset into the null bitmap', () => {
    const t = new Table({
      ts_open: vectorFromArray([0, MIN, 2 * MIN, 3 * MIN], new TimestampMillisecond()),
      close: vectorFromArray([null, 2, null, 4], new Float64()),
    }).slice(1);
    const c = candlesFromArrow(t, opts());
    expect(ms(c.tsOpen)).toEqual([MIN, 2 * MIN, 3 * MIN]);
    expect([...c.close]).toEqual([2, NaN, 4]);
  });

  it('builds a sessions timeline', () => {
    const t = new Table({ ts_open: vectorFromArray([0, 5 * MIN, MIN], new TimestampMillisecond()), close: closeOf(3) });
    const c = candlesFromArrow(t, opts({ timeframe: '1m', timeline: 'sessions' }));
    expect(ms(c.tsOpen)).toEqual([0, MIN, 5 * MIN]);
    expect([...c.close]).toEqual([1, 3, 2]);
  });

  it('checks the instrument id first', () => {
    const t = new Table({ ts_open: vectorFromArray([true], new Bool()), close: closeOf(1) });
    expect(candlesDetails(() => candlesFromArrow(t, opts({ instrumentId: ' ' }))).reason).toBe('empty_instrument');
  });
});

describe('loadCandlesFile', () => {
  const table = () =>
    new Table({ ts_open: vectorFromArray([0, MIN], new TimestampMillisecond()), close: vectorFromArray([1.5, 2.5], new Float64()) });

  it('loads Arrow IPC files and streams by extension, naming the instrument after the file', async () => {
    const dir = await tempDir('gridta-arrow-');
    const files: [string, 'file' | 'stream'][] = [
      ['btc.arrow', 'file'],
      ['btc.feather', 'file'],
      ['btc.arrows', 'stream'],
    ];
    for (const [name, format] of files) {
      await writeFile(join(dir, name), tableToIPC(table(), format));
      const c = await loadCandlesFile(join(dir, name));
      expect(c.instrumentId, name).toBe('btc');
      expect([...c.close], name).toEqual([1.5, 2.5]);
    }
  });

  it('loads .csv and honours the options given', async () => {
    const dir = await tempDir('gridta-arrow-');
    await writeFile(join(dir, 'eth.CSV'), 'ts_open,close\n0,1\n60,2\n');
    const c = await loadCandlesFile(join(dir, 'eth.CSV'), { instrumentId: 'binance:ETH', tsUnit: 's' });
    expect(c.instrumentId).toBe('binance:ETH');
    expect(c.end).toBe(120_000);
  });

  it('loads bench/ttrc.csv the same through CSV and Arrow', async () => {
    const path = new URL('../../bench/ttrc.csv', import.meta.url);
    const csv = await candlesFromCsv(path, { instrumentId: 'ttrc', timeline: 'sessions' });
    const t = new Table({
      ts_open: makeVector(makeData({ type: new TimestampMillisecond(), length: csv.t, data: csv.tsOpen })),
      close: makeVector(csv.close),
      volume: makeVector(csv.volume!),
    });
    const dir = await tempDir('gridta-arrow-');
    await writeFile(join(dir, 'ttrc.arrow'), tableToIPC(t, 'file'));
    const viaArrow = await loadCandlesFile(join(dir, 'ttrc.arrow'), { timeline: 'sessions' });
    expect(viaArrow.t).toBe(5550);
    expect(viaArrow.instrumentId).toBe('ttrc');
    expect(viaArrow.tsOpen).toEqual(csv.tsOpen);
    expect(viaArrow.close).toEqual(csv.close);
  });

  it('rejects an unknown extension', async () => {
    expect(await candlesRejection(loadCandlesFile('/tmp/data.parquet'))).toMatchObject({
      field: 'path',
      reason: 'wrong_dtype',
      value: '/tmp/data.parquet',
    });
  });
});
