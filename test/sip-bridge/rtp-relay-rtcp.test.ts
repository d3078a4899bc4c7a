// The relay reads the phone's RTCP and still does not pass it to mediasoup: a
// receiver report on the stream mediasoup sends (through the relay) becomes the
// relay's `report` with the round trip against the sender report that passed
// first; on an SRTP leg it is unprotected first, and one whose tag fails is
// counted in srtpDrops and read by nobody. Sockets on loopback stand in for the
// phone and for mediasoup's PlainTransport.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSocket, type Socket } from 'node:dgram';
import { RtpRelay, SrtpSender, randomMasterKey } from '../../src/sip-bridge/index.ts';
import type { FarEndReport } from '../../src/calls/index.ts';

const OURS = 0x0a0b_0c0d;
const PHONE = 0x1234_5678;

const bind = (): Promise<Socket> => new Promise((resolve) => {
  const s = createSocket('udp4');
  s.bind(0, '127.0.0.1', () => resolve(s));
});

/** The next datagram `socket` receives. */
const nextOn = (socket: Socket): Promise<Buffer> => new Promise((resolve) => socket.once('message', (b) => resolve(b)));

/** mediasoup's sender report of OURS whose NTP timestamp has `middle` as its middle 32 bits. */
function senderReport(middle: number): Buffer {
  const p = Buffer.alloc(28);
  p[0] = 0x80; p[1] = 200; p.writeUInt16BE(6, 2); p.writeUInt32BE(OURS, 4);
  p.writeUInt32BE(middle, 10);
  return p;
}

/** The phone's receiver report: one block on OURS echoing `lsr`, held for `dlsr` (1/65536 s). */
function receiverReport(b: { lost: number; highest: number; jitter: number; lsr: number; dlsr: number }): Buffer {
  const p = Buffer.alloc(32);
  p[0] = 0x81; p[1] = 201; p.writeUInt16BE(7, 2); p.writeUInt32BE(PHONE, 4);
  p.writeUInt32BE(OURS, 8); p.writeUIntBE(b.lost, 13, 3); p.writeUInt32BE(b.highest, 16);
  p.writeUInt32BE(b.jitter, 20); p.writeUInt32BE(b.lsr, 24); p.writeUInt32BE(b.dlsr, 28);
  return p;
}

function rtp(seq: number, ssrc: number, pt = 8): Buffer {
  const p = Buffer.alloc(172);
  p[0] = 0x80; p[1] = pt; p.writeUInt16BE(seq, 2); p.writeUInt32BE(ssrc, 8);
  return p;
}

describe('RtpRelay: the phone\'s RTCP', () => {
  let relay: RtpRelay;
  let sfu: Socket;
  let phoneRtp: Socket;
  let phoneRtcp: Socket;

  beforeEach(async () => {
    relay = await RtpRelay.open('127.0.0.1');
    [sfu, phoneRtp, phoneRtcp] = await Promise.all([bind(), bind(), bind()]);
    relay.connectSfu({ ip: '127.0.0.1', port: sfu.address().port });
    relay.connectRemote({ address: '127.0.0.1', rtpPort: phoneRtp.address().port, rtcpPort: phoneRtcp.address().port, payloadType: 8, clockRate: 8000 }, 8);
  });
  afterEach(() => {
    relay.close();
    for (const s of [sfu, phoneRtp, phoneRtcp]) s.close();
  });

  /** mediasoup sends the phone RTP from `seq` and a sender report: both pass the relay. */
  async function ourStreamAndReport(seq: number, middle: number): Promise<void> {
    const heard = nextOn(phoneRtp);
    sfu.send(rtp(seq, OURS), relay.innerAddress.port, '127.0.0.1');
    await heard;
    const reported = nextOn(phoneRtcp);
    sfu.send(senderReport(middle), relay.innerAddress.port, '127.0.0.1');
    await reported;
  }

  const nextReport = (): Promise<FarEndReport> => new Promise((resolve) => relay.rtcp.once('report', resolve));

  it('a plain leg: the report on our stream is read (RTT from our SR\'s passing), and mediasoup gets the phone\'s RTP but not its RTCP', async () => {
    await ourStreamAndReport(1000, 0x4444_5555);
    const report = nextReport();
    phoneRtcp.send(receiverReport({ lost: 1, highest: 1009, jitter: 16, lsr: 0x4444_5555, dlsr: 0 }), relay.rtcpPort, '127.0.0.1');
    expect(await report).toMatchObject({ ssrc: OURS, expected: 10, lost: 1, jitterMs: 2, rttMs: expect.any(Number) });
    // The next thing mediasoup receives from the relay is the phone's RTP, not the RTCP sent before it.
    const atSfu = nextOn(sfu);
    phoneRtp.send(rtp(7, PHONE), relay.rtpPort, '127.0.0.1');
    const first = await atSfu;
    expect(first[1]! & 0x7f).toBe(8);
    expect(first.readUInt32BE(8)).toBe(relay.ssrc);
    expect(relay.rtcp.counters).toMatchObject({ reports: 1, otherSsrc: 0 });
  });

  it('an SRTP leg: the phone\'s SRTCP is unprotected and read; one whose tag fails is counted in srtpDrops and read by nobody', async () => {
    const phoneKey = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
    relay.secure({ send: randomMasterKey('AES_CM_128_HMAC_SHA1_80'), receive: phoneKey });
    const phone = new SrtpSender(phoneKey);
    await ourStreamAndReport(20, 0x0101_0202);
    const forged = phone.rtcp(receiverReport({ lost: 5, highest: 29, jitter: 0, lsr: 0, dlsr: 0 }))!;
    forged[forged.length - 1] = forged[forged.length - 1]! ^ 0xff;
    phoneRtcp.send(forged, relay.rtcpPort, '127.0.0.1');
    const report = nextReport();
    phoneRtcp.send(phone.rtcp(receiverReport({ lost: 2, highest: 39, jitter: 8, lsr: 0x0101_0202, dlsr: 0 }))!, relay.rtcpPort, '127.0.0.1');
    // Datagrams from one socket to another on loopback arrive in order: the forged one was refused before.
    expect(await report).toMatchObject({ ssrc: OURS, expected: 20, lost: 2, jitterMs: 1, rttMs: expect.any(Number) });
    expect(relay.srtpDrops).toEqual({ authFailed: 1, replayed: 0, malformed: 0 });
    expect(relay.rtcp.counters.reports).toBe(1);
  });

  it('an SRTP leg: a plain RTCP APP "PING" keepalive (baresip sends one, 16 bytes) is ignored and counted, not an SRTCP failure', async () => {
    const phoneKey = randomMasterKey('AES_CM_128_HMAC_SHA1_80');
    relay.secure({ send: randomMasterKey('AES_CM_128_HMAC_SHA1_80'), receive: phoneKey });
    const phone = new SrtpSender(phoneKey);
    await ourStreamAndReport(20, 0x0101_0202);
    // What baresip sent in a loaded CI-like run: 80cc0003 <ssrc> "PING" "PONG" — an APP packet, unprotected.
    const ping = Buffer.from('80cc0003e950844850494e47504f4e47', 'hex');
    phoneRtcp.send(ping, relay.rtcpPort, '127.0.0.1');
    const report = nextReport();
    phoneRtcp.send(phone.rtcp(receiverReport({ lost: 0, highest: 29, jitter: 8, lsr: 0x0101_0202, dlsr: 0 }))!, relay.rtcpPort, '127.0.0.1');
    expect(await report).toMatchObject({ ssrc: OURS, expected: 10, lost: 0 });
    expect(relay.srtpDrops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });
    expect(relay.counters.rtcpIgnored).toBe(1);
  });

  it('closing the relay closes its RTCP state and drops its listeners', () => {
    relay.rtcp.on('report', () => { throw new Error('no report after close'); });
    relay.close();
    expect(relay.rtcp.closed).toBe(true);
    expect(relay.rtcp.listenerCount('report')).toBe(0);
  });
});
