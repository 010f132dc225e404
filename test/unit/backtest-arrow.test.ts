/**
 * The Stage A metrics table as Arrow: read back with apache-arrow, every row equals the result's
 * metrics, params and strategy keys, in both IPC formats; bad export options are typed errors.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { tableFromIPC, type Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BACKTEST_METRICS_SCHEMA, backtestToArrow } from '../../src/arrow/index.js';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import type { BacktestResult } from '../../src/backtest/run.js';
import { candlesFromCsv } from '../../src/candles/index.js';
import { StrategyValidationError } from '../../src/errors.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';

const TTRC = fileURLToPath(new URL('../../bench/ttrc.csv', import.meta.url));

let engine: Engine;
let result: BacktestResult;

beforeAll(async () => {
  engine = createEngine({ env: 'test', threads: 1, onWarning: () => undefined });
  const candles = await candlesFromCsv(TTRC, { instrumentId: 'ttrc', timeline: 'sessions' });
  result = await engine.backtest({
    candles,
    // Two string axes (ma, source) and two numeric ones; the constraint drops fast >= slow.
    strategy: { id: 'ma_cross', params: { ma: ['ma.ema', 'ma.sma'], source: ['close', 'hlc3'], fast: [5, 10, 30], slow: [20, 30] } },
    execution: { fee_bps: 5, side: 'both' },
  });
}, 60_000);
afterAll(() => engine.close());

/** Every row of the table against the result, value by value (Object.is: NaN and -0 included). */
function expectTableEqualsResult(table: Table, r: BacktestResult): void {
  expect(table.numRows).toBe(r.variants);
  const names = table.schema.fields.map((f) => f.name);
  expect(names).toEqual(['variant', 'variant_key', ...r.axes.map((a) => a.name), ...METRIC_NAMES]);
  for (let v = 0; v < r.variants; v++) {
    const row = table.get(v)!.toJSON() as Record<string, unknown>;
    expect(row.variant).toBe(v);
    expect(row.variant_key, `variant ${v} key`).toBe(r.variantKey(v));
    for (const [axis, value] of Object.entries(r.variantValues(v))) expect(row[axis], `variant ${v} ${axis}`).toBe(value);
    for (const m of METRIC_NAMES)
      expect(Object.is(row[m], r.metrics[m][v]), `variant ${v} ${m}: ${row[m]} vs ${r.metrics[m][v]}`).toBe(true);
  }
}

describe('BacktestResult.toArrowIPC', () => {
  it('has the variants of the grid after the constraint (2 ma x 2 sources x 4 legal pairs)', () => {
    // pairs with fast < slow: (5,20) (5,30) (10,20) (10,30); fast 30 has none.
    expect(result.variants).toBe(16);
  });

  it('reads back as the file format with every value equal to the result', () => {
    const table = tableFromIPC(result.toArrowIPC());
    expectTableEqualsResult(table, result);
  });

  it('reads back as the stream format with the same rows', () => {
    expectTableEqualsResult(tableFromIPC(result.toArrowIPC({ format: 'stream' })), result);
  });

  it('types numbers as Float64, strings as dictionary Utf8, the index as Uint32 and the key as Utf8', () => {
    const table = tableFromIPC(result.toArrowIPC());
    const types = Object.fromEntries(table.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(types).toMatchObject({
      variant: 'Uint32',
      variant_key: 'Utf8',
      ma: 'Dictionary<Int32, Utf8>',
      source: 'Dictionary<Int32, Utf8>',
      fast: 'Float64',
      slow: 'Float64',
      sharpe: 'Float64',
      trades: 'Float64',
    });
  });

  it('carries the schema, strategy and axes in the schema metadata', () => {
    const meta = tableFromIPC(result.toArrowIPC()).schema.metadata;
    expect(meta.get('gridta.schema')).toBe(BACKTEST_METRICS_SCHEMA);
    expect(meta.get('gridta.strategy_id')).toBe('ma_cross');
    expect(meta.get('gridta.variants')).toBe('16');
    expect(JSON.parse(meta.get('gridta.metrics')!)).toEqual([...METRIC_NAMES]);
    expect(JSON.parse(meta.get('gridta.axes')!)).toEqual([
      { name: 'ma', kind: 'enum', values: ['ma.ema', 'ma.sma'] },
      { name: 'source', kind: 'source', values: ['close', 'hlc3'] },
      { name: 'fast', kind: 'int', values: [5, 10, 30] },
      { name: 'slow', kind: 'int', values: [20, 30] },
    ]);
    expect(JSON.parse(meta.get('gridta.execution')!)).toEqual({
      side: 'both',
      fill: 'next_open',
      fee_bps: 5,
      slippage_bps: 0,
      annualization: null,
    });
  });

  it('keeps a variant the constraint dropped out of the table', () => {
    const table = tableFromIPC(result.toArrowIPC());
    const fast = table.getChild('fast')!.toArray() as Float64Array;
    const slow = table.getChild('slow')!.toArray() as Float64Array;
    for (let v = 0; v < table.numRows; v++) expect(fast[v]!, `row ${v}`).toBeLessThan(slow[v]!);
  });

  it('refuses an unknown format or option key with StrategyValidationError', () => {
    expect(() => result.toArrowIPC({ format: 'csv' as never })).toThrow(StrategyValidationError);
    expect(() => result.toArrowIPC({ format: 'csv' as never })).toThrow("format: expected 'file' or 'stream' (got \"csv\")");
    expect(() => result.toArrowIPC({ formt: 'file' } as never)).toThrow(/did you mean format\?/);
  });
});

describe('BacktestResult.toArrow', () => {
  it('returns the same table as backtestToArrow from gridta/arrow', () => {
    const a = result.toArrow() as Table;
    const b = backtestToArrow(result);
    expect(a.numRows).toBe(b.numRows);
    expect(a.getChild('sharpe')!.toArray()).toEqual(b.getChild('sharpe')!.toArray());
  });

  it('shares the metric arrays of the result rather than copying them', () => {
    const col = (result.toArrow() as Table).getChild('total_return')!.data[0]!.values as Float64Array;
    expect(col.buffer).toBe(result.metrics.total_return.buffer);
  });
});

describe('src/backtest/run.ts', () => {
  it('never imports apache-arrow (the exporters are injected by the engine)', () => {
    const src = readFileSync(fileURLToPath(new URL('../../src/backtest/run.ts', import.meta.url)), 'utf8');
    expect(src).not.toMatch(/from ['"]apache-arrow['"]|\/arrow\.js['"]/);
  });
});
