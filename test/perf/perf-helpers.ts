/** Perf-smoke helpers: two tasks in one tinybench run, p50 over p50, never absolute times. */
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
