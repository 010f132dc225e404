/**
 * ma.sma hands its state from the exact path (a first call whose sums are all exact) to the recursion
 * of the resumed calls (docs/kernel-state.md). The data after the first call makes the sums inexact,
 * and runs of zeros then reset them (z = 0): a wrong S, k or z left by the exact path shows in the
 * rows after it. The registry-driven resume test has no such data.
 */
import { expect, it } from 'vitest';
import type { Axis } from '../../src/grid/types.js';
import { registry } from '../../src/registry/index.js';
import { runKernel, type Target } from '../helpers/oracle.js';
import { runResumed } from '../helpers/resume.js';
import { randomWalk } from '../helpers/series.js';

it('ma.sma: an exact first call, then inexact sums and zero runs, resumed', () => {
  const s = randomWalk(400, 5, 'exact, then inexact');
  const set = (i: number, v: number): void => {
    for (const k of ['open', 'high', 'low', 'close', 'volume'] as const) s[k][i] = v;
  };
  for (let i = 0; i < 100; i++) set(i, (i * 7) % 11);
  for (let i = 90; i < 100; i++) set(i, 0);
  for (let i = 100; i < 200; i++) set(i, i % 2 ? 1e7 + 0.37 * i : 0.001 * i);
  for (let i = 200; i < 240; i++) set(i, 0);
  for (let i = 240; i < 300; i++) set(i, i % 3 ? 3e6 + 0.11 * i : 0.0007 * i);
  const def = registry.get('ma.sma');
  for (const windows of [
    [2, 3, 4, 5, 6],
    [12, 20, 7, 33, 61],
    [15, 16, 17, 18, 19],
  ]) {
    const axes: Axis[] = [
      { name: 'source', kind: 'source', values: ['close'] },
      { name: 'window', kind: 'int', values: windows },
    ];
    for (const target of ['simd', 'scalar'] as Target[]) {
      const whole = runKernel(def, axes, s, { target, layout: 'TIME_MAJOR', batch: 5 });
      for (const lengths of [
        [100, ...Array<number>(300).fill(1)],
        [95, 5, 50, 50, 200],
        [100, 300],
      ]) {
        const got = runResumed(def, axes, s, target, 0, 5, lengths);
        for (let i = 0; i < 400 * 5; i++) {
          if (got[0]![i] !== whole.values[0]![i])
            expect.fail(`${target} windows ${windows} calls ${lengths.length}: bar ${Math.floor(i / 5)}, variant ${i % 5}`);
        }
      }
    }
  }
});
