// The password hasher: scrypt hashes that verify, through a bounded queue that
// refuses at once what would wait too long for libuv's thread pool.
import { describe, expect, it } from 'vitest';
import { ScryptHasher } from '../../src/access/index.ts';
import { RateLimitedError } from '../../src/core/index.ts';

describe('password hasher', () => {
  it('hashes and verifies', async () => {
    const hasher = new ScryptHasher({ concurrency: 2, maxQueued: 4 });
    const stored = await hasher.hash('correct horse battery');
    expect(stored).toMatch(/^scrypt\$32768\$8\$1\$/);
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
    expect(await hasher.verify('wrong horse battery', stored)).toBe(false);
    expect(hasher.computed).toBe(3);
  });

  it('runs at most `concurrency` hashes, queues `maxQueued` and refuses the rest before computing them', async () => {
    const hasher = new ScryptHasher({ concurrency: 1, maxQueued: 2 });
    const stored = await hasher.hash('correct horse battery');
    const results = await Promise.all(Array.from({ length: 6 }, () => hasher.verify('correct horse battery', stored).catch((e: Error) => e)));
    expect(results.filter((r) => r === true)).toHaveLength(3);
    expect(results.filter((r) => r instanceof RateLimitedError)).toHaveLength(3);
    expect(hasher.computed).toBe(1 + 3);
    // The queue drained: the next one runs.
    expect(await hasher.verify('correct horse battery', stored)).toBe(true);
  });
});
