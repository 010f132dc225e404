/**
 * Seed and run counts of the property-based suite. `npm test` runs a small bounded budget on a fixed
 * seed, so it is reproducible; `npm run test:fuzz` (vitest.fuzz.config.ts) a long one on a random
 * seed. FUZZ_SEED replays a run (fast-check seed, a 32-bit integer); FUZZ_RUNS is the total number
 * of cases, shared among the properties by weight.
 */

/** Total cases of `npm test` when FUZZ_RUNS is not set. */
const DEFAULT_TOTAL = 600;

/** Seed of `npm test` when FUZZ_SEED is not set (`npm run test:fuzz` always sets one). */
const DEFAULT_SEED = 20261206;

/** Share of the total that each property runs. */
const WEIGHTS = {
  /** Random grid x random candles through wasm-simd, wasm-scalar and reference (threads 1). */
  engines: 0.5,
  /** A grid over 2^20 output values through a threads-2 pooled engine, against the reference. */
  pooled: 0.01,
  /** A compute request with wrong values in one to three fields. */
  requests: 0.44,
  /** createEngine options with wrong values, then a warmup and a small compute. */
  options: 0.05,
  /** A random stream (history, pushes with gaps, updates, snapshot round trips, bad bars) on the three engines against computes. */
  stream: 0.1,
} as const;

export type PropertyName = keyof typeof WEIGHTS;

function readSeed(): number {
  const raw = process.env.FUZZ_SEED;
  if (raw !== undefined && raw.trim() !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n)) throw new Error(`FUZZ_SEED must be an integer (got ${JSON.stringify(raw)})`);
    return n | 0;
  }
  return DEFAULT_SEED;
}

function readTotal(): number {
  const raw = process.env.FUZZ_RUNS;
  if (raw === undefined || raw.trim() === '') return DEFAULT_TOTAL;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`FUZZ_RUNS must be a positive integer (got ${JSON.stringify(raw)})`);
  return n;
}

export const FUZZ_SEED = readSeed();
export const FUZZ_TOTAL = readTotal();

/** Number of cases of one property: its share of the total, at least one. */
export function runsOf(name: PropertyName): number {
  return Math.max(1, Math.round(FUZZ_TOTAL * WEIGHTS[name]));
}

/** Prints the seed and the run counts of the properties of one test file, so a failure can be replayed. */
export function announce(file: string, names: readonly PropertyName[]): void {
  const runs = names.map((n) => `${n} ${runsOf(n)}`).join(', ');
  console.log(`fuzz ${file}: FUZZ_SEED=${FUZZ_SEED} FUZZ_RUNS=${FUZZ_TOTAL} (cases: ${runs}); replay with FUZZ_SEED=${FUZZ_SEED}`);
}
