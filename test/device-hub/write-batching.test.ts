// batchWrites (src/device-hub/write-batching.ts): an MQTT connection's writes of one
// event-loop turn leave in one writev, and destroying the connection right after a
// write (aedes after a refused CONNACK) still sends what was written.
import { describe, it, expect } from 'vitest';
import { Duplex } from 'node:stream';
import { createServer, connect, type AddressInfo, type Socket } from 'node:net';
import { once } from 'node:events';
import { batchWrites } from '../../src/device-hub/write-batching.ts';

class Recorder extends Duplex {
  readonly batches: string[][] = [];
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void { this.batches.push([chunk.toString()]); done(); }
  override _writev(chunks: Array<{ chunk: Buffer }>, done: () => void): void { this.batches.push(chunks.map((c) => c.chunk.toString())); done(); }
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
    expect(stream.batches).toEqual([['a', 'b', 'c']]);
    stream.write('d');
    await nextTurn();
    expect(stream.batches).toEqual([['a', 'b', 'c'], ['d']]);
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

  it('end() sends what was corked', async () => {
    const stream = new Recorder();
    batchWrites(stream);
    stream.write('x');
    stream.end('y');
    await once(stream, 'finish');
    expect(stream.batches.flat()).toEqual(['x', 'y']);
  });
});
