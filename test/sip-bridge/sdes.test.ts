// SDES (RFC 4568) a=crypto attributes: the first usable one taken in the offer's
// order, each other refused by a named reason that never carries the key —
// unknown suite, wrong key length, MKI, session parameters, a too long lifetime,
// malformed text — and anything at all read without an exception.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { randomMasterKey, readCrypto, writeCrypto } from '../../src/sip-bridge/index.ts';

const KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz'; // 30 bytes (RFC 4568 §9.1's example)

describe('SDES a=crypto', () => {
  it('takes the first supported attribute and refuses the ones before it by name', () => {
    const read = readCrypto([
      `1 AES_256_CM_HMAC_SHA1_80 inline:${KEY}`,
      `2 AES_CM_128_HMAC_SHA1_32 inline:${KEY}|2^20|1:4`,
      `3 AES_CM_128_HMAC_SHA1_32 inline:${KEY}|2^20`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${KEY}`,
    ]);
    expect(read.taken?.tag).toBe(3);
    expect(read.taken?.key.suite).toBe('AES_CM_128_HMAC_SHA1_32');
    expect(Buffer.concat([read.taken!.key.key, read.taken!.key.salt]).toString('base64')).toBe(KEY);
    expect(read.refused).toEqual([{ tag: '1', reason: 'srtp.unknown-suite' }, { tag: '2', reason: 'srtp.mki' }]);
  });

  it('refuses a wrong key length, MKI, several keys, session parameters, a long lifetime and bad text', () => {
    const read = readCrypto([
      '1 AES_CM_128_HMAC_SHA1_80 inline:AAAAAAAAAAAAAAAAAAAAAAAA',
      `2 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|1:1`,
      `3 AES_CM_128_HMAC_SHA1_80 inline:${KEY};inline:${KEY}`,
      `4 AES_CM_128_HMAC_SHA1_80 inline:${KEY} KDR=1`,
      `5 AES_CM_128_HMAC_SHA1_80 inline:${KEY}|2^48`,
      '6 AES_CM_128_HMAC_SHA1_80 inline:***',
      '7 AES_CM_128_HMAC_SHA1_80 uri:https://example.com/key',
      'garbage',
    ]);
    expect(read.taken).toBeUndefined();
    expect(read.refused).toEqual([
      { tag: '1', reason: 'srtp.key-length' }, { tag: '2', reason: 'srtp.mki' }, { tag: '3', reason: 'srtp.mki' },
      { tag: '4', reason: 'srtp.session-params' }, { tag: '5', reason: 'srtp.lifetime' }, { tag: '6', reason: 'srtp.malformed' },
      { tag: '7', reason: 'srtp.malformed' }, { tag: '#8', reason: 'srtp.malformed' },
    ]);
    expect(JSON.stringify(read)).not.toContain(KEY);
  });

  it('writes ours so that it reads back to the same key', () => {
    const key = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
    const value = writeCrypto(1, key);
    expect(value).toMatch(/^1 AES_CM_128_HMAC_SHA1_80 inline:[A-Za-z0-9+/]{40}$/);
    expect(readCrypto([value]).taken).toEqual({ tag: 1, key });
  });

  it('reads any text without an exception', () => {
    fc.assert(fc.property(fc.array(fc.string({ maxLength: 120 }), { maxLength: 4 }), (values) => {
      const read = readCrypto(values);
      expect(read.refused.length + (read.taken ? 1 : 0)).toBeLessThanOrEqual(values.length);
    }));
  });
});
