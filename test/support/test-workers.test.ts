// PORTIER_TEST_WORKERS (vitest.config.ts): a whole number of at least 1, else a clear error (review s21 #38).
import { describe, it, expect } from 'vitest';
import { testWorkers, DEFAULT_TEST_WORKERS } from './test-workers.ts';

describe('PORTIER_TEST_WORKERS', () => {
  it('defaults to two files at once and takes a whole number of at least 1', () => {
    expect(testWorkers({})).toBe(DEFAULT_TEST_WORKERS);
    expect(testWorkers({ PORTIER_TEST_WORKERS: '' })).toBe(DEFAULT_TEST_WORKERS);
    expect(testWorkers({ PORTIER_TEST_WORKERS: '1' })).toBe(1);
    expect(testWorkers({ PORTIER_TEST_WORKERS: '3' })).toBe(3);
  });

  it('refuses anything else by name, never a NaN or zero pool', () => {
    for (const bad of ['0', '-1', '1.5', 'three', '2x', '50%', 'NaN']) {
      expect(() => testWorkers({ PORTIER_TEST_WORKERS: bad }), bad).toThrow(`PORTIER_TEST_WORKERS must be a whole number of at least 1 (test files run at once), not '${bad}'`);
    }
  });

  it('is not passed on to test files: the gateway configuration that CLI children load would refuse it as an unknown key', () => {
    expect(process.env.PORTIER_TEST_WORKERS).toBeUndefined();
  });
});
