// A SIP leg against a real mediasoup worker, without a PBX: what a leg cancelled
// before its INVITE leaves behind (nothing: no RTP relay socket, no participant,
// no report). The calls through Kamailio and sipp are in outbound-call.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { SessionDescriptionHandler, SessionState } from 'sip.js';
import type { CallMedia } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { SipLeg, type SipAccount } from '../../src/sip-bridge/index.ts';
import { startPool } from '../support/pool.ts';
import { until } from '../support/call-flow.ts';

/** Open UDP sockets of this process (the relay's are Node sockets; mediasoup's live in the worker process). */
const udpSockets = () => process.getActiveResourcesInfo().filter((r) => r === 'UDPWrap').length;

/** The count once the sockets closed so far have left the event loop (a closed handle goes in a later loop turn). */
async function settledUdpSockets(expected: number): Promise<number> {
  for (let turn = 0; turn < 20 && udpSockets() !== expected; turn++) await new Promise((r) => setImmediate(r));
  return udpSockets();
}

describe('a SIP leg cancelled before its INVITE', () => {
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
    const account = { advertisedAddress: '127.0.0.1', inviter: (user: string) => { invited.push(user); throw new Error('not for a cancelled leg'); } } as unknown as SipAccount;
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

  it('a 200 whose SDP says c=0.0.0.0 does not point the relay at 0.0.0.0; a later re-INVITE\'s address does (review s22 #11)', async () => {
    let sdh!: SessionDescriptionHandler;
    const listeners: Array<(s: SessionState) => void> = [];
    let accepted!: () => void;
    const inviter = {
      state: 'Initial' as SessionState,
      request: { callId: 'leg-held-answer' },
      stateChange: { addListener: (fn: (s: SessionState) => void) => listeners.push(fn) },
      onInviteRequest: () => undefined,
      invite: async (o: { requestDelegate: { onAccept: (r: unknown) => void } }) => { accepted = () => o.requestDelegate.onAccept({ message: { getHeader: () => undefined } }); },
      bye: async () => undefined,
      cancel: async () => undefined,
    };
    const account = { advertisedAddress: '127.0.0.1', srtp: { mode: 'off', tls: false }, inviter: (_u: string, m: SessionDescriptionHandler) => { sdh = m; return inviter; } } as unknown as SipAccount;
    const reported: string[] = [];
    const handlers = {
      ringing: () => reported.push('ringing'), answered: () => reported.push('answered'),
      failed: (outcome: string) => reported.push(`failed ${outcome}`), ended: () => reported.push('ended'),
    };
    const leg = new SipLeg(
      { callId: 'call-held-answer', siteId: 'hq', participantId: 'sip-2', route: { type: 'sip', accountId: 'pbx', user: '200' }, media },
      handlers,
      { account: () => account, bindAddress: '127.0.0.1', logger: pino({ level: 'silent' }) },
    );
    await leg.start();
    const sdp = (address: string, port: number, version: number, direction: string) => ['v=0', `o=pbx 1 ${version} IN IP4 127.0.0.1`, 's=-', `c=IN IP4 ${address}`, 't=0 0',
      `m=audio ${port} RTP/AVP 8`, 'a=rtpmap:8 PCMA/8000', `a=${direction}`, ''].join('\r\n');
    // sip.js takes our offer for the INVITE and hands the 200's answer over: the phone answers on hold the RFC 2543 way.
    await sdh.getDescription();
    await sdh.setDescription(sdp('0.0.0.0', 40020, 1, 'sendonly'));
    inviter.state = 'Established' as SessionState;
    for (const fn of listeners) fn(inviter.state);
    accepted();
    await until(() => reported.includes('answered'), 'the leg answered');
    expect(leg.relay!.remote).toBeUndefined();
    // It takes the call back from its own address: the relay sends there.
    await sdh.setDescription(sdp('127.0.0.1', 40022, 2, 'sendrecv'));
    await sdh.getDescription();
    expect(leg.relay!.remote).toMatchObject({ address: '127.0.0.1', rtpPort: 40022 });
    leg.hangup();
    expect(reported).toEqual(['answered']);
  });
});
