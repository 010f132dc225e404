/**
 * Ranking a strategy's variants over several instruments (src/backtest/aggregate.ts), on tables
 * worked by hand: the aggregate of each variant over the instruments where it passes the filters with
 * a defined objective, then ranked like one instrument's shortlist (ties to the lower variant).
 */
import { describe, expect, it } from 'vitest';
import { aggregateRanking, aggregateValues, checkAggregate, type MetricColumns } from '../../src/backtest/aggregate.js';
import { checkFilters } from '../../src/backtest/options.js';
import { METRIC_NAMES, type MetricName } from '../../src/backtest/program.js';
import { StrategyValidationError } from '../../src/errors.js';

/** A metrics table of V variants: every metric 0.5 (passing the default filters), trades 3, then the given columns. */
function table(cols: Partial<Record<MetricName, number[]>>, V: number): MetricColumns {
  const out = {} as Record<MetricName, Float64Array>;
  for (const m of METRIC_NAMES) out[m] = new Float64Array(V).fill(m === 'trades' ? 3 : 0.5);
  for (const [m, xs] of Object.entries(cols)) out[m as MetricName] = Float64Array.from(xs);
  return out;
}

describe('aggregateValues', () => {
  it('mean, median and the worst value, by hand', () => {
    expect(aggregateValues([1, 2, 4], 'mean', 'max')).toBe(7 / 3);
    expect(aggregateValues([3, 1, 2], 'median', 'max')).toBe(2);
    expect(aggregateValues([4, 1, 3, 2], 'median', 'max')).toBe(2.5);
    // the worst: the lowest for an objective to maximise, the highest for one to minimise
    expect(aggregateValues([0.5, -1, 2], 'min', 'max')).toBe(-1);
    expect(aggregateValues([0.1, 0.3, 0.2], 'min', 'min')).toBe(0.3);
    expect(aggregateValues([], 'mean', 'max')).toBeNaN();
  });
  it('refuses an unknown aggregate with a typed error naming it', () => {
    expect(checkAggregate(undefined)).toBe('mean');
    expect(() => checkAggregate('avg')).toThrow(StrategyValidationError);
    expect(() => checkAggregate('avg')).toThrow(/aggregate.*avg/);
  });
});

describe('aggregateRanking', () => {
  // 4 variants on 3 instruments, sharpe by instrument:
  //   v0: 1.0, 2.0, 3.0  → mean 2.0, median 2.0, min 1.0
  //   v1: 3.0, NaN, 1.5  → NaN is missing: mean 2.25, median 2.25, min 1.5
  //   v2: 2.5, 2.5, —    → fails max_drawdown on instrument 2 (0.9 > 0.8): mean 2.5, median 2.5, min 2.5
  //   v3: NaN, NaN, NaN  → missing everywhere: not ranked
  const sharpe = [
    [1.0, 3.0, 2.5, Number.NaN],
    [2.0, Number.NaN, 2.5, Number.NaN],
    [3.0, 1.5, 2.5, Number.NaN],
  ];
  const columns = sharpe.map((s, i) => table({ sharpe: s, ...(i === 2 ? { max_drawdown: [0.5, 0.5, 0.9, 0.5] } : {}) }, 4));
  const filters = checkFilters({ max_drawdown: 0.8 });
  const objective = { metric: 'sharpe', direction: 'max' } as const;

  it('mean: v2 (2.5), v1 (2.25), v0 (2.0); v3 left out; 2 missing pairs', () => {
    const r = aggregateRanking(columns, 4, objective, filters, 10, 'mean');
    expect(r.shortlist).toEqual([2, 1, 0]);
    expect([...r.objective.subarray(0, 3)]).toEqual([2, 2.25, 2.5]);
    expect(r.objective[3]).toBeNaN();
    expect([...r.present]).toEqual([3, 2, 2, 0]);
    expect(r.riskTotal).toBe(3);
    expect(r.missing).toBe(2); // v1 on instrument 1, v2 on instrument 2 (v3 is not ranked)
    // each instrument's own list is its shortlist as engine.backtest ranks it, NaN objectives last:
    // instrument 0: v1 3.0, v2 2.5, v0 1.0, v3 NaN; 1: v2 2.5, v0 2.0, v1 NaN, v3 NaN; 2: v0 3.0, v1 1.5, v3 NaN (v2 filtered)
    expect(r.perInstrument).toEqual([
      [1, 2, 0, 3],
      [2, 0, 1, 3],
      [0, 1, 3],
    ]);
  });
  it('min (the worst instrument): v2 (2.5), v1 (1.5), v0 (1.0); top 2 cuts it', () => {
    const r = aggregateRanking(columns, 4, objective, filters, 2, 'min');
    expect(r.shortlist).toEqual([2, 1]);
    expect([...r.objective.subarray(0, 3)]).toEqual([1, 1.5, 2.5]);
    expect(r.riskTotal).toBe(3);
  });
  it('median, and ties keep the lower variant index', () => {
    const tied = [table({ sharpe: [1, 1, 1] }, 3), table({ sharpe: [3, 1, 3] }, 3), table({ sharpe: [2, 2, 2] }, 3)];
    // medians: v0 2, v1 1, v2 2 → v0 before v2 (tie), then v1
    const r = aggregateRanking(tied, 3, objective, checkFilters(undefined), 10, 'median');
    expect(r.shortlist).toEqual([0, 2, 1]);
  });
  it('an objective to minimise ranks the lowest aggregate first', () => {
    const dd = [table({ max_drawdown: [0.3, 0.1, 0.2] }, 3), table({ max_drawdown: [0.1, 0.3, 0.2] }, 3)];
    // means 0.2, 0.2, 0.2 → all tied → index order; worst (min aggregate, direction min: the highest) 0.3, 0.3, 0.2
    const mean = aggregateRanking(dd, 3, { metric: 'max_drawdown', direction: 'min' }, checkFilters(undefined), 10, 'mean');
    expect(mean.shortlist).toEqual([0, 1, 2]);
    const worst = aggregateRanking(dd, 3, { metric: 'max_drawdown', direction: 'min' }, checkFilters(undefined), 10, 'min');
    expect(worst.shortlist).toEqual([2, 0, 1]);
  });
});
