// The relay tells its PhoneRtcp when the far end moved — connectRemote to another
// address or port, latchFarEnd at an answer — so a phone that reports from then on
// counts from our next packet; the same address again (a codec change) moves nothing.
// PhoneRtcp is driven directly: what it is fed is the relay's business (rtp-relay-rtcp.test.ts).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { RtpRelay } from '../../src/sip-bridge/index.ts';
import type { FarEndReport } from '../../src/calls/index.ts';

const OURS = 0x0a0b_0c0d;

function rtp(seq: number): Buffer {
  const p = Buffer.alloc(172);
  p[0] = 0x80; p[1] = 8; p.writeUInt16BE(seq, 2); p.writeUInt32BE(OURS, 8);
  return p;
}

/** `reporter`'s receiver report: one block on OURS, its extended highest sequence number `highest`. */
function receiverReport(reporter: number, highest: number): Buffer {
  const p = Buffer.alloc(32);
  p[0] = 0x81; p[1] = 201; p.writeUInt16BE(7, 2); p.writeUInt32BE(reporter, 4);
  p.writeUInt32BE(OURS, 8); p.writeUInt32BE(highest, 16);
  return p;
}

describe('RtpRelay: a moved far end restarts where a new phone\'s reports count from', () => {
  let relay: RtpRelay;
  let reports: FarEndReport[];
  const far = { address: '127.0.0.1', rtpPort: 40_000, rtcpPort: 40_001, payloadType: 8, clockRate: 8000 };

  beforeEach(async () => {
    relay = await RtpRelay.open('127.0.0.1');
    relay.connectRemote(far, 8);
    reports = [];
    relay.rtcp.on('report', (r) => reports.push(r));
    relay.rtcp.sent(rtp(60_000));
    relay.rtcp.fromPhone(receiverReport(1, 60_099));
    relay.rtcp.sent(rtp(99));
  });
  afterEach(() => relay.close());

  it('connectRemote to another port: the next phone counts from our next packet; the same address again moves nothing', () => {
    relay.connectRemote({ ...far, payloadType: 0 }, 0);
    relay.rtcp.sent(rtp(100));
    relay.rtcp.fromPhone(receiverReport(2, 499));
    // Not moved: where the second phone started is not known, its first report is its baseline.
    expect(reports.at(-1)).toMatchObject({ reporter: 2, expected: 0 });
    relay.connectRemote({ ...far, rtpPort: 40_010, rtcpPort: 40_011 }, 8);
    relay.rtcp.sent(rtp(200));
    relay.rtcp.fromPhone(receiverReport(3, 299));
    expect(reports.at(-1)).toMatchObject({ reporter: 3, expected: 100 });
    expect(reports[0]).toMatchObject({ reporter: 1, expected: 100 });
  });

  it('latchFarEnd (another answer): the next phone counts from our next packet', () => {
    relay.latchFarEnd();
    relay.rtcp.sent(rtp(100));
    relay.rtcp.fromPhone(receiverReport(2, 499));
    expect(reports.at(-1)).toMatchObject({ reporter: 2, expected: 400 });
  });
});
