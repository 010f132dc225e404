/**
 * Units without a database: the cartesian split of a variant range, the unit file (a deterministic
 * slice of the long table) and the merge, which rebuilds exactly the Arrow file of an in-process
 * compute and refuses a missing, foreign or damaged unit file.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import type { Candles } from '../../src/candles/index.js';
import { JobIncompleteError } from '../../src/errors.js';
import { materializeGrid, variantValues } from '../../src/grid/axes.js';
import type { Axis, GridSpec } from '../../src/grid/types.js';
import { mergeUnits, unitToIPC, type UnitGrid } from '../../src/jobs/arrow.js';
import { computeUnitValues } from '../../src/jobs/compute.js';
import { cartesianBlocks, planUnits, unitFileName } from '../../src/jobs/units.js';
import { registry } from '../../src/registry/index.js';
import { createEngine, type Engine } from '../../src/runtime/engine.js';
import { ttrcTail } from './helpers.js';

/** mulberry32: a small seeded generator, so a failure can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('cartesianBlocks', () => {
  it('splits ranges of random grids into blocks that enumerate exactly that range, in order', () => {
    const next = rng(20261129);
    const problems: string[] = [];
    for (let trial = 0; trial < 80; trial++) {
      const n = 1 + Math.floor(next() * 4);
      const axes: Axis[] = Array.from({ length: n }, (_, k) => ({
        name: `a${k}`,
        kind: 'int',
        values: Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i) => 10 * k + i),
      }));
      const V = axes.reduce((p, a) => p * a.values.length, 1);
      const full = Array.from({ length: V }, (_, v) => JSON.stringify(variantValues(axes, v)));
      for (let r = 0; r < 25; r++) {
        const s = Math.floor(next() * V);
        const e = s + 1 + Math.floor(next() * (V - s));
        const blocks = cartesianBlocks(axes, s, e);
        const where = `axes ${axes.map((a) => a.values.length).join('x')}, range ${s}..${e}`;
        if (blocks.length > 2 * n - 1) problems.push(`${where}: ${blocks.length} blocks`);
        let v = s;
        for (const b of blocks) {
          const m = b.axes.reduce((p, a) => p * a.values.length, 1);
          if (b.start !== v || b.end - b.start !== m) problems.push(`${where}: block ${b.start}..${b.end} of ${m} variants at ${v}`);
          for (let j = 0; j < m; j++)
            if (JSON.stringify(variantValues(b.axes, j)) !== full[v + j]) problems.push(`${where}: variant ${v + j}`);
          v = b.end;
        }
        if (v !== e) problems.push(`${where}: ends at ${v}`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('returns the one variant of a grid without axes', () => {
    expect(cartesianBlocks([], 0, 1)).toEqual([{ start: 0, end: 1, axes: [] }]);
  });

  it('rejects an empty or out-of-range range', () => {
    const axes: Axis[] = [{ name: 'window', kind: 'int', values: [2, 3] }];
    expect(() => cartesianBlocks(axes, 1, 1)).toThrow(RangeError);
    expect(() => cartesianBlocks(axes, 0, 3)).toThrow(RangeError);
  });
});

describe('planUnits and unit file names', () => {
  it('cuts each instrument into ranges of at most unitVariants, instrument by instrument', () => {
    expect(planUnits(2, 5, 2)).toEqual([
      { index: 0, instrument: 0, start: 0, end: 2 },
      { index: 1, instrument: 0, start: 2, end: 4 },
      { index: 2, instrument: 0, start: 4, end: 5 },
      { index: 3, instrument: 1, start: 0, end: 2 },
      { index: 4, instrument: 1, start: 2, end: 4 },
      { index: 5, instrument: 1, start: 4, end: 5 },
    ]);
  });

  it('names a unit file by job, instrument and range, with the instrument id made file-safe', () => {
    expect(unitFileName('5d0c', 3, '1:BTC/USDT', 40, 80)).toBe('5d0c.i3-1%3ABTC%2FUSDT.v40-80.arrow');
    expect(unitFileName('5d0c', 0, '.hidden', 0, 1)).toBe('5d0c.i0-%2Ehidden.v0-1.arrow');
  });
});

describe('unit files merge into the in-process Arrow file', () => {
  let engine: Engine;
  let candles: Candles;
  let dir: string;
  beforeAll(async () => {
    engine = createEngine({ threads: 1, env: 'test' });
    dir = mkdtempSync(join(tmpdir(), 'gridta-jobs-units-'));
    const file = join(dir, 'tail.csv');
    writeFileSync(file, ttrcTail(700));
    candles = await loadCandlesFile(file, { instrumentId: 'TAIL', timeline: 'sessions' });
  });
  afterAll(async () => {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const GRIDS: { name: string; grid: GridSpec; unit: number }[] = [
    {
      name: 'volatility.bbands (float, source and int axes; three outputs)',
      unit: 7,
      grid: {
        indicatorId: 'volatility.bbands',
        source: ['close', 'hlc3'],
        params: { mult: [1.5, 2, 2.5], window: { mode: 'range', start: 10, stopIncl: 20, step: 1 } },
      },
    },
    {
      name: 'momentum.macd (four axes)',
      unit: 5,
      grid: {
        indicatorId: 'momentum.macd',
        source: ['close', 'open'],
        params: { fast_window: [5, 8], slow_window: [20, 26, 30], signal_window: [9, 4] },
      },
    },
    {
      name: 'trend.psar (float axes with a variant rule)',
      unit: 4,
      grid: { indicatorId: 'trend.psar', params: { accel_start: [0.02, 0.03], accel_step: [0.02, 0.01], accel_max: [0.2, 0.3, 0.1] } },
    },
    { name: 'volatility.tr (no axes)', unit: 1, grid: { indicatorId: 'volatility.tr', params: {} } },
  ];

  async function unitFiles(
    g: GridSpec,
    unit: number,
  ): Promise<{ grid: UnitGrid; files: { index: number; start: number; end: number; file: string; bytes: Uint8Array }[] }> {
    const m = materializeGrid(g);
    const def = registry.get(g.indicatorId);
    const V = Number(m.variants);
    const grid: UnitGrid = {
      jobId: 'job-1',
      def,
      axes: m.axes,
      variants: V,
      outputs: def.outputs,
      instrumentId: candles.instrumentId,
      timeframe: candles.timeframe,
      timeline: candles.timeline,
      tsOpen: candles.tsOpen,
    };
    const files = [];
    for (const u of planUnits(1, V, unit)) {
      const r = await computeUnitValues({
        engine,
        def,
        axes: m.axes,
        outputs: def.outputs,
        candles,
        start: u.start,
        end: u.end,
        batchVariants: 2,
      });
      files.push({
        index: u.index,
        start: u.start,
        end: u.end,
        file: `u${u.index}.arrow`,
        bytes: unitToIPC(grid, { ...u, outputs: r.values, keys: r.keys }),
      });
    }
    return { grid, files };
  }

  const merge = (grid: UnitGrid, units: { index: number; start: number; end: number; file: string; bytes: Uint8Array | null }[]) =>
    mergeUnits({
      jobId: grid.jobId,
      def: grid.def,
      axes: grid.axes,
      variants: grid.variants,
      outputs: grid.outputs,
      instrumentId: grid.instrumentId,
      timeframe: grid.timeframe,
      timeline: grid.timeline,
      t: candles.t,
      start: candles.start,
      end: candles.end,
      engine: 'wasm-simd',
      units,
      maxComputeBytesTotal: 2 ** 31,
    });

  it.each(GRIDS)('$name: merged bytes equal the in-process export (with variant keys)', async ({ grid, unit }) => {
    const { grid: ug, files } = await unitFiles(grid, unit);
    const tensor = await engine.compute({ candles, grid });
    const want = tensor.toArrowIPC({ format: 'file', includeVariantKey: true });
    const merged = merge(ug, files);
    expect(merged.variantKeys()).toEqual(tensor.variantKeys());
    const got = merged.toArrowIPC({ format: 'file', includeVariantKey: true });
    expect(Buffer.compare(Buffer.from(got), Buffer.from(want)), 'merged Arrow bytes equal the in-process Arrow bytes').toBe(0);
  });

  it('writes identical bytes when a unit is computed again', async () => {
    const a = await unitFiles(GRIDS[0]!.grid, 7);
    const b = await unitFiles(GRIDS[0]!.grid, 7);
    for (let i = 0; i < a.files.length; i++)
      expect(Buffer.compare(Buffer.from(a.files[i]!.bytes), Buffer.from(b.files[i]!.bytes)), `unit ${i}`).toBe(0);
  });

  it('refuses a missing unit file, naming it', async () => {
    const { grid, files } = await unitFiles(GRIDS[0]!.grid, 7);
    const units = files.map((f, i) => (i === 2 ? { ...f, bytes: null } : f));
    const e = (() => {
      try {
        merge(grid, units);
      } catch (x) {
        return x;
      }
      return null;
    })() as JobIncompleteError;
    expect(e).toBeInstanceOf(JobIncompleteError);
    expect(e.details).toMatchObject({
      jobId: 'job-1',
      instrumentId: 'TAIL',
      reason: 'missing_units',
      missing: [{ unit: 2, file: 'u2.arrow' }],
      missingCount: 1,
      total: files.length,
    });
  });

  it('refuses a unit file that holds another range or is truncated', async () => {
    const { grid, files } = await unitFiles(GRIDS[0]!.grid, 7);
    const swapped = files.map((f, i) => (i === 1 ? { ...f, bytes: files[2]!.bytes } : f));
    expect(() => merge(grid, swapped)).toThrow(/u1\.arrow: is not unit 1 \(variants 7\.\.13\) of job job-1/);
    const truncated = files.map((f, i) => (i === 0 ? { ...f, bytes: f.bytes.subarray(0, f.bytes.length >> 1) } : f));
    expect(() => merge(grid, truncated)).toThrow(/u0\.arrow: not an Arrow IPC file/);
  });
});
