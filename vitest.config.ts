// vitest: every test under test/; real workers and browsers make some tests slow,
// so timeouts are generous. Three files run at once on a 2-core machine: the
// slow files mostly wait (a Chromium kiosk test used 0.49 of a core over its
// 126 s: `/usr/bin/time node scripts/run.mjs vitest run test/e2e/kiosk.test.ts`,
// 61 s CPU), so two left the cores half idle. PORTIER_TEST_WORKERS overrides it.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: Number(process.env.PORTIER_TEST_WORKERS ?? 3),
    reporters: ['default'],
  },
});
