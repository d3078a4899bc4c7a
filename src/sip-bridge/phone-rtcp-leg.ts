// One telephone leg's RTCP bookkeeping in its relay: the first sequence number
// of each stream we send the phone, when each of mediasoup's sender reports
// passed toward it, and the phone's receiver reports on our stream turned into
// a FarEndReport (cumulative loss, packets expected, jitter in ms, round trip).
// mediasoup's NTP clock is its own, so the round trip is measured against when
// the report's LSR passed through here (RFC 3550 §6.4.1: A − LSR − DLSR).
import type { FarEndReport } from '../calls/index.ts';
import { TypedEmitter } from '../core/index.ts';
import { readRtcp, type RtcpRefusal } from './phone-rtcp.ts';

export type PhoneRtcpEvents = {
  /** The phone reported on the stream we send it now. */
  report: [FarEndReport];
};

/** What the phone's RTCP gave: reports taken, packets refused (by reason), reports on another SSRC than ours. */
export interface PhoneRtcpCounters { reports: number; refused: Record<RtcpRefusal, number>; otherSsrc: number }

/** Sender reports remembered: mediasoup sends one every few seconds, a phone echoes the latest. */
const SENDER_REPORTS = 16;
/** Streams whose first sequence number is kept: a replaced consumer's old one is still reported on for a while. */
const STREAMS = 4;

const remember = <K, V>(map: Map<K, V>, key: K, value: V, size: number): void => {
  map.delete(key);
  map.set(key, value);
  if (map.size > size) map.delete(map.keys().next().value as K);
};

export class PhoneRtcp extends TypedEmitter<PhoneRtcpEvents> {
  readonly counters: PhoneRtcpCounters = {
    reports: 0, otherSsrc: 0, refused: { short: 0, oversized: 0, version: 0, truncated: 0, malformed: 0 },
  };
  /** The RTP clock rate of the audio we send (jitter comes in its units). */
  clockRate = 8000;
  readonly #now: () => number;
  /** Our latest stream's SSRC, and the first sequence number of each recent one. */
  #ssrc?: number;
  readonly #firstSeq = new Map<number, number>();
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
    this.#ssrc = ssrc;
    if (!this.#firstSeq.has(ssrc)) remember(this.#firstSeq, ssrc, rtp.readUInt16BE(2), STREAMS);
  }

  /** A compound RTCP packet mediasoup sends the phone (plain): its sender reports' timestamps are kept. */
  fromSfu(rtcp: Buffer): void {
    const read = readRtcp(rtcp);
    if (!read.ok) return;
    const at = this.#now();
    for (const sr of read.reports.senderReports) remember(this.#passed, sr.ntpMiddle, at, SENDER_REPORTS);
  }

  /** A compound RTCP packet from the phone (plain, after SRTCP): its report block on our stream is emitted. */
  fromPhone(rtcp: Buffer): void {
    if (this.#closed) return;
    const read = readRtcp(rtcp);
    if (!read.ok) {
      this.counters.refused[read.reason]++;
      return;
    }
    const arrival = this.#now();
    for (const block of read.reports.blocks) {
      const first = this.#firstSeq.get(block.ssrc);
      if (block.ssrc !== this.#ssrc || first === undefined) {
        this.counters.otherSsrc++;
        continue;
      }
      const passed = block.lsr === 0 ? undefined : this.#passed.get(block.lsr);
      const rttMs = passed === undefined ? null : Math.max(0, arrival - passed - (block.dlsr * 1000) / 65536);
      this.counters.reports++;
      this.safeEmit('report', {
        ssrc: block.ssrc,
        // The phone's extended sequence number starts with cycles 0 at the first packet it received (ours, unless lost).
        expected: Math.max(0, block.highestSeq - first + 1),
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
    this.#firstSeq.clear();
    this.removeAllListeners();
  }
}
