// The distinct words of one site's phone book, each with the entries that use it,
// found by infix through their 1- to 3-letter n-grams and by one typo through
// deletion keys of their first five letters — so a query looks at matching words only.
import { withinOneEdit } from './fold.ts';

export interface Word {
  readonly text: string;
  /** Slots (SearchIndex's numbering) of the entries that have this word, each once; an array because searches walk it. */
  readonly slots: number[];
}

/** Query words this long or longer tolerate one typo. */
export const TYPO_MIN_LENGTH = 5;
const GRAM = 3;
const HEAD = 5;
const NONE: ReadonlySet<Word> = new Set();

function grams(text: string): Set<string> {
  const out = new Set<string>();
  for (let n = 1; n <= GRAM; n++) for (let i = 0; i + n <= text.length; i++) out.add(text.slice(i, i + n));
  return out;
}

/**
 * A text's first five letters and each way of dropping one of them. A query word
 * of 5+ letters within one edit of a word, or of the start of a longer word, shares
 * at least one of these keys with it (every edit and adjacent swap checked in
 * test/phonebook/search.test.ts against the linear scan).
 */
function typoKeys(text: string): Set<string> {
  const head = text.slice(0, HEAD);
  const keys = new Set([head]);
  for (let i = 0; i < head.length; i++) keys.add(head.slice(0, i) + head.slice(i + 1));
  return keys;
}

/** The phone book's typo rule: q within one edit of the word or of its first q.length letters. */
export function typoMatch(q: string, word: string): boolean {
  return withinOneEdit(q, word) || (word.length > q.length && withinOneEdit(q, word.slice(0, q.length)));
}

function link(map: Map<string, Set<Word>>, key: string, word: Word): void {
  const set = map.get(key);
  if (set) set.add(word);
  else map.set(key, new Set([word]));
}

function unlink(map: Map<string, Set<Word>>, key: string, word: Word): void {
  const set = map.get(key);
  if (set?.delete(word) && set.size === 0) map.delete(key);
}

export class Vocabulary {
  readonly #words = new Map<string, Word>();
  readonly #grams = new Map<string, Set<Word>>();
  readonly #typos = new Map<string, Set<Word>>();

  /** Records that the entry in `slot` has the word `text`; returns the word. */
  add(text: string, slot: number): Word {
    let word = this.#words.get(text);
    if (!word) {
      word = { text, slots: [] };
      this.#words.set(text, word);
      for (const g of grams(text)) link(this.#grams, g, word);
      // Shorter words are never within one edit of a 5-letter query word.
      if (text.length >= TYPO_MIN_LENGTH - 1) for (const k of typoKeys(text)) link(this.#typos, k, word);
    }
    word.slots.push(slot);
    return word;
  }

  /** Forgets that the entry in `slot` has `word`, and the word once no entry has it. */
  remove(word: Word, slot: number): void {
    const at = word.slots.indexOf(slot);
    if (at >= 0) { word.slots[at] = word.slots[word.slots.length - 1]!; word.slots.pop(); }
    if (word.slots.length > 0 || this.#words.get(word.text) !== word) return;
    this.#words.delete(word.text);
    for (const g of grams(word.text)) unlink(this.#grams, g, word);
    if (word.text.length >= TYPO_MIN_LENGTH - 1) for (const k of typoKeys(word.text)) unlink(this.#typos, k, word);
  }

  /** Every word containing `q` (non-empty, no spaces). */
  *containing(q: string): Iterable<Word> {
    if (q.length <= GRAM) {
      yield* this.#grams.get(q) ?? NONE;
      return;
    }
    let rarest: ReadonlySet<Word> | undefined;
    for (let i = 0; i + GRAM <= q.length; i++) {
      const set = this.#grams.get(q.slice(i, i + GRAM));
      if (!set) return;
      if (!rarest || set.size < rarest.size) rarest = set;
    }
    for (const word of rarest ?? NONE) if (word.text.includes(q)) yield word;
  }

  /** Every word `q` (5+ letters) matches with one typo (typoMatch). */
  *typos(q: string): Iterable<Word> {
    const seen = new Set<Word>();
    for (const key of typoKeys(q)) {
      for (const word of this.#typos.get(key) ?? NONE) {
        if (seen.has(word)) continue;
        seen.add(word);
        if (typoMatch(q, word.text)) yield word;
      }
    }
  }
}
