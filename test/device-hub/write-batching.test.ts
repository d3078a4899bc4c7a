// batchWrites (src/device-hub/write-batching.ts): an MQTT connection's writes of one
// event-loop turn leave in one write, a batch past the stream's high-water mark still
// makes the writer wait for 'drain', and destroying or ending the connection right
// after a write still sends what was written.
import { describe, it, expect } from 'vitest';
import { Duplex } from 'node:stream';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import mqtt from 'mqtt-packet';
import { batchWrites } from '../../src/device-hub/write-batching.ts';

class Recorder extends Duplex {
  readonly batches: string[][] = [];
  /** The bytes as written. */
  readonly raw: Buffer[] = [];
  /** Holds each write's completion until release() (a peer that does not read). */
  held = false;
  readonly #pending: Array<() => void> = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.batches.push([chunk.toString()]);
    this.raw.push(chunk);
    if (this.held) this.#pending.push(done); else done();
  }
  release(): void {
    this.held = false;
    for (const done of this.#pending.splice(0)) done();
  }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void {
    this.batches.push(chunks.map((c) => c.chunk.toString()));
    this.raw.push(...chunks.map((c) => c.chunk));
    done();
  }
}
const nextTurn = () => new Promise((r) => setImmediate(r));

describe('batchWrites', () => {
  it('sends the writes of one turn, across macrotasks of that turn, together', async () => {
    const stream = new Recorder();
    batchWrites(stream);
    stream.write('a');
    queueMicrotask(() => stream.write('b'));
    await new Promise<void>((resolve) => process.nextTick(() => { stream.write('c'); resolve(); }));
    expect(stream.batches).toEqual([]);
    await nextTurn();
    expect(stream.batches).toEqual([['abc']]);
    stream.write('d');
    await nextTurn();
    expect(stream.batches).toEqual([['abc'], ['d']]);
  });

  it('writes a batch past the high-water mark at once and answers false until the stream drains', async () => {
    const stream = new Recorder({ highWaterMark: 16 });
    batchWrites(stream);
    stream.held = true;
    expect(stream.write('0123456789')).toBe(true); // kept for the turn
    expect(stream.batches).toEqual([]);
    // 20 bytes ≥ 16: written now, and the stream's own false asks the writer to wait for 'drain'.
    expect(stream.write('abcdefghij')).toBe(false);
    expect(stream.batches).toEqual([['0123456789abcdefghij']]);
    expect(stream.write('x')).toBe(false); // still full: kept, and the answer stays false
    const drained = once(stream, 'drain');
    stream.release();
    await drained;
    await nextTurn();
    expect(stream.batches).toEqual([['0123456789abcdefghij'], ['x']]);
  });

  it('hands what was written to the socket before destroying it', async () => {
    const server = createServer((socket: Socket) => {
      batchWrites(socket);
      socket.write('refused');
      socket.destroy();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
    let received = '';
    client.on('data', (d) => { received += d; });
    await once(client, 'close');
    server.close();
    expect(received).toBe('refused');
  });

  it('mqtt-packet writes a batched stream without corking it, and its PUBLISHes arrive byte for byte (topics as UTF-8)', async () => {
    const stream = new Recorder();
    batchWrites(stream);
    const packets = ['portier/hq/sensor-1/event', 'portier/hq/tür-ß/event', 'portier/hq/😀/event'].map((topic, i) => ({
      cmd: 'publish' as const, topic, payload: Buffer.from(`{"n":${i}}`), qos: 1 as const, messageId: i + 1, retain: false, dup: false,
    }));
    for (const packet of packets) {
      mqtt.writeToStream(packet, stream);
      // Unbatched, mqtt-packet corks the stream for the rest of the tick at every packet (and schedules its uncork).
      expect(stream.writableCorked).toBe(0);
    }
    await nextTurn();
    expect(stream.batches).toHaveLength(1);
    const sent = Buffer.concat(stream.raw);
    expect(sent.equals(Buffer.concat(packets.map((p) => mqtt.generate(p))))).toBe(true);
  });

  it('end() sends what was corked', async () => {
    const stream = new Recorder();
    batchWrites(stream);
    stream.write('x');
    stream.end('y');
    await once(stream, 'finish');
    expect(stream.batches.flat()).toEqual(['x', 'y']);
  });
});
