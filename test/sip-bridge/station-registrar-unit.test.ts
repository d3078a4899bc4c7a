// The door stations' registrar on a manual clock, without processes: its digest
// check is the accounts' (digest-gate.ts) — a nonce opens one INVITE transaction
// and one call, and the station's call tells the registrar when it is over, so
// the same INVITE bytes again (a replay from a spoofed station address) are
// challenged afresh (review s21 #2); the established call's in-dialog requests
// never pay the per-source bucket (#18); a REGISTER's Authorization binds once
// (#3); and a station has one call at a time, all stations a few (#8). Over TCP/TLS a binding and a call live
// on the station's connection (its flow): requests to it go out there, the connection does not idle out while it
// carries one, and its end ends the binding. Digest responses are computed here as a station computes them
// (RFC 2617, qop=auth).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { StationRegistrar, type StationInvitation } from '../../src/sip-bridge/station-registrar.ts';
import type { GuardVerdict, InboundLimits } from '../../src/sip-bridge/inbound-guard.ts';
import { parseWire, serialize, type HostPort, type WireMessage } from '../../src/sip-bridge/sip-wire.ts';
import type { RequestGuard } from '../../src/sip-bridge/udp-transport.ts';
import { ManualClock } from '../support/manual-clock.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const SECRET = 'station-secret-7';
const STATION = { host: '127.0.0.55', port: 5060 };
const URI = 'sip:door-btn@127.0.0.1';
const limits: InboundLimits = { ratePerMinute: 60, burst: 5, maxSources: 100, nonceTtlMs: 30_000, maxCalls: 4, busyRetrySeconds: 30, refusalLogMs: 60_000 };

interface RequestOpts { user?: string; method?: string; uri?: string; callId?: string; branch?: string; cseq?: number; authorization?: string; fromTag?: string; toTag?: string; extra?: string[] }

function request(opts: RequestOpts = {}): WireMessage {
  const method = opts.method ?? 'INVITE';
  const uri = opts.uri ?? URI;
  return parseWire([
    `${method} ${uri} SIP/2.0`, `Via: SIP/2.0/UDP ${STATION.host}:${STATION.port};branch=${opts.branch ?? 'z9hG4bK-1'};rport`,
    `From: "Door" <sip:${opts.user ?? 'door'}@127.0.0.1>;tag=${opts.fromTag ?? 'st'}`, `To: <${uri}>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? 'call-1'}`, `CSeq: ${opts.cseq ?? 1} ${method}`, `Contact: <sip:door@${STATION.host}:${STATION.port}>`,
    ...(opts.extra ?? []), ...(opts.authorization ? [`Authorization: ${opts.authorization}`] : []), 'Content-Length: 0', '', '',
  ].join('\r\n'))!;
}

function answer(verdict: GuardVerdict, method: string, uri: string, nc = '00000001', user = 'door'): string {
  expect(verdict).toMatchObject({ action: 'reply', status: 401 });
  const challenge = (verdict as { headers: string[] }).headers[0]!;
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const ha1 = md5(`${user}:portier:${SECRET}`);
  const response = md5(`${ha1}:${nonce}:${nc}:c0ffee:auth:${md5(`${method}:${uri}`)}`);
  return `Digest username="${user}", realm="portier", nonce="${nonce}", uri="${uri}", response="${response}", qop=auth, nc=${nc}, cnonce="c0ffee", algorithm=MD5`;
}

/** sip.js's Invitation as far as the registrar uses it (the station's From tag 'st', `ourTag` sip.js's own): its state changes are driven by the test. */
function fakeInvitation(callId: string, ourTag = `ours-${callId}`) {
  const listeners: Array<(state: string) => void> = [];
  const rejected: number[] = [];
  const headers: string[] = [];
  const invitation = {
    request: { callId, fromTag: 'st', toTag: ourTag },
    stateChange: { addListener: (l: (state: string) => void) => void listeners.push(l) },
    reject: async (o?: { statusCode?: number; extraHeaders?: string[] }) => {
      rejected.push(o?.statusCode ?? 0);
      headers.push(...(o?.extraHeaders ?? []));
    },
  };
  return { invitation: invitation as unknown as StationInvitation, rejected, headers, state: (s: string) => listeners.forEach((l) => l(s)) };
}

describe('door-station registrar (unit, manual clock)', () => {
  let clock: ManualClock;
  let registrar: StationRegistrar;
  let guard: RequestGuard;

  beforeEach(() => {
    clock = new ManualClock();
    registrar = new StationRegistrar({
      directory: { credentialsOf: (user) => (user === 'door' ? { stationId: 'st-1', secret: SECRET } : user.startsWith('door') ? { stationId: `st-${user}`, secret: SECRET } : undefined) },
      realm: 'portier', minExpires: 60, maxExpires: 3600, limits, clock, logger: pino({ level: 'silent' }), ownUser: 'portier', transactionMs: 32_000,
      maxCalls: 1, maxCallsTotal: 2,
    });
    guard = registrar.transportGuard();
  });
  afterEach(() => registrar.close());

  it('the same INVITE bytes once the station\'s call is over are challenged afresh, not delivered (review s21 #2)', () => {
    const auth = answer(guard.check(request(), STATION), 'INVITE', URI);
    const captured = () => request({ branch: 'z9hG4bK-captured', authorization: auth });
    expect(guard.check(captured(), STATION).action).toBe('deliver');
    const call = fakeInvitation('call-1');
    expect(registrar.take(call.invitation, false)).toMatchObject({ stationId: 'st-1', dialled: 'door-btn' });
    // A retransmission while sip.js's transaction runs still passes (sip.js absorbs it).
    clock.t += 2_000;
    expect(guard.check(captured(), STATION).action).toBe('deliver');
    // Busy, outside hours or cancelled: the call ends without a 200; 20 s later the captured INVITE again.
    call.state('Terminated');
    clock.t += 18_000;
    const replay = guard.check(captured(), STATION);
    expect(replay).toMatchObject({ action: 'reply', status: 401 });
    expect((replay as { headers: string[] }).headers[0]).toContain('stale=true');
    expect(registrar.counters.invites).toBe(1);
  });

  it('a used INVITE nonce opens nothing in another transaction or past the transaction\'s time', () => {
    const auth = answer(guard.check(request(), STATION), 'INVITE', URI);
    expect(guard.check(request({ branch: 'z9hG4bK-a', authorization: auth }), STATION).action).toBe('deliver');
    expect(guard.check(request({ branch: 'z9hG4bK-b', authorization: auth }), STATION)).toMatchObject({ status: 401 });
    clock.t += 33_000;
    expect(guard.check(request({ branch: 'z9hG4bK-a', authorization: auth }), STATION)).toMatchObject({ status: 401 });
  });

  it('an INVITE nobody accepted is refused 403 by sip.js\'s hand-over; a closed socket answers 503', () => {
    const stray = fakeInvitation('never-accepted');
    expect(registrar.take(stray.invitation, false)).toBeUndefined();
    expect(stray.rejected).toEqual([403]);
    const auth = answer(guard.check(request({ callId: 'late' }), STATION), 'INVITE', URI);
    expect(guard.check(request({ callId: 'late', authorization: auth }), STATION).action).toBe('deliver');
    const late = fakeInvitation('late');
    expect(registrar.take(late.invitation, true)).toBeUndefined();
    expect(late.rejected).toEqual([503]);
  });

  it('an established station call\'s in-dialog requests never pay the per-source bucket (review s21 #18)', () => {
    const auth = answer(guard.check(request({ callId: 'live' }), STATION), 'INVITE', URI);
    expect(guard.check(request({ callId: 'live', authorization: auth }), STATION).action).toBe('deliver');
    const call = fakeInvitation('live');
    registrar.take(call.invitation, false);
    call.state('Established');
    const inDialog = (method: string) => Buffer.from(serialize(request({ method, callId: 'live', toTag: 'ours' })));
    const verdicts = Array.from({ length: 40 }, (_, i) => guard.admit(STATION.host, inDialog(['INFO', 'ACK', 'INVITE', 'INFO'][i % 4]!)));
    expect(verdicts.filter((v) => v !== 'pass')).toEqual([]);
    // Once the call is over its requests pay again: five tokens, then limited.
    call.state('Terminated');
    expect(Array.from({ length: 7 }, () => guard.admit(STATION.host, inDialog('BYE')))).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'limited', 'drop']);
  });

  /** A REGISTER of the station asking `expires` seconds. */
  const register = (o: { expires: number; branch: string; cseq: number; authorization?: string; callId?: string }) => request({
    method: 'REGISTER', uri: 'sip:127.0.0.1', callId: o.callId ?? 'reg-1', branch: o.branch, cseq: o.cseq, authorization: o.authorization, extra: [`Expires: ${o.expires}`],
  });

  it('a 200\'d REGISTER re-sent with Expires: 0 and the same Authorization unregisters nothing (review s21 #3)', () => {
    const auth = answer(guard.check(register({ expires: 120, branch: 'z9hG4bK-r1', cseq: 1 }), STATION), 'REGISTER', 'sip:127.0.0.1');
    expect(guard.check(register({ expires: 120, branch: 'z9hG4bK-r2', cseq: 2, authorization: auth }), STATION)).toMatchObject({ status: 200 });
    const bound = registrar.binding('st-1')!;
    expect(bound.expiresAt).toBe(clock.t + 120_000);
    clock.t += 10_000;
    // Replayed from the station's (spoofed) address with Expires: 0 and a higher CSeq (neither is under the digest).
    const replay = guard.check(register({ expires: 0, branch: 'z9hG4bK-r3', cseq: 3, authorization: auth }), STATION);
    expect(replay).toMatchObject({ action: 'reply', status: 401 });
    expect((replay as { headers: string[] }).headers[0]).toContain('stale=true');
    // The same transaction again (a retransmission's branch) changes nothing either: answered with the binding as it is.
    const retransmitted = guard.check(register({ expires: 0, branch: 'z9hG4bK-r2', cseq: 2, authorization: auth }), STATION);
    expect(retransmitted).toMatchObject({ status: 200, headers: expect.arrayContaining(['Expires: 110']) });
    expect(registrar.binding('st-1')).toEqual(bound);
  });

  it('a station may reuse its nonce with a higher nonce count (RFC 7616), and within one Call-ID only a higher CSeq counts (RFC 3261 §10.3)', () => {
    const offline: string[] = [];
    registrar.on('offline', (o) => offline.push(o.why));
    const first = guard.check(register({ expires: 120, branch: 'z9hG4bK-n1', cseq: 1 }), STATION);
    const nc1 = answer(first, 'REGISTER', 'sip:127.0.0.1', '00000001');
    expect(guard.check(register({ expires: 120, branch: 'z9hG4bK-n2', cseq: 5, authorization: nc1 }), STATION)).toMatchObject({ status: 200 });
    // A reordered older REGISTER with a fresh count but a lower CSeq: refused, binding kept.
    const nc2 = answer(first, 'REGISTER', 'sip:127.0.0.1', '00000002');
    expect(guard.check(register({ expires: 0, branch: 'z9hG4bK-n3', cseq: 4, authorization: nc2 }), STATION)).toMatchObject({ status: 400 });
    expect(registrar.binding('st-1')).toBeDefined();
    const nc3 = answer(first, 'REGISTER', 'sip:127.0.0.1', '00000003');
    expect(guard.check(register({ expires: 0, branch: 'z9hG4bK-n4', cseq: 6, authorization: nc3 }), STATION)).toMatchObject({ status: 200 });
    expect(registrar.binding('st-1')).toBeUndefined();
    expect(offline).toEqual(['unregistered']);
  });

  it('two station calls with one Call-ID from one address: the end of one leaves the other\'s in-dialog pass and its INVITE\'s nonce (review s27 #3)', () => {
    const call = (user: string, ourTag: string) => {
      const auth = answer(guard.check(request({ user, callId: 'c-same' }), STATION), 'INVITE', URI, '00000001', user);
      const invite = () => request({ user, callId: 'c-same', branch: `z9hG4bK-${user}`, authorization: auth });
      expect(guard.check(invite(), STATION)).toEqual({ action: 'deliver' });
      const c = fakeInvitation('c-same', ourTag);
      expect(registrar.take(c.invitation, false)).toBeDefined();
      c.state('Established');
      return { ...c, invite };
    };
    const a = call('door-a', 'ours-a');
    // A second later (a nonce is made of the time, the Call-ID and the address: B gets its own).
    clock.t += 1_000;
    const b = call('door-b', 'ours-b');
    b.state('Terminated');
    // A's in-dialog requests (Call-ID c-same, our tag ours-a) still pass past the burst of five.
    const inDialog = (method: string) => Buffer.from(serialize(request({ user: 'door-a', method, callId: 'c-same', fromTag: 'st', toTag: 'ours-a' })));
    const verdicts = Array.from({ length: 20 }, (_, i) => guard.admit(STATION.host, inDialog(['INFO', 'BYE'][i % 2]!)));
    expect(verdicts.filter((v) => v !== 'pass')).toEqual([]);
    // A's INVITE retransmitted within its transaction is still its own, not a replay of an ended call's.
    expect(guard.check(a.invite(), STATION).action).toBe('deliver');
    // B's INVITE again once B is over: challenged afresh.
    expect(guard.check(b.invite(), STATION)).toMatchObject({ action: 'reply', status: 401 });
    a.state('Terminated');
    expect(guard.check(a.invite(), STATION)).toMatchObject({ action: 'reply', status: 401 });
  });

  /** A station's INVITE, challenged and answered, handed over as sip.js would: the fake invitation. */
  const stationCall = (user: string, callId: string) => {
    const auth = answer(guard.check(request({ user, callId }), STATION), 'INVITE', URI, '00000001', user);
    expect(guard.check(request({ user, callId, branch: `z9hG4bK-${callId}`, authorization: auth }), STATION).action).toBe('deliver');
    const call = fakeInvitation(callId);
    return { ...call, invite: registrar.take(call.invitation, false) };
  };

  it('a station has one call at a time: a second concurrent INVITE gets 486 with Retry-After; after the first ends it is taken (review s21 #8)', () => {
    const first = stationCall('door', 'c-1');
    expect(first.invite).toMatchObject({ stationId: 'st-1' });
    const second = stationCall('door', 'c-2');
    expect(second.invite).toBeUndefined();
    expect(second.rejected).toEqual([486]);
    expect(second.headers).toEqual(['Retry-After: 30']);
    expect(registrar.counters.busy).toBe(1);
    second.state('Terminated');
    first.state('Established');
    first.state('Terminated');
    expect(stationCall('door', 'c-3').invite).toMatchObject({ stationId: 'st-1' });
    expect(registrar.liveCalls).toBe(1);
  });

  it('all stations together have at most max_calls_total calls (2 here): the third station gets 486', () => {
    expect(stationCall('door-a', 't-1').invite).toMatchObject({ stationId: 'st-door-a' });
    expect(stationCall('door-b', 't-2').invite).toMatchObject({ stationId: 'st-door-b' });
    const third = stationCall('door-c', 't-3');
    expect(third.rejected).toEqual([486]);
    expect(registrar.liveCalls).toBe(2);
  });

  describe('over TCP/TLS (flows)', () => {
    /** The station's connection: its address and ephemeral port (its Contact names port 5060). */
    const FLOW = { host: '127.0.0.55', port: 40_001 };
    /** Our in-dialog request to the station: From names our tag (fakeInvitation's), To the station's. */
    const toContact = (callId: string, ourTag = `ours-${callId}`) => request({ method: 'INFO', uri: 'sip:door@127.0.0.55:5060', callId, fromTag: ourTag, toTag: 'st' });

    it('a binding lives on its connection: requests to its Contact go out there, it does not idle out, and it ends when the connection closes', () => {
      const tcp = registrar.transportGuard('tcp');
      const flows = registrar.flows('tcp');
      const offline: string[] = [];
      registrar.on('offline', (o) => offline.push(o.why));
      const auth = answer(tcp.check(register({ expires: 120, branch: 'z9hG4bK-t1', cseq: 1 }), FLOW), 'REGISTER', 'sip:127.0.0.1');
      expect(tcp.check(register({ expires: 120, branch: 'z9hG4bK-t2', cseq: 2, authorization: auth }), FLOW)).toMatchObject({ status: 200 });
      expect(registrar.binding('st-1')).toMatchObject({ transport: 'tcp', source: FLOW, contact: 'sip:door@127.0.0.55:5060' });

      expect(flows.flowOf(toContact('other'), { host: '127.0.0.55', port: 5060 })).toEqual(FLOW);
      expect(flows.flowOf(toContact('other'), { host: '127.0.0.56', port: 5060 })).toBeUndefined();
      // Another transport's socket has no flow of it.
      expect(registrar.flows('tls').flowOf(toContact('other'), { host: '127.0.0.55', port: 5060 })).toBeUndefined();
      // Kept past sip.stream_idle_seconds while it carries the binding: the longest registration and a minute.
      expect(flows.idleMsOf(FLOW)).toBe(3_600_000 + 60_000);
      expect(flows.idleMsOf({ host: '127.0.0.55', port: 40_002 })).toBeUndefined();

      flows.closed({ host: '127.0.0.55', port: 40_002 });
      expect(offline).toEqual([]);
      // The kernel writes the peer IPv4-mapped on a dual-stack listener: the same flow.
      flows.closed({ host: '::ffff:127.0.0.55', port: 40_001 });
      expect(offline).toEqual(['connection-lost']);
      expect(registrar.binding('st-1')).toBeUndefined();
      expect(flows.flowOf(toContact('other'), { host: '127.0.0.55', port: 5060 })).toBeUndefined();
    });

    it('a binding that moves to another connection, and a call that ends, release their flow (review s26 #10)', () => {
      const tcp = registrar.transportGuard('tcp');
      const released: HostPort[] = [];
      registrar.flows('tcp').onReleased!((peer) => released.push(peer));
      const FLOW2 = { host: '127.0.0.55', port: 40_002 };
      const auth = answer(tcp.check(register({ expires: 120, branch: 'z9hG4bK-m1', cseq: 1 }), FLOW), 'REGISTER', 'sip:127.0.0.1');
      expect(tcp.check(register({ expires: 120, branch: 'z9hG4bK-m2', cseq: 2, authorization: auth }), FLOW)).toMatchObject({ status: 200 });
      expect(released).toEqual([]);
      const again = answer(tcp.check(register({ expires: 120, branch: 'z9hG4bK-m3', cseq: 3 }), FLOW2), 'REGISTER', 'sip:127.0.0.1', '00000002');
      expect(tcp.check(register({ expires: 120, branch: 'z9hG4bK-m4', cseq: 4, authorization: again }), FLOW2)).toMatchObject({ status: 200 });
      expect(released).toEqual([FLOW]);
      expect(registrar.flows('tcp').idleMsOf(FLOW)).toBeUndefined();

      const inviteAuth = answer(tcp.check(request({ callId: 'c-m' }), FLOW), 'INVITE', URI);
      expect(tcp.check(request({ callId: 'c-m', branch: 'z9hG4bK-m5', authorization: inviteAuth }), FLOW).action).toBe('deliver');
      const call = fakeInvitation('c-m');
      registrar.take(call.invitation, false);
      call.state('Terminated');
      expect(released).toEqual([FLOW, FLOW]);
    });

    it('a station\'s call goes back over the connection its INVITE came on until it ends; a UDP binding has no flow', () => {
      const tls = registrar.transportGuard('tls');
      const flows = registrar.flows('tls');
      const inviteAuth = answer(tls.check(request({ callId: 'c-tls' }), FLOW), 'INVITE', URI);
      expect(tls.check(request({ callId: 'c-tls', branch: 'z9hG4bK-tls', authorization: inviteAuth }), FLOW).action).toBe('deliver');
      const call = fakeInvitation('c-tls');
      expect(registrar.take(call.invitation, false)).toMatchObject({ stationId: 'st-1', transport: 'tls', source: FLOW });
      // Not registered: the call's own Call-ID finds its connection, whatever its Contact.
      expect(flows.flowOf(toContact('c-tls'), { host: '127.0.0.55', port: 5060 })).toEqual(FLOW);
      expect(flows.idleMsOf(FLOW)).toBe(3_600_000 + 60_000);
      call.state('Terminated');
      expect(flows.flowOf(toContact('c-tls'), { host: '127.0.0.55', port: 5060 })).toBeUndefined();
      expect(flows.idleMsOf(FLOW)).toBeUndefined();

      // Registered over UDP: no TCP/TLS socket sends to it.
      const auth = answer(guard.check(register({ expires: 120, branch: 'z9hG4bK-u1', cseq: 1 }), STATION), 'REGISTER', 'sip:127.0.0.1');
      expect(guard.check(register({ expires: 120, branch: 'z9hG4bK-u2', cseq: 2, authorization: auth }), STATION)).toMatchObject({ status: 200 });
      expect(registrar.binding('st-1')?.transport).toBe('udp');
      expect(registrar.flows('tcp').flowOf(toContact('other'), STATION)).toBeUndefined();
      registrar.flows('tcp').closed(STATION);
      expect(registrar.binding('st-1')).toBeDefined();
    });

    it('two stations\' calls with one Call-ID (counter-style, or forged with the From tag too) each keep their connection: a call\'s flow is found by the dialog Portier named (review s26 #11)', () => {
      const tcp = registrar.transportGuard('tcp');
      const flows = registrar.flows('tcp');
      const FLOW2 = { host: '127.0.0.66', port: 40_002 };
      const CONTACT = { host: '127.0.0.55', port: 5060 };
      const call = (user: string, from: HostPort, ourTag: string) => {
        const auth = answer(tcp.check(request({ user, callId: 'c-same' }), from), 'INVITE', URI, '00000001', user);
        expect(tcp.check(request({ user, callId: 'c-same', branch: `z9hG4bK-${user}`, authorization: auth }), from).action).toBe('deliver');
        const c = fakeInvitation('c-same', ourTag);
        return { ...c, invite: registrar.take(c.invitation, false) };
      };
      const a = call('door-a', FLOW, 'ours-a');
      expect(a.invite).toMatchObject({ stationId: 'st-door-a', source: FLOW });
      // Station B's INVITE names A's live Call-ID and A's From tag; sip.js takes it as a new dialog (its own tag).
      const b = call('door-b', FLOW2, 'ours-b');
      expect(b.invite).toMatchObject({ stationId: 'st-door-b', source: FLOW2 });
      expect(flows.flowOf(toContact('c-same', 'ours-a'), CONTACT)).toEqual(FLOW);
      expect(flows.flowOf(toContact('c-same', 'ours-b'), CONTACT)).toEqual(FLOW2);
      // A tag no call of ours has finds no call's flow (nor the Call-ID alone).
      expect(flows.flowOf(toContact('c-same', 'st'), CONTACT)).toBeUndefined();
      b.state('Terminated');
      expect(flows.flowOf(toContact('c-same', 'ours-a'), CONTACT)).toEqual(FLOW);
      expect(flows.flowOf(toContact('c-same', 'ours-b'), CONTACT)).toBeUndefined();
      expect(flows.idleMsOf(FLOW)).toBe(3_600_000 + 60_000);
      expect(flows.idleMsOf(FLOW2)).toBeUndefined();
      expect(registrar.liveCalls).toBe(1);
      a.state('Terminated');
      expect(flows.flowOf(toContact('c-same', 'ours-a'), CONTACT)).toBeUndefined();
      expect(registrar.liveCalls).toBe(0);
    });
  });
});
