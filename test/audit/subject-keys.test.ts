// A card that changes hands keeps each holder's audit entries under that holder's
// own key (review s20 #4): erasing the current holder shreds their entries only,
// erasing the earlier one leaves the current holder's entries readable. Before,
// the key stayed with whoever held the card first.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/index.ts';
import { SubjectKeys, type KeySealer } from '../../src/audit/index.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { countStatements } from '../support/statements.ts';

/** The sealing is not what this test is about: the keys are stored as given. */
const PLAIN: KeySealer = { seal: (plain) => plain, open: (sealed) => ({ value: sealed, stale: false }) };

describe('subject keys of a card that changes hands', () => {
  let store: Store;
  let keys: SubjectKeys;

  beforeEach(async () => {
    store = await Store.open(':memory:');
    keys = new SubjectKeys({ db: store.db, box: PLAIN, clock: new ManualClock() });
  });
  afterEach(async () => { await store.close(); });

  const pseudonym = (holder: string | null) => store.transaction((tx) => keys.pseudonym(tx, 'card', 'card-1', holder));

  it('each holder gets a key of their own; each erasure shreds only that holder\'s', async () => {
    const ofPaula = await pseudonym('paula');
    expect(await pseudonym('paula')).toBe(ofPaula);
    expect(await pseudonym(null)).toBe(ofPaula); // an entry that names no holder: the card's current key
    const ofQuinn = await pseudonym('quinn'); // the card was moved to Quinn, or issued again for Quinn
    expect(ofQuinn).not.toBe(ofPaula);
    expect(await pseudonym(null)).toBe(ofQuinn);
    // Both still read as the card.
    expect([...(await keys.resolve([ofPaula, ofQuinn])).values()]).toEqual([{ kind: 'card', id: 'card-1' }, { kind: 'card', id: 'card-1' }]);

    expect(await keys.shred('quinn', ['card-holder'])).toBe(1);
    expect([...(await keys.resolve([ofPaula, ofQuinn])).keys()]).toEqual([ofPaula]);
    expect(await keys.shred('paula', ['card-holder'])).toBe(1);
    expect((await keys.resolve([ofPaula, ofQuinn])).size).toBe(0);
  });
});

// The gateway's SubjectKeys keeps the pseudonyms it looked up (history: the store):
// a card read's append runs no lookup, and what it keeps never outlives an
// erasure or a rolled-back key.
describe('subject keys kept in memory', () => {
  let store: Store;
  let keys: SubjectKeys;

  beforeEach(async () => {
    store = await Store.open(':memory:');
    keys = new SubjectKeys({ db: store.db, box: PLAIN, clock: new ManualClock(), history: store });
  });
  afterEach(async () => { await store.close(); });

  const pseudonym = (holder: string | null) => store.transaction((tx) => keys.pseudonym(tx, 'card-holder', 'paula', holder));

  it('a second append of the same subject runs no lookup; after a shred the subject gets a new key', async () => {
    const first = await pseudonym(null);
    const statements = countStatements();
    try {
      expect(await pseudonym(null)).toBe(first);
      expect(statements.take()).toEqual({ begin: 1, commit: 1 });
      expect(await keys.shred('paula', ['card-holder'])).toBe(1);
      statements.take();
      const next = await pseudonym(null);
      expect(next).not.toBe(first);
      expect(statements.take()).toMatchObject({ 'select subject_keys': 1, 'insert subject_keys': 1 });
      expect([...(await keys.resolve([first, next])).keys()]).toEqual([next]);
    } finally {
      statements.stop();
    }
  });

  it('a key created in a transaction that was rolled back is not used again', async () => {
    let undone = '';
    await expect(store.transaction(async (tx) => {
      undone = await keys.pseudonym(tx, 'card-holder', 'paula');
      throw new Error('undo');
    })).rejects.toThrow('undo');
    const kept = await pseudonym(null);
    expect(kept).not.toBe(undone);
    expect([...(await keys.resolve([undone, kept])).keys()]).toEqual([kept]);
  });
});
