// A terminal that answered a telephone by itself is recorded as a call of kind callback
// (review s21 #10): the SLA report's answer figures (count, answer rate, time to answer)
// are those of the visitors' calls alone — the callback, answered at once, changes none.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { AuditLog, systemActor } from '../../src/audit/index.ts';
import { Sites } from '../../src/sites/index.ts';
import { ServiceLevel, SlaRecords } from '../../src/quality/index.ts';
import { CallRecords, type CallInfo, type CallKind } from '../../src/calls/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const at = (iso: string) => Date.parse(iso);

describe('the SLA answer figures and calls a terminal answered by itself', () => {
  let dir: string;
  let store: Store;
  let records: CallRecords;
  let level: ServiceLevel;
  const clock = new ManualClock();

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'portier-callback-sla-'));
    store = await Store.open(join(dir, 'portier.db'));
    records = new CallRecords(store);
    const audit = new AuditLog(store.db, clock);
    const sites = new Sites({ store, audit, clock });
    await sites.create(systemActor, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    level = new ServiceLevel({ store, records: new SlaRecords(store), audit, sites, clock, settings: { probeFailures: 2, mosThreshold: 3.6, noteMaxChars: 500 } });
    clock.t = at('2026-11-30T12:00:00Z');
  });
  afterEach(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A call as the call service records it: started, then ended (answered after `answerMs`, or missed). */
  const record = async (id: string, kind: CallKind, started: string, answerMs: number | null) => {
    const startedAt = at(started);
    const answeredAt = answerMs === null ? null : startedAt + answerMs;
    const info: CallInfo = {
      id, kind, siteId: 'hq', terminalId: 'terminal-1', entryId: kind === 'callback' ? '' : 'entry-1', startedAt,
      answeredAt, answeredBy: answerMs === null ? null : 'someone', endedAt: startedAt + 60_000,
      step: { step: 'ended', reason: answerMs === null ? 'no-answer' : 'hangup-terminal', outcome: answerMs === null ? 'missed' : 'answered' },
      legs: [], participants: [],
    };
    await records.started(info);
    await records.ended(info);
  };

  it('a callback answered at once changes neither the count nor the answer rate nor the time to answer', async () => {
    await record('v1', 'visitor', '2026-11-03T09:00:00Z', 20_000);
    await record('v2', 'visitor', '2026-11-04T09:00:00Z', null);
    const before = (await level.report('hq', '2026-11')).calls;
    expect([before.total, before.answered, before.answerRatePercent, before.timeToAnswerP50Ms]).toEqual([2, 1, 50, 20_000]);
    await record('cb1', 'callback', '2026-11-05T09:00:00Z', 0);
    await record('cb2', 'callback', '2026-11-06T09:00:00Z', 0);
    const after = (await level.report('hq', '2026-11')).calls;
    expect(after).toEqual(before);
  });

  it('a callback\'s measured quality counts in the quality figures, not in the answer figures (review s22 #10)', async () => {
    await record('v1', 'visitor', '2026-11-03T09:00:00Z', 20_000);
    await record('cb1', 'callback', '2026-11-05T09:00:00Z', 0);
    const db = store.db.withTables<{ call_quality: { call_id: string; started_at: number; ended_at: number; intervals: number; min_mos: number | null; mean_mos: number | null; below_share: number | null; worst_loss_percent: number | null; worst_jitter_ms: number | null; worst_rtt_ms: number | null } }>();
    await db.insertInto('call_quality').values({
      call_id: 'cb1', started_at: 0, ended_at: 1, intervals: 4, min_mos: 2.1, mean_mos: 2.4, below_share: 1, worst_loss_percent: 9, worst_jitter_ms: 40, worst_rtt_ms: null,
    }).execute();
    const calls = (await level.report('hq', '2026-11')).calls;
    expect([calls.total, calls.answered, calls.withQuality, calls.belowMosThreshold]).toEqual([1, 1, 1, 1]);
  });
});
