// What the audit trail's part of a data subject's export shows: every entry that
// names the person — as actor, target, or in a detail field that holds a person's
// id — readable, and the person's own identifiers those entries were found by;
// no stored pseudonym, neither theirs nor anyone else's (review s20 #15, #16).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { AuditLog, AuditPseudonyms, SubjectKeys, type AuditEntry, type KeySealer } from '../../src/audit/index.ts';
import { AuditHolder } from '../../src/privacy/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

/** The sealing is not what this test is about: the keys are stored as given. */
const PLAIN: KeySealer = { seal: (plain) => plain, open: (sealed) => ({ value: sealed, stale: false }) };
const by = (id: string): AuditEntry['actor'] => ({ type: 'user', id });

describe('audit export of a data subject', () => {
  let store: Store;
  let keys: SubjectKeys;
  let audit: AuditLog;
  let holder: AuditHolder;

  beforeEach(async () => {
    store = await Store.open(':memory:');
    const clock = new ManualClock();
    keys = new SubjectKeys({ db: store.db, box: PLAIN, clock });
    audit = new AuditLog(store.db, clock, new AuditPseudonyms({ keys }));
    holder = new AuditHolder({ store, audit, retentionDays: 365 });
    await audit.appendAll([
      { actor: by('adm'), action: 'user.create', target: { type: 'user', id: 'paula' }, outcome: 'ok' },
      { actor: by('adm'), action: 'card.issue', target: { type: 'card', id: 'card-1', holder: 'paula' }, outcome: 'ok', siteId: 'hq', details: { holder: 'paula' } },
      // Paula named only in a detail field.
      { actor: by('rita'), action: 'call.transfer', outcome: 'ok', siteId: 'hq', details: { colleague: 'paula' } },
      { actor: by('adm'), action: 'user.create', target: { type: 'user', id: 'quinn' }, outcome: 'ok' },
    ]);
  });
  afterEach(async () => { await store.close(); });

  it('lists the person\'s entries readable and their own identifiers, never a pseudonym', async () => {
    const exported = await holder.export({ kind: 'user', id: 'paula' }) as { identifiers: unknown[]; entries: Array<{ action: string; actor: { id: string | null }; details: unknown }> };
    expect(exported.entries.map((e) => e.action)).toEqual(['user.create', 'card.issue', 'call.transfer']);
    expect(exported.entries[2]).toMatchObject({ actor: { id: 'rita' }, details: { colleague: 'paula' } });
    expect(exported.identifiers).toEqual(expect.arrayContaining([{ kind: 'user', id: 'paula' }, { kind: 'card-holder', id: 'paula' }, { kind: 'card', id: 'card-1' }]));
    expect(exported.identifiers).toHaveLength(3);
    expect(JSON.stringify(exported)).not.toContain('ps1:');
    expect((await holder.erase({ kind: 'user', id: 'paula' }))).toMatchObject({ retained: 3 });
  });

  it('shows someone erased in the person\'s entries as erased, not as their pseudonym', async () => {
    expect(await keys.shred('rita', ['user'])).toBe(1);
    const exported = await holder.export({ kind: 'user', id: 'paula' }) as { entries: Array<{ action: string; actor: { id: string | null } }> };
    expect(exported.entries.find((e) => e.action === 'call.transfer')!.actor).toEqual({ type: 'user', id: null });
    expect(JSON.stringify(exported)).not.toContain('ps1:');
  });
});
