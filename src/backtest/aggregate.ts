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

/**
 * The ranking built one instrument at a time (in instrument order), holding one instrument's metrics
 * at once: O(V) accumulators for `mean` and `min`, every instrument's objective value (V × instruments)
 * for `median`. The same bits as aggregateValues over each variant's values in instrument order.
 */
export class AggregateBuilder {
  private readonly sum: Float64Array;
  private readonly present: Uint16Array;
  private readonly values: Float64Array | null;
  private readonly perInstrument: number[][] = [];
  private added = 0;

  constructor(
    private readonly V: number,
    private readonly instruments: number,
    private readonly objective: ResolvedObjective,
    private readonly filters: ResolvedFilters,
    private readonly top: number,
    private readonly how: Aggregate,
  ) {
    this.sum = new Float64Array(V).fill(how === 'mean' ? 0 : Number.NaN);
    this.present = new Uint16Array(V);
    this.values = how === 'median' ? new Float64Array(V * instruments) : null;
  }

  /** The next instrument's metrics (V values each). */
  add(cols: MetricColumns): void {
    if (this.added >= this.instruments) throw new RangeError(`AggregateBuilder: more than ${this.instruments} instruments`);
    const { V, how } = this;
    const ok = passing(cols, this.filters, V);
    const col = cols[this.objective.metric];
    const max = this.objective.direction === 'max';
    for (let v = 0; v < V; v++) {
      const x = col[v]!;
      if (!ok[v] || Number.isNaN(x)) continue;
      const k = this.present[v]!;
      if (how === 'mean') this.sum[v]! += x;
      else if (how === 'min') this.sum[v] = k === 0 ? x : max ? Math.min(this.sum[v]!, x) : Math.max(this.sum[v]!, x);
      else this.values![v * this.instruments + k] = x;
      this.present[v] = k + 1;
    }
    this.perInstrument.push(shortlistOf(cols, this.objective, this.filters, this.top, V).shortlist);
    this.added++;
  }

  finish(): AggregateRanking {
    const { V, how, instruments } = this;
    const objective = new Float64Array(V);
    let riskTotal = 0;
    let missing = 0;
    for (let v = 0; v < V; v++) {
      const k = this.present[v]!;
      objective[v] =
        k === 0
          ? Number.NaN
          : how === 'mean'
            ? this.sum[v]! / k
            : how === 'min'
              ? this.sum[v]!
              : aggregateValues([...this.values!.subarray(v * instruments, v * instruments + k)], 'median', this.objective.direction);
      if (!Number.isNaN(objective[v]!)) {
        riskTotal++;
        missing += this.added - k;
      }
    }
    // rank on the aggregate alone: a variant present nowhere has a NaN aggregate and is left out
    const ranked = { [this.objective.metric]: objective } as unknown as MetricColumns;
    const { shortlist } = shortlistOf(ranked, this.objective, { [this.objective.metric]: [-Infinity, Infinity] }, this.top, V);
    return { shortlist, objective, present: this.present, riskTotal, missing, perInstrument: this.perInstrument };
  }
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
  const b = new AggregateBuilder(V, columns.length, objective, filters, top, how);
  for (const c of columns) b.add(c);
  return b.finish();
}
