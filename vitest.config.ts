// vitest: every test under test/; real workers and browsers make some tests slow,
// so timeouts are generous and at most two files run at once (2-core machines;
// PORTIER_TEST_WORKERS overrides it, checked in test/support/test-workers.ts).
import { defineConfig } from 'vitest/config';
import { testWorkers } from './test/support/test-workers.ts';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: testWorkers(),
    reporters: ['default'],
  },
});
