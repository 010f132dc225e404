#!/usr/bin/env node
/**
 * Memory bound of one long-lived engine: N computes of the `ma.ema` grid (windows 5..16, 200,000
 * bars, 9.6 MB of outputs each; the pool takes it at threads >= 2) on one warm engine, nothing kept.
 * Prints the process's resident set before the loop, its peak during the loop and after it, each
 * after a full collection of the main thread (run with --expose-gc; without it only the peak is
 * meaningful). test/runtime/lifecycle.test.ts asserts the same loop stays under 200 MB of growth.
 * Runs against dist/: `npm run build` first.
 *
 *   node --expose-gc scripts/rss-loop.mjs [--computes 200] [--threads 2] [--json]
 */
import { parseArgs } from 'node:util';
import { createEngine } from '../dist/src/runtime/engine.js';
import { syntheticMinuteCandles } from '../dist/bench/data.js';

const { values: opts } = parseArgs({
  options: {
    computes: { type: 'string', default: '200' },
    threads: { type: 'string', default: '2' },
    json: { type: 'boolean', default: false },
  },
});
const n = Number(opts.computes),
  threads = Number(opts.threads);
const MiB = 2 ** 20;
const gc = globalThis.gc ?? (() => undefined);
const rss = () => process.memoryUsage().rss;
const settle = async () => {
  gc();
  await new Promise((r) => setTimeout(r, 50));
  gc();
};

const candles = syntheticMinuteCandles(200_000);
const grid = { indicatorId: 'ma.ema', source: ['close'], params: { window: { mode: 'range', start: 5, stopIncl: 16, step: 1 } } };
const engine = createEngine({ threads, onWarning: () => undefined });
await engine.warmup();
for (let i = 0; i < 5; i++) await engine.compute({ candles, grid });
await settle();
const before = rss();
let peak = before;
let pooled = 0;
const t0 = performance.now();
for (let i = 0; i < n; i++) {
  const t = await engine.compute({ candles, grid });
  if (t.meta.threads > 1) pooled++;
  peak = Math.max(peak, rss());
}
const ms = performance.now() - t0;
await settle();
const after = rss();
await engine.close();
const res = {
  computes: n,
  threads,
  pooled,
  gcExposed: globalThis.gc !== undefined,
  beforeMiB: Math.round(before / MiB),
  peakMiB: Math.round(peak / MiB),
  afterMiB: Math.round(after / MiB),
  grownMiB: Math.round((after - before) / MiB),
  msPerCompute: +(ms / n).toFixed(1),
};
if (opts.json) console.log(JSON.stringify(res));
else
  console.log(
    `${n} computes, threads ${threads} (${pooled} on the pool): RSS ${res.beforeMiB} MiB before, peak ${res.peakMiB} MiB, ${res.afterMiB} MiB after (${res.grownMiB >= 0 ? '+' : ''}${res.grownMiB} MiB), ${res.msPerCompute} ms per compute${res.gcExposed ? '' : ' (no --expose-gc: before/after not collected)'}`,
  );
