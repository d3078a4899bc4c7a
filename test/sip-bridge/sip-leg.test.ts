// A SIP leg against a real mediasoup worker, without a PBX: what a leg cancelled
// before its INVITE leaves behind (nothing: no RTP relay socket, no participant,
// no report). The calls through Kamailio and sipp are in outbound-call.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { CallMedia } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { SipLeg, type SipAccount } from '../../src/sip-bridge/index.ts';
import { startPool } from '../support/pool.ts';

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
});
