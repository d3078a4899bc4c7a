// How many test files run at once: two on this project's 2-core machines (three
// starved Chromium), PORTIER_TEST_WORKERS overrides it — a whole number of at
// least 1, anything else stops the run with a clear error instead of a NaN pool.
export const DEFAULT_TEST_WORKERS = 2;

export function testWorkers(env: Record<string, string | undefined> = process.env): number {
  const value = env.PORTIER_TEST_WORKERS;
  if (value === undefined || value.trim() === '') return DEFAULT_TEST_WORKERS;
  if (!/^\s*[1-9]\d*\s*$/.test(value)) {
    throw new Error(`PORTIER_TEST_WORKERS must be a whole number of at least 1 (test files run at once), not '${value}'`);
  }
  return Number(value);
}
