import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'protocol/**/*.test.ts', 'wipe/**/*.test.ts', 'agent/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    /*
     * Two files at a time. Vitest's default is one worker fewer than the cores, which on a 2-core
     * machine is one: the suite then used under one core, since many tests wait on a child
     * process, a socket or a pseudo-terminal. Timing lives on hand-driven clocks or in generous
     * options (test/helpers/manual-clock.ts, zvt-rig.ts), so a busier machine does not fail a test.
     */
    maxWorkers: 2,
    setupFiles: ['test/setup-fast-check.ts'],
  },
});
