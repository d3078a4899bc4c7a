// Each holder of personal data on a real store with a manual clock: export holds
// the subject's data and nobody else's, erase removes (or anonymises) it so a
// second export is empty, prune deletes exactly what is past its period.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { startHub, type HubFixture } from '../support/mqtt.ts';
import { AuditLog, type Actor } from '../../src/audit/index.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import type { CallTables } from '../../src/calls/index.ts';
import { AccountsHolder, CallRecordsHolder, CannotEraseSelfError, DeviceHubHolder, PhoneBookHolder } from '../../src/privacy/index.ts';

const DAY = 86_400_000;
const admin: Actor = { type: 'user', id: 'admin-1' };

describe('privacy holders', () => {
  let s: Services;
  let clock: ManualClock;
  let audit: AuditLog;
  let alice: string;
  let bob: string;
  beforeEach(async () => {
    s = await openServices();
    clock = new ManualClock();
    audit = new AuditLog(s.store.db, clock);
    await s.sites.create({ type: 'system', id: null }, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    [alice, bob] = await s.store.transaction(async (tx) => [
      await s.accounts.create(tx, { login: 'alice', displayName: 'Alice Anders', email: 'alice@example.com' }),
      await s.accounts.create(tx, { login: 'bob', displayName: 'Bob Berg' }),
    ]);
  });
  afterEach(async () => { await s.close(); });

  const session = (id: string, userId: string, expiresAt: number) => ({ id_hash: id, user_id: userId, created_at: expiresAt - DAY, last_seen_at: expiresAt - 1, expires_at: expiresAt });
  const prunes = async () => (await s.audit.list({ action: 'retention.prune' })).map((e) => JSON.parse(e.details!) as Record<string, unknown>);

  it('accounts: export holds the account, sessions and roles without the password hash; erase deletes them; sessions go at expiry', async () => {
    const now = clock.now();
    await s.store.db.insertInto('sessions').values([session('a-old', alice, now - 1), session('a-live', alice, now + 1), session('b-old', bob, now - DAY)]).execute();
    await s.store.transaction((tx) => s.roles.assign(tx, { type: 'user', id: alice }, 'host', 'hq'));
    const holder = new AccountsHolder({ store: s.store, audit, sessionRetentionDays: 0 });

    const exported = await holder.export({ kind: 'user', id: alice });
    expect(exported).toMatchObject({ account: { login: 'alice', displayName: 'Alice Anders', email: 'alice@example.com', hasPassword: false }, roleAssignments: [{ roleId: 'host', siteId: 'hq' }] });
    expect(exported.sessions).toHaveLength(2);
    expect(JSON.stringify(exported)).not.toMatch(/a-old|a-live|password_hash/);

    expect(await holder.prune(now)).toEqual({ sessions: 2, oneTimeLinks: 0 });
    expect((await s.store.db.selectFrom('sessions').select('id_hash').execute()).map((r) => r.id_hash)).toEqual(['a-live']);
    expect(await prunes()).toEqual([expect.objectContaining({ holder: 'accounts', sessions: 2, sessionDays: 0 })]);
    expect(await holder.prune(now)).toEqual({ sessions: 0, oneTimeLinks: 0 });
    expect(await prunes()).toHaveLength(1);

    await expect(holder.erase({ kind: 'user', id: alice }, { type: 'user', id: alice })).rejects.toThrow(CannotEraseSelfError);
    expect(await holder.erase({ kind: 'user', id: alice }, admin)).toEqual({ accounts: 1, sessions: 1, oneTimeLinks: 0, roleAssignments: 1 });
    expect(await holder.export({ kind: 'user', id: alice })).toEqual({ account: null, sessions: [], roleAssignments: [], oneTimeLinks: [] });
    expect((await s.accounts.list()).map((u) => u.login)).toEqual(['bob']);
  });

  it('phone book: a user\'s person entry is removed, a department loses only their route; an entry can be erased by id', async () => {
    const book = new PhoneBook({ store: s.store, audit, clock });
    const [mine, sales, bobs] = await book.upsertMany(admin, [
      { siteId: 'hq', kind: 'person', name: 'Alice Anders', department: 'Sales', routes: [{ type: 'desk-user', userId: alice }] },
      { siteId: 'hq', kind: 'department', name: 'Sales', department: null, routes: [{ type: 'desk-user', userId: alice }, { type: 'desk-user', userId: bob }] },
      { siteId: 'hq', kind: 'person', name: 'Bob Berg', department: null, routes: [{ type: 'desk-user', userId: bob }] },
    ]);
    const holder = new PhoneBookHolder({ store: s.store, phonebook: book });

    expect(((await holder.export({ kind: 'user', id: alice })).entries as Array<{ id: string }>).map((e) => e.id).sort()).toEqual([mine!.id, sales!.id].sort());
    expect(await holder.erase({ kind: 'user', id: alice }, admin)).toEqual({ entries: 1, routesRemoved: 1 });
    expect(await holder.export({ kind: 'user', id: alice })).toEqual({ entries: [] });
    expect(book.search('hq', 'Alice')).toEqual([]);
    expect(book.get(sales!.id).routes).toEqual([{ type: 'desk-user', userId: bob }]);

    expect(await holder.erase({ kind: 'phonebook-entry', id: bobs!.id }, admin)).toEqual({ entries: 1, routesRemoved: 0 });
    expect(book.list('hq').map((e) => e.name)).toEqual(['Sales']);
    expect(await holder.prune()).toEqual({});
  });

  it('call records: export lists the calls a user took part in; erase anonymises them (counts stay); prune deletes exactly the ended calls older than the period', async () => {
    const db = s.store.db.withTables<CallTables>();
    const now = clock.now();
    const before = now - 90 * DAY;
    const call = (id: string, startedAt: number, ended: boolean) => ({
      id, site_id: 'hq', terminal_id: 't1', entry_id: 'entry-alice', started_at: startedAt, answered_at: startedAt + 5, answered_by: alice,
      ended_at: ended ? startedAt + 60 : null, outcome: ended ? 'answered' : null, end_reason: ended ? 'hangup' : null,
    });
    await db.insertInto('calls').values([call('c-old', before - 1, true), call('c-edge', before, true), call('c-running', before - DAY, false)]).execute();
    for (const id of ['c-old', 'c-edge', 'c-running']) {
      await db.insertInto('call_participants').values([
        { call_id: id, participant_id: 't1', kind: 'terminal', joined_at: 0, left_at: null },
        { call_id: id, participant_id: alice, kind: 'desk', joined_at: 5, left_at: null },
      ]).execute();
      await db.insertInto('call_legs').values({ call_id: id, seq: 1, route: JSON.stringify({ type: 'desk-user', userId: alice }), started_at: 0, ended_at: null, state: 'answered', answered_by: alice }).execute();
    }
    const holder = new CallRecordsHolder({ store: s.store, audit, retentionDays: 90 });

    const exported = (await holder.export({ kind: 'user', id: alice })).calls as Array<{ id: string; participation: unknown[]; legs: unknown[] }>;
    expect(exported.map((c) => c.id).sort()).toEqual(['c-edge', 'c-old', 'c-running']);
    expect(exported[0]!.participation).toHaveLength(1);
    expect(await holder.export({ kind: 'user', id: bob })).toEqual({ calls: [] });
    expect(((await holder.export({ kind: 'phonebook-entry', id: 'entry-alice' })).calls as unknown[])).toHaveLength(3);

    expect(await holder.prune(now)).toEqual({ calls: 1 });
    expect((await db.selectFrom('calls').select('id').orderBy('id').execute()).map((r) => r.id)).toEqual(['c-edge', 'c-running']);
    expect(await db.selectFrom('call_participants').select('call_id').where('call_id', '=', 'c-old').execute()).toEqual([]);
    expect(await db.selectFrom('call_legs').select('call_id').where('call_id', '=', 'c-old').execute()).toEqual([]);
    expect(await prunes()).toEqual([expect.objectContaining({ holder: 'calls', calls: 1, callRecordDays: 90 })]);

    expect(await holder.erase({ kind: 'user', id: alice })).toEqual({ calls: 2 });
    expect(await holder.erase({ kind: 'phonebook-entry', id: 'entry-alice' })).toEqual({ calls: 2 });
    expect(await holder.export({ kind: 'user', id: alice })).toEqual({ calls: [] });
    expect(await holder.export({ kind: 'phonebook-entry', id: 'entry-alice' })).toEqual({ calls: [] });
    const rows = await db.selectFrom('calls').selectAll().execute();
    expect(rows.map((r) => [r.answered_by, r.entry_id, r.answered_at !== null])).toEqual([[null, 'erased', true], [null, 'erased', true]]);
    const stored = JSON.stringify([await db.selectFrom('call_participants').selectAll().execute(), await db.selectFrom('call_legs').selectAll().execute()]);
    expect(stored).not.toContain(alice);
    expect(await db.selectFrom('call_participants').select('participant_id').where('kind', '=', 'desk').execute()).toHaveLength(2);
  });
});

describe('privacy holders: device hub', () => {
  let fx: HubFixture;
  let clock: ManualClock;
  beforeEach(async () => {
    clock = new ManualClock();
    fx = await startHub({ clock, settings: { retention: { commandDays: 30, visitorCardDays: 7 } } });
  });
  afterEach(async () => fx.close());

  it('wraps the hub\'s retention, exports cards and door commands of a person, erases cards and anonymises commands', async () => {
    const now = clock.now();
    const system = { type: 'system' as const, id: null };
    const db = fx.svc.store.db.withTables<import('../../src/device-hub/tables.ts').DeviceHubTables>();
    const command = (id: string, settledAt: number) => ({
      id, door_id: fx.doorId, site_id: 'hq', action: 'unlock' as const, seconds: 5, issued_by_type: 'user' as const, issued_by_id: 'alice-id', correlation_id: null,
      created_at: settledAt - 1_000, expires_at: now + 10_000, state: 'acknowledged' as const, sends: 1, settled_at: settledAt,
    });
    await db.insertInto('door_commands').values([command('old', now - 31 * DAY), command('recent', now - DAY)]).execute();
    await db.insertInto('rule_versions').values({ rule_id: 'r1', version: 1, definition: null, actor_type: 'user', actor_id: 'alice-id', at: now }).execute();
    await fx.hub.addCard(system, { siteId: 'hq', card: 'E-ALICE', holderRef: 'alice-id', kind: 'employee' });
    await fx.hub.addCard(system, { siteId: 'hq', card: 'V-OLD', holderRef: 'visit-1', kind: 'visitor', validFrom: now - 20 * DAY, validUntil: now - 8 * DAY });
    await fx.hub.addCard(system, { siteId: 'hq', card: 'V-NEW', holderRef: 'visit-2', kind: 'visitor', validFrom: now - DAY, validUntil: now + DAY });
    const holder = new DeviceHubHolder({ store: fx.svc.store, hub: fx.hub });

    const exported = await holder.export({ kind: 'user', id: 'alice-id' });
    expect(exported).toMatchObject({ cards: [{ kind: 'employee' }], ruleVersions: [{ ruleId: 'r1', version: 1 }] });
    expect((exported.doorCommands as unknown[])).toHaveLength(2);
    expect(JSON.stringify(exported)).not.toContain('E-ALICE');

    expect(await holder.prune()).toEqual({ commands: 1, visitorCards: 1 });
    expect((await fx.hub.listCards('hq')).map((c) => c.holderRef).sort()).toEqual(['alice-id', 'visit-2']);

    expect(await holder.erase({ kind: 'user', id: 'alice-id' }, admin)).toEqual({ cards: 1, doorCommands: 1, ruleVersions: 1 });
    expect(await holder.export({ kind: 'user', id: 'alice-id' })).toEqual({ cards: [], doorCommands: [], ruleVersions: [] });
    expect(await fx.svc.audit.list({ action: 'card.remove' })).toHaveLength(1);
    expect(await holder.erase({ kind: 'card-holder', id: 'visit-2' }, admin)).toEqual({ cards: 1 });
    expect(await fx.hub.listCards('hq')).toEqual([]);
    expect(await db.selectFrom('door_commands').select(['id', 'issued_by_id']).execute()).toEqual([{ id: 'recent', issued_by_id: null }]);
  });
});
