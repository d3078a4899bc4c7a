// Call records for reports: terminal, entry, participants (who took part, when
// they joined and left), legs (route, state, who answered), ring/answer/end
// times, outcome and end reason. IDs only, no names or numbers.
import type { Generated, Transaction } from 'kysely';
import type { Store, Tables } from '../store/index.ts';
import type { CallRecorder } from './ports.ts';
import type { CallInfo } from './types.ts';

export type CallRow = {
  /** visitor or callback (CallKind). */
  id: string; kind: string; site_id: string; terminal_id: string; entry_id: string; started_at: number;
  answered_at: number | null; answered_by: string | null; ended_at: number | null; outcome: string | null; end_reason: string | null;
};
export type CallLegRow = {
  call_id: string; seq: number; route: string; started_at: number; ended_at: number | null; state: string; answered_by: string | null;
};
export type CallParticipantRow = {
  call_id: string; participant_id: string; kind: string; joined_at: number; left_at: number | null;
};
/** The table as written: kind is 'visitor' when an insert leaves it out (migration 098). */
type CallTable = Omit<CallRow, 'kind'> & { kind: Generated<string> };
export type CallTables = { calls: CallTable; call_legs: CallLegRow; call_participants: CallParticipantRow };

export class CallRecords implements CallRecorder {
  readonly #store: Store;

  constructor(store: Store) {
    this.#store = store;
  }

  get #db() { return this.#store.db.withTables<CallTables>(); }

  async started(info: CallInfo): Promise<void> {
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<CallTables>();
      await db.insertInto('calls').values({
        id: info.id, kind: info.kind, site_id: info.siteId, terminal_id: info.terminalId, entry_id: info.entryId, started_at: info.startedAt,
        answered_at: null, answered_by: null, ended_at: null, outcome: null, end_reason: null,
      }).execute();
      await this.#writeParticipants(db, info);
    });
  }

  /** Every participant as the call knows it now (joined, and left when it did). */
  async #writeParticipants(db: Transaction<Tables & CallTables>, info: CallInfo): Promise<void> {
    await db.deleteFrom('call_participants').where('call_id', '=', info.id).execute();
    if (info.participants.length === 0) return;
    await db.insertInto('call_participants').values(info.participants.map((p) => ({
      call_id: info.id, participant_id: p.id, kind: p.kind, joined_at: p.joinedAt, left_at: p.leftAt,
    }))).execute();
  }

  async ended(info: CallInfo): Promise<void> {
    if (info.step.step !== 'ended') return;
    const { reason, outcome } = info.step;
    await this.#store.transaction(async (tx) => {
      const db = tx.withTables<CallTables>();
      const updated = await db.updateTable('calls').set({
        answered_at: info.answeredAt, answered_by: info.answeredBy, ended_at: info.endedAt, outcome, end_reason: reason,
      }).where('id', '=', info.id).executeTakeFirst();
      // A call that failed before it was recorded (no media) has nothing to complete.
      if (updated.numUpdatedRows === 0n) return;
      await this.#writeParticipants(db, info);
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

  /** Who took part in a call, in the order they joined. */
  async participantsOf(callId: string): Promise<CallParticipantRow[]> {
    return this.#db.selectFrom('call_participants').selectAll().where('call_id', '=', callId).orderBy('joined_at').orderBy('participant_id').execute();
  }

  /**
   * A desk user's history, newest first: the calls it took part in (answered,
   * later joined by transfer or as a third party) and the calls that rang it by
   * name (a person route), answered by someone else or missed.
   */
  async historyOf(userId: string, limit = 50): Promise<CallRow[]> {
    return this.#db.selectFrom('calls').selectAll()
      .where((eb) => eb.or([
        eb('answered_by', '=', userId),
        eb('id', 'in', eb.selectFrom('call_participants').select('call_id').where('participant_id', '=', userId)),
        eb('id', 'in', eb.selectFrom('call_legs').select('call_id').where('route', 'like', `%"userId":"${userId.replace(/[%_"]/g, '')}"%`)),
      ]))
      .orderBy('started_at', 'desc').limit(limit).execute();
  }
}
