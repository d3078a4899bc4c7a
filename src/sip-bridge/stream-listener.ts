// The stream transport's listener (stream-transport.ts): plain TCP, or TLS with
// Portier's own certificate for peers that connect to Portier (the door stations,
// RFC 3261 §26.3.1: the server presents its certificate, the station's is not asked
// for — it proves itself with the digest). A renewed certificate is taken for the
// next handshakes; a handshake that does not finish within 64·T1 is dropped.
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';

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
      // A scanner's or a wrong client's failed handshake is its own business: nothing to log per attempt.
      server.on('tlsClientError', () => {});
      if (opts.maxConnections !== undefined) server.maxConnections = opts.maxConnections;
      this.#server = server;
    } else {
      this.#server = createTcpServer(opts.onSocket);
    }
    this.#bind = { host: opts.bindHost, port: opts.bindPort };
  }

  get port(): number { return this.#port; }

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
