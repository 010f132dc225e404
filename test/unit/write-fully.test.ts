/**
 * A worker writes each unit file with writeFully: in chunks (Node refuses a single write longer than
 * 2^31 - 1 bytes), continuing after short writes, with every byte at its position.
 */
import { open, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WRITE_CHUNK_BYTES, writeFully, type PositionalWriter } from '../../src/jobs/dirs.js';
import { tempDirs } from '../helpers/tmp.js';

const tempDir = tempDirs();

const NODE_MAX_WRITE = 2 ** 31 - 1;

/** Records each write; refuses lengths Node refuses; `short` caps how much one call writes. */
function fakeHandle(short = Infinity): PositionalWriter & { calls: [number, number, number][] } {
  const calls: [number, number, number][] = [];
  return {
    calls,
    async write(_buffer, offset, length, position) {
      if (length > NODE_MAX_WRITE)
        throw new RangeError(`The value of "length" is out of range. It must be <= ${NODE_MAX_WRITE}. Received ${length}`);
      const n = Math.min(length, short);
      calls.push([offset, n, position]);
      return { bytesWritten: n };
    },
  };
}

describe('writeFully', () => {
  it('writes a unit over 2 GiB in chunks of at most the chunk size, covering every byte once', async () => {
    const length = 2 ** 31 + 12_345; // a stand-in: only its length is read
    const bytes = { length, byteLength: length } as unknown as Uint8Array;
    const fh = fakeHandle();
    expect(await writeFully(fh, bytes, 100)).toBe(length);
    expect(WRITE_CHUNK_BYTES).toBe(64 * 2 ** 20);
    expect(fh.calls.length).toBe(Math.ceil(length / WRITE_CHUNK_BYTES));
    let next = 0;
    for (const [offset, n, position] of fh.calls) {
      expect(offset).toBe(next);
      expect(position).toBe(100 + offset);
      expect(n).toBeLessThanOrEqual(WRITE_CHUNK_BYTES);
      next += n;
    }
    expect(next).toBe(length);
  });

  it('continues after short writes', async () => {
    const bytes = new Uint8Array(50);
    const fh = fakeHandle(7);
    expect(await writeFully(fh, bytes, 0, 16)).toBe(50);
    expect(fh.calls).toEqual([
      [0, 7, 0],
      [7, 7, 7],
      [14, 7, 14],
      [21, 7, 21],
      [28, 7, 28],
      [35, 7, 35],
      [42, 7, 42],
      [49, 1, 49],
    ]);
  });

  it('fails on a write that makes no progress instead of looping', async () => {
    await expect(writeFully(fakeHandle(0), new Uint8Array(10), 0, 4)).rejects.toThrow('wrote 0 of 10 bytes at position 0');
  });

  it('lands every byte of a real file with small chunks, at an offset too', async () => {
    const dir = await tempDir('gridta-write-');
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37 + 11) & 0xff);
    const fh = await open(join(dir, 'unit.arrow'), 'w');
    try {
      expect(await writeFully(fh, bytes.subarray(0, 333), 0, 10)).toBe(333);
      expect(await writeFully(fh, bytes.subarray(333), 333, 64)).toBe(667);
    } finally {
      await fh.close();
    }
    expect(new Uint8Array(await readFile(join(dir, 'unit.arrow')))).toEqual(bytes);
  });
});
