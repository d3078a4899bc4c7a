// Call records for reports: terminal, entry, legs (route, state, who answered),
// ring/answer/end times, outcome and end reason. IDs only, no names or numbers.
import type { Store } from '../store/index.ts';
import type { CallRecorder } from './ports.ts';
import type { CallInfo } from './types.ts';

export type CallRow = {
  id: string; site_id: string; terminal_id: string; entry_id: string; started_at: number;
  answered_at: number | null; answered_by: string | null; ended_at: number | null; outcome: string | null; end_reason: string | null;
};
export type CallLegRow = {
  call_id: string; seq: number; route: string; started_at: number; ended_at: number | null; state: string; answered_by: string | null;
};
export type CallTables = { calls: CallRow; call_legs: CallLegRow };

export class CallRecords implements CallRecorder {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() { return this.#store.db.withTables<CallTables>(); }

  async started(info: CallInfo): Promise<void> {
    await this.#db.insertInto('calls').values({
      id: info.id, site_id: info.siteId, terminal_id: info.terminalId, entry_id: info.entryId, started_at: info.startedAt,
      answered_at: null, answered_by: null, ended_at: null, outcome: null, end_reason: null,
    }).execute();
  }

  async ended(info: CallInfo): Promise<void> {
    if (info.step.step !== 'ended') return;
    const { reason, outcome } = info.step;
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<CallTables>();
      await db.updateTable('calls').set({
        answered_at: info.answeredAt, answered_by: info.answeredBy, ended_at: info.endedAt, outcome, end_reason: reason,
      }).where('id', '=', info.id).execute();
      for (const leg of info.legs) {
        await db.insertInto('call_legs').values({
          call_id: info.id, seq: leg.seq, route: JSON.stringify(leg.route), started_at: leg.startedAt,
          ended_at: leg.endedAt, state: leg.state, answered_by: leg.answeredBy,
        }).execute();
      }
    });
  }

  async exists(callId: string): Promise<boolean> {
    return (await this.#db.selectFrom('calls').select('id').where('id', '=', callId).executeTakeFirst()) !== undefined;
  }

  /** Calls a desk user answered or missed, newest first (the desk's history). */
  async historyOf(userId: string, limit = 50): Promise<CallRow[]> {
    return this.#db.selectFrom('calls').selectAll()
      .where((eb) => eb.or([
        eb('answered_by', '=', userId),
        eb('id', 'in', eb.selectFrom('call_legs').select('call_id').where('route', 'like', `%"userId":"${userId.replace(/[%_"]/g, '')}"%`)),
      ]))
      .orderBy('started_at', 'desc').limit(limit).execute();
  }
}
