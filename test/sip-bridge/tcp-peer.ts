// The far SIP end over TCP in transport tests: a listener (Portier dials it) and
// connections it dials itself (Portier's listener), every message framed by
// Content-Length and kept with the connection it came on; it answers only when
// the test says so.
import { createServer, connect, type Server, type Socket } from 'node:net';
import { UserAgent } from 'sip.js';
import { StreamFramer, StreamTransport, type StreamTransportOptions } from '../../src/sip-bridge/index.ts';

export interface StreamMessage { text: string; conn: PeerConnection }

export class PeerConnection {
  readonly socket: Socket;
  readonly closed: Promise<void>;
  #open = true;

  constructor(socket: Socket, peer: TcpPeer) {
    this.socket = socket;
    const framer = new StreamFramer(1_048_576);
    socket.on('data', (data) => {
      for (const f of framer.push(data)) if (f.kind === 'message') peer.take({ text: f.data.toString(), conn: this });
      peer.raw.push(data.toString('latin1'));
    });
    socket.on('error', () => {});
    this.closed = new Promise((resolve) => socket.once('close', () => { this.#open = false; resolve(); }));
  }

  get open(): boolean { return this.#open; }

  send(text: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(text, (e) => (e ? reject(e) : resolve())));
  }
}

export class TcpPeer {
  readonly server: Server;
  readonly received: StreamMessage[] = [];
  /** Every read as it came (latin1), for CRLF keep-alive answers. */
  readonly raw: string[] = [];
  /** Connections Portier opened to this peer's listener. */
  readonly accepted: PeerConnection[] = [];
  #waiters: Array<{ count: number; resolve: () => void }> = [];

  private constructor(server: Server) {
    this.server = server;
    server.on('connection', (socket) => this.accepted.push(new PeerConnection(socket, this)));
  }

  static async start(): Promise<TcpPeer> {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new TcpPeer(server);
  }

  get port(): number { return (this.server.address() as { port: number }).port; }

  take(message: StreamMessage): void {
    this.received.push(message);
    this.#waiters = this.#waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
  }

  /** Resolves once `count` messages have arrived in total (on any connection). */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** A connection of the peer's own to Portier's listener (from `localAddress`, another loopback address, if given). */
  async dial(port: number, localAddress?: string): Promise<PeerConnection> {
    const socket = connect({ host: '127.0.0.1', port, localAddress });
    await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
    return new PeerConnection(socket, this);
  }

  async close(): Promise<void> {
    for (const c of this.accepted) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/** Portier's side: a sip.js UserAgent (sip:lobby@portier.test) on a StreamTransport bound to 127.0.0.1. */
export function streamUserAgent(options: Omit<StreamTransportOptions, 'bindHost' | 'bindPort' | 'advertisedHost'>): { ua: UserAgent; transport: StreamTransport } {
  const ua = new UserAgent({
    uri: UserAgent.makeURI('sip:lobby@portier.test'),
    viaHost: '127.0.0.1',
    contactParams: { transport: options.protocol.toLowerCase() },
    transportConstructor: StreamTransport,
    transportOptions: { bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1', ...options },
    logBuiltinEnabled: false,
  });
  return { ua, transport: ua.transport as StreamTransport };
}
