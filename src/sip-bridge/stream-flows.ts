// Flows (RFC 5626's word) of the stream transport (stream-transport.ts): peers that
// connect to Portier — the door stations over TCP/TLS — are reached over the very
// connection they opened, never over one Portier opens to their Contact (behind NAT
// nothing would answer, and over TLS a station has no certificate to verify).
import type { Connection } from './stream-connection.ts';
import type { HostPort, WireMessage } from './sip-wire.ts';

/**
 * Peers that connect to Portier and are reached over their own connection only (the door stations,
 * RFC 5626-style flows): with these the transport never opens a connection itself.
 */
export interface StreamFlows {
  /** The peer (its connection's address and port) a request to `target` goes out over; undefined: none. */
  flowOf(msg: WireMessage, target: HostPort): HostPort | undefined;
  /** How long a connection from this peer may stay idle, in ms; undefined: idleMs. */
  idleMsOf(peer: HostPort): number | undefined;
  /** A connection from this peer closed (either side, idleness, broken framing). */
  closed(peer: HostPort): void;
  /**
   * Calls `released` with the peer whose flow a binding or call left (it moved to another flow, ended, expired):
   * the transport re-arms that connection's idle timer, the short idle unless it still carries something (review s26 #10).
   */
  onReleased?(released: (peer: HostPort) => void): void;
}

/** The connection table's hooks for peers with flows: their idle time, their connections' end. */
export function flowHooks(flows: StreamFlows): { idleMsOf: (conn: Connection) => number | undefined; onInboundClosed: (conn: Connection) => void } {
  return {
    idleMsOf: (conn) => (conn.inbound ? flows.idleMsOf(conn.peer) : undefined),
    onInboundClosed: (conn) => flows.closed(conn.peer),
  };
}
