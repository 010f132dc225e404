/**
 * The operand series a backtest reads are the outputs its operands name: each one equals the
 * same output of a one-variant compute of that indicator, for every template of the strategy
 * registry (several read outputs other than the first, in an order other than the registry's).
 */
import { describe, expect, it } from 'vitest';
import { operandSeries, seriesPieces } from '../../src/backtest/series.js';
import { registry } from '../../src/registry/index.js';
import { compileStrategy, strategyRegistry } from '../../src/strategies/index.js';
import { buildSourceSeries } from '../../src/candles/index.js';
import { bits, candlesOf, engineOf } from '../helpers/engine.js';
import { randomWalk } from '../helpers/series.js';

const candles = candlesOf(randomWalk(400, 7));
const engine = engineOf('wasm-simd');

describe('operand series', () => {
  for (const def of strategyRegistry.list()) {
    it(`${def.id}: every series is the output its operand names`, async () => {
      const program = compileStrategy({ id: def.id });
      const series = await operandSeries(program.series, candles, (r) => engine.compute(r), {});
      expect(series).toHaveLength(program.series.length);
      for (const [k, req] of program.series.entries()) {
        if (req.kind === 'price') {
          expect(bits(series[k]!)).toEqual(bits(buildSourceSeries(candles, req.price as 'close')));
          continue;
        }
        const one = await engine.compute({
          candles,
          grid: {
            indicatorId: req.indicatorId,
            params: Object.fromEntries(Object.entries(req.params).map(([p, v]) => [p, [v]])),
            ...(req.source ? { source: [req.source] } : {}),
          },
          outputs: [req.output],
        });
        expect(bits(series[k]!), `${req.indicatorId}.${req.output}`).toEqual(bits(one.output(req.output)));
      }
    });
  }
});

describe('seriesPieces: a big group computed in pieces under the byte budget', () => {
  const variantsOf = (p: Record<string, readonly unknown[]>) => Object.values(p).reduce((n, v) => n * v.length, 1);
  /** Every cartesian variant of the pieces, as keys; each must appear once. */
  const keysOf = (pieces: Record<string, readonly unknown[]>[], names: string[]) =>
    pieces.flatMap((p) => {
      let rows: unknown[][] = [[]];
      for (const n of names) rows = rows.flatMap((r) => p[n]!.map((v) => [...r, v]));
      return rows.map((r) => JSON.stringify(r));
    });

  it('keeps a grid under the budget whole', () => {
    const axes = { window: [10, 20], mult: [1.5, 2] };
    expect(seriesPieces(axes, 100, 400)).toEqual([axes]);
  });

  it('cuts the axis with the most values into equal runs, whatever the order of the axes', () => {
    // bbands_revert's grid: 3 mults × 41 windows, 8 MB a variant (two outputs of 1M bars), 128 MB pieces
    const window = Array.from({ length: 41 }, (_, i) => 10 + i);
    const pieces = seriesPieces({ mult: [1.5, 2, 2.5], window }, 8e6, 128e6);
    // 5 windows × 3 mults = 120 MB would fit; 4 windows keep the kernel's blocks of four variants
    // within one mult, and the one window left over joins the last run (alone, its 3 variants
    // would take the kernel's scalar path). The mults of a window stay together (their sums are shared)
    expect(pieces.map((p) => p.window!.length)).toEqual([4, 4, 4, 4, 4, 4, 4, 4, 4, 5]);
    for (const p of pieces) expect(p.mult).toEqual([1.5, 2, 2.5]);
    expect(keysOf(pieces, ['mult', 'window']).sort()).toEqual(keysOf([{ mult: [1.5, 2, 2.5], window }], ['mult', 'window']).sort());
  });

  it('splits a second axis when one value of the widest is still over the budget', () => {
    const a = Array.from({ length: 30 }, (_, i) => i);
    const b = Array.from({ length: 20 }, (_, i) => 100 + i);
    const pieces = seriesPieces({ a, b, c: ['x'] }, 10, 55);
    for (const p of pieces) expect(variantsOf(p) * 10).toBeLessThanOrEqual(55);
    const keys = keysOf(pieces, ['a', 'b', 'c']);
    expect(keys).toHaveLength(600);
    expect(new Set(keys).size).toBe(600);
  });

  it('leaves a single variant over the budget as its own piece', () => {
    expect(seriesPieces({ window: [5, 6] }, 1000, 10)).toEqual([{ window: [5] }, { window: [6] }]);
  });
});

describe('operand series computed in pieces', () => {
  it('gives the same series as one compute per group', async () => {
    // side long: the lower band and the basis, two outputs
    const program = compileStrategy(
      { id: 'bbands_revert', params: { window: [10, 14, 20, 26, 30], mult: [1.5, 2, 2.5] } },
      registry,
      'long',
    );
    const whole = await operandSeries(program.series, candles, (r) => engine.compute(r), {});
    const computes: number[] = [];
    const split = await operandSeries(
      program.series,
      candles,
      (r) => {
        computes.push(Object.values(r.grid.params ?? {}).reduce<number>((n, v) => n * (v as unknown[]).length, 1));
        return engine.compute(r);
      },
      {},
      // two outputs of 400 bars a variant: pieces of at most 4 variants
      4 * 2 * 400 * 4,
    );
    expect(computes).toEqual([3, 3, 3, 3, 3]);
    for (const [k] of program.series.entries()) expect(bits(split[k]!), `series ${k}`).toEqual(bits(whole[k]!));
  });
});
