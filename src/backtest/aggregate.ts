/**
 * One ranking of a strategy's variants over several instruments: each variant's objective on each
 * instrument where it passes the filters (a variant failing them there, or with a NaN objective, is
 * missing on that instrument), aggregated across the instruments it has, then ranked like a single
 * instrument's shortlist. Backtest jobs rank with it; an in-process run over the same instruments
 * aggregated with it gives the same ranking.
 */
import { StrategyValidationError } from '../errors.js';
import type { ResolvedFilters, ResolvedObjective } from './options.js';
import type { MetricName } from './program.js';
import { passing, shortlistOf } from './stage-a.js';

/**
 * How a variant's values on several instruments become one: their mean, their median (the mean of the
 * two middle values for an even count), or the worst one (`min`: the lowest for an objective to
 * maximise, the highest for one to minimise).
 */
export type Aggregate = 'mean' | 'median' | 'min';
export const AGGREGATES: readonly Aggregate[] = ['mean', 'median', 'min'];

export function checkAggregate(value: unknown): Aggregate {
  if (value === undefined) return 'mean';
  if (typeof value === 'string' && (AGGREGATES as readonly string[]).includes(value)) return value as Aggregate;
  throw new StrategyValidationError({ path: 'aggregate', value, expected: `one of ${AGGREGATES.join(', ')}` });
}

export type MetricColumns = Readonly<Record<MetricName, Float64Array>>;

export interface AggregateRanking {
  /** Variants in rank order (at most `top`). */
  readonly shortlist: readonly number[];
  /** The aggregated objective by variant (NaN: missing on every instrument). */
  readonly objective: Float64Array;
  /** How many instruments each variant has (passes the filters with a defined objective). */
  readonly present: Uint16Array;
  /** Variants present on at least one instrument with a defined aggregate (the ranked ones). */
  readonly riskTotal: number;
  /** (variant, instrument) pairs missing among the ranked variants. */
  readonly missing: number;
  /** Each instrument's own shortlist (its metrics alone), in the given order. */
  readonly perInstrument: readonly (readonly number[])[];
}

/** The aggregate of one variant's values (in instrument order; none NaN). */
export function aggregateValues(values: readonly number[], how: Aggregate, direction: 'max' | 'min'): number {
  if (values.length === 0) return Number.NaN;
  if (how === 'mean') {
    let sum = 0;
    for (const x of values) sum += x;
    return sum / values.length;
  }
  if (how === 'min') {
    let worst = values[0]!;
    for (const x of values) worst = direction === 'max' ? Math.min(worst, x) : Math.max(worst, x);
    return worst;
  }
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Ranks V variants scored on every instrument of `columns` (one metrics table per instrument, V values each). */
export function aggregateRanking(
  columns: readonly MetricColumns[],
  V: number,
  objective: ResolvedObjective,
  filters: ResolvedFilters,
  top: number,
  how: Aggregate,
): AggregateRanking {
  const ok = columns.map((m) => passing(m, filters, V));
  const objectiveOf = new Float64Array(V);
  const present = new Uint16Array(V);
  let riskTotal = 0;
  let missing = 0;
  const values: number[] = [];
  for (let v = 0; v < V; v++) {
    values.length = 0;
    columns.forEach((m, i) => {
      const x = m[objective.metric][v]!;
      if (ok[i]![v] && !Number.isNaN(x)) values.push(x);
    });
    present[v] = values.length;
    objectiveOf[v] = aggregateValues(values, how, objective.direction);
    if (!Number.isNaN(objectiveOf[v]!)) {
      riskTotal++;
      missing += columns.length - values.length;
    }
  }
  // rank on the aggregate alone: a variant present nowhere has a NaN aggregate and is left out
  const ranked = { [objective.metric]: objectiveOf } as unknown as MetricColumns;
  const { shortlist } = shortlistOf(ranked, objective, { [objective.metric]: [-Infinity, Infinity] }, top, V);
  const perInstrument = columns.map((m) => shortlistOf(m, objective, filters, top, V).shortlist);
  return { shortlist, objective: objectiveOf, present, riskTotal, missing, perInstrument };
}
