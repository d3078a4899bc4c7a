// RFC 3263 lite (sip-dns.ts) against a local DNS server: SRV order by priority and
// weight, the fall-back to the domain's own address, TTLs, and the kept addresses.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { SipDns, orderSrv } from '../../src/sip-bridge/sip-dns.ts';
import { DnsServer } from '../support/dns-server.ts';
import { ManualClock } from '../support/manual-clock.ts';

let dns: DnsServer;

beforeAll(async () => {
  dns = await DnsServer.start();
  dns.zone.set('_sip._udp.pbx.test', { ttl: 600, srv: [
    { priority: 20, weight: 0, port: 5080, target: 'backup.pbx.test' },
    { priority: 10, weight: 60, port: 5070, target: 'sip1.pbx.test' },
    { priority: 10, weight: 40, port: 5072, target: 'sip2.pbx.test' },
  ] });
  dns.zone.set('_sips._tcp.pbx.test', { srv: [{ priority: 1, weight: 1, port: 5061, target: 'tls.pbx.test' }] });
  dns.zone.set('sip1.pbx.test', { ttl: 30, a: ['127.0.0.11'] });
  dns.zone.set('sip2.pbx.test', { ttl: 90, a: ['127.0.0.12'] });
  dns.zone.set('backup.pbx.test', { ttl: 300, aaaa: ['::1'] });
  dns.zone.set('tls.pbx.test', { ttl: 300, a: ['127.0.0.13'] });
  dns.zone.set('plain.test', { ttl: 45, a: ['127.0.0.14'] });
});

afterAll(async () => { await dns.close(); });

const made: SipDns[] = [];
afterEach(() => { for (const resolver of made.splice(0)) resolver.close(); });

const sipDns = (clock = new ManualClock(), random?: () => number) => {
  const resolver = new SipDns({ servers: [dns.address], clock, maxTtlMs: 300_000, random });
  made.push(resolver);
  return resolver;
};

describe('orderSrv (RFC 2782)', () => {
  const records = [
    { name: 'c', port: 3, priority: 2, weight: 5 },
    { name: 'a', port: 1, priority: 1, weight: 10 },
    { name: 'b', port: 2, priority: 1, weight: 30 },
    { name: 'z', port: 9, priority: 1, weight: 0 },
    { name: '.', port: 0, priority: 0, weight: 0 },
  ];
  it('puts the lowest priority first, draws by weight within one, and leaves out the target "."', () => {
    // Draw 0 of 41 picks the weight-0 record (first in the running sum); then 40·0.99 → b (the larger sum), then a.
    const dice = [0, 0.99, 0, 0];
    expect(orderSrv(records, () => dice.shift()!).map((r) => r.name)).toEqual(['z', 'b', 'a', 'c']);
    // A draw of 4 of 41 passes the weight-0 record and picks a (running sum 10); then a draw of 0 picks z before b.
    const low = [0.1, 0, 0, 0];
    expect(orderSrv(records, () => low.shift()!).map((r) => r.name)).toEqual(['a', 'z', 'b', 'c']);
  });

  it('picks a record about as often as its weight says', () => {
    let seed = 7;
    const random = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    const firsts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const first = orderSrv(records.filter((r) => r.weight > 0 && r.priority === 1), random)[0]!.name as 'a' | 'b';
      firsts[first]++;
    }
    // b weighs 30 of 40: three quarters of the draws, within a wide band.
    expect(firsts.b / 4000).toBeGreaterThan(0.68);
    expect(firsts.b / 4000).toBeLessThan(0.82);
  });
});

describe('SipDns', () => {
  it('resolves the SRV records of the account\'s transport, in order, with the shortest address TTL', async () => {
    // A draw of 0 takes the records of one priority as the server sent them (sip1, then sip2).
    const resolved = await sipDns(undefined, () => 0).servers('pbx.test', 'udp', 5060);
    expect(resolved).toEqual({
      srv: true, ttlMs: 30_000,
      servers: [{ host: 'sip1.pbx.test', port: 5070 }, { host: 'sip2.pbx.test', port: 5072 }, { host: 'backup.pbx.test', port: 5080 }],
    });
    expect(dns.queries).toContain('SRV _sip._udp.pbx.test');
    const tls = await sipDns().servers('pbx.test', 'tls', 5061);
    expect(tls.servers).toEqual([{ host: 'tls.pbx.test', port: 5061 }]);
    expect(dns.queries).toContain('SRV _sips._tcp.pbx.test');
  });

  it('without SRV records the domain itself is the server, at the default port (its A/AAAA)', async () => {
    expect(await sipDns().servers('plain.test', 'tcp', 5060)).toEqual({ srv: false, ttlMs: 45_000, servers: [{ host: 'plain.test', port: 5060 }] });
    expect(dns.queries).toContain('SRV _sip._tcp.plain.test');
  });

  it('looks addresses up through the configured server and keeps them for their TTL', async () => {
    const clock = new ManualClock();
    const resolver = sipDns(clock);
    const asked = () => dns.queries.filter((q) => q === 'A sip1.pbx.test').length;
    const before = asked();
    expect(await resolver.lookup('sip1.pbx.test')).toBe('127.0.0.11');
    expect(await resolver.lookup('sip1.pbx.test')).toBe('127.0.0.11');
    expect(asked()).toBe(before + 1);
    clock.t += 30_000;
    dns.zone.set('sip1.pbx.test', { ttl: 30, a: ['127.0.0.21'] });
    expect(await resolver.lookup('sip1.pbx.test')).toBe('127.0.0.21');
    expect(asked()).toBe(before + 2);
    expect(await resolver.lookup('backup.pbx.test')).toBe('::1');
    expect(await resolver.lookupAll('sip2.pbx.test')).toEqual(['127.0.0.12']);
    dns.zone.set('sip1.pbx.test', { ttl: 30, a: ['127.0.0.11'] });
  });

  it('a name that does not exist fails the lookup', async () => {
    await expect(sipDns().lookup('nowhere.test')).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });
});
