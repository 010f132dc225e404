#!/usr/bin/env node
/**
 * Jobs benchmark (issue #8): the same 200-unit job run by one `gridta worker`, then by two (threads = 1
 * each), on this machine. Prints the rate of each run, their ratio, and the queue overhead per unit
 * (claim = fetch + record + ownership check; complete = ownership check under the row lock + rename +
 * pg-boss complete), from the workers' own log lines.
 *
 *   npm run bench:jobs                      throwaway PostgreSQL cluster (needs initdb), ~1 minute
 *   GRIDTA_PG_DSN=postgres://... npm run bench:jobs -- --units 200 --json
 *
 * The units are percent_rank over the bundled daily sample (5550 bars), 60 variants each: roughly
 * 60-100 ms of compute and Arrow encoding per unit, plus writing ~9 MB.
 *
 * Then a backtest job with one worker and with two: ma_cross (EMA, fast 5..50 x slow 20..200 step 5,
 * 1,590 variants, fee 5 bps) over 4 instruments of 250,000 synthetic one-minute bars (bench/data.ts,
 * seeds 1-4, written as Arrow IPC files), Stage A in units of 200 variants, one shortlist of 10, Stage B on every
 * instrument: the time from the first claim to the job's end, and Stage A's variant-bars per second.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { tableFromArrays, tableToIPC } from 'apache-arrow';
import { startCluster } from './pg-cluster.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI = join(root, 'dist', 'src', 'cli', 'main.js');
const { values: args } = parseArgs({ options: { units: { type: 'string', default: '200' }, json: { type: 'boolean', default: false } } });
const UNITS = Number(args.units);
const BT_BARS = 250_000;
const SOURCES = ['close', 'hlc3', 'ohlc4', 'low', 'high', 'open'];
const WINDOWS = 1999; // 2..2000, the hard bounds
const UNIT_VARIANTS = Math.ceil((SOURCES.length * WINDOWS) / UNITS); // 60 for 200 units
const say = (s) => {
  if (!args.json) process.stderr.write(`${s}\n`);
};

const cluster = process.env.GRIDTA_PG_DSN ? null : await startCluster();
const dsn = process.env.GRIDTA_PG_DSN ?? cluster.dsn;
const env = {};
for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('GRIDTA_')) env[k] = v;
Object.assign(env, { GRIDTA_ENV: 'prod', GRIDTA_NUM_THREADS: '1', GRIDTA_PG_DSN: dsn });

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function worker(id) {
  const child = spawn(process.execPath, [CLI, 'worker', '--worker-id', id, '--poll-interval-ms', '50'], {
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  let buf = '';
  const started = new Promise((ok, fail) => {
    child.stderr.setEncoding('utf8').on('data', (c) => {
      buf += c;
      for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const l = JSON.parse(line);
          logs.push(l);
          if (l.event === 'worker_started') ok();
        } catch {
          /* not a log line */
        }
      }
    });
    child.on('exit', (code) => fail(new Error(`worker ${id} exited (${code}) before starting`)));
  });
  const exited = new Promise((r) => child.on('exit', r));
  return { id, child, logs, started, exited };
}

/** Starts `n` workers named `prefix-<i>`, then submits `gridta jobs <args> --json`; the workers and the submit's answer. */
async function startAndSubmit(n, prefix, args) {
  const ws = Array.from({ length: n }, (_, i) => worker(`${prefix}-${i}`));
  await Promise.all(ws.map((w) => w.started));
  const sub = JSON.parse(execFileSync(process.execPath, [CLI, 'jobs', ...args, '--json'], { env, encoding: 'utf8' }));
  return { ws, sub };
}

/** Waits (30 minutes at most) until `done()`, failing when a worker exits; then stops the workers. */
async function waitThenStop(ws, done) {
  const t0 = Date.now();
  while (!done()) {
    if (Date.now() - t0 > 30 * 60_000) throw new Error('timed out');
    if (ws.some((w) => w.child.exitCode !== null)) throw new Error('a worker exited');
    await new Promise((r) => setTimeout(r, 100));
  }
  for (const w of ws) w.child.kill('SIGTERM');
  await Promise.all(ws.map((w) => w.exited));
}

async function run(n) {
  const out = mkdtempSync(join(tmpdir(), `gridta-jobs-bench-${n}-`));
  try {
    const { ws, sub } = await startAndSubmit(n, `bench-${n}w`, [
      'submit',
      'structure.percent_rank',
      '--data',
      join(root, 'bench', 'ttrc.csv'),
      '--timeline',
      'sessions',
      '--grid',
      `source=${SOURCES.join(',')}`,
      '--grid',
      `window=2..${WINDOWS + 1}`,
      '--unit-variants',
      String(UNIT_VARIANTS),
      '--out',
      out,
    ]);
    say(`${n} worker(s): job ${sub.jobId}, ${sub.units} units of ${sub.unitVariants} variants`);
    const done = () => ws.flatMap((w) => w.logs).filter((l) => l.event === 'unit_succeeded' && l.job === sub.jobId);
    await waitThenStop(ws, () => done().length >= sub.units);
    const all = ws.flatMap((w) => w.logs).filter((l) => l.job === sub.jobId);
    const claims = all.filter((l) => l.event === 'unit_claimed').map((l) => Date.parse(l.ts));
    const ok = all.filter((l) => l.event === 'unit_succeeded');
    const first = Math.min(...claims);
    const last = Math.max(...ok.map((l) => Date.parse(l.ts)));
    const seconds = (last - first) / 1000;
    return {
      workers: n,
      units: ok.length,
      seconds,
      rate: ok.length / seconds,
      unitMs: median(ok.map((l) => l.ms)),
      computeMs: median(ok.map((l) => l.computeMs)),
      claimMs: median(ok.map((l) => l.claimMs)),
      completeMs: median(ok.map((l) => l.completeMs)),
      overheadMs: median(ok.map((l) => l.claimMs + l.completeMs)),
      perWorker: ws.map((w) => ok.filter((l) => l.worker === w.id).length),
    };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

/** The backtest job of the header with `n` workers. */
async function runBacktest(n) {
  const dir = mkdtempSync(join(tmpdir(), `gridta-jobs-bench-bt-${n}-`));
  try {
    const { syntheticMinuteCandles } = await import(join(root, 'dist', 'bench', 'data.js'));
    const bars = [];
    for (let i = 0; i < 4; i++) {
      const c = syntheticMinuteCandles(BT_BARS, i + 1);
      // holes are left out of the file: the loader puts them back on the one-minute timeline
      const keep = [];
      for (let r = 0; r < c.t; r++) if (!Number.isNaN(c.close[r])) keep.push(r);
      const col = (a) => Float32Array.from(keep, (r) => a[r]);
      const table = tableFromArrays({
        ts_open: BigInt64Array.from(keep, (r) => c.tsOpen[r]),
        open: col(c.open),
        high: col(c.high),
        low: col(c.low),
        close: col(c.close),
        volume: col(c.volume),
      });
      writeFileSync(join(dir, `syn${i + 1}.arrow`), tableToIPC(table, 'file'));
      bars.push(c.t);
    }
    const { ws, sub } = await startAndSubmit(n, `bench-bt-${n}w`, [
      'submit-backtest',
      'ma_cross',
      '--data',
      dir,
      '--grid',
      'fast=5..50',
      '--grid',
      'slow=20..200:5',
      '--fee-bps',
      '5',
      '--unit-variants',
      '200',
    ]);
    say(
      `${n} worker(s): backtest job ${sub.jobId}, ${sub.units} Stage A units of ${sub.unitVariants} variants x ${sub.instruments} instruments`,
    );
    const all = () => ws.flatMap((w) => w.logs).filter((l) => l.job === sub.jobId);
    await waitThenStop(ws, () => all().some((l) => l.event === 'job_done'));
    const logs = all();
    const first = Math.min(...logs.filter((l) => l.event === 'unit_claimed').map((l) => Date.parse(l.ts)));
    const aDone = Date.parse(logs.find((l) => l.event === 'stage_a_done').ts);
    const end = Date.parse(logs.find((l) => l.event === 'job_done').ts);
    const variantBars = sub.variants * bars.reduce((a, b) => a + b, 0);
    const ok = logs.filter((l) => l.event === 'unit_succeeded');
    return {
      workers: n,
      units: ok.length,
      stageASeconds: (aDone - first) / 1000,
      stageBSeconds: (end - aDone) / 1000,
      seconds: (end - first) / 1000,
      variantBarsPerSecond: variantBars / ((aDone - first) / 1000),
      perWorker: ws.map((w) => ok.filter((l) => l.worker === w.id).length),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

try {
  const one = await run(1);
  const two = await run(2);
  const bt1 = await runBacktest(1);
  const bt2 = await runBacktest(2);
  const result = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: (await import('node:os')).cpus().length,
    runs: [one, two],
    ratio: two.rate / one.rate,
    backtest: { runs: [bt1, bt2], ratio: bt1.seconds / bt2.seconds },
  };
  if (args.json) process.stdout.write(`${JSON.stringify(result)}\n`);
  else {
    const f = (x, d = 1) => x.toFixed(d);
    console.log(
      'workers  units  seconds  units/s  unit ms (median)  compute ms  claim ms  complete ms  overhead ms (claim+complete)  units per worker',
    );
    for (const r of result.runs) {
      console.log(
        `${String(r.workers).padEnd(9)}${String(r.units).padEnd(7)}${f(r.seconds).padEnd(9)}${f(r.rate, 2).padEnd(9)}${f(r.unitMs).padEnd(18)}${f(r.computeMs).padEnd(12)}${f(r.claimMs).padEnd(10)}${f(r.completeMs).padEnd(13)}${f(r.overheadMs).padEnd(30)}${r.perWorker.join(' / ')}`,
      );
    }
    console.log(
      `2 workers vs 1: ${f(result.ratio, 2)}x the rate (target >= 1.6x); median queue overhead per unit ${f(two.overheadMs)} ms with 2 workers, ${f(one.overheadMs)} ms with 1 (target < 20 ms)`,
    );
    console.log('');
    console.log(`backtest job (ma_cross, 1,590 variants x 4 instruments of ${BT_BARS} bars)`);
    console.log('workers  units  Stage A s  Stage B s  total s  Stage A variant-bars/s  units per worker');
    for (const r of result.backtest.runs) {
      console.log(
        `${String(r.workers).padEnd(9)}${String(r.units).padEnd(7)}${f(r.stageASeconds, 2).padEnd(11)}${f(r.stageBSeconds, 2).padEnd(11)}${f(r.seconds, 2).padEnd(9)}${`${f(r.variantBarsPerSecond / 1e6, 1)} M`.padEnd(24)}${r.perWorker.join(' / ')}`,
      );
    }
    console.log(`2 workers vs 1: ${f(result.backtest.ratio, 2)}x faster from the first claim to the job's end`);
  }
} finally {
  await cluster?.stop();
}
