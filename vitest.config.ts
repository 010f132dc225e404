import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: [
      'test/unit/**/*.test.ts',
      'test/oracle/**/*.test.ts',
      'test/runtime/**/*.test.ts',
      'test/jobs/**/*.test.ts',
      'test/fuzz/**/*.test.ts',
    ],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
  },
});
