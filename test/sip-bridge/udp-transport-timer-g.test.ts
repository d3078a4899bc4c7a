// Timer G/H (RFC 3261 §17.2.1) in the UDP transport: sip.js 0.21.2 sends a 3xx–6xx
// answer to an INVITE once (its timerG() is empty). The transport sends it again at
// T1, 2·T1 … T2 until the ACK (same branch and Call-ID), and gives up at 64·T1.
// Time on a manual clock; every step waits for the datagram, never for time.
import { describe, it, expect } from 'vitest';
import type { UserAgent } from 'sip.js';
import type { UdpTransport } from '../../src/sip-bridge/index.ts';
import { ServerRetransmissions } from '../../src/sip-bridge/transactions.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { udpPeerFor, type UdpPeer } from './udp-peer.ts';

const T1 = 500;
const T2 = 4000;

describe('ServerRetransmissions (Timers G/H)', () => {
  it('resends at T1, 2·T1, 4·T1, then every T2, and an ACK read in the same turn as a due Timer G stops it unsent', async () => {
    const clock = new ManualClock();
    const retx = new ServerRetransmissions(clock, { t1Ms: T1, t2Ms: T2 });
    let resent = 0;
    retx.start('b1|c1', () => resent++);
    retx.start('b1|c1', () => resent++); // sip.js repeating the answer to a retransmitted INVITE: timers unchanged
    const times: number[] = [];
    const t0 = clock.now();
    for (let i = 0; i < 5; i++) {
      const before = resent;
      while (resent === before) await clock.advance(1);
      times.push(clock.now() - t0);
    }
    expect(times).toEqual([500, 1500, 3500, 7500, 11500]);
    // The next Timer G falls due at 15500 while the ACK already waits: the decision comes after it is read.
    const due = clock.advance(T2);
    retx.ack('b1|c1');
    await due;
    await new Promise((resolve) => setImmediate(resolve));
    expect(resent).toBe(5);
    expect(retx.pending).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('ends at 64·T1 without an ACK (Timer H), and close() leaves no timer', async () => {
    const clock = new ManualClock();
    const retx = new ServerRetransmissions(clock, { t1Ms: T1, t2Ms: T2 });
    retx.start('b2|c2', () => {});
    await clock.advance(64 * T1 - 1);
    expect(retx.pending).toBe(1);
    await clock.advance(1);
    expect({ pending: retx.pending, timedOut: retx.timedOut, timers: clock.pending }).toEqual({ pending: 0, timedOut: 1, timers: 0 });
    // 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s: 10 retransmissions before Timer H at 32 s.
    expect(retx.retransmitted).toBe(10);
    retx.start('b3|c3', () => {});
    retx.close();
    expect(clock.pending).toBe(0);
  });
});

describe('UDP transport: a 486 to an INVITE (RFC 3261 §17.2.1)', () => {
  let clock: ManualClock;
  let peer: UdpPeer;
  let ua: UserAgent;
  let transport: UdpTransport;
  // No onInvite delegate: sip.js answers every INVITE 486 Busy Here.
  udpPeerFor('each', { timers: { t1Ms: T1, t2Ms: T2 } }, (udp) => ({ clock, peer, ua, transport } = udp), () => {
    expect(transport.finalAnswers.pending, 'disconnect ends Timer G/H').toBe(0);
  });

  const request = (method: 'INVITE' | 'ACK', branch: string) => [
    `${method} sip:lobby@127.0.0.1:${transport.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=${branch};rport`,
    'Max-Forwards: 70',
    'From: <sip:pbx@portier.test>;tag=pbx1',
    `To: <sip:lobby@portier.test>${method === 'ACK' ? `;tag=${toTag}` : ''}`,
    'Call-ID: timer-g-1@pbx',
    `CSeq: 1 ${method}`,
    `Contact: <sip:pbx@127.0.0.1:${peer.port}>`,
    'Content-Length: 0', '', '',
  ].join('\r\n');
  let toTag = '';

  const busies = () => peer.received.filter((d) => d.text.startsWith('SIP/2.0 486 '));

  /** Sends the INVITE and waits for sip.js's 486. */
  async function refused(branch: string): Promise<void> {
    await peer.send(request('INVITE', branch), transport.port);
    while (busies().length === 0) await peer.waitFor(peer.received.length + 1);
    toTag = /^To:.*;tag=([^;\s]+)/m.exec(busies()[0]!.text)![1]!;
  }

  /** Advances the clock by `ms`, expecting no 486 before its end and exactly one more at it. */
  async function resentAfter(ms: number): Promise<void> {
    const before = busies().length;
    const sent = transport.sent;
    await clock.advance(ms - 1);
    expect(transport.sent, `nothing is resent ${ms - 1} ms into a ${ms} ms interval`).toBe(sent);
    await clock.advance(1);
    expect(transport.sent).toBe(sent + 1);
    while (busies().length === before) await peer.waitFor(peer.received.length + 1);
  }

  it('sends the 486 again at T1, 2·T1, 4·T1, T2 until its ACK, then never again', async () => {
    await refused('z9hG4bKtimerg1');
    await resentAfter(500);
    await resentAfter(1000);
    await resentAfter(2000);
    await resentAfter(4000);
    expect(new Set(busies().map((d) => d.text)).size, 'the same bytes every time').toBe(1);
    const received = transport.received;
    await peer.send(request('ACK', 'z9hG4bKtimerg1'), transport.port);
    while (transport.received === received) await new Promise((resolve) => setImmediate(resolve));
    expect(transport.finalAnswers.pending).toBe(0);
    const count = busies().length;
    await clock.advance(64 * T1);
    expect(busies()).toHaveLength(count);
    expect(transport.finalAnswers.retransmitted).toBe(4);
  });

  it('gives up at 64·T1 without an ACK (Timer H)', async () => {
    await refused('z9hG4bKtimerg2');
    await clock.advance(64 * T1);
    // Sent at 0, then 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s: 11 in all, as Timer F's 11 requests.
    while (busies().length < 11) await peer.waitFor(peer.received.length + 1);
    const answers = transport.finalAnswers;
    expect({ retransmitted: answers.retransmitted, timedOut: answers.timedOut, pending: answers.pending }).toEqual({ retransmitted: 10, timedOut: 1, pending: 0 });
    const sent = transport.sent;
    await clock.advance(64 * T1);
    expect(transport.sent).toBe(sent);
    expect(busies()).toHaveLength(11);
  });
});
