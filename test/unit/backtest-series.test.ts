/**
 * The operand series a backtest reads are the outputs its operands name: each one equals the
 * same output of a one-variant compute of that indicator, for every template of the strategy
 * registry (several read outputs other than the first, in an order other than the registry's).
 */
import { describe, expect, it } from 'vitest';
import { operandSeries } from '../../src/backtest/series.js';
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
