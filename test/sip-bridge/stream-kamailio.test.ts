// SIP accounts over TCP and TLS against a real Kamailio (started once for the
// file, listening on UDP, TCP and TLS with a throwaway CA's server certificate,
// kamailio-tls-modules): registration with digest over each, the contact Kamailio
// keeps, and a certificate Portier does not trust (another CA, another name)
// failing the account with reason tls and OpenSSL's code, shown in /ready's status;
// a restart that closes the account's TCP connection registers it again at once.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import pino from 'pino';
import { SipBridge, type SipAccount, type SipAccountStatus, type SipAccountSettings } from '../../src/sip-bridge/index.ts';
import { systemClock, type Clock } from '../../src/core/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { Kamailio } from '../support/kamailio.ts';
import { TestCa } from '../support/test-ca.ts';
import { readFileSync } from 'node:fs';
import { untilAccount as until, untilRegisteredAgain } from './account-state.ts';

const DOMAIN = 'portier.test';
let kamailio: Kamailio;
let ca: TestCa;
let rogue: TestCa;
const bridges: SipBridge[] = [];

beforeAll(async () => {
  ca = await TestCa.create('Portier test PBX CA');
  rogue = await TestCa.create('Someone else');
  const server = await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] });
  kamailio = await Kamailio.start({
    domain: DOMAIN,
    tcp: true,
    tls: server,
    users: [
      { username: 'tcpuser', password: 'tcp-secret-1' },
      { username: 'tlsuser', password: 'tls-secret-2' },
      { username: 'rogueuser', password: 'rogue-secret-3' },
    ],
  });
});

afterAll(async () => {
  await kamailio?.close();
  ca?.close();
  rogue?.close();
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
});

function bridgeWith(account: Partial<SipAccountSettings> & { id: string; username: string; password: string; registrar: SipAccountSettings['registrar'] }, clock: Clock = systemClock): SipBridge {
  const bridge = new SipBridge({
    settings: {
      bindAddress: '127.0.0.1', advertisedAddress: '',
      timers: { t1Ms: 50, t2Ms: 400 }, keepaliveMs: 300, retryMinMs: 200, retryMaxMs: 1000, streamIdleMs: 60_000, streamMaxConnections: 8,
      accounts: [{ authUsername: account.username, domain: DOMAIN, expiresSeconds: 300, localPort: 0, ...account }],
    },
    clock,
    logger: pino({ level: 'silent' }),
  });
  bridges.push(bridge);
  return bridge;
}


describe('SIP over TCP against Kamailio', () => {
  it('registers with digest over TCP; Kamailio keeps the contact with ;transport=tcp and the listener port', async () => {
    const bridge = bridgeWith({ id: 'tcp', username: 'tcpuser', password: 'tcp-secret-1', transport: 'tcp', registrar: { host: '127.0.0.1', port: kamailio.tcpPort! } });
    await bridge.start();
    const account = bridge.account('tcp')!;
    const status = await until(account, (s) => s.state === 'registered');
    expect(status).toMatchObject({ transport: 'tcp', secure: false, registrations: 1 });
    const port = account.transport!.port;
    expect(port).toBeGreaterThan(0);
    expect(await kamailio.contacts('tcpuser')).toEqual([expect.stringMatching(new RegExp(`^sip:\\w+@127\\.0\\.0\\.1:${port};transport=tcp$`))]);
    // Both REGISTERs (the challenged one and the answer) came over TCP, on one connection.
    await kamailio.seen(() => kamailio.requests('REGISTER').filter((l) => l.includes('tcpuser')).length >= 2);
    const registers = kamailio.requests('REGISTER').filter((l) => l.includes('tcpuser'));
    expect(registers.length).toBeGreaterThanOrEqual(2);
    expect(registers.every((l) => l.endsWith('proto tcp'))).toBe(true);
    expect(new Set(registers.map((l) => /via (\S+)/.exec(l)?.[1])).size).toBe(1);
    // The keep-alive OPTIONS rides the same connection, answered: still registered, nothing retransmitted.
    const optionsBefore = kamailio.requests('OPTIONS').length;
    await kamailio.sawRequests('OPTIONS', optionsBefore + 1);
    expect(account.status().state).toBe('registered');
    expect(account.transport!.retransmissions.retransmitted).toBe(0);
    expect((account.transport as { opened: number }).opened).toBe(1);
  });

  it('Kamailio restarts and closes the connection its binding was made on: the next keep-alive needs a new one, and the account registers again at once', async () => {
    // The manual clock holds the keep-alive back until Kamailio is up again: the restart falls between two keep-alives.
    const clock = new ManualClock();
    const bridge = bridgeWith({ id: 'tcp-restart', username: 'tcpuser', password: 'tcp-secret-1', transport: 'tcp', registrar: { host: '127.0.0.1', port: kamailio.tcpPort! } }, clock);
    await bridge.start();
    const account = bridge.account('tcp-restart')!;
    await until(account, (s) => s.state === 'registered');
    const before = account.status().registrations;
    await kamailio.restart();
    await clock.advance(300);
    // Answered on a new connection: the binding's is gone, so REGISTER now, not at the refresh (240 s away).
    const status = await untilRegisteredAgain(account, before);
    expect(status).toMatchObject({ state: 'registered', gaps: 1 });
    expect(await kamailio.contacts('tcpuser')).toHaveLength(1);
    expect((account.transport as { dialed: number }).dialed).toBe(2);
  });
});

describe('SIP over TLS against Kamailio', () => {
  const tls = (caFile: string, serverName = '') => ({ ca: readFileSync(caFile, 'utf8'), serverName });

  it('registers with digest over TLS, the certificate verified against sip.accounts[].tls.ca; contact ;transport=tls', async () => {
    const bridge = bridgeWith({
      id: 'tls', username: 'tlsuser', password: 'tls-secret-2', transport: 'tls', tls: tls(ca.cert, 'pbx.portier.test'),
      registrar: { host: '127.0.0.1', port: kamailio.tlsPort! },
    });
    await bridge.start();
    const account = bridge.account('tls')!;
    const status = await until(account, (s) => s.state === 'registered' || s.state === 'failed');
    expect(status).toMatchObject({ state: 'registered', transport: 'tls', secure: true });
    const registers = kamailio.requests('REGISTER').filter((l) => l.includes('tlsuser'));
    expect(registers.every((l) => l.endsWith('proto tls'))).toBe(true);
    // No listener over TLS: the contact names the port of Portier's own connection, which Kamailio reuses to reach it.
    const [contact] = await kamailio.contacts('tlsuser');
    const port = Number(/^sip:\w+@127\.0\.0\.1:(\d+);transport=tls$/.exec(contact ?? '')?.[1]);
    const via = registers.map((l) => /via 127\.0\.0\.1:(\d+)/.exec(l)?.[1]);
    expect(via.every((p) => Number(p) === port)).toBe(true);
    expect(account.transport!.port).toBe(0);
    expect(bridge.status()).toMatchObject({ state: 'ready' });
  });

  it('a certificate of another CA fails the account: reason tls with OpenSSL\'s code, in /ready\'s status; nothing is sent in clear', async () => {
    const registersBefore = kamailio.requests('REGISTER').length;
    const bridge = bridgeWith({
      id: 'rogue', username: 'rogueuser', password: 'rogue-secret-3', transport: 'tls', tls: tls(rogue.cert),
      registrar: { host: '127.0.0.1', port: kamailio.tlsPort! },
    });
    await bridge.start();
    const account = bridge.account('rogue')!;
    const status = await until(account, (s) => s.state === 'failed');
    expect(status).toMatchObject({ state: 'failed', reason: 'tls', transport: 'tls', secure: true, registrations: 0 });
    expect(status.phrase).toMatch(/^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY|SELF_SIGNED_CERT_IN_CHAIN)$/);
    expect(bridge.status()).toMatchObject({ state: 'degraded', accounts: [expect.objectContaining({ id: 'rogue', reason: 'tls', phrase: status.phrase })] });
    const transport = account.transport as { tlsFailure?: { name: string; why: { reason: string } } };
    expect(transport.tlsFailure).toMatchObject({ name: 'SipTlsError', why: { reason: 'sip.tls-untrusted' } });
    expect(kamailio.requests('REGISTER').length, 'Kamailio never saw a REGISTER').toBe(registersBefore);
  });

  it('the right CA but a name the certificate does not carry fails too (ERR_TLS_CERT_ALTNAME_INVALID)', async () => {
    const bridge = bridgeWith({
      id: 'wrongname', username: 'rogueuser', password: 'rogue-secret-3', transport: 'tls', tls: tls(ca.cert, 'other.portier.test'),
      registrar: { host: '127.0.0.1', port: kamailio.tlsPort! },
    });
    await bridge.start();
    const status = await until(bridge.account('wrongname')!, (s) => s.state === 'failed');
    expect(status).toMatchObject({ reason: 'tls', phrase: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });
});
