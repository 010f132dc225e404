/** Perf-smoke helpers: two tasks in one tinybench run, p50 over p50, never absolute times. */
import { Worker } from 'node:worker_threads';
import { Bench } from 'tinybench';

/** Runs the tasks one after the other in one tinybench run; p50 (ms) by name. */
export async function p50s(
  tasks: Readonly<Record<string, () => unknown>>,
  opts: { timeMs?: number; minSamples?: number } = {},
): Promise<Record<string, number>> {
  const bench = new Bench({ time: opts.timeMs ?? 400, iterations: opts.minSamples ?? 5, warmupTime: 1, warmupIterations: 2, throws: true });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn as () => Promise<void>);
  await bench.run();
  const out: Record<string, number> = {};
  for (const t of bench.tasks) {
    const r = t.result;
    if (r.state !== 'completed') throw new Error(`task ${t.name}: ${r.state}`);
    out[t.name] = r.latency.p50;
  }
  return out;
}

export const fmtRatio = (x: number): string => `${x.toFixed(2)}×`;

/** Prints a measured ratio on stderr (vitest shows no message for a passing assertion) and returns it for the assertion. */
export function report(line: string): string {
  process.stderr.write(`perf-smoke: ${line}\n`);
  return line;
}

/**
 * Interleaved samples: `rounds` rounds over the tasks, the order reversed every other round (A B,
 * B A, ...), so drift in the machine's load falls on every task alike. Each task returns the ms it
 * records (a wall time, or a part of one that the call reports); the medians and samples by name.
 */
export async function interleavedMedians(
  tasks: Readonly<Record<string, () => Promise<number>>>,
  rounds: number,
): Promise<Record<string, { p50: number; samples: number[] }>> {
  const names = Object.keys(tasks);
  const samples: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    for (const n of r % 2 === 0 ? names : [...names].reverse()) samples[n]!.push(await tasks[n]!());
  }
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  return Object.fromEntries(names.map((n) => [n, { p50: median(samples[n]!), samples: samples[n]! }]));
}

/** The spin loop every CPU check times: about 70 ms on one core of the development VM. */
const SPIN = `const { parentPort, workerData } = require('node:worker_threads');
const b = new Int32Array(workerData.barrier);
Atomics.add(b, 0, 1);
while (Atomics.load(b, 0) < workerData.count);
const t0 = performance.now();
let x = 0;
for (let i = 0; i < 5e7; i++) x += i % 7;
parentPort.postMessage(performance.now() - t0 + (x < 0 ? 1 : 0));`;

/** ms of the spin loop on `count` workers started together, each. */
function spin(count: number): Promise<number[]> {
  const barrier = new SharedArrayBuffer(4);
  return Promise.all(
    Array.from(
      { length: count },
      () =>
        new Promise<number>((resolve, reject) => {
          const w = new Worker(SPIN, { eval: true, workerData: { barrier, count } });
          w.once('error', reject);
          w.once('message', (ms: number) => {
            resolve(ms);
            void w.terminate();
          });
        }),
    ),
  );
}

/**
 * A snapshot of CPU contention (as scripts/threads-bench.mjs takes one): the spin loop on one worker
 * alone, then on two at once. On the shared 2-core VM, when another tenant or job keeps a CPU busy,
 * two loops at once each take about twice as long as one alone: the process then gets one CPU,
 * and no 2-thread ratio of that moment says anything about the pool.
 */
export async function secondCpuFree(): Promise<{ free: boolean; aloneMs: number; twoMs: number[] }> {
  const [aloneMs] = await spin(1);
  const twoMs = await spin(2);
  return { free: Math.max(...twoMs) <= 1.25 * aloneMs!, aloneMs: aloneMs!, twoMs };
}

export interface ThreadsRatio {
  /** Median of the per-round ratios (1 thread p50 / 2 threads p50) of the rounds counted. */
  ratio: number;
  /** True when enough rounds found the second CPU free and only those are counted. */
  quiet: boolean;
  rounds: { free: boolean; one: number; two: number; ratio: number }[];
  text: string;
}

/**
 * 1 thread against 2 on a shared 2-core machine: rounds of `calls` calls of each (interleaved, the
 * order reversed every other call), each round after a CPU check (secondCpuFree), until `quietRounds`
 * rounds found the second CPU free or `maxRounds` rounds ran. The ratio is the median over the
 * quiet rounds when there are `quietRounds` of them, else over every round (`quiet` false: the
 * machine could not give the process two CPUs). Each task returns the ms it records.
 */
export async function threadsRatio(
  one: () => Promise<number>,
  two: () => Promise<number>,
  opts: { calls: number; quietRounds: number; maxRounds: number },
): Promise<ThreadsRatio> {
  const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
  };
  const rounds: ThreadsRatio['rounds'] = [];
  while (rounds.length < opts.maxRounds && rounds.filter((r) => r.free).length < opts.quietRounds) {
    const { free } = await secondCpuFree();
    const m = await interleavedMedians({ one, two }, opts.calls);
    rounds.push({ free, one: m.one!.p50, two: m.two!.p50, ratio: m.one!.p50 / m.two!.p50 });
  }
  const quietRounds = rounds.filter((r) => r.free);
  const quiet = quietRounds.length >= opts.quietRounds;
  const ratio = median((quiet ? quietRounds : rounds).map((r) => r.ratio));
  const list = rounds.map((r) => `${r.one.toFixed(0)}/${r.two.toFixed(0)} ms${r.free ? '' : ' (second CPU busy)'}`).join(', ');
  const text = `${quiet ? `median over the ${quietRounds.length} rounds with the second CPU free` : `the second CPU was busy in ${rounds.length - quietRounds.length} of ${rounds.length} rounds: median over all`} ${fmtRatio(ratio)}; rounds (1 thread / 2 threads p50): ${list}`;
  return { ratio, quiet, rounds, text };
}
