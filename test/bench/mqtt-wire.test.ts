// The broker bench's lean MQTT client (bench/mqtt-wire.ts): it reads packets cut
// anywhere, keeps at most `window` QoS 1 publishes unanswered, acknowledges every
// QoS 1 delivery with its own packet id, names a refusal, and gets every message
// through real aedes.
import { createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { PacketReader, WireClient, WireRefused, publishTemplate } from '../../bench/mqtt-wire.ts';

const servers: Server[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy(); // a failed test leaves its client connected
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r));
});

async function listen(onSocket: (socket: Socket) => void): Promise<number> {
  const server = createServer((socket) => { sockets.push(socket); onSocket(socket); });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

const gen = (p: object) => mqttPacket.generate(p as mqttPacket.Packet);

describe('bench mqtt-wire: PacketReader', () => {
  const packets = [
    gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }),
    gen({ cmd: 'publish', topic: 'a/b', payload: Buffer.from('x'), qos: 0, retain: false, dup: false }),
    gen({ cmd: 'publish', topic: 'portier/hq/s/event', payload: Buffer.alloc(300, 7), qos: 1, messageId: 513, retain: false, dup: false }),
    gen({ cmd: 'puback', messageId: 9 }),
    gen({ cmd: 'suback', messageId: 1, granted: [1] }),
  ];
  const all = Buffer.concat(packets);
  const expected = packets.map((p) => ({ first: p[0], body: p.subarray((p[1]! & 0x80) !== 0 ? 3 : 2).toString('hex') }));

  const read = (chunks: Buffer[]) => {
    const seen: Array<{ first: number; body: string }> = [];
    const reader = new PacketReader((first, buf, start, end) => seen.push({ first, body: buf.subarray(start, end).toString('hex') }));
    for (const c of chunks) reader.push(c);
    return seen;
  };

  it('reads the same packets whole, cut at every byte, and a byte at a time', () => {
    expect(read([all])).toEqual(expected);
    for (let cut = 1; cut < all.length; cut++) expect(read([all.subarray(0, cut), all.subarray(cut)])).toEqual(expected);
    expect(read([...all].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('puts a QoS 1 PUBLISH\'s packet id where the template says', () => {
    const { bytes, idAt } = publishTemplate('portier/hq/s/event', '{"a":1}', 1);
    bytes.writeUInt16BE(4242, idAt);
    const parser = mqttPacket.parser();
    const got: mqttPacket.IPublishPacket[] = [];
    parser.on('packet', (p) => got.push(p as mqttPacket.IPublishPacket));
    parser.parse(bytes);
    expect(got).toMatchObject([{ cmd: 'publish', qos: 1, messageId: 4242, topic: 'portier/hq/s/event' }]);
    expect(got[0]!.payload.toString()).toBe('{"a":1}');
  });
});

describe('bench mqtt-wire: WireClient', () => {
  it('keeps at most `window` QoS 1 publishes unanswered and resolves once the last is answered', async () => {
    const WINDOW = 4;
    let published = 0;
    let answered = 0;
    let maxInFlight = 0;
    let holdLast: (() => void) | undefined;
    const port = await listen((socket) => {
      const parser = mqttPacket.parser();
      const unanswered: number[] = [];
      parser.on('packet', (p) => {
        if (p.cmd === 'connect') socket.write(gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
        if (p.cmd !== 'publish') return;
        published++;
        unanswered.push(p.messageId!);
        maxInFlight = Math.max(maxInFlight, unanswered.length);
      });
      // answers once a whole read is parsed: a window's publishes, all but the last
      const answer = () => { answered += unanswered.length; socket.write(Buffer.concat(unanswered.splice(0).map((id) => gen({ cmd: 'puback', messageId: id })))); };
      socket.on('data', (d) => {
        parser.parse(d);
        if (published === 20) holdLast = answer;
        else if (unanswered.length >= WINDOW) answer();
      });
    });
    const client = await WireClient.connect('127.0.0.1', port, { clientId: 'p' });
    let resolved = false;
    const all = client.publishAll('t', 'x', 1, 20, WINDOW).then(() => { resolved = true; });
    while (!holdLast) await new Promise((r) => setImmediate(r));
    expect(resolved).toBe(false);
    expect(maxInFlight).toBe(WINDOW);
    holdLast();
    await all;
    expect({ published, answered, resolved }).toEqual({ published: 20, answered: 20, resolved: true });
    await client.end();
  });

  it('names a refused CONNACK with its return code', async () => {
    const port = await listen((socket) => socket.once('data', () => socket.write(gen({ cmd: 'connack', returnCode: 5, sessionPresent: false }))));
    const refused = await WireClient.connect('127.0.0.1', port, { clientId: 'x', username: 'u', password: 'wrong' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(WireRefused);
    expect(refused).toMatchObject({ code: 5, message: expect.stringMatching(/CONNACK refused x/) });
  });

  it('acknowledges every QoS 1 delivery with its own packet id, however the deliveries are cut', async () => {
    const ids = [1, 2, 300, 65535, 7, 513];
    const delivered = Buffer.concat(ids.map((messageId, i) => gen({ cmd: 'publish', topic: `bench/${i}`, payload: Buffer.from('{"a":1}'), qos: 1, messageId, retain: false, dup: false })));
    const acked: number[] = [];
    let allAcked: () => void = () => {};
    const done = new Promise<void>((r) => { allAcked = r; });
    const port = await listen((socket) => {
      const parser = mqttPacket.parser();
      parser.on('packet', (p) => {
        if (p.cmd === 'connect') socket.write(gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
        if (p.cmd === 'subscribe') {
          socket.write(gen({ cmd: 'suback', messageId: p.messageId, granted: [1] }));
          // the deliveries in three writes cut inside packets
          for (const [from, to] of [[0, 5], [5, 40], [40, delivered.length]] as const) socket.write(delivered.subarray(from, to));
        }
        if (p.cmd === 'puback') { acked.push(p.messageId!); if (acked.length === ids.length) allAcked(); }
      });
      socket.on('data', (d) => parser.parse(d));
      socket.on('close', () => allAcked()); // a client that failed: the ids below tell
    });
    const sub = await WireClient.connect('127.0.0.1', port, { clientId: 'sub' });
    const counts: number[] = [];
    sub.onDeliveries((n) => counts.push(n));
    await sub.subscribe('bench/+', 1);
    await done;
    expect(acked).toEqual(ids);
    expect(counts.at(-1)).toBe(ids.length);
    await sub.end();
  });

  it('delivers every message of three publishers through real aedes', async () => {
    const broker = new Aedes();
    await broker.listen();
    const port = await listen((socket) => broker.handle(socket));
    try {
      const sub = await WireClient.connect('127.0.0.1', port, { clientId: 'sub' });
      await sub.subscribe('bench/+', 1);
      const all = new Promise<void>((resolve) => sub.onDeliveries((n) => { if (n === 600) resolve(); }));
      const pubs = await Promise.all([0, 1, 2].map((i) => WireClient.connect('127.0.0.1', port, { clientId: `pub-${i}` })));
      await Promise.all(pubs.map((p, i) => p.publishAll(`bench/${i}`, `{"i":${i}}`, 1, 200, 8)));
      await all;
      for (const c of [sub, ...pubs]) await c.end();
    } finally {
      await new Promise<void>((r) => broker.close(() => r()));
    }
  });
});
