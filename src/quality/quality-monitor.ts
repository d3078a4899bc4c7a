// Watches the media of every call (through the MediaPort it wraps) and, every
// interval, reads each participant's counters, computes the leg's MOS and emits a
// sample; a leg below the threshold for N intervals in a row is `low-quality`
// (once, until it recovers). When the call's media closes, the call's summary is
// stored. It owns nothing of the call: it only listens to the media's observer.
import { NotFoundError, TypedEmitter, type Clock } from '../core/index.ts';
import type { CallMedia, MediaPort } from '../calls/index.ts';
import type { CodecTable } from './codecs.ts';
import { legSample, type LegSample, type ParticipantCounters } from './leg-sample.ts';
import type { MediaStatsSource, StatsReader } from './sfu-stats.ts';
import type { CallQualitySummary, QualityRecorder } from './call-quality-records.ts';
import { LegReports, signalLevel, type BrowserReport, type SignalLevel } from './browser-report.ts';
import { FarEndReports } from './far-end-report.ts';

export interface QualitySettings {
  intervalMs: number;
  /** A leg-interval below this MOS counts as low quality. */
  mosThreshold: number;
  /** Consecutive low intervals before a leg is reported `low-quality`. */
  lowIntervals: number;
  codecs: CodecTable;
  /** Browser getStats reports a leg may send per interval; more are refused (rate-limited). */
  reportsPerInterval: number;
  /** Intervals a running call's live timeline keeps (the admin dashboard). */
  timelineIntervals: number;
}

/** A running call's quality now (the admin dashboard): each leg's last sample and the call's recent intervals. */
export interface LiveQuality {
  callId: string;
  /** The lowest MOS of the legs' last rated samples (the call is as good as its worst leg). */
  mos: number | null;
  level: SignalLevel | null;
  legs: Array<Pick<LegSample, 'participantId' | 'kind' | 'interval' | 'at' | 'mos' | 'lossPercent' | 'discardPercent' | 'jitterMs' | 'rttMs'> & { level: SignalLevel | null }>;
  /** The last `timelineIntervals` intervals, oldest first: the lowest MOS of the legs in each (null: no audio flowed). */
  timeline: Array<{ at: number; interval: number; mos: number | null }>;
}

/** What a page learns when it reports: its leg's latest MOS and when to report next. */
export interface ReportAnswer { mos: number | null; level: SignalLevel | null; intervalMs: number }

export interface LowQuality { callId: string; participantId: string; mos: number; intervals: number }

export type QualityMonitorEvents = {
  sample: [LegSample];
  'low-quality': [LowQuality];
  /** A leg reported low-quality is back at or above the threshold. */
  recovered: [{ callId: string; participantId: string; mos: number }];
  summary: [CallQualitySummary];
  /** Reading stats or storing a summary failed; monitoring goes on. */
  error: [Error];
};

interface Tracked {
  media: CallMedia;
  reader: StatsReader | null;
  startedAt: number;
  interval: number;
  timer: NodeJS.Timeout | null;
  previous: Map<string, ParticipantCounters>;
  /** Consecutive low intervals per participant, and whether it was reported. */
  low: Map<string, { count: number; reported: boolean }>;
  samples: LegSample[];
  /** Browser reports per participant, each leg's latest sample, the recent intervals' lowest MOS. */
  reports: Map<string, LegReports>;
  /** A telephone leg's own receiver reports per participant (the call media's observer, farendreport). */
  farEnd: Map<string, FarEndReports>;
  latest: Map<string, LegSample>;
  timeline: LiveQuality['timeline'];
  done: boolean;
}

export class QualityMonitor extends TypedEmitter<QualityMonitorEvents> {
  readonly #clock: Clock;
  readonly #stats: MediaStatsSource;
  readonly #recorder: QualityRecorder;
  readonly #settings: QualitySettings;
  readonly #calls = new Map<string, Tracked>();
  readonly #pending = new Set<Promise<unknown>>();
  #closed = false;

  constructor(deps: { clock: Clock; stats: MediaStatsSource; recorder: QualityRecorder; settings: QualitySettings }) {
    super();
    this.#clock = deps.clock;
    this.#stats = deps.stats;
    this.#recorder = deps.recorder;
    this.#settings = deps.settings;
  }

  get closed(): boolean { return this.#closed; }
  /** Calls being watched (their media is open). */
  get watching(): string[] { return [...this.#calls.keys()]; }

  /** The MediaPort the call service uses: it opens media through `port` and watches each one. */
  watch(port: MediaPort): MediaPort {
    return {
      open: async (callId: string) => {
        const media = await port.open(callId);
        this.#track(callId, media);
        return media;
      },
    };
  }

  #track(callId: string, media: CallMedia): void {
    if (this.#closed || media.closed) return;
    const t: Tracked = {
      media, reader: this.#stats.track(media), startedAt: this.#clock.now(), interval: 0, timer: null,
      previous: new Map(), low: new Map(), samples: [], reports: new Map(), farEnd: new Map(), latest: new Map(), timeline: [], done: false,
    };
    this.#calls.set(callId, t);
    media.observer.on('close', () => this.#background(this.#finish(callId, t)));
    media.observer.on('farendreport', (participantId, report) => {
      if (t.done) return;
      const leg = t.farEnd.get(participantId) ?? t.farEnd.set(participantId, new FarEndReports()).get(participantId)!;
      leg.take(report);
    });
    this.#schedule(callId, t);
  }

  /**
   * A participant's browser reports what it receives (quality.report): folded into its
   * leg's next interval. not-found when the call is not watched or the participant is not
   * in its media; rate-limited beyond `reportsPerInterval` in one interval.
   */
  report(callId: string, participantId: string, report: BrowserReport): ReportAnswer {
    const t = this.#calls.get(callId);
    if (!t || t.done || !t.media.participant(participantId)) throw new NotFoundError(`no media of call ${callId} for this participant`);
    const leg = t.reports.get(participantId) ?? t.reports.set(participantId, new LegReports()).get(participantId)!;
    leg.take(report, this.#settings.reportsPerInterval, this.#settings.intervalMs);
    const mos = t.latest.get(participantId)?.mos ?? null;
    return { mos, level: signalLevel(mos, this.#settings.mosThreshold), intervalMs: this.#settings.intervalMs };
  }

  /** A watched call's quality now; null when the call's media is not watched (ended, or never opened). */
  live(callId: string): LiveQuality | null {
    const t = this.#calls.get(callId);
    if (!t || t.done) return null;
    const threshold = this.#settings.mosThreshold;
    const legs = [...t.latest.values()].filter((s) => t.media.participant(s.participantId)).map((s) => ({
      participantId: s.participantId, kind: s.kind, interval: s.interval, at: s.at, mos: s.mos, level: signalLevel(s.mos, threshold),
      lossPercent: s.lossPercent, discardPercent: s.discardPercent, jitterMs: s.jitterMs, rttMs: s.rttMs,
    }));
    const rated = legs.flatMap((l) => (l.mos === null ? [] : [l.mos]));
    const mos = rated.length ? Math.min(...rated) : null;
    return { callId, mos, level: signalLevel(mos, threshold), legs, timeline: t.timeline.map((p) => ({ ...p })) };
  }

  #schedule(callId: string, t: Tracked): void {
    if (t.done || !t.reader) return;
    t.timer = this.#clock.setTimeout(() => {
      t.timer = null;
      this.#background(this.#tick(callId, t).finally(() => this.#schedule(callId, t)));
    }, this.#settings.intervalMs);
  }

  async #tick(callId: string, t: Tracked): Promise<void> {
    let counters: ParticipantCounters[];
    try {
      counters = await t.reader!.read();
    } catch (error) {
      if (!t.done) this.safeEmit('error', error as Error);
      return;
    }
    if (t.done) return;
    t.interval += 1;
    const at = this.#clock.now();
    for (const c of counters) {
      const who = t.media.participant(c.participantId);
      // A desk the call only rings (it prepares its media) is not in the call: nothing to measure yet.
      if (!who?.inCall) continue;
      const browser = t.reports.get(who.id)?.interval();
      const farEnd = t.farEnd.get(who.id)?.interval();
      const sample = legSample({ callId, participantId: who.id, kind: who.kind, codec: who.audioCodec }, c, t.previous.get(who.id), at, t.interval, this.#settings.codecs, browser, farEnd);
      t.previous.set(who.id, c);
      t.latest.set(who.id, sample);
      t.samples.push(sample);
      this.safeEmit('sample', sample);
      this.#judge(callId, t, sample);
    }
    const rated = [...t.latest.values()].filter((s) => s.interval === t.interval && s.mos !== null).map((s) => s.mos!);
    t.timeline.push({ at, interval: t.interval, mos: rated.length ? Math.min(...rated) : null });
    if (t.timeline.length > this.#settings.timelineIntervals) t.timeline.splice(0, t.timeline.length - this.#settings.timelineIntervals);
  }

  #judge(callId: string, t: Tracked, s: LegSample): void {
    if (s.mos === null) return;
    const state = t.low.get(s.participantId) ?? { count: 0, reported: false };
    t.low.set(s.participantId, state);
    if (s.mos < this.#settings.mosThreshold) {
      state.count += 1;
      if (!state.reported && state.count >= this.#settings.lowIntervals) {
        state.reported = true;
        this.safeEmit('low-quality', { callId, participantId: s.participantId, mos: s.mos, intervals: state.count });
      }
      return;
    }
    if (state.reported) this.safeEmit('recovered', { callId, participantId: s.participantId, mos: s.mos });
    state.count = 0;
    state.reported = false;
  }

  async #finish(callId: string, t: Tracked): Promise<void> {
    if (t.done) return;
    t.done = true;
    if (t.timer) this.#clock.clearTimeout(t.timer);
    this.#calls.delete(callId);
    const summary = summarise(callId, t.startedAt, this.#clock.now(), t.samples, this.#settings.mosThreshold);
    try {
      await this.#recorder.save(summary);
      this.safeEmit('summary', summary);
    } catch (error) {
      this.safeEmit('error', error as Error);
    }
  }

  #background(p: Promise<unknown>): void {
    this.#pending.add(p);
    void p.finally(() => this.#pending.delete(p));
  }

  /** Stops every interval and stores the summaries of calls still running (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [callId, t] of [...this.#calls]) this.#background(this.#finish(callId, t));
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    this.removeAllListeners();
  }
}

/** The call's summary over every leg-interval with a MOS. */
export function summarise(callId: string, startedAt: number, endedAt: number, samples: LegSample[], threshold: number): CallQualitySummary {
  const rated = samples.filter((s) => s.mos !== null);
  const moses = rated.map((s) => s.mos!);
  const max = (xs: number[]) => (xs.length ? Math.max(...xs) : null);
  return {
    callId, startedAt, endedAt, intervals: rated.length,
    minMos: moses.length ? Math.min(...moses) : null,
    meanMos: moses.length ? moses.reduce((a, b) => a + b, 0) / moses.length : null,
    belowShare: moses.length ? moses.filter((m) => m < threshold).length / moses.length : null,
    worstLossPercent: max(rated.map((s) => s.lossPercent)),
    worstJitterMs: max(rated.map((s) => s.jitterMs)),
    worstRttMs: max(rated.flatMap((s) => (s.rttMs === null ? [] : [s.rttMs]))),
  };
}
