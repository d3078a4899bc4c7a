// The privacy service: holders given at construction, the inventory they
// describe, audited export and erasure, and the retention job on the manual clock.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { CallRecordsHolder, Privacy, UnknownSubjectKindError, type PersonalDataHolder } from '../../src/privacy/index.ts';
import type { CallTables } from '../../src/calls/index.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const silent = { info: () => {}, error: () => {} };

describe('privacy service', () => {
  let s: Services;
  let clock: ManualClock;
  let audit: AuditLog;
  let privacy: Privacy | undefined;
  beforeEach(async () => {
    s = await openServices();
    clock = new ManualClock();
    audit = new AuditLog(s.store.db, clock);
  });
  afterEach(async () => { await privacy?.close(); privacy = undefined; await s.close(); });

  const addCall = (id: string, startedAt: number) => s.store.db.withTables<CallTables>().insertInto('calls').values({
    id, site_id: 'hq', terminal_id: 't1', entry_id: 'e1', started_at: startedAt, answered_at: null, answered_by: null, ended_at: startedAt + 1, outcome: 'missed', end_reason: 'no-answer',
  }).execute();
  const callIds = async () => (await s.store.db.withTables<CallTables>().selectFrom('calls').select('id').orderBy('id').execute()).map((r) => r.id);

  it('prunes at start and then on every interval of its clock; a failing holder does not stop the others; close stops the schedule', async () => {
    const failing: PersonalDataHolder = {
      name: 'failing', describe: () => [], export: async () => ({}), erase: async () => ({}),
      prune: async () => { throw new Error('disk full'); },
    };
    const calls = new CallRecordsHolder({ store: s.store, audit, retentionDays: 1 });
    await addCall('c-due-now', clock.now() - DAY - 1);
    await addCall('c-due-in-30-min', clock.now() - DAY + 30 * 60_000);
    privacy = new Privacy({ holders: [failing, calls], audit, clock, logger: silent, pruneEveryMs: HOUR });

    await privacy.start();
    expect(await callIds()).toEqual(['c-due-in-30-min']);
    expect(clock.pending).toBe(1);
    await clock.advance(HOUR);
    await expect.poll(callIds).toEqual([]);
    expect(await privacy.prune()).toEqual({ pruned: { calls: { calls: 0 } }, failed: ['failing'] });

    await privacy.close();
    expect(clock.pending).toBe(0);
    await addCall('c-after-close', clock.now() - 2 * DAY);
    await clock.advance(2 * HOUR);
    expect(await callIds()).toEqual(['c-after-close']);
  });

  it('answers the inventory from the holders and audits every export and erasure with the subject', async () => {
    const calls = new CallRecordsHolder({ store: s.store, audit, retentionDays: 90 });
    privacy = new Privacy({ holders: [calls], audit, clock, logger: silent, pruneEveryMs: HOUR });
    expect(privacy.inventory()).toEqual([expect.objectContaining({ holder: 'calls', category: 'call-records', retentionKey: 'privacy.retention_days.call_records', retentionDays: 90 })]);

    const by = { type: 'user' as const, id: 'admin-1' };
    expect(await privacy.export(Privacy.subject('user', 'u1'), by)).toEqual({ subject: { kind: 'user', id: 'u1' }, exportedAt: new Date(clock.now()).toISOString(), data: { calls: { calls: [] } } });
    expect(await privacy.erase(Privacy.subject('user', 'u1'), by)).toEqual({ calls: { calls: 0 } });
    const entries = await audit.list();
    expect(entries.map((e) => [e.action, e.actor_id, e.target_type, e.target_id, e.outcome])).toEqual([
      ['privacy.erase', 'admin-1', 'user', 'u1', 'ok'], ['privacy.export', 'admin-1', 'user', 'u1', 'ok'],
    ]);
    expect(() => Privacy.subject('visitor-name', 'x')).toThrow(UnknownSubjectKindError);
    expect(() => new Privacy({ holders: [calls, calls], audit, clock, logger: silent, pruneEveryMs: HOUR })).toThrow(/unique/);
  });
});
