// Text folding for search that visitors succeed with: case- and accent-
// insensitive, German transliterations (ä = ae, ß = ss), and the plain-vowel
// form (Müller = Muller) as a second spelling.
const TRANSLIT: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss', æ: 'ae', œ: 'oe', ø: 'o', ł: 'l', đ: 'd' };
// Built from strings, not a /[äö…]/ literal: esbuild writes strings ASCII-escaped but a regular
// expression literal as it is, and one character past U+00FF makes V8 hold the whole server
// bundle's source two bytes a character (scripts/lib/build-server.mjs).
const TRANSLIT_CHAR = new RegExp(`[${Object.keys(TRANSLIT).join('')}]`, 'g');

const stripMarks = (s: string): string => s.normalize('NFD').replace(/\p{M}+/gu, '');

/** The spellings a text may be searched by: transliterated and accent-stripped. */
export function foldings(text: string): string[] {
  const lower = text.toLocaleLowerCase('de').normalize('NFC');
  const translit = stripMarks(lower.replace(TRANSLIT_CHAR, (c) => TRANSLIT[c] ?? c));
  const plain = stripMarks(lower).replaceAll('ß', 'ss');
  const clean = (s: string) => s.replace(/[^\p{L}\p{N}]+/gu, ' ').trim();
  return [...new Set([clean(translit), clean(plain)])];
}

/** Whether a and b differ by at most one insertion, deletion, substitution or adjacent swap. */
export function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  const la = a.length;
  const lb = b.length;
  if (Math.abs(la - lb) > 1) return false;
  let i = 0;
  while (i < la && i < lb && a[i] === b[i]) i++;
  if (la === lb) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  return la > lb ? a.slice(i + 1) === b.slice(i) : a.slice(i) === b.slice(i + 1);
}
