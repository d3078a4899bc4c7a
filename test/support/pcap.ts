// The RTP packets of a libpcap capture (Ethernet, IPv4, UDP), in order — e.g. the
// dtmf_2833_*.pcap RFC 4733 captures sipp ships (SIPP_PCAP_DIR).
import { readFileSync } from 'node:fs';

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
