// The per-packet cryptography of SRTP/SRTCP under one set of session keys (RFC 3711
// §4.1.1 AES-CM, §4.2.1 HMAC-SHA1), with its OpenSSL state set up once per session
// instead of once per packet — that set-up was most of a packet's cost (review s22
// #22): one aes-128-ecb context encrypts the packet's counter blocks into its
// keystream (ECB keeps no state between update() calls), and HMAC's inner and outer
// hashes start from copies of states that already took K⊕ipad and K⊕opad.
import { createCipheriv, createHash, type Cipheriv, type Hash } from 'node:crypto';
import { packetIv, type SessionKeys } from './srtp-keys.ts';

const AES_BLOCK = 16;
const SHA1_BLOCK = 64;

export class SrtpSession {
  readonly #ecb: Cipheriv;
  readonly #salt: Buffer;
  /** SHA-1 after K⊕ipad and after K⊕opad (RFC 2104): HMAC = H(K⊕opad ‖ H(K⊕ipad ‖ m)). */
  readonly #inner: Hash;
  readonly #outer: Hash;

  constructor(keys: SessionKeys) {
    this.#ecb = createCipheriv('aes-128-ecb', keys.cipherKey, null).setAutoPadding(false);
    this.#salt = keys.cipherSalt;
    // The auth key (20 bytes) is shorter than SHA-1's block: padded with zeros, never hashed first.
    const key = Buffer.alloc(SHA1_BLOCK);
    keys.authKey.copy(key);
    this.#inner = createHash('sha1').update(Buffer.from(key.map((b) => b ^ 0x36)));
    this.#outer = createHash('sha1').update(Buffer.from(key.map((b) => b ^ 0x5c)));
  }

  /** `data` XOR the packet's keystream: encrypts and decrypts alike. */
  cipher(ssrc: number, index: number, data: Buffer): Buffer {
    const blocks = Math.ceil(data.length / AES_BLOCK);
    const counters = Buffer.allocUnsafe(blocks * AES_BLOCK);
    const iv = packetIv(this.#salt, ssrc, index);
    // The IV's low 16 bits are zero (the salt is 14 bytes): block i's counter is the IV with i there.
    for (let i = 0; i < blocks; i++) {
      iv.copy(counters, i * AES_BLOCK);
      counters.writeUInt16BE(i, i * AES_BLOCK + 14);
    }
    const keystream = this.#ecb.update(counters);
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! ^ keystream[i]!;
    return out;
  }

  /** The first `bytes` of HMAC-SHA1 over `authenticated` (and the ROC, for SRTP). */
  tag(bytes: number, authenticated: Buffer, roc?: number): Buffer {
    const inner = this.#inner.copy().update(authenticated);
    if (roc !== undefined) {
      const r = Buffer.allocUnsafe(4);
      r.writeUInt32BE(roc >>> 0);
      inner.update(r);
    }
    return this.#outer.copy().update(inner.digest()).digest().subarray(0, bytes);
  }
}
