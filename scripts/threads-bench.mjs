#!/usr/bin/env node
/**
 * Threads benchmark of issue #4 (the worker pool): the `ma.ema` grid, windows 5..200 × the bundled
 * 1,000,000-bar series, TIME_MAJOR, reused output, one engine with `threads: 1` (in-process) and one
 * with `threads: 2` (the pool; time pieces, compute/plan.ts TimePiece), warmed up, then called
 * alternately so both see the same machine. Checks that the two results are bit-identical and prints
 * each call, the medians and the ratio (target: 2 threads >= 1.6x faster). Before each round it
 * times the same integer loop on two worker threads at once against one worker alone: on a
 * shared VM whose second CPU is being taken by other tenants the two differ, and every 2-thread
 * ratio of that round understates what the machine gives when it is quiet. Runs against dist/:
 * `npm run build` first.
 *
 * `--case` takes any indicator case of the bench (bench/cases.ts, its grid) instead of ma.ema.
 *
 *   node scripts/threads-bench.mjs [--case momentum.rsi] [--calls 11] [--rounds 3] [--layout TIME_MAJOR] [--json]
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createEngine } from '../dist/src/runtime/engine.js';
import { syntheticMinuteCandles } from '../dist/bench/data.js';
import { CASE_TABLE } from '../dist/bench/cases.js';

const { values: opts } = parseArgs({
  options: {
    calls: { type: 'string', default: '11' },
    rounds: { type: 'string', default: '3' },
    layout: { type: 'string', default: 'TIME_MAJOR' },
    case: { type: 'string', default: 'ma.ema' },
    json: { type: 'boolean', default: false },
  },
});
const calls = Number(opts.calls),
  rounds = Number(opts.rounds),
  layout = opts.layout;
const candles = syntheticMinuteCandles(1_000_000);
const benchCase = CASE_TABLE.find((c) => c.id === opts.case);
if (!benchCase) throw new Error(`--case: no bench case ${opts.case} (cases: ${CASE_TABLE.map((c) => c.id).join(', ')})`);
const { layout: _caseLayout, ...grid } = benchCase.grid;
const label = `${benchCase.id} ${benchCase.label} (${benchCase.variants} variants) × 1,000,000`;
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const engines = [createEngine({ threads: 1, onWarning: () => undefined }), createEngine({ threads: 2, onWarning: () => undefined })];
for (const e of engines) await e.warmup();
const out = [];
for (const e of engines) out.push(await e.compute({ candles, grid, layout }));
const a = new Uint32Array(out[0].values.buffer, out[0].values.byteOffset, out[0].values.length);
const b = new Uint32Array(out[1].values.buffer, out[1].values.byteOffset, out[1].values.length);
let same = a.length === b.length;
for (let i = 0; same && i < a.length; i++) same = a[i] === b[i];
for (let k = 1; same && k < out[0].outputs.length; k++) {
  const x = out[0].outputs[k].values,
    y = out[1].outputs[k].values;
  same = Buffer.from(x.buffer, x.byteOffset, x.byteLength).equals(Buffer.from(y.buffer, y.byteOffset, y.byteLength));
}
if (!same) throw new Error('threads 1 and 2 differ: not bit-identical');

const SPIN =
  'const { parentPort, workerData } = require("node:worker_threads"); const b = new Int32Array(workerData); Atomics.add(b, 0, 1); while (Atomics.load(b, 0) < 2); const t0 = performance.now(); let x = 0; for (let i = 0; i < 2e8; i++) x += i % 7; parentPort.postMessage(performance.now() - t0 + (x < 0 ? 1 : 0));';
/** ms of the spin loop on `count` workers started together (each). */
async function spin(count) {
  const barrier = new SharedArrayBuffer(4); // the loops start together
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise((ok) => {
          const w = new Worker(SPIN.replace('< 2)', `< ${count})`), { eval: true, workerData: barrier });
          w.once('message', (ms) => {
            ok(ms);
            void w.terminate();
          });
        }),
    ),
  );
}

/** The spin loop on one worker alone, then on two at once. */
async function cpuCheck() {
  const [aloneMs] = await spin(1);
  return { aloneMs, twoWorkersMs: await spin(2) };
}

const results = [];
for (let r = 0; r < rounds; r++) {
  const cpus = await cpuCheck();
  const slowest = Math.max(...cpus.twoWorkersMs) / cpus.aloneMs;
  const ms = [[], []];
  for (let c = 0; c < calls; c++)
    for (const k of c % 2 ? [1, 0] : [0, 1]) {
      const t0 = performance.now();
      out[k] = await engines[k].compute({ candles, grid, layout, out: out[k] });
      ms[k].push(performance.now() - t0);
    }
  const one = median(ms[0]),
    two = median(ms[1]);
  results.push({
    round: r + 1,
    oneThreadMs: one,
    twoThreadsMs: two,
    ratio: one / two,
    batches: out[1].meta.batches,
    attempts: out[1].meta.attempts,
    calls: ms,
    cpus,
  });
  if (!opts.json) {
    console.log(
      `round ${r + 1}: 1 thread p50 ${one.toFixed(1)} ms, 2 threads p50 ${two.toFixed(1)} ms = ${(one / two).toFixed(2)}× (${out[1].meta.batches} batches, ${out[1].meta.attempts} attempts)` +
        `; CPU check: spin loop ${cpus.twoWorkersMs.map((x) => x.toFixed(0)).join(' / ')} ms on two workers at once, ${cpus.aloneMs.toFixed(0)} ms on one${slowest > 1.15 ? ' — the second CPU is contended' : ''}`,
    );
  }
}
const ratios = results.map((x) => x.ratio);
if (opts.json) console.log(JSON.stringify({ grid: label, layout, bitIdentical: true, rounds: results }, null, 2));
else
  console.log(
    `${label} ${layout}, bit-identical: median ratio ${median(ratios).toFixed(2)}× over ${rounds} rounds of ${calls} calls each (target >= 1.6x: ${median(ratios) >= 1.6 ? 'met' : 'not met'})`,
  );
for (const e of engines) await e.close();
