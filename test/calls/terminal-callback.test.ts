// A telephone calls a terminal that answers by itself (CallService.callTerminalFromPhone;
// review s21 #10, #28), with a manual clock and a real mediasoup worker: the call ends at
// calls.callback_max_seconds, is refused outside the site's opening hours (call.closed)
// unless the configuration allows it, is recorded as a callback (not a visitor's call),
// and its audit entry names the configured caller's key — never the caller's number.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { CallService, CallRecords, type CallServiceOptions, type TerminalCaller } from '../../src/calls/index.ts';
import { ClosedError } from '../../src/core/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { noDoors } from '../support/doors.ts';

const admin = { type: 'user' as const, id: 'admin' };
const lobby = { id: 'terminal-1', siteId: 'hq' };
const phone: TerminalCaller = {
  participantId: 'sip-1', label: '7001', audioCodec: 'audio/PCMA',
  via: { account: 'pbx', number: '4790', callerKey: 'reception' },
};

describe('a terminal that answers a telephone by itself', () => {
  let s: Services;
  let clock: ManualClock;
  let calls: CallService;
  let pool: WorkerPool;
  let open: boolean;
  let recorded: Promise<void>;

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });

  const make = (options: Partial<CallServiceOptions> = {}) => {
    const records = new CallRecords(s.store);
    calls = new CallService({
      phonebook: new PhoneBook({ store: s.store, audit: s.audit, clock }), clock, media: new SfuMediaPort(pool), door: noDoors(s), audit: s.audit,
      recorder: {
        started: (info) => (recorded = records.started(info)),
        ended: (info) => (recorded = records.ended(info)),
        exists: (callId) => records.exists(callId),
      },
      options: { queueTimeoutS: 300, callbackMaxS: 120, ...options },
      hours: { openAt: async () => ({ open, afterHoursEntryId: 'after-hours' }) },
      presence: { isAvailable: () => true },
      directory: { members: async () => [], mayAnswer: async () => true },
    });
  };

  beforeEach(async () => {
    s = await openServices();
    clock = new ManualClock();
    open = true;
    recorded = Promise.resolve();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    make();
  });
  afterEach(async () => { await calls.close(); await s.close(); });

  it('ends the answered call at calls.callback_max_seconds (max-duration), not before', async () => {
    const call = await calls.callTerminalFromPhone(phone, lobby, () => undefined);
    expect(call.step).toEqual({ step: 'answered', by: lobby.id });
    await clock.advance(119_000);
    expect(call.ended).toBe(false);
    await clock.advance(1000);
    expect(call.step).toMatchObject({ step: 'ended', reason: 'max-duration', outcome: 'answered' });
    expect(calls.callOfTerminal(lobby.id)).toBeUndefined();
    expect(clock.pending).toBe(0);
  });

  it('outside the site\'s opening hours it is refused (ClosedError call.closed) — even with an after-hours route — and nothing is opened or audited', async () => {
    open = false;
    const refused = await calls.callTerminalFromPhone(phone, lobby, () => undefined).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ClosedError);
    expect((refused as ClosedError).why.reason).toBe('call.closed');
    expect(calls.activeCalls).toHaveLength(0);
    expect(await s.audit.list({ action: 'call.auto-answer' })).toHaveLength(0);
    expect(pool.status().reduce((n, w) => n + w.routers, 0)).toBe(0);
  });

  it('calls.callback_outside_hours lets it through while the site is closed', async () => {
    await calls.close();
    make({ callbackOutsideHours: true });
    open = false;
    const call = await calls.callTerminalFromPhone(phone, lobby, () => undefined);
    expect(call.answered).toBe(true);
    await calls.endCall(call.id, 'hangup-terminal');
  });

  it('is recorded as a callback, and its audit entry names the configured caller, never the caller\'s number (review s21 #28)', async () => {
    const call = await calls.callTerminalFromPhone(phone, lobby, () => undefined);
    await calls.endCall(call.id, 'hangup-terminal');
    await calls.recordsWritten();
    await recorded;
    const row = await sql<{ kind: string }>`SELECT kind FROM calls WHERE id = ${call.id}`.execute(s.store.db);
    expect(row.rows).toEqual([{ kind: 'callback' }]);
    const stored = await sql<{ details: string }>`SELECT details FROM audit_log WHERE action = 'call.auto-answer'`.execute(s.store.db);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0]!.details).not.toContain('7001');
    expect(JSON.parse(stored.rows[0]!.details)).toEqual({ via: 'sip', account: 'pbx', number: '4790', callerKey: 'reception' });
  });
});
