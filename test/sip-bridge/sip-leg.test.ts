// A SIP leg against a real mediasoup worker, without a PBX: what a leg cancelled
// before its INVITE leaves behind (nothing: no RTP relay socket, no participant,
// no report), and with a scripted sip.js Inviter what the relay follows of the far
// end's SDPs (never c=0.0.0.0, nothing of a refused re-offer). The calls through
// Kamailio and sipp are in outbound-call.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { SessionDescriptionHandler, SessionState } from 'sip.js';
import type { AudioCodec, CallMedia } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { G711_CODECS, SipLeg, SrtpRefusedError, type SipAccount } from '../../src/sip-bridge/index.ts';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
import { startPool } from '../support/pool.ts';
import { until } from '../support/call-flow.ts';

/** Open UDP sockets of this process (the relay's are Node sockets; mediasoup's live in the worker process). */
const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

/** The count once the sockets closed so far have left the event loop (a closed handle goes in a later loop turn). */
async function settledUdpSockets(expected: number): Promise<number> {
  for (let turn = 0; turn < 20 && udpSockets() !== expected; turn++) await new Promise((r) => setImmediate(r));
  return udpSockets();
}

describe('a SIP leg without a PBX', () => {
  let pool: WorkerPool;
  let media: CallMedia;

  beforeAll(async () => {
    pool = await startPool();
    media = await new SfuMediaPort(pool).open('call-cancelled-leg');
    media.join({ id: 'terminal-1', kind: 'terminal' });
  });
  afterAll(async () => {
    media?.close();
    await pool?.close();
  });

  it('closes the RTP relay that finished opening after the cancel: no socket stays open', async () => {
    const invited: string[] = [];
    const account = { advertisedAddress: '127.0.0.1', codecs: G711_CODECS, inviter: (user: string) => { invited.push(user); throw new Error('not for a cancelled leg'); } } as unknown as SipAccount;
    const reported: string[] = [];
    const handlers = {
      ringing: () => reported.push('ringing'), answered: () => reported.push('answered'),
      failed: (outcome: string) => reported.push(`failed ${outcome}`), ended: () => reported.push('ended'),
    };
    const before = udpSockets();
    const leg = new SipLeg(
      { callId: 'call-cancelled-leg', siteId: 'hq', participantId: 'sip-1', route: { type: 'sip', accountId: 'pbx', user: '200' }, media },
      handlers,
      { account: () => account, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }) },
    );
    // start() runs up to the relay's open; the call cancels the leg in that window (a visitor hanging up at once).
    const started = leg.start();
    expect(media.participant('sip-1')).toMatchObject({ kind: 'sip' });
    leg.cancel();
    await started;

    expect(leg.relay?.closed).toBe(true);
    expect(await settledUdpSockets(before)).toBe(before);
    expect(media.participant('sip-1')).toBeUndefined();
    expect(invited).toEqual([]);
    expect(reported).toEqual([]);
  });

  /** A leg whose sip.js Inviter is scripted: the test hands its SDH the far end's SDPs and says when it answered. */
  const scriptedLeg = async (name: string, srtp: { mode: 'off' | 'offer' | 'require'; tls: boolean } = { mode: 'off', tls: false }, codecs: readonly AudioCodec[] = G711_CODECS) => {
    let sdh!: SessionDescriptionHandler;
    const listeners: Array<(s: SessionState) => void> = [];
    let accepted!: () => void;
    const inviter = {
      state: 'Initial' as SessionState,
      request: { callId: `leg-${name}` },
      stateChange: { addListener: (fn: (s: SessionState) => void) => listeners.push(fn) },
      onInviteRequest: () => undefined,
      invite: async (o: { requestDelegate: { onAccept: (r: unknown) => void } }) => { accepted = () => o.requestDelegate.onAccept({ message: { getHeader: () => undefined } }); },
      bye: async () => undefined,
      cancel: async () => undefined,
    };
    const account = { advertisedAddress: '127.0.0.1', codecs, srtp, inviter: (_u: string, m: SessionDescriptionHandler) => { sdh = m; return inviter; } } as unknown as SipAccount;
    const reported: string[] = [];
    /** What each answer told the call of the leg's protection (srtp, rtp). */
    const protections: Array<string | undefined> = [];
    const handlers = {
      ringing: () => reported.push('ringing'), answered: (_codec: string, media?: string) => { protections.push(media); reported.push('answered'); },
      failed: (outcome: string) => reported.push(`failed ${outcome}`), ended: () => reported.push('ended'),
      protection: (media: string) => protections.push(`later ${media}`),
    };
    const leg = new SipLeg(
      { callId: `call-${name}`, siteId: 'hq', participantId: `sip-${name}`, route: { type: 'sip', accountId: 'pbx', user: '200' }, media },
      handlers,
      { account: () => account, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }) },
    );
    await leg.start();
    /** sip.js took our offer for the INVITE and hands the 200's `answer` over; the session is established. */
    const answered = async (answer: string) => {
      await sdh.getDescription();
      await sdh.setDescription(answer);
      inviter.state = 'Established' as SessionState;
      for (const fn of listeners) fn(inviter.state);
      accepted();
      await until(() => reported.includes('answered'), 'the leg answered');
    };
    return { leg, sdh: () => sdh, reported, answered, protections };
  };
  const sdp = (address: string, port: number, version: number, direction: string, profile = 'RTP/AVP', ...crypto: string[]) => ['v=0', `o=pbx 1 ${version} IN IP4 127.0.0.1`, 's=-',
    `c=IN IP4 ${address}`, 't=0 0', `m=audio ${port} ${profile} 8`, 'a=rtpmap:8 PCMA/8000', ...crypto.map((c) => `a=crypto:${c}`), `a=${direction}`, ''].join('\r\n');

  /** opus at payload type `pt`, at 127.0.0.1:`port`. */
  const opusSdp = (port: number, version: number, pt: number) => ['v=0', `o=pbx 1 ${version} IN IP4 127.0.0.1`, 's=-',
    'c=IN IP4 127.0.0.1', 't=0 0', `m=audio ${port} RTP/AVP ${pt}`, `a=rtpmap:${pt} opus/48000/2`, 'a=sendrecv', ''].join('\r\n');

  it('opus re-numbered by a re-INVITE at the same address: the relay follows it, and our own later offer keeps the new number (review s26 #1)', async () => {
    const { leg, sdh, answered } = await scriptedLeg('opus-renumbered', undefined, ['audio/opus', 'audio/PCMA']);
    await answered(opusSdp(40040, 1, 111));
    expect(leg.relay!.remote).toMatchObject({ rtpPort: 40040, payloadType: 111 });
    // The PBX re-numbers opus to 109, same address and port (RFC 3264 §8.3.2): our answer says 109, the relay takes and sends 109.
    await sdh().setDescription(opusSdp(40040, 2, 109));
    expect((await sdh().getDescription()).body).toMatch(/^m=audio \d+ RTP\/AVP 109\b/m);
    expect(leg.relay!.remote).toMatchObject({ rtpPort: 40040, payloadType: 109 });
    // Our own offer (a session refresh, RFC 4028): opus at 109, the number agreed (before: our 111, swapping it back).
    const refresh = (await sdh().getDescription()).body;
    expect(refresh).toMatch(/^m=audio \d+ RTP\/AVP 109\b/m);
    expect(refresh).toMatch(/^a=rtpmap:109 opus\/48000\/2$/m);
    await sdh().setDescription(opusSdp(40040, 3, 109));
    expect(leg.relay!.remote).toMatchObject({ rtpPort: 40040, payloadType: 109 });
    leg.hangup();
  });

  it('an opus leg offers telephone-event/48000 (110) beside /8000 (101) and reads events at those and the answer\'s number, never at the answer\'s audio number (review s26 #3)', async () => {
    const first = await scriptedLeg('opus-events', undefined, ['audio/opus', 'audio/PCMA']);
    const offer = (await first.sdh().getDescription()).body;
    expect(offer).toMatch(/^m=audio \d+ RTP\/AVP 111 8 110 101$/m);
    expect(offer).toMatch(/^a=rtpmap:110 telephone-event\/48000\r\na=fmtp:110 0-15$/m);
    // The answer chose the 48 kHz events at 110 (RFC 4733 §2.1).
    await first.answered(opusSdp(40050, 1, 111).replace('RTP/AVP 111', 'RTP/AVP 111 110').replace('a=sendrecv', 'a=rtpmap:110 telephone-event/48000\r\na=sendrecv'));
    expect(first.leg.relay!.remote).toMatchObject({ payloadType: 111, telephoneEvents: [110, 101] });
    first.leg.hangup();
    // A far end that numbers its opus 110 (its own choice): 110 is its audio, not keys.
    const second = await scriptedLeg('opus-at-110', undefined, ['audio/opus', 'audio/PCMA']);
    await second.answered(opusSdp(40052, 1, 110));
    expect(second.leg.relay!.remote).toMatchObject({ payloadType: 110, telephoneEvents: [101] });
    second.leg.hangup();
  });

  /** The payload types of an SDP's m=audio line and of its a=rtpmap lines. */
  const payloadTypesOf = (body: string) => ({
    listed: /^m=audio \d+ \S+ (.*)$/m.exec(body)![1]!.trim().split(' '),
    mapped: [...body.matchAll(/^a=rtpmap:(\d+) /gm)].map((m) => m[1]!),
  });

  it.each([110, 101])('opus answered at %i: our refresh re-offer names each payload type once, keeps opus at it and the events agreed (review s27 #1)', async (pt) => {
    const { leg, sdh, answered } = await scriptedLeg(`opus-refresh-${pt}`, undefined, ['audio/opus', 'audio/PCMA']);
    // The far end numbers its opus `pt` (its own choice) and picks the other offered event number for its keys.
    const events = pt === 110 ? 101 : 110;
    const rate = events === 101 ? 8000 : 48000;
    await answered(opusSdp(40060, 1, pt).replace(`RTP/AVP ${pt}`, `RTP/AVP ${pt} ${events}`).replace('a=sendrecv', `a=rtpmap:${events} telephone-event/${rate}\r\na=sendrecv`));
    // Our own offer (a session refresh, RFC 4028): before, `m=audio … ${pt} 110 101` with two a=rtpmap:${pt}.
    const refresh = (await sdh().getDescription()).body;
    const { listed, mapped } = payloadTypesOf(refresh);
    expect(new Set(listed).size).toBe(listed.length);
    expect(mapped).toEqual(listed);
    expect(refresh).toMatch(new RegExp(`^m=audio \\d+ RTP/AVP ${pt} `, 'm'));
    expect(refresh).toMatch(new RegExp(`^a=rtpmap:${pt} opus/48000/2$`, 'm'));
    // The events agreed keep their number (RFC 3264 §8.3.2); the relay reads keys at every event number we offered.
    expect(refresh).toMatch(new RegExp(`^a=rtpmap:${events} telephone-event/${rate}$`, 'm'));
    const offeredEvents = [...refresh.matchAll(/^a=rtpmap:(\d+) telephone-event\//gm)].map((m) => Number(m[1]));
    await sdh().setDescription(opusSdp(40062, 2, pt));
    expect(leg.relay!.remote!.payloadType).toBe(pt);
    expect([...leg.relay!.remote!.telephoneEvents!].sort()).toEqual([...offeredEvents].sort());
    leg.hangup();
  });

  it('a 200 whose SDP says c=0.0.0.0 does not point the relay at 0.0.0.0; a later re-INVITE\'s address does (review s22 #11)', async () => {
    const { leg, sdh, reported, answered } = await scriptedLeg('held-answer');
    // The phone answers on hold the RFC 2543 way.
    await answered(sdp('0.0.0.0', 40020, 1, 'sendonly'));
    expect(leg.relay!.remote).toBeUndefined();
    // It takes the call back from its own address: the relay sends there.
    await sdh().setDescription(sdp('127.0.0.1', 40022, 2, 'sendrecv'));
    await sdh().getDescription();
    expect(leg.relay!.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40022 });
    leg.hangup();
    expect(reported).toEqual(['answered']);
  });

  it('a plain re-offer to a leg with srtp: require is refused (sip.js: 488) before the relay follows it: address, direction and keys stay (review s22 #5)', async () => {
    const { leg, sdh, answered, protections } = await scriptedLeg('srtp-reoffer', { mode: 'require', tls: true });
    await answered(sdp('127.0.0.1', 40030, 1, 'sendrecv', 'RTP/SAVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect(leg.media).toBe('srtp');
    // The call learns it with the answer (the desk shows the telephone as encrypted).
    expect(protections).toEqual(['srtp']);
    expect(leg.relay!.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40030 });
    // A re-INVITE in plain RTP/AVP from elsewhere, holding: refused, and nothing of it is followed.
    await expect(sdh().setDescription(sdp('127.0.0.1', 40032, 2, 'sendonly'))).rejects.toThrow(SrtpRefusedError);
    expect(leg.relay!.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40030 });
    expect(leg.direction).toBe('sendrecv');
    expect(leg.held).toBe(false);
    expect(leg.relay!.media).toBe('srtp');
    // An acceptable re-offer afterwards (its key again, a new port) is answered with our key and followed.
    await sdh().setDescription(sdp('127.0.0.1', 40034, 3, 'sendrecv', 'RTP/SAVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect((await sdh().getDescription()).body).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect(leg.relay!.remote).toMatchObject({ rtpPort: 40034 });
    leg.hangup();
  });

  it('srtp: offer — a re-offer without a=crypto makes the answered leg plain (no key in our answer, the relay plain, the call told); one with a key secures it again', async () => {
    const { leg, sdh, answered, protections } = await scriptedLeg('srtp-dropped', { mode: 'offer', tls: true });
    await answered(sdp('127.0.0.1', 40040, 1, 'sendrecv', 'RTP/SAVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect([leg.media, leg.relay!.media]).toEqual(['srtp', 'srtp']);
    // The PBX moved the call to a phone without SRTP: plain RTP/AVP, no key.
    await sdh().setDescription(sdp('127.0.0.1', 40042, 2, 'sendrecv'));
    expect((await sdh().getDescription()).body).not.toMatch(/a=crypto/);
    expect([leg.media, leg.relay!.media]).toEqual(['rtp', 'rtp']);
    await sdh().setDescription(sdp('127.0.0.1', 40044, 3, 'sendrecv', 'RTP/AVP', `1 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`));
    expect((await sdh().getDescription()).body).toMatch(/^a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:/m);
    expect([leg.media, leg.relay!.media]).toEqual(['srtp', 'srtp']);
    expect(protections).toEqual(['srtp', 'later rtp', 'later srtp']);
    leg.hangup();
  });
});
