/**
 * The loaders' timeline guard (a few rows must not ask for an unbounded dense timeline: `maxBars`,
 * `maxHoleShare`, checked before anything of length T is allocated) and the duplicate header check.
 */
import { Field, Float64, Int64, makeData, RecordBatch, Schema, Struct, Table, vectorFromArray } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { candlesFromArrow, loadCandlesFile } from '../../src/arrow/candles.js';
import { candlesFromCsv, type Candles, type CsvLoadOptions } from '../../src/candles/index.js';
import { DEFAULT_MAX_BARS, DEFAULT_MAX_HOLE_SHARE } from '../../src/candles/place.js';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { candlesFailure } from '../helpers/errors.js';
import { tempDirs } from '../helpers/tmp.js';

const tempDir = tempDirs();

const MIN = 60_000;
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const load = (text: string, opts: Partial<CsvLoadOptions> = {}): Promise<Candles> =>
  candlesFromCsv(bytes(text), { instrumentId: 'test', ...opts });

describe('loaders: the dense timeline guard', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_MAX_BARS).toBe(2 ** 27);
    expect(DEFAULT_MAX_HOLE_SHARE).toBe(0.99);
  });

  it('refuses three rows 0, 60000, 6e13 on 1m (T = 1e9 + 1) naming the gap, before allocating', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const { details, message } = await candlesFailure(load('ts_open,close\n0,1\n60000,2\n60000000000000,3\n', { timeframe: '1m' }));
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
    expect(details).toEqual({
      field: 'ts_open',
      reason: 'timeline_too_long',
      line: 4,
      value: { bars: 1e9 + 1, holes: 1e9 - 2, gap: { from: 60000, to: 6e13, bars: 1e9 - 2 } },
      expected: { maxBars: 2 ** 27, maxHoleShare: 0.99 },
    });
    expect(message).toContain('from 60000 (line 3) to 60000000000000 (line 4)');
    expect(message).toContain('999999998 empty bars');
  });

  it('refuses 6e12 (T = 1e8, under maxBars) by the hole share', async () => {
    const { details } = await candlesFailure(load('ts_open,close\n0,1\n60000,2\n6000000000000,3\n', { timeframe: '1m' }));
    expect(details.reason).toBe('timeline_too_long');
    expect(details.value).toEqual({ bars: 1e8 + 1, holes: 1e8 - 2, gap: { from: 60000, to: 6e12, bars: 1e8 - 2 } });
  });

  it('refuses 9e15 (T = 1.5e11) with a typed error, not a RangeError', async () => {
    const { details } = await candlesFailure(load('ts_open,close\n0,1\n60000,2\n9000000000000000,3\n', { timeframe: '1m' }));
    expect(details).toMatchObject({ field: 'ts_open', reason: 'timeline_too_long', line: 4 });
    expect((details.value as { bars: number }).bars).toBe(150_000_000_001);
  });

  it('names a gap that the end option opens after the last row', async () => {
    const { details, message } = await candlesFailure(load('ts_open,close\n0,1\n60000,2\n', { timeframe: '1m', end: 6e11 }));
    expect(details).toEqual({
      field: 'ts_open',
      reason: 'timeline_too_long',
      value: { bars: 1e7, holes: 1e7 - 2, gap: { from: 60000, to: 6e11, bars: 1e7 - 2 } },
      expected: { maxBars: 2 ** 27, maxHoleShare: 0.99 },
    });
    expect(message).toContain('from 60000 (line 3) to 600000000000 (end)');
  });

  it('takes maxBars and maxHoleShare as options', async () => {
    const csv = 'ts_open,close\n0,1\n6000000,2\n'; // T = 101, 99 holes (98%)
    expect((await load(csv, { timeframe: '1m' })).t).toBe(101);
    const bars = await candlesFailure(load(csv, { timeframe: '1m', maxBars: 100 }));
    expect(bars.details).toMatchObject({
      reason: 'timeline_too_long',
      line: 3,
      value: { bars: 101, holes: 99, gap: { from: 0, to: 6000000, bars: 99 } },
      expected: { maxBars: 100, maxHoleShare: 0.99 },
    });
    expect((await load(csv, { timeframe: '1m', maxBars: 101 })).t).toBe(101);
  });

  it('does not refuse a small timeline for its holes, and refuses a long one over maxHoleShare', async () => {
    // 2 rows over a day of minutes: 99.9% holes but only 1441 bars.
    expect((await load('ts_open,close\n0,1\n86400000,2\n', { timeframe: '1m' })).loadReport!.holes).toBe(1439);
    // 200 rows spread over 200,000 bars (99.9% holes): refused; allowed with maxHoleShare 1.
    const rows = Array.from({ length: 200 }, (_, i) => `${i * 1000 * MIN},${i}`).join('\n');
    const csv = `ts_open,close\n${rows}\n`;
    const { details } = await candlesFailure(load(csv, { timeframe: '1m' }));
    expect(details).toMatchObject({
      reason: 'timeline_too_long',
      line: 3,
      value: { bars: 199_001, holes: 198_801, gap: { from: 0, to: 1000 * MIN, bars: 999 } },
    });
    expect((await load(csv, { timeframe: '1m', maxHoleShare: 1 })).t).toBe(199_001);
  });

  it('leaves sessions timelines alone (no holes)', async () => {
    const c = await load('ts_open,close\n0,1\n60000,2\n60000000000000,3\n', { timeframe: '1m', timeline: 'sessions' });
    expect(c.t).toBe(3);
  });

  it('rejects bad guard options by name', async () => {
    expect((await candlesFailure(load('ts_open,close\n0,1\n', { timeframe: '1m', maxBars: 0 }))).details).toMatchObject({
      field: 'maxBars',
      reason: 'wrong_dtype',
      value: 0,
    });
    expect((await candlesFailure(load('ts_open,close\n0,1\n', { timeframe: '1m', maxBars: 1.5 }))).details).toMatchObject({
      field: 'maxBars',
      value: 1.5,
    });
    expect((await candlesFailure(load('ts_open,close\n0,1\n', { timeframe: '1m', maxHoleShare: 1.5 }))).details).toMatchObject({
      field: 'maxHoleShare',
      reason: 'wrong_dtype',
      value: 1.5,
    });
    expect((await candlesFailure(load('ts_open,close\n0,1\n', { timeframe: '1m', maxHoleShare: NaN }))).details).toMatchObject({
      field: 'maxHoleShare',
      value: 'NaN',
    });
  });

  it('guards the Arrow loader too, naming the row index', async () => {
    const table = new Table({
      ts_open: vectorFromArray([0n, 60000n, 60000000000000n], new Int64()),
      close: vectorFromArray([1, 2, 3], new Float64()),
    });
    const { details } = await candlesFailure(() => candlesFromArrow(table, { instrumentId: 'x', timeframe: '1m' }));
    expect(details).toMatchObject({
      field: 'ts_open',
      reason: 'timeline_too_long',
      index: 2,
      value: { bars: 1e9 + 1, gap: { from: 60000, to: 6e13 } },
    });
  });
});

describe('loaders: duplicate header names', () => {
  it('refuses a CSV header naming close twice, naming the column', async () => {
    const { details, message } = await candlesFailure(load('ts_open,close,close\n0,1,2\n60000,3,4\n'));
    expect(details).toEqual({ field: 'close', reason: 'duplicate_column', line: 1, value: 'close', expected: 'unique column names' });
    expect(message).toContain('columns 2 and 3');
  });

  it('compares names as the matching does (trimmed, any case)', async () => {
    const { details } = await candlesFailure(load('ts_open,Volume, volume \n0,1,2\n60000,3,4\n'));
    expect(details).toEqual({ field: 'volume', reason: 'duplicate_column', line: 1, value: 'volume', expected: 'unique column names' });
  });

  it('refuses an Arrow table with two fields of the same name', async () => {
    const fields = [new Field('ts_open', new Int64()), new Field('close', new Float64()), new Field('close', new Float64())];
    const children = [
      vectorFromArray([0n, 60000n], new Int64()),
      vectorFromArray([1, 2], new Float64()),
      vectorFromArray([3, 4], new Float64()),
    ].map((v) => v.data[0]!);
    const batch = new RecordBatch(new Schema(fields), makeData({ type: new Struct(fields), length: 2, nullCount: 0, children }));
    const table = new Table([batch]);
    expect(table.schema.fields.map((f) => f.name)).toEqual(['ts_open', 'close', 'close']);
    const { details } = await candlesFailure(() => candlesFromArrow(table, { instrumentId: 'x', timeframe: '1m' }));
    expect(details).toEqual({ field: 'close', reason: 'duplicate_column', value: 'close', expected: 'unique column names' });
  });

  it('loads the file of a path named .csv inside a directory', async () => {
    const dir = await tempDir('gridta-dot-');
    await writeFile(join(dir, '.csv'), 'ts_open,close\n0,1\n60000,2\n');
    const c = await loadCandlesFile(join(dir, '.csv'), { instrumentId: 'dot' });
    expect(c.t).toBe(2);
  });
});

describe('loadCandlesFile: unreadable paths', () => {
  it('names a missing file as a typed error', async () => {
    const dir = await tempDir('gridta-missing-');
    const path = join(dir, 'nope.csv');
    const { details, message } = await candlesFailure(loadCandlesFile(path));
    expect(details).toEqual({ field: 'path', reason: 'file_unreadable', value: path, expected: 'a readable file' });
    expect(message).toContain('no such file');
    expect((await candlesFailure(loadCandlesFile(join(dir, 'nope.arrow')))).details).toMatchObject({
      field: 'path',
      reason: 'file_unreadable',
    });
  });

  it('names a directory given as the file', async () => {
    const dir = await tempDir('gridta-isdir-');
    const { mkdir } = await import('node:fs/promises');
    await mkdir(join(dir, 'd.csv'));
    const { details, message } = await candlesFailure(loadCandlesFile(join(dir, 'd.csv')));
    expect(details).toMatchObject({ field: 'path', reason: 'file_unreadable', value: join(dir, 'd.csv') });
    expect(message).toContain('it is a directory');
  });
});

describe('candlesFromCsv: unreadable paths', () => {
  it('names a missing file as a typed error, for a path and a file: URL', async () => {
    const dir = await tempDir('gridta-csv-missing-');
    const path = join(dir, 'nope.csv');
    const { details, message } = await candlesFailure(candlesFromCsv(path, { instrumentId: 'x' }));
    expect(details).toEqual({ field: 'path', reason: 'file_unreadable', value: path, expected: 'a readable file' });
    expect(message).toContain('no such file');
    const url = pathToFileURL(path);
    expect((await candlesFailure(candlesFromCsv(url, { instrumentId: 'x' }))).details).toEqual({
      field: 'path',
      reason: 'file_unreadable',
      value: url.href,
      expected: 'a readable file',
    });
  });

  it('names a directory given as the file', async () => {
    const dir = await tempDir('gridta-csv-isdir-');
    const { details, message } = await candlesFailure(candlesFromCsv(dir, { instrumentId: 'x' }));
    expect(details).toEqual({ field: 'path', reason: 'file_unreadable', value: dir, expected: 'a readable file' });
    expect(message).toContain('it is a directory');
  });
});
