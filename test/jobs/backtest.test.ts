/**
 * Backtest jobs end to end against a real PostgreSQL: a job over 4 instruments and 719 variants in
 * 48 Stage A units, run by two worker processes; its top variants equal an in-process run over the
 * same instruments ranked with the same aggregation (ranks, keys, every metric bit for bit, trades).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadCandlesFile } from '../../src/arrow/candles.js';
import { aggregateRanking } from '../../src/backtest/aggregate.js';
import { checkFilters, checkObjective } from '../../src/backtest/options.js';
import { METRIC_NAMES } from '../../src/backtest/program.js';
import { createEngine } from '../../src/runtime/engine.js';
import { childEnv, cli, cliJson, jobsFixture, query, startWorker, ttrcTail, waitForState } from './helpers.js';

const fx = jobsFixture('gridta-jobs-backtest-');
let dataDir: string;
/** Instrument ids (file base names) and their lengths: four tails of ttrc.csv. */
const INSTRUMENTS = [
  ['a_ttrc', 5000],
  ['b_ttrc', 4200],
  ['c_ttrc', 3300],
  ['d_ttrc', 2600],
] as const;

// fast 5..40 × slow 40..135 step 5 with fast < slow: 36 × 20 − 1 = 719 variants
const GRID = ['--grid', 'fast=5..40', '--grid', 'slow=40..135:5'];
const STRATEGY = {
  id: 'ma_cross',
  params: {
    ma: ['ma.ema'],
    source: ['close'],
    fast: { mode: 'range', start: 5, stopIncl: 40, step: 1 },
    slow: { mode: 'range', start: 40, stopIncl: 135, step: 5 },
  },
} as const;
const EXECUTION = { side: 'long', fill: 'next_open', fee_bps: 5 } as const;
const TOP = 5;

beforeAll(() => {
  dataDir = join(fx.dir, 'data');
  mkdirSync(dataDir);
  for (const [id, rows] of INSTRUMENTS) writeFileSync(join(dataDir, `${id}.csv`), ttrcTail(rows));
});

interface TopJson {
  state: string;
  stage: string;
  rows: {
    rank: number;
    instrumentId: string;
    variant: number;
    variant_key: string;
    params: Record<string, number | string>;
    objective: number | string;
    metrics: Record<string, number | string>;
    report_table_md?: string;
    trades_json?: string;
  }[];
}

/** A number of `jobs top --json` (NaN and infinities come as strings). */
const num = (x: number | string): number => (typeof x === 'number' ? x : Number(x));

/** The in-process run: engine.backtest on each instrument, one aggregate ranking, replays on each instrument. */
async function inProcess(aggregate: 'mean' | 'median' | 'min') {
  const engine = createEngine({ threads: 1, env: 'test' });
  try {
    const candles = await Promise.all(INSTRUMENTS.map(([id]) => loadCandlesFile(join(dataDir, `${id}.csv`), { instrumentId: id })));
    const results = [];
    for (const c of candles)
      results.push(await engine.backtest({ candles: c, strategy: STRATEGY as never, execution: EXECUTION, top: TOP }));
    const V = results[0]!.variants;
    const ranking = aggregateRanking(
      results.map((r) => r.metrics),
      V,
      checkObjective(undefined),
      checkFilters(undefined),
      TOP,
      aggregate,
    );
    const replays = await Promise.all(results.map((r) => r.replay([...ranking.shortlist])));
    return { V, ranking, results, replays };
  } finally {
    await engine.close();
  }
}

describe('a backtest job over 4 instruments, two workers', () => {
  it('gives the top variants of the in-process run, bit for bit', async () => {
    const env = childEnv(fx.pgc.dsn);
    const workers = [startWorker('bt-a', env), startWorker('bt-b', env)];
    fx.workers.push(...workers);
    await Promise.all(workers.map((w) => w.waitFor((l) => l.event === 'worker_started')));
    const sub = cliJson<{ jobId: string; units: number; variants: number; instruments: number; unitVariants: number }>(
      ['jobs', 'submit-backtest', 'ma_cross', '--data', dataDir, ...GRID, '--fee-bps', '5', '--top', String(TOP), '--unit-variants', '60'],
      env,
    );
    expect(sub).toMatchObject({ variants: 719, instruments: 4, unitVariants: 60, units: 48 });
    const st = (await waitForState(fx.pgc.dsn, sub.jobId, ['completed', 'failed', 'cancelled'], 240_000)) as unknown as {
      state: string;
      stage: string;
      stages: { stage_a: { processed: number; total: number }; stage_b: { processed: number; total: number } };
      stageA: { stage_a_variants_total: number; risk_total: number; preselect_used: boolean };
      processed: number;
      total: number;
    };
    expect(st.state, JSON.stringify(st)).toBe('completed');
    expect(st.stage).toBe('done');
    expect(st.stages).toEqual({ stage_a: { processed: 48, total: 48 }, stage_b: { processed: 4, total: 4 } });
    expect([st.processed, st.total]).toEqual([52, 52]);

    const mine = await inProcess('mean');
    expect(st.stageA).toMatchObject({ stage_a_variants_total: 719, risk_total: mine.ranking.riskTotal, preselect_used: true });
    // both workers took part, and exactly one fanned out Stage B
    const succeeded = workers.map((w) => w.logs.filter((l) => l.event === 'unit_succeeded').length);
    expect(succeeded[0]! + succeeded[1]!).toBe(52);
    expect(succeeded.every((n) => n > 0)).toBe(true);
    expect(workers.flatMap((w) => w.logs.filter((l) => l.event === 'stage_a_done'))).toHaveLength(1);

    const top = cliJson<TopJson>(['jobs', 'top', sub.jobId, '--limit', String(TOP)], env);
    expect(top.rows).toHaveLength(TOP * 4);
    for (const [i, [id]] of INSTRUMENTS.entries()) {
      const rows = top.rows.filter((r) => r.instrumentId === id);
      expect(rows.map((r) => r.rank)).toEqual([1, 2, 3, 4, 5]);
      rows.forEach((row, k) => {
        const v = mine.ranking.shortlist[k]!;
        const replay = mine.replays[i]![k]!;
        expect(row.variant).toBe(v);
        expect(row.variant_key).toBe(mine.results[i]!.variantKey(v));
        expect(Object.is(num(row.objective), mine.ranking.objective[v]!)).toBe(true);
        for (const m of METRIC_NAMES) {
          expect(Object.is(num(row.metrics[m]!), mine.results[i]!.metrics[m][v]!), `${id} rank ${row.rank} ${m}`).toBe(true);
          expect(Object.is(num(row.metrics[m]!), replay.metrics[m]), `${id} rank ${row.rank} ${m} (replay)`).toBe(true);
        }
        expect(row.trades_json).toBe(replay.trades_json);
        expect(JSON.parse(row.trades_json!).length).toBe(mine.results[i]!.metrics.trades[v]);
        expect(row.report_table_md).toContain(row.variant_key.slice(0, 12));
      });
    }
    // each instrument's own top list: its own shortlist
    for (const [i, [id]] of INSTRUMENTS.entries()) {
      const own = cliJson<TopJson>(['jobs', 'top', sub.jobId, '--instrument', id], env);
      expect(own.rows.map((r) => r.variant)).toEqual(mine.results[i]!.shortlist.map((s) => s.variant));
      expect(own.rows.map((r) => r.variant_key)).toEqual(mine.results[i]!.shortlist.map((s) => s.key));
    }
    // the text rendering: one report table per instrument
    const text = cli(['jobs', 'top', sub.jobId], env);
    expect(text.status).toBe(0);
    for (const [id] of INSTRUMENTS) expect(text.stdout).toContain(`## ${id}`);
    expect(text.stdout).toContain(mine.results[0]!.variantKey(mine.ranking.shortlist[0]!).slice(0, 12));
    // stored once per (list, instrument, rank)
    const [count] = await query<{ n: number }>(fx.pgc.dsn, 'SELECT count(*)::int n FROM gridta.bt_top WHERE job_id = $1', [sub.jobId]);
    expect(count!.n).toBe(TOP * 4 * 2);
  }, 300_000);
});
