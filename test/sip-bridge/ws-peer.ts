// The far SIP end over a WebSocket in transport tests (RFC 7118): an HTTP server that
// upgrades to the `sip` subprotocol; every WebSocket message is one SIP message, kept
// with the WebSocket it came on; it answers only when the test says so. The upgrade
// can be held (bounded) until the test lets it go.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';

export interface WsMessage { text: string; ws: WebSocket }

/** A held upgrade: `arrived` once the request is in, `release()` lets the 101 go out. */
export interface HeldUpgrade { arrived: Promise<void>; release: () => void }

/** A held upgrade goes ahead after this long even unreleased, so a failing test cannot hang on it. */
const HOLD_BOUND_MS = 20_000;

export class WsPeer {
  readonly received: WsMessage[] = [];
  /** The TCP connections accepted, with a promise each for its close. */
  readonly sockets: Array<{ socket: Socket; closed: Promise<void> }> = [];
  /** WebSockets upgraded. */
  readonly upgraded: WebSocket[] = [];
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false) });
  #waiters: Array<{ count: number; resolve: () => void }> = [];
  #hold?: { arrive: () => void; released: Promise<void> };
  readonly #bounds = new Set<NodeJS.Timeout>();

  private constructor(server: Server) {
    this.#server = server;
    server.on('connection', (socket: Socket) => {
      this.sockets.push({ socket, closed: new Promise((resolve) => socket.once('close', () => resolve())) });
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => void this.#upgrade(req, socket, head));
  }

  static async start(): Promise<WsPeer> {
    const server = createServer((_req, res) => res.writeHead(404).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new WsPeer(server);
  }

  get port(): number { return (this.#server.address() as { port: number }).port; }

  /** The next upgrade waits for release() (at most HOLD_BOUND_MS). */
  holdNextUpgrade(): HeldUpgrade {
    let arrive!: () => void;
    let release!: () => void;
    const arrived = new Promise<void>((resolve) => { arrive = resolve; });
    const released = new Promise<void>((resolve) => { release = resolve; });
    const bound = setTimeout(release, HOLD_BOUND_MS);
    this.#bounds.add(bound);
    void released.then(() => { clearTimeout(bound); this.#bounds.delete(bound); });
    this.#hold = { arrive, released };
    return { arrived, release };
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const hold = this.#hold;
    this.#hold = undefined;
    if (hold) {
      hold.arrive();
      await hold.released;
    }
    // On a socket the client closed meanwhile, ws destroys it and emits nothing.
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      this.upgraded.push(ws);
      ws.on('message', (data) => this.#take({ text: data.toString(), ws }));
      ws.on('error', () => {});
    });
  }

  #take(message: WsMessage): void {
    this.received.push(message);
    this.#waiters = this.#waiters.filter((w) => (this.received.length >= w.count ? (w.resolve(), false) : true));
  }

  /** Resolves once `count` messages have arrived in total. */
  waitFor(count: number): Promise<void> {
    if (this.received.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  async close(): Promise<void> {
    for (const t of this.#bounds) clearTimeout(t);
    this.#bounds.clear();
    for (const ws of this.upgraded) ws.terminate();
    for (const { socket } of this.sockets) socket.destroy();
    this.#wss.close();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

/** Sends one SIP message as one text WebSocket message. */
export function sendText(ws: WebSocket, text: string): Promise<void> {
  return new Promise((resolve, reject) => ws.send(text, (error) => (error ? reject(error) : resolve())));
}
