// The broker reads complete PUBLISH packets itself (publish-parser.ts) and leaves the
// rest to mqtt-packet: whatever the chunks, the listeners get what mqtt-packet's own
// parser makes of the same bytes — the same packets, in the same order, the same errors.
import { describe, expect, it, vi } from 'vitest';
import mqttPacket from 'mqtt-packet';
import pino from 'pino';
import { readPublishesFirst, MAX_KEPT_BYTES, type MqttParser } from '../../src/device-hub/publish-parser.ts';
import { Broker } from '../../src/device-hub/broker.ts';
import { Listeners } from '../../src/device-hub/listeners.ts';
import { Devices } from '../../src/device-hub/devices.ts';
import { systemClock } from '../../src/core/index.ts';
import { TEST_LIMITS, connect, closeClient, device } from '../support/mqtt.ts';
import { openServices } from '../support/services.ts';

const gen = (packet: object): Buffer => mqttPacket.generate(packet as mqttPacket.Packet);
const publish = (topic: string, payload: Buffer | string, qos: 0 | 1 | 2, extra: object = {}) =>
  gen({ cmd: 'publish', topic, payload, qos, retain: false, dup: false, ...(qos > 0 ? { messageId: 7 } : {}), ...extra });

/** A stream of the packets a broker reads: PUBLISHes of every kind among other packets. */
const STREAM = Buffer.concat([
  publish('portier/hq/sensor-1/event', '{"type":"motion","value":true}', 0),
  publish('portier/hq/sensor-1/event', '{"type":"motion"}', 1, { retain: true }),
  publish('portier/hq/tür-ß/state', 'ä€', 2, { dup: true }),
  gen({ cmd: 'pingreq' }),
  publish('portier/hq/sensor-2/status', '', 0),
  publish('', 'empty topic', 0),
  gen({ cmd: 'subscribe', messageId: 3, subscriptions: [{ topic: 'portier/hq/sensor-1/#', qos: 1 }] }),
  gen({ cmd: 'puback', messageId: 9 }),
  publish('portier/hq/sensor-3/event', Buffer.alloc(300, 7), 1), // a two-byte remaining length
  publish('portier/hq/sensor-4/event', Buffer.from([0xff, 0xfe, 0x00, 0x80]), 0),
  gen({ cmd: 'unsubscribe', messageId: 4, unsubscriptions: ['portier/hq/sensor-1/#'] }),
  publish('portier/hq/sensor-5/event', '{"type":"button"}', 0),
]);

type Seen = Array<{ packet?: Record<string, unknown>; error?: string; kind: string }>;

/** What the listeners of `parser` see when it is handed `chunks` one after another. */
function feed(parser: MqttParser, chunks: Buffer[]): Seen {
  const seen: Seen = [];
  parser.on('packet', (packet: Record<string, unknown>) => seen.push({ packet: { ...packet }, kind: packet.constructor.name }));
  parser.on('error', (error: Error) => seen.push({ error: error.message, kind: 'error' }));
  for (const chunk of chunks) parser.parse(chunk);
  return seen;
}

const plain = (chunks: Buffer[]) => feed(mqttPacket.parser() as unknown as MqttParser, chunks);
function fast(chunks: Buffer[]): Seen {
  const parser = mqttPacket.parser() as unknown as MqttParser;
  readPublishesFirst(parser);
  return feed(parser, chunks);
}

/** The bytes cut at the given offsets. */
const cut = (bytes: Buffer, at: number[]): Buffer[] => [0, ...at].map((from, i) => bytes.subarray(from, [...at, bytes.length][i]));

describe('reading PUBLISH packets in place', () => {
  it('gives what mqtt-packet gives, in one chunk and cut at every byte', () => {
    const whole = plain([STREAM]);
    expect(whole.filter((s) => s.packet?.cmd === 'publish')).toHaveLength(8);
    expect(fast([STREAM])).toEqual(whole);
    for (let at = 1; at < STREAM.length; at++) expect(fast(cut(STREAM, [at])), `cut at ${at}`).toEqual(whole);
    // In pieces of every size from 1 byte on.
    for (let size = 1; size < 64; size++) {
      const at = Array.from({ length: Math.ceil(STREAM.length / size) - 1 }, (_, i) => (i + 1) * size);
      expect(fast(cut(STREAM, at)), `pieces of ${size}`).toEqual(whole);
    }
  });

  it('hands a PUBLISH longer than it keeps to mqtt-packet across chunks, and reads in place again after it', () => {
    const big = publish('portier/hq/sensor-1/event', Buffer.alloc(MAX_KEPT_BYTES + 5_000, 1), 0);
    const bytes = Buffer.concat([STREAM, big, STREAM]);
    const at = Array.from({ length: Math.floor(bytes.length / 4_096) }, (_, i) => (i + 1) * 4_096);
    expect(fast(cut(bytes, at))).toEqual(plain([bytes]));
  });

  it('copies a PUBLISH dribbled a byte per chunk once, not anew with every chunk (review s29 #6)', () => {
    const big = publish('portier/hq/sensor-1/event', Buffer.alloc(60_000, 2), 1);
    const bytes = Buffer.concat([big, publish('t/after', 'x', 0)]);
    const concat = vi.spyOn(Buffer, 'concat');
    try {
      const seen = fast(Array.from({ length: bytes.length }, (_, i) => bytes.subarray(i, i + 1)));
      const copied = concat.mock.results.reduce((sum, r) => sum + (r.value as Buffer).length, 0);
      expect(seen).toEqual(plain([bytes]));
      // One copy of the packet (and a few bytes while its header was cut); each chunk copied anew it was ~1.8 GB.
      expect(copied).toBeLessThanOrEqual(2 * big.length);
    } finally {
      concat.mockRestore();
    }
  });

  it('hands a remaining length of five bytes, cut inside its header, to mqtt-packet, which refuses it as it would in those chunks', () => {
    const lengthTooLong = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]);
    const bytes = Buffer.concat([publish('portier/hq/s/event', 'a', 0), lengthTooLong]);
    const expected = plain([bytes]);
    expect(expected.some((s) => s.kind === 'error')).toBe(true);
    for (let at = bytes.length - lengthTooLong.length + 1; at < bytes.length; at++) expect(fast(cut(bytes, [at])), `cut at ${at}`).toEqual(plain(cut(bytes, [at])));
  });

  it('refuses a remaining length of five bytes when the chunk with its fourth one arrives, also in three chunks', () => {
    // Cut twice inside its header: a chunk that ends with the fourth length byte must bring mqtt-packet's
    // refusal then (it does not wait for a fifth byte), not only with the chunk after it, if one comes at all.
    const lengthTooLong = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01, 0x00]);
    const bytes = Buffer.concat([publish('portier/hq/s/event', 'a', 0), lengthTooLong]);
    const from = bytes.length - lengthTooLong.length + 1;
    for (let first = from; first < bytes.length; first++) {
      for (let second = first + 1; second < bytes.length; second++) {
        const chunks = cut(bytes, [first, second]);
        expect(fast(chunks), `cut at ${first}, ${second}`).toEqual(plain(chunks));
        expect(fast(chunks.slice(0, 2)), `cut at ${first}, ${second}, no third chunk`).toEqual(plain(chunks.slice(0, 2)));
      }
    }
  });

  it('hands a PUBLISH longer than it keeps to mqtt-packet also when its header came cut', () => {
    const big = publish('portier/hq/sensor-1/event', Buffer.alloc(MAX_KEPT_BYTES + 5_000, 3), 0);
    const bytes = Buffer.concat([big, publish('t/after', 'x', 0)]);
    const parser = mqttPacket.parser() as unknown as MqttParser;
    const own = vi.spyOn(parser, 'parse');
    readPublishesFirst(parser);
    const at = [1, ...Array.from({ length: Math.floor(bytes.length / 4_096) }, (_, i) => (i + 1) * 4_096)];
    expect(feed(parser, cut(bytes, at))).toEqual(plain([bytes]));
    expect(own).toHaveBeenCalled(); // kept whole before, whatever its size, once its length was known
  });

  it('refuses what mqtt-packet refuses, as it does', () => {
    const qos3 = Buffer.from(publish('portier/hq/s/event', 'x', 0));
    qos3[0] = qos3[0]! | 0x06;
    const topicPastEnd = Buffer.from([0x30, 0x03, 0x00, 0x09, 0x61]);
    const lengthTooLong = Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x01]);
    for (const bad of [qos3, topicPastEnd, lengthTooLong]) {
      const bytes = Buffer.concat([publish('portier/hq/s/event', 'a', 0), bad]);
      const expected = plain([bytes]);
      expect(expected.some((s) => s.kind === 'error')).toBe(true);
      expect(fast([bytes])).toEqual(expected);
    }
  });

  it('reads a chunk that arrives while a packet\'s listeners run after the chunk before it', () => {
    const first = Buffer.concat([publish('t/1', '1', 0), publish('t/2', '2', 0)]);
    const second = publish('t/3', '3', 0);
    const parser = mqttPacket.parser() as unknown as MqttParser;
    readPublishesFirst(parser);
    const topics: string[] = [];
    let fed = false;
    parser.on('packet', (packet: { topic: string }) => {
      topics.push(packet.topic);
      if (!fed) { fed = true; parser.parse(second); } // as aedes may read the socket again from a listener
    });
    parser.parse(first);
    expect(topics).toEqual(['t/1', 't/2', 't/3']);
  });

  it('leaves mqtt-packet nothing to parse in a stream of whole PUBLISH packets', () => {
    const parser = mqttPacket.parser() as unknown as MqttParser;
    const own = vi.spyOn(parser, 'parse');
    readPublishesFirst(parser);
    const bytes = Buffer.concat(Array.from({ length: 50 }, (_, i) => publish(`portier/hq/sensor-${i}/event`, '{}', (i % 2) as 0 | 1)));
    expect(feed(parser, cut(bytes, [1_000]))).toHaveLength(50);
    expect(own).not.toHaveBeenCalled();
  });

  it('is how the broker reads its connections', async () => {
    const svc = await openServices();
    await svc.sites.create({ type: 'system', id: null }, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const devices = new Devices({ store: svc.store, credentials: svc.credentials, clock: systemClock, sites: svc.sites, audit: svc.audit });
    const broker = new Broker({ devices, logger: pino({ level: 'silent' }), clock: systemClock, limits: TEST_LIMITS });
    await broker.start();
    const listeners = new Listeners(broker, TEST_LIMITS.maxPacketBytes);
    await listeners.listenTcp('127.0.0.1', 0);
    const sensor = await devices.register({ type: 'system', id: null }, { id: 'sensor-1', kind: 'sensor', siteId: 'hq' });
    const proto = Object.getPrototypeOf(mqttPacket.parser()) as { _parsePublish: () => void };
    const parsePublish = vi.spyOn(proto, '_parsePublish');
    const client = await connect(`mqtt://127.0.0.1:${listeners.ports.tcp}`, device({ id: sensor.device.id, secret: sensor.secret }));
    try {
      const got = new Promise<string>((resolve) => broker.once('message', (_d, topic) => resolve(topic)));
      await client.publishAsync('portier/hq/sensor-1/event', '{"type":"motion"}', { qos: 1 });
      expect(await got).toBe('portier/hq/sensor-1/event');
      expect(parsePublish).not.toHaveBeenCalled(); // mqtt-packet read the CONNECT, not the PUBLISH
    } finally {
      parsePublish.mockRestore();
      await closeClient(client);
      await listeners.close();
      await broker.close();
      await svc.close();
    }
  });
});
