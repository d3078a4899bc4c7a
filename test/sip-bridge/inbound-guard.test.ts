// The inbound guard of an account's socket on a manual clock: a new INVITE is
// challenged (401 with a digest nonce), a correct answer passes addressed to the
// account's user with the dialled number noted, wrong credentials, foreign
// sources and unknown numbers are refused (403/404), a nonce opens one
// transaction only, and a source over the rate limit is answered once and then
// dropped, logged as one line per run. Digest responses are computed here as a
// PBX computes them (RFC 2617).
import { describe, it, expect, beforeEach } from 'vitest';
import { createHash } from 'node:crypto';
import pino from 'pino';
import { Writable } from 'node:stream';
import { InboundGuard, parseFrom, type GuardVerdict, type InboundLimits } from '../../src/sip-bridge/inbound-guard.ts';
import { parseWire, serialize, type WireMessage } from '../../src/sip-bridge/sip-wire.ts';
import { ManualClock } from '../support/manual-clock.ts';

const md5 = (s: string) => createHash('md5').update(s).digest('hex');
const TRUNK = { username: 'pbx-in', password: 'trunk-secret-9', realm: 'portier' };
const PBX = { host: '127.0.0.1', port: 5060 };

let seq = 0;
function invite(opts: { to?: string; callId?: string; branch?: string; authorization?: string; method?: string; toTag?: string; from?: string; headers?: string[] } = {}): WireMessage {
  const method = opts.method ?? 'INVITE';
  const to = opts.to ?? '4711';
  const lines = [
    `${method} sip:${to}@portier.test SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:5060;branch=${opts.branch ?? `z9hG4bK-${++seq}`};rport`,
    `From: ${opts.from ?? '"Reception" <sip:7001@pbx.test>'};tag=abc`,
    ...(opts.headers ?? []),
    `To: <sip:${to}@portier.test>${opts.toTag ? `;tag=${opts.toTag}` : ''}`,
    `Call-ID: ${opts.callId ?? `call-${seq}`}`,
    `CSeq: 1 ${method}`,
    'Contact: <sip:7001@127.0.0.1:5060>',
    ...(opts.authorization ? [`Authorization: ${opts.authorization}`] : []),
    'Content-Length: 0', '', '',
  ];
  return parseWire(lines.join('\r\n'))!;
}

function answer(challenge: string, creds: { username: string; password: string; realm: string }, uri: string): string {
  const nonce = /nonce="([^"]+)"/.exec(challenge)![1]!;
  const realm = /realm="([^"]+)"/.exec(challenge)![1]!;
  const ha1 = md5(`${creds.username}:${creds.realm}:${creds.password}`);
  const ha2 = md5(`INVITE:${uri}`);
  const response = md5(`${ha1}:${nonce}:00000001:c0ffee:auth:${ha2}`);
  return `Digest username="${creds.username}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=00000001, cnonce="c0ffee"`;
}

const serializeInvite = (msg: WireMessage): string => serialize(msg);

const challengeOf = (v: GuardVerdict): string => {
  expect(v).toMatchObject({ action: 'reply', status: 401 });
  return (v as { headers: string[] }).headers.find((h) => h.startsWith('WWW-Authenticate:'))!.slice('WWW-Authenticate: '.length);
};

describe('inbound guard', () => {
  let clock: ManualClock;
  let logs: Array<{ msg: string; refused?: Record<string, number>; total?: number }>;
  let guard: InboundGuard;
  const limits: InboundLimits = { ratePerMinute: 60, burst: 5, maxSources: 3, nonceTtlMs: 30_000, maxCalls: 4, busyRetrySeconds: 30, refusalLogMs: 60_000 };

  const make = (overrides: Partial<{ sources: string[] }> = {}) => new InboundGuard({
    accountId: 'pbx', accountUser: 'lobby', clock, limits,
    logger: pino({ level: 'warn' }, new Writable({ write(chunk, _e, cb) { logs.push(JSON.parse(String(chunk))); cb(); } })),
    trunk: { credentials: TRUNK, sources: overrides.sources ?? [], numbers: new Set(['4711', '+4930123']) },
  });

  beforeEach(() => {
    clock = new ManualClock();
    logs = [];
    guard = make();
  });

  /** Challenge, then answer with `creds`: the verdict of the second INVITE. */
  const authenticated = (creds = TRUNK, to = '4711', callId = `c-${++seq}`, extra: { from?: string; headers?: string[] } = {}) => {
    const first = guard.check(invite({ to, callId, ...extra }), PBX);
    const msg = invite({ to, callId, ...extra, authorization: answer(challengeOf(first), creds, `sip:${to}@portier.test`) });
    return { verdict: guard.check(msg, PBX), msg };
  };

  it('challenges a new INVITE and lets the correct answer through, addressed to the account user', () => {
    const { verdict, msg } = authenticated();
    expect(verdict).toEqual({
      action: 'deliver',
      invite: { callId: expect.any(String), dialled: '4711', caller: '7001', callerName: 'Reception', source: PBX },
    });
    expect(msg.lines[0]).toBe('INVITE sip:lobby@portier.test SIP/2.0');
    expect(guard.counters).toEqual({ challenged: 1, accepted: 1, refused: 0, limited: 0, busy: 0 });
  });

  it('refuses wrong credentials with 403 and logs why, in the interval\'s summary line', async () => {
    expect(authenticated({ ...TRUNK, password: 'guess' }).verdict).toMatchObject({ action: 'reply', status: 403 });
    expect(authenticated({ ...TRUNK, username: 'someone' }).verdict).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.counters.accepted).toBe(0);
    expect(logs).toEqual([]);
    await clock.advance(60_000);
    expect(logs).toEqual([expect.objectContaining({ refused: { 'digest-wrong-response': 1, 'digest-wrong-user': 1 }, total: 2 })]);
  });

  it('refuses a number the trunk may not call with 404, after authentication', async () => {
    expect(authenticated(TRUNK, '9999').verdict).toMatchObject({ action: 'reply', status: 404 });
    expect(authenticated(TRUNK, '+4930123').verdict).toMatchObject({ action: 'deliver', invite: { dialled: '+4930123' } });
    await clock.advance(60_000);
    expect(logs.at(-1)).toMatchObject({ refused: { number: 1 } });
  });

  const PAI = (value: string) => ({ headers: [`P-Asserted-Identity: ${value}`] });

  it('a terminal\'s number takes only its configured callers: another caller of the trunk gets 403 after authentication, counted as caller', async () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits,
      logger: pino({ level: 'warn' }, new Writable({ write(chunk, _e, cb) { logs.push(JSON.parse(String(chunk))); cb(); } })),
      // 4790 reaches a terminal: only 7001 may call it (as the PBX at PBX.host asserts); 4791 only 7002.
      trunk: { credentials: TRUNK, sources: [PBX.host], numbers: new Set(['4711', '4790', '4791']), callers: new Map([['4790', new Set(['7001'])], ['4791', new Set(['7002'])]]) },
    });
    expect(authenticated(TRUNK, '4790', undefined, PAI('<sip:7001@pbx.test>')).verdict).toMatchObject({ action: 'deliver', invite: { dialled: '4790', caller: '7001' } });
    expect(authenticated(TRUNK, '4791', undefined, PAI('<sip:7001@pbx.test>')).verdict).toEqual({ action: 'reply', status: 403, reason: 'Forbidden' });
    // Numbers of phone-book entries are not limited by caller.
    expect(authenticated(TRUNK, '4711').verdict).toMatchObject({ action: 'deliver' });
    expect(guard.counters).toMatchObject({ accepted: 2, refused: 1 });
    await clock.advance(60_000);
    expect(logs).toEqual([expect.objectContaining({ refused: { caller: 1 }, total: 1 })]);
  });

  it('a terminal\'s caller is the P-Asserted-Identity the trunk\'s sources assert, never the From header a PBX passes through (review s21 #1)', () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits, logger: pino({ level: 'silent' }),
      trunk: { credentials: TRUNK, sources: [PBX.host], numbers: new Set(['4790']), callers: new Map([['4790', new Set(['7001', '+4930123'])]]) },
    });
    // A listed number in From (spoofed caller ID from outside) without an asserted identity: 403.
    expect(authenticated(TRUNK, '4790').verdict).toMatchObject({ action: 'reply', status: 403 });
    // From listed, the PBX asserts someone else: 403.
    expect(authenticated(TRUNK, '4790', undefined, PAI('<sip:6666@pbx.test>')).verdict).toMatchObject({ action: 'reply', status: 403 });
    // From unlisted, the PBX asserts a listed caller: that caller, with the asserted display name.
    expect(authenticated(TRUNK, '4790', undefined, { from: '"Notruf" <sip:6666@pbx.test>', ...PAI('"Reception" <sip:7001@pbx.test>') }).verdict)
      .toMatchObject({ action: 'deliver', invite: { caller: '7001', callerName: 'Reception' } });
    // A tel: and a sip: identity naming the same caller (RFC 3325 §9.1), in one header: that caller.
    expect(authenticated(TRUNK, '4790', undefined, PAI('<tel:+4930123;phone-context=pbx.test>, <sip:+4930123@pbx.test>')).verdict)
      .toMatchObject({ action: 'deliver', invite: { caller: '+4930123' } });
    // Identities that disagree — an outside caller's assertion forwarded beside the PBX's own — count for nothing,
    // whichever of them is listed (review s22 #26): a tel: and a sip: of different callers, two sip: ones, three.
    expect(authenticated(TRUNK, '4790', undefined, PAI('<tel:+4930123;phone-context=pbx.test>, <sip:7999@pbx.test>')).verdict)
      .toMatchObject({ action: 'reply', status: 403 });
    expect(authenticated(TRUNK, '4790', undefined, { headers: ['P-Asserted-Identity: <sip:+4930555123@pbx.test>', 'P-Asserted-Identity: <tel:7001>'] }).verdict)
      .toMatchObject({ action: 'reply', status: 403 });
    expect(authenticated(TRUNK, '4790', undefined, { headers: ['P-Asserted-Identity: <sip:7999@pbx.test>', 'p-asserted-identity: <sip:7001@pbx.test>'] }).verdict)
      .toMatchObject({ action: 'reply', status: 403 });
    expect(authenticated(TRUNK, '4790', undefined, PAI('<sip:7001@pbx.test>, <tel:7001>, <sip:7001@other.test>')).verdict)
      .toMatchObject({ action: 'reply', status: 403 });
    // The same identity from a trusted registrar that is not one of the sources counts for nothing.
    const registrar = { host: '127.0.0.5', port: 5060 };
    guard.trustPeers([registrar]);
    expect(guard.check(invite({ to: '4790', callId: 'r-1', ...PAI('<sip:7001@pbx.test>') }), registrar)).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.counters).toMatchObject({ accepted: 2, refused: 7 });
  });

  it('a trusted registrar (trust_registrar): its INVITEs from its address and port are trunk calls without a challenge, still only to configured numbers and callers; the same host from another port is challenged', async () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits,
      logger: pino({ level: 'warn' }, new Writable({ write(chunk, _e, cb) { logs.push(JSON.parse(String(chunk))); cb(); } })),
      trunk: { credentials: TRUNK, sources: [], numbers: new Set(['lobby', '4790']), callers: new Map([['4790', new Set(['7002'])]]) },
    });
    const registrar = { host: '127.0.0.5', port: 5060 };
    guard.trustPeers([registrar]);
    // Kamailio's lookup rewrote the Request-URI to Portier's contact (the account's user): no Authorization, delivered.
    const relayed = invite({ to: 'lobby', callId: 'k-1' });
    expect(guard.check(relayed, registrar)).toMatchObject({ action: 'deliver', invite: { dialled: 'lobby', caller: '7001', source: registrar } });
    // lookup rewrote the Request-URI to Portier's contact (sip.js's random user): the number is the To header's user.
    const rewritten = invite({ to: 'lobby', callId: 'k-6' });
    rewritten.requestUri = 'sip:x8f2kq0d@127.0.0.1:5062;transport=udp';
    rewritten.lines[0] = `INVITE ${rewritten.requestUri} SIP/2.0`;
    expect(guard.check(rewritten, registrar)).toMatchObject({ action: 'deliver', invite: { dialled: 'lobby' } });
    // Its retransmission passes again and is counted once.
    expect(guard.check(invite({ to: 'lobby', callId: 'k-1', branch: 'z9hG4bK-1' }), registrar).action).toBe('deliver');
    expect(guard.counters).toMatchObject({ challenged: 0, accepted: 2 });
    // Still only configured numbers, and a terminal's number only from its callers.
    expect(guard.check(invite({ to: '9999', callId: 'k-2' }), registrar)).toMatchObject({ action: 'reply', status: 404 });
    expect(guard.check(invite({ to: '4790', callId: 'k-3' }), registrar)).toMatchObject({ action: 'reply', status: 403 });
    // The registrar's address from another port (a forged source, another process on its host) is challenged.
    challengeOf(guard.check(invite({ to: 'lobby', callId: 'k-4' }), { host: '127.0.0.5', port: 5062 }));
    // Without trust nothing passes unchallenged.
    guard.trustPeers([]);
    challengeOf(guard.check(invite({ to: 'lobby', callId: 'k-5' }), registrar));
    expect(guard.counters).toMatchObject({ challenged: 2, accepted: 2, refused: 2 });
  });

  it('after a proxy\'s lookup (Request-URI = our contact) the number is To only when it is the account\'s AOR, never another configured number written there (review s21 #35)', () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits, logger: pino({ level: 'silent' }),
      trunk: { credentials: TRUNK, sources: [], numbers: new Set(['lobby', '4711', '4790']), callers: new Map([['4790', new Set(['7001'])]]) },
    });
    const registrar = { host: '127.0.0.5', port: 5060 };
    guard.trustPeers([registrar]);
    const toContact = (to: string, callId: string) => {
      const msg = invite({ to, callId });
      msg.requestUri = 'sip:x8f2kq0d@127.0.0.1:5062;transport=udp';
      msg.lines[0] = `INVITE ${msg.requestUri} SIP/2.0`;
      return msg;
    };
    // The terminal's number in To (From a listed caller): not what lookup routed — 404, the kiosk never hears of it.
    expect(guard.check(toContact('4790', 'a-1'), registrar)).toMatchObject({ action: 'reply', status: 404 });
    // Another entry's number in To: 404 too.
    expect(guard.check(toContact('4711', 'a-2'), registrar)).toMatchObject({ action: 'reply', status: 404 });
    // The AOR the caller dialled: delivered.
    expect(guard.check(toContact('lobby', 'a-3'), registrar)).toMatchObject({ action: 'deliver', invite: { dialled: 'lobby' } });
  });

  it('the digest uri must name the Request-URI (RFC 3261 §19.1.4): another one gets a fresh 401, counted and logged (review s19 #2a)', async () => {
    const callId = 'uri';
    const challenge = challengeOf(guard.check(invite({ callId }), PBX));
    // Correct credentials, computed over another number (or with the port the Request-URI does not have): not this request's.
    for (const uri of ['sip:4712@portier.test', 'sip:4711@portier.test:5060', 'sip:4711@other.test', 'sips:4711@portier.test', 'sip:portier.test']) {
      const again = challengeOf(guard.check(invite({ callId, authorization: answer(challenge, TRUNK, uri) }), PBX));
      // A fresh nonce, not "stale": the credentials were never right for this request.
      expect(again).not.toContain('stale=true');
    }
    expect(guard.counters.accepted).toBe(0);
    // Equivalent spellings pass: the host's case and escaped characters of the user part.
    expect(guard.check(invite({ callId, authorization: answer(challenge, TRUNK, 'sip:%34711@PORTIER.test') }), PBX).action).toBe('deliver');
    await clock.advance(60_000);
    expect(logs).toEqual([expect.objectContaining({ refused: { 'uri-mismatch': 5 } })]);
  });

  it('refusals from ten thousand forged sources: one summary line per interval with counts per reason (review s19 #18)', async () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, logger: pino({ level: 'warn' }, new Writable({ write(chunk, _e, cb) { logs.push(JSON.parse(String(chunk))); cb(); } })),
      limits: { ...limits, burst: 1, maxSources: 100 }, trunk: { credentials: TRUNK, sources: [], numbers: new Set(['4711']) },
    });
    for (let i = 0; i < 10_000; i++) {
      const source = { host: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`, port: 5060 };
      // Each source: a REGISTER (403), then over its one-token limit twice (503 once, then dropped).
      admitted(invite({ method: 'REGISTER' }), source);
      admitted(invite({ method: 'REGISTER' }), source);
      admitted(invite({ method: 'REGISTER' }), source);
    }
    expect(logs).toEqual([]);
    await clock.advance(60_000);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({ refused: { 'outside-dialog': 10_000, 'rate-limit': 20_000 }, total: 30_000 });
    // Nothing refused since: no line in the next interval.
    await clock.advance(60_000);
    expect(logs).toHaveLength(1);
    guard.close();
    expect(logs).toHaveLength(1);
  });

  it('a nonce is tied to its call and address, opens one transaction, and goes stale', () => {
    const callId = 'tied';
    const challenge = challengeOf(guard.check(invite({ callId }), PBX));
    const auth = answer(challenge, TRUNK, 'sip:4711@portier.test');
    // Another call, or another address, with the same answer: challenged afresh.
    expect(guard.check(invite({ callId: 'other', authorization: auth }), PBX)).toMatchObject({ status: 401 });
    expect(guard.check(invite({ callId, authorization: auth }), { host: '127.0.0.2', port: 5060 })).toMatchObject({ status: 401 });
    // The INVITE and its retransmission (same branch) pass; a replay in a new transaction does not.
    expect(guard.check(invite({ callId, branch: 'z9hG4bK-once', authorization: auth }), PBX).action).toBe('deliver');
    expect(guard.check(invite({ callId, branch: 'z9hG4bK-once', authorization: auth }), PBX).action).toBe('deliver');
    const replay = challengeOf(guard.check(invite({ callId, branch: 'z9hG4bK-again', authorization: auth }), PBX));
    expect(replay).toContain('stale=true');
    expect(guard.counters.accepted).toBe(1);
    // A nonce older than its lifetime is stale (the bucket of five requests has refilled meanwhile).
    clock.t += 10_000;
    const late = challengeOf(guard.check(invite({ callId: 'late' }), PBX));
    clock.t += 31_000;
    expect(challengeOf(guard.check(invite({ callId: 'late', authorization: answer(late, TRUNK, 'sip:4711@portier.test') }), PBX))).toContain('stale=true');
  });

  it('a nonce opens one call: the same bytes again once its call is over, or after its transaction\'s time, are challenged afresh', () => {
    const callId = 'replayed';
    const auth = answer(challengeOf(guard.check(invite({ callId }), PBX)), TRUNK, 'sip:4711@portier.test');
    const same = () => invite({ callId, branch: 'z9hG4bK-captured', authorization: auth });
    expect(guard.check(same(), PBX).action).toBe('deliver');
    // A retransmission while sip.js's transaction runs passes (sip.js absorbs it).
    clock.t += 4_000;
    expect(guard.check(same(), PBX).action).toBe('deliver');
    // The call is refused (480) or ends; 6 s later the captured INVITE again — well within the nonce's 30 s.
    guard.callOver(callId);
    clock.t += 6_000;
    expect(challengeOf(guard.check(same(), PBX))).toContain('stale=true');
    expect(guard.counters.accepted).toBe(1);

    // With a nonce living longer than the transaction (sip.inbound.nonce_seconds 60): past 64·T1 the same bytes are stale too.
    guard = new InboundGuard({ accountId: 'pbx', accountUser: 'lobby', clock, logger: pino({ level: 'silent' }), transactionMs: 32_000,
      limits: { ...limits, nonceTtlMs: 60_000 }, trunk: { credentials: TRUNK, sources: [], numbers: new Set(['4711']) } });
    const longAuth = answer(challengeOf(guard.check(invite({ callId: 'long' }), PBX)), TRUNK, 'sip:4711@portier.test');
    const again = () => invite({ callId: 'long', branch: 'z9hG4bK-long', authorization: longAuth });
    expect(guard.check(again(), PBX).action).toBe('deliver');
    clock.t += 33_000;
    expect(challengeOf(guard.check(again(), PBX))).toContain('stale=true');
    expect(guard.counters.accepted).toBe(1);
  });

  it('only the configured source addresses may call when sources are set', () => {
    guard = make({ sources: ['127.0.0.9'] });
    expect(guard.check(invite(), PBX)).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.check(invite(), { host: '127.0.0.9', port: 5060 })).toMatchObject({ status: 401 });
  });

  it('in-dialog requests, CANCEL and OPTIONS pass; other requests outside a dialog get 403', () => {
    expect(guard.check(invite({ method: 'BYE', toTag: 'x1' }), PBX).action).toBe('deliver');
    expect(guard.check(invite({ method: 'CANCEL' }), PBX).action).toBe('deliver');
    expect(guard.check(invite({ method: 'OPTIONS' }), PBX).action).toBe('deliver');
    expect(guard.check(invite({ method: 'REGISTER' }), PBX)).toMatchObject({ action: 'reply', status: 403 });
    // The ACK of our own stateless answer ends here; another ACK goes on to sip.js.
    expect(guard.check(invite({ method: 'ACK', toTag: guard.tag }), PBX).action).toBe('drop');
    expect(guard.check(invite({ method: 'ACK', toTag: 'their-dialog' }), PBX).action).toBe('deliver');
  });

  /** As the transport asks: the token first, then the request. */
  const admitted = (msg: WireMessage, source: typeof PBX): GuardVerdict => {
    const admission = guard.admit(source.host);
    if (admission === 'drop') return { action: 'drop' };
    return admission === 'limited' ? guard.limitedReply() : guard.check(msg, source);
  };

  it('an ACK costs a token too: a flood of ACKs is limited like any request (review s19 #9)', () => {
    const flood = { host: '127.0.0.67', port: 5070 };
    const verdicts = Array.from({ length: 20 }, (_, i) => admitted(invite({ method: 'ACK', toTag: `random-${i}` }), flood));
    expect(verdicts.filter((v) => v.action === 'deliver')).toHaveLength(5);
    expect(verdicts.slice(6).every((v) => v.action === 'drop')).toBe(true);
    expect(guard.counters.limited).toBe(15);
  });

  it('a source over the rate limit is answered once with 503, then dropped, and counted in the summary line', async () => {
    const scanner = { host: '127.0.0.66', port: 5070 };
    const verdicts = Array.from({ length: 20 }, () => admitted(invite({ to: '100' }), scanner));
    expect(verdicts.slice(0, 5).every((v) => v.action === 'reply' && v.status === 401)).toBe(true);
    expect(verdicts[5]).toMatchObject({ action: 'reply', status: 503, headers: ['Retry-After: 1'] });
    expect(verdicts.slice(6).every((v) => v.action === 'drop')).toBe(true);
    expect(guard.counters.limited).toBe(15);
    // The trunk, another source, is not affected.
    expect(admitted(invite(), PBX)).toMatchObject({ status: 401 });
    // One token back after a second: the run ends.
    clock.t += 1000;
    expect(admitted(invite({ to: '100' }), scanner)).toMatchObject({ status: 401 });
    await clock.advance(60_000);
    expect(logs).toEqual([expect.objectContaining({ refused: { 'rate-limit': 15 }, total: 15 })]);
  });

  it('requests in a live inbound dialog from its PBX never pay the bucket; others from that address still do (review s19 #6)', () => {
    const pbx = { host: '127.0.0.70', port: 5060 };
    guard.openDialog('live-call', pbx.host);
    const inDialog = (method: string) => Buffer.from(serializeInvite(invite({ method, toTag: 'ours', callId: 'live-call' })));
    const verdicts = Array.from({ length: 40 }, (_, i) => guard.admit(pbx.host, inDialog(['INFO', 'ACK', 'BYE', 'INVITE'][i % 4]!)));
    expect(verdicts.every((v) => v === 'pass')).toBe(true);
    expect(guard.counters.limited).toBe(0);
    // The same address's other traffic (another Call-ID) pays: five tokens, then limited.
    const other = Buffer.from(serializeInvite(invite({ method: 'OPTIONS', callId: 'scan' })));
    expect(Array.from({ length: 7 }, () => guard.admit(pbx.host, other))).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'limited', 'drop']);
    // The dialog's Call-ID from another address pays too.
    expect(guard.admit('127.0.0.71', inDialog('BYE'))).toBe('pass');
    // Over: its requests pay again (the bucket is empty: dropped).
    guard.closeDialog('live-call', pbx.host);
    expect(guard.admit(pbx.host, inDialog('BYE'))).toBe('drop');
  });

  it('the trunk\'s sources and the account\'s servers never share the scanners\' bucket (review s19 #6)', () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits, logger: pino({ level: 'silent' }), servers: ['127.0.0.20'],
      trunk: { credentials: TRUNK, sources: ['127.0.0.9'], numbers: new Set(['4711']) },
    });
    const trunk = { host: '127.0.0.9', port: 5060 };
    const registrar = { host: '127.0.0.20', port: 5060 };
    const verdicts = Array.from({ length: 50 }, (_, i) => admitted(invite({ method: 'BYE', toTag: `t${i}` }), i % 2 ? trunk : registrar));
    expect(verdicts.every((v) => v.action === 'deliver')).toBe(true);
    expect(guard.counters.limited).toBe(0);
    // Anyone else still pays.
    const other = { host: '127.0.0.66', port: 5060 };
    expect(Array.from({ length: 7 }, () => guard.admit(other.host))).toEqual(['pass', 'pass', 'pass', 'pass', 'pass', 'limited', 'drop']);
  });

  it('with trunk sources set, in-dialog requests, CANCEL and ACK from elsewhere are refused too (review s19 #12)', () => {
    guard = new InboundGuard({
      accountId: 'pbx', accountUser: 'lobby', clock, limits, logger: pino({ level: 'silent' }), servers: ['127.0.0.20'],
      trunk: { credentials: TRUNK, sources: ['127.0.0.9'], numbers: new Set(['4711']) },
    });
    expect(guard.check(invite({ method: 'INFO', toTag: 'dlg' }), PBX)).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.check(invite({ method: 'BYE', toTag: 'dlg' }), PBX)).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.check(invite({ method: 'CANCEL' }), PBX)).toMatchObject({ action: 'reply', status: 403 });
    expect(guard.check(invite({ method: 'ACK', toTag: 'dlg' }), PBX).action).toBe('drop');
    // The trunk and the account's own servers are heard.
    expect(guard.check(invite({ method: 'INFO', toTag: 'dlg' }), { host: '127.0.0.9', port: 5060 }).action).toBe('deliver');
    expect(guard.check(invite({ method: 'BYE', toTag: 'dlg' }), { host: '127.0.0.20', port: 5060 }).action).toBe('deliver');
    expect(guard.check(invite({ method: 'ACK', toTag: 'dlg' }), { host: '127.0.0.9', port: 5060 }).action).toBe('deliver');
  });

  it('keeps at most max_sources buckets', () => {
    for (let i = 1; i <= 10; i++) admitted(invite(), { host: `127.0.1.${i}`, port: 5060 });
    expect(guard.trackedSources).toBe(3);
  });

  it('the caller as the desks see it: display name and user part capped at 64 characters, control characters gone', () => {
    const long = 'A'.repeat(5000);
    const from = parseFrom(`"${long}\u0007\u001b[2J" <sip:${'9'.repeat(300)}%0A%00@pbx.test>;tag=x`);
    expect(from.name).toBe('A'.repeat(64));
    expect(from.user).toBe('9'.repeat(64));
    expect(parseFrom('"Emp\u0000fang\u0085" <sip:7%0D%0A001@pbx.test>')).toEqual({ name: 'Empfang', user: '7001' });
    // Nothing but control characters: no name at all.
    expect(parseFrom('"\u0001\u0002" <sip:7001@pbx.test>')).toEqual({ user: '7001', name: undefined });
  });

  it('refuses every INVITE with 403 on an account without an inbound trunk', () => {
    guard = new InboundGuard({ accountId: 'x', accountUser: 'lobby', clock, limits, logger: pino({ level: 'silent' }) });
    expect(guard.check(invite(), PBX)).toMatchObject({ action: 'reply', status: 403 });
  });
});
