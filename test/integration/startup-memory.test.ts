// The gateway hands back the heap its start-up grew (src/core/startup-memory.ts): once,
// a few seconds after ready, logged with the RSS before and after (issue 16 part 3).
import { describe, it, expect } from 'vitest';
import { spawnGateway } from '../support/gateway-process.ts';

describe('start-up memory', () => {
  it('is released once after ready, and the process is smaller afterwards', async () => {
    const gw = spawnGateway();
    try {
      await gw.ready;
      const released = await gw.waitForLog((e) => e.msg === 'gateway: start-up memory released', 60_000);
      expect(released.rssAfterMiB).toBeLessThan(released.rssBeforeMiB);
      expect(released.pauseMs).toBeGreaterThanOrEqual(0);
      expect(gw.logs.filter((e) => e.msg === 'gateway: start-up memory released')).toHaveLength(1);
      gw.child.kill('SIGTERM');
      expect(await gw.exited).toEqual({ code: 0, signal: null });
    } finally {
      gw.cleanup();
    }
  });
});
