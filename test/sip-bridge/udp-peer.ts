// A bare UDP socket playing the far SIP end in transport tests: it counts and
// keeps every datagram and answers only when the test says so. udpUserAgent is
// Portier's side; udpPeer starts both on a manual clock, udpPeerFor around each test
// or around all the tests of a block.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { UserAgent } from 'sip.js';
import { UdpTransport, type UdpTransportOptions } from '../../src/sip-bridge/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

export interface Datagram { text: string; port: number; host: string }

export class UdpPeer {
  readonly socket: Socket;
  readonly received: Datagram[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data, rinfo) => {
      this.received.push({ text: data.toString('utf8'), port: rinfo.port, host: rinfo.address });
      this.#waiters = this.#waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
    });
  }

  static async start(): Promise<UdpPeer> {
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    return new UdpPeer(socket);
  }

  get port(): number { return this.socket.address().port; }

  /** Resolves once `count` datagrams have arrived in total. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  send(text: string | Buffer, port: number): Promise<void> {
    return new Promise((resolve, reject) => this.socket.send(text, port, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
  }

  /** A response to a received request: its Via, From, To (with a tag), Call-ID and CSeq. */
  static answer(request: string, status: number, reason: string, extra: string[] = []): string {
    const lines = request.split('\r\n');
    const pick = (name: string) => lines.filter((l) => l.toLowerCase().startsWith(`${name}:`));
    const to = pick('to').map((l) => (l.includes(';tag=') ? l : `${l};tag=peer1`));
    return [`SIP/2.0 ${status} ${reason}`, ...pick('via'), ...pick('from'), ...to, ...pick('call-id'), ...pick('cseq'), ...extra, 'Content-Length: 0', '', ''].join('\r\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

type UdpUserAgentOptions = Omit<UdpTransportOptions, 'bindHost' | 'bindPort' | 'advertisedHost'>;

/**
 * Portier's side in transport tests: a sip.js UserAgent (sip:lobby@portier.test) on a
 * UdpTransport bound to 127.0.0.1; `options` adds to the loopback addresses (clock, timers …).
 */
export function udpUserAgent(options: UdpUserAgentOptions): { ua: UserAgent; transport: UdpTransport } {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:lobby@portier.test'),
    viaHost: '127.0.0.1',
    contactParams: { transport: 'udp' },
    transportConstructor: UdpTransport,
    // Copied by descriptor: a getter (the account's `proxy`, read at each send) stays a getter.
    transportOptions: Object.defineProperties({ bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1' }, Object.getOwnPropertyDescriptors(options)),
    logBuiltinEnabled: false,
  });
  return { ua, transport: ua.transport as UdpTransport };
}

export interface UdpPeerFixture {
  clock: ManualClock;
  peer: UdpPeer;
  ua: UserAgent;
  transport: UdpTransport;
  /** Stops the user agent, then closes the peer's socket. */
  close(): Promise<void>;
}

/**
 * A UdpPeer and, started, Portier's user agent (udpUserAgent) on a new manual clock; `options`
 * are the transport's (timers, limits …) but for the clock.
 */
export async function udpPeer(options: Omit<UdpUserAgentOptions, 'clock'>): Promise<UdpPeerFixture> {
  const clock = new ManualClock();
  const peer = await UdpPeer.start();
  // By descriptor, as udpUserAgent copies them: a getter stays a getter.
  const { ua, transport } = udpUserAgent(Object.defineProperties({ clock }, Object.getOwnPropertyDescriptors(options)) as UdpUserAgentOptions);
  await ua.start();
  return { clock, peer, ua, transport, close: async () => { await ua.stop(); await peer.close(); } };
}

/**
 * A udpPeer(options) started before each test (`'each'`) or once before all the tests (`'all'`) of the
 * calling block and handed to `take`; closed after it (them), then `after` runs (what must be left).
 */
export function udpPeerFor(scope: 'each' | 'all', options: Omit<UdpUserAgentOptions, 'clock'>, take: (udp: UdpPeerFixture) => void, after?: () => void): void {
  let udp: UdpPeerFixture | undefined;
  (scope === 'each' ? beforeEach : beforeAll)(async () => { udp = await udpPeer(options); take(udp); });
  (scope === 'each' ? afterEach : afterAll)(async () => { await udp?.close(); after?.(); });
}
