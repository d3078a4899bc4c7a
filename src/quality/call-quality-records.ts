// The call_quality table: one summary per call, written when its media closes.
import type { Store } from '../store/index.ts';

export interface CallQualitySummary {
  callId: string;
  startedAt: number;
  endedAt: number;
  /** Leg-intervals with a MOS (audio flowed on the leg in that interval). */
  intervals: number;
  minMos: number | null;
  meanMos: number | null;
  /** Share (0–1) of those leg-intervals below the threshold. */
  belowShare: number | null;
  worstLossPercent: number | null;
  worstJitterMs: number | null;
  worstRttMs: number | null;
}

type CallQualityRow = {
  call_id: string; started_at: number; ended_at: number; intervals: number; min_mos: number | null; mean_mos: number | null;
  below_share: number | null; worst_loss_percent: number | null; worst_jitter_ms: number | null; worst_rtt_ms: number | null;
};
export type QualityTables = { call_quality: CallQualityRow };

/** Where summaries go (the store; tests may pass their own). */
export interface QualityRecorder {
  save(summary: CallQualitySummary): Promise<void>;
}

export class CallQualityRecords implements QualityRecorder {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() { return this.#store.db.withTables<QualityTables>(); }

  async save(s: CallQualitySummary): Promise<void> {
    const row: CallQualityRow = {
      call_id: s.callId, started_at: s.startedAt, ended_at: s.endedAt, intervals: s.intervals, min_mos: s.minMos, mean_mos: s.meanMos,
      below_share: s.belowShare, worst_loss_percent: s.worstLossPercent, worst_jitter_ms: s.worstJitterMs, worst_rtt_ms: s.worstRttMs,
    };
    await this.#db.insertInto('call_quality').values(row)
      .onConflict((oc) => oc.column('call_id').doUpdateSet(row)).execute();
  }

  async get(callId: string): Promise<CallQualitySummary | undefined> {
    const r = await this.#db.selectFrom('call_quality').selectAll().where('call_id', '=', callId).executeTakeFirst();
    if (!r) return undefined;
    return {
      callId: r.call_id, startedAt: Number(r.started_at), endedAt: Number(r.ended_at), intervals: r.intervals, minMos: r.min_mos, meanMos: r.mean_mos,
      belowShare: r.below_share, worstLossPercent: r.worst_loss_percent, worstJitterMs: r.worst_jitter_ms, worstRttMs: r.worst_rtt_ms,
    };
  }
}
