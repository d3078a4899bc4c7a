// Phone-book search as visitors type it: umlauts, transliteration, infix,
// departments and one typo in longer names.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { SearchIndex, foldings, withinOneEdit, type PhoneBookEntry } from '../../src/phonebook/index.ts';
import { LinearSearch } from './linear-search.ts';

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

// The indexed search must return exactly what the first linear scan returned:
// the same entries, scores and order (ties by name, then by first insertion).
const WORDS = ['Müller', 'Mueller', 'Muller', 'Mu\u0308ller', 'Strauß', 'Strauss', 'Schmidt', 'Schmitt', 'François', 'Özdemir', 'Ayşe',
  'Großmann', 'Kößler', 'Zoë', 'Björn', 'Łukasz', 'Ørsted', 'Æsir', 'IT', 'Einkauf', 'Buchhaltung', 'Hoffmann', 'Anna', 'Jörg', 'Ann'];
const LETTERS = [...'aäbcdeéfghiïjklmnoöprsßštuüvwxyzAÖÜ0'];
const letters = (max: number) => fc.string({ unit: fc.constantFrom(...LETTERS), minLength: 1, maxLength: max });
const word = fc.oneof(fc.constantFrom(...WORDS), letters(9));
const text = fc.oneof(
  fc.array(word, { minLength: 1, maxLength: 3 }).chain((ws) => fc.constantFrom(' ', '-', ', ', ' & ').map((sep) => ws.join(sep))),
  fc.constantFrom('---', '', 'Zoë  Müller-Strauß', 'Mu\u0308ller'),
);
/** One edit of the kinds the search tolerates (and some it does not): substitute, drop, insert, swap, twice. */
const typo = (w: string) => fc.tuple(fc.nat(), fc.constantFrom(...LETTERS), fc.integer({ min: 0, max: 5 })).map(([at, c, kind]) => {
  const i = at % (w.length + 1);
  if (kind === 0) return w.slice(0, i) + c + w.slice(i + 1);
  if (kind === 1) return w.slice(0, i) + w.slice(i + 1);
  if (kind === 2) return w.slice(0, i) + c + w.slice(i);
  if (kind === 3) return w.slice(0, i) + (w[i + 1] ?? '') + (w[i] ?? '') + w.slice(i + 2);
  if (kind === 4) return w.slice(0, i) + c + c + w.slice(i + 2);
  return w;
});
/** A query word: a piece of a known word (its start, an infix), maybe with a typo, or random letters. */
const queryWord = fc.oneof(
  fc.tuple(fc.constantFrom(...WORDS), fc.nat(), fc.nat()).map(([w, a, b]) => w.slice(a % 3, 1 + (a % 3) + (b % w.length))).chain(typo),
  fc.constantFrom(...WORDS).chain(typo),
  letters(7),
);
const query = fc.array(queryWord, { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' '));
type Op = { put: { id: number; name: string; department: string | null } } | { remove: number } | { search: string };
const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 5, arbitrary: fc.record({ id: fc.nat({ max: 30 }), name: text, department: fc.option(text) }).map((put) => ({ put })) },
  { weight: 1, arbitrary: fc.nat({ max: 30 }).map((remove) => ({ remove })) },
  // Searching between edits: what a search caches must follow the edits after it.
  { weight: 1, arbitrary: query.map((search) => ({ search })) },
);
const limits = fc.constantFrom(20, 3, 1, 0, -2, 2.5, Infinity, Number.NaN);

function both(ops: Op[]): [SearchIndex, LinearSearch] {
  const indexed = new SearchIndex();
  const linear = new LinearSearch();
  for (const o of ops) {
    if ('search' in o) { expect(result(indexed.search(o.search))).toEqual(result(linear.search(o.search))); continue; }
    if ('remove' in o) { indexed.remove(`e${o.remove}`); linear.remove(`e${o.remove}`); continue; }
    const e = entry(`e${o.put.id}`, o.put.name, o.put.department);
    indexed.put(e);
    linear.put(e);
  }
  return [indexed, linear];
}
const result = (hits: { entry: PhoneBookEntry; score: number }[]) => hits.map((h) => [h.entry.id, h.score]);

describe('phone-book search: the index agrees with the linear scan (fast-check)', () => {
  it('same entries, scores and order for random books, edits and queries', () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.array(query, { minLength: 1, maxLength: 8 }), limits, (ops, queries, limit) => {
      const [indexed, linear] = both(ops);
      expect(indexed.size).toBe(linear.size);
      for (const q of queries) {
        expect(result(indexed.search(q, limit))).toEqual(result(linear.search(q, limit)));
        expect(result(indexed.search(q))).toEqual(result(linear.search(q)));
      }
    }), { numRuns: 300 });
  });

  it('finds every word within one edit of a query word of five or more letters, and the same ones as the scan', () => {
    fc.assert(fc.property(fc.array(fc.constantFrom(...WORDS), { minLength: 1, maxLength: 25 }), fc.constantFrom(...WORDS.filter((w) => w.length >= 5)).chain(typo), (names, q) => {
      const [indexed, linear] = both(names.map((name, id) => ({ put: { id, name, department: null } })));
      expect(result(indexed.search(q, Infinity))).toEqual(result(linear.search(q, Infinity)));
    }), { numRuns: 500 });
  });

  it('follows a department change of an entry whose name stays (searched before and after)', () => {
    const [indexed, linear] = both([
      { put: { id: 1, name: 'Max Weber', department: 'IT' } }, { put: { id: 2, name: 'Anna Weber', department: 'IT' } },
      { search: 'it' }, { search: 'einkauf' },
      { put: { id: 1, name: 'Max Weber', department: 'Einkauf' } },
    ]);
    expect(result(indexed.search('it'))).toEqual([['e2', 3]]);
    expect(result(indexed.search('einkauf'))).toEqual([['e1', 3]]);
    for (const q of ['it', 'einkauf', 'weber']) expect(result(indexed.search(q)), q).toEqual(result(linear.search(q)));
  });

  it('agrees on a larger book with many equal names', () => {
    const names = ['Jürgen Müller', 'Anna Strauß', 'Zoë Großmann-Kößler', 'François Müller', 'Max Weber', 'Jörg Müller-Müller'];
    const ops: Op[] = Array.from({ length: 600 }, (_, id) => ({ put: { id, name: names[(id * 7) % names.length]!, department: id % 3 ? 'IT' : 'Einkauf' } }));
    const [indexed, linear] = both(ops);
    for (const q of ['mül', 'mueller', 'Muller', 'j', 'anna m', 'it weber', 'grossmann', 'koessler', 'Müler', 'einkauf müller', 'e']) {
      expect(result(indexed.search(q, Infinity)), q).toEqual(result(linear.search(q, Infinity)));
      expect(result(indexed.search(q)), q).toEqual(result(linear.search(q)));
    }
  });
});
