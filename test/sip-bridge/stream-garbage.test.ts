// RFC 4475's torture messages and fast-check garbage fed to the TCP transport
// under a sip.js user agent, each on a connection of its own: where the
// Content-Length framing holds, the same answers as over UDP (torture.test.ts);
// where it does not (no, negative or contradictory Content-Length) one 400 and
// the connection closed; a body shorter than its Content-Length waits and is
// dropped with the connection; random bytes cut at random points never crash the
// transport, never leave a transaction, and the next connection is answered.
// A failure prints its seed (FC_SEED=<seed> repeats it).
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import type { UserAgent } from 'sip.js';
import type { StreamTransport } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { TcpPeer, streamUserAgent, type PeerConnection, type StreamMessage } from './tcp-peer.ts';
import { VALID, INVALID, type Torture } from './torture-cases.ts';

const FIXTURES = new URL('../fixtures/sip-torture/', import.meta.url);
const SEED = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const MAX_BYTES = 8192;

let clock: ManualClock;
let peer: TcpPeer;
let ua: UserAgent;
let transport: StreamTransport;
let probes = 0;

beforeAll(async () => {
  clock = new ManualClock();
  peer = await TcpPeer.start();
  ({ ua, transport } = streamUserAgent({
    protocol: 'TCP', clock, timers: { t1Ms: 500, t2Ms: 4000 }, idleMs: 600_000, maxConnections: 4, maxMessageBytes: MAX_BYTES,
  }));
  await ua.start();
});

afterAll(async () => {
  await ua?.stop();
  await peer?.close();
});

function probe(conn: PeerConnection): { text: string; branch: string } {
  probes++;
  const branch = `z9hG4bKprobe${probes}`;
  return {
    branch,
    text: [
      `OPTIONS sip:lobby@127.0.0.1:${transport.port};transport=tcp SIP/2.0`, `Via: SIP/2.0/TCP 127.0.0.1:${conn.socket.localPort};branch=${branch}`,
      'Max-Forwards: 70', 'From: <sip:probe@portier.test>;tag=p', 'To: <sip:lobby@portier.test>',
      `Call-ID: probe-${probes}`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'),
  };
}

const status = (m: StreamMessage): number => Number(/^SIP\/2\.0 (\d{3}) /.exec(m.text)?.[1]);
const on = (conn: PeerConnection): StreamMessage[] => peer.received.filter((m) => m.conn === conn);

/** Waits until a message on `conn` matches, or the connection closes; resolves with the connection's messages. */
async function until(conn: PeerConnection, match: (m: StreamMessage) => boolean): Promise<StreamMessage[]> {
  for (;;) {
    if (on(conn).some(match) || !conn.open) return on(conn);
    await Promise.race([peer.waitFor(peer.received.length + 1), conn.closed]);
  }
}

function transactions(): number {
  const core = ua.userAgentCore;
  return core.userAgentServers.size + core.userAgentClients.size + transport.retransmissions.pending;
}

/** How a message frames on a stream, judged by the test itself: its Content-Length against the bytes after the headers. */
function framing(bytes: Buffer): 'regular' | 'long' | 'short' | 'broken' | 'too-large' {
  const end = bytes.indexOf('\r\n\r\n');
  // No blank line: over UDP the datagram ends the headers; on a stream they have not ended yet.
  if (end < 0) return 'short';
  const values = bytes.subarray(0, end).toString('latin1').split('\r\n').slice(1)
    .map((l) => /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i.exec(l)?.[1]).filter((v): v is string => v !== undefined);
  if (values.length === 0 || !values.every((v) => /^\d{1,10}$/.test(v) && Number(v) === Number(values[0]))) return 'broken';
  const rest = bytes.length - end - 4;
  const length = Number(values[0]);
  if (end + 4 + length > MAX_BYTES) return 'too-large';
  return rest === length ? 'regular' : rest > length ? 'long' : 'short';
}

/** The answer to the probe on a fresh connection: the listener is still fine. */
async function stillAnswers(): Promise<void> {
  const conn = await peer.dial(transport.port);
  const p = probe(conn);
  await conn.send(p.text);
  const answers = await until(conn, (m) => m.text.includes(p.branch));
  expect(answers.map(status)).toEqual([200]);
  conn.socket.destroy();
  await conn.closed;
}

describe('RFC 4475 torture messages over TCP', () => {
  const run = async (t: Torture) => {
    const bytes = readFileSync(new URL(`${t.file}.dat`, FIXTURES));
    const kind = framing(bytes);
    const before = transactions();
    const conn = await peer.dial(transport.port);
    if (kind === 'regular' || kind === 'long') {
      const p = probe(conn);
      await conn.send(Buffer.concat([bytes, Buffer.from(p.text)]));
      const answers = await until(conn, (m) => m.text.includes(p.branch));
      const statuses = answers.filter((m) => !m.text.includes(p.branch)).map(status);
      if (kind === 'regular') {
        expect(statuses, t.file).toEqual(t.expect === undefined ? [] : [t.expect]);
        expect(answers.at(-1)!.text).toContain(p.branch);
      } else {
        // Bytes past Content-Length start the next message: whatever they make is answered ≥ 400 or closes the connection.
        for (const s of statuses) expect(s === t.expect || s >= 400).toBe(true);
      }
    } else if (kind === 'short') {
      // The rest of the headers or body never comes: nothing is answered; the peer gives up.
      await conn.send(bytes);
      conn.socket.end();
      await conn.closed;
      expect(on(conn).map((m) => m.text.split("\r\n")[0]), t.file).toEqual([]);
    } else {
      // Unframeable, or announcing more than sip.max_message_bytes: one 400/513 for a request, then the connection closes.
      await conn.send(bytes);
      await conn.closed;
      const statuses = on(conn).map(status);
      expect(statuses.length).toBeLessThanOrEqual(1);
      for (const s of statuses) expect(s, t.file).toBe(kind === 'too-large' ? 513 : 400);
    }
    conn.socket.destroy();
    await conn.closed;
    expect(transactions()).toBe(before);
    return kind;
  };

  it('each fixture on its own connection: the UDP answer where the framing holds, 400 and a closed connection where it does not', async () => {
    const kinds: Record<string, string> = {};
    for (const t of [...VALID, ...INVALID]) kinds[t.file] = await run(t);
    // The stream-only cases: the Content-Length ones of RFC 4475 (§3.1.1.8, §3.1.2.2 — 9999 bytes announced, past
    // the cap —, §3.1.2.3, §3.3.9), the RFC 2543 INVITE without Content-Length (§3.4.1: a stream needs it, §18.3)
    // and baddn, whose fixture ends without the blank line (its headers never end on a stream).
    expect(Object.entries(kinds).filter(([, k]) => k !== 'regular').sort()).toEqual([
      ['baddn', 'short'], ['clerr', 'too-large'], ['dblreq', 'long'], ['inv2543', 'broken'], ['mcl01', 'broken'], ['ncl', 'broken'],
    ]);
    await stillAnswers();
  });
});

describe('fast-check garbage over TCP', () => {
  const request = (body: string): string => [
    'OPTIONS sip:lobby@127.0.0.1 SIP/2.0', 'Via: SIP/2.0/TCP 127.0.0.1:5060;branch=z9hG4bKfuzz', 'Max-Forwards: 70',
    'From: <sip:fuzz@portier.test>;tag=f', 'To: <sip:lobby@portier.test>', 'Call-ID: fuzz', 'CSeq: 1 OPTIONS',
    `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
  const garbage = fc.oneof(
    fc.uint8Array({ minLength: 1, maxLength: 3000 }).map((a) => Buffer.from(a)),
    fc.tuple(fc.string({ maxLength: 100 }), fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 40 })).map(([body, at, junk]) => {
      const bytes = Buffer.from(request(body));
      const i = at % bytes.length;
      return Buffer.concat([bytes.subarray(0, i), Buffer.from(junk), bytes.subarray(i)]);
    }),
  );

  it('random and mutated bytes in random pieces: no crash, answers only ≥ 400 or a 200 to a request, no transaction left', async () => {
    const before = transactions();
    await fc.assert(fc.asyncProperty(garbage, fc.array(fc.nat(), { maxLength: 5 }), async (bytes, cuts) => {
      const conn = await peer.dial(transport.port);
      const points = [...new Set(cuts.map((c) => c % bytes.length))].sort((a, b) => a - b);
      let from = 0;
      for (const p of [...points, bytes.length]) {
        if (p > from && conn.open) await conn.send(bytes.subarray(from, p)).catch(() => {});
        from = p;
      }
      // The peer is done: its half-close ends the connection whatever was left unframed.
      if (conn.open) conn.socket.end();
      await conn.closed;
      for (const m of on(conn)) expect(status(m) === 200 || status(m) >= 400).toBe(true);
      expect(transactions()).toBe(before);
    }), { numRuns: 120, seed: SEED });
    await stillAnswers();
    expect(transport.framingErrors).toBeGreaterThan(0);
  });
});
