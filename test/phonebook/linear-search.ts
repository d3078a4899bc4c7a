// The phone book's first search, a linear scan over every entry per query: kept
// as the oracle the indexed search (src/phonebook/search-index.ts) must agree with.
import { foldings, withinOneEdit } from '../../src/phonebook/fold.ts';
import type { PhoneBookEntry } from '../../src/phonebook/types.ts';

interface Indexed {
  entry: PhoneBookEntry;
  texts: string[];
  words: string[];
}

export interface SearchHit {
  entry: PhoneBookEntry;
  score: number;
}

function index(entry: PhoneBookEntry): Indexed {
  const texts = [...foldings(entry.name), ...(entry.department ? foldings(entry.department) : [])];
  return { entry, texts, words: [...new Set(texts.flatMap((t) => t.split(' ')))] };
}

/** How well one query word matches an entry: 3 word prefix, 2 infix, 1 typo, 0 none. */
function wordScore(q: string, item: Indexed): number {
  if (item.words.some((w) => w.startsWith(q))) return 3;
  if (item.texts.some((t) => t.includes(q))) return 2;
  if (q.length >= 5 && item.words.some((w) => withinOneEdit(q, w) || (w.length > q.length && withinOneEdit(q, w.slice(0, q.length))))) return 1;
  return 0;
}

export class LinearSearch {
  #items = new Map<string, Indexed>();

  put(entry: PhoneBookEntry): void {
    this.#items.set(entry.id, index(entry));
  }

  remove(id: string): void {
    this.#items.delete(id);
  }

  get size(): number {
    return this.#items.size;
  }

  search(query: string, limit = 20): SearchHit[] {
    const variants = foldings(query).map((f) => f.split(' ').filter(Boolean)).filter((ws) => ws.length > 0);
    if (variants.length === 0) return [];
    const hits: SearchHit[] = [];
    for (const item of this.#items.values()) {
      let best = 0;
      for (const words of variants) {
        let total = 0;
        for (const w of words) {
          const s = wordScore(w, item);
          if (s === 0) { total = 0; break; }
          total += s;
        }
        best = Math.max(best, total);
      }
      if (best > 0) hits.push({ entry: item.entry, score: best });
    }
    return hits
      .sort((a, b) => b.score - a.score || a.entry.name.localeCompare(b.entry.name, 'de'))
      .slice(0, limit);
  }
}
