import { defineConfig } from 'vitest/config';

/**
 * Perf-smoke suite (bench.md §7, `npm run test:perf`): ratios measured in one run. Files run one
 * after the other (2 cores: pools inside parallel vitest workers would measure each other).
 */
export default defineConfig({
  test: {
    include: ['test/perf/**/*.test.ts'],
    fileParallelism: false,
    pool: 'forks',
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
