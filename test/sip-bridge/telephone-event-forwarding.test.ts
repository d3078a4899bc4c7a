// A finding for issue 13's DTMF, kept as a test so a mediasoup upgrade that
// changes it is noticed: does a mediasoup router pass RFC 4733
// telephone-event packets from a plain producer to a consumer? A router with
// PCMA and telephone-event, a producer given both codecs on one SSRC, a plain
// consumer whose capabilities include telephone-event; PCMA and DTMF packets
// go in, and a Node socket counts what comes out by payload type. It does not
// (mediasoup 3.27.1): the SIP leg's RTP relay reads them in Node instead, before
// they reach the PlainTransport (rtp-relay.ts, telephone-event.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import type { types as ms } from 'mediasoup';
import type { WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';

const SSRC = 0x1234_5678;

function rtp(pt: number, seq: number, timestamp: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt;
  header.writeUInt16BE(seq & 0xffff, 2);
  header.writeUInt32BE(timestamp >>> 0, 4);
  header.writeUInt32BE(SSRC, 8);
  return Buffer.concat([header, payload]);
}

/** An RFC 4733 event payload: event, End bit, volume 10, duration. */
const event = (digit: number, end: boolean, duration: number): Buffer => Buffer.from([digit, (end ? 0x80 : 0) | 10, duration >> 8, duration & 0xff]);

describe('mediasoup and RFC 4733 telephone-events (finding)', () => {
  let pool: WorkerPool;
  let router: ms.Router;
  let ear: Socket;
  const received = new Map<number, number>();
  let waiters: Array<() => void> = [];

  beforeAll(async () => {
    pool = await startPool();
    ({ router } = await pool.createRouter({
      mediaCodecs: [
        { kind: 'audio', mimeType: 'audio/PCMA', clockRate: 8000 },
        { kind: 'audio', mimeType: 'audio/telephone-event', clockRate: 8000 },
      ],
    }));
    ear = createSocket('udp4');
    await new Promise<void>((resolve) => ear.bind(0, '127.0.0.1', resolve));
    ear.on('message', (data) => {
      if (data.length < 12 || (data[1]! >= 192 && data[1]! <= 223)) return;
      const pt = data[1]! & 0x7f;
      received.set(pt, (received.get(pt) ?? 0) + 1);
      waiters.forEach((w) => w());
    });
  });
  afterAll(async () => {
    ear?.close();
    router?.close();
    await pool?.close();
  });

  it('forwards PCMA but drops the telephone-event packets of the same producer: DTMF must be read before mediasoup', async () => {
    expect(router.rtpCapabilities.codecs!.some((c) => c.mimeType === 'audio/telephone-event')).toBe(true);
    const sending = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: true });
    const producer = await sending.produce({
      kind: 'audio',
      rtpParameters: {
        codecs: [
          { mimeType: 'audio/PCMA', payloadType: 8, clockRate: 8000 },
          { mimeType: 'audio/telephone-event', payloadType: 101, clockRate: 8000 },
        ],
        encodings: [{ ssrc: SSRC }],
      },
    });
    const receiving = await router.createPlainTransport({ listenInfo: { protocol: 'udp', ip: '127.0.0.1' }, rtcpMux: true, comedia: false });
    await receiving.connect({ ip: '127.0.0.1', port: ear.address().port });
    const consumer = await receiving.consume({ producerId: producer.id, rtpCapabilities: router.rtpCapabilities });
    // The consumer is even told about telephone-event: mediasoup negotiates it ...
    const consumerPt = consumer.rtpParameters.codecs.find((c) => c.mimeType.toLowerCase() === 'audio/telephone-event')?.payloadType;
    expect(consumerPt).toBeDefined();

    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const send = (packet: Buffer) => socket.send(packet, sending.tuple.localPort, '127.0.0.1');
    // 20 packets of speech, then one digit '1' (3 updates and 3 end packets, RFC 4733 §2.5.1.4), then 20 packets of speech.
    let seq = 0;
    for (let i = 0; i < 20; i++) send(rtp(8, seq++, i * 160, Buffer.alloc(160, 0xd5)));
    for (let i = 1; i <= 3; i++) send(rtp(101, seq++, 20 * 160, event(1, false, i * 160)));
    for (let i = 0; i < 3; i++) send(rtp(101, seq++, 20 * 160, event(1, true, 640)));
    for (let i = 20; i < 40; i++) send(rtp(8, seq++, i * 160, Buffer.alloc(160, 0xd5)));

    // Every PCMA packet after the digit arrives (the last one sent comes after all the DTMF ones) ...
    await new Promise<void>((resolve) => {
      const check = () => { if ((received.get(8) ?? 0) >= 40) resolve(); };
      waiters.push(check);
      check();
    });
    waiters = [];
    socket.close();
    // ... and no telephone-event packet came out: the consumer sends only the producer's media codec.
    expect(received.get(8)).toBe(40);
    expect(received.get(consumerPt!) ?? 0).toBe(0);
    // The producer took all 46 (counted in its stats): the drop is on the way to the consumer.
    expect((await producer.getStats())[0]?.packetCount).toBe(46);
    expect([...received.keys()]).toEqual([8]);
  });
});
