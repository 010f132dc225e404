/**
 * `gridta bench` (what `npm start` runs): gridta's SIMD and scalar builds against a plain-JS
 * typed-array loop on the same grid and data, in one run, with tinybench medians. Ratios are p50
 * over p50 from the same run. Targets are read on the reused-output rows (bench.md §3).
 */
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
import { benchCases, type BenchCase } from '../../bench/cases.js';
import { SYNTHETIC_SEED, syntheticMinuteCandles } from '../../bench/data.js';
import { loadCandlesFile } from '../arrow/candles.js';
import type { Candles } from '../candles/index.js';
import type { IndicatorTensor } from '../compute/tensor.js';
import { createEngine, type Engine } from '../runtime/engine.js';
import { UsageError, parse } from './args.js';

interface Row { library: string; p50Ms: number; rme: number; samples: number; valuesPerSec: number; vsPlain?: number }

const fmt = (x: number, d = 1): string => x.toFixed(d);
const human = (x: number): string => (x >= 1e9 ? `${fmt(x / 1e9, 2)} G` : x >= 1e6 ? `${fmt(x / 1e6, 1)} M` : `${fmt(x / 1e3, 1)} k`);

async function timeCase(c: BenchCase, candles: Candles, engines: Record<string, Engine>, timeMs: number): Promise<Row[]> {
  const values = candles.t * c.variants;
  const bench = new Bench({ time: timeMs, warmupTime: Math.min(500, timeMs / 4), warmupIterations: 2, iterations: 3 });
  const reused: Record<string, IndicatorTensor | undefined> = {};
  for (const [name, engine] of Object.entries(engines)) {
    const req = { candles, grid: c.grid };
    reused[name] = await engine.compute(req);
    bench.add(`gridta ${name} (reused output)`, async () => { reused[name] = await engine.compute({ ...req, out: reused[name] }); });
  }
  bench.add(`gridta ${Object.keys(engines)[0]} (fresh output)`, async () => { await Object.values(engines)[0]!.compute({ candles, grid: c.grid }); });
  if (c.plain) {
    const close = candles.close;
    const out = new Float32Array(values);
    bench.add('plain JS loop (reused output)', () => c.plain!(close, out));
    bench.add('plain JS loop (fresh output)', () => c.plain!(close, new Float32Array(values)));
  }
  await bench.run();
  const rows: Row[] = bench.tasks.map((task) => {
    const r = task.result;
    if (r.state !== 'completed') throw new Error(`bench task ${task.name} ${r.state}${'error' in r ? `: ${String((r as { error?: unknown }).error)}` : ''}`);
    return { library: task.name, p50Ms: r.latency.p50, rme: r.latency.rme, samples: r.latency.samplesCount, valuesPerSec: values / (r.latency.p50 / 1000) };
  });
  const plainReused = rows.find((r) => r.library === 'plain JS loop (reused output)');
  const plainFresh = rows.find((r) => r.library === 'plain JS loop (fresh output)');
  for (const r of rows) {
    const base = r.library.includes('fresh') ? plainFresh : plainReused;
    if (base) r.vsPlain = base.p50Ms / r.p50Ms;
  }
  return rows;
}

export async function runBench(argv: string[]): Promise<number> {
  const { values } = parse(argv, { size: { type: 'string' }, data: { type: 'string' }, cases: { type: 'string' }, time: { type: 'string' } });
  if (values.help) {
    process.stdout.write('usage: gridta bench [--size T] [--data FILE] [--cases a,b] [--time MS] [--json]\n');
    return 0;
  }
  const size = values.size === undefined ? 1_000_000 : Number(values.size);
  if (!Number.isInteger(size) || size < 100) throw new UsageError(`--size must be an integer >= 100 (got ${JSON.stringify(values.size)})`);
  const timeMs = values.time === undefined ? 2000 : Number(values.time);
  const log = (s: string): void => { if (!values.json) process.stderr.write(s + '\n'); };
  let candles: Candles;
  let dataset: string;
  if (values.data) {
    candles = await loadCandlesFile(values.data, { timeline: 'sessions' } as never);
    dataset = `${values.data} (${candles.t} bars, ${candles.timeframe}, sessions timeline)`;
  } else {
    log(`generating ${size.toLocaleString('en-US')} one-minute bars (seed ${SYNTHETIC_SEED}) ...`);
    candles = syntheticMinuteCandles(size);
    dataset = `synthetic 1m series, ${size.toLocaleString('en-US')} bars with holes, seed ${SYNTHETIC_SEED}`;
  }
  const { runnable, skipped } = benchCases(values.cases?.split(',').map((s: string) => s.trim()));
  const engines = { simd: createEngine({ engine: 'wasm-simd', threads: 1 }), scalar: createEngine({ engine: 'wasm-scalar', threads: 1 }) };
  await Promise.all(Object.values(engines).map((e) => e.warmup()));
  const header = {
    date: new Date().toISOString(), node: process.version, cpu: cpus()[0]?.model ?? 'unknown', cpus: cpus().length,
    dataset, t: candles.t, timeMsPerTask: timeMs,
  };
  const results: { id: string; variants: number; rows: Row[] }[] = [];
  let i = 0;
  for (const c of runnable) {
    log(`[${++i}/${runnable.length}] ${c.id} (${c.variants} variants × ${candles.t} bars) ...`);
    results.push({ id: c.id, variants: c.variants, rows: await timeCase(c, candles, engines, timeMs) });
  }
  await Promise.all(Object.values(engines).map((e) => e.close()));
  if (values.json) {
    process.stdout.write(JSON.stringify({ header, cases: results, skipped }, null, 2) + '\n');
    return 0;
  }
  const out: string[] = [];
  out.push(`gridta bench — ${header.date}`);
  out.push(`node ${header.node}, ${header.cpu} × ${header.cpus}, dataset: ${dataset}`);
  for (const r of results) {
    out.push('', `${r.id} — ${r.variants} variants × ${candles.t} bars = ${human(r.variants * candles.t)}values`);
    out.push(`${'library'.padEnd(34)} ${'p50 ms'.padStart(9)} ${'rme %'.padStart(7)} ${'samples'.padStart(8)} ${'values/s'.padStart(10)} ${'× plain'.padStart(8)}`);
    for (const row of r.rows) {
      out.push(`${row.library.padEnd(34)} ${fmt(row.p50Ms).padStart(9)} ${fmt(row.rme).padStart(7)} ${String(row.samples).padStart(8)} ${human(row.valuesPerSec).padStart(10)} ${(row.vsPlain ? fmt(row.vsPlain, 2) + '×' : '—').padStart(8)}`);
    }
    const simd = r.rows.find((x) => x.library === 'gridta simd (reused output)');
    const scalar = r.rows.find((x) => x.library === 'gridta scalar (reused output)');
    if (simd && scalar) out.push(`SIMD vs scalar build: ${fmt(scalar.p50Ms / simd.p50Ms, 2)}×`);
  }
  for (const s of skipped) out.push('', `${s.id}: skipped (${s.reason})`);
  out.push('', `peak RSS ${Math.round(process.resourceUsage().maxRSS / 1024)} MiB`);
  process.stdout.write(out.join('\n') + '\n');
  return 0;
}
