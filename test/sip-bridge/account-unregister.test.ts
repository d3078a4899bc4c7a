// What becomes of an account's binding when it stops, against a real Kamailio behind
// a UDP relay that loses chosen un-REGISTERs (a registrar whose challenge round trip
// takes longer than 8·T1, as on a loaded machine): an admin's delete or disable waits
// for the un-REGISTER's final answer (up to Timer F), so the binding is gone when the
// answer comes; one never answered is named in the log and the audit entry; the
// gateway's shutdown keeps its 8·T1 bound, and cuts a delete's wait to it.
// One Kamailio, relay and gateway for the file; T1 = 100 ms (8·T1 0.8 s, Timer F 6.4 s).
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import pino from 'pino';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';
import { Kamailio } from '../support/kamailio.ts';
import { UdpRelay } from '../support/udp-relay.ts';
import { untilAccount } from './account-state.ts';
import { SipBridge, type SipAccount } from '../../src/sip-bridge/index.ts';
import { systemClock } from '../../src/core/index.ts';

const DOMAIN = 'portier.test';
const T1 = 100;
const USERS = ['gone', 'off', 'never', 'down', 'cut', 'busy'];
const password = (user: string) => `${user}-secret-1`;

let kamailio: Kamailio;
let relay: UdpRelay;
let gw: Awaited<ReturnType<typeof startGateway>>;
let admin: ApiClient;
let logText = '';
const logger = () => pino({ level: 'warn' }, new Writable({ write(chunk, _enc, done) { logText += chunk.toString(); done(); } }));

beforeAll(async () => {
  kamailio = await Kamailio.start({ domain: DOMAIN, users: USERS.map((u) => ({ username: u, password: password(u) })) });
  relay = await UdpRelay.start({ address: '127.0.0.1', port: 0 }, { address: '127.0.0.1', port: kamailio.port });
  gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1', PORTIER_SIP__T1_MS: String(T1) }, { logger: logger() });
  admin = await signInFirstAdmin(gw);
}, 60_000);

// Each test's drop rule ends with it, passed or not.
afterEach(() => relay?.clear());

afterAll(async () => {
  await gw?.close();
  await relay?.close();
  await kamailio?.close();
});

/**
 * Loses the first `lost` transmissions of `user`'s un-REGISTERs on their way to Kamailio (all of them: Infinity) and
 * counts every transmission: the fifth of one request leaves 15·T1 after the first, past shutdown's 8·T1.
 */
function loseUnregisters(user: string, lost: number): { seen(): number } {
  let seen = 0;
  const unregister = new RegExp(`^REGISTER [\\s\\S]*^From:[^\\n]*sip:${user}@[\\s\\S]*expires=0\\b`, 'im');
  relay.dropWhen((packet, toTarget) => toTarget && unregister.test(packet.toString()) && ++seen <= lost);
  return { seen: () => seen };
}

/** An admin account of `user` (`expires`: its REGISTERs' expiry, the server's default when not given), registered at Kamailio through the relay. */
async function registeredAccount(user: string, expires?: number): Promise<void> {
  const res = await admin.post('/api/sip-accounts', {
    id: user, registrar: `127.0.0.1:${relay.listen.port}`, username: user, password: password(user), domain: DOMAIN, ...(expires ? { expires } : {}),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  await untilAccount(gw.gateway.services.sip.account(user)!, (s) => s.state === 'registered');
  expect(await kamailio.contacts(user)).toHaveLength(1);
}

async function auditDetails(action: string, id: string): Promise<unknown> {
  const audit = await admin.get(`/api/audit?action=${action}`);
  const entry = audit.body.find((e: { target_id: string }) => e.target_id === id);
  expect(entry).toBeDefined();
  return entry.details === null ? null : JSON.parse(entry.details);
}

describe('an account that stops takes its binding down', () => {
  it('deleted while the un-REGISTER\'s challenge round trip takes longer than 8·T1: the binding is gone when the delete answers', async () => {
    await registeredAccount('gone');
    const unregisters = loseUnregisters('gone', 4);
    expect((await admin.call('DELETE', '/api/sip-accounts/gone')).status).toBe(204);
    expect(await kamailio.contacts('gone')).toEqual([]);
    expect(unregisters.seen()).toBeGreaterThan(4);
    expect(await auditDetails('sip-account.delete', 'gone')).toBeNull();
  });

  it('disabled while the un-REGISTER\'s challenge round trip takes longer than 8·T1: the binding is gone when the change answers', async () => {
    await registeredAccount('off');
    const unregisters = loseUnregisters('off', 4);
    const res = await admin.call('PATCH', '/api/sip-accounts/off', { enabled: false });
    expect(res.body).toMatchObject({ enabled: false, state: 'disabled' });
    expect(await kamailio.contacts('off')).toEqual([]);
    expect(unregisters.seen()).toBeGreaterThan(4);
    expect(await auditDetails('sip-account.update', 'off')).toEqual({ fields: ['enabled'] });
  });

  it('deleted while a refresh REGISTER is under way: the un-REGISTER follows the refresh\'s answer and the binding is gone (review s29 #1)', async () => {
    // Expires 2 s: the refresh leaves at 80 %, 1.6 s after the registration.
    await registeredAccount('busy', 2);
    const refresh = /^REGISTER [\s\S]*^From:[^\n]*sip:busy@/im;
    let refreshes = 0;
    let startDelete!: () => void;
    const deleting = new Promise<void>((resolve) => { startDelete = resolve; }).then(() => admin.call('DELETE', '/api/sip-accounts/busy'));
    // The refresh's first two transmissions are lost (its answer comes 3·T1 later); the delete starts at the first.
    relay.dropWhen((packet, toTarget) => {
      const text = packet.toString();
      if (!toTarget || !refresh.test(text) || /expires=0\b/i.test(text)) return false;
      refreshes += 1;
      if (refreshes === 1) startDelete();
      return refreshes <= 2;
    });
    expect((await deleting).status).toBe(204);
    expect(refreshes).toBeGreaterThan(2);
    expect(await kamailio.contacts('busy')).toEqual([]);
    expect(await auditDetails('sip-account.delete', 'busy')).toBeNull();
  });

  it('deleted while no un-REGISTER gets through: the delete answers after Timer F and the log and audit say the registrar may keep the binding', async () => {
    await registeredAccount('never');
    loseUnregisters('never', Infinity);
    expect((await admin.call('DELETE', '/api/sip-accounts/never')).status).toBe(204);
    expect(gw.gateway.services.sip.account('never')).toBeUndefined();
    expect(await auditDetails('sip-account.delete', 'never')).toEqual({ binding: 'kept', code: 408 });
    expect(logText).toMatch(/"account":"never".*the un-REGISTER failed/);
    // Honestly kept: the registrar never heard of the delete (the binding expires at its time).
    expect(await kamailio.contacts('never')).toHaveLength(1);
  });

  it('the shutdown keeps its 8·T1 bound, and cuts a delete\'s wait for the un-REGISTER to it', async () => {
    const bridge = new SipBridge({
      clock: systemClock, logger: logger(),
      settings: {
        bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: T1, t2Ms: 4000 }, keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 5000,
        accounts: ['down', 'cut'].map((user) => ({
          id: user, registrar: { host: '127.0.0.1', port: relay.listen.port }, username: user, authUsername: user, password: password(user),
          domain: DOMAIN, expiresSeconds: 300, localPort: 0,
        })),
      },
    });
    await bridge.start();
    const [down, cut] = ['down', 'cut'].map((id) => bridge.account(id)!) as [SipAccount, SipAccount];
    await Promise.all([down, cut].map((a) => untilAccount(a, (s) => s.state === 'registered')));
    let seen = { down: 0, cut: 0 };
    let closed: Promise<void> | undefined;
    relay.dropWhen((packet, toTarget) => {
      const text = packet.toString();
      if (!toTarget || !text.startsWith('REGISTER ') || !/expires=0\b/i.test(text)) return false;
      const user = /^From:[^\n]*sip:(down|cut)@/im.exec(text)?.[1] as 'down' | 'cut';
      seen = { ...seen, [user]: seen[user] + 1 };
      // The delete's un-REGISTER is under way: the gateway shuts down now.
      if (user === 'cut') closed ??= bridge.close();
      return true;
    });
    const outcome = await bridge.remove(cut);
    await closed;
    // Timer F (64·T1) would have seen seven transmissions; 8·T1 from the first leaves four.
    expect(seen.cut).toBeGreaterThan(0);
    expect(seen.cut).toBeLessThanOrEqual(5);
    expect(outcome).toEqual({ binding: 'kept', code: 408, phrase: expect.any(String) });
    expect(seen.down).toBeGreaterThan(0);
    expect(seen.down).toBeLessThanOrEqual(4);
    expect(down.status().state).toBe('unregistered');
    expect(logText).toMatch(/"account":"down".*the un-REGISTER failed/);
  });
});
