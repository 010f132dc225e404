/**
 * The top variants of a backtest job, as Stage B stored them: the aggregate ranking (every
 * instrument's replay of each shortlisted variant) or one instrument's own top list.
 */
import type { MetricName } from '../backtest/program.js';
import type { JobsDb } from './store.js';
import type { JobState } from './control.js';

/** One stored top row: a ranked variant replayed on one instrument. */
export interface TopRow {
  readonly rank: number;
  readonly instrumentId: string;
  readonly variant: number;
  readonly variant_key: string;
  readonly params: Readonly<Record<string, number | string>>;
  /** The ranking value: the aggregate across instruments (aggregate list) or this instrument's own. */
  readonly objective: number;
  readonly metrics: Readonly<Record<MetricName, number>>;
  /** Absent unless the job succeeded. */
  readonly report_table_md?: string;
  readonly trades_json?: string;
}

export interface JobTop {
  readonly jobId: string;
  readonly state: JobState;
  readonly stage: 'stage_a' | 'stage_b' | 'done';
  /** `null`: the aggregate ranking; else that instrument's own top list. */
  readonly instrumentId: string | null;
  /** Ordered by rank, then variant key; empty until Stage B stored them. */
  readonly rows: readonly TopRow[];
}

export interface TopOptions {
  /** Ranks 1 … limit (default 10). */
  readonly limit?: number;
  /** One instrument's own top list instead of the aggregate ranking. */
  readonly instrument?: string;
}

export declare function jobTop(db: JobsDb, jobId: string, opts?: TopOptions): Promise<JobTop>;
