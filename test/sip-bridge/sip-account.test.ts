// A SIP account's timers on a manual clock, against a scripted registrar (a bare
// UDP socket): backoff after rejections, refresh at 80 % of the granted expiry,
// OPTIONS keep-alive, all counted in datagrams.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import pino from 'pino';
import { SipAccount, type SipAccountStatus } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { UdpPeer } from './udp-peer.ts';

let clock: ManualClock;
let registrar: UdpPeer;
let account: SipAccount;
/** Datagrams the scripted registrar has answered (or let go). */
let answered = 0;

beforeEach(async () => {
  clock = new ManualClock();
  answered = 0;
  registrar = await UdpPeer.start();
  account = new SipAccount({
    clock, logger: pino({ level: 'silent' }),
    account: {
      id: 'pbx', registrar: { host: '127.0.0.1', port: registrar.port }, username: '7001', authUsername: '7001',
      password: 'unused', domain: 'pbx.test', expiresSeconds: 300, localPort: 0,
    },
    settings: {
      bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: 500, t2Ms: 4000 },
      keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 4000, accounts: [],
    },
  });
});

afterEach(async () => {
  // From here the registrar answers every REGISTER still open and the unregister (expires=0),
  // so close() finishes without anyone advancing the clock to Timer F.
  const answerAll = (data: Buffer, rinfo: { port: number }) => {
    const text = data.toString();
    if (text.startsWith('REGISTER ')) registrar.socket.send(ok(text, 0), rinfo.port, '127.0.0.1');
  };
  registrar.socket.on('message', answerAll);
  for (const { text, port } of registrar.received.slice(answered)) answerAll(Buffer.from(text), { port });
  await account.close();
  await registrar.close();
});

const methodOf = (text: string) => text.slice(0, text.indexOf(' '));
const count = (method: string) => registrar.received.filter((d) => methodOf(d.text) === method).length;

/** 200 OK to a REGISTER, echoing its Contact with the granted expiry. */
function ok(request: string, expires: number): string {
  const contact = request.split('\r\n').find((l) => l.startsWith('Contact:'))!.replace(/;expires=\d+/, '');
  return UdpPeer.answer(request, 200, 'OK', [`${contact};expires=${expires}`]);
}

/** Waits for the first datagram not answered yet and answers it. */
async function answerNext(respond: (request: string) => string): Promise<string> {
  await registrar.waitFor(answered + 1);
  const { text, port } = registrar.received[answered++]!;
  await registrar.send(respond(text), port);
  return text;
}

function until(match: (s: SipAccountStatus) => boolean): Promise<SipAccountStatus> {
  return new Promise((resolve) => {
    if (match(account.status())) return resolve(account.status());
    const listener = (s: SipAccountStatus) => { if (match(s)) { account.off('state', listener); resolve(s); } };
    account.on('state', listener);
  });
}

/** Advances to one ms before `ms`, expects no new datagram, then to `ms` and expects one. */
async function expectDatagramAfter(ms: number): Promise<void> {
  const sent = account.transport!.sent;
  await clock.advance(ms - 1);
  expect(account.transport!.sent, `nothing sent ${ms - 1} ms in`).toBe(sent);
  await clock.advance(1);
  expect(account.transport!.sent).toBe(sent + 1);
}

describe('SIP account timers (manual clock)', () => {
  it('retries a rejected registration after 1, 2, 4, 4 s (retry_min doubling up to retry_max), then registers', async () => {
    await account.start();
    await answerNext((r) => UdpPeer.answer(r, 403, 'Forbidden'));
    expect(await until((s) => s.state === 'failed')).toMatchObject({ reason: 'rejected', code: 403, phrase: 'Forbidden' });
    for (const delay of [1000, 2000, 4000]) {
      await expectDatagramAfter(delay);
      await answerNext((r) => UdpPeer.answer(r, 403, 'Forbidden'));
      // The state event fires again only on a change; wait for the transport to have taken in the answer.
      while (account.transport!.retransmissions.pending > 0) await new Promise((r) => setImmediate(r));
    }
    await expectDatagramAfter(4000);
    await answerNext((r) => ok(r, 100));
    expect(await until((s) => s.state === 'registered')).toMatchObject({ registrations: 1, reason: undefined });
    expect(count('REGISTER')).toBe(5);
  });

  it('refreshes at 80 % of the granted expiry and sends OPTIONS every keepalive interval', async () => {
    await account.start();
    const first = await answerNext((r) => ok(r, 100));
    expect(first).toMatch(/^REGISTER sip:127\.0\.0\.1:\d+ SIP\/2\.0/);
    expect(first).toMatch(/Contact: <sip:\w+@127\.0\.0\.1:\d+;transport=udp>;expires=300/);
    await until((s) => s.state === 'registered');
    // Keep-alive at 30 s and 60 s, refresh at 80 s (80 % of the granted 100 s, not of the 300 s asked).
    await expectDatagramAfter(30_000);
    expect(methodOf(await answerNext((r) => UdpPeer.answer(r, 200, 'OK')))).toBe('OPTIONS');
    while (account.transport!.retransmissions.pending > 0) await new Promise((r) => setImmediate(r));
    await expectDatagramAfter(30_000);
    expect(methodOf(await answerNext((r) => UdpPeer.answer(r, 200, 'OK')))).toBe('OPTIONS');
    while (account.transport!.retransmissions.pending > 0) await new Promise((r) => setImmediate(r));
    await expectDatagramAfter(20_000);
    const refresh = registrar.received.at(-1)!.text;
    expect(methodOf(refresh)).toBe('REGISTER');
    const registered = new Promise<SipAccountStatus>((resolve) => account.once('registered', resolve));
    await registrar.send(ok(refresh, 100), registrar.received.at(-1)!.port);
    expect((await registered).registrations).toBe(2);
  });

  it('a registrar whose name does not resolve fails the account (transport), not start()', async () => {
    for (const bindAddress of ['0.0.0.0', '127.0.0.1']) {
      const lost = new SipAccount({
        clock, logger: pino({ level: 'silent' }),
        account: { id: 'lost', registrar: { host: 'pbx.invalid', port: 5060 }, username: '7001', authUsername: '7001', password: 'x', domain: 'pbx.test', expiresSeconds: 300, localPort: 0 },
        settings: { bindAddress, advertisedAddress: '', timers: { t1Ms: 500, t2Ms: 4000 }, keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 4000, accounts: [] },
      });
      const states: string[] = [];
      lost.on('state', (s) => states.push(`${s.state}${s.reason ? ` ${s.reason}` : ''}`));
      const failed = new Promise<SipAccountStatus>((resolve) => lost.on('state', (s) => s.state === 'failed' && resolve(s)));
      await lost.start();
      // 0.0.0.0: no local address towards it (ENOTFOUND); a fixed address: the send fails (sip.js's 503).
      expect(await failed).toMatchObject({ state: 'failed', reason: 'transport' });
      await clock.advance(1000);
      await lost.close();
      expect(states).toEqual(['registering', 'failed transport', 'unregistered']);
    }
  });

  it('close() waits at most 8·T1 for a silent registrar\'s answer to the unregister', async () => {
    await account.start();
    await answerNext((r) => ok(r, 3600));
    await until((s) => s.state === 'registered');
    let closed = false;
    const closing = account.close().then(() => { closed = true; });
    await registrar.waitFor(2);
    expect(registrar.received[1]!.text).toMatch(/;expires=0\r\n/);
    await clock.advance(8 * 500 - 1);
    expect(closed).toBe(false);
    await clock.advance(1);
    await closing;
    expect(account.status().state).toBe('unregistered');
    expect(account.transport!.isConnected()).toBe(false);
    // REGISTER at 0, 0.5, 1.5 and 3.5 s; nothing after the socket closed.
    expect(count('REGISTER')).toBe(1 + 4);
    expect(clock.pending).toBe(0);
    expect(account.registererState, 'sip.js\'s refresh timer is cleared').toBe('Terminated');
  });

  it('close() of an account whose registrar never answered ends its REGISTER at once: nothing to unregister, no wait', async () => {
    await account.start();
    await registrar.waitFor(1);
    answered = 1;
    // The clock never moves: the old close() waited 8·T1 on it for the REGISTER's answer.
    await account.close();
    expect(account.status().state).toBe('unregistered');
    expect(account.transport!.isConnected()).toBe(false);
    expect(count('REGISTER'), 'no un-REGISTER (expires=0) for a binding that never was').toBe(1);
    expect(clock.pending).toBe(0);
    expect(account.registererState).toBe('Terminated');
  });

  it('sends every request of an account with an outbound proxy to the proxy', async () => {
    const proxied = new SipAccount({
      clock, logger: pino({ level: 'silent' }),
      account: {
        id: 'proxied', registrar: { host: 'pbx.invalid', port: 5070 }, outboundProxy: { host: '127.0.0.1', port: registrar.port },
        username: '7002', authUsername: '7002', password: 'x', domain: 'pbx.test', expiresSeconds: 300, localPort: 0,
      },
      settings: { bindAddress: '0.0.0.0', advertisedAddress: '', timers: { t1Ms: 500, t2Ms: 4000 }, keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 4000, accounts: [] },
    });
    const registeredNow = new Promise<void>((resolve) => proxied.once('registered', () => resolve()));
    await proxied.start();
    const register = await answerNext((r) => ok(r, 3600));
    expect(register).toMatch(/^REGISTER sip:pbx\.invalid:5070 SIP\/2\.0\r\n/);
    // The local address towards the proxy is the one advertised.
    expect(register).toMatch(/\r\nVia: SIP\/2\.0\/UDP 127\.0\.0\.1:\d+;/);
    await registeredNow;
    const closing = proxied.close();
    await answerNext((r) => ok(r, 0));
    await closing;
  });

  it('an unanswered keep-alive (Timer F) marks the account failed with timeout and registers again', async () => {
    await account.start();
    await answerNext((r) => ok(r, 3600));
    await until((s) => s.state === 'registered');
    await clock.advance(30_000);
    await registrar.waitFor(2);
    expect(methodOf(registrar.received[1]!.text)).toBe('OPTIONS');
    answered = 2;
    await clock.advance(64 * 500);
    expect(await until((s) => s.state === 'failed')).toMatchObject({ reason: 'timeout' });
    const before = count('REGISTER');
    const total = registrar.received.length;
    await clock.advance(1000);
    await registrar.waitFor(total + 1);
    expect(count('REGISTER')).toBe(before + 1);
    answered = registrar.received.length - 1;
    await answerNext((r) => ok(r, 3600));
    expect(await until((s) => s.state === 'registered')).toMatchObject({ registrations: 2 });
  });
});
