// The broker bench's lean MQTT client (bench/mqtt-wire.ts): it reads packets cut
// anywhere, keeps at most `window` QoS 1 publishes unanswered, answers a turn's
// reads in one write, acknowledges every QoS 1 delivery with its own packet id,
// checks the broker's answers, names a refusal, and gets every message through real
// aedes; runLoad (bench/mqtt-lib.ts) fails a run that loses a client or its deadline,
// or whose subscriber got a message twice (one lost beside it keeps the total right).
import { connect, createServer, type Server, type Socket, type AddressInfo } from 'node:net';
import { Duplex } from 'node:stream';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { Aedes } from 'aedes';
import mqttPacket from 'mqtt-packet';
import { PacketReader, WireClient, WireRefused, connectPacket, publishTemplate, remainingLength } from '../../bench/mqtt-wire.ts';
import { runLoad, LoadShort, type LoadTarget } from '../../bench/mqtt-lib.ts';

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

  it('reads the same packets whole, cut at every byte, cut twice, and a byte at a time', () => {
    expect(read([all])).toEqual(expected);
    for (let cut = 1; cut < all.length; cut++) expect(read([all.subarray(0, cut), all.subarray(cut)])).toEqual(expected);
    for (let a = 1; a < all.length; a += 7) for (let b = a + 1; b < all.length; b += 5) {
      expect(read([all.subarray(0, a), all.subarray(a, b), all.subarray(b)])).toEqual(expected);
    }
    expect(read([...all].map((b) => Buffer.from([b])))).toEqual(expected);
  });

  it('keeps what it is handed: a caller reusing its chunk buffer does not change a cut packet', () => {
    const seen: string[] = [];
    const reader = new PacketReader((_f, buf, start, end) => seen.push(buf.subarray(start, end).toString('hex')));
    const scratch = Buffer.alloc(all.length);
    for (let at = 0; at < all.length; at += 10) {
      const n = all.copy(scratch, 0, at, Math.min(at + 10, all.length));
      reader.push(scratch.subarray(0, n));
      scratch.fill(0xff);
    }
    expect(seen).toEqual(expected.map((e) => e.body));
  });

  it('refuses a fifth remaining-length byte, also when the header comes cut', () => {
    const bad = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(() => read([bad])).toThrow(WireRefused);
    for (let cut = 1; cut < bad.length; cut++) expect(() => read([bad.subarray(0, cut), bad.subarray(cut)])).toThrow(WireRefused);
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

/** A broker on a stream (no socket): what the client writes, and `push` for what it reads, chunk by chunk as given. */
function streamBroker(answer: (packet: mqttPacket.Packet, push: (b: Buffer) => void) => void = () => {}) {
  const writes: Buffer[] = [];
  const parser = mqttPacket.parser();
  const stream: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      writes.push(chunk);
      if (chunk[0] === 0xe0) stream.push(null); // DISCONNECT: the broker closes
      else parser.parse(chunk);
      callback();
    },
  });
  const push = (b: Buffer) => { stream.push(b); };
  parser.on('packet', (p) => {
    if (p.cmd === 'connect') push(gen({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
    else answer(p, push);
  });
  return { stream, writes, push };
}
const turn = () => new Promise((r) => setImmediate(r));
const parse = (chunks: Buffer[]) => {
  const parser = mqttPacket.parser();
  const got: mqttPacket.Packet[] = [];
  parser.on('packet', (p) => got.push(p));
  for (const c of chunks) parser.parse(c);
  return got;
};

describe('bench mqtt-wire: WireClient over a stream (reads as given)', () => {
  it('acknowledges a turn\'s deliveries in one write, with their own ids, however they are cut', async () => {
    const ids = [1, 2, 300, 65535, 7, 513];
    const delivered = Buffer.concat(ids.map((messageId, i) => gen({ cmd: 'publish', topic: `bench/${'t'.repeat(i * 50)}`, payload: Buffer.from('{"a":1}'), qos: 1, messageId, retain: false, dup: false })));
    const broker = streamBroker((p, push) => { if (p.cmd === 'subscribe') push(gen({ cmd: 'suback', messageId: p.messageId, granted: [1] })); });
    const sub = await WireClient.over(broker.stream, { clientId: 'sub' });
    const counts: number[] = [];
    sub.onDeliveries((n) => counts.push(n));
    await sub.subscribe('bench/+', 1);
    broker.writes.length = 0;
    // three reads in one turn, each cut inside a packet
    const cuts = [0, 40, 200, delivered.length];
    for (let i = 0; i < 3; i++) broker.push(delivered.subarray(cuts[i], cuts[i + 1]));
    expect(broker.writes).toEqual([]); // nothing before the turn is over
    await turn();
    expect(broker.writes).toHaveLength(1);
    expect(parse(broker.writes).map((p) => [p.cmd, p.messageId])).toEqual(ids.map((id) => ['puback', id]));
    expect(counts).toEqual([ids.length]);
    await sub.end();
  });

  it('refills a publisher\'s window once per turn, however many reads brought its PUBACKs', async () => {
    const broker = streamBroker();
    const pub = await WireClient.over(broker.stream, { clientId: 'pub' });
    broker.writes.length = 0;
    const all = pub.publishAll('t', 'x', 1, 12, 4);
    expect(parse(broker.writes).map((p) => p.messageId)).toEqual([1, 2, 3, 4]);
    expect(broker.writes).toHaveLength(1);
    for (const id of [1, 2, 3]) broker.push(gen({ cmd: 'puback', messageId: id }));
    await turn();
    expect(broker.writes).toHaveLength(2);
    expect(parse([broker.writes[1]!]).map((p) => p.messageId)).toEqual([5, 6, 7]);
    for (const id of [4, 5, 6, 7]) broker.push(gen({ cmd: 'puback', messageId: id }));
    await turn();
    expect(parse([broker.writes[2]!]).map((p) => p.messageId)).toEqual([8, 9, 10, 11]);
    for (const id of [8, 9, 10, 11]) broker.push(gen({ cmd: 'puback', messageId: id }));
    await turn();
    broker.push(gen({ cmd: 'puback', messageId: 12 }));
    await all;
    expect(parse(broker.writes).filter((p) => p.cmd === 'publish')).toHaveLength(12);
    await pub.end();
  });

  it('wraps its packet ids from 65535 to 1 (never 0) at QoS 1', async () => {
    const ids: number[] = [];
    const broker = streamBroker((p, push) => { if (p.cmd === 'publish') { ids.push(p.messageId!); push(gen({ cmd: 'puback', messageId: p.messageId })); } });
    const pub = await WireClient.over(broker.stream, { clientId: 'pub' });
    await pub.publishAll('t', 'x', 1, 65_540, 64);
    expect(ids).toHaveLength(65_540);
    expect(ids.slice(65_533)).toEqual([65_534, 65_535, 1, 2, 3, 4, 5]);
    expect(ids.includes(0)).toBe(false);
    await pub.end();
  });

  it('writes every QoS 0 publish, a window per write', async () => {
    const broker = streamBroker();
    const pub = await WireClient.over(broker.stream, { clientId: 'pub' });
    broker.writes.length = 0;
    await pub.publishAll('bench/q0', '{"b":2}', 0, 10, 4);
    expect(broker.writes.map((w) => parse([w]).length)).toEqual([4, 4, 2]);
    expect(parse(broker.writes).every((p) => p.cmd === 'publish' && p.qos === 0 && p.topic === 'bench/q0' && p.payload.toString() === '{"b":2}')).toBe(true);
    await pub.end();
  });

  it('fails a publisher on a PUBACK for a packet id it has not in flight', async () => {
    const broker = streamBroker();
    const pub = await WireClient.over(broker.stream, { clientId: 'pub' });
    const all = pub.publishAll('t', 'x', 1, 8, 4).catch((e: unknown) => e);
    broker.push(gen({ cmd: 'puback', messageId: 9 }));
    expect(await all).toMatchObject({ name: 'WireRefused', code: 9, message: expect.stringMatching(/not in flight/) });
    expect(broker.stream.destroyed).toBe(true);
  });

  it('refuses a SUBACK that grants another QoS than asked', async () => {
    const broker = streamBroker((p, push) => { if (p.cmd === 'subscribe') push(gen({ cmd: 'suback', messageId: p.messageId, granted: [0] })); });
    const sub = await WireClient.over(broker.stream, { clientId: 'sub' });
    const refused = await sub.subscribe('bench/+', 1).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: 'WireRefused', code: 0, message: expect.stringMatching(/granted QoS 0, asked QoS 1/) });
    await sub.end();
  });

  it('tells onFailure when the broker closes the connection mid-run', async () => {
    const broker = streamBroker();
    const sub = await WireClient.over(broker.stream, { clientId: 'sub' });
    const failure = new Promise<Error>((r) => sub.onFailure(r));
    broker.stream.destroy();
    expect((await failure).message).toMatch(/closed the connection/);
  });

  it('will not send a password without a user name (MQTT 3.1.1 §3.1.2.9)', () => {
    expect(() => connectPacket({ clientId: 'x', password: 'p' })).toThrow(/password without a user name/);
    expect(parse([connectPacket({ clientId: 'x', username: 'u', password: 'p' })])).toMatchObject([{ cmd: 'connect', clientId: 'x', username: 'u' }]);
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

type Tamper = 'drop' | 'twice' | 'redeliver' | undefined;

/**
 * A relay in front of the broker at `port` that passes everything on, except the broker's n-th PUBLISH
 * (counted over all connections: only the subscriber gets any) when `tamper(n)` says to drop it, to
 * write it twice as it came, or to write it again with DUP set (a broker's redelivery).
 */
async function tamperingRelay(port: number, tamper: (n: number) => Tamper): Promise<number> {
  let n = 0;
  return listen((client) => {
    const upstream = connect(port, '127.0.0.1');
    sockets.push(upstream);
    client.pipe(upstream);
    const reader = new PacketReader((first, buf, start, end) => {
      const whole = Buffer.concat([Buffer.from([first]), remainingLength(end - start), buf.subarray(start, end)]);
      const what = (first & 0xf0) === 0x30 ? tamper(++n) : undefined;
      if (what === 'drop') return;
      client.write(whole);
      if (what === 'twice') client.write(Buffer.from(whole));
      if (what === 'redeliver') { const again = Buffer.from(whole); again[0]! |= 0x08; client.write(again); }
    });
    upstream.on('data', (chunk: Buffer) => reader.push(chunk));
    upstream.on('close', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
}

describe('bench mqtt-lib: runLoad', () => {
  /**
   * Bare aedes on a loopback port; `onPublish(n, dropSubscriber)` after each of the publishers' messages;
   * `tamper`: the clients reach it through a tamperingRelay.
   */
  async function aedesTarget(onPublish: (n: number, dropSubscriber: () => void) => void = () => {}, tamper?: (n: number) => Tamper): Promise<{ target: LoadTarget; close: () => Promise<void> }> {
    const broker = new Aedes();
    await broker.listen();
    let n = 0;
    let subscriber: { close: () => void } | undefined;
    broker.on('client', (client) => { if (client.id === 'sub') subscriber = client; });
    broker.on('publish', (_packet, client) => { if (client) onPublish(++n, () => subscriber?.close()); });
    const brokerPort = await listen((socket) => broker.handle(socket));
    const port = tamper ? await tamperingRelay(brokerPort, tamper) : brokerPort;
    return {
      target: { pid: process.pid, url: `mqtt://127.0.0.1:${port}`, subscriber: { clientId: 'sub' }, publishers: [0, 1].map((i) => ({ clientId: `pub-${i}`, topic: `bench/${i}` })) },
      close: () => new Promise<void>((r) => broker.close(() => r())),
    };
  }
  const load = { qos: 1 as const, perPublisher: 2_000, window: 16, payload: '{}', filter: 'bench/+' };

  it('measures a run that delivers everything', async () => {
    const { target, close } = await aedesTarget();
    try {
      const result = await runLoad(target, { ...load, timeoutMs: 60_000, client: 'wire' });
      expect(result).toMatchObject({ received: 4_000, expected: 4_000, redelivered: 0 });
      expect(result.msgs_per_s).toBeGreaterThan(0);
    } finally { await close(); }
  });

  for (const [qos, client] of [[1, 'wire'], [1, 'mqttjs'], [0, 'wire'], [0, 'mqttjs']] as const) {
    it(`fails a run whose subscriber lost one message and got another twice — the total is right (QoS ${qos}, ${client})`, async () => {
      const { target, close } = await aedesTarget(undefined, (n) => (n === 100 ? 'drop' : n === 200 ? 'twice' : undefined));
      try {
        // the deadline is far away: the rejection comes from the doubled message, not from the lost one
        const short = await runLoad(target, { ...load, qos, timeoutMs: 600_000, client }).catch((e: unknown) => e);
        expect(short).toBeInstanceOf(LoadShort);
        expect((short as LoadShort).message).toMatch(new RegExp(`pub-[01]'s message \\d+ delivered twice \\(QoS ${qos}, DUP not set\\)`));
      } finally { await close(); }
    });
  }

  it('counts a QoS 1 copy the broker re-delivers with DUP set apart, and passes the run', async () => {
    const { target, close } = await aedesTarget(undefined, (n) => (n === 200 ? 'redeliver' : undefined));
    try {
      const result = await runLoad(target, { ...load, timeoutMs: 60_000, client: 'wire' });
      expect(result).toMatchObject({ received: 4_000, expected: 4_000, redelivered: 1 });
    } finally { await close(); }
  });

  for (const client of ['wire', 'mqttjs'] as const) {
    it(`fails the run at once, naming it, when the subscriber's connection goes mid-run (${client})`, async () => {
      const { target, close } = await aedesTarget((n, dropSubscriber) => { if (n === 500) dropSubscriber(); });
      try {
        // the deadline is far away: the rejection comes from the lost client, not from it
        const short = await runLoad(target, { ...load, timeoutMs: 600_000, client }).catch((e: unknown) => e);
        expect(short).toBeInstanceOf(LoadShort);
        expect((short as LoadShort).message).toMatch(/a client failed/);
        expect((short as LoadShort).received).toBeLessThan(4_000);
      } finally { await close(); }
    });
  }

  it('fails the run when its deadline passes before every message is delivered', async () => {
    const { target, close } = await aedesTarget();
    try {
      // a filter nothing is published to: no delivery will ever come
      const short = await runLoad(target, { ...load, filter: 'elsewhere/+', timeoutMs: 300, client: 'wire' }).catch((e: unknown) => e);
      expect(short).toBeInstanceOf(LoadShort);
      expect(short).toMatchObject({ received: 0, expected: 4_000, message: expect.stringMatching(/deadline of 300 ms passed; first missing: pub-0's message 0\)$/) });
    } finally { await close(); }
  });
});
