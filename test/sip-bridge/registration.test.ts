// SIP accounts against a real Kamailio registrar with digest auth (started once
// for the file): registration, refresh, a wrong password, the registrar going
// away and coming back, unregistering on close, and no password in the log.
import { describe, it, expect, beforeAll, afterAll, afterEach } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { SipBridge, type SipAccount, type SipAccountStatus, type SipSettings, type SipAccountSettings } from '../../src/sip-bridge/index.ts';
import { systemClock, type Clock } from '../../src/core/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { Kamailio } from '../support/kamailio.ts';
import { startGateway } from '../support/gateway.ts';
import { randomBytes } from 'node:crypto';
import { SecretBox, parseMasterKey } from '../../src/secrets/index.ts';
import { untilAccount as until, untilRegisteredAgain } from './account-state.ts';

const DOMAIN = 'portier.test';
let kamailio: Kamailio;
const bridges: SipBridge[] = [];
let logText = '';

beforeAll(async () => {
  kamailio = await Kamailio.start({
    domain: DOMAIN,
    minExpires: 2,
    users: [
      { username: 'lobby', password: 'lobby-secret-1' },
      { username: 'reception', authUsername: 'rcp-auth', password: 'reception-secret-2' },
      { username: 'wrongpw', password: 'the-right-one-3' },
      { username: 'restart', password: 'restart-secret-4' },
      { username: 'closer', password: 'closer-secret-5' },
      { username: 'gateway', password: 'gateway-secret-6' },
      { username: 'brief', password: 'brief-secret-7' },
      { username: 'quick', password: 'quick-secret-8' },
      { username: 'gap', password: 'gap-secret-9' },
    ],
  });
});

afterAll(async () => {
  await kamailio?.close();
});

afterEach(async () => {
  for (const bridge of bridges.splice(0)) await bridge.close();
});

function settings(accounts: Array<Partial<SipAccountSettings> & { id: string; username: string; password: string }>, more: Partial<SipSettings> = {}): SipSettings {
  return {
    bindAddress: '127.0.0.1', advertisedAddress: '',
    // A short T1 makes a silent registrar show within 64·T1 = 3.2 s; the mechanism is the same.
    timers: { t1Ms: 50, t2Ms: 400 }, keepaliveMs: 300, retryMinMs: 200, retryMaxMs: 1000, ...more,
    accounts: accounts.map((a) => ({
      registrar: { host: '127.0.0.1', port: kamailio.port }, authUsername: a.username, domain: DOMAIN, expiresSeconds: 300, localPort: 0, ...a,
    })),
  };
}

function bridgeWith(accounts: Parameters<typeof settings>[0], more?: Partial<SipSettings>, clock: Clock = systemClock): SipBridge {
  const log = new Writable({ write(chunk, _enc, done) { logText += chunk.toString(); done(); } });
  const bridge = new SipBridge({ settings: settings(accounts, more), clock, logger: pino({ level: 'debug' }, log) });
  bridges.push(bridge);
  return bridge;
}


const registered = (s: SipAccountStatus) => s.state === 'registered';

describe('SIP accounts against Kamailio', () => {
  it('registers with digest auth; Kamailio holds the contact with the bound port', async () => {
    const bridge = bridgeWith([{ id: 'lobby', username: 'lobby', password: 'lobby-secret-1' }]);
    await bridge.start();
    const account = bridge.account('lobby')!;
    await until(account, registered);
    const contacts = await kamailio.contacts('lobby');
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatch(new RegExp(`^sip:\\w+@127\\.0\\.0\\.1:${account.transport!.port};transport=udp$`));
    // Challenged first, then accepted.
    await kamailio.seen(() => kamailio.requests('REGISTER').filter((l) => l.includes('from sip:lobby@')).length >= 2);
    expect(kamailio.requests('REGISTER').filter((l) => l.includes('from sip:lobby@')).length).toBeGreaterThanOrEqual(2);
    expect(bridge.status()).toMatchObject({ state: 'ready', accounts: [{ id: 'lobby', state: 'registered', registrations: 1 }] });
  });

  it('uses a separate digest user and refreshes before the granted expiry runs out', async () => {
    const bridge = bridgeWith([{ id: 'reception', username: 'reception', authUsername: 'rcp-auth', password: 'reception-secret-2', expiresSeconds: 2 }]);
    await bridge.start();
    const account = bridge.account('reception')!;
    await until(account, (s) => s.registrations >= 3, 'registered');
    expect(account.status().state).toBe('registered');
    expect(await kamailio.contacts('reception')).toHaveLength(1);
  });

  it('asks again with the registrar\'s Min-Expires after 423 Interval Too Brief', async () => {
    const bridge = bridgeWith([{ id: 'brief', username: 'brief', password: 'brief-secret-7', expiresSeconds: 1 }]);
    await bridge.start();
    await until(bridge.account('brief')!, registered);
    expect(await kamailio.contacts('brief')).toHaveLength(1);
    // The accepted REGISTER (Min-Expires 2) is in Kamailio's log once it reaches the test.
    await kamailio.seen(() => kamailio.requests('REGISTER').some((l) => l.includes('from sip:brief@') && l.includes(';expires=2')));
    const asked = kamailio.requests('REGISTER').filter((l) => l.includes('from sip:brief@')).map((l) => /;expires=(\d+)/.exec(l)?.[1]);
    expect(asked).toContain('1');
    expect(asked.at(-1)).toBe('2');
  });

  it('a wrong password ends in failed with the registrar\'s 401, and the password is never logged', async () => {
    const bridge = bridgeWith([{ id: 'wrong', username: 'wrongpw', password: 'not-the-password-9' }]);
    await bridge.start();
    const status = await until(bridge.account('wrong')!, (s) => s.state === 'failed');
    expect(status).toMatchObject({ state: 'failed', reason: 'rejected', code: 401 });
    expect(bridge.status().state).toBe('degraded');
    expect(await kamailio.contacts('wrongpw')).toEqual([]);
    expect(logText).toContain('registration failed');
    expect(logText).not.toContain('not-the-password-9');
    expect(logText).not.toContain('lobby-secret-1');
  });

  it('registers again after the registrar stops answering and comes back', async () => {
    const bridge = bridgeWith([{ id: 'restart', username: 'restart', password: 'restart-secret-4' }]);
    await bridge.start();
    const account = bridge.account('restart')!;
    await until(account, registered);
    await kamailio.stop();
    // The OPTIONS keep-alive goes unanswered (Timer F).
    const failed = await until(account, (s) => s.state === 'failed');
    expect(failed.reason).toBe('timeout');
    expect(account.transport!.retransmissions.timedOut).toBeGreaterThanOrEqual(1);
    await kamailio.restart();
    await until(account, registered);
    expect(await kamailio.contacts('restart')).toHaveLength(1);
  });

  it('a quick registrar restart that loses the binding is healed by the next refresh', async () => {
    const bridge = bridgeWith([{ id: 'quick', username: 'quick', password: 'quick-secret-8', expiresSeconds: 2 }]);
    await bridge.start();
    const account = bridge.account('quick')!;
    await until(account, registered);
    // usrloc is in memory: the restart drops the binding; only a REGISTER after it brings it back.
    await kamailio.restart();
    const before = account.status().registrations;
    await until(account, (s) => s.registrations > before, 'registered');
    expect(await kamailio.contacts('quick')).toHaveLength(1);
  });

  it('a registrar restart that a keep-alive runs into (answered only after a retransmission) registers the account again at once, not at the refresh', async () => {
    // On a manual clock (keep-alive 300 ms, T1 500 ms): the keep-alive and its retransmissions go out when the test says.
    const clock = new ManualClock();
    const bridge = bridgeWith([{ id: 'gap', username: 'gap', password: 'gap-secret-9', expiresSeconds: 300 }], { timers: { t1Ms: 500, t2Ms: 4000 } }, clock);
    await bridge.start();
    const account = bridge.account('gap')!;
    await until(account, registered);
    const states: string[] = [];
    account.on('state', (s) => states.push(s.state));
    const before = account.status().registrations;
    const retransmissions = account.transport!.retransmissions;
    await kamailio.stop();
    // The keep-alive reaches no one and is sent again (Timer E at T1): the registrar missed a transmission.
    await clock.advance(300);
    await clock.advance(500);
    expect(retransmissions.retransmitted).toBe(1);
    await kamailio.restart();
    // Its next retransmission (2·T1 later) is answered by the restarted registrar, which has forgotten the binding: REGISTER at once.
    await clock.advance(1000);
    const status = await untilRegisteredAgain(account, before);
    expect(status).toMatchObject({ state: 'registered', gaps: 1 });
    expect(await kamailio.contacts('gap')).toHaveLength(1);
    expect(states).not.toContain('failed');
    expect(logText).toContain('the keep-alive was answered only after a retransmission');
  });

  it('close() unregisters (expires=0), closes the socket and is idempotent', async () => {
    const bridge = bridgeWith([{ id: 'closer', username: 'closer', password: 'closer-secret-5' }]);
    await bridge.start();
    const account = bridge.account('closer')!;
    await until(account, registered);
    expect(await kamailio.contacts('closer')).toHaveLength(1);
    await Promise.all([bridge.close(), bridge.close()]);
    expect(account.status().state).toBe('unregistered');
    expect(account.registererState).toBe('Terminated');
    expect(account.transport!.isConnected()).toBe(false);
    expect(await kamailio.contacts('closer')).toEqual([]);
    await kamailio.seen(() => kamailio.requests('REGISTER').some((l) => l.includes('from sip:closer@') && l.includes('expires=0')));
    expect(kamailio.requests('REGISTER').some((l) => l.includes('from sip:closer@') && l.includes('expires=0'))).toBe(true);
    expect(bridge.status().state).toBe('closed');
  });

  it('without accounts the bridge is disabled', async () => {
    const bridge = bridgeWith([]);
    await bridge.start();
    expect(bridge.status()).toEqual({ state: 'disabled', reason: 'no SIP account configured' });
  });

  it('the gateway registers sip.accounts from its config (the password an enc:v1 value) and shows the account in /ready', async () => {
    const masterKey = randomBytes(32).toString('hex');
    const sealed = new SecretBox(parseMasterKey(masterKey, 'test')).seal('gateway-secret-6');
    const gw = await startGateway({
      PORTIER_SIP__T1_MS: '50', PORTIER_SIP__KEEPALIVE_SECONDS: '5', PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SECRETS__MASTER_KEY: masterKey,
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: gateway, password: "${sealed}", domain: ${DOMAIN}}]`,
    });
    try {
      const sip = gw.gateway.services.sip;
      await until(sip.account('pbx')!, registered);
      const ready = await (await fetch(`${gw.base}/ready`)).json();
      expect(ready.components.sip.state).toBe('ready');
      expect(sip.status()).toMatchObject({ accounts: [{ id: 'pbx', state: 'registered', registrar: `127.0.0.1:${kamailio.port}` }] });
      expect(JSON.stringify(sip.status())).not.toContain('gateway-secret-6');
    } finally {
      await gw.close();
    }
    expect(await kamailio.contacts('gateway')).toEqual([]);
  });
});
