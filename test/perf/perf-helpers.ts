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
