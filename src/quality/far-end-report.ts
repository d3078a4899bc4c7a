// What a telephone leg's far end reports about the audio it receives from us (its
// RTCP receiver reports, read by the SIP bridge's relay and told through the
// call media's observer): cumulative counters, so each interval folds in the
// difference since the report the previous interval used — as with the pages'
// reports (browser-report.ts). Pure bookkeeping: the monitor owns when intervals end.
import type { FarEndReport } from '../calls/index.ts';

/** The far end's measurement over one interval: packets it expected from us and lost, its jitter and the round trip. */
export interface FarEndInterval {
  received: number;
  lost: number;
  jitterMs: number;
  rttMs: number | null;
}

/**
 * The interval between two reports of the same leg. Another SSRC is another stream of ours
 * (a new consumer), counted from its start; packets expected that went down on the same one
 * add no counts; loss that fell (late packets arrived after all, RFC 3550) adds none. Jitter
 * and RTT are current values and always taken.
 */
export function farEndInterval(now: FarEndReport, before: FarEndReport | undefined): FarEndInterval {
  const base = before && before.ssrc === now.ssrc ? before : undefined;
  const counted = !(base && now.expected < base.expected);
  const expected = counted ? Math.max(0, now.expected - (base?.expected ?? 0)) : 0;
  const lost = counted ? Math.min(expected, Math.max(0, now.lost - (base?.lost ?? 0))) : 0;
  return { received: expected - lost, lost, jitterMs: now.jitterMs, rttMs: now.rttMs };
}

/** One leg's far-end reports between two intervals (a phone sends one every few seconds; the latest counts). */
export class FarEndReports {
  #latest: FarEndReport | undefined;
  #used: FarEndReport | undefined;
  #fresh = false;

  take(report: FarEndReport): void {
    this.#latest = report;
    this.#fresh = true;
  }

  /** The interval's far-end measurement, or undefined when no report came since the last one. */
  interval(): FarEndInterval | undefined {
    if (!this.#fresh || !this.#latest) return undefined;
    this.#fresh = false;
    const result = farEndInterval(this.#latest, this.#used);
    this.#used = this.#latest;
    return result;
  }
}
