/**
 * `gridta bench` (what `npm start` runs): gridta's SIMD and scalar builds at each thread
 * count, a plain-JS loop and the JS peer libraries on the same grids and the same data, in one
 * run. Agreement with gridta's reference is checked before anything is timed; tinybench medians;
 * every ratio is values/s over values/s from this run (for rows that compute the whole grid that is
 * p50 over p50). Targets are read on the reused-output rows: on fresh output the first touch of new
 * memory costs more than the kernels, and both sides pay it. The backtest cases follow the
 * indicator cases: engine.backtest against a plain-JS backtest loop (bench/backtest.ts).
 *
 * It lives with the bench it drives: the bench uses the library, never the other way. The CLI's
 * `bench` command loads this module at run time by its path in the package (src/cli/main.ts).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Bench } from 'tinybench';
import { checkFull, checkPeer, column, peerVariants, type Agreement } from './agreement.js';
import { renderBacktestCase, runBacktestCase, type BacktestCaseResult } from './backtest.js';
import { BACKTEST_CASE_IDS, backtestCases } from './backtest-cases.js';
import { STREAM_CASE_IDS, renderStreamCase, runStreamCase, type StreamCaseResult } from './stream.js';
import { CASE_IDS, benchCases, type BenchCase, type Skipped } from './cases.js';
import { SYNTHETIC_SEED, syntheticMinuteCandles } from './data.js';
import { loadPeers, PEER_NAMES, type PeerAdapter, type PeerUnavailable } from './peers/index.js';
import { barChartSvg, type PlotGroup } from './plot.js';
import { loadCandlesFile } from '../src/arrow/candles.js';
import type { Candles } from '../src/candles/index.js';
import type { IndicatorTensor } from '../src/compute/tensor.js';
import { createEngine, POOL_MIN_VALUES, type Engine } from '../src/runtime/engine.js';
import type { GridtaWarning } from '../src/runtime/cache.js';
import { UsageError, checkPositionals, engineOptions, parse } from '../src/cli/args.js';

type Family = 'gridta' | 'gridta-threads' | 'gridta-scalar' | 'plain' | 'peer';

export interface BenchRow {
  library: string;
  family: Family;
  engine?: 'wasm-simd' | 'wasm-scalar';
  threads?: number;
  /** reused: into `out`; fresh: a new tensor each call; released: a new tensor each call, released after it (tensor.release()). */
  output: 'reused' | 'fresh' | 'released';
  p50Ms: number;
  rme: number;
  samples: number;
  /** Variants one timed call covers (peers may be timed on fewer than the grid's; values/s counts only those). */
  variantsTimed: number;
  /** bars × variantsTimed / p50 seconds. */
  valuesPerSec: number;
  /** values/s over the plain loop's (reused-output rows against the reused plain row; fresh and peer rows against the fresh one). */
  vsPlain: number | null;
  /** values/s over the fastest peer's. */
  vsFastestPeer: number | null;
  agreement: Agreement | null;
  notes: string[];
}

export interface BenchCaseResult {
  id: string;
  grid: string;
  variants: number;
  outputs: readonly string[];
  t: number;
  rows: BenchRow[];
  peersSkipped: { name: string; reason: string }[];
  /** p50 of gridta wasm-simd with reused output, by thread count. */
  threadsP50: Record<string, number>;
  recommendedThreads: number | null;
}

const fmt = (x: number, d = 1): string => (Number.isFinite(x) ? x.toFixed(d) : '—');
export const human = (x: number): string =>
  x >= 1e9 ? `${fmt(x / 1e9, 2)} G` : x >= 1e6 ? `${fmt(x / 1e6, 1)} M` : x >= 1e3 ? `${fmt(x / 1e3, 1)} k` : fmt(x, 0);
const ratio = (x: number | null): string =>
  x === null ? '—' : x >= 100 ? `${x.toFixed(0)}×` : x >= 10 ? `${x.toFixed(1)}×` : `${x.toFixed(2)}×`;

interface Timing {
  p50Ms: number;
  rme: number;
  samples: number;
}

/**
 * A full garbage collection between iterations of rows that allocate their output (not timed):
 * without it, the unreachable ~0.8 GB WebAssembly memories of earlier computes pile up (V8 does not
 * weigh their external size), RSS grows by gigabytes and later rows pay for the collector.
 */
const collect: (() => void) | undefined = (() => {
  try {
    setFlagsFromString('--expose_gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return undefined;
  }
})();

/**
 * One task in its own tinybench run, after the caller's warm-up call (its first call, which also
 * feeds the agreement check): samples for `timeMs` ms, at least 3, 2 when one call takes longer than
 * the budget, 1 when it takes more than 4 budgets (keeps the default run near 3 minutes on 2 cores);
 * p50 of the samples.
 */
async function timeTask(
  name: string,
  fn: () => unknown,
  opts: { timeMs: number; firstCallMs: number; gc?: boolean; minSamples?: number },
): Promise<Timing> {
  const minSamples = Math.max(opts.minSamples ?? 0, opts.firstCallMs > 4 * opts.timeMs ? 1 : opts.firstCallMs > opts.timeMs ? 2 : 3);
  const bench = new Bench({ time: opts.timeMs, iterations: minSamples, warmup: false, throws: true });
  bench.add(name, fn as () => Promise<void>, opts.gc && collect ? { afterEach: () => collect() } : undefined);
  // every row starts from a collected heap with the collector's helper threads idle: the garbage of
  // the rows before (peers' result arrays, earlier computes' memories) once cost the next row's
  // samples 1.5–2.2× on this 2-core machine (rsi and macd in the run of 2026-11-29 09:11)
  collect?.();
  await new Promise((r) => setTimeout(r, 100));
  await bench.run();
  const r = bench.tasks[0]!.result;
  if (r.state !== 'completed')
    throw new Error(`bench task ${name}: ${r.state}${'error' in r ? `: ${String((r as { error?: unknown }).error)}` : ''}`);
  return { p50Ms: r.latency.p50, rme: r.latency.rme, samples: r.latency.samplesCount };
}

const since = (t0: number): number => performance.now() - t0;

/** Reused-output gridta rows under this many ms per call take at least GRIDTA_MIN_SAMPLES samples (about 2 s at most). */
const GRIDTA_MIN_SAMPLES_MS = 400;
const GRIDTA_MIN_SAMPLES = 5;
/**
 * The plain loop's reused-output rows (the × plain ratios' denominators) under this many ms per warm
 * call take GRIDTA_MIN_SAMPLES samples too (about 10 s at most): one or two calls of a noisy machine
 * moved a case's ratio by half from run to run.
 */
const PLAIN_MIN_SAMPLES_MS = 2000;

interface Ctx {
  candles: Candles;
  timeMs: number;
  threads: number[];
  engines: Map<string, Engine>;
  peers: PeerAdapter[];
  peersUnavailable: PeerUnavailable[];
  /** Each peer's inputs, prepared once for the whole run (outside every timed region). */
  prepared: Map<PeerAdapter, unknown>;
  log: (s: string) => void;
}

const engineKey = (engine: string, threads: number): string => `${engine}/${threads}`;

async function gridtaRow(
  ctx: Ctx,
  c: BenchCase,
  engine: 'wasm-simd' | 'wasm-scalar',
  threads: number,
  output: 'reused' | 'fresh' | 'released',
  checked?: Agreement,
  checkedMs?: number,
): Promise<BenchRow> {
  const e = ctx.engines.get(engineKey(engine, threads))!;
  const { candles } = ctx;
  const T = candles.t,
    V = c.variants;
  const req = { candles, grid: c.grid };
  const family: Family = engine === 'wasm-scalar' ? 'gridta-scalar' : threads > 1 ? 'gridta-threads' : 'gridta';
  const label = `gridta ${engine} ${threads} thread${threads > 1 ? 's' : ''} (${output === 'released' ? 'fresh output, released' : `${output} output`})`;
  ctx.log(`    ${label}`);
  const notes: string[] = [];
  let timing: Timing;
  let agreement: Agreement;
  if (output === 'reused') {
    const t0 = performance.now();
    let tensor: IndicatorTensor | undefined = await e.compute(req); // the warm-up call, whose output is checked
    const firstCallMs = since(t0);
    agreement = checkFull(c, candles, (v, o) => column(tensor!.output(o), T, V, v));
    if (threads > 1 && tensor.meta.threads === 1)
      notes.push(`ran in-process: under ${POOL_MIN_VALUES.toLocaleString('en-US')} output values or one batch`);
    // the first call allocates (and faults in) the output; one more untimed call into it sizes the
    // sample count: a gridta row that computes in under GRIDTA_MIN_SAMPLES_MS gets at least
    // GRIDTA_MIN_SAMPLES samples, so its median does not rest on two calls of a noisy machine
    const w0 = performance.now();
    tensor = await e.compute({ ...req, out: tensor });
    const warmMs = since(w0);
    timing = await timeTask(
      label,
      async () => {
        tensor = await e.compute({ ...req, out: tensor });
      },
      {
        timeMs: ctx.timeMs,
        firstCallMs: Math.min(firstCallMs, warmMs),
        minSamples: warmMs < GRIDTA_MIN_SAMPLES_MS ? GRIDTA_MIN_SAMPLES : 0,
      },
    );
    tensor = undefined;
  } else {
    // same engine as the reused-output row, warm and checked there: no extra warm-up call
    if (!checked) throw new Error('a fresh-output row follows the reused-output row of its engine');
    agreement = checked;
    collect?.();
    const reusedMs = checkedMs ?? ctx.timeMs + 1;
    // released: each call's tensor goes back to the engine, whose next compute without `out` takes its memory
    timing = await timeTask(
      label,
      async () => {
        const t = await e.compute(req);
        if (output === 'released') t.release();
      },
      { timeMs: ctx.timeMs, firstCallMs: reusedMs, gc: output === 'fresh' },
    );
  }
  return {
    library: label,
    family,
    engine,
    threads,
    output,
    ...timing,
    variantsTimed: V,
    valuesPerSec: (T * V) / (timing.p50Ms / 1000),
    vsPlain: null,
    vsFastestPeer: null,
    agreement,
    notes,
  };
}

async function plainRows(ctx: Ctx, c: BenchCase): Promise<BenchRow[]> {
  const { candles } = ctx;
  const T = candles.t,
    V = c.variants;
  const inp = { close: candles.close, high: candles.high, low: candles.low, volume: candles.volume };
  let outs: Float32Array[] | undefined = c.outputs.map(() => new Float32Array(T * V));
  const t0 = performance.now();
  c.plain(inp, outs); // the warm-up call
  const firstCallMs = since(t0);
  const agreement = checkFull(c, candles, (v, o) => column(outs![c.outputs.indexOf(o)]!, T, V, v));
  // one more untimed call, warm (compiled, its output touched), sizes the reused row's sample count
  const w0 = performance.now();
  c.plain(inp, outs);
  const warmMs = since(w0);
  const rows: BenchRow[] = [];
  for (const output of ['reused', 'fresh'] as const) {
    const label = `plain JS loop (${output} output)`;
    ctx.log(`    ${label}`);
    const fn =
      output === 'reused'
        ? () => c.plain(inp, outs!)
        : () =>
            c.plain(
              inp,
              c.outputs.map(() => new Float32Array(T * V)),
            );
    const callMs = output === 'reused' ? Math.min(firstCallMs, warmMs) : 1.5 * rows[0]!.p50Ms;
    if (output === 'fresh') {
      outs = undefined;
      collect?.();
    }
    const minSamples = output === 'reused' && warmMs < PLAIN_MIN_SAMPLES_MS ? GRIDTA_MIN_SAMPLES : 0;
    const timing = await timeTask(label, fn, { timeMs: ctx.timeMs, firstCallMs: callMs, gc: output === 'fresh', minSamples });
    rows.push({
      library: label,
      family: 'plain',
      output,
      ...timing,
      variantsTimed: V,
      valuesPerSec: (T * V) / (timing.p50Ms / 1000),
      vsPlain: null,
      vsFastestPeer: null,
      agreement,
      notes: [],
    });
  }
  return rows;
}

/** Evenly spaced picks of k items, first and last included. */
function spread<T>(xs: readonly T[], k: number): T[] {
  if (k >= xs.length) return [...xs];
  if (k === 1) return [xs[Math.floor((xs.length - 1) / 2)]!];
  return Array.from({ length: k }, (_, i) => xs[Math.round((i * (xs.length - 1)) / (k - 1))]!);
}

async function peerRow(ctx: Ctx, c: BenchCase, peer: PeerAdapter): Promise<BenchRow> {
  const { candles } = ctx;
  const label = `${peer.name} ${peer.version}`;
  ctx.log(`    ${label}: agreement check`);
  const agreement = await checkPeer(peer, c, candles);
  const supported: number[] = [];
  const reasons = new Set<string>();
  for (let v = 0; v < c.variants; v++) {
    const why = peer.unsupportedVariant?.(c.id, c.params(v)) ?? null;
    if (why) reasons.add(why);
    else supported.push(v);
  }
  let prepared = ctx.prepared.get(peer);
  if (prepared === undefined) {
    prepared = peer.prepare({
      t: candles.t,
      close: candles.close,
      open: candles.open,
      high: candles.high,
      low: candles.low,
      volume: candles.volume,
    });
    ctx.prepared.set(peer, prepared);
  }
  // one call on the middle variant: the warm-up, and the size of a timed call
  const mid = peerVariants(peer, c)[1] ?? supported[0]!;
  const t0 = performance.now();
  await peer.run(c.id, c.params(mid), prepared);
  const one = performance.now() - t0;
  const k = Math.max(1, Math.min(supported.length, Math.floor((0.25 * ctx.timeMs) / Math.max(one, 1e-3))));
  const chosen = spread(supported, k).map((v) => c.params(v));
  ctx.log(`    ${label}: ${k} of ${c.variants} variants per timed call`);
  const timing = await timeTask(
    label,
    async () => {
      for (const p of chosen) await peer.run(c.id, p, prepared); // each variant's result is dropped before the next
    },
    { timeMs: ctx.timeMs, firstCallMs: one * k },
  );
  const notes: string[] = [];
  if (k < c.variants) {
    const why =
      supported.length < c.variants
        ? `${supported.length} supported (${[...reasons].join('; ')})`
        : 'the whole grid would take too long per call';
    notes.push(`timed on ${k} of ${c.variants} variants (evenly spaced; ${why}); values/s counts only those`);
  }
  return {
    library: label,
    family: 'peer',
    output: 'fresh',
    ...timing,
    variantsTimed: k,
    valuesPerSec: (candles.t * k) / (timing.p50Ms / 1000),
    vsPlain: null,
    vsFastestPeer: null,
    agreement,
    notes,
  };
}

/** The smallest thread count within 5% of the best p50, among counts ≤ available CPUs. */
export function recommendThreads(p50ByThreads: Readonly<Record<string, number>>, cpusAvailable: number): number | null {
  const entries = Object.entries(p50ByThreads)
    .map(([k, v]) => [Number(k), v] as const)
    .filter(([k]) => k <= cpusAvailable)
    .sort((a, b) => a[0] - b[0]);
  if (entries.length === 0) return null;
  const best = Math.min(...entries.map(([, v]) => v));
  return entries.find(([, v]) => v <= best * 1.05)![0];
}

async function runCase(ctx: Ctx, c: BenchCase): Promise<BenchCaseResult> {
  const rows: BenchRow[] = [];
  const threadsP50: Record<string, number> = {};
  for (const n of ctx.threads) {
    const r = await gridtaRow(ctx, c, 'wasm-simd', n, 'reused');
    threadsP50[String(n)] = r.p50Ms;
    rows.push(r);
  }
  rows.push(await gridtaRow(ctx, c, 'wasm-scalar', 1, 'reused'));
  // a fresh-output call costs about twice the reused one (first touch of new memory)
  rows.push(await gridtaRow(ctx, c, 'wasm-simd', 1, 'fresh', rows[0]!.agreement!, 2 * rows[0]!.p50Ms));
  rows.push(await gridtaRow(ctx, c, 'wasm-simd', 1, 'released', rows[0]!.agreement!, rows[0]!.p50Ms));
  rows.push(...(await plainRows(ctx, c)));
  const peersSkipped: { name: string; reason: string }[] = ctx.peersUnavailable.map((p) => ({
    name: p.name,
    reason: p.native ? `native peer, opt-in: ${p.reason}` : p.reason,
  }));
  for (const peer of ctx.peers) {
    if (!peer.supports(c.id)) {
      peersSkipped.push({ name: peer.name, reason: `has no ${c.id.split('.')[1]} for a rolling series` });
      continue;
    }
    try {
      rows.push(await peerRow(ctx, c, peer));
    } catch (e) {
      peersSkipped.push({ name: peer.name, reason: `failed: ${(e as Error).message.split('\n')[0]}` });
    }
  }
  const plainReused = rows.find((r) => r.family === 'plain' && r.output === 'reused')!;
  const plainFresh = rows.find((r) => r.family === 'plain' && r.output === 'fresh')!;
  const peerRows = rows.filter((r) => r.family === 'peer');
  const fastestPeer = peerRows.length ? Math.max(...peerRows.map((r) => r.valuesPerSec)) : null;
  for (const r of rows) {
    const base = r.output === 'reused' ? plainReused : plainFresh;
    r.vsPlain = r.valuesPerSec / base.valuesPerSec;
    r.vsFastestPeer = fastestPeer ? r.valuesPerSec / fastestPeer : null;
  }
  return {
    id: c.id,
    grid: c.label,
    variants: c.variants,
    outputs: c.outputs,
    t: ctx.candles.t,
    rows,
    peersSkipped,
    threadsP50,
    recommendedThreads: recommendThreads(threadsP50, availableParallelism()),
  };
}

function agreementCell(a: Agreement | null): string {
  if (!a) return '—';
  return a.status;
}

function agreementNote(r: BenchRow): string | null {
  const a = r.agreement;
  if (!a) return null;
  const parts: string[] = [];
  if (a.status === 'differs') {
    parts.push(
      `max rel diff ${a.maxRel.toExponential(1)}${a.nanMismatch ? `, ${a.nanMismatch} NaN mismatches` : ''}${a.worst ? ` (${a.worst.output}, ${JSON.stringify(a.worst.variant)}, bar ${a.worst.bar}: ${a.worst.got.toPrecision(7)} vs ${a.worst.want.toPrecision(7)})` : ''}`,
    );
    if (a.convention) parts.push(`known convention: ${a.convention}`);
  } else if (a.status === 'agrees') {
    parts.push(`max rel diff ${a.maxRel.toExponential(1)}`);
  } else if (a.status === 'n/a' && a.note) {
    parts.push(a.note);
  }
  if (a.holes) parts.push(`missing bars: ${a.holes}`);
  return parts.length ? parts.join('; ') : null;
}

function renderCase(r: BenchCaseResult): string[] {
  const out: string[] = [];
  out.push(
    '',
    `${r.id} — ${r.grid}: ${r.variants} variants × ${r.t.toLocaleString('en-US')} bars = ${human(r.variants * r.t)}values, outputs ${r.outputs.join(', ')}`,
  );
  const head = `${'library'.padEnd(52)} ${'p50 ms'.padStart(9)} ${'rme %'.padStart(6)} ${'samples'.padStart(7)} ${'values/s'.padStart(9)} ${'× plain'.padStart(8)} ${'× peer'.padStart(8)}  agreement`;
  out.push(head, '-'.repeat(head.length + 4));
  const notes: string[] = [];
  for (const row of r.rows) {
    const rowNotes = [...row.notes];
    const an = agreementNote(row);
    if (an && (row.family === 'peer' || row.agreement?.status !== 'bit-identical')) rowNotes.push(an);
    let mark = '';
    if (rowNotes.length) {
      notes.push(`[${notes.length + 1}] ${row.library}: ${rowNotes.join('; ')}`);
      mark = ` [${notes.length}]`;
    }
    out.push(
      `${(row.library + mark).padEnd(52)} ${fmt(row.p50Ms, row.p50Ms < 10 ? 2 : 1).padStart(9)} ${(row.samples < 2 ? '—' : fmt(row.rme)).padStart(6)} ${String(row.samples).padStart(7)} ${human(row.valuesPerSec).padStart(9)} ${ratio(row.vsPlain).padStart(8)} ${ratio(row.vsFastestPeer).padStart(8)}  ${agreementCell(row.agreement)}`,
    );
  }
  out.push(...notes.map((n) => `  ${n}`));
  for (const s of r.peersSkipped) out.push(`  skipped: ${s.name} (${s.reason})`);
  const simd = r.rows.find((x) => x.family === 'gridta' && x.output === 'reused');
  const scalar = r.rows.find((x) => x.family === 'gridta-scalar');
  const plain = r.rows.find((x) => x.family === 'plain' && x.output === 'reused');
  const summary: string[] = [];
  if (simd && scalar) summary.push(`SIMD vs scalar build ${ratio(simd.valuesPerSec / scalar.valuesPerSec)}`);
  if (simd && plain) summary.push(`gridta vs plain loop (reused output) ${ratio(simd.valuesPerSec / plain.valuesPerSec)}`);
  const threadEntries = Object.entries(r.threadsP50);
  if (threadEntries.length > 1)
    summary.push(`threads ${threadEntries.map(([n, p]) => `${n}: ${fmt(p)} ms`).join(', ')} → recommended ${r.recommendedThreads ?? '—'}`);
  if (summary.length) out.push(`  ${summary.join(' · ')}`);
  return out;
}

/** The most frequent per-case recommendation (ties: the smaller count) and one line of reasoning. */
export function overallRecommendation(
  results: readonly BenchCaseResult[],
  cpusAvailable: number,
): { threads: number | null; reason: string } {
  if (results.length === 0) return { threads: null, reason: 'no indicator case timed (the backtest cases print their Stage A by threads)' };
  const recs = results.map((r) => r.recommendedThreads).filter((x): x is number => x !== null);
  if (recs.length === 0 || Object.keys(results[0]?.threadsP50 ?? {}).length < 2)
    return { threads: null, reason: 'one thread count timed (use --threads 1,2 for a sweep)' };
  const count = new Map<number, number>();
  for (const x of recs) count.set(x, (count.get(x) ?? 0) + 1);
  const threads = [...count.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0]![0];
  const counts = Object.keys(results[0]!.threadsP50)
    .map(Number)
    .filter((n) => n > 1 && n <= cpusAvailable);
  const other = threads === 1 ? Math.max(...counts) : threads;
  const speedups = results
    .map((r) => r.threadsP50['1']! / r.threadsP50[String(other)]!)
    .filter((x) => Number.isFinite(x))
    .sort((a, b) => a - b);
  const median = speedups[Math.floor(speedups.length / 2)] ?? 1;
  const span = speedups.length ? `${speedups[0]!.toFixed(2)}–${speedups[speedups.length - 1]!.toFixed(2)}×` : '—';
  const minV = Math.min(...results.map((r) => r.variants)),
    maxV = Math.max(...results.map((r) => r.variants));
  const reason =
    threads === 1
      ? `1 thread: ${Number.isFinite(other) ? `${other} threads gave a median ${median.toFixed(2)}× (${span}) and ` : ''}gained less than 5% on ${count.get(1)} of ${recs.length} cases (${cpusAvailable} CPUs available)`
      : `${threads} threads: median ${median.toFixed(2)}× (${span}) over 1 thread on ${recs.length} cases of ${minV}–${maxV} variants (recommended for ${count.get(threads)} of them); computes under ${POOL_MIN_VALUES.toLocaleString('en-US')} output values stay in-process`;
  return { threads, reason };
}

function parseThreads(s: string | undefined, configured: number): number[] {
  if (s === undefined) return [...new Set([1, configured])];
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const out: number[] = [];
  for (const x of list) {
    if (!/^[0-9]+$/.test(x) || Number(x) < 1 || Number(x) > 256)
      throw new UsageError(`--threads must be a list of integers 1..256 such as 1,2 (got ${JSON.stringify(s)})`);
    out.push(Number(x));
  }
  return [...new Set([1, ...out])].sort((a, b) => a - b);
}

/** The quick default run (about a minute on 2 cores) and the full one (`--full`, the README's table). */
export const QUICK = { size: 100_000, timeMs: 150 } as const;
export const FULL = { size: 1_000_000, timeMs: 300 } as const;

const USAGE = `usage: gridta bench [--full] [--cases a,b] [--size T | --data FILE] [--threads 1,2] [--peers a,b|none] [--time MS] [--json] [--plot FILE.svg]
  --full      the full run: 1,000,000 bars and 300 ms a row (minutes; the README's table); without it a quick run
              of 100,000 bars and 150 ms a row (about a minute)
  --cases     cases to time, e.g. ma.ema,momentum.rsi, backtest.ma_cross or stream.ema (default: all; ids without a kernel are listed as skipped)
  --size      bars of the synthetic 1-minute series (default 100,000; 1,000,000 with --full)
  --data      a candles file (.csv or .arrow, sessions timeline), e.g. bench/ttrc.csv
  --threads   thread counts to time gridta at (default: 1 and the configured count)
  --peers     peer libraries to run (default: all installed; ${PEER_NAMES.join(', ')}; none)
  --time      time budget per timed row in ms after its warm-up (default 150; 300 with --full)
  --json      one JSON document with every number on stdout (progress stays on stderr)
  --plot      write a bar chart of values/s per case and library (log scale) as SVG`;

export async function runBench(argv: string[]): Promise<number> {
  const { values, positionals } = parse(argv, {
    size: { type: 'string' },
    data: { type: 'string' },
    cases: { type: 'string' },
    time: { type: 'string' },
    peers: { type: 'string' },
    plot: { type: 'string' },
    full: { type: 'boolean' },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  checkPositionals('bench', positionals, 0);
  const allCases = [...CASE_IDS, ...BACKTEST_CASE_IDS, ...STREAM_CASE_IDS];
  const selected = (values.cases as string | undefined)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknownCases = (selected ?? []).filter((c) => !allCases.includes(c));
  if (unknownCases.length)
    throw new UsageError(`--cases: unknown case ${unknownCases.map((c) => JSON.stringify(c)).join(', ')} (cases: ${allCases.join(', ')})`);
  if (values.size !== undefined && values.data !== undefined)
    throw new UsageError('--size applies to the synthetic series; give --size or --data, not both');
  const preset = values.full ? FULL : QUICK;
  const size = values.size === undefined ? preset.size : Number(values.size);
  if (!Number.isInteger(size) || size < 100) throw new UsageError(`--size must be an integer >= 100 (got ${JSON.stringify(values.size)})`);
  const timeMs = values.time === undefined ? preset.timeMs : Number(values.time);
  if (!Number.isFinite(timeMs) || timeMs <= 0)
    throw new UsageError(`--time must be a positive number of ms (got ${JSON.stringify(values.time)})`);
  const peerSel =
    values.peers === undefined ? undefined : values.peers === 'none' ? [] : (values.peers as string).split(',').map((s) => s.trim());
  for (const p of peerSel ?? [])
    if (!PEER_NAMES.includes(p))
      throw new UsageError(`--peers: unknown peer ${JSON.stringify(p)} (peers: ${PEER_NAMES.join(', ')}, or none)`);
  const started = performance.now();
  const log = (s: string): void => {
    process.stderr.write(`${s.padEnd(60)} ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s\n`);
  };

  let candles: Candles;
  let dataset: string;
  let seed: number | null = null;
  if (values.data) {
    candles = await loadCandlesFile(values.data, { timeline: 'sessions' });
    dataset = `${values.data} (${candles.t.toLocaleString('en-US')} bars, ${candles.timeframe}, sessions timeline)`;
  } else {
    log(`generating ${size.toLocaleString('en-US')} one-minute bars (seed ${SYNTHETIC_SEED}) ...`);
    candles = syntheticMinuteCandles(size);
    seed = SYNTHETIC_SEED;
    dataset = `synthetic 1m series with holes (bench/data.ts), ${size.toLocaleString('en-US')} bars, seed ${SYNTHETIC_SEED}`;
  }
  // --cases may name indicator cases, backtest cases or both; without it every case runs
  const indicatorSel = selected?.filter((c) => CASE_IDS.includes(c));
  const indicators =
    selected === undefined || (indicatorSel?.length ?? 0) > 0 ? benchCases(indicatorSel) : { runnable: [], skipped: [] as Skipped[] };
  const backtestSel = selected?.filter((c) => BACKTEST_CASE_IDS.includes(c));
  const backtests =
    selected === undefined || (backtestSel?.length ?? 0) > 0 ? backtestCases(backtestSel) : { runnable: [], skipped: [] as Skipped[] };
  const streamCases = selected === undefined ? [...STREAM_CASE_IDS] : selected.filter((c) => STREAM_CASE_IDS.includes(c));
  const { runnable } = indicators;
  const skipped = [...indicators.skipped, ...backtests.skipped];

  const warnings: GridtaWarning[] = [];
  const base = {
    ...engineOptions({ ...values, threads: undefined, engine: undefined }),
    onWarning: (w: GridtaWarning) => warnings.push(w),
  };
  const probe = createEngine(base);
  const configuredThreads = probe.config.threadsEffective;
  const probeProfile = probe.config.profile.value;
  const cpusAvailable = probe.config.availableParallelism;
  await probe.close();
  const threads = parseThreads(values.threads, configuredThreads);
  const engines = new Map<string, Engine>();
  for (const n of threads) engines.set(engineKey('wasm-simd', n), createEngine({ ...base, engine: 'wasm-simd', threads: n }));
  engines.set(engineKey('wasm-scalar', 1), createEngine({ ...base, engine: 'wasm-scalar', threads: 1 }));
  log(`warming up ${engines.size} engines (threads ${threads.join(', ')}) ...`);
  for (const e of engines.values()) await e.warmup();
  const { peers, unavailable } = await loadPeers(peerSel);

  const cpu = cpus();
  const quick = !values.full && values.size === undefined && values.time === undefined && values.data === undefined;
  const header = {
    run: values.full
      ? 'full run (--full): 1,000,000 bars, 300 ms a row, the run behind the README table'
      : quick
        ? 'quick run: 100,000 bars, 150 ms a row, about a minute on 2 cores; `npm start -- --full` (gridta bench --full) is the 1,000,000-bar run behind the README table'
        : 'custom run',
    date: new Date().toISOString(),
    node: process.version,
    v8: process.versions.v8,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpu[0]?.model?.trim() ?? 'unknown',
    cpus: cpu.length,
    availableParallelism: cpusAvailable,
    dataset,
    seed,
    profile: probeProfile,
    t: candles.t,
    timeMsPerRow: timeMs,
    threads,
    peers: peers.map((p) => `${p.name}@${p.version}`),
    ratios: 'values/s over values/s from this run (p50 over p50 where both rows compute the whole grid)',
    values: 'bars × variants (all outputs of a variant count once)',
    columns:
      '× plain: reused-output rows against the plain loop with reused output, fresh-output and peer rows (which allocate their results) against the one with fresh output; × peer: against the fastest peer of the case',
  };
  const ctx: Ctx = { candles, timeMs, threads, engines, peers, peersUnavailable: unavailable, prepared: new Map(), log };
  const results: BenchCaseResult[] = [];
  const backtestResults: BacktestCaseResult[] = [];
  const streamResults: StreamCaseResult[] = [];
  const total = runnable.length + backtests.runnable.length + streamCases.length;
  try {
    let i = 0;
    for (const c of runnable) {
      log(`[${++i}/${total}] ${c.id} (${c.variants} variants × ${candles.t.toLocaleString('en-US')} bars)`);
      results.push(await runCase(ctx, c));
    }
    const backtestEngines = [...threads]
      .sort((x, y) => x - y)
      .map((n) => ({ threads: n, engine: engines.get(engineKey('wasm-simd', n))! }));
    for (const c of backtests.runnable) {
      log(`[${++i}/${total}] ${c.id} (${c.variants} variants × ${candles.t.toLocaleString('en-US')} bars)`);
      backtestResults.push(await runBacktestCase({ candles, engines: backtestEngines, timeMs, collect, log }, c));
    }
    for (const id of streamCases) {
      log(`[${++i}/${total}] ${id}`);
      streamResults.push(
        await runStreamCase({ candles, engine: engines.get(engineKey('wasm-simd', 1)) ?? backtestEngines[0]!.engine, log }, id),
      );
    }
  } finally {
    for (const e of engines.values()) await e.close();
  }
  const recommendation = overallRecommendation(results, cpusAvailable);
  // a backtest whose plain loop and engine disagree fails the run (exit 1) once everything is reported
  const failed = backtestResults.filter((r) => r.agreement.status !== 'agrees').map((r) => r.id);
  const exitCode = failed.length ? 1 : 0;
  const peakRssMiB = Math.round(process.resourceUsage().maxRSS / 1024);
  const elapsedS = (performance.now() - started) / 1000;

  if (values.plot) {
    const groups: PlotGroup[] = results.map((r) => ({
      id: `${r.id} (${r.variants} variants)`,
      bars: r.rows
        .filter((x) => x.output === 'reused' || x.family === 'peer')
        .map((x) => ({
          library:
            x.family === 'peer'
              ? `${x.library}${x.agreement?.status === 'differs' ? ' (differs)' : ''}`
              : x.library.replace(' (reused output)', ''),
          valuesPerSec: x.valuesPerSec,
          family: x.family,
        })),
    }));
    for (const r of backtestResults) {
      if (r.rows.length === 0) continue;
      groups.push({
        id: `${r.id} (${r.variants} variants; variant-bars/s)`,
        bars: r.rows.map((x) => ({ library: x.library, valuesPerSec: x.variantBarsPerSec, family: x.family })),
      });
    }
    const subtitle = `${header.date.slice(0, 10)} · node ${header.node} · ${header.cpu} × ${header.cpus} · ${candles.t.toLocaleString('en-US')} bars · reused-output rows for gridta and the plain loop`;
    writeFileSync(values.plot, barChartSvg(groups, 'gridta bench: values/s per case and library', subtitle));
    log(`wrote ${values.plot}`);
  }

  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(
        {
          header,
          cases: results,
          backtests: backtestResults,
          streams: streamResults,
          skipped,
          peersUnavailable: unavailable,
          recommendation,
          warnings,
          peakRssMiB,
          elapsedS,
        },
        null,
        2,
      )}\n`,
    );
    return exitCode;
  }
  const out: string[] = [];
  out.push(`gridta bench — ${header.date} — ${header.run}`);
  out.push(
    `node ${header.node} (V8 ${header.v8}, ${header.platform}), ${header.cpu} × ${header.cpus} (available parallelism ${cpusAvailable})`,
  );
  out.push(`dataset: ${dataset}; T = ${candles.t.toLocaleString('en-US')}`);
  if (probeProfile !== 'gridta')
    out.push(
      `profile: ${probeProfile} — gridta computes in TA-Lib's conventions; the plain loops and peers keep theirs, so agreement reads "differs" where the conventions differ`,
    );
  if (results.length) {
    out.push(
      `tinybench: ${timeMs} ms per row after one warm-up call (at least 3 samples; 2 for calls longer than ${timeMs} ms, 1 over ${4 * timeMs} ms; gridta reused-output rows at least ${GRIDTA_MIN_SAMPLES} under ${GRIDTA_MIN_SAMPLES_MS} ms a call, the plain loop's under ${PLAIN_MIN_SAMPLES_MS} ms); p50 (median) latency; ratios are ${header.ratios}; values = ${header.values}`,
    );
    out.push(`columns: ${header.columns}`);
  }
  out.push(
    `peers: ${peers.map((p) => `${p.name} ${p.version}`).join(', ') || 'none'}${unavailable.length ? `; unavailable: ${unavailable.map((u) => `${u.name} (${u.native ? 'native, opt-in via npm run bench:native: ' : ''}${u.reason})`).join(', ')}` : ''}`,
  );
  for (const r of results) out.push(...renderCase(r));
  if (backtestResults.length)
    out.push(
      '',
      `backtests: engine.backtest against a plain-JS loop over an engine.compute tensor (bench/plain-backtest.ts); after a warm-up call of each, whose metrics must agree, rounds alternate the two (at least 3, 2 for calls over ${timeMs} ms, more while under ${2 * timeMs} ms in all); p50 of the samples; variant-bars = variants × bars`,
    );
  for (const r of backtestResults) out.push(...renderBacktestCase(r, human, ratio));
  if (streamResults.length)
    out.push(
      '',
      'streams: one push (or update) of a whole grid per bar, each call timed alone; rounds of bars alternate the libraries; p50 and p99 per call; × gridta: p50 over the first row of the case',
    );
  for (const r of streamResults) out.push(...renderStreamCase(r));
  for (const s of skipped as Skipped[]) out.push('', `${s.id}: skipped (${s.reason})`);
  out.push('', `threads: ${recommendation.threads === null ? '—' : recommendation.threads} — ${recommendation.reason}`);
  for (const w of warnings) out.push(`warning ${w.code}: ${w.message}`);
  out.push(`peak RSS ${peakRssMiB.toLocaleString('en-US')} MiB; ${elapsedS.toFixed(0)} s`);
  if (exitCode) out.push(`gridta bench: ${failed.join(', ')} failed the agreement check (exit ${exitCode})`);
  process.stdout.write(`${out.join('\n')}\n`);
  return exitCode;
}
