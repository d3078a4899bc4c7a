// Per-source limits key an IPv6 source by its /64 (review s21 #37): a host owns the
// whole prefix, so two addresses in one /64 share one token bucket (and one share
// of the stream transport's connections); IPv4 (also IPv4-mapped) stays per address.
import { describe, it, expect } from 'vitest';
import pino from 'pino';
import { sourceKey } from '../../src/sip-bridge/source-key.ts';
import { InboundGuard } from '../../src/sip-bridge/inbound-guard.ts';
import { ManualClock } from '../support/manual-clock.ts';

describe('per-source key', () => {
  it('keys IPv6 by /64 and IPv4 by address', () => {
    expect(sourceKey('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:2:ffff:eeee:dddd:cccc')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:0db8:0001:0002:0:0:0:9')).toBe('2001:db8:1:2::/64');
    expect(sourceKey('2001:db8:1:3::1')).toBe('2001:db8:1:3::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
    expect(sourceKey('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(sourceKey('::ffff:192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('192.0.2.7')).toBe('192.0.2.7');
    expect(sourceKey('192.0.2.8')).not.toBe(sourceKey('192.0.2.7'));
  });

  it('two IPv6 addresses of one /64 share one token bucket; another /64 and IPv4 neighbours do not', () => {
    const guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock: new ManualClock(), logger: pino({ level: 'silent' }),
      limits: { ratePerMinute: 60, burst: 5, maxSources: 100, nonceTtlMs: 30_000, maxCalls: 4, busyRetrySeconds: 30, refusalLogMs: 60_000 },
    });
    const knocks = ['2001:db8:1:2::a', '2001:db8:1:2::b', '2001:db8:1:2::c', '2001:db8:1:2::d', '2001:db8:1:2::e', '2001:db8:1:2::f'];
    expect(knocks.map((a) => guard.admit(a))).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'limited']);
    expect(guard.admit('2001:db8:1:3::a')).toBe('pass');
    expect(['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4', '192.0.2.5', '192.0.2.6'].map((a) => guard.admit(a)).every((v) => v === 'pass')).toBe(true);
    expect(guard.trackedSources).toBe(8);
    guard.close();
  });
});
