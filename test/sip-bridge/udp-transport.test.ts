// The UDP transport under sip.js against a real UDP socket peer, with time on a
// manual clock: retransmission schedules (Timer A/E, T2 cap), Timer B/F ending in
// 408, rport routing of responses, and retransmitted requests absorbed.
import { describe, it, expect } from 'vitest';
import { UserAgent, type URI } from 'sip.js';
import type { UdpTransport } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { UdpPeer, udpPeerFor, udpUserAgent } from './udp-peer.ts';

const T1 = 500;
const T2 = 4000;

let clock: ManualClock;
let peer: UdpPeer;
let ua: UserAgent;
let transport: UdpTransport;
udpPeerFor('each', { timers: { t1Ms: T1, t2Ms: T2 } }, (udp) => ({ clock, peer, ua, transport } = udp), () => {
  expect(transport.isConnected()).toBe(false);
});

const peerUri = (): URI => UserAgent.makeURI(`sip:127.0.0.1:${peer.port}`)!;

/** Sends an OPTIONS through sip.js's core; resolves with the final status sip.js saw. */
function options(): Promise<number> {
  const core = ua.userAgentCore;
  const request = core.makeOutgoingRequestMessage('OPTIONS', peerUri(), ua.configuration.uri, peerUri(), {});
  return new Promise((resolve) => {
    core.request(request, {
      onAccept: (r) => resolve(r.message.statusCode!),
      onReject: (r) => resolve(r.message.statusCode!),
    });
  });
}

/** Resolves once the transport has taken in `count` datagrams (the peer's send resolves before that). */
async function untilReceived(count: number): Promise<void> {
  while (transport.received < count) await new Promise((resolve) => setImmediate(resolve));
}

/** Advances the clock step by step, expecting exactly one new datagram at the end of each step. */
async function expectRetransmissionsAfter(steps: number[]): Promise<void> {
  for (const step of steps) {
    const received = peer.received.length;
    const sent = transport.sent;
    await clock.advance(step - 1);
    expect(transport.sent, `nothing is resent ${step - 1} ms into a ${step} ms interval`).toBe(sent);
    await clock.advance(1);
    expect(transport.sent).toBe(sent + 1);
    await peer.waitFor(received + 1);
  }
}

describe('UDP transport: client transactions (RFC 3261 §17.1)', () => {
  it('resends a non-INVITE request at T1, 2·T1, 4·T1, then every T2, and the answer ends it', async () => {
    const outcome = options();
    await peer.waitFor(1);
    // Four requests lost: intervals 500, 1000, 2000 and 4000 (T2 caps 4000 → 4000).
    await expectRetransmissionsAfter([500, 1000, 2000, 4000, 4000]);
    expect(peer.received).toHaveLength(6);
    expect(new Set(peer.received.map((d) => d.text)).size, 'the same bytes every time').toBe(1);
    await peer.send(UdpPeer.answer(peer.received[5]!.text, 200, 'OK'), peer.received[5]!.port);
    expect(await outcome).toBe(200);
    expect(transport.retransmissions.pending).toBe(0);
    const sent = transport.sent;
    await clock.advance(64 * T1);
    expect(transport.sent, 'nothing is resent after the final response').toBe(sent);
  });

  it('gives up after 64·T1 (Timer F): 11 datagrams, and sip.js sees 408', async () => {
    const outcome = options();
    await clock.advance(64 * T1 - 1);
    expect(transport.retransmissions.pending).toBe(1);
    await clock.advance(1);
    expect(await outcome).toBe(408);
    // Sent at 0, 0.5, 1.5, 3.5, 7.5, 11.5 … 31.5 s.
    await peer.waitFor(11);
    expect(peer.received).toHaveLength(11);
    expect(transport.retransmissions.timedOut).toBe(1);
    expect(transport.retransmissions.pending).toBe(0);
  });

  it('keeps resending a non-INVITE request every T2 after a provisional response', async () => {
    const outcome = options();
    await peer.waitFor(1);
    await peer.send(UdpPeer.answer(peer.received[0]!.text, 100, 'Trying'), peer.received[0]!.port);
    await untilReceived(1);
    await expectRetransmissionsAfter([T2, T2]);
    await peer.send(UdpPeer.answer(peer.received[0]!.text, 200, 'OK'), peer.received[0]!.port);
    expect(await outcome).toBe(200);
  });

  it('doubles an INVITE\'s interval past T2 (Timer A) and stops at a provisional response', async () => {
    const core = ua.userAgentCore;
    const request = core.makeOutgoingRequestMessage('INVITE', peerUri(), ua.configuration.uri, peerUri(), {}, [`Contact: ${ua.contact.toString()}`]);
    const outcome = new Promise<number>((resolve) => core.invite(request, { onReject: (r) => resolve(r.message.statusCode!) }));
    await peer.waitFor(1);
    await expectRetransmissionsAfter([500, 1000, 2000, 4000, 8000]);
    const invite = peer.received[5]!;
    expect(invite.text.startsWith('INVITE ')).toBe(true);
    await peer.send(UdpPeer.answer(invite.text, 100, 'Trying'), invite.port);
    await untilReceived(1);
    expect(transport.retransmissions.pending).toBe(0);
    await peer.send(UdpPeer.answer(invite.text, 486, 'Busy Here'), invite.port);
    expect(await outcome).toBe(486);
    await peer.waitFor(7);
    expect(peer.received[6]!.text.startsWith('ACK ')).toBe(true);
    await clock.advance(64 * T1);
    expect(peer.received, 'neither the INVITE nor the ACK is resent').toHaveLength(7);
  });

  it('writes the bound port into its Via and asks for rport', async () => {
    const outcome = options();
    await peer.waitFor(1);
    const via = peer.received[0]!.text.split('\r\n').find((l) => l.startsWith('Via:'))!;
    expect(via).toMatch(new RegExp(`^Via: SIP/2\\.0/UDP 127\\.0\\.0\\.1:${transport.port};branch=z9hG4bK\\w+;rport$`));
    expect(peer.received[0]!.port).toBe(transport.port);
    await peer.send(UdpPeer.answer(peer.received[0]!.text, 200, 'OK'), transport.port);
    expect(await outcome).toBe(200);
  });
});

describe('UDP transport: server side', () => {
  const request = (branch: string, viaPort: number) => [
    `OPTIONS sip:${ua.contact.uri.user}@127.0.0.1:${transport.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${viaPort};branch=${branch};rport`,
    'Max-Forwards: 70',
    `From: <sip:pbx@portier.test>;tag=abc`,
    `To: <sip:lobby@portier.test>`,
    'Call-ID: options-1@pbx',
    'CSeq: 1 OPTIONS',
    'Content-Length: 0', '', '',
  ].join('\r\n');

  it('answers at the request\'s source port (rport), not the port its Via names', async () => {
    await peer.send(request('z9hG4bKrport1', 9), transport.port);
    await peer.waitFor(1);
    const response = peer.received[0]!.text;
    expect(response.startsWith('SIP/2.0 200 OK')).toBe(true);
    expect(response).toContain(`Via: SIP/2.0/UDP 127.0.0.1:9;branch=z9hG4bKrport1;rport=${peer.port}`);
  });

  it('answers a retransmitted request with the response already sent, until 64·T1 (Timer J)', async () => {
    await peer.send(request('z9hG4bKretx1', peer.port), transport.port);
    await peer.waitFor(1);
    await peer.send(request('z9hG4bKretx1', peer.port), transport.port);
    await peer.waitFor(2);
    expect(peer.received[1]!.text, 'the same response, same To tag').toBe(peer.received[0]!.text);
    expect(transport.responses.absorbed).toBe(1);
    await clock.advance(64 * T1);
    expect(transport.responses.size).toBe(0);
    await peer.send(request('z9hG4bKretx1', peer.port), transport.port);
    await peer.waitFor(3);
    // sip.js answers it anew: a new To tag.
    expect(peer.received[2]!.text).not.toBe(peer.received[0]!.text);
    expect(transport.responses.absorbed).toBe(1);
  });

  it('survives garbage datagrams and still answers the next request', async () => {
    for (const junk of ['', '\r\n\r\n', 'hello', 'SIP/2.0 200\r\n\r\n', 'OPTIONS sip:x SIP/2.0\r\nVia: nonsense\r\n\r\n', '\u0000\u00ff'.repeat(300)]) {
      await peer.send(junk, transport.port);
    }
    await peer.send(request('z9hG4bKafter', peer.port), transport.port);
    await peer.waitFor(1);
    expect(peer.received.at(-1)!.text).toContain('branch=z9hG4bKafter');
  });
});

describe('UDP transport: after a failover', () => {
  it('a CANCEL goes where its INVITE went, even after the call rang longer than 64·T1 and the server in use changed (review s22 #17)', async () => {
    const own = new ManualClock();
    const a = await UdpPeer.start();
    const b = await UdpPeer.start();
    // The server in use, read at each send (the account's ServerPool.active).
    let active = { host: '127.0.0.1', port: a.port };
    const side = udpUserAgent({ clock: own, timers: { t1Ms: T1, t2Ms: T2 }, get proxy() { return active; } });
    await side.ua.start();
    try {
      const head = (method: string, to: string) => [
        `${method} sip:alice@portier.test SIP/2.0`, 'Via: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKring17', 'Max-Forwards: 70',
        'From: <sip:lobby@portier.test>;tag=f17', `To: ${to}`, 'Call-ID: ring17@127.0.0.1', `CSeq: 1 ${method}`,
      ];
      await side.transport.send([...head('INVITE', '<sip:alice@portier.test>'), 'Content-Length: 0', '', ''].join('\r\n'));
      await a.waitFor(1);
      await a.send(UdpPeer.answer(a.received[0]!.text, 180, 'Ringing'), a.received[0]!.port);
      while (side.transport.received < 1) await new Promise((resolve) => setImmediate(resolve));
      // The phone rings on; meanwhile the account moves to B.
      await own.advance(64 * T1 + 1);
      active = { host: '127.0.0.1', port: b.port };
      const sent = side.transport.sent;
      await side.transport.send([...head('CANCEL', '<sip:alice@portier.test>'), 'Content-Length: 0', '', ''].join('\r\n'));
      expect(side.transport.sent).toBe(sent + 1);
      const cancels = (peer: UdpPeer) => peer.received.filter((d) => d.text.startsWith('CANCEL ')).length;
      while (cancels(a) + cancels(b) === 0) await new Promise((resolve) => setImmediate(resolve));
      expect({ a: cancels(a), b: cancels(b) }).toEqual({ a: 1, b: 0 });
    } finally {
      await side.ua.stop();
      await a.close();
      await b.close();
    }
  });
});
