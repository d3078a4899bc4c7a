// G.711 table lookups against the ITU-T reference values: every code decodes
// and re-encodes to itself (both laws), the segment ends and the clipping at
// full scale.
import { describe, expect, it } from 'vitest';
import { decodeG711, encodeG711, lawOf, type G711Law } from '../../src/media/index.ts';

const ALL_CODES = Uint8Array.from({ length: 256 }, (_, i) => i);

describe('G.711 tables', () => {
  it.each(['PCMU', 'PCMA'] as G711Law[])('%s: every code survives decode then encode (one value per code)', (law) => {
    const linear = decodeG711(law, ALL_CODES);
    const again = decodeG711(law, encodeG711(law, linear));
    expect([...again]).toEqual([...linear]);
    // μ-law has a positive and a negative zero, A-law none: 255 or 256 distinct levels.
    expect(new Set(linear).size).toBe(law === 'PCMU' ? 255 : 256);
  });

  it('decodes and encodes the reference values of both laws', () => {
    expect([...decodeG711('PCMU', Uint8Array.of(0xff, 0x7f, 0x00, 0x80))]).toEqual([0, 0, -32124, 32124]);
    expect([...decodeG711('PCMA', Uint8Array.of(0xd5, 0x55, 0xaa, 0x2a))]).toEqual([8, -8, 32256, -32256]);
    expect([...encodeG711('PCMU', [0, 32767, -32768, 1000])]).toEqual([0xff, 0x80, 0x00, 0xce]);
    expect([...encodeG711('PCMA', [0, 32767, -32768, 1000])]).toEqual([0xd5, 0xaa, 0x2a, 0xfa]);
  });

  it('names the law of a codec and nothing else', () => {
    expect([lawOf('audio/PCMU'), lawOf('audio/pcma'), lawOf('PCMU'), lawOf('audio/opus')]).toEqual(['PCMU', 'PCMA', 'PCMU', undefined]);
  });
});
