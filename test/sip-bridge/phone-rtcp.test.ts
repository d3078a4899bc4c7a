// The phone's RTCP, read in the relay: readRtcp takes compound packets built byte
// by byte (SR, RR, SDES, padding) and refuses short, oversized, truncated and
// malformed ones with a reason, never throwing; PhoneRtcp turns the phone's report
// blocks on our streams into FarEndReports (expected from where the reporter started
// on our stream, jitter in ms at the codec's rate, the round trip against when our SR passed).
import { describe, expect, it } from 'vitest';
import { readRtcp, MAX_RTCP_BYTES } from '../../src/sip-bridge/phone-rtcp.ts';
import { PhoneRtcp } from '../../src/sip-bridge/phone-rtcp-leg.ts';
import type { FarEndReport } from '../../src/calls/index.ts';

const OURS = 0x0a0b_0c0d;
const PHONE = 0x1234_5678;

/** A report block (RFC 3550 §6.4.1), 24 bytes, every field written by hand. */
function block(b: { ssrc: number; fraction?: number; lost: number; highest: number; jitter: number; lsr?: number; dlsr?: number }): Buffer {
  const out = Buffer.alloc(24);
  out.writeUInt32BE(b.ssrc >>> 0, 0);
  out[4] = b.fraction ?? 0;
  out.writeUIntBE(b.lost & 0xff_ffff, 5, 3);
  out.writeUInt32BE(b.highest >>> 0, 8);
  out.writeUInt32BE(b.jitter >>> 0, 12);
  out.writeUInt32BE((b.lsr ?? 0) >>> 0, 16);
  out.writeUInt32BE((b.dlsr ?? 0) >>> 0, 20);
  return out;
}

/** An RTCP part: V=2, `count`, `type`, length in 32-bit words − 1, then `body` (a multiple of 4 bytes). */
function part(count: number, type: number, body: Buffer): Buffer {
  const head = Buffer.from([0x80 | count, type, 0, 0]);
  head.writeUInt16BE(body.length / 4, 2);
  return Buffer.concat([head, body]);
}

const ssrcOf = (ssrc: number): Buffer => { const b = Buffer.alloc(4); b.writeUInt32BE(ssrc >>> 0); return b; };

function rr(reporter: number, blocks: Buffer[]): Buffer {
  return part(blocks.length, 201, Buffer.concat([ssrcOf(reporter), ...blocks]));
}

/** A sender report whose NTP timestamp has `middle` as its middle 32 bits. */
function sr(sender: number, middle: number, blocks: Buffer[] = []): Buffer {
  const info = Buffer.alloc(20);
  info.writeUInt16BE(0x1234, 0); // NTP seconds' high half
  info.writeUInt32BE(middle >>> 0, 2);
  info.writeUInt16BE(0x9abc, 6); // NTP fraction's low half
  return part(blocks.length, 200, Buffer.concat([ssrcOf(sender), info, ...blocks]));
}

const sdes = (ssrc: number): Buffer => part(1, 202, Buffer.concat([ssrcOf(ssrc), Buffer.from([1, 2, 0x61, 0x62, 0, 0, 0, 0])]));

/** An RTP packet we send the phone: sequence number and SSRC. */
function rtp(seq: number, ssrc = OURS): Buffer {
  const b = Buffer.alloc(172);
  b[0] = 0x80; b.writeUInt16BE(seq, 2); b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

describe('readRtcp', () => {
  it('reads a compound RR + SDES: the block on our SSRC with signed cumulative loss', () => {
    const read = readRtcp(Buffer.concat([rr(PHONE, [block({ ssrc: OURS, fraction: 64, lost: -2, highest: 0x0001_0005, jitter: 80, lsr: 0xdead_beef, dlsr: 0x8000 })]), sdes(PHONE)]));
    expect(read).toEqual({
      ok: true,
      reports: {
        senderReports: [],
        blocks: [{ reporter: PHONE, ssrc: OURS, fractionLost: 64, cumulativeLost: -2, highestSeq: 0x0001_0005, jitter: 80, lsr: 0xdead_beef, dlsr: 0x8000 }],
      },
    });
  });

  it('reads a sender report\'s NTP middle 32 bits and its blocks', () => {
    const read = readRtcp(Buffer.concat([sr(OURS, 0x5678_9abc, [block({ ssrc: PHONE, lost: 3, highest: 100, jitter: 1 })]), sdes(OURS)]));
    expect(read.ok && read.reports.senderReports).toEqual([{ ssrc: OURS, ntpMiddle: 0x5678_9abc }]);
    expect(read.ok && read.reports.blocks.map((b) => [b.reporter, b.ssrc, b.cumulativeLost])).toEqual([[OURS, PHONE, 3]]);
  });

  it('takes padding in the last part', () => {
    const padded = Buffer.concat([rr(PHONE, [block({ ssrc: OURS, lost: 1, highest: 10, jitter: 0 })]), Buffer.from([0, 0, 0, 4])]);
    padded[0] = padded[0]! | 0x20;
    padded.writeUInt16BE(padded.length / 4 - 1, 2);
    const read = readRtcp(padded);
    expect(read.ok && read.reports.blocks).toHaveLength(1);
  });

  it('refuses short, oversized, wrong-version, truncated and malformed packets with a reason, never throwing', () => {
    const good = rr(PHONE, [block({ ssrc: OURS, lost: 1, highest: 10, jitter: 0 })]);
    const v1 = Buffer.from(good); v1[0] = 0x40 | 1;
    const longer = Buffer.from(good); longer.writeUInt16BE(40, 2);
    const tooManyBlocks = Buffer.from(good); tooManyBlocks[0] = 0x80 | 2;
    const srTooShort = part(0, 200, Buffer.alloc(12));
    const padMidway = Buffer.concat([good, sdes(PHONE)]); padMidway[0] = padMidway[0]! | 0x20;
    const padZero = Buffer.from(good); padZero[0] = padZero[0]! | 0x20; padZero[padZero.length - 1] = 0;
    const cases: Array<[Buffer, string]> = [
      [Buffer.alloc(0), 'short'], [good.subarray(0, 7), 'short'],
      [Buffer.alloc(MAX_RTCP_BYTES + 4, 0x80), 'oversized'],
      [v1, 'version'],
      [longer, 'truncated'], [Buffer.concat([good, Buffer.from([0x80, 202])]), 'truncated'],
      [tooManyBlocks, 'malformed'], [srTooShort, 'malformed'], [padMidway, 'malformed'], [padZero, 'malformed'],
    ];
    for (const [packet, reason] of cases) expect(readRtcp(packet)).toEqual({ ok: false, reason });
    // Random bytes: refused or read, never thrown.
    for (let i = 0; i < 2000; i++) {
      const junk = Buffer.from(Array.from({ length: 8 + (i % 200) }, (_, j) => (i * 31 + j * 17) & 0xff));
      junk[0] = 0x80 | (junk[0]! & 0x3f);
      expect(() => readRtcp(junk)).not.toThrow();
    }
  });
});

describe('PhoneRtcp (one leg)', () => {
  function leg(): { rtcp: PhoneRtcp; reports: FarEndReport[]; at: (ms: number) => void } {
    let now = 1000;
    const rtcp = new PhoneRtcp(() => now);
    const reports: FarEndReport[] = [];
    rtcp.on('report', (r) => reports.push(r));
    return { rtcp, reports, at: (ms) => { now = ms; } };
  }

  it('reports loss and expected packets from our first sequence number, jitter in ms, RTT = arrival − passed − DLSR', () => {
    const { rtcp, reports, at } = leg();
    rtcp.clockRate = 8000;
    rtcp.sent(rtp(65_530));
    rtcp.sent(rtp(65_531));
    at(2000);
    rtcp.fromSfu(Buffer.concat([sr(OURS, 0x1111_2222), sdes(OURS)]));
    at(2600);
    // It received up to 65 540 (one wrap: cycles 1, seq 4), lost 2, jitter 40 units at 8 kHz, held our SR 0.5 s (DLSR 32768/65536 s).
    rtcp.fromPhone(Buffer.concat([rr(PHONE, [block({ ssrc: OURS, lost: 2, highest: 0x0001_0004, jitter: 40, lsr: 0x1111_2222, dlsr: 0x8000 })]), sdes(PHONE)]));
    // 2600 − 2000 − 500 ms.
    expect(reports).toEqual([{ ssrc: OURS, reporter: PHONE, expected: 11, lost: 2, jitterMs: 5, rttMs: 100 }]);
    at(3000);
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 2, highest: 0x0001_0004, jitter: 40, lsr: 0x1111_2222, dlsr: 0x8000 / 4 })]));
    // 3000 − 2000 − 125 ms.
    expect(reports[1]!.rttMs).toBeCloseTo(875, 6);
    // A DLSR longer than the time since the SR passed (the phone's clock): never a negative round trip.
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 2, highest: 0x0001_0004, jitter: 40, lsr: 0x1111_2222, dlsr: 0x10_0000 })]));
    expect(reports[2]!.rttMs).toBe(0);
  });

  it('an opus leg\'s jitter is converted at 48 kHz; a report without an SR we sent has no RTT', () => {
    const { rtcp, reports } = leg();
    rtcp.clockRate = 48000;
    rtcp.sent(rtp(10));
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 0, highest: 20, jitter: 480, lsr: 0x0bad_f00d, dlsr: 1 })]));
    expect(reports).toEqual([{ ssrc: OURS, reporter: PHONE, expected: 11, lost: 0, jitterMs: 10, rttMs: null }]);
  });

  it('blocks on another SSRC and refused packets are counted, not reported; nothing after close()', () => {
    const { rtcp, reports } = leg();
    rtcp.sent(rtp(1));
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: 0x9999, lost: 5, highest: 9, jitter: 0 })]));
    rtcp.fromPhone(Buffer.from([0x81, 201, 0, 40, 1, 2, 3, 4]));
    rtcp.fromPhone(Buffer.alloc(3));
    expect(reports).toEqual([]);
    expect(rtcp.counters).toEqual({ reports: 0, otherSsrc: 1, refused: { short: 1, oversized: 0, version: 0, truncated: 1, malformed: 0 } });
    // A new stream (a new consumer): reports follow it.
    rtcp.sent(rtp(500, 0x7777));
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: 0x7777, lost: 1, highest: 504, jitter: 0 })]));
    expect(reports).toEqual([{ ssrc: 0x7777, reporter: PHONE, expected: 5, lost: 1, jitterMs: 0, rttMs: null }]);
    rtcp.close();
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: 0x7777, lost: 1, highest: 504, jitter: 0 })]));
    expect(reports).toHaveLength(1);
    expect(rtcp.closed).toBe(true);
  });

  it('another phone on our stream counts from where it started, by its own sequence numbers: after the far end moved and our sequence wrapped, its loss is seen', () => {
    const { rtcp, reports } = leg();
    const OTHER_PHONE = 0x2222_3333;
    const LATE_PHONE = 0x4444_5555;
    rtcp.sent(rtp(60_000));
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 1, highest: 60_099, jitter: 0 })]));
    // Another reporter without a move (a PBX switched phones behind its media): where its counters started is not
    // known, so its first report is its baseline (nothing expected yet), never our whole stream again.
    rtcp.fromPhone(rr(LATE_PHONE, [block({ ssrc: OURS, lost: 3, highest: 63_000, jitter: 0 })]));
    expect(reports.map((r) => [r.reporter, r.expected, r.lost])).toEqual([[PHONE, 100, 1], [LATE_PHONE, 0, 3]]);
    // Our sequence wrapped (65 535 → 0), then the far end moved (a re-INVITE): the new phone's counters start at 0
    // with our packet 100 — its extended highest 499 is 400 packets, 4 of them lost.
    rtcp.sent(rtp(99));
    rtcp.farEndMoved();
    rtcp.sent(rtp(100));
    rtcp.fromPhone(rr(OTHER_PHONE, [block({ ssrc: OURS, lost: 4, highest: 499, jitter: 0 })]));
    expect(reports.at(-1)).toMatchObject({ ssrc: OURS, reporter: OTHER_PHONE, expected: 400, lost: 4 });
    // Each reporter keeps its own base: the first phone's late report still counts from ours (cycle 1: it saw the wrap).
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 2, highest: 0x0001_0010, jitter: 0 })]));
    expect(reports.at(-1)).toMatchObject({ reporter: PHONE, expected: 0x0001_0010 - 60_000 + 1, lost: 2 });
    // Moved again, on a stream from our 65 530: the next phone's first packet came after our wrap (its 9 is our 65 545th).
    rtcp.farEndMoved();
    rtcp.sent(rtp(65_530, 0x7777));
    rtcp.fromPhone(rr(0x6666, [block({ ssrc: 0x7777, lost: 0, highest: 9, jitter: 0 })]));
    expect(reports.at(-1)).toMatchObject({ ssrc: 0x7777, reporter: 0x6666, expected: 16, lost: 0 });
  });

  it('two streams we send the phone (two parties\' consumers): blocks on either are reported, each on its own stream', () => {
    const { rtcp, reports } = leg();
    const SECOND = 0x0b0b_0b0b;
    // mediasoup sends both, interleaved: the latest packet's SSRC flips between them.
    for (let i = 0; i < 10; i++) {
      rtcp.sent(rtp(1000 + i));
      rtcp.sent(rtp(5000 + i, SECOND));
    }
    rtcp.fromPhone(rr(PHONE, [block({ ssrc: OURS, lost: 1, highest: 1009, jitter: 8 }), block({ ssrc: SECOND, lost: 2, highest: 5009, jitter: 16 })]));
    expect(reports).toEqual([
      { ssrc: OURS, reporter: PHONE, expected: 10, lost: 1, jitterMs: 1, rttMs: null },
      { ssrc: SECOND, reporter: PHONE, expected: 10, lost: 2, jitterMs: 2, rttMs: null },
    ]);
    expect(rtcp.counters.otherSsrc).toBe(0);
  });
});
