import { defineConfig } from 'vitest/config';

// Two groups, one after the other: every suite but the jobs tests on two workers (the machines have
// two cores, and one worker made `npm test` take over five minutes), then the jobs tests one file at
// a time, alone: each runs worker processes (on a PostgreSQL database of its own) whose graceful
// shutdown a second busy core can push past the tests' grace period.
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      {
        extends: true,
        test: {
          name: 'engine',
          include: ['test/unit/**/*.test.ts', 'test/oracle/**/*.test.ts', 'test/runtime/**/*.test.ts', 'test/fuzz/**/*.test.ts'],
          sequence: { groupOrder: 0 },
        },
      },
      {
        extends: true,
        test: {
          name: 'jobs',
          include: ['test/jobs/**/*.test.ts'],
          // one fork runs the files in turn (with isolate, each still gets fresh modules), each file in
          // a database of its own on one PostgreSQL cluster started for them all
          poolOptions: { forks: { singleFork: true } },
          globalSetup: ['test/jobs/global-setup.ts'],
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
