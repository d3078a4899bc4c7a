// setupFiles entry of the 'shared' vitest project (vitest.config.ts): its files
// run one after another in one process, so each must end with nothing of its own
// left running. Counts active resources at the file's start and fails the file —
// by name, with what it left — when more are active after its last afterAll
// (this hook is registered first, so it runs last). Review s22 #13.
import { afterAll, beforeAll } from 'vitest';
import { resourceCounts, settledLeftOver, type ResourceCounts } from './leak-check.ts';

/**
 * How long closing sockets and processes get to go before what is left counts as
 * left running; LEAK_SETTLE_MS shortens it for the leaking fixture of
 * test/support/leak-check.test.ts, which would otherwise wait it out in full.
 */
const SETTLE_MS = Number(process.env.LEAK_SETTLE_MS ?? 10_000);

let atStart: ResourceCounts = {};

beforeAll(() => {
  atStart = resourceCounts();
});

// vitest hands the fixtures first (an object pattern is required) and the file second.
// eslint-disable-next-line no-empty-pattern
afterAll(async ({}, file) => {
  const left = await settledLeftOver(atStart, SETTLE_MS);
  const name = 'filepath' in file ? file.filepath : file.name;
  if (left.length > 0) throw new Error(`${name} left running after its last test: ${left.join(', ')} (files of the 'shared' project run in one process; close what the file started)`);
}, SETTLE_MS + 10_000);
