/**
 * Streams in the talib profile, driven by the registry (every id with `def.talib` whose kernel
 * resumes): each pushed or updated row equals, bit for bit, the last row of a talib compute over the
 * bars so far (a gap in time makes holes); the profile reaches the kernels' frame and the reference;
 * a snapshot keeps the profile, restore continues in it whatever the engine's default, and a
 * mismatching or bad profile is a typed error naming the field and the value.
 */
import { describe, expect, it } from 'vitest';
import { createCandles } from '../../src/candles/index.js';
import { FRAME_PROFILE } from '../../src/compute/kernels.js';
import { GridValidationError, StreamSnapshotError } from '../../src/errors.js';
import type { GridSpec } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import type { IndicatorDef } from '../../src/registry/types.js';
import { closingEngines, warmEngines } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

const engines = warmEngines(['wasm-simd', 'wasm-scalar', 'reference']);
const KINDS = ['wasm-simd', 'wasm-scalar', 'reference'] as const;
const talibDefs = registry.list().filter((d) => d.talib && d.kernel?.resume);
const M = 60_000;
const T0 = 1_700_000_040_000;
const N = 48;
const HISTORY = 16;
/** Bars left out of the pushes (a gap in time: holes on a dense timeline). */
const GAP = new Set([29, 30]);
const walk = randomWalk(N, 11);

/** A small grid: each numeric param at its minimum, its default and 7 (within bounds); close and hlc3. */
function gridOf(def: IndicatorDef): GridSpec {
  const params: Record<string, number[]> = {};
  for (const name of def.axes) {
    if (name === 'source') continue;
    const p = def.params.find((x) => x.name === name)!;
    const d = p.default as number;
    const vals = p.kind === 'float' ? [d] : [p.min!, d, 7];
    params[name] = [...new Set(vals.map((x) => Math.min(p.max!, Math.max(p.min!, x))))];
  }
  return { indicatorId: def.id, ...(def.axes.includes('source') ? { source: ['close', 'hlc3'] } : {}), params };
}

/** Bar i of the walk (close moved by `bump` for an update). */
const barOf = (i: number, bump = 0) => ({
  tsOpen: T0 + i * M,
  open: walk.open[i]!,
  high: walk.high[i]! + bump,
  low: walk.low[i]!,
  close: walk.close[i]! + bump,
  volume: walk.volume[i]!,
});

/** Candles of bars 0 … last (the gap's bars as holes), bar `last` as given. */
function candlesUpTo(last: number, lastBar = barOf(last)) {
  const rows = Array.from({ length: last + 1 }, (_, i) => (i === last ? lastBar : barOf(i)));
  const col = (k: 'open' | 'high' | 'low' | 'close' | 'volume') => rows.map((b, i) => (GAP.has(i) ? Number.NaN : b[k]));
  return createCandles({
    instrumentId: 'T',
    timeframe: '1m',
    tsOpen: rows.map((b) => b.tsOpen),
    open: col('open'),
    high: col('high'),
    low: col('low'),
    close: col('close'),
    volume: col('volume'),
  });
}

describe('streams in the talib profile equal talib computes', () => {
  it('some id has def.talib and a resumable kernel', () => {
    expect(talibDefs.length).toBeGreaterThan(0);
  });
  for (const def of talibDefs) {
    for (const kind of KINDS) {
      it(`${def.id} on ${kind}: every pushed and updated row is the compute's last row, bit for bit`, async () => {
        const e = engines.get(kind)!;
        const grid = gridOf(def);
        const s = await e.stream({ candles: candlesUpTo(HISTORY - 1), grid, profile: 'talib' });
        expect(s.profile).toBe('talib');
        const check = async (last: number, bar = barOf(last)) => {
          const t = await e.compute({ candles: candlesUpTo(last, bar), grid, layout: 'TIME_MAJOR', profile: 'talib' });
          for (const o of s.outputs) {
            const want = t.output(o).subarray(last * s.variants, (last + 1) * s.variants);
            const got = s.row(o);
            for (let v = 0; v < s.variants; v++) expect(Object.is(got[v], want[v]), `${o} variant ${v} at bar ${last}`).toBe(true);
          }
        };
        await check(HISTORY - 1);
        for (let i = HISTORY; i < N; i++) {
          if (GAP.has(i)) continue;
          if (i % 5 === 0) {
            s.push(barOf(i, 0.75));
            await check(i, barOf(i, 0.75));
            s.update(barOf(i));
          } else s.push(barOf(i));
          await check(i);
        }
      });
    }
  }
});

describe('the profile reaches the kernels and the references', () => {
  it('the WebAssembly core writes the frame profile slot; the reference core passes the profile', async () => {
    const grid = { indicatorId: 'ma.sma', source: ['close'], params: { window: [3] } };
    for (const [kind, profile, code] of [
      ['wasm-simd', 'talib', 1],
      ['wasm-scalar', 'talib', 1],
      ['wasm-simd', 'gridta', 0],
    ] as const) {
      const s = await engines.get(kind)!.stream({ candles: candlesUpTo(5), grid, profile });
      s.push(barOf(6));
      const core = (s as unknown as { core: { u32: Uint32Array; runs: { frame: number }[] } }).core;
      for (const r of core.runs) expect(core.u32[r.frame / 4 + FRAME_PROFILE]).toBe(code);
    }
    const ref = await engines.get('reference')!.stream({ candles: candlesUpTo(5), grid, profile: 'talib' });
    expect((ref as unknown as { core: { profile: string } }).core.profile).toBe('talib');
  });

  it("a stream without a profile takes the engine's; its variant keys name a profile other than the default", async () => {
    const make = closingEngines();
    const grid = { indicatorId: 'ma.sma', source: ['close'], params: { window: [3, 5] } };
    const talibEngine = make({ profile: 'talib', threads: 1 });
    const s = await talibEngine.stream({ candles: candlesUpTo(9), grid });
    expect(s.profile).toBe('talib');
    const d = await engines.get('wasm-simd')!.stream({ candles: candlesUpTo(9), grid });
    expect(d.profile).toBe('gridta');
    for (let v = 0; v < 2; v++) {
      expect(s.variantKey(v)).not.toBe(d.variantKey(v));
      const t = await engines.get('wasm-simd')!.compute({ candles: candlesUpTo(9), grid });
      // the default profile's keys are the compute's, unchanged
      expect(d.variantKey(v)).toBe(t.variantKey(v));
    }
  });
});

describe('snapshots keep the profile', () => {
  const grid = { indicatorId: 'ma.wma', source: ['close', 'hlc3'], params: { window: [2, 4] } };
  for (const kind of KINDS) {
    it(`${kind}: snapshot, restore: the profile and the rows continue`, async () => {
      const e = engines.get(kind)!;
      const a = await e.stream({ candles: candlesUpTo(20), grid, profile: 'talib' });
      const doc = a.snapshot();
      const b = await e.restoreStream(doc);
      expect(b.profile).toBe('talib');
      expect(b.variantKey(1)).toBe(a.variantKey(1));
      for (let i = 21; i < 26; i++) {
        const ra = a.push(barOf(i)).value!.slice();
        const rb = b.push(barOf(i)).value!;
        expect(Array.from(rb)).toEqual(Array.from(ra));
      }
      // the profile the caller expects: the same restores, another is refused naming both
      expect((await e.restoreStream(doc, { profile: 'talib' })).profile).toBe('talib');
      const other = await e.restoreStream(doc, { profile: 'gridta' }).catch((x: unknown) => x);
      expect(other).toBeInstanceOf(StreamSnapshotError);
      expect((other as StreamSnapshotError).details).toMatchObject({ reason: 'other_profile', value: 'talib', expected: 'gridta' });
    });
  }

  it("a default-profile snapshot is written as before (no profile member) and restores in it, whatever the engine's default", async () => {
    const make = closingEngines();
    const e = engines.get('wasm-simd')!;
    const a = await e.stream({ candles: candlesUpTo(20), grid });
    const doc = a.snapshot();
    const header = new TextDecoder().decode(doc.subarray(24, 24 + new DataView(doc.buffer, doc.byteOffset).getUint32(20, true)));
    expect(JSON.parse(header)).not.toHaveProperty('profile');
    expect(new DataView(doc.buffer, doc.byteOffset).getUint32(8, true)).toBe(1);
    const b = await make({ profile: 'talib', threads: 1 }).restoreStream(doc);
    expect(b.profile).toBe('gridta');
    const t = await make({ profile: 'talib', threads: 1 }).restoreStream(
      (await e.stream({ candles: candlesUpTo(20), grid, profile: 'talib' })).snapshot(),
    );
    expect(t.profile).toBe('talib');
  });
});

describe('a bad profile is a typed error naming the field and the value', () => {
  it('stream and restore options', async () => {
    const e = engines.get('wasm-simd')!;
    const grid = { indicatorId: 'ma.sma', source: ['close'], params: { window: [3] } };
    for (const bad of ['TA-Lib', 'tradingview', 1, null]) {
      const err = await e.stream({ candles: candlesUpTo(5), grid, profile: bad as never }).catch((x: unknown) => x);
      expect(err).toBeInstanceOf(GridValidationError);
      expect((err as GridValidationError).details).toMatchObject({ field: 'profile', value: bad });
    }
    const doc = (await e.stream({ candles: candlesUpTo(5), grid })).snapshot();
    const err = await e.restoreStream(doc, { profile: 'talibb' as never }).catch((x: unknown) => x);
    expect(err).toBeInstanceOf(GridValidationError);
    expect((err as GridValidationError).details).toMatchObject({ field: 'profile', value: 'talibb' });
  });
});
