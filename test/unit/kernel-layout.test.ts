/**
 * Numbers declared twice because assembly/ and src/ cannot import each other: the kernel call
 * frame (assembly/lanes.ts IO_* in bytes, src/compute/kernels.ts FRAME_* in u32 slots) and the
 * scratch layouts (assembly/scratch.ts, src/registry/scratch.ts). Read from the assembly source
 * text, so a change on one side only fails here.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  FRAME_BYTES,
  FRAME_OUT,
  FRAME_RESUME,
  FRAME_SKIP,
  FRAME_SRC,
  FRAME_PROFILE,
  FRAME_T0,
  FRAME_WORDS,
  SERIES_SLOT,
} from '../../src/compute/kernels.js';
import * as scratch from '../../src/registry/scratch.js';
import { BT_BLOCK, BT_FRAME, BT_REL_BYTES, BT_STATE_ARRAYS } from '../../src/backtest/kernel.js';
import { ACC_COUNT } from '../../src/backtest/program.js';

const source = (file: string): string => readFileSync(fileURLToPath(new URL(`../../assembly/${file}`, import.meta.url)), 'utf8');

/** `export const NAME: type = value;` declarations of an assembly file (decimal or hex values). */
function constants(file: string, type: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of source(file).matchAll(new RegExp(`export const (\\w+): ${type} = (0x[0-9a-fA-F]+|\\d+);`, 'g')))
    out.set(m[1]!, Number(m[2]));
  return out;
}

describe('kernel call frame', () => {
  const io = constants('lanes.ts', 'usize');
  const slots: [string, number][] = [
    ['IO_SRC', FRAME_SRC],
    ['IO_OPEN', SERIES_SLOT.open!],
    ['IO_HIGH', SERIES_SLOT.high!],
    ['IO_LOW', SERIES_SLOT.low!],
    ['IO_CLOSE', SERIES_SLOT.close!],
    ['IO_VOLUME', SERIES_SLOT.volume!],
    ['IO_SKIP', FRAME_SKIP],
    ['IO_RESUME', FRAME_RESUME],
    ['IO_OUT', FRAME_OUT],
    ['IO_T0', FRAME_T0],
    ['IO_PROFILE', FRAME_PROFILE],
  ];
  it.each(slots)('assembly/lanes.ts %s is byte offset 4 × slot %i of src/compute/kernels.ts', (name, slot) => {
    expect(io.get(name), `assembly/lanes.ts declares ${name}`).toBeDefined();
    expect(io.get(name)).toBe(slot * 4);
  });
  it('every IO_ slot of assembly/lanes.ts is pinned here, and the series slots are the five base series', () => {
    expect([...io.keys()].filter((k) => k.startsWith('IO_')).sort()).toEqual(slots.map(([k]) => k).sort());
    expect(Object.keys(SERIES_SLOT).sort()).toEqual(['close', 'high', 'low', 'open', 'volume']);
  });
  it('the frame holds eight outputs after FRAME_OUT, then the first bar, and fits before the parameters', () => {
    expect(FRAME_T0).toBe(FRAME_OUT + 8);
    expect(FRAME_PROFILE).toBe(FRAME_T0 + 1);
    expect(FRAME_WORDS).toBe(FRAME_PROFILE + 1);
    expect(FRAME_WORDS * 4).toBeLessThanOrEqual(FRAME_BYTES);
  });
});

describe('scratch layouts', () => {
  const kernel = constants('scratch.ts', 'i32');
  const host = new Map<string, number>(
    Object.entries(scratch as Record<string, unknown>).filter((e): e is [string, number] => typeof e[1] === 'number'),
  );
  it('assembly/scratch.ts and src/registry/scratch.ts declare the same names', () => {
    expect(kernel.size).toBeGreaterThan(0);
    expect([...kernel.keys()].sort()).toEqual([...host.keys()].sort());
  });
  it.each([...kernel.entries()])('%s = %i on both sides', (name, value) => {
    expect(host.get(name)).toBe(value);
  });
});

describe('Stage A backtest frame (assembly/backtest.ts BT_*, src/backtest/kernel.ts BT_FRAME)', () => {
  const bytes = constants('backtest.ts', 'usize');
  const ints = constants('backtest.ts', 'i32');
  const names: [string, keyof typeof BT_FRAME][] = [
    ['BT_FIRST', 'first'],
    ['BT_END', 'end'],
    ['BT_OPEN', 'open'],
    ['BT_CLOSE', 'close'],
    ['BT_VALID', 'valid'],
    ['BT_INV', 'inv'],
    ['BT_SERIES', 'series'],
    ['BT_ATOMS', 'atoms'],
    ['BT_NATOMS', 'nAtoms'],
    ['BT_CODE', 'code'],
    ['BT_SIGNALS', 'signals'],
    ['BT_SIDE', 'side'],
    ['BT_FILL', 'fill'],
    ['BT_ACC', 'acc'],
    ['BT_FEE', 'fee'],
    ['BT_SLIP', 'slip'],
    ['BT_RELATIONS', 'relations'],
    ['BT_NRELATIONS', 'nRelations'],
    ['BT_NSERIES', 'nSeries'],
    ['BT_FRAME_BYTES', 'bytes'],
  ];
  it.each(names)('%s is BT_FRAME.%s', (name, key) => {
    expect(bytes.get(name), `assembly/backtest.ts declares ${name}`).toBeDefined();
    expect(bytes.get(name)).toBe(BT_FRAME[key]);
  });
  it('every frame offset is pinned, and the table sizes, block and state arrays agree', () => {
    const frame = [...bytes.keys()].filter((k) => !k.endsWith('_BYTES') || k === 'BT_FRAME_BYTES');
    expect(frame.sort()).toEqual(names.map(([n]) => n).sort());
    expect(bytes.get('BT_REL_BYTES')).toBe(BT_REL_BYTES);
    expect(ints.get('BT_BLOCK')).toBe(BT_BLOCK);
    expect(ints.get('BT_STATE_ARRAYS')).toBe(BT_STATE_ARRAYS);
    expect(ints.get('BT_ACC_COUNT')).toBe(ACC_COUNT);
  });
});
