// What one leg (a participant's connection to the SFU) measured in one interval:
// the difference of two readings of its cumulative counters, turned into loss,
// jitter, RTT and a MOS. Pure, so it is tested without media.
import type { AudioCodec, ParticipantKind, ParticipantStats, StreamStats } from '../calls/index.ts';
import { mos } from './e-model.ts';
import type { CodecTable } from './codecs.ts';
import type { FarEndInterval } from './far-end-report.ts';

/** Cumulative counters of one RTP stream as the SFU reports them (the CallMedia port's). */
export type StreamCounters = StreamStats;

/** One reading of a participant's media counters (the CallMedia port's stats()). */
export type ParticipantCounters = ParticipantStats;

/**
 * What the participant's own browser measured in the interval (its getStats reports,
 * see browser-report.ts): differences of its cumulative inbound counters, and the
 * current jitter and round-trip time.
 */
export interface BrowserInterval {
  /** Inbound audio packets received, lost and discarded by the jitter buffer (arrived too late). */
  received: number;
  lost: number;
  discarded: number;
  jitterMs: number;
  rttMs: number | null;
  /** Inbound video frames dropped and freezes in the interval. */
  framesDropped: number;
  freezes: number;
}

export interface LegSample {
  callId: string;
  participantId: string;
  kind: ParticipantKind;
  codec: AudioCodec;
  /** End of the interval (ms since the epoch) and its number within the call (1, 2, …). */
  at: number;
  interval: number;
  /** Audio loss on the leg in percent: both directions combined. */
  lossPercent: number;
  /** Audio packets the participant's jitter buffer discarded, in percent of what reached it (browser reports; else 0). */
  discardPercent: number;
  /** Video frames dropped and freezes the browser reported in the interval; null without a browser report. */
  framesDropped: number | null;
  freezes: number | null;
  jitterMs: number;
  rttMs: number | null;
  bitrateBps: number;
  nack: number;
  pli: number;
  fir: number;
  score: number | null;
  /** null when no audio flowed on the leg in this interval. */
  mos: number | null;
}

/** Differences per stream; a stream not seen before counts from zero. */
function deltas(now: StreamCounters[], before: StreamCounters[] | undefined): { packets: number; lost: number } {
  const prev = new Map((before ?? []).map((s) => [s.id, s]));
  let packets = 0;
  let lost = 0;
  for (const s of now) {
    const p = prev.get(s.id);
    packets += Math.max(0, s.packets - (p?.packets ?? 0));
    lost += Math.max(0, s.lost - (p?.lost ?? 0));
  }
  return { packets, lost };
}

const worst = (values: Array<number | null>): number | null =>
  values.reduce<number | null>((m, v) => (v === null ? m : Math.max(m ?? v, v)), null);

/**
 * The leg's interval: loss up = lost / (received + lost) at the SFU, loss down = lost / sent
 * from the participant's receiver reports, combined as 1 − (1 − up)(1 − down); jitter and RTT
 * the worst current value; one-way delay half the RTT. With the participant's browser
 * report: loss down is the worse of the SFU's (from receiver reports) and the browser's own
 * count (not both: they count the same packets), the jitter buffer's discards are added as
 * loss (the E-model is too optimistic under jitter otherwise), jitter and RTT the worst of all.
 * A telephone's own receiver reports (far-end-report.ts; the SFU never gets them, so it knows
 * no loss down for that leg) are folded the same way: loss down the worse, jitter and RTT the worst.
 */
export function legSample(
  leg: { callId: string; participantId: string; kind: ParticipantKind; codec: AudioCodec },
  now: ParticipantCounters, before: ParticipantCounters | undefined, at: number, interval: number, codecs: CodecTable,
  browser?: BrowserInterval, farEnd?: FarEndInterval,
): LegSample {
  const up = deltas(now.audioUp, before?.audioUp);
  const down = deltas(now.audioDown, before?.audioDown);
  const upLoss = up.packets + up.lost > 0 ? up.lost / (up.packets + up.lost) : 0;
  const sfuDownLoss = down.packets > 0 ? Math.min(1, down.lost / down.packets) : 0;
  const reached = browser ? browser.received + browser.lost : 0;
  const browserLoss = reached > 0 ? Math.min(1, browser!.lost / reached) : 0;
  const expected = farEnd ? farEnd.received + farEnd.lost : 0;
  const farEndLoss = expected > 0 ? Math.min(1, farEnd!.lost / expected) : 0;
  const downLoss = Math.max(sfuDownLoss, browserLoss, farEndLoss);
  const lossPercent = 100 * (1 - (1 - upLoss) * (1 - downLoss));
  const discardPercent = reached > 0 ? Math.min(100, (100 * browser!.discarded) / reached) : 0;
  const streams = [...now.audioUp, ...now.audioDown];
  const jitterMs = worst([...streams.map((s) => s.jitterMs), browser?.jitterMs ?? null, farEnd?.jitterMs ?? null]) ?? 0;
  const rttMs = worst([...streams.map((s) => s.rttMs), browser?.rttMs ?? null, farEnd?.rttMs ?? null]);
  const flowed = up.packets + up.lost + down.packets + reached + expected > 0;
  return {
    ...leg, at, interval, lossPercent, discardPercent, jitterMs, rttMs, bitrateBps: now.bitrateBps,
    framesDropped: browser ? browser.framesDropped : null,
    freezes: browser ? browser.freezes : null,
    nack: Math.max(0, now.nack - (before?.nack ?? 0)),
    pli: Math.max(0, now.pli - (before?.pli ?? 0)),
    fir: Math.max(0, now.fir - (before?.fir ?? 0)),
    score: now.score,
    mos: flowed ? mos({ lossPercent, discardPercent, oneWayDelayMs: (rttMs ?? 0) / 2, jitterMs }, codecs[leg.codec]) : null,
  };
}
