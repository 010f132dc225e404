/**
 * The Stage A memory layout with executor slots (src/backtest/kernel.ts): every executor (pool
 * thread) gets its own frame, relation table, accumulators and scratch, apart from each other and
 * from the shared tables; every slot's frame is written with the same values but its own acc and
 * relations pointers; and the memory guard counts every slot.
 */
import { describe, expect, it } from 'vitest';
import { BT_FRAME, BT_REL_BYTES, stageALayout, stageAMemory, writeStageA } from '../../src/backtest/kernel.js';
import { ACC_COUNT } from '../../src/backtest/program.js';
import { seriesComputes } from '../../src/backtest/series.js';
import { checkExecution } from '../../src/backtest/options.js';
import { barInputs } from '../../src/backtest/bars.js';
import { inverseCounts } from '../../src/backtest/reference.js';
import { ComputeBudgetExceeded } from '../../src/errors.js';
import { compileStrategy } from '../../src/strategies/index.js';
import { candlesOf } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

// rsi_revert: two relations, each the rsi series against a per-variant constant (series and f64 sides)
const program = compileStrategy({ id: 'rsi_revert', params: { window: [5, 9, 14], lower: [20, 30], upper: [70, 80] } });
const T = 1000;
const BATCH = 5;
const WORK = 4096;
const layoutOf = (executors: number) =>
  stageALayout(program, T, BATCH, executors, { pieces: seriesComputes(program.series, T), workBytes: WORK });

/** Byte ranges [start, end) of a layout's regions, named. */
function regions(L: ReturnType<typeof stageALayout>): [string, number, number][] {
  const out: [string, number, number][] = [
    ['open', L.open, L.open + T * 8],
    ['close', L.close, L.close + T * 8],
    ['inv', L.inv, L.inv + T * 8],
    ['valid', L.valid, L.valid + T],
    ['flags', L.flags, L.flags + L.batches * 4],
    ['series computes', L.placement.work, L.placement.work + WORK],
  ];
  L.series.forEach((s, k) => {
    out.push([`series ${k}`, s - L.prefix * 4, s + T * 4]);
  });
  L.sides.forEach(([l, r], k) => {
    out.push([`relation ${k} left`, l, l + (program.variants + 1) * L.sideBytes[k]![0]!]);
    out.push([`relation ${k} right`, r, r + (program.variants + 1) * L.sideBytes[k]![1]!]);
  });
  L.slots.forEach((s, e) => {
    out.push([`slot ${e} frame`, s.frame, s.frame + BT_FRAME.bytes]);
    out.push([`slot ${e} relations`, s.relations, s.relations + L.relationSides.length * BT_REL_BYTES]);
    out.push([`slot ${e} acc`, s.acc, s.acc + ACC_COUNT * BATCH * 8]);
    out.push([`slot ${e} scratch (its start)`, s.scratch, s.scratch + 1]);
  });
  return out;
}

describe('Stage A layout with executor slots', () => {
  it('gives each executor its own frame, relation table, acc and scratch, apart from the shared tables', () => {
    const one = layoutOf(1);
    const three = layoutOf(3);
    expect(program.variants).toBe(12);
    expect(one.slots).toEqual([{ frame: one.frame, relations: one.relations, acc: one.acc, scratch: one.scratch }]);
    expect(three.slots).toHaveLength(3);
    expect(three.slots[0]).toEqual(one.slots[0]);
    // rsi against the lower and the upper level: series indices (4 bytes a variant) and constants (8)
    expect([three.batches, three.sideBytes]).toEqual([
      3,
      [
        [4, 8],
        [4, 8],
      ],
    ]);
    // every slot beyond the first adds one frame, relation table, acc area and scratch
    const slotBytes = (three.bytes - one.bytes) / 2;
    expect(slotBytes).toBeGreaterThanOrEqual(BT_FRAME.bytes + ACC_COUNT * BATCH * 8);
    const rs = regions(three).sort((a, b) => a[1] - b[1]);
    for (let i = 1; i < rs.length; i++)
      expect(rs[i]![1], `${rs[i]![0]} starts after ${rs[i - 1]![0]} ends`).toBeGreaterThanOrEqual(rs[i - 1]![2]);
    expect(rs.at(-1)![2]).toBeLessThanOrEqual(three.bytes);
  });

  it("writes every slot's frame alike but for its own acc and relations pointers", () => {
    const L = layoutOf(3);
    const memory = stageAMemory(L, T, program, 2 ** 31);
    const candles = candlesOf(randomWalk(T, 3));
    const bars = barInputs(candles, []);
    writeStageA(memory, L, program, bars, inverseCounts(bars), checkExecution({ side: 'both', fee_bps: 5 }));
    const frame = (e: number): number[] => Array.from(new Uint32Array(memory.buffer, L.slots[e]!.frame, BT_FRAME.bytes / 4));
    const table = (e: number): number[] =>
      Array.from(new Uint32Array(memory.buffer, L.slots[e]!.relations, (L.relationSides.length * BT_REL_BYTES) / 4));
    const own = new Set([BT_FRAME.acc / 4, BT_FRAME.relations / 4]);
    for (const e of [1, 2]) {
      expect(frame(e)[BT_FRAME.acc / 4]).toBe(L.slots[e]!.acc);
      expect(frame(e)[BT_FRAME.relations / 4]).toBe(L.slots[e]!.relations);
      expect(frame(e).filter((_, i) => !own.has(i))).toEqual(frame(0).filter((_, i) => !own.has(i)));
      expect(table(e)).toEqual(table(0));
    }
    expect(frame(0)[BT_FRAME.nRelations / 4]).toBe(L.relationSides.length);
  });

  it('guards the memory with every slot counted: refused when only the slots push it over maxComputeBytesTotal', () => {
    const one = layoutOf(1);
    const three = layoutOf(3);
    const limit = Math.floor((one.bytes + three.bytes) / 2);
    expect(stageAMemory(one, T, program, limit).buffer.byteLength).toBeGreaterThanOrEqual(one.bytes);
    let err: unknown;
    try {
      stageAMemory(three, T, program, limit);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ComputeBudgetExceeded);
    expect((err as ComputeBudgetExceeded).details).toMatchObject({ scope: 'backtest', limit: 'bytes', bytesTotalEst: three.bytes });
  });
});
