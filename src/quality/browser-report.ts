// The compact getStats reports the terminal and desk pages send about their leg of
// a call (signaling event quality.report): what the browser receives, as cumulative
// counters. Each leg keeps its latest report and the one the last interval used, so
// an interval folds in the difference; a report faster than the settings allow is
// refused. Pure bookkeeping: the monitor owns when intervals end.
import { RateLimitedError } from '../core/index.ts';
import type { BrowserInterval } from './leg-sample.ts';

/** One report as the page sends it (validated at the signaling edge by the contract's schema). */
export interface BrowserReport {
  /** Inbound audio over all the page's audio receivers, cumulative since each started. */
  audio?: { packetsReceived: number; packetsLost: number; packetsDiscarded: number; jitterMs: number };
  /** Inbound video over all its video receivers, cumulative. */
  video?: { framesDecoded: number; framesDropped: number; freezeCount: number };
  /** The current round-trip time of its selected ICE candidate pair. */
  rttMs?: number | null;
}

/** The quality of a leg as the pages show it: G.109's user-satisfaction classes on the MOS scale. */
export type SignalLevel = 'good' | 'fair' | 'poor';

/** R 80 ("satisfied", G.109) is MOS 4.03; below the operator's threshold is poor. */
export function signalLevel(mos: number | null, threshold: number): SignalLevel | null {
  if (mos === null) return null;
  if (mos < threshold) return 'poor';
  return mos >= 4.03 ? 'good' : 'fair';
}

/** Growth of a counter since the last report; one that fell (packets lost do, when late packets arrive after all) grew by 0. */
const grown = (now: number, before: number | undefined): number => Math.max(0, now - (before ?? 0));

/**
 * The interval between two reports of the same leg. The page sums its receivers, so when
 * packets received (or frames decoded) went down a receiver started afresh or closed: which
 * counts belong to the interval is unknown, so it adds none (the next interval counts from
 * the new values). Jitter and RTT are current values and always taken.
 */
export function browserInterval(now: BrowserReport, before: BrowserReport | undefined): BrowserInterval {
  const a = now.audio;
  const b = before?.audio;
  const audio = a && !(b && a.packetsReceived < b.packetsReceived);
  const v = now.video;
  const w = before?.video;
  const video = v && !(w && v.framesDecoded < w.framesDecoded);
  return {
    received: audio ? grown(a.packetsReceived, b?.packetsReceived) : 0,
    lost: audio ? grown(a.packetsLost, b?.packetsLost) : 0,
    discarded: audio ? grown(a.packetsDiscarded, b?.packetsDiscarded) : 0,
    jitterMs: a?.jitterMs ?? 0,
    rttMs: now.rttMs ?? null,
    framesDropped: video ? grown(v.framesDropped, w?.framesDropped) : 0,
    freezes: video ? grown(v.freezeCount, w?.freezeCount) : 0,
  };
}

/** One leg's reports between two intervals. */
export class LegReports {
  #latest: BrowserReport | undefined;
  #used: BrowserReport | undefined;
  #sinceInterval = 0;

  /** Takes a report; more than `perInterval` since the last interval are refused (rate-limited). */
  take(report: BrowserReport, perInterval: number, intervalMs: number): void {
    if (this.#sinceInterval >= perInterval) {
      throw new RateLimitedError(`at most ${perInterval} quality reports per interval`, intervalMs / 1000);
    }
    this.#sinceInterval += 1;
    this.#latest = report;
  }

  /** The interval's browser measurement, or undefined when no report came since the last one. */
  interval(): BrowserInterval | undefined {
    const fresh = this.#sinceInterval > 0 && this.#latest !== undefined;
    this.#sinceInterval = 0;
    if (!fresh) return undefined;
    const result = browserInterval(this.#latest!, this.#used);
    this.#used = this.#latest;
    return result;
  }
}
