// The stream transport's listener (stream-transport.ts): plain TCP, or TLS with
// Portier's own certificate for peers that connect to Portier (the door stations,
// RFC 3261 §26.3.1: the server presents its certificate, the station's is not asked
// for — it proves itself with the digest). A renewed certificate is taken for the
// next handshakes; a handshake that does not finish within handshakeMs is dropped.
// Over TLS one source's share is applied to raw connections, before their handshake
// (review s26 #9): silent handshakes from one address cannot take every place.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { sourceOf } from './stream-connection.ts';

/** TCP keep-alive on accepted sockets: a peer gone without a FIN (NAT, cable) is found by the kernel (review s26 #10). */
const KEEPALIVE_MS = 30_000;

/** Portier's certificate and key (PEM), as the TLS provider hands them out. */
export interface ServerCertificate { cert: string; key: string }

export interface StreamListenerOptions {
  protocol: 'TCP' | 'TLS';
  bindHost: string;
  bindPort: number;
  /** TLS only: what the listener presents. */
  certificate?: ServerCertificate;
  /** TLS only: a handshake not done by then is dropped (ms). */
  handshakeMs?: number;
  /**
   * TLS only: connections held at once, handshakes under way included; past it a new one is closed at once
   * (the connection table counts only handshaken ones: without this a flood of silent handshakes had no bound).
   */
  maxConnections?: number;
  /** TLS only: of those, raw connections (handshake under way or done) one source may hold; past it a new one is closed at once. */
  maxConnectionsPerSource?: number;
  /** TLS only: a raw connection was closed for its source's share. */
  onSourceRefused?: (source: string, limit: number) => void;
  /** A connected (over TLS: handshaken) socket. */
  onSocket: (socket: Socket) => void;
}

export class StreamListener {
  readonly #server: Server | TlsServer;
  readonly #bind: { host: string; port: number };
  #port = 0;

  constructor(opts: StreamListenerOptions) {
    if (opts.protocol === 'TLS') {
      if (!opts.certificate) throw new Error('a TLS listener needs a certificate');
      const { cert, key } = opts.certificate;
      const server = createTlsServer({ cert, key, handshakeTimeout: opts.handshakeMs ?? 32_000 }, opts.onSocket);
      // A scanner's or a wrong client's failed handshake is its own business: nothing to log per attempt. The socket is
      // ended here: with a listener of its own Node leaves it open, so a silent handshake's timeout dropped nothing.
      server.on('tlsClientError', (_error, socket) => socket.destroy());
      if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
      server.on('connection', (raw: Socket) => { keepAlive(raw); this.#admitBySource(raw, opts); });
      this.#server = server;
    } else {
      this.#server = createTcpServer((socket) => { keepAlive(socket); opts.onSocket(socket); });
    }
    this.#bind = { host: opts.bindHost, port: opts.bindPort };
  }

  get port(): number { return this.#port; }

  /** Raw connections open by source (TLS), handshakes under way included. */
  readonly #perSource = new Map<string, number>();

  #admitBySource(raw: Socket, opts: StreamListenerOptions): void {
    const limit = opts.maxConnectionsPerSource;
    if (limit === undefined) return;
    const source = sourceOf(raw);
    const held = this.#perSource.get(source) ?? 0;
    if (held >= limit) {
      raw.destroy();
      opts.onSourceRefused?.(source, limit);
      return;
    }
    this.#perSource.set(source, held + 1);
    raw.once('close', () => {
      const left = (this.#perSource.get(source) ?? 1) - 1;
      if (left > 0) this.#perSource.set(source, left);
      else this.#perSource.delete(source);
    });
  }

  async listen(): Promise<void> {
    const server = this.#server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#bind.port, this.#bind.host, () => { server.off('error', reject); resolve(); });
    });
    server.on('error', () => {});
    this.#port = (server.address() as { port: number }).port;
  }

  /** TLS: a renewed certificate, for the handshakes from now on. */
  setCertificate(certificate: ServerCertificate): void {
    if ('setSecureContext' in this.#server) this.#server.setSecureContext({ cert: certificate.cert, key: certificate.key });
  }

  close(): Promise<void> {
    return new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function keepAlive(socket: Socket): void {
  socket.setKeepAlive(true, KEEPALIVE_MS);
}
