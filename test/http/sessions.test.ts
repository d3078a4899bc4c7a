// Sessions and the client address behind a reverse proxy, against a started
// gateway whose clock the test moves (shifted system time: timers stay real).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/core/index.ts';
import { startGateway, ApiClient, signInFirstAdmin } from '../support/gateway.ts';

const HOUR = 3_600_000;
const PROXY = '127.0.0.9';

class ShiftedClock implements Clock {
  offset = 0;
  now = () => Date.now() + this.offset;
  setTimeout = (fn: () => void, ms: number) => setTimeout(fn, ms);
  clearTimeout = (handle: NodeJS.Timeout) => clearTimeout(handle);
}

describe('sessions and proxies', () => {
  const clock = new ShiftedClock();
  let gw: Awaited<ReturnType<typeof startGateway>>;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_WEB__TRUST_PROXY: `[${PROXY}]` }, { clock });
  });
  afterAll(async () => { await gw?.close(); });

  it('ends a session auth.session_max_hours after sign-in however much it is used', async () => {
    const admin = await signInFirstAdmin(gw);
    const { session_idle_hours: idle, session_max_hours: max } = gw.gateway.config.auth;
    // Used a little before each idle timeout: still signed in until the absolute lifetime…
    const step = (idle - 1) * HOUR;
    let used = 0;
    while (used + step < max * HOUR) {
      clock.offset += step;
      used += step;
      expect((await admin.get('/api/auth/me')).status, `after ${used / HOUR} h`).toBe(200);
    }
    // …then signed out, though the last use was less than the idle timeout ago.
    clock.offset += step;
    expect((await admin.get('/api/auth/me')).status).toBe(401);
  });

  it('takes the client address from X-Forwarded-For only from a proxy named in web.trust_proxy', async () => {
    const limit = gw.gateway.config.auth.address_attempts_per_minute;
    const flood = (source: string) => Promise.all(Array.from({ length: limit + 5 }, (_, i) => {
      const c = new ApiClient(gw.base, { localAddress: source });
      c.headers['x-forwarded-for'] = `10.1.${i}.1`;
      return c.post('/api/auth/login', { login: `visitor-${i}`, password: 'not a password at all' });
    }));
    // Through the trusted proxy every client has its own address: none of them reaches the limit.
    expect((await flood(PROXY)).map((r) => r.status)).toEqual(Array(limit + 5).fill(401));
    // From anyone else the header is ignored: one address, limited.
    expect((await flood('127.0.0.10')).filter((r) => r.status === 429).length).toBeGreaterThanOrEqual(5);
  });

  it('checks Origin against X-Forwarded-Host only from a trusted proxy', async () => {
    const viaProxy = (source: string) => {
      const c = new ApiClient(gw.base, { localAddress: source });
      c.headers.origin = 'https://portier.example';
      c.headers['x-forwarded-host'] = 'portier.example';
      return c.post('/api/auth/logout');
    };
    expect((await viaProxy(PROXY)).status).toBe(200);
    expect((await viaProxy('127.0.0.11')).status).toBe(403);
  });
});
