// One TCP/TLS/WebSocket connection of the stream transport (stream-transport.ts): its
// socket, its framing, its idle timer, and the keys the transport files it under.
import type { Socket } from 'node:net';
import { sourceKey } from './source-key.ts';
import type { Framing } from './stream-framing.ts';
import { formatHost, type HostPort } from './sip-wire.ts';

/** One TCP/TLS connection: its framing, its idle timer. */
export class Connection {
  readonly socket: Socket;
  readonly key: string;
  /** By Content-Length over TCP/TLS, by WebSocket message over WS/WSS. */
  readonly framer: Framing;
  readonly inbound: boolean;
  /** The peer's address without its port (kept: a closed socket forgets it). */
  readonly source: string;
  /** The peer's address and port (kept: a closed socket forgets them). */
  readonly peer: HostPort;
  idle?: NodeJS.Timeout;

  constructor(socket: Socket, key: string, framer: Framing, inbound: boolean) {
    this.socket = socket;
    this.key = key;
    this.framer = framer;
    this.inbound = inbound;
    this.source = sourceOf(socket);
    this.peer = { host: socket.remoteAddress ?? '', port: socket.remotePort ?? 0 };
  }

  get open(): boolean { return !this.socket.destroyed && this.socket.writable; }
  get localPort(): number { return this.socket.localPort ?? 0; }
  get remote(): HostPort { return { host: this.socket.remoteAddress ?? '', port: this.socket.remotePort ?? 0 }; }
}

/** The connection's source as the per-source share counts it: its IPv4 address, or its IPv6 /64 (source-key.ts). */
export const sourceOf = (socket: Socket): string => sourceKey(socket.remoteAddress ?? '');

/** The key of a peer's address and port (IPv4-mapped IPv6 written as IPv4). */
export const keyOf = (host: string, port: number): string => `${formatHost(host.replace(/^::ffff:/, ''))}:${port}`;
