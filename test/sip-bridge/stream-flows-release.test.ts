// A station's flow that its binding left (review s26 #10): the stream transport
// re-arms that connection's idle timer when the flows say so, so the abandoned
// connection closes after sip.stream_idle_seconds instead of the binding's hour and
// its source's share is free again. On a manual clock, with real loopback sockets.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, type Socket } from 'node:net';
import { StreamTransport, type StreamFlows } from '../../src/sip-bridge/stream-transport.ts';
import { keyOf } from '../../src/sip-bridge/stream-connection.ts';
import type { HostPort } from '../../src/sip-bridge/sip-wire.ts';
import { ManualClock } from '../support/manual-clock.ts';

const IDLE_MS = 180_000;
const BINDING_IDLE_MS = 3_660_000;

/** Flows with one binding on `bound`: long idle there, released when it moves. */
class OneBinding implements StreamFlows {
  bound: HostPort | undefined;
  #released: ((peer: HostPort) => void) | undefined;
  flowOf(): HostPort | undefined { return this.bound; }
  idleMsOf(peer: HostPort): number | undefined {
    return this.bound && keyOf(peer.host, peer.port) === keyOf(this.bound.host, this.bound.port) ? BINDING_IDLE_MS : undefined;
  }
  closed(): void {}
  onReleased(released: (peer: HostPort) => void): void { this.#released = released; }
  moveTo(peer: HostPort): void {
    const old = this.bound;
    this.bound = peer;
    if (old) this.#released?.(old);
  }
}

describe('stream transport: a flow a binding left', () => {
  let transport: StreamTransport | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await transport?.disconnect();
    transport = undefined;
  });

  it('idles out after idleMs once the binding moved to another connection; the new one stays', async () => {
    const clock = new ManualClock();
    const flows = new OneBinding();
    transport = new StreamTransport(undefined, {
      clock, protocol: 'TCP', bindHost: '127.0.0.1', bindPort: 0, advertisedHost: '127.0.0.1', flows,
      idleMs: IDLE_MS, maxConnections: 8, maxConnectionsPerSource: 2,
    });
    await transport.connect();
    const open = async (): Promise<{ socket: Socket; peer: HostPort; closed: Promise<void> }> => {
      const socket = connect(transport!.port, '127.0.0.1');
      sockets.push(socket);
      await new Promise<void>((resolve, reject) => { socket.once('connect', resolve); socket.once('error', reject); });
      const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
      const peer = { host: '127.0.0.1', port: socket.localPort! };
      flows.moveTo(peer);
      // A byte from it arms its idle timer with the binding's idle (a CRLF ping is answered, nothing else).
      socket.write('\r\n\r\n');
      await new Promise<void>((resolve) => socket.once('data', () => resolve()));
      return { socket, peer, closed };
    };
    const a = await open();
    const b = await open();
    expect(transport.connections).toBe(2);
    await clock.advance(IDLE_MS + 1);
    await a.closed;
    expect(b.socket.destroyed).toBe(false);
    expect(transport.connections).toBe(1);
    expect(transport.idleClosed).toBe(1);
  });
});
