// In-memory search over one site's phone book: prefix and infix on names and
// departments in every folding, and one-edit typo tolerance for words of 5+ letters.
// Queries go through the vocabulary's n-gram and typo indexes, not over every entry;
// results equal the first linear scan's (test/phonebook/linear-search.ts), order included.
import { foldings } from './fold.ts';
import type { PhoneBookEntry } from './types.ts';
import { TYPO_MIN_LENGTH, Vocabulary, type Word } from './vocabulary.ts';

interface Item {
  entry: PhoneBookEntry;
  /** Order of first insertion: ties in score and name keep it, as the scan's stable sort did. */
  seq: number;
  words: Word[];
}

export interface SearchHit {
  entry: PhoneBookEntry;
  score: number;
}

/** Word prefix 3, infix 2, one typo 1: how well a query word matches one word. */
type WordScores = Map<Word, number>;

function wordsOf(entry: PhoneBookEntry): string[] {
  const texts = [...foldings(entry.name), ...(entry.department ? foldings(entry.department) : [])];
  return [...new Set(texts.flatMap((t) => t.split(' ')))];
}

/** Beyond this many matching words a one-word query scores every entry instead of merging the words' lists. */
const MAX_MERGED_WORDS = 32;

/** How many of `length` results `Array#slice(0, limit)` keeps. */
function kept(limit: number, length: number): number {
  const n = Number.isNaN(limit) ? 0 : Math.trunc(limit);
  return n < 0 ? Math.max(length + n, 0) : Math.min(n, length);
}

export class SearchIndex {
  readonly #ids = new Map<string, number>();
  readonly #slots: (Item | undefined)[] = [];
  readonly #free: number[] = [];
  readonly #vocabulary = new Vocabulary();
  readonly #collator = new Intl.Collator('de');
  /** Slots by name (then seq); #rank[slot] is the position, rebuilt when stale. */
  readonly #order: number[] = [];
  #rank = new Uint32Array(0);
  #rankStale = false;
  /** Per-slot scratch of one search, all zero between searches. */
  #best = new Uint32Array(0);
  #total = new Uint32Array(0);
  #candidates = new Uint32Array(0);
  #hits = new Uint32Array(0);
  #seq = 0;
  /** Per word, its entries' name ranks in order (#byRank); dropped when the word's entries or the ranks change. */
  readonly #wordRanks = new Map<Word, Uint32Array>();

  put(entry: PhoneBookEntry): void {
    const existing = this.#ids.get(entry.id);
    const slot = existing ?? this.#free.pop() ?? this.#slots.length;
    const old = existing === undefined ? undefined : this.#slots[existing];
    if (old) {
      for (const word of old.words) { this.#vocabulary.remove(word, slot); this.#wordRanks.delete(word); }
      if (old.entry.name !== entry.name) this.#unorder(slot);
    }
    const item: Item = { entry, seq: old?.seq ?? this.#seq++, words: [] };
    this.#slots[slot] = item;
    this.#ids.set(entry.id, slot);
    item.words = wordsOf(entry).map((text) => this.#vocabulary.add(text, slot));
    for (const word of item.words) this.#wordRanks.delete(word);
    if (!old || old.entry.name !== entry.name) this.#reorder(slot);
  }

  remove(id: string): void {
    const slot = this.#ids.get(id);
    const item = slot === undefined ? undefined : this.#slots[slot];
    if (slot === undefined || !item) return;
    for (const word of item.words) { this.#vocabulary.remove(word, slot); this.#wordRanks.delete(word); }
    this.#unorder(slot);
    this.#ids.delete(id);
    this.#slots[slot] = undefined;
    this.#free.push(slot);
  }

  get size(): number {
    return this.#ids.size;
  }

  search(query: string, limit = 20): SearchHit[] {
    const variants = foldings(query).map((f) => f.split(' ').filter(Boolean)).filter((ws) => ws.length > 0);
    if (variants.length === 0) return [];
    const cache = new Map<string, WordScores>();
    const scoresOf = (q: string): WordScores => {
      let scores = cache.get(q);
      if (!scores) { scores = this.#wordScores(q); cache.set(q, scores); }
      return scores;
    };
    this.#grow();
    // One word per spelling (most keystrokes): the best hits come straight off
    // the words' name-ordered lists, without scoring every entry that matches.
    const want = Number.isNaN(limit) ? 0 : Math.trunc(limit);
    if (want >= 0 && variants.every((ws) => ws.length === 1)) {
      const byWord = new Map<Word, number>();
      for (const [word] of variants) for (const [w, score] of scoresOf(word!)) byWord.set(w, Math.max(score, byWord.get(w) ?? 0));
      if (byWord.size <= MAX_MERGED_WORDS) return this.#topByWord(byWord, want);
    }
    let found = 0;
    for (const words of variants) found = this.#match(words.map(scoresOf), found);
    const hits = this.#hits.subarray(0, found);
    const ranked = this.#ranked(hits, limit);
    for (let i = 0; i < found; i++) this.#best[this.#hits[i]!] = 0;
    return ranked;
  }

  #wordScores(q: string): WordScores {
    const scores: WordScores = new Map();
    for (const word of this.#vocabulary.containing(q)) scores.set(word, word.text.startsWith(q) ? 3 : 2);
    if (q.length >= TYPO_MIN_LENGTH) for (const word of this.#vocabulary.typos(q)) if (!scores.has(word)) scores.set(word, 1);
    return scores;
  }

  /**
   * Adds to #hits (its first `found` already there) the entries every query word
   * matches, raises their #best to the sum of each word's best score in them, and
   * returns the new count.
   */
  #match(perWord: WordScores[], found: number): number {
    const reach = (scores: WordScores) => { let n = 0; for (const word of scores.keys()) n += word.slots.length; return n; };
    const ordered = perWord.map((scores) => ({ scores, reach: reach(scores) })).sort((a, b) => a.reach - b.reach);
    const total = this.#total;
    const candidates = this.#candidates;
    let count = 0;
    // The rarest word lists the candidates; the others only check those.
    for (const [word, score] of ordered[0]!.scores) {
      const slots = word.slots;
      for (let i = 0; i < slots.length; i++) {
        const slot = slots[i]!;
        if (total[slot] === 0) candidates[count++] = slot;
        if (score > total[slot]!) total[slot] = score;
      }
    }
    for (let w = 1; w < ordered.length && count > 0; w++) {
      const scores = ordered[w]!.scores;
      let left = 0;
      for (let i = 0; i < count; i++) {
        const slot = candidates[i]!;
        let top = 0;
        for (const word of this.#slots[slot]!.words) top = Math.max(top, scores.get(word) ?? 0);
        if (top > 0) { total[slot] = total[slot]! + top; candidates[left++] = slot; } else total[slot] = 0;
      }
      count = left;
    }
    const best = this.#best;
    const hits = this.#hits;
    for (let i = 0; i < count; i++) {
      const slot = candidates[i]!;
      if (best[slot] === 0) hits[found++] = slot;
      if (total[slot]! > best[slot]!) best[slot] = total[slot]!;
      total[slot] = 0;
    }
    return found;
  }

  /**
   * The first `want` entries having one of `byWord`'s words, by their best word's
   * score, then name: each score's words' lists merged in name order, entries a
   * higher score already gave skipped.
   */
  #topByWord(byWord: Map<Word, number>, want: number): SearchHit[] {
    const out: SearchHit[] = [];
    const given = this.#best; // scratch: 1 once an entry is in `out`
    for (let score = 3; score >= 1 && out.length < want; score--) {
      const lists: Uint32Array[] = [];
      for (const [word, s] of byWord) if (s === score) lists.push(this.#byRank(word));
      const at = new Array<number>(lists.length).fill(0);
      while (out.length < want) {
        let next = -1;
        let min = Infinity;
        for (let i = 0; i < lists.length; i++) if (at[i]! < lists[i]!.length && lists[i]![at[i]!]! < min) { min = lists[i]![at[i]!]!; next = i; }
        if (next < 0) break;
        at[next]!++;
        const slot = this.#order[min]!;
        if (given[slot] !== 0) continue;
        given[slot] = 1;
        out.push({ entry: this.#slots[slot]!.entry, score });
      }
    }
    for (const hit of out) given[this.#ids.get(hit.entry.id)!] = 0;
    return out;
  }

  /** The name ranks of a word's entries, ascending (kept until the word or the name order changes). */
  #byRank(word: Word): Uint32Array {
    const rank = this.#ranks();
    let ranks = this.#wordRanks.get(word);
    if (!ranks) {
      ranks = Uint32Array.from(word.slots, (slot) => rank[slot]!).sort();
      this.#wordRanks.set(word, ranks);
    }
    return ranks;
  }

  /** Hits by score, then name (German collation), then insertion, cut like `slice(0, limit)`. */
  #ranked(hits: Uint32Array, limit: number): SearchHit[] {
    const best = this.#best;
    const counts: number[] = [];
    for (let i = 0; i < hits.length; i++) { const score = best[hits[i]!]!; counts[score] = (counts[score] ?? 0) + 1; }
    const want = kept(limit, hits.length);
    const out: SearchHit[] = [];
    for (let score = counts.length - 1; score > 0 && out.length < want; score--) {
      const count = counts[score];
      if (count === undefined) continue;
      const take = Math.min(count, want - out.length);
      for (const slot of this.#byName(hits, score, count, take)) out.push({ entry: this.#slots[slot]!.entry, score });
    }
    return out;
  }

  /** The first `take` hits scoring `score`, by name: a walk through #order when they are many. */
  #byName(hits: Uint32Array, score: number, count: number, take: number): number[] {
    const best = this.#best;
    const found: number[] = [];
    if (count * 16 > this.#order.length) {
      for (const slot of this.#order) {
        if (best[slot] !== score) continue;
        found.push(slot);
        if (found.length === take) break;
      }
      return found;
    }
    const rank = this.#ranks();
    const ranks = new Uint32Array(count);
    let n = 0;
    for (let i = 0; i < hits.length; i++) if (best[hits[i]!] === score) ranks[n++] = rank[hits[i]!]!;
    const sorted = ranks.sort();
    for (let i = 0; i < take; i++) found.push(this.#order[sorted[i]!]!);
    return found;
  }

  #compare(a: number, b: number): number {
    const x = this.#slots[a]!;
    const y = this.#slots[b]!;
    return this.#collator.compare(x.entry.name, y.entry.name) || x.seq - y.seq;
  }

  #reorder(slot: number): void {
    let lo = 0;
    let hi = this.#order.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.#compare(this.#order[mid]!, slot) < 0) lo = mid + 1;
      else hi = mid;
    }
    this.#order.splice(lo, 0, slot);
    this.#rankStale = true;
  }

  #unorder(slot: number): void {
    const at = this.#order.indexOf(slot);
    if (at >= 0) this.#order.splice(at, 1);
    this.#rankStale = true;
  }

  #grow(): void {
    if (this.#best.length >= this.#slots.length) return;
    const size = Math.max(this.#slots.length, 2 * this.#best.length);
    this.#best = new Uint32Array(size);
    this.#total = new Uint32Array(size);
    this.#candidates = new Uint32Array(size);
    this.#hits = new Uint32Array(size);
    this.#rank = new Uint32Array(size);
    this.#rankStale = true;
  }

  #ranks(): Uint32Array {
    if (this.#rankStale) {
      this.#wordRanks.clear();
      for (let r = 0; r < this.#order.length; r++) this.#rank[this.#order[r]!] = r;
      this.#rankStale = false;
    }
    return this.#rank;
  }
}
