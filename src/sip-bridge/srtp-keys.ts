// SRTP's keys (RFC 3711 §4.3) for the two suites Portier speaks with SDES
// (RFC 4568 §6.2): AES_CM_128_HMAC_SHA1_80 and _32 — a 16-byte master key and a
// 14-byte master salt, from which AES in counter mode (§4.1.1) derives each
// direction's session cipher key, cipher salt and authentication key. The key
// derivation rate is 0 (RFC 4568's default): the session keys are derived once.
import { createCipheriv, randomBytes } from 'node:crypto';

export type SrtpSuite = 'AES_CM_128_HMAC_SHA1_80' | 'AES_CM_128_HMAC_SHA1_32';
/** In the order Portier offers and prefers them. */
export const SRTP_SUITES: readonly SrtpSuite[] = ['AES_CM_128_HMAC_SHA1_80', 'AES_CM_128_HMAC_SHA1_32'];

export const MASTER_KEY_BYTES = 16;
export const MASTER_SALT_BYTES = 14;

/** One direction's keying material. Never logged, never in a status view. */
export interface SrtpMasterKey {
  suite: SrtpSuite;
  key: Buffer;
  salt: Buffer;
}

/** The session keys of SRTP (labels 0-2) or of SRTCP (labels 3-5). */
export interface SessionKeys {
  cipherKey: Buffer;
  /** 14 bytes. */
  cipherSalt: Buffer;
  /** 20 bytes (HMAC-SHA1's key, RFC 3711 §4.2.1). */
  authKey: Buffer;
}

/** Bytes of the authentication tag: SRTP 10 or 4 by suite; SRTCP always 10 (RFC 4568 §6.2.2). */
export function tagBytes(suite: SrtpSuite, rtcp: boolean): number {
  return rtcp || suite === 'AES_CM_128_HMAC_SHA1_80' ? 10 : 4;
}

/** A fresh random master key and salt for one leg (per call, never reused). */
/** The same suite, key and salt. */
export const sameMasterKey = (a: SrtpMasterKey, b: SrtpMasterKey): boolean => a.suite === b.suite && a.key.equals(b.key) && a.salt.equals(b.salt);

export function randomMasterKey(suite: SrtpSuite): SrtpMasterKey {
  return { suite, key: randomBytes(MASTER_KEY_BYTES), salt: randomBytes(MASTER_SALT_BYTES) };
}

/** `length` bytes of AES-128 counter-mode keystream from the 16-byte counter block `iv` (RFC 3711 §4.1.1). */
export function aesCmKeystream(key: Buffer, iv: Buffer, length: number): Buffer {
  const cipher = createCipheriv('aes-128-ctr', key, iv);
  return cipher.update(Buffer.alloc(length));
}

/** PRF_n(k_master, x) of RFC 3711 §4.3.1 with kdr 0: x = (label || index 0) XOR master salt, shifted 16 bits. */
function derive(master: SrtpMasterKey, label: number, length: number): Buffer {
  const iv = Buffer.alloc(16);
  master.salt.copy(iv, 0);
  // key_id = label || r (r = 0, 48 bits): the label sits 7 bytes from the salt's end.
  iv[MASTER_SALT_BYTES - 7] = iv[MASTER_SALT_BYTES - 7]! ^ label;
  return aesCmKeystream(master.key, iv, length);
}

export function deriveSessionKeys(master: SrtpMasterKey, rtcp: boolean): SessionKeys {
  const base = rtcp ? 3 : 0;
  return {
    cipherKey: derive(master, base, MASTER_KEY_BYTES),
    authKey: derive(master, base + 1, 20),
    cipherSalt: derive(master, base + 2, MASTER_SALT_BYTES),
  };
}

/** The counter block of a packet (RFC 3711 §4.1.1): (salt·2^16) XOR (SSRC·2^64) XOR (index·2^16). */
export function packetIv(salt: Buffer, ssrc: number, index: number): Buffer {
  const iv = Buffer.alloc(16);
  salt.copy(iv, 0);
  iv.writeUInt32BE((iv.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  // The 48-bit index in bytes 8..13.
  const high = Math.floor(index / 2 ** 32);
  const low = index >>> 0;
  iv.writeUInt16BE(iv.readUInt16BE(8) ^ (high & 0xffff), 8);
  iv.writeUInt32BE((iv.readUInt32BE(10) ^ low) >>> 0, 10);
  return iv;
}
