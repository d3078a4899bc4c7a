// One inbound SIP call's signalling against a scripted sip.js Invitation and a
// scripted call of the calls component (a real RtpRelay on 127.0.0.1): what the
// PBX and the calls component are told when the media cannot be joined, and when
// the call ends while our 200 is still on its way; and SRTP offers (SDES keys):
// answered with our own key over TLS, refused 488 over UDP or with no usable suite.
import { afterEach, describe, expect, it } from 'vitest';
import { EventEmitter } from 'node:events';
import pino from 'pino';
import type { Invitation, SessionState } from 'sip.js';
import type { Call, PhoneCaller } from '../../src/calls/index.ts';
import { InboundCalls, type PhoneCallPort } from '../../src/sip-bridge/sip-inbound.ts';
import { UnavailableError } from '../../src/core/index.ts';
import type { IncomingCall, SipAccount } from '../../src/sip-bridge/sip-account.ts';
import type { SrtpPolicy } from '../../src/sip-bridge/index.ts';
import type { SessionDescriptionHandler } from 'sip.js';
import type { SrtpKeys } from '../../src/sip-bridge/index.ts';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
const SAVP_OFFER = (...crypto: string[]) => ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/SAVP 8', 'a=rtpmap:8 PCMA/8000', ...crypto.map((c) => `a=crypto:${c}`), ''].join('\r\n');

const KEY2 = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVphYmNk';
const SAVP_ANSWER = (version: number, key: string) => ['v=0', `o=pbx 1 ${version} IN IP4 127.0.0.1`, 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/SAVP 8', 'a=rtpmap:8 PCMA/8000', `a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:${key}`, ''].join('\r\n');
/** A master key as SDES writes it (key ‖ salt, base64). */
const inline = (k: SrtpKeys['send']) => Buffer.concat([k.key, k.salt]).toString('base64');

const OFFER = ['v=0', 'o=pbx 1 1 IN IP4 127.0.0.1', 's=-', 'c=IN IP4 127.0.0.1', 't=0 0',
  'm=audio 40000 RTP/AVP 8', 'a=rtpmap:8 PCMA/8000', ''].join('\r\n');

/** sip.js's Invitation as the bridge uses it; `accept()` resolves when the test says so. */
class ScriptedInvitation {
  state: SessionState = 'Initial' as SessionState;
  body = OFFER;
  readonly sent: string[] = [];
  /** accept() called: the 200 is being sent. */
  accepting = 0;
  /** The INVITE as sip.js parsed it (no Session-Expires: no session timer) and the in-dialog hook point (session-hooks.ts). */
  readonly request = { getHeader: (_name: string): string | undefined => undefined };
  onInviteRequest(): void {}
  readonly #listeners: Array<(s: SessionState) => void> = [];
  #accepted?: () => void;
  readonly stateChange = { addListener: (fn: (s: SessionState) => void) => this.#listeners.push(fn) };
  progress = async (o: { statusCode: number }) => { this.sent.push(String(o.statusCode)); };
  reject = async (o: { statusCode: number }) => { this.sent.push(String(o.statusCode)); this.#set('Terminated' as SessionState); };
  bye = async () => { this.sent.push('BYE'); this.#set('Terminated' as SessionState); };
  accept = () => {
    this.accepting++;
    this.#set('Establishing' as SessionState);
    return new Promise<void>((resolve) => { this.#accepted = resolve; });
  };
  /** The PBX's ACK arrives: the 200 went out, the session is established. */
  established(): void {
    this.sent.push('200');
    this.#set('Established' as SessionState);
    this.#accepted!();
  }
  #set(s: SessionState): void { this.state = s; for (const fn of this.#listeners) fn(s); }
}

class ScriptedCall extends EventEmitter {
  readonly id = 'call-1';
  ended = false;
  readonly media: unknown;
  constructor(media: unknown) { super(); this.media = media; }
  end(reason: string): void { this.ended = true; this.emit('ended', reason, 'answered'); }
  /** What the bridge told of the caller's protection after the call started (Call.protect: a late offer's ACK). */
  readonly protections: Array<[string, string]> = [];
  protect(participantId: string, media: string): void { this.protections.push([participantId, media]); }
}

const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('an inbound SIP call', () => {
  const inbound: InboundCalls[] = [];
  afterEach(() => { for (const i of inbound) i.close(); });

  const start = (call: ScriptedCall, opts: { body?: string; srtp?: SrtpPolicy; station?: boolean; failure?: Error; terminal?: boolean } = {}) => {
    const hangups: string[] = [];
    const logs: string[] = [];
    const phones: PhoneCaller[] = [];
    let sdh: SessionDescriptionHandler | undefined;
    let started!: () => void;
    const startedP = new Promise<void>((resolve) => { started = resolve; });
    const calls: PhoneCallPort = {
      startFromPhone: async (phone, _entry, observe) => {
        phones.push(phone);
        started();
        if (opts.failure) throw opts.failure;
        observe(call as unknown as Call); return call as unknown as Call;
      },
      hangup: async (callId, participantId) => { hangups.push(`${callId}/${participantId.slice(0, 4)}`); call.end('hangup-terminal'); },
      endCall: async (_callId, reason) => { call.end(reason); },
      // A terminal answers by itself: its call says answered before callTerminal returns (CallService's autoAnswer).
      callTerminal: async (_phone, _terminalId, _name, observe) => {
        started();
        observe(call as unknown as Call);
        call.emit('step', { step: 'answered' });
        return call as unknown as Call;
      },
    };
    const logger = pino({ level: 'info' }, { write: (line: string) => { logs.push(line); } });
    const bridge = new InboundCalls({
      calls, entryOf: () => 'entry-1', bindAddress: '127.0.0.1', logger, videoEntries: [{ profile: '42e0', mode: 1 }],
      terminalOf: () => (opts.terminal ? { terminalId: 'kiosk-1', callers: new Map([['7001', { key: 'reception' }]]) } : undefined),
    });
    inbound.push(bridge);
    const invitation = new ScriptedInvitation();
    if (opts.body !== undefined) invitation.body = opts.body;
    const account = { attachMedia: (_s: unknown, m: SessionDescriptionHandler) => { sdh = m; }, advertisedAddress: '127.0.0.1', srtp: opts.srtp } as unknown as SipAccount;
    const incoming = { accountId: 'pbx', dialled: '4711', caller: '7001', callId: 'c', source: { host: '127.0.0.1', port: 5060 }, invitation: invitation as unknown as Invitation } as IncomingCall;
    bridge.take(incoming, account, opts.station ? { stationId: 'station-1', entryId: 'entry-1', video: true, door: true } : undefined);
    return { bridge, invitation, hangups, phones, started: startedP, logs, answer: async () => (await sdh!.getDescription()).body, sdh: () => sdh! };
  };

  it('the media cannot be joined (the worker fails): the call is hung up, so no desk rings on, and the PBX gets 500', async () => {
    const media = {
      closed: false,
      observer: new EventEmitter(),
      createPlainTransport: async () => { throw new Error('worker died'); },
    };
    const call = new ScriptedCall(media);
    const { bridge, invitation, hangups, started } = start(call);
    await started;
    await settle();
    expect(hangups).toEqual(['call-1/sip-']);
    expect(call.ended).toBe(true);
    expect(invitation.sent).toEqual(['500']);
    expect(bridge.calls.size).toBe(0);
  });

  it('a terminal that answers by itself: the 200 waits for the phone\'s media; media that cannot join gets 500, never a 200 (review s21 #15)', async () => {
    const media = { closed: false, observer: new EventEmitter(), createPlainTransport: async () => { throw new Error('over the media limit'); } };
    const call = new ScriptedCall(media);
    const { bridge, invitation, started } = start(call, { terminal: true });
    await started;
    await settle();
    await settle();
    expect(invitation.accepting).toBe(0);
    expect(invitation.sent).toEqual(['500']);
    expect(call.ended).toBe(true);
    expect(bridge.calls.size).toBe(0);
  });

  it('a terminal that answers by itself: once the phone\'s media joined, the 200 goes out', async () => {
    const call = new ScriptedCall({
      closed: false, observer: new EventEmitter(), createPlainTransport: async () => ({ id: 't-1', ip: '127.0.0.1', port: 41001 }),
      connectPlain: async () => undefined, producersFor: () => [], produce: async () => 'producer-audio',
    });
    const { invitation, started } = start(call, { terminal: true });
    await started;
    await settle();
    await settle();
    expect(invitation.accepting).toBe(1);
    invitation.established();
    await settle();
    expect(invitation.sent).toEqual(['200']);
  });

  it('a door station\'s video that cannot join keeps the call audio-only: it still rings, the answer refuses m=video with port 0 (review s21 #16)', async () => {
    const produced: string[] = [];
    let transports = 0;
    const media = {
      closed: false,
      observer: new EventEmitter(),
      createPlainTransport: async () => ({ id: `t-${++transports}`, ip: '127.0.0.1', port: 41000 + transports }),
      connectPlain: async () => undefined,
      producersFor: () => [],
      produce: async (_p: string, _t: string, kind: string) => {
        if (kind === 'video') throw new Error('mediasoup refused the rtpParameters');
        produced.push(kind);
        return 'producer-audio';
      },
    };
    const call = new ScriptedCall(media);
    const body = [...OFFER.trimEnd().split('\r\n'), 'm=video 40002 RTP/AVP 96', 'a=rtpmap:96 H264/90000',
      'a=fmtp:96 profile-level-id=42e01f;packetization-mode=1', 'a=sendonly', ''].join('\r\n');
    const { bridge, invitation, hangups, started, logs, answer } = start(call, { body, station: true });
    await started;
    await settle();
    await settle();
    expect(produced).toEqual(['audio']);
    expect(hangups).toEqual([]);
    expect(call.ended).toBe(false);
    expect(invitation.sent).not.toContain('500');
    const [inboundCall] = [...bridge.calls];
    expect(inboundCall!.video).toBeUndefined();
    const sdp = await answer();
    expect(sdp).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8/m);
    expect(sdp).toMatch(/^m=video 0 /m);
    expect(logs.some((l) => l.includes('sip.station-video'))).toBe(true);
  });

  it('the call ends while the 200 is on its way: BYE once the session is established, once', async () => {
    // No media (the call has none yet): the test is about signalling only.
    const call = new ScriptedCall(undefined);
    const { bridge, invitation, hangups, started } = start(call);
    await started;
    await settle();
    call.emit('step', { step: 'answered' });
    // The 200 goes out once the phone's media joined (here: at once, there is none).
    await settle();
    expect(invitation.state).toBe('Establishing');
    // The desk hangs up before the PBX's ACK: nothing to send yet (no final response to a 200 in flight).
    call.end('hangup-desk');
    expect(invitation.sent).toEqual([]);
    expect(bridge.calls.size).toBe(0);
    invitation.established();
    await settle();
    expect(invitation.sent).toEqual(['200', 'BYE']);
    expect(hangups).toEqual([]);
  });

  it('an SRTP offer (RTP/SAVP, a=crypto) over TLS is answered RTP/SAVP with its tag and our own key; the relay speaks SRTP', async () => {
    const call = new ScriptedCall(undefined);
    const { bridge, started, answer, phones } = start(call, { body: SAVP_OFFER(`1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}${KEY}`, `2 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`), srtp: { mode: 'offer', tls: true } });
    await started;
    const sdp = await answer();
    expect(sdp).toMatch(/\r\nm=audio \d+ RTP\/SAVP 8\r\n/);
    const crypto = /a=crypto:(.*)\r\n/.exec(sdp)![1]!;
    expect(crypto).toMatch(/^2 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$/);
    expect(crypto).not.toContain(KEY);
    const sip = [...bridge.calls][0]!;
    expect(sip.media).toBe('srtp');
    expect(sip.relay!.media).toBe('srtp');
    // The call starts knowing it: the desk that answers shows the caller as encrypted.
    expect(phones.map((p) => p.media)).toEqual(['srtp']);
    expect(call.protections).toEqual([]);
  });

  it('our session refresh\'s answer is taken as an answer: the PBX\'s new key decrypts, our send key and the o= version stay (review s22 #24)', async () => {
    const call = new ScriptedCall(undefined);
    const body = SAVP_OFFER(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`);
    const { bridge, invitation, started, sdh } = start(call, { body, srtp: { mode: 'offer', tls: true } });
    await started;
    await settle();
    call.emit('step', { step: 'answered' });
    // sip.js hands the INVITE's offer over and takes our answer for the 200.
    await sdh().setDescription(body);
    const ok = (await sdh().getDescription()).body;
    invitation.established();
    await settle();
    const ours = /a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:(\S+)/.exec(ok)![1]!;
    const version = (sdp: string) => /^o=\S+ \S+ (\d+) /m.exec(sdp)![1];
    const sip = [...bridge.calls][0]!;
    const relay = sip.relay!;
    const secured: SrtpKeys[] = [];
    const secure = relay.secure.bind(relay);
    relay.secure = (keys) => { secured.push(keys); secure(keys); };

    // Our refresh re-INVITE (sip-leg-session.ts): the same description, so the same o= version (RFC 3264 §8) and our key.
    const refresh = (await sdh().getDescription()).body;
    expect(version(refresh)).toBe(version(ok));
    expect(/inline:(\S+)/.exec(refresh)![1]).toBe(ours);
    // The PBX answers it with a new key of its own (RFC 4568 §7.1.4): we decrypt with it and keep sending with ours.
    await sdh().setDescription(SAVP_ANSWER(2, KEY2));
    expect(secured.map((k) => [inline(k.send), inline(k.receive)])).toEqual([[ours, KEY2]]);
    expect(sip.media).toBe('srtp');
    // The next refresh still offers the key the PBX has (no key of ours it never heard of), at the same version.
    const again = (await sdh().getDescription()).body;
    expect(/inline:(\S+)/.exec(again)![1]).toBe(ours);
    expect(version(again)).toBe(version(ok));
    await sdh().setDescription(SAVP_ANSWER(3, KEY2));
    expect(secured).toHaveLength(1);
  });

  it('the o= version follows the whole answer, not only its audio section: a re-offer that adds a video line is answered one version up (review s23 #5, RFC 3264 §8)', async () => {
    const call = new ScriptedCall(undefined);
    const { invitation, started, sdh } = start(call);
    await started;
    await settle();
    call.emit('step', { step: 'answered' });
    await sdh().setDescription(OFFER);
    const ok = (await sdh().getDescription()).body;
    invitation.established();
    await settle();
    const version = (sdp: string) => Number(/^o=\S+ \S+ (\d+) /m.exec(sdp)![1]);
    // The PBX re-offers with a video line (its version up): our audio is unchanged, our answer is not (m=video 0).
    const withVideo = [...OFFER.replace('o=pbx 1 1 ', 'o=pbx 1 2 ').trimEnd().split('\r\n'), 'm=video 40002 RTP/AVP 96', 'a=rtpmap:96 H264/90000', ''].join('\r\n');
    await sdh().setDescription(withVideo);
    const answer = (await sdh().getDescription()).body;
    expect(answer).toMatch(/^m=video 0 /m);
    expect(version(answer)).toBe(version(ok) + 1);
    // The same offer again (a refresh): the same answer, the same version.
    await sdh().setDescription(withVideo);
    expect(version((await sdh().getDescription()).body)).toBe(version(ok) + 1);
  });

  /** A call's media as far as joining it goes (a plain transport, a producer): the relay gets connected. */
  const joinableMedia = () => ({
    closed: false,
    observer: new EventEmitter(),
    createPlainTransport: async () => ({ id: 't-1', ip: '127.0.0.1', port: 41001 }),
    connectPlain: async () => undefined,
    producersFor: () => [],
    produce: async () => 'producer-audio',
    consumersOf: () => [],
    pauseProducer: async () => undefined,
  });
  const HELD = OFFER.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 0.0.0.0').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:8 PCMA/8000\r\na=sendonly');

  it('an INVITE with c=0.0.0.0 leaves the relay unconnected until a re-INVITE gives an address (review s22 #11)', async () => {
    const call = new ScriptedCall(joinableMedia());
    const { bridge, invitation, started, sdh } = start(call, { body: HELD });
    await started;
    await settle();
    await settle();
    const sip = [...bridge.calls][0]!;
    expect(sip.relay!.remote).toBeUndefined();
    call.emit('step', { step: 'answered' });
    await sdh().setDescription(HELD);
    await sdh().getDescription();
    invitation.established();
    await settle();
    // The PBX takes the call back from its own address: the relay sends there.
    const back = OFFER.replace('o=pbx 1 1', 'o=pbx 1 2').replace('m=audio 40000', 'm=audio 40010');
    await sdh().setDescription(back);
    await sdh().getDescription();
    expect(sip.relay!.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40010 });
  });

  it('a late offer\'s answer (in the ACK) with c=0.0.0.0 does not point the relay at 0.0.0.0 (review s22 #11)', async () => {
    const call = new ScriptedCall(joinableMedia());
    const { bridge, invitation, started, sdh, phones } = start(call, { body: '' });
    await started;
    await settle();
    await settle();
    call.emit('step', { step: 'answered' });
    const offer = (await sdh().getDescription()).body;
    expect(offer).toMatch(/^m=audio [1-9]\d* RTP\/AVP 8/m);
    invitation.established();
    await sdh().setDescription(HELD);
    const sip = [...bridge.calls][0]!;
    expect(sip.call).toBeDefined();
    expect(sip.relay!.remote).toBeUndefined();
    expect(invitation.sent).not.toContain('BYE');
    // Unknown when the call started (our offer was still out), told once the ACK answered it: plain here.
    expect(phones.map((p) => p.media)).toEqual([undefined]);
    expect(call.protections).toEqual([[sip.participantId, 'rtp']]);
  });

  it('an SRTP offer over UDP, or with only suites we do not speak, gets 488 and rings nothing; the log names why, never the key', async () => {
    for (const [opts, reason] of [
      [{ body: SAVP_OFFER(`1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`), srtp: { mode: 'off', tls: false } }, 'srtp.needs-tls'],
      [{ body: SAVP_OFFER(`1 AEAD_AES_128_GCM inline:${KEY}`, `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}|1:4`), srtp: { mode: 'offer', tls: true } }, 'srtp.no-suite'],
      [{ body: OFFER, srtp: { mode: 'require', tls: true } }, 'srtp.required'],
    ] as const) {
      const call = new ScriptedCall(undefined);
      const { invitation, logs } = start(call, opts);
      await settle();
      expect(invitation.sent).toEqual(['488']);
      expect(invitation.state).toBe('Terminated');
      const refused = logs.map((l) => JSON.parse(l) as { reason?: string; why?: string }).find((l) => l.reason === reason);
      expect(refused, reason).toBeDefined();
      expect(logs.join('\n')).not.toContain(KEY);
    }
  });

  it('an unavailable calls component that is not about a terminal (no media worker) is answered 503, not 480 "terminal not connected" (review s21 #17)', async () => {
    const { bridge, invitation, started, logs } = start(new ScriptedCall(undefined), { failure: new UnavailableError('no worker') });
    await started;
    await settle();
    expect(invitation.sent).toEqual(['503']);
    expect(bridge.calls.size).toBe(0);
    expect(logs.join('\n')).toContain('unavailable: no worker');
    expect(logs.join('\n')).not.toContain('terminal not connected');
  });
});
