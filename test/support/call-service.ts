// A call service on a real store, a manual clock and the caller's worker pool, with the
// phone book the transfer tests share: Anna Host (desk user anna, 7 s legs, 60 s cap) and
// the reception (desk group: rita and rolf, 30 s legs); everyone may answer, only rita may
// transfer; no door opens. Used by test/calls/transfer.test.ts and attended-transfer.test.ts.
import { openServices, type Services } from './services.ts';
import { ManualClock } from './manual-clock.ts';
import { noDoors, RecordingDoors } from './doors.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { CallService, CallRecords } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';

export interface TransferFixture {
  s: Services;
  clock: ManualClock;
  calls: CallService;
  /** Entry ids by name: 'Anna Host', 'Empfang'. */
  entries: Record<string, string>;
  close(): Promise<void>;
}

export async function transferFixture(pool: WorkerPool): Promise<TransferFixture> {
  const admin = { type: 'user' as const, id: 'admin' };
  const s = await openServices();
  const clock = new ManualClock();
  await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
  const book = new PhoneBook({ store: s.store, audit: s.audit, clock });
  const written = await book.upsertMany(admin, [
    { siteId: 'hq', kind: 'person', name: 'Anna Host', department: null, routes: [{ type: 'desk-user', userId: 'anna' }], policy: { legTimeoutS: 7, capS: 60 } },
    { siteId: 'hq', kind: 'reception', name: 'Empfang', department: null, routes: [{ type: 'desk-group', roleId: 'reception' }], policy: { legTimeoutS: 30 } },
  ]);
  const calls = new CallService({
    phonebook: book, clock, recorder: new CallRecords(s.store), media: new SfuMediaPort(pool), door: { ...noDoors(s), doors: new RecordingDoors(), mayUnlock: async () => false },
    audit: s.audit, options: { queueTimeoutS: 300 },
    presence: { isAvailable: () => true },
    directory: { members: async (role) => (role === 'reception' ? ['rita', 'rolf'] : []), mayAnswer: async () => true, mayTransfer: async (u) => u === 'rita' },
  });
  return {
    s, clock, calls, entries: Object.fromEntries(written.map((e) => [e.name, e.id])),
    close: async () => { await calls.close(); await s.close(); },
  };
}
