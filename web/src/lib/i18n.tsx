// German and English for every visible text: chosen by the browser's language,
// switchable, remembered in this browser.
import { useEffect, useState } from 'preact/hooks';
import { refusalText, type Refusal } from './error-texts.ts';

export type Lang = 'de' | 'en';
type Texts = Record<string, { de: string; en: string }>;

const listeners = new Set<() => void>();
let current: Lang = (localStorage.getItem('portier.lang') as Lang | null)
  ?? (navigator.language.toLowerCase().startsWith('de') ? 'de' : 'en');
document.documentElement.lang = current;

export function setLang(lang: Lang): void {
  current = lang;
  localStorage.setItem('portier.lang', lang);
  document.documentElement.lang = lang;
  listeners.forEach((l) => l());
}

export function lang(): Lang { return current; }

/** Calls `listener` after every language switch (outside Preact: the pages' plain DOM helpers). */
export function onLangChange(listener: () => void): () => void {
  listeners.add(listener);
  return () => { listeners.delete(listener); };
}

/** Returns a translator for the given texts that re-renders on a language switch. */
export function useTexts<T extends Texts>(texts: T): (key: keyof T, vars?: Record<string, string | number>) => string {
  const [, force] = useState(0);
  useEffect(() => {
    const l = () => force((n) => n + 1);
    listeners.add(l);
    return () => { listeners.delete(l); };
  }, []);
  return (key, vars) => {
    let s = texts[key]![current];
    for (const [k, v] of Object.entries(vars ?? {})) s = s.replaceAll(`{${k}}`, String(v));
    return s;
  };
}

/**
 * Says why something failed, in the page's language (re-rendered on a switch): a
 * refusal of the gateway (ApiError, a refused ack, an error body) by its reason;
 * anything else (a network error, a bug) by the generic text — never in English
 * in the German page.
 */
export function useRefusal(): (error: unknown) => string {
  useTexts({});
  return (error) => {
    const e = error as { code?: unknown; error?: unknown; reason?: string; params?: Record<string, string | number> } | null;
    const code = typeof e?.code === 'string' ? e.code : typeof e?.error === 'string' ? e.error : 'internal';
    return refusalText({ code, reason: e?.reason, params: e?.params } satisfies Refusal, current);
  };
}

export function LangSwitch() {
  useTexts({});
  // Each language names itself (marked with its own lang, for screen readers and the language test).
  return (
    <div class="lang" role="group" aria-label="Sprache / Language" lang="">
      <button type="button" lang="de" aria-pressed={current === 'de'} onClick={() => setLang('de')}>Deutsch</button>
      <button type="button" lang="en" aria-pressed={current === 'en'} onClick={() => setLang('en')}>English</button>
    </div>
  );
}
