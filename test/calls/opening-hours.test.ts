// call.start checks the site's opening hours on the call service's clock (a
// manual one here): inside them the entry and the reception ring; outside, only
// the after-hours route rings, or the call is refused with `closed`.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Services } from '../support/services.ts';
import type { ManualClock } from '../support/manual-clock.ts';
import { admin, hqPhoneBook } from '../support/call-service.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { CallService, CallRecords } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { noDoors, RecordingDoors } from '../support/doors.ts';

describe('opening hours at call.start', () => {
  let s: Services;
  let clock: ManualClock;
  let calls: CallService;
  let pool: WorkerPool;
  let entries: Record<string, string>;
  const rings: string[] = [];

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Anna Host', department: null, routes: [{ type: 'desk-user', userId: 'anna' }] },
      { kind: 'reception', name: 'Empfang', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }] },
      { kind: 'department', name: 'Security', department: null, routes: [{ type: 'desk-user', userId: 'sam' }] },
    ]);
    ({ s, clock, entries } = hq);
    // Weekdays 08:00 to 18:00, and the Friday night shift on to Saturday 06:00.
    await s.sites.setHours(admin, 'hq', { hours: [
      { days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '08:00', to: '18:00' },
      { days: ['fri'], from: '22:00', to: '06:00' },
    ], afterHoursEntryId: null });
    rings.length = 0;
    const records = new CallRecords(s.store);
    calls = new CallService({
      phonebook: hq.book, clock, recorder: records, media: new SfuMediaPort(pool), door: { ...noDoors(s), doors: new RecordingDoors(), mayUnlock: async () => false },
      audit: s.audit, options: { queueTimeoutS: 300 }, hours: s.sites,
      presence: { isAvailable: () => true },
      directory: { members: async (role) => (role === 'reception' ? ['rita'] : []), mayAnswer: async () => true },
    });
    calls.on('ring', (u) => rings.push(u));
  });
  afterEach(async () => { await calls.close(); await s.close(); });

  const startAt = async (iso: string, terminal = 'terminal-1') => {
    clock.t = Date.parse(iso);
    return calls.start({ id: terminal, siteId: 'hq' }, entries['Anna Host']!);
  };

  it('inside the hours rings the entry; outside them refuses with closed, across the day boundary and the DST change', async () => {
    // Friday 2026-03-27, Berlin on CET (UTC+1).
    const open = await startAt('2026-03-27T16:59:00Z'); // Fri 17:59
    expect(rings).toEqual(['anna']);
    await calls.hangup(open.id, 'terminal-1');
    await expect(startAt('2026-03-27T17:00:00Z')).rejects.toMatchObject({ code: 'closed' }); // Fri 18:00
    const night = await startAt('2026-03-28T04:59:00Z'); // Sat 05:59, the Friday night shift
    await calls.hangup(night.id, 'terminal-1');
    await expect(startAt('2026-03-28T05:00:00Z')).rejects.toMatchObject({ code: 'closed' }); // Sat 06:00
    // Monday 2026-03-30 on CEST (UTC+2): 06:30 UTC is 08:30 there (07:30 on winter time).
    await expect(startAt('2026-03-30T05:59:00Z')).rejects.toMatchObject({ code: 'closed' });
    const monday = await startAt('2026-03-30T06:30:00Z');
    expect(rings).toEqual(['anna', 'anna', 'anna']);
    await calls.hangup(monday.id, 'terminal-1');
    // A refused call leaves nothing behind: no call, no timer.
    expect(calls.activeCalls).toEqual([]);
    expect(clock.pending).toBe(0);
  });

  it('outside the hours rings only the after-hours route (not the entry, not the reception), with its own timeout', async () => {
    await s.sites.setHours(admin, 'hq', { hours: [{ days: ['mon'], from: '08:00', to: '18:00' }], afterHoursEntryId: entries['Security']! });
    const call = await startAt('2026-03-28T12:00:00Z'); // Saturday
    expect(rings).toEqual(['sam']);
    expect(call.entryId).toBe(entries['Anna Host']);
    await clock.advance(30_000);
    expect(call.step).toMatchObject({ step: 'ended', outcome: 'missed' });
    expect(rings).toEqual(['sam']);
  });

  it('an after-hours route whose entry is gone refuses with closed', async () => {
    await s.sites.setHours(admin, 'hq', { hours: [], afterHoursEntryId: 'no-such-entry' });
    await expect(startAt('2026-03-30T10:00:00Z')).rejects.toMatchObject({ code: 'closed' });
  });

  it('refuses a call whose opening-hours check was still under way when the gateway began to drain', async () => {
    let release!: () => void;
    const checked = new Promise<void>((resolve) => { release = resolve; });
    const book = new PhoneBook({ store: s.store, audit: s.audit, clock });
    await book.load();
    const gated = new CallService({
      phonebook: book, clock, recorder: new CallRecords(s.store), media: new SfuMediaPort(pool),
      door: { ...noDoors(s), doors: new RecordingDoors(), mayUnlock: async () => false }, audit: s.audit, options: { queueTimeoutS: 300 },
      hours: { openAt: async (site, at) => { await checked; return s.sites.openAt(site, at); } },
      presence: { isAvailable: () => true },
      directory: { members: async () => ['rita'], mayAnswer: async () => true },
    });
    try {
      clock.t = Date.parse('2026-03-27T10:00:00Z'); // Friday 11:00 in Berlin: open
      const starting = gated.start({ id: 'terminal-9', siteId: 'hq' }, entries['Anna Host']!);
      gated.stopAccepting();
      release();
      await expect(starting).rejects.toMatchObject({ code: 'conflict' });
      expect(gated.activeCalls).toEqual([]);
    } finally {
      await gated.close();
    }
  });
});
