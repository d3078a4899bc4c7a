// A relay that terminates SRTP keeps what its sender counted when secure() is called again
// with our send key unchanged (the far end re-keyed only its own side in a new answer,
// RFC 4568 §7.1.4): a fresh sender would start SRTCP at index 0 again and encrypt new
// packets with a keystream already used — a two-time pad (RFC 3711 §9.1; review s22 #2).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { RtpRelay, randomMasterKey } from '../../src/sip-bridge/index.ts';

const bind = (): Promise<Socket> => new Promise((resolve) => {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1', () => resolve(s));
});

/** An RTCP receiver report of `ssrc` with one (zeroed) report block. */
function rtcp(ssrc: number): Buffer {
  const p = Buffer.alloc(8 + 24);
  p[0] = 0x81; p[1] = 201; p.writeUInt16BE(7, 2); p.writeUInt32BE(ssrc, 4);
  return p;
}

describe('RtpRelay.secure() called again', () => {
  let relay: RtpRelay;
  let sfu: Socket;
  let phoneRtcp: Socket;
  const received: Buffer[] = [];
  const waiting: Array<(b: Buffer) => void> = [];
  const nextSrtcp = () => new Promise<Buffer>((resolve) => { const b = received.shift(); if (b) resolve(b); else waiting.push(resolve); });

  beforeAll(async () => {
    relay = await RtpRelay.open('127.0.0.1');
    sfu = await bind();
    phoneRtcp = await bind();
    phoneRtcp.on('message', (b) => { const w = waiting.shift(); if (w) w(b); else received.push(b); });
    relay.connectSfu({ ip: '127.0.0.1', port: sfu.address().port });
    relay.connectRemote({ address: '127.0.0.1', rtpPort: phoneRtcp.address().port - 1, rtcpPort: phoneRtcp.address().port, payloadType: 0 }, 0);
  });
  afterAll(() => { relay.close(); sfu.close(); phoneRtcp.close(); });

  /** mediasoup's RTCP through the relay to the phone: the SRTCP index of what arrives (E flag masked off). */
  const indexOfNext = async () => {
    sfu.send(rtcp(0x1111), relay.innerAddress.port, '127.0.0.1');
    const out = await nextSrtcp();
    return out.readUInt32BE(out.length - 14) & 0x7fff_ffff;
  };

  it('keeps the sender (SRTCP index goes on) when only the far end\'s key changed, and starts afresh when ours did', async () => {
    const send = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
    relay.secure({ send, receive: randomMasterKey('AES_CM_128_HMAC_SHA1_80') });
    expect(await indexOfNext()).toBe(0);
    expect(await indexOfNext()).toBe(1);
    // The far end answers a refresh with a new key of its own; ours stays.
    relay.secure({ send, receive: randomMasterKey('AES_CM_128_HMAC_SHA1_80') });
    expect(await indexOfNext()).toBe(2);
    // A new key of ours (a new offer): index 0 again is right, under another key.
    relay.secure({ send: randomMasterKey('AES_CM_128_HMAC_SHA1_80'), receive: randomMasterKey('AES_CM_128_HMAC_SHA1_80') });
    expect(await indexOfNext()).toBe(0);
  });
});
