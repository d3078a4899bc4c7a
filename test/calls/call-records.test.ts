// Call records keep who took part: the terminal and the answering desk as
// participants with their join and leave times (IDs only), the desk's history
// built from them, and migration 045 giving calls recorded before it the same.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { sql } from 'kysely';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startPool } from '../support/pool.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { CallService, CallRecords, type CallInfo } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { Store } from '../../src/store/index.ts';
import { migratedStoreAt } from '../support/migrated-store.ts';
import { noDoors } from '../support/doors.ts';

const admin = { type: 'user' as const, id: 'admin' };

describe('call records', () => {
  let s: Services;
  let pool: WorkerPool;
  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => { s = await openServices(); });
  afterEach(async () => { await s.close(); });

  it('records each participant with its join and leave times, and lists the call in the answering desk\'s history', async () => {
    const clock = new ManualClock();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const book = new PhoneBook({ store: s.store, audit: s.audit, clock });
    const [reception] = await book.upsertMany(admin, [
      { siteId: 'hq', kind: 'reception', name: 'Empfang', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }] },
    ]);
    const records = new CallRecords(s.store);
    const writes: Promise<void>[] = [];
    const recorder = {
      started: (info: CallInfo) => { const w = records.started(info); writes.push(w); return w; },
      ended: (info: CallInfo) => { const w = records.ended(info); writes.push(w); return w; },
      exists: (callId: string) => records.exists(callId),
    };
    const calls = new CallService({
      phonebook: book, clock, recorder, media: new SfuMediaPort(pool), door: noDoors(s), audit: s.audit, options: { queueTimeoutS: 300 },
      presence: { isAvailable: () => true },
      directory: { members: async () => ['rita', 'rolf'], mayAnswer: async () => true },
    });
    try {
      const call = await calls.start({ id: 'terminal-1', siteId: 'hq' }, reception!.id);
      const t0 = clock.now();
      await clock.advance(4000);
      await calls.answer(call.id, 'rita');
      await clock.advance(60_000);
      await calls.hangup(call.id, 'rita');
      await Promise.all(writes);
      expect(await records.participantsOf(call.id)).toEqual([
        { call_id: call.id, participant_id: 'terminal-1', kind: 'terminal', joined_at: t0, left_at: t0 + 64_000 },
        { call_id: call.id, participant_id: 'rita', kind: 'desk', joined_at: t0 + 4000, left_at: t0 + 64_000 },
      ]);
      expect((await records.historyOf('rita')).map((c) => c.id)).toEqual([call.id]);
      // Rolf was rung with the group and did not answer: not his call.
      expect(await records.historyOf('rolf')).toEqual([]);
    } finally {
      await calls.close();
    }
  });

  it('migration 045 makes the terminal and the answering desk of earlier calls participants', async () => {
    const path = join(s.dir, 'before-045.db');
    const old = await migratedStoreAt(path, '045');
    await sql`INSERT INTO calls (id, site_id, terminal_id, entry_id, started_at, answered_at, answered_by, ended_at, outcome, end_reason)
      VALUES ('c1', 'hq', 't1', 'e1', 1000, 3000, 'anna', 9000, 'answered', 'hangup-desk'),
             ('c2', 'hq', 't1', 'e1', 10000, NULL, NULL, 12000, 'missed', 'no-answer')`.execute(old);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const records = new CallRecords(store);
      expect(await records.participantsOf('c1')).toEqual([
        { call_id: 'c1', participant_id: 't1', kind: 'terminal', joined_at: 1000, left_at: 9000 },
        { call_id: 'c1', participant_id: 'anna', kind: 'desk', joined_at: 3000, left_at: 9000 },
      ]);
      expect(await records.participantsOf('c2')).toEqual([{ call_id: 'c2', participant_id: 't1', kind: 'terminal', joined_at: 10000, left_at: 12000 }]);
    } finally {
      await store.close();
    }
  });
});
