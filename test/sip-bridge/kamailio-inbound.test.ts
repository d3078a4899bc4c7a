// Calling Portier through Kamailio (issue 13, slice 2): Portier is registered at
// Kamailio as `lobby`; a real UA (baresip, registered there as `alice`) dials
// Portier's AOR; Kamailio authenticates alice, finds Portier's binding with
// lookup("location") — which rewrites the Request-URI to Portier's contact — and
// relays the INVITE, record-routed. With sip.accounts[].inbound.trust_registrar
// the INVITE from the registrar's own address and port is a trunk call without a
// second challenge (a challenge could not be answered: the caller's digest would
// name the AOR, not the rewritten Request-URI); the account's own number rings the
// reception's desk, which answers; its hang-up goes back through Kamailio. An
// INVITE from any other port of the same host (a spoof of the registrar's address)
// is still challenged (the number check of trusted calls: inbound-guard.test.ts).
// The same through an account made in the admin API, its number added by a PATCH
// (applied live: the account re-registers with it) — the call reaches that entry.
// Kamailio restarted (its location table gone): the keep-alive that runs into the
// restart registers Portier again at once, and alice's next call reaches the desk.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Socket } from 'socket.io-client';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { ApiClient } from '../support/gateway.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Baresip } from '../support/baresip.ts';
import { until } from '../support/call-flow.ts';
import { untilAccount, untilRegisteredAgain } from './account-state.ts';

const DOMAIN = 'portier.test';

describe('a UA registered at Kamailio calls Portier\'s AOR', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let dataDir: string;
  let alice: Baresip;
  const open: Socket[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'portier-kamailio-in-'));
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'alice', password: 'alice-secret-1' }, { username: 'front', password: 'front-secret-2' }],
    });
    ({ gw, site } = await startSeededSipGateway(dataDir, (site) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${site.entries['Empfang']}"}]}}]`,
    // A keep-alive every second: the restart test below waits for one to run into the stopped registrar.
    { env: { PORTIER_SIP__KEEPALIVE_SECONDS: '1' } }));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
    // alice registers at Kamailio (baresip answers its 401 with auth_pass) and sends her calls through it.
    alice = await Baresip.start({
      aor: `sip:alice@${DOMAIN}`,
      accountParams: { auth_pass: 'alice-secret-1', outbound: `"sip:127.0.0.1:${kamailio.port};lr"`, regint: 600 },
    });
    // baresip prints its registrar's 200 (its ctrl_tcp reports no registration event).
    await until(() => alice.output.includes('alice@portier.test: {0/UDP/v4} 200 OK'), 'alice is registered at Kamailio');
    expect(await kamailio.contacts('alice')).toHaveLength(1);
  }, 120_000);

  afterAll(async () => {
    open.forEach((s) => s.close());
    await alice?.close();
    await gw?.close();
    await kamailio?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const account = () => gw.gateway.services.sip.account('pbx')!;

  it('Kamailio relays the call to Portier\'s contact: no second challenge, the reception\'s desk rings and answers, its hang-up reaches the UA', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const before = account().status().inbound;
    const ringing = next(rita, 'call.ring');
    await alice.command('dial', `sip:lobby@${DOMAIN}`);
    const ring = await ringing;
    expect(ring.terminal).toMatchObject({ name: 'alice', siteId: 'hq' });
    // Kamailio looked Portier up: the INVITE it relayed names Portier's contact, and Portier challenged nothing.
    await kamailio.seen(() => kamailio.requests('INVITE').some((l) => l.includes('sip:lobby@portier.test')));
    expect(kamailio.requests('INVITE').some((l) => l.includes('sip:lobby@portier.test'))).toBe(true);
    expect(account().status().inbound).toMatchObject({ challenged: before.challenged, accepted: before.accepted + 1 });
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_ESTABLISHED');
    const call = gw.gateway.services.calls.get(ring.callId);
    expect(call.participants.map((p) => p.kind).sort()).toEqual(['desk', 'sip']);
    expect(await ack(rita, 'call.hangup', { callId: ring.callId })).toMatchObject({ ok: true });
    // Portier's BYE follows Kamailio's Record-Route back to alice.
    await alice.event('CALL_CLOSED');
    await until(() => call.ended, 'the call ends');
    await kamailio.sawRequests('BYE', 1);
    expect(kamailio.requests('BYE').length).toBeGreaterThan(0);
  });

  it('an INVITE from another port of the registrar\'s host (a spoof of its address) is challenged and rings nothing', async () => {
    const port = account().transport!.port;
    const spoof = createSocket('udp4');
    await new Promise<void>((resolve) => spoof.bind(0, '127.0.0.1', resolve));
    const answers: string[] = [];
    spoof.on('message', (b) => answers.push(b.toString('latin1').split('\r\n')[0]!));
    const before = account().status().inbound;
    const local = spoof.address().port;
    const invite = [
      `INVITE sip:lobby@127.0.0.1:${port} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${local};branch=z9hG4bK-spoof-1;rport`,
      'From: "Alice" <sip:alice@portier.test>;tag=spoof1',
      `To: <sip:lobby@${DOMAIN}>`,
      'Call-ID: spoof-1@127.0.0.1',
      'CSeq: 1 INVITE',
      `Contact: <sip:alice@127.0.0.1:${local}>`,
      'Max-Forwards: 70',
      'Content-Length: 0', '', '',
    ].join('\r\n');
    spoof.send(invite, port, '127.0.0.1');
    await until(() => answers.length > 0, 'an answer to the spoofed INVITE');
    expect(answers[0]).toBe('SIP/2.0 401 Unauthorized');
    expect(account().status().inbound).toMatchObject({ challenged: before.challenged + 1, accepted: before.accepted });
    spoof.close();
    expect(gw.gateway.services.calls.activeCalls).toEqual([]);
  });

  it('a number added through the admin API rings its entry: Kamailio relays alice\'s call to the account made there', async () => {
    // The seeding gateway's session is in the data: the admin signs in on this one with its cookie.
    const admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    const made = await admin.post('/api/sip-accounts', {
      id: 'api-pbx', registrar: `127.0.0.1:${kamailio.port}`, username: 'front', password: 'front-secret-2', domain: DOMAIN,
      inbound: { username: 'api-trunk', password: 'api-trunk-secret-9', trustRegistrar: true, numbers: [] },
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    await untilAccount(gw.gateway.services.sip.account('api-pbx')!, (s) => s.state === 'registered');
    // The number: the account's AOR, as Kamailio's lookup leaves it in To; the trunk password left out stays.
    const reception = site.entries['Empfang']!;
    const patched = await admin.call('PATCH', '/api/sip-accounts/api-pbx', { inbound: { username: 'api-trunk', trustRegistrar: true, numbers: [{ number: 'front', entryId: reception }] } });
    expect(patched.status, JSON.stringify(patched.body)).toBe(200);
    const rebuilt = gw.gateway.services.sip.account('api-pbx')!;
    expect(rebuilt.inboundEntry('front')).toBe(reception);
    await untilAccount(rebuilt, (s) => s.state === 'registered');
    // The old instance's un-REGISTER is waited for at most 8·T1 before the new one registers: under load Kamailio may still
    // hold its binding for a while (Kamailio would fork alice's call to both). Read until only the new one is left.
    await expect.poll(() => kamailio.contacts('front'), { timeout: 30_000 }).toHaveLength(1);

    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ringing = next(rita, 'call.ring');
    const from = alice.events.length; // this call's events only
    await alice.command('dial', `sip:front@${DOMAIN}`);
    const ring = await ringing;
    expect(ring.terminal).toMatchObject({ name: 'alice', siteId: 'hq' });
    const call = gw.gateway.services.calls.get(ring.callId);
    expect(call.entryId).toBe(reception);
    expect(rebuilt.status().inbound.accepted).toBe(1);
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_ESTABLISHED', undefined, from);
    expect(await ack(rita, 'call.hangup', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_CLOSED', undefined, from);
    await until(() => call.ended, 'the call ends');
  });

  it('Kamailio restarts and forgets Portier\'s binding: the keep-alive that runs into the restart registers Portier again at once, and alice\'s call reaches the desk', async () => {
    const pbx = account();
    const before = pbx.status().registrations;
    const gaps = pbx.status().gaps;
    const retransmissions = pbx.transport!.retransmissions;
    const resent = retransmissions.retransmitted;
    await kamailio.stop();
    // A keep-alive reaches no one and is sent again (Timer E, T1 500 ms: Timer F is 32 s away).
    await vi.waitFor(() => expect(retransmissions.retransmitted).toBeGreaterThan(resent), { timeout: 10_000, interval: 20 });
    await kamailio.restart();
    // The retransmission is answered by the restarted Kamailio: REGISTER now, not at the refresh (240 s away).
    await untilRegisteredAgain(pbx, before);
    expect(pbx.status().gaps).toBeGreaterThan(gaps);
    expect(await kamailio.contacts('lobby')).toHaveLength(1);

    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    open.push(rita);
    const ringing = next(rita, 'call.ring');
    const from = alice.events.length;
    await alice.command('dial', `sip:lobby@${DOMAIN}`);
    const ring = await ringing;
    expect(ring.terminal).toMatchObject({ name: 'alice', siteId: 'hq' });
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_ESTABLISHED', undefined, from);
    const call = gw.gateway.services.calls.get(ring.callId);
    expect(await ack(rita, 'call.hangup', { callId: ring.callId })).toMatchObject({ ok: true });
    await alice.event('CALL_CLOSED', undefined, from);
    await until(() => call.ended, 'the call ends');
  });
});
