#!/usr/bin/env node
/**
 * Start-up benchmark for the compiled-module cache and warmup: in fresh child processes,
 * times "create engine → warmup → first tensor" (ma.ema, 10 windows × 10,000 bars) with
 *
 *   cold  an empty temporary cache_dir and the bundled tier off (GRIDTA_TEST_FAULTS=1 +
 *         `__cache: { bundled: false }`), so every run compiles assembly/ with the AssemblyScript API;
 *   warm  a cache_dir populated once beforehand (bundled tier still off), so every run loads the entry.
 *
 * Prints each run, the medians and the cold/warm ratio (target: warm >= 10x faster). Module import
 * time is measured apart and is not part of the timed span. Runs against dist/: `npm run build` first.
 *
 *   node scripts/startup-bench.mjs [--runs 5] [--threads 1] [--json]
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const T = 10_000;
const WINDOWS = [5, 10, 20, 30, 50, 75, 100, 150, 200, 250];

async function childMain(cacheDir, threads) {
  const i0 = performance.now();
  const { createEngine, createCandles } = await import(new URL('../dist/src/index.js', import.meta.url).href);
  const importMs = performance.now() - i0;
  // deterministic random walk (LCG), built before the timed span
  let seed = 12345;
  const rnd = () => {
    seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
    return seed / 2 ** 32;
  };
  const close = [],
    tsOpen = [];
  let p = 100;
  for (let i = 0; i < T; i++) {
    p *= 1 + (rnd() - 0.5) * 0.02;
    close.push(p);
    tsOpen.push(1_700_000_000_000 + i * 60_000);
  }
  const candles = createCandles({ instrumentId: 'bench:STARTUP', timeframe: '1m', tsOpen, close });
  const grid = { indicatorId: 'ma.ema', source: ['close'], params: { window: WINDOWS } };

  const t0 = performance.now();
  const engine = createEngine({ threads, cacheDir, onWarning: () => undefined, __cache: { bundled: false } });
  const report = await engine.warmup();
  const tensor = await engine.compute({ candles, grid });
  const totalMs = performance.now() - t0;
  if (tensor.meta.variants !== WINDOWS.length || tensor.meta.t !== T) throw new Error('unexpected tensor shape');
  await engine.close();
  process.stdout.write(
    `${JSON.stringify({ totalMs, importMs, source: report.cache.source, engine: report.engine, timings: report.timings })}\n`,
  );
}

function runChild(cacheDir, threads) {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', cacheDir, '--threads', String(threads)], {
      cwd: ROOT,
      env: { ...process.env, GRIDTA_TEST_FAULTS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('error', reject);
    p.on('close', (code) =>
      code === 0 ? resolve(JSON.parse(out.trim().split('\n').pop())) : reject(new Error(`child exited with ${code}`)),
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  const { values } = parseArgs({
    options: {
      child: { type: 'string' },
      runs: { type: 'string', default: '5' },
      threads: { type: 'string', default: '1' },
      json: { type: 'boolean' },
    },
  });
  const threads = Number(values.threads);
  if (values.child !== undefined) return childMain(values.child, threads);
  const runs = Number(values.runs);
  const root = mkdtempSync(join(tmpdir(), 'gridta-startup-'));
  const log = (s) => {
    if (!values.json) process.stdout.write(`${s}\n`);
  };
  try {
    log(
      `gridta startup bench: create engine -> warmup -> first tensor (ma.ema, ${WINDOWS.length} windows x ${T} bars), threads ${threads}, ${runs} runs each, Node ${process.version}`,
    );
    const cold = [];
    for (let i = 0; i < runs; i++) {
      const r = await runChild(join(root, `cold-${i}`), threads); // a new, empty cache_dir every run
      if (r.source !== 'compiled') throw new Error(`cold run ${i} did not compile (source ${r.source})`);
      cold.push(r);
      log(
        `  cold ${i + 1}: ${r.totalMs.toFixed(1)} ms (compile ${r.timings.compileMs.toFixed(0)} ms, exercise ${r.timings.exerciseMs.toFixed(0)} ms; import ${r.importMs.toFixed(0)} ms not counted)`,
      );
    }
    const warmDir = join(root, 'warm');
    await runChild(warmDir, threads); // populates the cache, not timed
    const warm = [];
    for (let i = 0; i < runs; i++) {
      const r = await runChild(warmDir, threads);
      if (r.source !== 'cache') throw new Error(`warm run ${i} missed the cache (source ${r.source})`);
      warm.push(r);
      log(
        `  warm ${i + 1}: ${r.totalMs.toFixed(1)} ms (lookup ${r.timings.cacheLookupMs.toFixed(1)} ms, exercise ${r.timings.exerciseMs.toFixed(0)} ms; import ${r.importMs.toFixed(0)} ms not counted)`,
      );
    }
    const coldMs = median(cold.map((r) => r.totalMs));
    const warmMs = median(warm.map((r) => r.totalMs));
    const ratio = coldMs / warmMs;
    const result = {
      node: process.version,
      threads,
      runs,
      t: T,
      windows: WINDOWS.length,
      coldMedianMs: coldMs,
      warmMedianMs: warmMs,
      ratio,
      target: 10,
      meetsTarget: ratio >= 10,
      importMedianMs: median([...cold, ...warm].map((r) => r.importMs)),
      cold: cold.map((r) => r.totalMs),
      warm: warm.map((r) => r.totalMs),
    };
    if (values.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else {
      log(
        `median cold ${coldMs.toFixed(1)} ms, warm ${warmMs.toFixed(1)} ms: warm is ${ratio.toFixed(1)}x faster (target >= 10x: ${ratio >= 10 ? 'met' : 'NOT met'})`,
      );
      log(`module import (not counted): median ${result.importMedianMs.toFixed(0)} ms`);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  process.stderr.write(`startup-bench: ${e?.stack ?? e}\n`);
  process.exit(1);
});
