// A bare UDP socket playing the far SIP end in transport tests: it counts and
// keeps every datagram and answers only when the test says so.
import { createSocket, type Socket } from 'node:dgram';
import { UserAgent } from 'sip.js';
import { UdpTransport, type UdpTransportOptions } from '../../src/sip-bridge/index.ts';

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

/**
 * Portier's side in transport tests: a sip.js UserAgent (sip:lobby@portier.test) on a
 * UdpTransport bound to 127.0.0.1; `options` adds to the loopback addresses (clock, timers …).
 */
export function udpUserAgent(options: Omit<UdpTransportOptions, 'bindHost' | 'bindPort' | 'advertisedHost'>): { ua: UserAgent; transport: UdpTransport } {
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
