// Phone-book search as visitors type it: umlauts, transliteration, infix,
// departments and one typo in longer names.
import { describe, expect, it } from 'vitest';
import { SearchIndex, foldings, withinOneEdit, type PhoneBookEntry } from '../../src/phonebook/index.ts';

const entry = (id: string, name: string, department: string | null = null): PhoneBookEntry => ({
  id, siteId: 'hq', kind: 'person', name, department, routes: [{ type: 'desk-user', userId: id }], policy: { legTimeoutS: 20, capS: 90 },
});

const index = new SearchIndex();
[
  entry('mueller', 'Jürgen Müller', 'Einkauf'),
  entry('strauss', 'Anna Strauß', 'Personal'),
  entry('francois', 'François Dubois', 'Vertrieb'),
  entry('schmidt', 'Petra Schmidt', 'Buchhaltung'),
  entry('weber', 'Max Weber', 'IT'),
  entry('oezdemir', 'Ayşe Özdemir', 'IT'),
].forEach((e) => index.put(e));
const ids = (q: string) => index.search(q).map((h) => h.entry.id);

describe('phone-book search', () => {
  it('folds case, accents and German transliterations', () => {
    expect(foldings('Jürgen MÜLLER')).toEqual(['juergen mueller', 'jurgen muller']);
    expect(foldings('Strauß')).toEqual(['strauss']);
  });

  it.each([
    ['Müller', 'mueller'], ['mueller', 'mueller'], ['MULLER', 'mueller'], ['müll', 'mueller'],
    ['Strauss', 'strauss'], ['strauß', 'strauss'], ['francois', 'francois'], ['François', 'francois'],
    ['ozdemir', 'oezdemir'], ['oezdemir', 'oezdemir'], ['Ayse', 'oezdemir'],
  ])('finds %s', (q, id) => {
    expect(ids(q)).toContain(id);
  });

  it('matches prefixes and infixes, and ranks word prefixes first', () => {
    expect(ids('schm')).toEqual(['schmidt']);
    expect(ids('midt')).toEqual(['schmidt']);
    expect(ids('web')[0]).toBe('weber');
  });

  it('finds people by department, and narrows with more words', () => {
    expect(ids('einkauf')).toEqual(['mueller']);
    expect(ids('IT').sort()).toEqual(['oezdemir', 'weber']);
    expect(ids('it weber')).toEqual(['weber']);
  });

  it('tolerates one typo in words of five or more letters, not in shorter ones', () => {
    expect(ids('Schmitd')).toEqual(['schmidt']);
    expect(ids('Shmidt')).toEqual(['schmidt']);
    expect(ids('Webr')).toEqual([]);
    expect(ids('Schmxxt')).toEqual([]);
  });

  it('returns nothing for empty or punctuation-only queries', () => {
    expect(ids('')).toEqual([]);
    expect(ids(' ,; ')).toEqual([]);
  });

  it('counts single edits exactly', () => {
    expect(withinOneEdit('schmidt', 'schmitd')).toBe(true);
    expect(withinOneEdit('schmidt', 'schmid')).toBe(true);
    expect(withinOneEdit('schmidt', 'schmiddt')).toBe(true);
    expect(withinOneEdit('schmidt', 'schnidt')).toBe(true);
    expect(withinOneEdit('schmidt', 'shmitd')).toBe(false);
  });
});
