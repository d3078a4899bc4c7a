// What a telephone leg's far end reports about the audio it receives from us (its
// RTCP receiver reports, read by the SIP bridge's relay and told through the
// call media's observer): cumulative counters, so each interval folds in the
// difference since the report the previous interval used — as with the pages'
// reports (browser-report.ts). A phone receives one stream of ours per other party
// (two SSRCs with three in the call) and another phone may take over our stream
// (the far end moved): each (reporter, stream) keeps its own baseline and the
// interval sums them. Pure bookkeeping: the monitor owns when intervals end.
import type { FarEndReport } from '../calls/index.ts';

/** The far end's measurement over one interval: packets it expected from us and lost, its jitter and the round trip. */
export interface FarEndInterval {
  received: number;
  lost: number;
  jitterMs: number;
  rttMs: number | null;
}

/** What the next interval of one reported stream counts from: its expected packets and the highest loss it reported. */
export type FarEndBaseline = Pick<FarEndReport, 'ssrc' | 'reporter' | 'expected' | 'lost'>;

/** Streams kept per leg: a phone reports on one per other party, and on a replaced consumer's for a while. */
const STREAMS = 16;

/**
 * The interval between two reports on the same stream (the same reporter on the same SSRC of ours; another
 * one counts from its start). Packets expected that went down on the same one add no counts (the reporter
 * started afresh); loss that fell (late packets arrived after all, RFC 3550) adds none, nor does its rise
 * back to the highest loss counted before. Jitter and RTT are current values and always taken.
 */
export function farEndInterval(now: FarEndReport, before: FarEndBaseline | undefined): FarEndInterval {
  const base = before && before.ssrc === now.ssrc && before.reporter === now.reporter ? before : undefined;
  const counted = !(base && now.expected < base.expected);
  const expected = counted ? Math.max(0, now.expected - (base?.expected ?? 0)) : 0;
  const lost = counted ? Math.min(expected, Math.max(0, now.lost - (base?.lost ?? 0))) : 0;
  return { received: expected - lost, lost, jitterMs: now.jitterMs, rttMs: now.rttMs };
}

/** The baseline after `now` was counted: the highest loss seen stays, unless the reporter started afresh. */
export function farEndBaseline(now: FarEndReport, before: FarEndBaseline | undefined): FarEndBaseline {
  const same = before && before.ssrc === now.ssrc && before.reporter === now.reporter && now.expected >= before.expected;
  return { ssrc: now.ssrc, reporter: now.reporter, expected: now.expected, lost: same ? Math.max(before.lost, now.lost) : now.lost };
}

interface ReportedStream { latest: FarEndReport; used?: FarEndBaseline; fresh: boolean }

const worst = (values: Array<number | null>): number | null =>
  values.reduce<number | null>((w, v) => (v === null ? w : Math.max(w ?? v, v)), null);

/** One leg's far-end reports between two intervals (a phone sends one every few seconds; each stream's latest counts). */
export class FarEndReports {
  readonly #streams = new Map<string, ReportedStream>();

  take(report: FarEndReport): void {
    const key = `${report.reporter}/${report.ssrc}`;
    const stream = this.#streams.get(key);
    if (stream) {
      stream.latest = report;
      stream.fresh = true;
      return;
    }
    this.#streams.set(key, { latest: report, fresh: true });
    if (this.#streams.size > STREAMS) this.#streams.delete(this.#streams.keys().next().value!);
  }

  /**
   * The interval's far-end measurement, or undefined when no report came since the last one: the streams
   * reported on since, their packets summed, jitter and RTT the worst of them.
   */
  interval(): FarEndInterval | undefined {
    const fresh = [...this.#streams.values()].filter((s) => s.fresh);
    if (fresh.length === 0) return undefined;
    let received = 0;
    let lost = 0;
    const jitters: number[] = [];
    const rtts: Array<number | null> = [];
    for (const stream of fresh) {
      const one = farEndInterval(stream.latest, stream.used);
      stream.used = farEndBaseline(stream.latest, stream.used);
      stream.fresh = false;
      received += one.received;
      lost += one.lost;
      jitters.push(one.jitterMs);
      rtts.push(one.rttMs);
    }
    return { received, lost, jitterMs: Math.max(...jitters), rttMs: worst(rtts) };
  }
}
