// The TCP transport under sip.js against a real TCP peer, time on a manual clock:
// Via with TCP and the listener's port, no retransmission but Timer F, one
// connection per destination, responses on the connection the request came in
// on, split and coalesced messages, garbage answered 400 then the connection
// closed, 513 past the cap, idle connections closed, the accept limit.
import { connect, createServer, type Socket } from 'node:net';
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { UserAgent, type URI } from 'sip.js';
import type { StreamTransport } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { UdpPeer } from './udp-peer.ts';
import { TcpPeer, streamUserAgent, type PeerConnection } from './tcp-peer.ts';

const T1 = 500;
const IDLE_MS = 120_000;
const MAX_BYTES = 4096;

let clock: ManualClock;
let peer: TcpPeer;
let ua: UserAgent;
let transport: StreamTransport;
let sequence = 0;

beforeEach(async () => {
  clock = new ManualClock();
  peer = await TcpPeer.start();
  ({ ua, transport } = streamUserAgent({
    protocol: 'TCP', clock, timers: { t1Ms: T1, t2Ms: 4000 }, idleMs: IDLE_MS, maxConnections: 2, maxMessageBytes: MAX_BYTES,
  }));
  await ua.start();
});

afterEach(async () => {
  await ua.stop();
  await peer.close();
  expect(transport.isConnected()).toBe(false);
  expect(transport.connections).toBe(0);
});

const peerUri = (): URI => UserAgent.makeURI(`sip:127.0.0.1:${peer.port};transport=tcp`)!;

function options(): Promise<number> {
  const core = ua.userAgentCore;
  const request = core.makeOutgoingRequestMessage('OPTIONS', peerUri(), ua.configuration.uri, peerUri(), {});
  return new Promise((resolve) => {
    core.request(request, { onAccept: (r) => resolve(r.message.statusCode!), onReject: (r) => resolve(r.message.statusCode!) });
  });
}

/** A request from the peer for our user (sip.js answers an OPTIONS 200). */
function request(conn: PeerConnection, extra: string[] = [], body = ''): string {
  sequence++;
  return [
    `OPTIONS sip:lobby@127.0.0.1:${transport.port};transport=tcp SIP/2.0`,
    `Via: SIP/2.0/TCP 127.0.0.1:${conn.socket.localPort};branch=z9hG4bKt${sequence}`,
    'Max-Forwards: 70', `From: <sip:peer@portier.test>;tag=p${sequence}`, 'To: <sip:lobby@portier.test>',
    `Call-ID: tcp-${sequence}`, `CSeq: 1 OPTIONS`, ...extra, `Content-Length: ${Buffer.byteLength(body)}`, '', body,
  ].join('\r\n');
}

const status = (text: string): number => Number(/^SIP\/2\.0 (\d{3}) /.exec(text)?.[1]);

describe('TCP transport: client transactions (RFC 3261 §17.1 over a reliable transport)', () => {
  it('writes Via SIP/2.0/TCP with the listener port, never retransmits, and the answer ends it', async () => {
    const outcome = options();
    await peer.waitFor(1);
    const sent = peer.received[0]!.text;
    expect(sent).toMatch(new RegExp(`^Via: SIP/2\\.0/TCP 127\\.0\\.0\\.1:${transport.port};branch=z9hG4bK\\w+;rport`, 'm'));
    await clock.advance(64 * T1 - 1);
    expect(transport.sent, 'no Timer E on TCP').toBe(1);
    expect(peer.received).toHaveLength(1);
    await peer.received[0]!.conn.send(UdpPeer.answer(sent, 200, 'OK'));
    expect(await outcome).toBe(200);
    expect(transport.retransmissions.pending).toBe(0);
  });

  it('Timer F still ends an unanswered request after 64·T1: one message on the wire, sip.js sees 408', async () => {
    const outcome = options();
    await peer.waitFor(1);
    await clock.advance(64 * T1 - 1);
    expect(transport.retransmissions.pending).toBe(1);
    await clock.advance(1);
    expect(await outcome).toBe(408);
    expect(peer.received).toHaveLength(1);
    expect(transport.retransmissions.timedOut).toBe(1);
  });

  it('reuses one connection for every request to the same destination', async () => {
    const first = options();
    const second = options();
    await peer.waitFor(2);
    expect(peer.accepted).toHaveLength(1);
    expect(peer.received[0]!.conn).toBe(peer.received[1]!.conn);
    for (const m of peer.received) await m.conn.send(UdpPeer.answer(m.text, 200, 'OK'));
    expect([await first, await second]).toEqual([200, 200]);
    expect(transport.opened).toBe(1);
  });

  it('a refused connection is a local 503 for sip.js (no Timer F left)', async () => {
    const closed = await TcpPeer.start();
    const port = closed.port;
    await closed.close();
    const core = ua.userAgentCore;
    const uri = UserAgent.makeURI(`sip:127.0.0.1:${port};transport=tcp`)!;
    const status = await new Promise<number>((resolve) => core.request(core.makeOutgoingRequestMessage('OPTIONS', uri, ua.configuration.uri, uri, {}), {
      onAccept: (r) => resolve(r.message.statusCode!), onReject: (r) => resolve(r.message.statusCode!),
    }));
    expect(status).toBe(503);
    expect(transport.retransmissions.pending).toBe(0);
  });
});

describe('TCP transport: the ACK of an INVITE\'s failure (RFC 3261 §17.1.1.3)', () => {
  it('goes where the INVITE went (the registrar, on its connection), never to the Request-URI\'s domain', async () => {
    // Before: the ACK carries the failure's To tag, so it was routed like an in-dialog request, by its Request-URI
    // (sip:answer@portier.test): a name lookup that fails, and sip.js turns that into a 503 for the whole INVITE when
    // its authenticated retry has no 100 yet — the outbound call over TLS that failed every second run.
    const looked: string[] = [];
    let lookedUp!: () => void;
    const lookupCalled = new Promise<'lookup'>((resolve) => { lookedUp = () => resolve('lookup'); });
    const { ua: caller, transport: t } = streamUserAgent({
      protocol: 'TCP', clock, timers: { t1Ms: T1, t2Ms: 4000 }, idleMs: IDLE_MS, maxConnections: 2,
      proxy: { host: '127.0.0.1', port: peer.port },
      lookup: async (name) => {
        looked.push(name);
        lookedUp();
        throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${name}`), { code: 'ENOTFOUND' });
      },
    });
    await caller.start();
    try {
      const core = caller.userAgentCore;
      const extension = UserAgent.makeURI('sip:answer@portier.test')!;
      const rejected = new Promise<number>((resolve) => core.invite(
        core.makeOutgoingRequestMessage('INVITE', extension, caller.configuration.uri, extension, {}),
        { onReject: (r) => resolve(r.message.statusCode!) },
      ));
      await peer.waitFor(1);
      const invite = peer.received[0]!;
      await invite.conn.send(UdpPeer.answer(invite.text, 486, 'Busy Here'));
      expect(await rejected).toBe(486);
      // Whichever comes first: the ACK at the registrar, or a lookup of the Request-URI's domain.
      const first = await Promise.race([peer.waitFor(2).then(() => 'ack' as const), lookupCalled]);
      expect(looked).toEqual([]);
      expect(first).toBe('ack');
      const ack = peer.received[1]!;
      expect(ack.text).toMatch(/^ACK sip:answer@portier\.test SIP\/2\.0\r\n/);
      expect(ack.conn, 'on the INVITE\'s connection').toBe(invite.conn);
      expect(t.opened).toBe(1);
    } finally {
      await caller.stop();
    }
    expect(t.connections).toBe(0);
  });
});

describe('TLS transport: a peer that never finishes the handshake', () => {
  it('gives up after 64·T1 with a named TLS failure, and the destination can be tried again (review s20 #6)', async () => {
    // A server that accepts TCP and never says a word: before, the handshake waited forever and every later request to it joined that wait.
    const held: Socket[] = [];
    const silent = createServer((socket) => { held.push(socket); socket.on('error', () => {}); });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const tlsClock = new ManualClock();
    const states: string[] = [];
    const { ua: tlsUa, transport: tls } = streamUserAgent({
      protocol: 'TLS', clock: tlsClock, timers: { t1Ms: T1, t2Ms: 4000 }, idleMs: IDLE_MS, maxConnections: 2, onTlsState: (e) => states.push(e?.why.reason ?? 'ok'),
    });
    await tlsUa.start();
    try {
      const accepted = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      const core = tlsUa.userAgentCore;
      const uri = UserAgent.makeURI(`sip:127.0.0.1:${port};transport=tls`)!;
      const status = new Promise<number>((resolve) => core.request(core.makeOutgoingRequestMessage('OPTIONS', uri, tlsUa.configuration.uri, uri, {}), {
        onAccept: (r) => resolve(r.message.statusCode!), onReject: (r) => resolve(r.message.statusCode!),
      }));
      await accepted;
      await tlsClock.advance(64 * T1);
      // Timer F (64·T1, armed first) answers the request; the handshake that never finished is dropped at that moment too.
      expect(await status).toBe(408);
      expect(states).toEqual(['sip.tls-failed']);
      // A new attempt opens a new connection instead of joining the one that never finished.
      const again = new Promise<void>((resolve) => silent.once('connection', () => resolve()));
      core.request(core.makeOutgoingRequestMessage('OPTIONS', uri, tlsUa.configuration.uri, uri, {}), {});
      await again;
    } finally {
      await tlsUa.stop();
      held.forEach((socket) => socket.destroy());
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
    expect(tls.connections).toBe(0);
  });
});

describe('TCP transport: server side (RFC 3261 §18.2)', () => {
  it('answers on the connection the request came in on, not on a new one', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send(request(conn));
    await peer.waitFor(1);
    expect(status(peer.received[0]!.text)).toBe(200);
    expect(peer.received[0]!.conn).toBe(conn);
    expect(peer.accepted, 'Portier opened no connection of its own').toHaveLength(0);
  });

  it('a request split over three writes and two requests in one write: three answers, in order', async () => {
    const conn = await peer.dial(transport.port);
    const split = Buffer.from(request(conn, [], 'hello'));
    const one = request(conn);
    const two = request(conn);
    await conn.send(split.subarray(0, 10));
    await conn.send(split.subarray(10, 200));
    await conn.send(split.subarray(200));
    await conn.send(one + two);
    await peer.waitFor(3);
    expect(peer.received.map((m) => status(m.text))).toEqual([200, 200, 200]);
    expect(peer.received.map((m) => /^Call-ID: (.*)$/m.exec(m.text)?.[1])).toEqual([`tcp-${sequence - 2}`, `tcp-${sequence - 1}`, `tcp-${sequence}`]);
  });

  it('a double CRLF is answered with one CRLF (RFC 5626 keep-alive)', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send('\r\n\r\n');
    await conn.send(request(conn));
    await peer.waitFor(1);
    expect(peer.raw.join('')).toMatch(/^\r\nSIP\/2\.0 200 /);
  });

  it('a request without Content-Length is answered 400 naming why, then the connection closes', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send(request(conn).replace(/Content-Length: 0\r\n/, ''));
    await conn.closed;
    expect(peer.received.map((m) => status(m.text))).toEqual([400]);
    expect(peer.received[0]!.text).toMatch(/^Warning: 399 portier "no Content-Length on a stream/m);
    expect(transport.framingErrors).toBe(1);
  });

  it('a peer that breaks framing and keeps its side open is cut off, not kept half-open (review s20 #2)', async () => {
    // A peer whose socket stays half-open: before, Portier only ended its side and forgot the socket, which then stayed open.
    const socket = connect({ host: '127.0.0.1', port: transport.port, allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    socket.on('error', () => {});
    const ended = new Promise<void>((resolve) => socket.once('end', resolve));
    const closed = new Promise<void>((resolve) => socket.once('close', resolve));
    socket.resume();
    socket.write('OPTIONS sip:lobby@127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/TCP 127.0.0.1:1;branch=z9hG4bK-half\r\n\r\n');
    await ended;
    // Portier's socket is gone: what the peer sends now is refused by the kernel (RST), and the peer's socket closes.
    for (let i = 0; i < 3 && !socket.destroyed; i++) await new Promise<void>((resolve) => socket.write('more\r\n', () => resolve()));
    await closed;
  });

  it(`a message past sip.max_message_bytes (${MAX_BYTES}) is answered 513 before its body arrives, then the connection closes`, async () => {
    const conn = await peer.dial(transport.port);
    const text = request(conn, ['Content-Type: text/plain'], 'b'.repeat(MAX_BYTES));
    await conn.send(text.slice(0, text.indexOf('\r\n\r\n') + 4));
    await conn.closed;
    expect(peer.received.map((m) => status(m.text))).toEqual([513]);
  });

  it('binary garbage closes the connection without an answer; the listener still answers the next one', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send(Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a]));
    await conn.closed;
    expect(peer.received).toHaveLength(0);
    const next = await peer.dial(transport.port);
    await next.send(request(next));
    await peer.waitFor(1);
    expect(status(peer.received[0]!.text)).toBe(200);
  });

  it('a well-framed but malformed request is answered 400 and the connection stays', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send(request(conn).replace(/^Call-ID: .*\r\n/m, ''));
    await conn.send(request(conn));
    await peer.waitFor(2);
    expect(peer.received.map((m) => status(m.text))).toEqual([400, 200]);
    expect(conn.open).toBe(true);
  });

  it('closes a connection idle for sip.stream_idle_seconds, not one in use', async () => {
    const conn = await peer.dial(transport.port);
    await conn.send(request(conn));
    await peer.waitFor(1);
    await clock.advance(IDLE_MS - 1);
    await conn.send(request(conn));
    await peer.waitFor(2);
    await clock.advance(IDLE_MS - 1);
    expect(conn.open).toBe(true);
    await clock.advance(1);
    await conn.closed;
    expect(transport.idleClosed).toBe(1);
  });

  it('one source holds at most sip.stream_max_connections_per_source of them; another source still gets in (review s20 #7)', async () => {
    const warned: Array<{ reason?: string; source?: string; limit?: number }> = [];
    const { ua: listener, transport: t } = streamUserAgent({
      protocol: 'TCP', clock, timers: { t1Ms: T1, t2Ms: 4000 }, idleMs: IDLE_MS, maxConnections: 4, maxConnectionsPerSource: 2,
      logger: { warn: (fields: object) => void warned.push(fields) } as never,
    });
    await listener.start();
    try {
      const a = await peer.dial(t.port);
      const b = await peer.dial(t.port);
      await a.send(request(a));
      await b.send(request(b));
      await peer.waitFor(2);
      // Before: the third connection of 127.0.0.1 took the third of the listener's four places.
      const c = await peer.dial(t.port);
      const d = await peer.dial(t.port);
      await c.closed;
      await d.closed;
      expect([t.refused, t.refusedPerSource]).toEqual([2, 2]);
      expect(warned).toEqual([{ reason: 'sip.source-connections', source: '127.0.0.1', limit: 2, protocol: 'TCP' }]);
      const other = await peer.dial(t.port, '127.0.0.2');
      await other.send(request(other));
      await peer.waitFor(3);
      expect(peer.received[2]!.conn).toBe(other);
      expect(t.connections).toBe(3);
      // A connection of the source closed frees its place (and a later refusal is logged again).
      a.socket.destroy();
      await a.closed;
      while (t.connections > 2) await new Promise((resolve) => setImmediate(resolve));
      const e = await peer.dial(t.port);
      await e.send(request(e));
      await peer.waitFor(4);
      expect(peer.received[3]!.conn).toBe(e);
      expect(t.refusedPerSource).toBe(2);
    } finally {
      await listener.stop();
    }
    expect(t.connections).toBe(0);
  });

  it('accepts at most sip.stream_max_connections connections at once; a closed one frees its place', async () => {
    const a = await peer.dial(transport.port);
    const b = await peer.dial(transport.port);
    await a.send(request(a));
    await b.send(request(b));
    await peer.waitFor(2);
    const c = await peer.dial(transport.port);
    await c.closed;
    expect(transport.refused).toBe(1);
    a.socket.destroy();
    await a.closed;
    while (transport.connections > 1) await new Promise((resolve) => setImmediate(resolve));
    const d = await peer.dial(transport.port);
    await d.send(request(d));
    await peer.waitFor(3);
    expect(peer.received[2]!.conn).toBe(d);
  });
});
