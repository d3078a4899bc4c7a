// The open TCP/TLS connections of a stream transport (stream-transport.ts), inbound
// and outbound alike, by key: one per destination, reused for every request to it;
// connections being opened, so a second request waits for the same one; the limits
// on connections accepted from peers (in all, per source address); and each
// connection's idle timer. The transport reads and writes; the table files them.
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import { Connection, keyOf, sourceOf } from './stream-connection.ts';
import { StreamFramer, type Framing } from './stream-framing.ts';
import { WebSocketFraming } from './ws-framing.ts';

export interface ConnectionTableOptions {
  clock: Clock;
  protocol: string;
  /** A connection without a byte either way for this long is closed. */
  idleMs: number;
  /** Connections accepted from peers at once; past it a new one is closed at once. */
  maxConnections: number;
  /** Of those, connections one source address may hold at once; none: maxConnections. */
  maxConnectionsPerSource?: number;
  /** Largest message a connection's framing takes in. */
  maxMessageBytes: number;
  /** WS/WSS: each read is one whole WebSocket message, framed as one SIP message (RFC 7118 §5), not by Content-Length. */
  webSocket?: boolean;
  logger?: Pick<Logger, 'warn'>;
  /** How long this connection may stay idle instead of idleMs (a door station's flow, stream-flows.ts); undefined: idleMs. */
  idleMsOf?: (conn: Connection) => number | undefined;
  /** An inbound connection left the table (closed by either side, idle, broken framing). */
  onInboundClosed?: (conn: Connection) => void;
}

export class ConnectionTable {
  /** Connections opened (both ways), refused past maxConnections (or past maxConnectionsPerSource: refusedPerSource too), closed for idleness. */
  opened = 0;
  refused = 0;
  refusedPerSource = 0;
  idleClosed = 0;
  readonly #opts: ConnectionTableOptions;
  readonly #onData: (conn: Connection, data: Buffer) => void;
  /** Open connections by key (the peer's ip:port; over TLS with the name its certificate was verified as). */
  readonly #connections = new Map<string, Connection>();
  /** Connections being opened, by key. */
  readonly #connecting = new Map<string, Promise<Connection>>();
  /** Sources refused for holding their share, logged once until one of their connections closes (bounded: maxConnections / share). */
  readonly #limitedSources = new Set<string>();

  constructor(options: ConnectionTableOptions, onData: (conn: Connection, data: Buffer) => void) {
    this.#opts = options;
    this.#onData = onData;
  }

  /** Open connections now. */
  get size(): number { return this.#connections.size; }

  /** The open connection under `key`, else the one being opened under it, else a new one from `open` (adopted by it). */
  reuseOrOpen(key: string, open: () => Promise<Connection>): Promise<Connection> {
    const existing = this.#connections.get(key);
    if (existing?.open) return Promise.resolve(existing);
    const pending = this.#connecting.get(key);
    if (pending) return pending;
    const opening = open().finally(() => this.#connecting.delete(key));
    this.#connecting.set(key, opening);
    return opening;
  }

  /** A connection from a peer: taken unless the limits say no (`running` false: the transport is closing). */
  accept(socket: Socket, running: boolean): void {
    const inbound = [...this.#connections.values()].filter((c) => c.inbound);
    if (!running || inbound.length >= this.#opts.maxConnections) {
      this.refused++;
      socket.destroy();
      return;
    }
    // One address must not hold every place (review s20 #7): past its share a new connection is closed at once.
    const source = sourceOf(socket);
    const perSource = this.#opts.maxConnectionsPerSource ?? this.#opts.maxConnections;
    if (inbound.filter((c) => c.source === source).length >= perSource) {
      socket.destroy();
      this.refusedBySource(source, perSource);
      return;
    }
    this.adopt(socket, keyOf(socket.remoteAddress ?? '', socket.remotePort ?? 0), true);
  }

  /** A connection from `source` closed for its share (here, or by the TLS listener before its handshake): counted, logged once. */
  refusedBySource(source: string, limit: number): void {
    this.refused++;
    this.refusedPerSource++;
    if (this.#limitedSources.has(source)) return;
    this.#limitedSources.add(source);
    this.#opts.logger?.warn({ reason: 'sip.source-connections', source, limit, protocol: this.#opts.protocol },
      'sip: a source holds its share of connections, more from it are refused / eine Quelle hält ihren Anteil an Verbindungen, weitere von ihr werden abgewiesen');
  }

  /** Files a socket under `key` (replacing an older one there), reads it, arms its idle timer. */
  adopt(socket: Socket, key: string, inbound: boolean): Connection {
    const conn = new Connection(socket, key, this.#framing(), inbound);
    this.opened++;
    this.#connections.get(key)?.socket.destroy();
    this.#connections.set(key, conn);
    socket.setNoDelay(true);
    // A WebSocket's text message reads as a string (ws-upgrade.ts), its binary one as a Buffer.
    socket.on('data', (data: Buffer | string) => this.#onData(conn, typeof data === 'string' ? Buffer.from(data) : data));
    socket.on('error', () => {});
    socket.on('close', () => this.forget(conn));
    this.touch(conn);
    return conn;
  }

  #framing(): Framing {
    return this.#opts.webSocket ? new WebSocketFraming() : new StreamFramer(Math.min(this.#opts.maxMessageBytes, 1_048_576));
  }

  /** Re-arms the connection's idle timer (any byte either way counts). */
  touch(conn: Connection): void {
    const clock = this.#opts.clock;
    if (conn.idle) clock.clearTimeout(conn.idle);
    conn.idle = clock.setTimeout(() => {
      conn.idle = undefined;
      this.idleClosed++;
      this.close(conn);
    }, this.#opts.idleMsOf?.(conn) ?? this.#opts.idleMs);
  }

  /** The connection under `key`, if open, re-armed with the idle it is due now (a flow that carries nothing more: the short one). */
  rearm(key: string): void {
    const conn = this.get(key);
    if (conn) this.touch(conn);
  }

  /** Out of the table, its idle timer cleared (the socket is the caller's to end). */
  forget(conn: Connection): void {
    if (conn.idle) this.#opts.clock.clearTimeout(conn.idle);
    conn.idle = undefined;
    if (conn.inbound) this.#limitedSources.delete(conn.source);
    if (this.#connections.get(conn.key) !== conn) return;
    this.#connections.delete(conn.key);
    if (conn.inbound) this.#opts.onInboundClosed?.(conn);
  }

  /** The open connection filed under `key`, if any. */
  get(key: string): Connection | undefined {
    const conn = this.#connections.get(key);
    return conn?.open ? conn : undefined;
  }

  close(conn: Connection): void {
    this.forget(conn);
    conn.socket.destroy();
  }

  closeAll(): void {
    for (const conn of [...this.#connections.values()]) this.close(conn);
  }
}
