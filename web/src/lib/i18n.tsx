// German and English for every visible text: chosen by the browser's language,
// switchable, remembered in this browser.
import { useEffect, useState } from 'preact/hooks';

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

export function LangSwitch() {
  useTexts({});
  return (
    <div class="lang" role="group" aria-label="Sprache / Language">
      <button type="button" aria-pressed={current === 'de'} onClick={() => setLang('de')}>Deutsch</button>
      <button type="button" aria-pressed={current === 'en'} onClick={() => setLang('en')}>English</button>
    </div>
  );
}
