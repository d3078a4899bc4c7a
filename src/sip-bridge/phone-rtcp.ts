// A pure reader of compound RTCP packets (RFC 3550 §6.4): the sender reports'
// NTP timestamps and every report block of SR and RR packets. The relay reads
// with it both what mediasoup sends the phone (our sender reports: when each
// passed, for the round trip) and what the phone sends back (its receiver
// report on the stream we send it). Anything malformed is refused with a
// reason, never thrown: it comes off the wire.

/** One report block (RFC 3550 §6.4.1): what the reporter receives from `ssrc`. */
export interface ReportBlock {
  /** The SSRC the block reports on (the source whose packets the reporter receives). */
  ssrc: number;
  /** The fraction lost since the reporter's previous report, 0–255 (of 256). */
  fractionLost: number;
  /** Cumulative packets lost: 24 bits, signed (duplicates can make it negative). */
  cumulativeLost: number;
  /** The extended highest sequence number received (cycles << 16 | seq). */
  highestSeq: number;
  /** Interarrival jitter in RTP timestamp units. */
  jitter: number;
  /** The middle 32 bits of the NTP timestamp of the last SR it received from `ssrc`; 0: none yet. */
  lsr: number;
  /** Delay since that SR, in 1/65536 s. */
  dlsr: number;
}

/** A sender report's NTP timestamp, as report blocks echo it (the middle 32 bits). */
export interface SenderReport { ssrc: number; ntpMiddle: number }

export interface RtcpReports {
  senderReports: SenderReport[];
  /** Report blocks of every SR and RR in the compound packet, with the SSRC of the packet's sender. */
  blocks: Array<ReportBlock & { reporter: number }>;
}

export type RtcpRefusal = 'short' | 'oversized' | 'version' | 'truncated' | 'malformed';
export type RtcpReading = { ok: true; reports: RtcpReports } | { ok: false; reason: RtcpRefusal };

/** Larger than any RTCP packet over UDP on an Ethernet path; a bigger one is not read. */
export const MAX_RTCP_BYTES = 1500;

const SR = 200;
const RR = 201;
const BLOCK_BYTES = 24;

const refuse = (reason: RtcpRefusal): RtcpReading => ({ ok: false, reason });

/** Signed 24-bit cumulative loss (RFC 3550 §6.4.1, "clamped" by senders, signed in its definition). */
const signed24 = (value: number): number => (value & 0x80_0000 ? value - 0x100_0000 : value);

function readBlock(packet: Buffer, at: number): ReportBlock {
  return {
    ssrc: packet.readUInt32BE(at),
    fractionLost: packet[at + 4]!,
    cumulativeLost: signed24(packet.readUIntBE(at + 5, 3)),
    highestSeq: packet.readUInt32BE(at + 8),
    jitter: packet.readUInt32BE(at + 12),
    lsr: packet.readUInt32BE(at + 16),
    dlsr: packet.readUInt32BE(at + 20),
  };
}

/**
 * Reads a compound RTCP packet: every part must be version 2 and its length must
 * fit; report blocks must fit inside their SR or RR. Other packet types (SDES,
 * BYE, APP, feedback, XR) are stepped over. Refused whole when any part is bad.
 */
export function readRtcp(packet: Buffer): RtcpReading {
  if (packet.length < 8) return refuse('short');
  if (packet.length > MAX_RTCP_BYTES) return refuse('oversized');
  const reports: RtcpReports = { senderReports: [], blocks: [] };
  for (let at = 0; at < packet.length;) {
    if (packet.length - at < 4) return refuse('truncated');
    if (packet[at]! >> 6 !== 2) return refuse('version');
    const count = packet[at]! & 0x1f;
    const type = packet[at + 1]!;
    const end = at + (packet.readUInt16BE(at + 2) + 1) * 4;
    if (end > packet.length) return refuse('truncated');
    // Padding (P) is allowed in the last part only (RFC 3550 §6.4.1); its length is inside the part's.
    const padding = packet[at]! & 0x20 ? packet[end - 1]! : 0;
    if (packet[at]! & 0x20 && (padding === 0 || padding > end - at - 4 || end !== packet.length)) return refuse('malformed');
    const body = end - padding;
    if (type === SR || type === RR) {
      const first = at + (type === SR ? 28 : 8);
      if (first + count * BLOCK_BYTES > body) return refuse('malformed');
      const reporter = packet.readUInt32BE(at + 4);
      // NTP seconds' low 16 bits and the fraction's high 16 bits (RFC 3550 §4).
      if (type === SR) reports.senderReports.push({ ssrc: reporter, ntpMiddle: packet.readUInt32BE(at + 10) });
      for (let i = 0; i < count; i++) reports.blocks.push({ ...readBlock(packet, first + i * BLOCK_BYTES), reporter });
    }
    at = end;
  }
  return { ok: true, reports };
}
