// Review s19 #11: RFC 4733 keys only from the far end's latched media source.
// A relay with a real far end (one socket: audio, then keys) and a spoofer (a
// second socket on the same address, the far end's own address forged): before
// the answer no key is heard; after it the first audio packet latches the far
// end's source port and SSRC, and a PT-101 End packet from the second socket, or
// from the right port with another SSRC, presses no key — only the far end's own.
import { afterEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { RtpRelay } from '../../src/sip-bridge/index.ts';

const AUDIO_SSRC = 0x0e05_384e;

function rtp(pt: number, seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const header = Buffer.alloc(12);
  header[0] = 0x80;
  header[1] = pt;
  header.writeUInt16BE(seq, 2);
  header.writeUInt32BE(timestamp, 4);
  header.writeUInt32BE(ssrc, 8);
  return Buffer.concat([header, payload]);
}
const audio = (seq: number, ssrc = AUDIO_SSRC) => rtp(8, seq, seq * 160, ssrc, Buffer.alloc(160, 0xd5));
/** The End packet of an RFC 4733 event (code 10 is '*'). */
const keyEnd = (code: number, timestamp: number, ssrc = AUDIO_SSRC) => rtp(101, 1000 + timestamp, timestamp, ssrc, Buffer.from([code, 0x80 | 10, 0x03, 0x20]));

const udp = async (): Promise<Socket> => {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  return s;
};

describe('RFC 4733 keys from the latched media source only', () => {
  const sockets: Socket[] = [];
  const relays: RtpRelay[] = [];
  afterEach(() => {
    relays.splice(0).forEach((r) => r.close());
    sockets.splice(0).forEach((s) => s.close());
  });

  /** A relay answered by `farEnd`; `sfu` stands for the PlainTransport and receives the audio the relay passes on. */
  const setup = async () => {
    const relay = await RtpRelay.open('127.0.0.1');
    relays.push(relay);
    const [farEnd, spoofer, sfu] = await Promise.all([udp(), udp(), udp()]);
    sockets.push(farEnd, spoofer, sfu);
    const passed: number[] = [];
    let waiting: Array<() => void> = [];
    sfu.on('message', (data) => { passed.push(data.readUInt16BE(2)); waiting.forEach((w) => w()); });
    relay.connectSfu({ ip: '127.0.0.1', port: sfu.address().port });
    relay.connectRemote({ address: '127.0.0.1', rtpPort: farEnd.address().port, rtcpPort: farEnd.address().port + 1, payloadType: 8, telephoneEvents: [101] }, 8);
    const keys: string[] = [];
    relay.ondigit = (d) => keys.push(d);
    /** Sends in order (each datagram queued at the relay before the next: one loopback receive queue). */
    const send = async (from: Socket, packet: Buffer) => new Promise<void>((resolve, reject) => from.send(packet, relay.rtpPort, '127.0.0.1', (e) => (e ? reject(e) : resolve())));
    /** Everything sent before has been handled once this audio packet from the far end came out at the SFU side. */
    const handled = async (seq: number) => {
      await send(farEnd, audio(seq));
      await new Promise<void>((resolve) => {
        const check = () => { if (passed.includes(seq)) { waiting = []; resolve(); } };
        waiting.push(check);
        check();
      });
    };
    return { relay, farEnd, spoofer, keys, send, handled };
  };

  it('hears no key before the answer, then only End packets from the latched port and SSRC', async () => {
    const { relay, farEnd, spoofer, keys, send, handled } = await setup();
    // Early media: audio and a key before the answer — not heard.
    await send(farEnd, keyEnd(10, 100));
    await handled(1);
    expect([keys, relay.latched, relay.counters.eventsRefused]).toEqual([[], undefined, 1]);

    relay.latchFarEnd();
    await handled(2);
    expect(relay.latched).toEqual({ port: farEnd.address().port, ssrc: AUDIO_SSRC });
    // '*' from a second socket (the far end's address, another port), even with the audio's SSRC ...
    await send(spoofer, keyEnd(10, 200));
    // ... and '1' from the far end's port with another SSRC press no key.
    await send(farEnd, keyEnd(1, 300, 0x1234_5678));
    await handled(3);
    expect(keys).toEqual([]);
    expect(relay.counters).toMatchObject({ eventsRefused: 3, telephoneEvents: 0 });

    // The far end's own '*' and '1' (three End packets each) are one key each.
    for (const [code, ts] of [[10, 400], [1, 500]] as const) for (let i = 0; i < 3; i++) await send(farEnd, keyEnd(code, ts));
    await send(spoofer, keyEnd(2, 600));
    await handled(4);
    expect(keys).toEqual(['*', '1']);
    expect(relay.counters).toMatchObject({ eventsRefused: 4, telephoneEvents: 6 });
  });

  it('latches anew at another answer', async () => {
    const { relay, farEnd, spoofer, keys, send, handled } = await setup();
    relay.latchFarEnd();
    await handled(1);
    relay.latchFarEnd();
    // Audio with a new SSRC from the far end after the new answer is the new source.
    await send(farEnd, audio(2, 0x0bad_cafe));
    await send(farEnd, keyEnd(10, 100));
    await send(farEnd, keyEnd(11, 200, 0x0bad_cafe));
    await send(spoofer, keyEnd(1, 300, 0x0bad_cafe));
    await handled(3);
    expect(relay.latched).toEqual({ port: farEnd.address().port, ssrc: 0x0bad_cafe });
    expect(keys).toEqual(['#']);
  });
});
