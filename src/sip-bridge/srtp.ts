// SRTP and SRTCP (RFC 3711) toward a telephone, for the RTP relay: packets to the
// far end are encrypted and authenticated with our master key (SrtpSender),
// packets from it checked and decrypted with its key (SrtpReceiver). AES-CM and
// HMAC-SHA1 only (the SDES suites of srtp-keys.ts), no MKI, kdr 0. The receiver
// keeps each SSRC's rollover counter (§3.3.1, the index estimate of Appendix A)
// and a replay window; a packet that fails its tag, repeats one already taken
// or falls behind the window is dropped and counted — never passed on.
import { timingSafeEqual } from 'node:crypto';
import { deriveSessionKeys, tagBytes, type SrtpMasterKey } from './srtp-keys.ts';
import { SrtpSession } from './srtp-session.ts';

/** Packets a receiver refused, by reason. */
export interface SrtpDrops {
  /** The authentication tag did not match (wrong key, forged or damaged packet). */
  authFailed: number;
  /** The index was taken already, or lies behind the replay window. */
  replayed: number;
  /** Too short for its header and tag, or not RTP/RTCP. */
  malformed: number;
}

/** Packets behind the highest index still taken (libsrtp's default window is 128 as well). */
export const REPLAY_WINDOW = 128;
/** SSRCs a context keeps state for at once (a far end changes SSRC rarely: a transfer). */
const MAX_STREAMS = 16;
const SRTCP_E = 0x8000_0000;

/** Which indices of a stream were taken: the highest and a ring of the last REPLAY_WINDOW. */
export class ReplayWindow {
  #highest = -1;
  readonly #ring = new Float64Array(REPLAY_WINDOW).fill(-1);

  /** Whether `index` may be taken (not seen, not too old); nothing is recorded. */
  admits(index: number): boolean {
    if (index > this.#highest) return true;
    if (index <= this.#highest - REPLAY_WINDOW) return false;
    return this.#ring[index % REPLAY_WINDOW] !== index;
  }

  /** Records `index` as taken (after its tag passed). */
  take(index: number): void {
    if (index > this.#highest) this.#highest = index;
    this.#ring[index % REPLAY_WINDOW] = index;
  }
}

/** Bytes of an RTP header with its CSRCs and extension; undefined when the packet is shorter. */
function rtpHeaderBytes(packet: Buffer): number | undefined {
  if (packet.length < 12) return undefined;
  let length = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) {
    if (packet.length < length + 4) return undefined;
    length += 4 + packet.readUInt16BE(length + 2) * 4;
  }
  return length <= packet.length ? length : undefined;
}

const isRtpVersion = (packet: Buffer): boolean => (packet[0]! & 0xc0) === 0x80;

/** Encrypts and authenticates what goes to the far end, with our master key. */
export class SrtpSender {
  readonly #rtp: SrtpSession;
  readonly #rtcp: SrtpSession;
  readonly #rtpTag: number;
  /** Per SSRC: the rollover counter and the last sequence number sent. */
  readonly #streams = new Map<number, { roc: number; seq: number }>();
  /** Per SSRC: the next SRTCP index. */
  readonly #rtcpIndex = new Map<number, number>();

  constructor(master: SrtpMasterKey) {
    this.#rtp = new SrtpSession(deriveSessionKeys(master, false));
    this.#rtcp = new SrtpSession(deriveSessionKeys(master, true));
    this.#rtpTag = tagBytes(master.suite, false);
  }

  /** The SRTP packet of an RTP packet; undefined for one that is not RTP, or older than the stream's first (not sent). */
  rtp(packet: Buffer): Buffer | undefined {
    const header = rtpHeaderBytes(packet);
    if (header === undefined || !isRtpVersion(packet)) return undefined;
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const stream = this.#streams.get(ssrc);
    // The index as RFC 3711 Appendix A estimates it from the highest one sent (s_l): a late packet from
    // before a wrap keeps the old rollover counter and never becomes the highest (review s22 #8).
    const roc = stream ? estimateRoc(stream.roc, stream.seq, seq) : 0;
    // From before the stream's first packet (its estimate −1): no index to send it under. Clamped to ROC 0 it
    // would become the highest and the next packets would go out a roll ahead — dropped instead (review s22 #27).
    if (roc < 0) return undefined;
    const index = roc * 0x1_0000 + seq;
    if (!stream || index > stream.roc * 0x1_0000 + stream.seq) remember(this.#streams, ssrc, { roc, seq });
    const out = Buffer.allocUnsafe(packet.length + this.#rtpTag);
    packet.copy(out, 0, 0, header);
    this.#rtp.cipher(ssrc, index, packet.subarray(header)).copy(out, header);
    this.#rtp.tag(this.#rtpTag, out.subarray(0, packet.length), roc).copy(out, packet.length);
    return out;
  }

  /** The SRTCP packet of a (compound) RTCP packet: encrypted after its first 8 bytes, E flag and index, tag. */
  rtcp(packet: Buffer): Buffer | undefined {
    if (packet.length < 8 || !isRtpVersion(packet)) return undefined;
    const ssrc = packet.readUInt32BE(4);
    const index = this.#rtcpIndex.get(ssrc) ?? 0;
    remember(this.#rtcpIndex, ssrc, (index + 1) & 0x7fff_ffff);
    const out = Buffer.allocUnsafe(packet.length + 4 + 10);
    packet.copy(out, 0, 0, 8);
    this.#rtcp.cipher(ssrc, index, packet.subarray(8)).copy(out, 8);
    out.writeUInt32BE((SRTCP_E | index) >>> 0, packet.length);
    this.#rtcp.tag(10, out.subarray(0, packet.length + 4)).copy(out, packet.length + 4);
    return out;
  }
}

/** Per SSRC of the far end: the highest sequence number taken (s_l), its rollover counter, the replay window. */
interface ReceivedStream { roc: number; seq: number; window: ReplayWindow }

/** Checks and decrypts what the far end sends, with its master key. */
export class SrtpReceiver {
  readonly drops: SrtpDrops = { authFailed: 0, replayed: 0, malformed: 0 };
  readonly #rtp: SrtpSession;
  readonly #rtcp: SrtpSession;
  readonly #rtpTag: number;
  readonly #streams = new Map<number, ReceivedStream>();
  readonly #rtcpWindows = new Map<number, ReplayWindow>();

  constructor(master: SrtpMasterKey) {
    this.#rtp = new SrtpSession(deriveSessionKeys(master, false));
    this.#rtcp = new SrtpSession(deriveSessionKeys(master, true));
    this.#rtpTag = tagBytes(master.suite, false);
  }

  /** The RTP packet inside an SRTP packet; undefined (counted) when refused. */
  rtp(packet: Buffer): Buffer | undefined {
    const length = packet.length - this.#rtpTag;
    const header = length >= 12 ? rtpHeaderBytes(packet.subarray(0, length)) : undefined;
    if (header === undefined || !isRtpVersion(packet)) return this.#drop('malformed');
    const ssrc = packet.readUInt32BE(8);
    const seq = packet.readUInt16BE(2);
    const stream = this.#streams.get(ssrc);
    const roc = stream ? estimateRoc(stream.roc, stream.seq, seq) : 0;
    if (roc < 0) return this.#drop('replayed');
    const index = roc * 0x1_0000 + seq;
    if (stream && !stream.window.admits(index)) return this.#drop('replayed');
    const expected = this.#rtp.tag(this.#rtpTag, packet.subarray(0, length), roc);
    if (!timingSafeEqual(expected, packet.subarray(length))) return this.#drop('authFailed');
    const taken = stream ?? { roc, seq, window: new ReplayWindow() };
    if (!stream) remember(this.#streams, ssrc, taken);
    taken.window.take(index);
    if (index > taken.roc * 0x1_0000 + taken.seq) {
      taken.roc = roc;
      taken.seq = seq;
    }
    const out = Buffer.allocUnsafe(length);
    packet.copy(out, 0, 0, header);
    this.#rtp.cipher(ssrc, index, packet.subarray(header, length)).copy(out, header);
    return out;
  }

  /** The RTCP packet inside an SRTCP packet; undefined (counted) when refused. */
  rtcp(packet: Buffer): Buffer | undefined {
    const end = packet.length - 10 - 4;
    if (end < 8 || !isRtpVersion(packet)) return this.#drop('malformed');
    const word = packet.readUInt32BE(end);
    const index = word & 0x7fff_ffff;
    const ssrc = packet.readUInt32BE(4);
    const window = this.#rtcpWindows.get(ssrc);
    if (window && !window.admits(index)) return this.#drop('replayed');
    const expected = this.#rtcp.tag(10, packet.subarray(0, end + 4));
    if (!timingSafeEqual(expected, packet.subarray(end + 4))) return this.#drop('authFailed');
    const taken = window ?? new ReplayWindow();
    if (!window) remember(this.#rtcpWindows, ssrc, taken);
    taken.take(index);
    if ((word & SRTCP_E) === 0) return Buffer.from(packet.subarray(0, end));
    const out = Buffer.allocUnsafe(end);
    packet.copy(out, 0, 0, 8);
    this.#rtcp.cipher(ssrc, index, packet.subarray(8, end)).copy(out, 8);
    return out;
  }

  #drop(reason: keyof SrtpDrops): undefined {
    this.drops[reason]++;
    return undefined;
  }
}

/**
 * The rollover counter of sequence number `seq` given the highest taken (s_l)
 * and its counter (RFC 3711 §3.3.1): one less for a late packet from before a
 * wrap, one more after a wrap; -1 for a late packet from before the first roll.
 */
export function estimateRoc(roc: number, highestSeq: number, seq: number): number {
  if (highestSeq < 0x8000) return seq - highestSeq > 0x8000 ? roc - 1 : roc;
  return highestSeq - 0x8000 > seq ? roc + 1 : roc;
}

/** Sets a stream's state, dropping the oldest SSRC beyond MAX_STREAMS (a far end cannot grow the map without the key). */
function remember<T>(map: Map<number, T>, ssrc: number, value: T): void {
  if (!map.has(ssrc) && map.size >= MAX_STREAMS) map.delete(map.keys().next().value!);
  map.set(ssrc, value);
}
