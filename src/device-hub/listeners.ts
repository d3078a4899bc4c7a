// Transports into the broker: MQTT over TCP, over TLS (the gateway's HTTPS
// certificate, following renewals) and over WebSocket at /mqtt on the web servers.
import { createServer as createTcpServer, type Server as TcpServer, type AddressInfo, type Socket } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import { CONNECT_TIMEOUT_MS, type Broker } from './broker.ts';

export interface TlsMaterialSource {
  readonly material: { cert: string; key: string };
  on(event: 'renewed', listener: (m: { cert: string; key: string }) => void): unknown;
  off(event: 'renewed', listener: (m: { cert: string; key: string }) => void): unknown;
}

const portOf = (s: TcpServer | undefined): number => (s?.address() as AddressInfo | null)?.port ?? 0;

function listen(server: TcpServer, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

export const WS_PATH = '/mqtt';

export class Listeners {
  readonly #broker: Broker;
  #tcp?: TcpServer;
  #tls?: TlsServer;
  #tlsSource?: TlsMaterialSource;
  readonly #onRenewed = (m: { cert: string; key: string }) => this.#tls?.setSecureContext({ cert: m.cert, key: m.key });
  readonly #wss: WebSocketServer;
  #closed = false;

  constructor(broker: Broker, maxPacketBytes: number) {
    this.#broker = broker;
    this.#wss = new WebSocketServer({ noServer: true, maxPayload: maxPacketBytes + 8, handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false) });
  }

  async listenTcp(host: string, port: number): Promise<void> {
    // Door commands are small and latency-bound: no Nagle delay on the broker's writes.
    this.#tcp = createTcpServer({ noDelay: true }, (socket) => this.#broker.handle(socket));
    await listen(this.#tcp, host, port);
  }

  async listenTls(host: string, port: number, source: TlsMaterialSource): Promise<void> {
    const { cert, key } = source.material;
    this.#tls = createTlsServer({ cert, key, noDelay: true, handshakeTimeout: CONNECT_TIMEOUT_MS }, (socket) => this.#broker.handle(socket));
    this.#tls.on('connection', (raw: Socket) => this.#broker.holdHandshake(raw));
    this.#tls.on('tlsClientError', () => {});
    this.#tlsSource = source;
    source.on('renewed', this.#onRenewed);
    await listen(this.#tls, host, port);
  }

  /** Serves MQTT over WebSocket on `path` of an HTTP(S) server; other paths are left alone. */
  attachWebSocket(server: HttpServer | undefined): void {
    if (!server || this.#closed) return;
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const path = (req.url ?? '').split('?')[0];
      if (path !== WS_PATH) return;
      // The web server counts /mqtt as served: after close, close the socket here rather than leave it hanging.
      if (this.#closed) {
        socket.destroy();
        return;
      }
      this.#wss.handleUpgrade(req, socket, head, (ws) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => ws.terminate());
        this.#broker.handle(stream, req);
      });
    };
    server.on('upgrade', listener);
  }

  get ports(): { tcp: number; tls: number } {
    return { tcp: portOf(this.#tcp), tls: portOf(this.#tls) };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#tlsSource?.off('renewed', this.#onRenewed);
    for (const ws of this.#wss.clients) ws.terminate();
    this.#wss.close();
    await Promise.all([this.#tcp, this.#tls].map((s) => s && new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
