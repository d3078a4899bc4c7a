// The calls tests' shared set-up. hqPhoneBook: a fresh store with the site 'hq'
// (Europe/Berlin), a manual clock and a phone book on them (test/calls/phone-move, door-code-call,
// opening-hours, call-service). transferFixture: a call service on it with the phone book the
// transfer tests share: Anna Host (desk user anna, 7 s legs, 60 s cap) and the reception (desk group:
// rita and rolf, 30 s legs); everyone may answer, only rita may transfer; no door opens (used by
// test/calls/transfer.test.ts and attended-transfer.test.ts, test/log/operator-journal.test.ts; transferFixtureEach:
// one a test on one worker pool). callAudit: a call's audit entries, awaited.
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { openServices, type Services } from './services.ts';
import { ManualClock } from './manual-clock.ts';
import { noDoors, RecordingDoors } from './doors.ts';
import { PhoneBook, type EntryInput } from '../../src/phonebook/index.ts';
import { CallService, CallRecords } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from './pool.ts';

/** The administrator who writes the sites and the phone book of the calls tests. */
export const admin = { type: 'user' as const, id: 'admin' };

export interface HqPhoneBook {
  s: Services;
  clock: ManualClock;
  book: PhoneBook;
  /** Entry ids by name. */
  entries: Record<string, string>;
}

/**
 * Fresh services with the site 'hq' (Europe/Berlin), a manual clock and a phone book on them that holds
 * `rows` at that site. `sipAccounts`: the SIP accounts the phone book knows (none unless given).
 */
export async function hqPhoneBook(rows: Array<Omit<EntryInput, 'siteId'>>, sipAccounts?: (id: string) => boolean): Promise<HqPhoneBook> {
  const s = await openServices();
  const clock = new ManualClock();
  await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
  const book = new PhoneBook({ store: s.store, audit: s.audit, clock, sipAccounts });
  const written = await book.upsertMany(admin, rows.map((row) => ({ siteId: 'hq', ...row })));
  return { s, clock, book, entries: Object.fromEntries(written.map((e) => [e.name, e.id])) };
}

/**
 * The audit entries of the call with this action (in the audit log's order), once `n` are written: polled every
 * 50 ms for up to `timeoutMs` (some are written after what the test waits for, e.g. call.moved after the move
 * was told; a bound in event-loop turns, as before, depended on the machine's speed).
 */
export async function callAudit(s: Services, callId: string, action: string, n: number, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const entries = (await s.audit.list({ correlationId: callId })).filter((e) => e.action === action);
    if (entries.length >= n) return entries;
    if (Date.now() > deadline) throw new Error(`no ${n} ${action} audit entries for ${callId} within ${timeoutMs} ms (${entries.length})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TransferFixture {
  s: Services;
  clock: ManualClock;
  calls: CallService;
  /** Entry ids by name: 'Anna Host', 'Empfang'. */
  entries: Record<string, string>;
  close(): Promise<void>;
}

export async function transferFixture(pool: WorkerPool): Promise<TransferFixture> {
  const { s, clock, book, entries } = await hqPhoneBook([
    { kind: 'person', name: 'Anna Host', department: null, routes: [{ type: 'desk-user', userId: 'anna' }], policy: { legTimeoutS: 7, capS: 60 } },
    { kind: 'reception', name: 'Empfang', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }], policy: { legTimeoutS: 30 } },
  ]);
  const calls = new CallService({
    phonebook: book, clock, recorder: new CallRecords(s.store), media: new SfuMediaPort(pool), door: { ...noDoors(s), doors: new RecordingDoors(), mayUnlock: async () => false },
    audit: s.audit, options: { queueTimeoutS: 300 },
    presence: { isAvailable: () => true },
    directory: { members: async (role) => (role === 'reception' ? ['rita', 'rolf'] : []), mayAnswer: async () => true, mayTransfer: async (u) => u === 'rita' },
  });
  return {
    s, clock, calls, entries,
    close: async () => { await calls.close(); await s.close(); },
  };
}

/**
 * A transferFixture before each test of the calling block, handed to `take`, and closed after it; all on
 * one worker pool started before the block's tests and closed after them.
 */
export function transferFixtureEach(take: (fixture: TransferFixture) => void): void {
  let pool: WorkerPool | undefined;
  let fixture: TransferFixture | undefined;
  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => { fixture = await transferFixture(pool!); take(fixture); });
  afterEach(async () => { await fixture?.close(); });
}
