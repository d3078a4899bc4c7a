// The durable broker persistence against aedes-persistence's own abstract test
// suite (abstract.js, written for node:test), run through a small adapter to
// vitest that keeps its `t.plan` counts honest.
import assert from 'node:assert';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { SqlitePersistence } from '../../src/device-hub/persistence/sqlite-persistence.ts';

type NodeTestFn = (t: { plan(n: number): void; assert: typeof assert; diagnostic(msg: string): void }) => Promise<void> | void;

const require = createRequire(import.meta.url);
const abstractSuite = require('aedes-persistence/abstract.js') as (opts: object) => void;

function nodeTestAdapter(name: string, fn: NodeTestFn): void {
  it(name, async () => {
    let planned: number | undefined;
    let asserted = 0;
    const counted = new Proxy(assert, {
      get(target, key) {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => { asserted++; return (value as (...a: unknown[]) => unknown).apply(target, args); };
      },
    });
    await fn({ plan: (n) => { planned = n; }, assert: counted, diagnostic: () => {} });
    if (planned !== undefined) expect(asserted, 'assertions run against t.plan').toBe(planned);
  });
}

describe('SqlitePersistence: aedes-persistence abstract suite', () => {
  abstractSuite({
    test: nodeTestAdapter,
    persistence: () => new SqlitePersistence({ path: ':memory:' }),
    testAsync: true,
  });
});
