/**
 * The backtest rows of `gridta bench`: engine.backtest against the plain-JS loop a user writes
 * today over a gridta tensor (bench/plain-backtest.ts), on the same candles, in one run.
 *
 * Order of work per case: one call of each side (the warm-up; gridta once per thread count), whose
 * metrics must agree within 1e-9 relative on every metric of every variant, and gridta's must be
 * bit-identical across thread counts — a case that fails either is not timed and fails the run;
 * then timed rounds that interleave the sides (gridta at each thread count, then the plain loop, in
 * even rounds; the reverse order in odd ones), each call on a collected heap. Rows, all medians of
 * the same rounds: per thread count engine.backtest whole (operand series + Stage A) and Stage A
 * alone (result.stats, unrounded), then the plain loop whole (its engine.compute + the loop) and the
 * loop alone. `× plain` compares whole with whole and Stage A with the loop. Variant-bars/s = V × T / p50.
 */
import type { Candles } from '../src/candles/index.js';
import type { BacktestResult } from '../src/index.js';
import type { Engine } from '../src/runtime/engine.js';
import { BACKTEST_REL_TOLERANCE, checkBacktest, type BacktestAgreement } from './agreement.js';
import type { BacktestCase } from './backtest-cases.js';
import type { PlainBacktestRun } from './plain-backtest.js';

export interface BacktestRow {
  library: string;
  family: 'gridta' | 'plain';
  /** gridta rows: the engine's threads. */
  threads?: number;
  /** What the row times: a whole call, or the scoring part of it. */
  part: 'whole' | 'stage-a' | 'loop';
  p50Ms: number;
  /** Relative margin of error of the mean, % (95%, Student's t); NaN under 2 samples. */
  rme: number;
  samples: number;
  /** V × T / p50 seconds. */
  variantBarsPerSec: number;
  /** Over the plain row of the same part (whole against whole, Stage A against the loop alone). */
  vsPlain: number;
  /** Largest resident set right after one of the side's calls, MiB (its series and scratch still unreleased). */
  rssAfterCallMiB: number;
  samplesMs: number[];
}

export interface BacktestCaseResult {
  id: string;
  strategy: string;
  grid: string;
  execution: string;
  variants: number;
  t: number;
  agreement: BacktestAgreement;
  /** Empty when the agreement check failed: speed without agreement is not a win. */
  rows: BacktestRow[];
  /** Stage A alone, p50 ms by thread count (empty when not timed). */
  stageAThreadsP50: Record<string, number>;
  /** The process's peak RSS (high-water mark of the whole run so far) when the case ended, MiB. */
  peakRssMiB: number;
}

export interface BacktestCtx {
  readonly candles: Candles;
  /** Warm wasm-simd engines by thread count, fewest first (the first one computes the plain loop's series). */
  readonly engines: readonly { readonly threads: number; readonly engine: Engine }[];
  /** Time budget of the timed rounds, per side, ms. */
  readonly timeMs: number;
  readonly collect: (() => void) | undefined;
  readonly log: (s: string) => void;
}

/** Two-sided 95% Student's t by degrees of freedom (1…30); 1.96 beyond. */
const T95 = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086,
  2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function rme(xs: readonly number[]): number {
  const n = xs.length;
  if (n < 2) return Number.NaN;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1));
  return (((T95[n - 2] ?? 1.96) * sd) / Math.sqrt(n) / mean) * 100;
}

const rssMiB = (): number => process.memoryUsage.rss() / 2 ** 20;
const MAX_ROUNDS = 50;
/**
 * Rest after the collection before each timed call, ms per million bars (the dead memories to unmap
 * grow with the bars), at least SETTLE_MIN_MS: 500 ms at 1M bars, 50 ms in the quick 100,000-bar run.
 */
const SETTLE_MS_PER_MBAR = 500;
const SETTLE_MIN_MS = 50;

/** Stage A's time from the result, unrounded (stats.scoreMs is rounded to the ms). */
const stageAMs = (r: BacktestResult): number => ((r.variants * r.stats.rows) / r.stats.variantBarsPerSecond) * 1000;

const threadsLabel = (n: number): string => `${n} thread${n > 1 ? 's' : ''}`;

/** The first metric where two results of the same grid differ bit-wise (Object.is), or null. */
function bitDifference(a: BacktestResult, b: BacktestResult): string | null {
  for (const [m, col] of Object.entries(a.metrics)) {
    const other = b.metrics[m as keyof typeof b.metrics];
    for (let v = 0; v < col.length; v++) if (!Object.is(col[v], other[v])) return `${m} of variant ${v}: ${col[v]} vs ${other[v]}`;
  }
  return null;
}

export async function runBacktestCase(ctx: BacktestCtx, c: BacktestCase): Promise<BacktestCaseResult> {
  const { candles, engines, collect } = ctx;
  const T = candles.t;
  const V = c.variants;
  const compute = engines[0]!.engine.compute.bind(engines[0]!.engine);
  // each call on a collected heap whose dead memories are returned too: the plain loop leaves a
  // fresh tensor of up to 1.5 GB per call, and unmapping it after the collection took 110-270 ms
  // that the next call paid in its first allocation (bbands_revert's gridta call: 161-211 ms of
  // preparation after a plain call with 50 ms of rest, 32-52 ms after 300 ms, 31-54 ms after 1 s)
  const settleMs = Math.max(SETTLE_MIN_MS, Math.round((SETTLE_MS_PER_MBAR * T) / 1e6));
  const settle = async (): Promise<void> => {
    collect?.();
    await new Promise((r) => setTimeout(r, settleMs));
  };
  const rss = { gridta: 0, plain: 0 };
  const gridtaCall = async (engine: Engine): Promise<{ ms: number; result: BacktestResult }> => {
    await settle();
    const t0 = performance.now();
    const result = await engine.backtest({ candles, strategy: c.strategy, execution: c.execution });
    const ms = performance.now() - t0;
    rss.gridta = Math.max(rss.gridta, rssMiB());
    return { ms, result };
  };
  const plainCall = async (exec: BacktestResult['execution']): Promise<{ ms: number; run: PlainBacktestRun }> => {
    await settle();
    const t0 = performance.now();
    const run = await c.plain(compute, candles, c.axisValues, exec);
    const ms = performance.now() - t0;
    rss.plain = Math.max(rss.plain, rssMiB());
    return { ms, run };
  };

  ctx.log('    warm-up and agreement check (engine.backtest at each thread count, plain loop)');
  const firsts: { ms: number; result: BacktestResult }[] = [];
  for (const { engine } of engines) firsts.push(await gridtaCall(engine));
  const first = firsts[0]!;
  const exec = first.result.execution;
  const firstPlain = await plainCall(exec);
  let agreement = checkBacktest(firstPlain.run, first.result, c.fixed);
  for (let i = 1; i < engines.length && agreement.status === 'agrees'; i++) {
    const diff = bitDifference(firsts[i]!.result, first.result);
    if (diff) {
      const note = `engine.backtest on ${threadsLabel(engines[i]!.threads)} is not bit-identical to ${threadsLabel(engines[0]!.threads)}: ${diff}`;
      agreement = { ...agreement, status: 'differs', note };
    }
  }
  const base = {
    id: c.id,
    strategy: c.strategy.id,
    grid: c.label,
    execution: c.executionLabel,
    variants: V,
    t: T,
    agreement,
  };
  if (agreement.status !== 'agrees') {
    ctx.log(`    ${c.id}: AGREEMENT FAILED, not timed: ${agreementText(agreement)}`);
    return { ...base, rows: [], stageAThreadsP50: {}, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
  }

  // at least 3 rounds, and 2 (one of each order) when a call takes longer than the budget
  const callMs = Math.max(firstPlain.ms, ...firsts.map((f) => f.ms));
  const minRounds = callMs > ctx.timeMs ? 2 : 3;
  const g = engines.map(() => ({ whole: [] as number[], stageA: [] as number[] }));
  const p = { whole: [] as number[], loop: [] as number[] };
  const sides: (() => Promise<number>)[] = [
    ...engines.map(({ engine }, i) => async () => {
      const { ms, result } = await gridtaCall(engine);
      g[i]!.whole.push(ms);
      g[i]!.stageA.push(stageAMs(result));
      return ms;
    }),
    async () => {
      const { ms, run } = await plainCall(exec);
      p.whole.push(ms);
      p.loop.push(run.loopMs);
      return ms;
    },
  ];
  let spent = 0;
  for (let round = 0; round < MAX_ROUNDS && (round < minRounds || spent < (engines.length + 1) * ctx.timeMs); round++) {
    ctx.log(`    round ${round + 1} (${round % 2 ? 'plain loop, then gridta' : 'gridta, then plain loop'})`);
    for (const side of round % 2 ? [...sides].reverse() : sides) spent += await side();
  }

  const row = (library: string, family: BacktestRow['family'], part: BacktestRow['part'], samplesMs: number[], threads?: number) => {
    const p50Ms = median(samplesMs);
    return {
      library,
      family,
      ...(threads === undefined ? {} : { threads }),
      part,
      p50Ms,
      rme: rme(samplesMs),
      samples: samplesMs.length,
      variantBarsPerSec: (V * T) / (p50Ms / 1000),
      vsPlain: 1,
      rssAfterCallMiB: Math.round(family === 'gridta' ? rss.gridta : rss.plain),
      samplesMs,
    };
  };
  const pWhole = row('plain JS loop, engine.compute series + loop', 'plain', 'whole', p.whole);
  const pLoop = row('plain JS loop alone', 'plain', 'loop', p.loop);
  const rows: BacktestRow[] = [];
  const stageAThreadsP50: Record<string, number> = {};
  engines.forEach(({ threads }, i) => {
    const gWhole = row(
      `gridta engine.backtest wasm-simd ${threadsLabel(threads)} (series + Stage A)`,
      'gridta',
      'whole',
      g[i]!.whole,
      threads,
    );
    const gStageA = row(`gridta Stage A alone, ${threadsLabel(threads)} (result.stats)`, 'gridta', 'stage-a', g[i]!.stageA, threads);
    gWhole.vsPlain = gWhole.variantBarsPerSec / pWhole.variantBarsPerSec;
    gStageA.vsPlain = gStageA.variantBarsPerSec / pLoop.variantBarsPerSec;
    stageAThreadsP50[String(threads)] = gStageA.p50Ms;
    rows.push(gWhole, gStageA);
  });
  rows.push(pWhole, pLoop);
  return { ...base, rows, stageAThreadsP50, peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024) };
}

function agreementText(a: BacktestAgreement): string {
  if (a.note) return a.note;
  if (a.worst)
    return `${a.worst.metric} of ${JSON.stringify(a.worst.variant)}: plain loop ${a.worst.plain}, engine.backtest ${a.worst.gridta} (tolerance ${BACKTEST_REL_TOLERANCE} relative)`;
  return `max rel diff ${a.maxRel.toExponential(1)}`;
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

/** The case's table, as the indicator cases print theirs. */
export function renderBacktestCase(r: BacktestCaseResult, human: (x: number) => string, ratio: (x: number | null) => string): string[] {
  const out: string[] = [
    '',
    `${r.id} — ${r.grid}; ${r.execution}: ${r.variants.toLocaleString('en-US')} variants × ${r.t.toLocaleString('en-US')} bars = ${human(r.variants * r.t)}variant-bars`,
  ];
  if (r.agreement.status !== 'agrees') {
    const maxRel = Number.isFinite(r.agreement.maxRel) ? r.agreement.maxRel.toExponential(1) : '—';
    out.push(
      `  AGREEMENT FAILED, not timed: the plain loop and engine.backtest disagree; the first difference: ${agreementText(r.agreement)}`,
      `  (${r.agreement.compared.toLocaleString('en-US')} metric values compared; max rel diff ${maxRel})`,
    );
    return out;
  }
  const head = `${'library'.padEnd(62)} ${'p50 ms'.padStart(9)} ${'rme %'.padStart(6)} ${'samples'.padStart(7)} ${'var-bars/s'.padStart(10)} ${'× plain'.padStart(8)} ${'RSS MiB'.padStart(8)}`;
  out.push(head, '-'.repeat(head.length));
  for (const row of r.rows) {
    out.push(
      `${row.library.padEnd(62)} ${fmt(row.p50Ms, row.p50Ms < 10 ? 2 : 1).padStart(9)} ${(row.samples < 2 ? '—' : fmt(row.rme)).padStart(6)} ${String(row.samples).padStart(7)} ${human(row.variantBarsPerSec).padStart(10)} ${ratio(row.vsPlain).padStart(8)} ${(row.part === 'whole' ? String(row.rssAfterCallMiB) : '').padStart(8)}`,
    );
  }
  out.push(
    `  agreement: every metric of every variant within ${BACKTEST_REL_TOLERANCE} relative (max rel diff ${r.agreement.maxRel.toExponential(1)} over ${r.agreement.compared.toLocaleString('en-US')} values)`,
    `  × plain: whole against whole, Stage A against the loop alone; RSS: the largest resident set right after a call; peak RSS of the run so far ${r.peakRssMiB.toLocaleString('en-US')} MiB`,
  );
  const byThreads = Object.entries(r.stageAThreadsP50);
  const one = r.stageAThreadsP50['1'];
  if (byThreads.length > 1) {
    const over =
      one === undefined
        ? ''
        : ` (${byThreads
            .filter(([n]) => n !== '1')
            .map(([n, ms]) => `${n} threads ${ratio(one / ms)} over 1`)
            .join(', ')})`;
    out.push(
      `  Stage A by threads (metrics bit-identical across them): ${byThreads.map(([n, ms]) => `${n}: ${fmt(ms)} ms`).join(', ')}${over}`,
    );
  }
  return out;
}
