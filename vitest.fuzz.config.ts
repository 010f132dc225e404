/**
 * `npm run test:fuzz`: the property-based suite of test/fuzz with a long budget. FUZZ_RUNS (total
 * cases, default 12000) and FUZZ_SEED (default random) are read here once, printed, and handed to
 * every test file, so all properties of one run share the seed that replays it.
 */
import { defineConfig } from 'vitest/config';

const seed = process.env.FUZZ_SEED?.trim() ? process.env.FUZZ_SEED.trim() : String((Math.random() * 2 ** 32) | 0);
const runs = process.env.FUZZ_RUNS?.trim() ? process.env.FUZZ_RUNS.trim() : '12000';
console.log(`gridta fuzz: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} (replay: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run test:fuzz)`);

export default defineConfig({
  test: {
    include: ['test/fuzz/**/*.test.ts'],
    testTimeout: 3_600_000,
    hookTimeout: 120_000,
    pool: 'forks',
    env: { FUZZ_SEED: seed, FUZZ_RUNS: runs },
  },
});
