// The RTP packets of a libpcap capture (Ethernet, IPv4, UDP), in order — e.g. the
// dtmf_2833_*.pcap RFC 4733 captures sipp ships (SIPP_PCAP_DIR).
import { readFileSync, writeFileSync } from 'node:fs';

export function rtpPacketsOf(path: string): Buffer[] {
  const file = readFileSync(path);
  if (file.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error(`${path}: not a little-endian libpcap file`);
  if (file.readUInt32LE(20) !== 1) throw new Error(`${path}: not an Ethernet capture`);
  const packets: Buffer[] = [];
  for (let offset = 24; offset + 16 <= file.length;) {
    const length = file.readUInt32LE(offset + 8);
    const frame = file.subarray(offset + 16, offset + 16 + length);
    offset += 16 + length;
    const ip = frame.subarray(14);
    const udp = ip.subarray((ip[0]! & 0x0f) * 4);
    packets.push(Buffer.from(udp.subarray(8)));
  }
  return packets;
}

/**
 * Writes the first `count` packets of a capture to `dest` with the RTP SSRC set
 * to `ssrc` — e.g. sipp's g711a.pcap as the audio of the stream its
 * dtmf_2833_*.pcap events belong to (RFC 4733 §2.1: one SSRC for both).
 */
export function writeCaptureWithSsrc(source: string, dest: string, ssrc: number, count: number): void {
  writeCapture(source, dest, { ssrc, count });
}

export interface CaptureRewrite {
  /** The RTP SSRC of every packet. */
  ssrc?: number;
  /** The RTP payload type of every packet (the Marker bit kept). */
  payloadType?: number;
  /**
   * RTP timestamps (and an RFC 4733 event's duration, `events`) multiplied by this: 6 moves
   * an 8000 Hz capture to a 48000 Hz clock (opus, telephone-event/48000).
   */
  clockScale?: number;
  /** The payloads are RFC 4733 events: their duration field scales with the clock too. */
  events?: boolean;
  /** Only the first `count` packets. */
  count?: number;
}

/**
 * Writes a capture's RTP packets to `dest` rewritten as `rewrite` says, each UDP checksum
 * zeroed (IPv4: none, rather than a stale one).
 */
export function writeCapture(source: string, dest: string, rewrite: CaptureRewrite): void {
  const file = Buffer.from(readFileSync(source));
  if (file.readUInt32LE(0) !== 0xa1b2c3d4 || file.readUInt32LE(20) !== 1) throw new Error(`${source}: not a little-endian Ethernet libpcap file`);
  const scale = rewrite.clockScale ?? 1;
  let offset = 24;
  for (let n = 0; n < (rewrite.count ?? Infinity) && offset + 16 <= file.length; n++) {
    const length = file.readUInt32LE(offset + 8);
    const ip = offset + 16 + 14;
    const udp = ip + (file[ip]! & 0x0f) * 4;
    const rtp = udp + 8;
    file.writeUInt16BE(0, udp + 6);
    if (rewrite.payloadType !== undefined) file[rtp + 1] = (file[rtp + 1]! & 0x80) | rewrite.payloadType;
    if (scale !== 1) file.writeUInt32BE((file.readUInt32BE(rtp + 4) * scale) >>> 0, rtp + 4);
    if (scale !== 1 && rewrite.events) file.writeUInt16BE(Math.min(0xffff, file.readUInt16BE(rtp + 12 + 2) * scale), rtp + 12 + 2);
    if (rewrite.ssrc !== undefined) file.writeUInt32BE(rewrite.ssrc >>> 0, rtp + 8);
    offset += 16 + length;
  }
  writeFileSync(dest, file.subarray(0, offset));
}
