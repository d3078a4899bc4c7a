// RFC 4475's torture messages (test/fixtures/sip-torture, bit-exact) fed to the UDP
// transport under a sip.js user agent: the valid-but-strange ones reach sip.js and
// get its answer, the invalid ones are answered 400 (505 for SIP/7.0) by the
// transport, responses without a transaction are dropped; nothing throws and no
// transaction is left behind.
import { describe, it, expect } from 'vitest';
import { readFileSync } from 'node:fs';
import type { UserAgent } from 'sip.js';
import type { UdpTransport } from '../../src/sip-bridge/index.ts';
import type { ManualClock } from '../support/manual-clock.ts';
import { udpPeerFor, type Datagram, type UdpPeer } from './udp-peer.ts';
import { VALID, INVALID } from './torture-cases.ts';

const FIXTURES = new URL('../fixtures/sip-torture/', import.meta.url);
const T1 = 500;

let clock: ManualClock;
let peer: UdpPeer;
let ua: UserAgent;
let transport: UdpTransport;
let probes = 0;

// forceRport: the torture messages' Vias name hosts of 192.0.2.0/24; the answers come back to the peer.
udpPeerFor('all', { timers: { t1Ms: T1, t2Ms: 4000 }, forceRport: true }, (udp) => ({ clock, peer, ua, transport } = udp));

/** An OPTIONS for our own user: its 200 arrives after any answer to what was sent before it. */
function probe(): string {
  probes++;
  return [
    `OPTIONS sip:lobby@127.0.0.1:${transport.port} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${peer.port};branch=z9hG4bKprobe${probes};rport`,
    'Max-Forwards: 70', 'From: <sip:probe@portier.test>;tag=p', 'To: <sip:lobby@portier.test>',
    `Call-ID: probe-${probes}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
  ].join('\r\n');
}

/** Sends the bytes, then a probe; resolves with what came back before the probe's answer. */
async function answersTo(bytes: Buffer): Promise<Datagram[]> {
  const before = peer.received.length;
  await peer.send(bytes, transport.port);
  const marker = probe();
  await peer.send(marker, transport.port);
  const branch = `branch=z9hG4bKprobe${probes};`;
  for (let n = before + 1; ; n++) {
    await peer.waitFor(n);
    if (peer.received[n - 1]!.text.includes(branch)) return peer.received.slice(before, n - 1);
  }
}

function transactions(): number {
  const core = ua.userAgentCore;
  return core.userAgentServers.size + core.userAgentClients.size + transport.retransmissions.pending;
}

const status = (d: Datagram): number => Number(/^SIP\/2\.0 (\d{3}) /.exec(d.text)?.[1]);

describe('RFC 4475 torture messages over UDP', () => {
  for (const t of [...VALID, ...INVALID]) {
    const outcome = t.expect === undefined ? 'no answer' : `${t.expect}`;
    it(`${t.file} (${t.section}): ${outcome}, no transaction left`, async () => {
      const bytes = readFileSync(new URL(`${t.file}.dat`, FIXTURES));
      const before = transactions();
      const answers = await answersTo(bytes);
      expect(answers.map(status)).toEqual(t.expect === undefined ? [] : [t.expect]);
      expect(transactions()).toBe(before);
      if (t.expect === 400 || t.expect === 505 || t.expect === 416) expect(answers[0]!.text).toMatch(/^Warning: 399 portier "/m);
    });
  }

  it('every fixture is listed once, and the cached answers expire after 64·T1 (Timer J)', async () => {
    const listed = [...VALID, ...INVALID].map((t) => `${t.file}.dat`).sort();
    const { readdirSync } = await import('node:fs');
    expect(listed).toEqual(readdirSync(FIXTURES).filter((f) => f.endsWith('.dat')).sort());
    expect(listed).toHaveLength(49);
    await clock.advance(64 * T1);
    expect(transport.responses.size).toBe(0);
    expect(transactions()).toBe(0);
    expect(transport.rejected).toBe([...VALID, ...INVALID].filter((t) => [400, 416, 505].includes(t.expect!)).length);
  });
});
