// SRTP toward telephones (RFC 3711): AES-CM and the key derivation against the
// RFC's Appendix B vectors, whole packets against libSRTP's, and what a receiver
// refuses — a wrong tag, a replayed or too old packet, a short one — counted,
// never passed on; the rollover counter across a sequence-number wrap.
import { readFileSync } from 'node:fs';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { SrtpSession } from '../../src/sip-bridge/srtp-session.ts';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  aesCmKeystream, deriveSessionKeys, estimateRoc, packetIv, randomMasterKey, REPLAY_WINDOW, SrtpReceiver, SrtpSender, type SrtpMasterKey,
} from '../../src/sip-bridge/index.ts';

const vectors = JSON.parse(readFileSync(new URL('./fixtures/srtp-vectors.json', import.meta.url), 'utf8')) as {
  aesCm: { sessionKey: string; sessionSalt: string; ssrc: number; keystream: { counter: string; block: string }[] };
  keyDerivation: { masterKey: string; masterSalt: string; cipherKey: string; cipherSalt: string; authKeyFirst20: string };
  packets: { masterKey: string; masterSalt: string; rtp: string; srtp: string; srtp32: string; rtcp: string; srtcp: string };
};
const hex = (s: string) => Buffer.from(s, 'hex');
const master = (suite: SrtpMasterKey['suite'] = 'AES_CM_128_HMAC_SHA1_80'): SrtpMasterKey => ({ suite, key: hex(vectors.packets.masterKey), salt: hex(vectors.packets.masterSalt) });

/** An RTP packet: PCMU, the given sequence number and SSRC, a 160-byte payload of `fill`. */
function rtp(seq: number, ssrc = 0x1234_5678, fill = 0xd5): Buffer {
  const p = Buffer.alloc(12 + 160, fill);
  p[0] = 0x80; p[1] = 0;
  p.writeUInt16BE(seq & 0xffff, 2);
  p.writeUInt32BE(seq * 160 >>> 0, 4);
  p.writeUInt32BE(ssrc, 8);
  return p;
}

describe('SRTP transform (RFC 3711)', () => {
  it('AES-CM gives the keystream of RFC 3711 B.2', () => {
    const { sessionKey, sessionSalt, ssrc, keystream } = vectors.aesCm;
    const iv = packetIv(hex(sessionSalt), ssrc, 0);
    expect(iv.toString('hex').toUpperCase()).toBe(keystream[0]!.counter);
    const blocks = aesCmKeystream(hex(sessionKey), iv, 16 * 0x10002);
    for (const { counter, block } of keystream) {
      const at = parseInt(counter.slice(-4), 16) * 16;
      expect(blocks.subarray(at, at + 16).toString('hex').toUpperCase(), counter).toBe(block);
    }
  });

  it('derives the session keys of RFC 3711 B.3', () => {
    const v = vectors.keyDerivation;
    const keys = deriveSessionKeys({ suite: 'AES_CM_128_HMAC_SHA1_80', key: hex(v.masterKey), salt: hex(v.masterSalt) }, false);
    expect(keys.cipherKey.toString('hex').toUpperCase()).toBe(v.cipherKey);
    expect(keys.cipherSalt.toString('hex').toUpperCase()).toBe(v.cipherSalt);
    expect(keys.authKey.toString('hex').toUpperCase()).toBe(v.authKeyFirst20);
  });

  it('protects an RTP packet as libSRTP does, with the 80- and the 32-bit tag', () => {
    expect(new SrtpSender(master()).rtp(hex(vectors.packets.rtp))!.toString('hex')).toBe(vectors.packets.srtp);
    expect(new SrtpSender(master('AES_CM_128_HMAC_SHA1_32')).rtp(hex(vectors.packets.rtp))!.toString('hex')).toBe(vectors.packets.srtp32);
  });

  it('takes libSRTP\'s SRTP and SRTCP packets back to the plain ones', () => {
    const receiver = new SrtpReceiver(master());
    expect(receiver.rtp(hex(vectors.packets.srtp))!.toString('hex')).toBe(vectors.packets.rtp);
    expect(receiver.rtcp(hex(vectors.packets.srtcp))!.toString('hex')).toBe(vectors.packets.rtcp);
    const short = new SrtpReceiver(master('AES_CM_128_HMAC_SHA1_32'));
    expect(short.rtp(hex(vectors.packets.srtp32))!.toString('hex')).toBe(vectors.packets.rtp);
  });

  it('an SRTCP packet of ours carries the E flag and index 0, 1, … and its receiver takes each once', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    const plain = hex(vectors.packets.rtcp);
    const first = sender.rtcp(plain)!;
    const second = sender.rtcp(plain)!;
    expect(first.readUInt32BE(plain.length)).toBe(0x8000_0000);
    expect(second.readUInt32BE(plain.length)).toBe(0x8000_0001);
    expect(first.subarray(8, plain.length).equals(plain.subarray(8))).toBe(false);
    expect(receiver.rtcp(second)).toEqual(plain);
    expect(receiver.rtcp(first)).toEqual(plain);
    expect(receiver.rtcp(first)).toBeUndefined();
    expect(receiver.drops).toEqual({ authFailed: 0, replayed: 1, malformed: 0 });
  });

  it('drops and counts a packet whose tag fails: a flipped payload bit, a flipped header bit, another key', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    const payload = sender.rtp(rtp(1))!;
    payload[20]! ^= 1;
    const header = sender.rtp(rtp(2))!;
    header[1]! ^= 0x08;
    const other = new SrtpSender(randomMasterKey('AES_CM_128_HMAC_SHA1_80')).rtp(rtp(3))!;
    const rtcp = sender.rtcp(hex(vectors.packets.rtcp))!;
    rtcp[rtcp.length - 1]! ^= 0x80;
    expect([receiver.rtp(payload), receiver.rtp(header), receiver.rtp(other), receiver.rtcp(rtcp)]).toEqual([undefined, undefined, undefined, undefined]);
    expect(receiver.drops).toEqual({ authFailed: 4, replayed: 0, malformed: 0 });
    // A failed packet leaves no state: the genuine one with the same index still passes.
    expect(receiver.rtp(sender.rtp(rtp(5))!)).toEqual(rtp(5));
  });

  it('drops and counts a replayed packet and one behind the window, takes a late one inside it', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    const packets = Array.from({ length: REPLAY_WINDOW + 10 }, (_, i) => sender.rtp(rtp(100 + i))!);
    expect(receiver.rtp(packets[0]!)).toEqual(rtp(100));
    const held = packets.at(-5)!;
    for (const p of packets.slice(2)) if (p !== held) expect(receiver.rtp(p)).toBeDefined();
    expect(receiver.rtp(packets[5]!)).toBeUndefined();
    // packets[1] is now behind the window (highest − 128): refused although never seen.
    expect(receiver.rtp(packets[1]!)).toBeUndefined();
    // One held back, late but inside the window, is taken.
    expect(receiver.rtp(held)).toEqual(rtp(100 + REPLAY_WINDOW + 5));
    expect(receiver.drops).toEqual({ authFailed: 0, replayed: 2, malformed: 0 });
  });

  it('carries the rollover counter across a sequence-number wrap on both sides', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    for (let seq = 65530; seq < 65546; seq++) expect(receiver.rtp(sender.rtp(rtp(seq))!), `seq ${seq}`).toEqual(rtp(seq));
    // A late packet from before the wrap still has ROC 0 … and a copy of one after it is refused.
    const early = new SrtpSender(master());
    const late = early.rtp(rtp(65529))!;
    expect(receiver.rtp(late)).toEqual(rtp(65529));
    expect(receiver.drops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });
    expect(estimateRoc(1, 10, 65530)).toBe(0);
    expect(estimateRoc(0, 65530, 3)).toBe(1);
    expect(estimateRoc(0, 100, 101)).toBe(0);
  });

  it('a packet the sender forwards late across a wrap keeps the old rollover counter: the ones after it still authenticate (review s22 #8)', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    const through = (seq: number) => receiver.rtp(sender.rtp(rtp(seq))!);
    for (let seq = 65500; seq < 65536; seq++) if (seq !== 65530) expect(through(seq), `seq ${seq}`).toEqual(rtp(seq));
    for (let seq = 0; seq < 3; seq++) expect(through(seq), `seq ${seq}`).toEqual(rtp(seq));
    // 65530 comes late (reordered before the relay), after the wrap …
    expect(through(65530)).toEqual(rtp(65530));
    // … and the next ones in order are still under ROC 1, not 2.
    for (let seq = 3; seq < 200; seq++) expect(through(seq), `seq ${seq}`).toEqual(rtp(seq));
    expect(receiver.drops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });
  });

  it('a packet from before the stream\'s first one is dropped, not sent under ROC 0: the ones after it still authenticate (review s22 #27)', () => {
    const sender = new SrtpSender(master());
    const receiver = new SrtpReceiver(master());
    // mediasoup's first packets straddle a wrap and arrive swapped: 3 first, then 65534 (ROC −1: nothing to send it under).
    expect(receiver.rtp(sender.rtp(rtp(3))!)).toEqual(rtp(3));
    expect(sender.rtp(rtp(65534))).toBeUndefined();
    for (let seq = 4; seq < 1004; seq++) expect(receiver.rtp(sender.rtp(rtp(seq))!), `seq ${seq}`).toEqual(rtp(seq));
    expect(receiver.drops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });
  });

  it('the session set up once (one ECB context, HMAC states copied) gives what a fresh aes-128-ctr and createHmac give, for any packet (review s22 #22)', () => {
    const keys = { cipherKey: randomBytes(16), cipherSalt: randomBytes(14), authKey: randomBytes(20) };
    const session = new SrtpSession(keys);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 1500 }), fc.integer({ min: 0, max: 0xffff_ffff }), fc.integer({ min: 0, max: 2 ** 48 - 1 }), (bytes, ssrc, index) => {
      const data = Buffer.from(bytes);
      const ctr = createCipheriv('aes-128-ctr', keys.cipherKey, packetIv(keys.cipherSalt, ssrc, index)).update(data);
      expect(session.cipher(ssrc, index, data)).toEqual(ctr);
      const roc = Buffer.alloc(4);
      roc.writeUInt32BE(index % 2 ** 32);
      expect(session.tag(10, data, index % 2 ** 32)).toEqual(createHmac('sha1', keys.authKey).update(data).update(roc).digest().subarray(0, 10));
      expect(session.tag(10, data)).toEqual(createHmac('sha1', keys.authKey).update(data).digest().subarray(0, 10));
    }));
  });

  it('drops and counts short or non-RTP packets, never throws on any bytes', () => {
    const receiver = new SrtpReceiver(master());
    expect(receiver.rtp(Buffer.alloc(21))).toBeUndefined();
    expect(receiver.rtcp(Buffer.alloc(21))).toBeUndefined();
    expect(receiver.rtp(Buffer.from('not rtp at all, not rtp at all'))).toBeUndefined();
    expect(receiver.drops.malformed).toBe(3);
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const b = Buffer.from(bytes);
      expect(receiver.rtp(b)).toBeUndefined();
      expect(receiver.rtcp(b)).toBeUndefined();
    }));
  });
});
