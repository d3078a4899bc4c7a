// Cards on a store of their own: a card and its audit entry are one write (a
// failing audit append leaves no half-written card), removal by id, validation.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { Cards, cardHash } from '../../src/device-hub/cards.ts';
import type { DeviceHubTables } from '../../src/device-hub/tables.ts';
import { AuditLog, AuditPseudonyms, SubjectKeys, type AuditEntry, type KeySealer } from '../../src/audit/index.ts';
import type { Tx } from '../../src/store/index.ts';

const KEY = 'unit-test-card-hash-key-0123456789';
const PLAIN: KeySealer = { seal: (plain) => plain, open: (sealed) => ({ value: sealed, stale: false }) };
const system = { type: 'system' as const, id: null };

describe('cards', () => {
  let svc: Services;
  let cards: Cards;
  let failAudit: boolean;

  beforeEach(async () => {
    svc = await openServices();
    await svc.sites.create(system, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    failAudit = false;
    const audit = {
      append: async (entry: AuditEntry, tx?: Tx) => {
        if (failAudit) throw new Error('audit log unavailable');
        await svc.audit.append(entry, tx);
      },
    } as unknown as AuditLog;
    cards = new Cards({ db: svc.store.db.withTables<DeviceHubTables>(), clock: svc.clock, audit, key: KEY, sites: svc.sites });
  });
  afterEach(async () => { await svc.close(); });

  // Issue 16: an entry that needs a new pseudonym key cannot be appended at once (Store.runNow), so a
  // card's first read took the slow way (its transaction rolled back and run again through Kysely).
  it('makes the holder\'s audit key with the card: its first read\'s entry is appended at once', async () => {
    const keys = new SubjectKeys({ db: svc.store.db, box: PLAIN, clock: svc.clock, history: svc.store });
    const audit = new AuditLog(svc.store.db, svc.clock, new AuditPseudonyms({ keys }), svc.store);
    const withKeys = new Cards({ db: svc.store.db.withTables<DeviceHubTables>(), clock: svc.clock, audit, key: KEY, sites: svc.sites });
    await withKeys.add(system, { siteId: 'hq', card: '04A1', holderRef: 'user-1', kind: 'employee' });
    const read: AuditEntry = {
      actor: { type: 'credential', id: 'c-1' }, action: 'card.read', target: { type: 'door', id: 'd-1' }, outcome: 'ok', siteId: 'hq',
      details: { device: 'reader-1', holder: 'user-1', kind: 'employee' },
    };
    expect(svc.store.runNow((run) => audit.appendAllNow([read], run))).toEqual({ value: true });
    const [entry] = await audit.list({ action: 'card.read' });
    expect(JSON.parse(entry!.details!)).toMatchObject({ holder: 'user-1' });
  });

  it('writes no card when its audit entry cannot be written', async () => {
    failAudit = true;
    await expect(cards.add(system, { siteId: 'hq', card: '04A1', holderRef: 'user-1', kind: 'employee' })).rejects.toThrow('audit log unavailable');
    expect(await cards.list('hq')).toEqual([]);
    expect(await cards.decide('hq', '04A1', 'any-door')).toEqual({ allowed: false, reason: 'unknown-card' });
  });

  it('keeps a card whose removal cannot be audited', async () => {
    const card = await cards.add(system, { siteId: 'hq', card: '04A1', holderRef: 'user-1', kind: 'employee' });
    failAudit = true;
    await expect(cards.removeById(system, card.id)).rejects.toThrow('audit log unavailable');
    expect((await cards.list('hq')).map((c) => c.id)).toEqual([card.id]);
  });

  it('removes by the listed id (the keyed hash) with one audit entry; an unknown id is not-found', async () => {
    const card = await cards.add(system, { siteId: 'hq', card: '04A1', holderRef: 'user-1', kind: 'employee' });
    expect(card.id).toBe(cardHash(KEY, 'hq', '04A1'));
    await cards.removeById(system, card.id);
    expect(await cards.list('hq')).toEqual([]);
    const entries = await svc.audit.list({ action: 'card.remove' });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ target_id: card.id.slice(0, 16), outcome: 'ok', site_id: 'hq' });
    await expect(cards.removeById(system, card.id)).rejects.toMatchObject({ code: 'not-found' });
  });

  it('refuses a window that ends before it starts, a door of another site and an unknown site', async () => {
    await svc.sites.create(system, { id: 'branch', name: 'Branch', timeZone: 'Europe/Berlin' });
    const branchDoor = await svc.sites.createDoor(system, 'branch', 'Side door');
    const base = { siteId: 'hq', card: '04A1', holderRef: 'user-1', kind: 'visitor' as const };
    await expect(cards.add(system, { ...base, validFrom: 2_000, validUntil: 2_000 })).rejects.toMatchObject({ code: 'invalid' });
    await expect(cards.add(system, { ...base, doors: [branchDoor.id] })).rejects.toMatchObject({ code: 'invalid', message: expect.stringMatching(/not a door of site hq/) });
    await expect(cards.add(system, { ...base, siteId: 'nowhere' })).rejects.toMatchObject({ code: 'not-found' });
    expect(await cards.list()).toEqual([]);
    expect(await svc.audit.list({ action: 'card.issue' })).toEqual([]);
  });
});
