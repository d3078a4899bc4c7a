// Keyframe requests and NACKs mediasoup sends towards a station name the SSRC the
// relay gave the station's stream; feedbackTo rewrites them to the station's own
// SSRC in a compound RTCP packet (PLI, FIR's FCI, NACK), and leaves the rest alone.
import { describe, expect, it } from 'vitest';
import { feedbackTo } from '../../src/sip-bridge/rtp-relay.ts';

const OURS = 0x1111_1111;
const THEIRS = 0x2222_2222;

/** An RTCP packet: V=2, `fmt` in the count field, `type`, length in words − 1, then the words. */
function rtcp(fmt: number, type: number, words: number[]): Buffer {
  const b = Buffer.alloc(4 + words.length * 4);
  b[0] = 0x80 | fmt; b[1] = type; b.writeUInt16BE(words.length, 2);
  words.forEach((w, i) => b.writeUInt32BE(w >>> 0, 4 + i * 4));
  return b;
}

describe('feedbackTo', () => {
  it('rewrites the media SSRC of a PLI and a NACK and the FCI SSRC of a FIR in one compound packet', () => {
    const rr = rtcp(0, 201, [0xaaaa]);
    const pli = rtcp(1, 206, [0xaaaa, OURS]);
    const fir = rtcp(4, 206, [0xaaaa, 0, OURS, 0x0100_0000]);
    const nack = rtcp(1, 205, [0xaaaa, OURS, 0x0001_0000]);
    const packet = Buffer.concat([rr, pli, fir, nack]);
    feedbackTo(packet, OURS, THEIRS);
    const at = rr.length;
    expect(packet.readUInt32BE(at + 8)).toBe(THEIRS);
    expect(packet.readUInt32BE(at + pli.length + 12)).toBe(THEIRS);
    expect(packet.readUInt32BE(at + pli.length + fir.length + 8)).toBe(THEIRS);
    // The receiver report and every sender SSRC are untouched.
    expect(packet.subarray(0, rr.length)).toEqual(rr);
    expect(packet.readUInt32BE(at + 4)).toBe(0xaaaa);
  });

  it('leaves feedback for another SSRC and a truncated packet as they are', () => {
    const other = rtcp(1, 206, [0xaaaa, 0x3333_3333]);
    const copy = Buffer.from(other);
    feedbackTo(other, OURS, THEIRS);
    expect(other).toEqual(copy);
    const truncated = rtcp(1, 206, [0xaaaa, OURS]).subarray(0, 10);
    expect(() => feedbackTo(truncated, OURS, THEIRS)).not.toThrow();
  });
});
