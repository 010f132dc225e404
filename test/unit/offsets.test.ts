/** Byte offsets into a WebAssembly memory of up to 4 GiB become typed-array indices without sign trouble. */
import { describe, expect, it } from 'vitest';
import { elementIndex } from '../../src/compute/kernels.js';
import { MAX_MEMORY_BYTES, MAX_PAGES, PAGE } from '../../src/compute/plan.js';

describe('elementIndex', () => {
  it.each([
    [0, 4, 0],
    [64, 4, 16],
    [64, 8, 8],
    [2 ** 31 - 64, 4, 2 ** 29 - 16],
    // at and past 2 GiB a signed shift (>> 2, >> 3) gives a negative index
    [2 ** 31, 4, 2 ** 29],
    [2 ** 31, 8, 2 ** 28],
    [3 * 2 ** 30 + 64, 4, 3 * 2 ** 28 + 16],
    [3 * 2 ** 30 + 64, 8, 3 * 2 ** 27 + 8],
    [MAX_PAGES * PAGE - 8, 8, 2 ** 29 - 1],
    [MAX_PAGES * PAGE - 4, 4, 2 ** 30 - 1],
  ] as const)('byte %d as %d-byte elements is index %d', (byte, size, index) => {
    expect(elementIndex(byte, size)).toBe(index);
  });

  it('reaches the last element of a full 4 GiB memory', () => {
    expect(MAX_PAGES * PAGE).toBe(2 ** 32);
    expect(MAX_MEMORY_BYTES, 'the guards refuse layouts over exactly one full memory').toBe(MAX_PAGES * PAGE);
    expect(elementIndex(2 ** 32 - 4, 4)).toBe(2 ** 30 - 1);
  });
});
