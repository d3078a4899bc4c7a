// One telephone leg's RTCP bookkeeping in its relay: where each stream we send the
// phone started since its far end last moved, when each of mediasoup's sender
// reports passed toward it, and the phone's receiver reports on any of our streams
// turned into FarEndReports (cumulative loss, packets expected, jitter in ms, round
// trip), one per reporter and stream. A reporter's expected packets follow its own
// extended highest sequence number (RFC 3550 A.3), from a base fixed at its first
// report: a phone that starts receiving mid-stream (the far end moved) counts from
// there, not from our first packet, whether or not our sequence wrapped meanwhile.
// mediasoup's NTP clock is its own, so the round trip is measured against when
// the report's LSR passed through here (RFC 3550 §6.4.1: A − LSR − DLSR).
import type { FarEndReport } from '../calls/index.ts';
import { TypedEmitter } from '../core/index.ts';
import { readRtcp, type RtcpRefusal } from './phone-rtcp.ts';

export type PhoneRtcpEvents = {
  /** The phone reported on a stream we send it (each block: its own report). */
  report: [FarEndReport];
};

/** What the phone's RTCP gave: reports taken, packets refused (by reason), reports on another SSRC than ours. */
export interface PhoneRtcpCounters { reports: number; refused: Record<RtcpRefusal, number>; otherSsrc: number }

/** Sender reports remembered: mediasoup sends one every few seconds, a phone echoes the latest. */
const SENDER_REPORTS = 16;
/** Streams of ours kept: one per other party's consumer, and a replaced consumer's old one is still reported on for a while. */
const STREAMS = 8;
/** Reporters' bases kept, per (reporter, our stream). */
const BASES = 16;

const remember = <K, V>(map: Map<K, V>, key: K, value: V, size: number): void => {
  map.delete(key);
  map.set(key, value);
  if (map.size > size) map.delete(map.keys().next().value as K);
};

/** A stream we send: its first sequence number since the far end last moved, and whether a reporter took it as its base. */
interface OurStream { start?: number; taken: boolean }

export class PhoneRtcp extends TypedEmitter<PhoneRtcpEvents> {
  readonly counters: PhoneRtcpCounters = {
    reports: 0, otherSsrc: 0, refused: { short: 0, oversized: 0, version: 0, truncated: 0, malformed: 0 },
  };
  /** The RTP clock rate of the audio we send (jitter comes in its units). */
  clockRate = 8000;
  readonly #now: () => number;
  /** Our recent streams by SSRC. */
  readonly #streams = new Map<number, OurStream>();
  /** `${reporter}/${ssrc}` → the sequence number its extended highest counts from (its expected = highest − base + 1). */
  readonly #bases = new Map<string, number>();
  /** NTP middle 32 bits of mediasoup's sender reports → when they passed (ms, #now). */
  readonly #passed = new Map<number, number>();
  #closed = false;

  /** `now`: a monotonic clock in ms (the relay's; tests give their own). */
  constructor(now: () => number = () => performance.now()) {
    super();
    this.#now = now;
  }

  get closed(): boolean { return this.#closed; }

  /** An RTP packet we send the phone (plain, before SRTP). */
  sent(rtp: Buffer): void {
    const ssrc = rtp.readUInt32BE(8);
    const stream = this.#streams.get(ssrc);
    if (!stream) remember(this.#streams, ssrc, { start: rtp.readUInt16BE(2), taken: false }, STREAMS);
    else stream.start ??= rtp.readUInt16BE(2);
  }

  /**
   * The far end moved (another address or port, a new answer's latch): a phone that reports from now on
   * started receiving with our next packet. Reporters already known keep their bases (the same phone's
   * counters go on).
   */
  farEndMoved(): void {
    for (const stream of this.#streams.values()) {
      stream.start = undefined;
      stream.taken = false;
    }
  }

  /**
   * Where `reporter`'s counters on our stream start: our first packet since the far end moved, for the first
   * reporter after it; another one (a PBX switched phones behind the same media address) is its own baseline
   * (nothing expected at its first report). A reporter whose first packet came after our sequence wrapped
   * (its highest is below our start) counts from the start one cycle down.
   */
  #base(reporter: number, ssrc: number, stream: OurStream, highest: number): number {
    const key = `${reporter}/${ssrc}`;
    const known = this.#bases.get(key);
    if (known !== undefined) return known;
    let base = highest + 1;
    if (stream.start !== undefined && !stream.taken) {
      stream.taken = true;
      base = highest < stream.start ? stream.start - 0x1_0000 : stream.start;
    }
    remember(this.#bases, key, base, BASES);
    return base;
  }

  /** A compound RTCP packet mediasoup sends the phone (plain): its sender reports' timestamps are kept. */
  fromSfu(rtcp: Buffer): void {
    const read = readRtcp(rtcp);
    if (!read.ok) return;
    const at = this.#now();
    for (const sr of read.reports.senderReports) remember(this.#passed, sr.ntpMiddle, at, SENDER_REPORTS);
  }

  /** A compound RTCP packet from the phone (plain, after SRTCP): each report block on one of our streams is emitted. */
  fromPhone(rtcp: Buffer): void {
    if (this.#closed) return;
    const read = readRtcp(rtcp);
    if (!read.ok) {
      this.counters.refused[read.reason]++;
      return;
    }
    const arrival = this.#now();
    for (const block of read.reports.blocks) {
      const stream = this.#streams.get(block.ssrc);
      if (!stream) {
        this.counters.otherSsrc++;
        continue;
      }
      const base = this.#base(block.reporter, block.ssrc, stream, block.highestSeq);
      const passed = block.lsr === 0 ? undefined : this.#passed.get(block.lsr);
      const rttMs = passed === undefined ? null : Math.max(0, arrival - passed - (block.dlsr * 1000) / 65536);
      this.counters.reports++;
      this.safeEmit('report', {
        ssrc: block.ssrc,
        reporter: block.reporter,
        expected: Math.max(0, block.highestSeq - base + 1),
        lost: block.cumulativeLost,
        jitterMs: (block.jitter * 1000) / this.clockRate,
        rttMs,
      });
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#passed.clear();
    this.#streams.clear();
    this.#bases.clear();
    this.removeAllListeners();
  }
}
