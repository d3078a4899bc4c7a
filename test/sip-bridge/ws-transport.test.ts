// The stream transport over a WebSocket (RFC 7118) under sip.js against a `ws` server,
// time on a manual clock: each WebSocket message is one SIP message (§5) — one without
// Content-Length is whole, one shorter than its Content-Length is answered 400 (bytes past it are
// discarded, RFC 3261 §18.3) and the connection
// stays (review s26 #13) —, and an upgrade still running when the transport closes is
// given up instead of adopted after the close (review s26 #12).
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { UserAgent, type URI } from 'sip.js';
import type { WebSocket } from 'ws';
import pino from 'pino';
import { SipAccount, type StreamTransport } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { UdpPeer } from './udp-peer.ts';
import { streamUserAgent } from './tcp-peer.ts';
import { WsPeer, sendText } from './ws-peer.ts';

const T1 = 500;

let clock: ManualClock;
let peer: WsPeer;
let ua: UserAgent;
let transport: StreamTransport;
let sequence = 0;

beforeEach(async () => {
  clock = new ManualClock();
  peer = await WsPeer.start();
  ({ ua, transport } = streamUserAgent({ protocol: 'WS', clock, timers: { t1Ms: T1, t2Ms: 4000 }, idleMs: 120_000, maxConnections: 2, maxMessageBytes: 4096 }));
  await ua.start();
});

afterEach(async () => {
  await ua.stop();
  expect(transport.connections).toBe(0);
  await peer.close();
});

const peerUri = (): URI => UserAgent.makeURI(`sip:127.0.0.1:${peer.port};transport=ws`)!;

/** Portier's OPTIONS to the peer (it opens the WebSocket); resolves with the final status sip.js saw. */
function options(): Promise<number> {
  const core = ua.userAgentCore;
  const request = core.makeOutgoingRequestMessage('OPTIONS', peerUri(), ua.configuration.uri, peerUri(), {});
  return new Promise((resolve) => {
    core.request(request, { onAccept: (r) => resolve(r.message.statusCode!), onReject: (r) => resolve(r.message.statusCode!) });
  });
}

/** An OPTIONS to `uri`, with `lengthLine` as its Content-Length line (none: omitted). */
function optionsText(uri: string, viaPort: number, body: string, lengthLine?: string): string {
  sequence++;
  return [
    `OPTIONS ${uri} SIP/2.0`, `Via: SIP/2.0/WS 127.0.0.1:${viaPort};branch=z9hG4bKws${sequence}`,
    'Max-Forwards: 70', `From: <sip:peer@portier.test>;tag=w${sequence}`, 'To: <sip:lobby@portier.test>',
    `Call-ID: ws-${sequence}`, 'CSeq: 1 OPTIONS', ...(body ? ['Content-Type: text/plain'] : []), ...(lengthLine ? [lengthLine] : []), '', body,
  ].join('\r\n');
}

/** The peer's OPTIONS to our user over `ws`. */
const request = (ws: WebSocket, body: string, lengthLine?: string): string =>
  optionsText('sip:lobby@127.0.0.1', (ws as unknown as { _socket: { localPort: number } })._socket.localPort, body, lengthLine);

const status = (text: string): number => Number(/^SIP\/2\.0 (\d{3}) /.exec(text)?.[1]);
const withoutLength = (text: string): string => text.replace(/^Content-Length: \d+\r\n/m, '');

/** The WebSocket Portier opened: its OPTIONS answered 200 without Content-Length. */
async function opened(): Promise<WebSocket> {
  const outcome = options();
  await peer.waitFor(1);
  const first = peer.received[0]!;
  await sendText(first.ws, withoutLength(UdpPeer.answer(first.text, 200, 'OK')));
  expect(await outcome).toBe(200);
  return first.ws;
}

describe('SIP over WebSocket: one SIP message per WebSocket message (RFC 7118 §5, review s26 #13)', () => {
  it('a response and a request without Content-Length are whole messages: both taken, the request answered 200, the connection stays', async () => {
    const ws = await opened();
    const delivered: string[] = [];
    const deliver = transport.onMessage!;
    transport.onMessage = (message) => { delivered.push(message); deliver(message); };
    await sendText(ws, request(ws, 'door 1 please'));
    await peer.waitFor(2);
    expect(status(peer.received[1]!.text)).toBe(200);
    // The body is the rest of the WebSocket message.
    expect(delivered[0]).toMatch(/\r\n\r\ndoor 1 please$/);
    expect(transport.framingErrors).toBe(0);
    expect(transport.connections).toBe(1);
    expect(peer.sockets).toHaveLength(1);
    expect(ws.readyState).toBe(ws.OPEN);
  });

  it('a message shorter than its Content-Length is answered 400 naming it, and the connection stays for the next one', async () => {
    const ws = await opened();
    await sendText(ws, request(ws, 'abc', 'Content-Length: 10'));
    await sendText(ws, request(ws, 'abc', 'Content-Length: 3'));
    await peer.waitFor(3);
    const answers = peer.received.slice(1).map((m) => m.text);
    expect(answers.map(status)).toEqual([400, 200]);
    expect(answers[0]).toMatch(/^Warning: 399 portier "Content-Length 10 but 3 bytes in the WebSocket message \(RFC 7118 §5\)"/m);
    expect(transport.rejected).toBe(1);
    expect(transport.connections).toBe(1);
    expect(peer.sockets).toHaveLength(1);
  });

  it('bytes past a message\'s Content-Length are discarded, the message taken (RFC 3261 §18.3: a trailing CRLF a relayed UDP message may carry)', async () => {
    const ws = await opened();
    const delivered: string[] = [];
    const deliver = transport.onMessage!;
    transport.onMessage = (message) => { delivered.push(message); deliver(message); };
    await sendText(ws, request(ws, 'abcdef', 'Content-Length: 2'));
    await peer.waitFor(2);
    expect(status(peer.received[1]!.text)).toBe(200);
    expect(delivered).toHaveLength(1);
    expect(delivered[0]).toMatch(/\r\n\r\nab$/);
    expect(transport.rejected).toBe(0);
    // A response too: Portier's OPTIONS answered 200 with a CRLF after its Content-Length's end.
    const outcome = options();
    await peer.waitFor(3);
    await sendText(ws, `${UdpPeer.answer(peer.received[2]!.text, 200, 'OK')}\r\n`);
    expect(await outcome).toBe(200);
    expect(transport.connections).toBe(1);
  });

  it('a double CRLF on its own is a keep-alive, answered with one CRLF', async () => {
    const ws = await opened();
    const pong = new Promise<string>((resolve) => ws.once('message', (data) => resolve(data.toString())));
    await sendText(ws, '\r\n\r\n');
    expect(await pong).toBe('\r\n');
    expect(transport.connections).toBe(1);
  });
});

describe('SIP over WebSocket: closing while an upgrade runs (review s26 #12)', () => {
  it('an upgrade still running when the transport disconnects is given up: the send fails, no connection is adopted, the server sees the connection close', async () => {
    const held = peer.holdNextUpgrade();
    const sending = transport.send(optionsText(`sip:127.0.0.1:${peer.port};transport=ws`, 5060, '', 'Content-Length: 0')).then(() => 'sent', (e: Error) => e.message);
    await held.arrived;
    await transport.disconnect();
    held.release();
    expect(await sending).toMatch(/SIP transport closed|upgrade .* failed/);
    expect(transport.connections).toBe(0);
    // The server's end closes (it may still have sent its 101 before it saw the close).
    await peer.sockets[0]!.closed;
    expect(peer.sockets).toHaveLength(1);
  });

  it('an account closed while its first REGISTER\'s upgrade runs keeps no connection once the upgrade would have finished', async () => {
    const held = peer.holdNextUpgrade();
    const account = new SipAccount({
      clock, logger: pino({ level: 'silent' }),
      account: {
        id: 'pbx-ws', transport: 'ws', wsPath: '/', registrar: { host: '127.0.0.1', port: peer.port },
        username: 'lobby', authUsername: 'lobby', password: 'lobby-secret-1', domain: 'portier.test', expiresSeconds: 300, localPort: 0,
      },
      settings: {
        bindAddress: '127.0.0.1', advertisedAddress: '', timers: { t1Ms: T1, t2Ms: 8 * T1 },
        keepaliveMs: 30_000, retryMinMs: 1000, retryMaxMs: 4000, failbackHoldMs: 60_000, accounts: [],
      },
    });
    await account.start();
    await held.arrived;
    await account.close();
    held.release();
    // Whichever comes first: the server's end closes, or the REGISTER arrives over an upgrade adopted after the close.
    await Promise.race([peer.sockets[0]!.closed, peer.waitFor(1)]);
    expect(peer.received.map((m) => m.text.split('\r\n')[0])).toEqual([]);
    expect((account.transport as StreamTransport).connections).toBe(0);
    await peer.sockets[0]!.closed;
  });
});
