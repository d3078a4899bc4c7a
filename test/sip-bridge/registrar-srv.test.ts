// An account whose registrar is a domain (RFC 3263 lite, sip-dns.ts) against a real
// Kamailio reached through SRV records served by a local DNS server: the first target
// does not answer and the account fails over to the next; the records change and, once
// their TTL has passed, the account follows them; the gateway's status (/ready) names the server.
// Over TLS an SRV target's certificate must name the registrar domain, not the target (RFC 5922 §4).
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import pino from 'pino';
import { Writable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { SipBridge, type SipAccountSettings, type SipSettings } from '../../src/sip-bridge/index.ts';
import { systemClock } from '../../src/core/index.ts';
import { Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { DnsServer } from '../support/dns-server.ts';
import { TestCa } from '../support/test-ca.ts';
import { startGateway } from '../support/gateway.ts';
import { untilAccount as until, untilRegisteredAgain } from './account-state.ts';

const DOMAIN = 'portier.test';
let kamailio: Kamailio;
let dns: DnsServer;
/** A UDP port nothing listens on: the SRV target that never answers. */
let silentPort: number;
const bridges: SipBridge[] = [];
let logText = '';

beforeAll(async () => {
  kamailio = await Kamailio.start({
    domain: DOMAIN,
    users: [{ username: 'srv', password: 'srv-secret-1' }, { username: 'moves', password: 'moves-secret-2' }, { username: 'gw', password: 'gw-secret-3' }],
  });
  dns = await DnsServer.start();
  silentPort = await freePort();
  dns.zone.set('dead.pbx.test', { ttl: 300, a: ['127.0.0.1'] });
  dns.zone.set('kam-a.pbx.test', { ttl: 300, a: ['127.0.0.1'] });
  dns.zone.set('kam-b.pbx.test', { ttl: 300, a: ['127.0.0.1'] });
});

afterAll(async () => {
  await kamailio?.close();
  await dns?.close();
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
});

function bridgeFor(id: string, username: string, password: string, registrar: string, tls?: Partial<SipAccountSettings>): SipBridge {
  const settings: SipSettings = {
    bindAddress: '127.0.0.1', advertisedAddress: '',
    timers: { t1Ms: 50, t2Ms: 400 }, keepaliveMs: 300, retryMinMs: 200, retryMaxMs: 1000,
    dnsServers: [dns.address], dnsMaxTtlMs: 300_000,
    accounts: [{
      id, username, authUsername: username, password, domain: DOMAIN, expiresSeconds: 300, localPort: 0,
      registrar: { host: registrar, port: 5060 }, registrarDomain: registrar, ...tls,
    }],
  };
  const log = new Writable({ write(chunk, _enc, done) { logText += chunk.toString(); done(); } });
  const bridge = new SipBridge({ settings, clock: systemClock, logger: pino({ level: 'info' }, log) });
  bridges.push(bridge);
  return bridge;
}

describe('a registrar given as a domain (SRV)', () => {
  it('tries the SRV targets by priority: the first does not answer, the account registers at the next', async () => {
    dns.zone.set('_sip._udp.failover.test', { ttl: 300, srv: [
      { priority: 20, weight: 10, port: kamailio.port, target: 'kam-a.pbx.test' },
      { priority: 10, weight: 10, port: silentPort, target: 'dead.pbx.test' },
    ] });
    const bridge = bridgeFor('srv', 'srv', 'srv-secret-1', 'failover.test');
    await bridge.start();
    const account = bridge.account('srv')!;
    expect(account.status().servers).toEqual([`dead.pbx.test:${silentPort}`, `kam-a.pbx.test:${kamailio.port}`]);
    const status = await until(account, (s) => s.state === 'registered');
    expect(status.server).toBe(`kam-a.pbx.test:${kamailio.port}`);
    expect(account.servers.switches).toBe(1);
    // The first lookup replaced the domain by its targets before any REGISTER: no move logged for it, only the failover's.
    expect(logText.match(/uses another server/g)).toHaveLength(1);
    expect(logText).toContain('SRV records name these servers');
    expect(await kamailio.contacts('srv')).toHaveLength(1);
    expect(dns.queries).toContain('SRV _sip._udp.failover.test');
    // The Request-URI is the domain while the REGISTER goes to the target (review s26 #15).
    await kamailio.seen(() => kamailio.requests('REGISTER').some((l) => l.includes('from sip:srv@')));
    const registers = kamailio.requests('REGISTER').filter((l) => l.includes('from sip:srv@'));
    expect(registers.length).toBeGreaterThan(0);
    expect(registers.every((l) => l.includes('REGISTER sip:failover.test from'))).toBe(true);
  });

  it('looks the domain up again once its TTL has passed and follows the records to another server', async () => {
    dns.zone.set('_sip._udp.moving.test', { ttl: 300, srv: [{ priority: 10, weight: 10, port: kamailio.port, target: 'kam-a.pbx.test' }] });
    // The target's address lives 1 s: the domain is looked up again after it.
    dns.zone.set('kam-a.pbx.test', { ttl: 1, a: ['127.0.0.1'] });
    const bridge = bridgeFor('moves', 'moves', 'moves-secret-2', 'moving.test');
    await bridge.start();
    const account = bridge.account('moves')!;
    await until(account, (s) => s.state === 'registered' && s.server === `kam-a.pbx.test:${kamailio.port}`);
    const asked = dns.queries.filter((q) => q === 'SRV _sip._udp.moving.test').length;
    const before = account.status().registrations;
    dns.zone.set('_sip._udp.moving.test', { ttl: 300, srv: [{ priority: 10, weight: 10, port: kamailio.port, target: 'kam-b.pbx.test' }] });
    await dns.asked('SRV', '_sip._udp.moving.test', asked + 1);
    const moved = await untilRegisteredAgain(account, before);
    expect(moved).toMatchObject({ state: 'registered', server: `kam-b.pbx.test:${kamailio.port}`, servers: [`kam-b.pbx.test:${kamailio.port}`] });
    // Every REGISTER names the domain (RFC 3261 §10.2), never a target (review s26 #15); the status says where it went.
    await kamailio.seen(() => kamailio.requests('REGISTER').filter((l) => l.includes('from sip:moves@')).length > 1);
    const registers = kamailio.requests('REGISTER').filter((l) => l.includes('from sip:moves@'));
    expect(registers.length).toBeGreaterThan(1);
    expect(registers.every((l) => l.includes('REGISTER sip:moving.test from'))).toBe(true);
    expect(await kamailio.contacts('moves')).toHaveLength(1);
    dns.zone.set('kam-a.pbx.test', { ttl: 300, a: ['127.0.0.1'] });
  });

  it('the gateway takes sip.dns_servers and a registrar domain from its config; its status (/ready) names the server in use', async () => {
    dns.zone.set('_sip._udp.gateway.test', { ttl: 300, srv: [{ priority: 1, weight: 1, port: kamailio.port, target: 'kam-a.pbx.test' }] });
    const gw = await startGateway({
      PORTIER_SIP__T1_MS: '50', PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__DNS_SERVERS: `["${dns.address}"]`,
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "gateway.test", username: gw, password: gw-secret-3, domain: ${DOMAIN}}]`,
    });
    try {
      const sip = gw.gateway.services.sip;
      await until(sip.account('pbx')!, (s) => s.state === 'registered');
      const ready = await (await fetch(`${gw.base}/ready`)).json();
      expect(ready.components.sip.state).toBe('ready');
      // What /ready shows a reader with report.read, and the admin page's account list.
      expect(sip.status()).toMatchObject({ accounts: [{ id: 'pbx', state: 'registered', server: `kam-a.pbx.test:${kamailio.port}`, servers: [`kam-a.pbx.test:${kamailio.port}`] }] });
    } finally {
      await gw.close();
    }
  });
});

describe('a registrar domain over TLS (RFC 5922 §4, review s26 #14)', () => {
  let ca: TestCa;
  /** Its certificate names only the SRV target other.test — what anyone answering the SRV query can get for a host of theirs. */
  let targetOnly: Kamailio;
  /** Its certificate names the registrar domain pbx.test. */
  let domainCert: Kamailio;
  const tlsAccount = (): Partial<SipAccountSettings> => ({
    transport: 'tls', registrar: { host: 'pbx.test', port: 5061 }, tls: { ca: readFileSync(ca.cert, 'utf8'), serverName: '' },
  });

  beforeAll(async () => {
    ca = await TestCa.create('Portier SRV test CA');
    targetOnly = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'spoof', password: 'spoof-secret-4' }], tls: await ca.server('other.test', { dns: ['other.test'] }) });
    domainCert = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'tlsok', password: 'tlsok-secret-5' }], tls: await ca.server('pbx.test', { dns: ['pbx.test'] }) });
    dns.zone.set('other.test', { ttl: 300, a: ['127.0.0.1'] });
  }, 60_000);

  afterAll(async () => {
    await targetOnly?.close();
    await domainCert?.close();
    ca?.close();
  });

  it('a target whose certificate names only itself is refused (reason tls): the SRV answer does not choose the identity', async () => {
    dns.zone.set('_sips._tcp.pbx.test', { ttl: 300, srv: [{ priority: 10, weight: 10, port: targetOnly.tlsPort!, target: 'other.test' }] });
    const bridge = bridgeFor('spoof', 'spoof', 'spoof-secret-4', 'pbx.test', tlsAccount());
    await bridge.start();
    const account = bridge.account('spoof')!;
    expect(account.status().servers).toEqual([`other.test:${targetOnly.tlsPort}`]);
    const failed = await until(account, (s) => s.state === 'failed' || s.state === 'registered');
    expect(failed).toMatchObject({ state: 'failed', reason: 'tls' });
    // Verified (and SNI sent) as pbx.test: other.test's certificate does not name it.
    expect(failed.phrase).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(targetOnly.requests('REGISTER')).toHaveLength(0);
  });

  it('a target whose certificate names the registrar domain registers', async () => {
    dns.zone.set('_sips._tcp.pbx.test', { ttl: 300, srv: [{ priority: 10, weight: 10, port: domainCert.tlsPort!, target: 'other.test' }] });
    const bridge = bridgeFor('tlsok', 'tlsok', 'tlsok-secret-5', 'pbx.test', tlsAccount());
    await bridge.start();
    const account = bridge.account('tlsok')!;
    const settled = await until(account, (s) => s.state === 'registered' || s.state === 'failed');
    expect(settled).toMatchObject({ state: 'registered', server: `other.test:${domainCert.tlsPort}`, secure: true });
    expect(await domainCert.contacts('tlsok')).toHaveLength(1);
    expect(domainCert.requests('REGISTER').every((l) => l.includes('REGISTER sip:pbx.test from'))).toBe(true);
  });
});
