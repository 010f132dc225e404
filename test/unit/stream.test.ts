/**
 * Streams by hand: EMA rows worked out in the comments, holes from a gap in time, refused bars that
 * change nothing, snapshot documents refused for each reason, writeSnapshot's atomic write.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import {
  CandlesValidationError,
  GridValidationError,
  MissingInputSeriesError,
  StreamOrderError,
  StreamSnapshotError,
} from '../../src/errors.js';
import { writeSnapshot, type IndicatorStream } from '../../src/stream/index.js';
import { warmEngines } from '../helpers/engine.js';
import { thrown } from '../helpers/errors.js';
import { tempDirs } from '../helpers/tmp.js';

const tempDir = tempDirs();

const engines = warmEngines(['wasm-simd', 'wasm-scalar', 'reference']);
const KINDS = ['wasm-simd', 'wasm-scalar', 'reference'] as const;
const M = 60_000;
const T0 = 1_700_000_040_000;
// window 3: a = 2 / (3 + 1) = 0.5, so every step is exact in binary
const EMA3 = { indicatorId: 'ma.ema', source: ['close'], params: { window: [3] } };

function history(closes: number[]) {
  return createCandles({ instrumentId: 'T', timeframe: '1m', tsOpen: closes.map((_, i) => T0 + i * M), close: closes });
}

describe('stream rows worked by hand (ma.ema window 3, a = 0.5)', () => {
  for (const kind of KINDS) {
    it(`${kind}: push, update, a hole from a gap, and the counters`, async () => {
      const s = await engines.get(kind)!.stream({ candles: history([1, 2, 3]), grid: EMA3 });
      // history: 1 seeds; 0.5·2 + 0.5·1 = 1.5; 0.5·3 + 0.5·1.5 = 2.25
      expect(s.row()[0]).toBe(2.25);
      expect(s.lastTs).toBe(T0 + 2 * M);
      expect(s.bars).toBe(3);
      // push 5: 0.5·5 + 0.5·2.25 = 3.625
      expect(s.push({ tsOpen: T0 + 3 * M, close: 5 }).value![0]).toBe(3.625);
      // update to 1: from the state before the bar, 0.5·1 + 0.5·2.25 = 1.625; again to 7: 0.5·7 + 1.125 = 4.625
      expect(s.update({ tsOpen: T0 + 3 * M, close: 1 }).value![0]).toBe(1.625);
      expect(s.update({ tsOpen: T0 + 3 * M, close: 7 }).value![0]).toBe(4.625);
      // next bar 3: 0.5·3 + 0.5·4.625 = 3.8125
      expect(s.push({ tsOpen: T0 + 4 * M, close: 3 }).value![0]).toBe(3.8125);
      // two minutes later: bar 5 is a hole (NaN resets the EMA), bar 6 seeds it again with its close
      expect(s.push({ tsOpen: T0 + 6 * M, close: 8 }).value![0]).toBe(8);
      expect(s.bars).toBe(7);
      // updating the bar after a hole recomputes the hole and the bar: 9 seeds
      expect(s.update({ tsOpen: T0 + 6 * M, close: 9 }).value![0]).toBe(9);
      // next: 0.5·1 + 0.5·9 = 5
      expect(s.push({ tsOpen: T0 + 7 * M, close: 1 }).value![0]).toBe(5);
    });
  }

  it('a stream with no history starts at its first push; sessions skip time without holes', async () => {
    const e = engines.get('wasm-simd')!;
    const s = await e.stream({ instrument: { instrumentId: 'T', timeframe: '1m', timeline: 'sessions' }, grid: EMA3 });
    expect(s.lastTs).toBeNull();
    expect(thrown(() => s.update({ tsOpen: T0, close: 1 }))).toBeInstanceOf(StreamOrderError);
    expect(s.push({ tsOpen: T0, close: 4 }).value![0]).toBe(4);
    // an hour later, no holes on a sessions timeline: 0.5·2 + 0.5·4 = 3
    expect(s.push({ tsOpen: T0 + 60 * M, close: 2 }).value![0]).toBe(3);
    expect(s.bars).toBe(2);
    // off the one-minute grid of the first bar
    const off = thrown(() => s.push({ tsOpen: T0 + 61 * M + 1, close: 2 }), CandlesValidationError);
    expect(off).toBeInstanceOf(CandlesValidationError);
    expect(off.details).toMatchObject({ field: 'tsOpen', reason: 'not_dense', value: T0 + 61 * M + 1 });
  });

  it('a gap the candle loaders would refuse is refused the same way, and changes nothing', async () => {
    const s = await engines.get('wasm-simd')!.stream({ candles: history([1, 2, 3]), grid: EMA3 });
    // 100,000 minutes later: 99,999 holes of 100,003 bars, more than 99 % holes past 65,536 bars
    const far = thrown(() => s.push({ tsOpen: T0 + 100_002 * M, close: 5 }), CandlesValidationError);
    expect(far).toBeInstanceOf(CandlesValidationError);
    expect(far.details).toMatchObject({
      field: 'tsOpen',
      reason: 'timeline_too_long',
      value: { bars: 100_003, holes: 99_999, gap: 99_999 },
    });
    expect(s.bars).toBe(3);
    // 200 holes are fine: the EMA restarts at the bar after them
    expect(s.push({ tsOpen: T0 + 203 * M, close: 5 }).value![0]).toBe(5);
    expect(s.bars).toBe(204);
    const again = await engines.get('wasm-simd')!.restoreStream(s.snapshot());
    expect(thrown(() => again.push({ tsOpen: T0 + 100_203 * M, close: 5 }))).toBeInstanceOf(CandlesValidationError);
  });

  it('tensor: true also returns the history as a compute tensor', async () => {
    const e = engines.get('wasm-simd')!;
    const s = await e.stream({ candles: history([1, 2, 3]), grid: EMA3, tensor: true });
    expect([...s.tensor!.values]).toEqual([1, 1.5, 2.25]);
  });
});

describe('refused bars', () => {
  const grid = { indicatorId: 'ma.ema', source: ['close', 'hlc3'], params: { window: [2, 5, 9, 14, 30] } };
  const bar = (i: number, c: number) => ({ tsOpen: T0 + i * M, open: c, high: c + 1, low: c - 1, close: c, volume: 10 });
  const hist = createCandles({
    instrumentId: 'T',
    timeframe: '1m',
    tsOpen: Array.from({ length: 40 }, (_, i) => T0 + i * M),
    open: Array.from({ length: 40 }, (_, i) => 50 + i),
    high: Array.from({ length: 40 }, (_, i) => 51 + i),
    low: Array.from({ length: 40 }, (_, i) => 49 + i),
    close: Array.from({ length: 40 }, (_, i) => 50 + i),
    volume: Array.from({ length: 40 }, () => 10),
  });
  const cases: [string, Record<string, unknown>, new (...a: never[]) => Error, Record<string, unknown>][] = [
    ['NaN close', { ...bar(40, 90), close: NaN }, CandlesValidationError, { field: 'close', reason: 'not_a_number' }],
    ['high below low', { ...bar(40, 90), high: 80, low: 85 }, CandlesValidationError, { field: 'high', reason: 'bad_bar', value: 80 }],
    ['close above high', { ...bar(40, 90), close: 95 }, CandlesValidationError, { field: 'high', reason: 'bad_bar', value: 91 }],
    ['negative volume', { ...bar(40, 90), volume: -1 }, CandlesValidationError, { field: 'volume', reason: 'non_positive_price' }],
    ['infinite open', { ...bar(40, 90), open: 1e39 }, CandlesValidationError, { field: 'open', reason: 'non_finite' }],
    ['a misspelt key', { ...bar(40, 90), clsoe: 1 }, CandlesValidationError, { field: 'clsoe', reason: 'unknown_key' }],
    ['an older bar', bar(39, 90), StreamOrderError, { call: 'push', lastTs: T0 + 39 * M, tsOpen: T0 + 39 * M }],
    ['hlc3 without high', { tsOpen: T0 + 40 * M, low: 89, close: 90 }, MissingInputSeriesError, { missing: ['high'] }],
    [
      'a fractional tsOpen',
      { ...bar(40, 90), tsOpen: T0 + 40 * M + 0.5 },
      CandlesValidationError,
      { field: 'tsOpen', reason: 'bad_timestamp' },
    ],
  ];
  for (const kind of KINDS) {
    it(`${kind}: each bad bar is refused with a typed error naming it, and the stream goes on as if it never came`, async () => {
      const e = engines.get(kind)!;
      const clean = await e.stream({ candles: hist, grid });
      const s = await e.stream({ candles: hist, grid });
      clean.push(bar(40, 90));
      s.push(bar(40, 90));
      for (const [what, b, cls, details] of cases) {
        const err = thrown(() => s.push(b as never)) as Error & { details: object };
        expect(err, what).toBeInstanceOf(cls);
        expect(err.details, what).toMatchObject(what === 'an older bar' ? { ...details, lastTs: T0 + 40 * M } : details);
        // the same values as an update of the last bar (the two kinds about tsOpen do not apply)
        if (what !== 'an older bar' && what !== 'a fractional tsOpen')
          thrown(() => s.update({ ...(b as object), tsOpen: T0 + 40 * M } as never), cls);
      }
      expect(thrown(() => s.update(bar(41, 90)))).toBeInstanceOf(StreamOrderError);
      // the refused bars changed nothing: the next push gives the rows of the stream that never saw them
      const a = s.push(bar(41, 93));
      const b = clean.push(bar(41, 93));
      expect(Buffer.from(a.value!.buffer)).toEqual(Buffer.from(b.value!.buffer));
      expect(s.bars).toBe(42);
    });
  }

  it('row() of an unknown output, and any call on a closed stream, are refused', async () => {
    const s = await engines.get('wasm-simd')!.stream({ candles: hist, grid });
    expect(thrown(() => s.row('nope'))).toBeInstanceOf(GridValidationError);
    s.close();
    expect(thrown(() => s.push(bar(40, 90)))).toBeInstanceOf(GridValidationError);
  });
});

describe('snapshots', () => {
  const grid = { indicatorId: 'ma.tema', source: ['close'], params: { window: [3, 8, 21] } };
  const hist = history(Array.from({ length: 50 }, (_, i) => 100 + Math.sin(i) * 5));
  const reasonOf = async (s: Promise<unknown>): Promise<string> => {
    const e = await s.then(
      () => null,
      (x: unknown) => x,
    );
    expect(e).toBeInstanceOf(StreamSnapshotError);
    return (e as StreamSnapshotError).details.reason;
  };
  /** The document with its checksum recomputed, so only the change itself can be refused. */
  const resealed = (doc: Uint8Array, change: (d: Uint8Array) => void): Uint8Array => {
    const d = doc.slice();
    change(d);
    d.set(
      createHash('sha256')
        .update(d.subarray(0, d.length - 32))
        .digest(),
      d.length - 32,
    );
    return d;
  };

  for (const kind of KINDS) {
    it(`${kind}: a restored stream continues exactly; later pushes on both agree`, async () => {
      const e = engines.get(kind)!;
      const s = await e.stream({ candles: hist, grid });
      s.push({ tsOpen: T0 + 50 * M, close: 101 });
      const again = await e.restoreStream(s.snapshot());
      expect(again.lastTs).toBe(s.lastTs);
      expect(again.bars).toBe(s.bars);
      expect([...again.row()]).toEqual([...s.row()]);
      // update works on the restored stream (it kept the state before the last bar)
      expect([...again.update({ tsOpen: T0 + 50 * M, close: 97 }).value!]).toEqual([
        ...s.update({ tsOpen: T0 + 50 * M, close: 97 }).value!,
      ]);
      for (let i = 51; i < 60; i++) {
        const c = 100 + Math.cos(i) * 3;
        expect([...again.push({ tsOpen: T0 + i * M, close: c }).value!]).toEqual([...s.push({ tsOpen: T0 + i * M, close: c }).value!]);
      }
    });
  }

  it('refuses what it cannot vouch for: not a snapshot, truncated, altered, newer format, another engine or build', async () => {
    const simd = engines.get('wasm-simd')!;
    const doc = (await simd.stream({ candles: hist, grid })).snapshot();
    expect(await reasonOf(simd.restoreStream(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) as never))).toBe('not_a_snapshot');
    expect(await reasonOf(simd.restoreStream('GRIDTASN' as never))).toBe('not_a_snapshot');
    for (const cut of [4, 30, doc.length - 33, doc.length - 1])
      expect(await reasonOf(simd.restoreStream(doc.slice(0, cut)))).toBe('truncated');
    const altered = doc.slice();
    altered[doc.length - 40]! ^= 1;
    expect(await reasonOf(simd.restoreStream(altered))).toBe('checksum_mismatch');
    const newer = doc.slice();
    new DataView(newer.buffer).setUint32(8, 2, true);
    expect(await reasonOf(simd.restoreStream(newer))).toBe('newer_format');
    expect(await reasonOf(engines.get('wasm-scalar')!.restoreStream(doc))).toBe('other_engine');
    // the same document claiming another kernel build (checksum made valid again)
    // the key's first character, found in the bytes (a text decode of the binary prefix could shift indices)
    const at = Buffer.from(doc).indexOf('"build":"') + 9;
    const forged = resealed(doc, (d) => {
      d[at] = d[at] === 0x30 ? 0x31 : 0x30;
    });
    expect(await reasonOf(simd.restoreStream(forged))).toBe('other_build');
  });

  it('writeSnapshot writes the bytes atomically and leaves no temporary file', async () => {
    const dir = await tempDir('gridta-snap-');
    const s: IndicatorStream = await engines.get('wasm-simd')!.stream({ candles: hist, grid });
    const bytes = s.snapshot();
    const path = join(dir, 'ema.snap');
    await writeSnapshot(path, bytes);
    await writeSnapshot(path, bytes);
    expect(new Uint8Array(readFileSync(path))).toEqual(bytes);
    expect(readdirSync(dir)).toEqual(['ema.snap']);
    await expect(writeSnapshot(join(dir, 'missing', 'x.snap'), bytes)).rejects.toThrow();
    expect(readdirSync(dir)).toEqual(['ema.snap']);
  });
});
