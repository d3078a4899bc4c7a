// An account with a secondary server, against two real Kamailio instances (A the
// registrar, B the secondary; each started once for the file) on a manual clock:
// A stops → registered at B, a new call goes to B and reaches a UA registered
// there, B's INVITEs are the trunk's; A answers again → the account returns only
// after A answered every probe for the hold-down; A answering now and then (a UDP
// relay in front of it drops everything, then nothing) never pulls it back.
// The gateway's and admin page's view of it: test/e2e/sip-failover.test.ts.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import pino from 'pino';
import type { Session, SessionDescriptionHandler } from 'sip.js';
import { SipAccount, type SipAccountStatus } from '../../src/sip-bridge/index.ts';
import { Kamailio } from '../support/kamailio.ts';
import { freePort } from '../support/ports.ts';
import { UdpRelay } from '../support/udp-relay.ts';
import { Baresip } from '../support/baresip.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { until } from '../support/call-flow.ts';
import { untilAccount } from './account-state.ts';

const DOMAIN = 'portier.test';
const T1 = 50;
const KEEPALIVE = 1000;
const HOLD = 3000;
const users = [
  { username: 'lobby', password: 'lobby-secret-1' }, { username: 'alice', password: 'alice-secret-2' }, { username: 'gateway', password: 'gateway-secret-3' },
  { username: 'hall', password: 'hall-secret-4' },
];

let a: Kamailio;
let b: Kamailio;
/** The account's registrar: a relay in front of A, so A can go silent without giving up its port. */
let relay: UdpRelay;
let alice: Baresip;
let clock: ManualClock;
let account: SipAccount;
const invites: string[] = [];

const server = (k: Kamailio) => `127.0.0.1:${k === a ? relay.listen.port : k.port}`;
const registeredAt = (k: Kamailio) => (s: SipAccountStatus) => s.state === 'registered' && s.server === server(k);
const silent = () => relay.impair({ lossPercent: 100, delayMs: 0 });

/** Resolves with the next probe of the primary's outcome. */
const nextProbe = () => new Promise<boolean>((resolve) => account.servers.once('probe', resolve));

/**
 * Waits (in real time, the clock standing still) until the keep-alive OPTIONS to the server in use has come
 * back: the live secondary answers in real time, and moving the clock past its Timer F before that answer was
 * read would count a live server as dead — on a loaded machine it did (the account left B: "no flapping" failed).
 */
async function keepalivesAnswered(): Promise<void> {
  while (account.servers.keepalivesInFlight > 0) await new Promise((resolve) => account.servers.once('keepalive', resolve));
}

/**
 * Moves the clock to the next probe of the primary and returns its outcome. A live primary answers in
 * real time (the clock stands still meanwhile); a silent one's OPTIONS ends with Timer F (64·T1) on this clock.
 */
async function probeOnce(silent: boolean): Promise<boolean> {
  const probe = nextProbe();
  await keepalivesAnswered();
  await clock.advance(KEEPALIVE);
  if (silent) {
    // Time moves in keep-alive steps, each one's answer read before the next step (see keepalivesAnswered).
    for (let moved = 0; moved < 64 * T1; moved += KEEPALIVE) {
      await keepalivesAnswered();
      await clock.advance(Math.min(KEEPALIVE, 64 * T1 - moved));
    }
  }
  return probe;
}

/** Just enough of a session's media for sip.js to offer and take an answer (the call is only routed here). */
function offerOnly(): SessionDescriptionHandler {
  const sdp = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0', 'm=audio 40990 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', 'a=sendrecv', ''].join('\r\n');
  return {
    close: () => undefined,
    getDescription: async () => ({ body: sdp, contentType: 'application/sdp' }),
    hasDescription: (type: string) => type === 'application/sdp',
    setDescription: async () => undefined,
    sendDtmf: () => false,
  };
}

beforeAll(async () => {
  a = await Kamailio.start({ domain: DOMAIN, users });
  b = await Kamailio.start({ domain: DOMAIN, users, lookup: true });
  relay = await UdpRelay.start({ address: '127.0.0.1', port: await freePort() }, { address: '127.0.0.1', port: a.port });
  clock = new ManualClock();
  account = new SipAccount({
    clock, logger: pino({ level: 'silent' }),
    account: {
      id: 'pbx', registrar: { host: '127.0.0.1', port: relay.listen.port }, secondaryRegistrars: [{ host: '127.0.0.1', port: b.port }],
      username: 'lobby', authUsername: 'lobby', password: 'lobby-secret-1', domain: DOMAIN, expiresSeconds: 300, localPort: 0,
      inbound: {
        username: 'trunk', password: 'trunk-secret', realm: 'portier', sources: [], trustRegistrar: true,
        numbers: new Map([['lobby', { entryId: 'entry-1' }]]), terminals: new Map(),
      },
    },
    settings: {
      bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: T1, t2Ms: 8 * T1 },
      keepaliveMs: KEEPALIVE, retryMinMs: 1000, retryMaxMs: 4000, failbackHoldMs: HOLD, accounts: [],
    },
  });
  account.on('invite', (incoming) => {
    invites.push(`${incoming.source.host}:${incoming.source.port}`);
    void incoming.invitation.reject({ statusCode: 486 });
  });
  // alice, a desk phone, registers at B only and sends her calls through it.
  alice = await Baresip.start({
    aor: `sip:alice@${DOMAIN}`,
    accountParams: { auth_pass: 'alice-secret-2', outbound: `"sip:127.0.0.1:${b.port};lr"`, regint: 600, answermode: 'manual' },
  });
  await until(() => alice.output.includes('alice@portier.test: {0/UDP/v4} 200 OK'), 'alice is registered at B');
}, 120_000);

afterAll(async () => {
  // Every server answers at the end, so the account's un-REGISTER ends without Timer F on the manual clock.
  relay?.clear();
  await account?.close();
  await relay?.close();
  await alice?.close();
  await a?.close();
  await b?.close();
});

describe('failover to a secondary server (two Kamailio)', () => {
  it('registers at the primary; when it stops answering, at the secondary, where new calls go and whose INVITEs are the trunk\'s', async () => {
    await account.start();
    await untilAccount(account, registeredAt(a));
    expect(account.status()).toMatchObject({ server: server(a), servers: [server(a), server(b)], registrar: server(a) });
    expect(await a.contacts('lobby')).toHaveLength(1);
    expect(await b.contacts('lobby')).toHaveLength(0);

    await a.stop();
    // The keep-alive to A goes unanswered (Timer F) → the account moves to B at once.
    await clock.advance(KEEPALIVE);
    await clock.advance(64 * T1);
    const atB = await untilAccount(account, registeredAt(b));
    expect(atB).toMatchObject({ server: server(b), registrar: server(a) });
    expect(await b.contacts('lobby')).toHaveLength(1);
    expect(account.servers.switches).toBe(1);

    // A new call goes to B, which finds alice's binding there.
    const invitesAtB = b.requests('INVITE').length;
    const inviter = account.inviter('alice', offerOnly());
    await inviter.invite();
    const incoming = await alice.event('CALL_INCOMING');
    expect(incoming.peeruri).toContain('lobby@portier.test');
    expect(b.requests('INVITE').length).toBeGreaterThan(invitesAtB);
    await inviter.cancel();
    await alice.event('CALL_CLOSED');

    // alice calls Portier's AOR: B relays it from its own address — a trunk call without a challenge (trust_registrar).
    const challenged = account.status().inbound.challenged;
    await alice.command('dial', `sip:lobby@${DOMAIN}`);
    await until(() => invites.length === 1, 'the account took B\'s INVITE');
    expect(invites).toEqual([server(b)]);
    expect(account.status().inbound.challenged).toBe(challenged);
    await alice.event('CALL_CLOSED', () => true, alice.events.findIndex((e) => e.type === 'CALL_CLOSED') + 1);
    await a.restart();
  });

  it('a primary that answers only now and then keeps the account at the secondary (no flapping)', async () => {
    const switches = account.servers.switches;
    for (let round = 0; round < 2; round++) {
      relay.clear();
      expect(await probeOnce(false)).toBe(true);
      silent();
      expect(await probeOnce(true)).toBe(false);
    }
    relay.clear();
    // Answering again, but not yet for the hold-down since its last miss.
    expect(await probeOnce(false)).toBe(true);
    expect(await probeOnce(false)).toBe(true);
    expect(account.status()).toMatchObject({ state: 'registered', server: server(b) });
    expect(account.servers.switches).toBe(switches);
    expect(await a.contacts('lobby')).toHaveLength(0);
  });

  it('returns to the primary once it has answered every probe for the hold-down, and leaves the secondary', async () => {
    // From the last miss A has answered 2 probes (1 s apart); the hold-down is 3 s: two more answered probes.
    const answeredBefore = account.servers.probes.answered;
    expect(await probeOnce(false)).toBe(true);
    expect(account.status().server).toBe(server(b));
    const back = untilAccount(account, registeredAt(a));
    expect(await probeOnce(false)).toBe(true);
    await back;
    expect(account.servers.probes.answered - answeredBefore).toBe(2);
    expect(await a.contacts('lobby')).toHaveLength(1);
    // B's binding is removed (un-REGISTER there), and no probe runs while on the primary.
    // Bounded in time, not in polls (each asks Kamailio; a loaded machine answers slower).
    for (const deadline = Date.now() + 30_000; (await b.contacts('lobby')).length > 0;) {
      if (Date.now() > deadline) throw new Error('B kept the binding for 30 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    let probed = false;
    account.servers.once('probe', () => { probed = true; });
    await clock.advance(3 * KEEPALIVE);
    expect(probed).toBe(false);
    expect(account.status()).toMatchObject({ state: 'registered', server: server(a) });
  });
});

describe('a REGISTER refresh to the primary in flight when the keep-alive moves the account', () => {
  it('its late timeout at the old server does not count against the secondary: the account stays registered there (review s22 #16)', async () => {
    // Its own clock and account (user hall): the keep-alive (79 s) fires just before the refresh (80 % of 100 s).
    const own = new ManualClock();
    const hall = new SipAccount({
      clock: own, logger: pino({ level: 'silent' }),
      account: {
        id: 'hall', registrar: { host: '127.0.0.1', port: relay.listen.port }, secondaryRegistrars: [{ host: '127.0.0.1', port: b.port }],
        username: 'hall', authUsername: 'hall', password: 'hall-secret-4', domain: DOMAIN, expiresSeconds: 100, localPort: 0,
      },
      settings: {
        bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: T1, t2Ms: 8 * T1 },
        keepaliveMs: 79_000, retryMinMs: 1000, retryMaxMs: 4000, failbackHoldMs: HOLD, accounts: [],
      },
    });
    try {
      relay.clear();
      await hall.start();
      await untilAccount(hall, registeredAt(a));
      silent();
      // The keep-alive OPTIONS to A (Timer F at 82.2 s), then the REGISTER refresh to A (Timer F at 83.2 s).
      await own.advance(79_000);
      const dropped = relay.counts.dropped;
      await own.advance(1000);
      expect(relay.counts.dropped).toBeGreaterThan(dropped);
      expect(hall.status().state).toBe('registered');
      // The OPTIONS runs out: the account moves to B and registers there while A's REGISTER is still under way.
      const atB = untilAccount(hall, registeredAt(b));
      await own.advance(64 * T1 - 1000);
      await atB;
      expect(hall.servers.switches).toBe(1);
      // Now A's REGISTER ends in its local 408: it belonged to the registerer the account left.
      await own.advance(1000);
      expect(hall.status()).toMatchObject({ state: 'registered', server: server(b) });
      expect(hall.servers.switches).toBe(1);
      expect(hall.servers.active.port).toBe(b.port);
    } finally {
      relay.clear();
      await hall.close();
    }
  });
});
