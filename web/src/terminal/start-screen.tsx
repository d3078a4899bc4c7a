// The kiosk's start screen for a visitor one metre away: the customer's logo and
// name, the site's welcome text, the search with an on-screen keyboard, results as
// large cards (availability and photos only where the site allows them), an always-visible
// "Call the reception" button and the camera privacy notice — in German and English.
// What the site's admin wrote (and names from the phone book) is marked data-user-text.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import type { TerminalShowMessage } from '../../../src/signaling/contract.ts';
import { api } from '../lib/api.ts';
import { useTexts, lang } from '../lib/i18n.tsx';
import { Keyboard } from './keyboard.tsx';
import { T } from './texts.ts';
import { S } from './start-texts.ts';

/** A search result; `photo`: the URL of the entry's photo, sent only where the site's start screen shows photos. */
export type Entry = { id: string; name: string; department: string | null; kind: string; presence?: string; photo?: string };

/** What /api/terminal/welcome answers ('' in a language: the default text). */
type Welcome = {
  customerName: string; welcome: { de: string; en: string }; privacy: { de: string; en: string }; logoUrl: string | null;
};
const DEFAULTS: Welcome = { customerName: '', welcome: { de: '', en: '' }, privacy: { de: '', en: '' }, logoUrl: null };

/** Up to two initials of a name ("Anna Müller" → "AM"). */
export function initials(name: string): string {
  return name.split(/[\s-]+/).filter(Boolean).slice(0, 2).map((w) => [...w][0]!.toLocaleUpperCase('de')).join('');
}

export function StartScreen(props: { socket: Socket; content: TerminalShowMessage | null; reception: Entry | null; onCall: (entry: Entry) => void }) {
  const t = useTexts(T);
  const s = useTexts(S);
  const { socket, content, reception, onCall } = props;
  const [welcome, setWelcome] = useState<Welcome | null>(null);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Entry[]>([]);
  // Answers can overtake each other while the visitor types: only the latest query's is shown.
  const asked = useRef(0);

  // Each visitor sees the site's current start screen (an admin may have changed it since the last call).
  useEffect(() => {
    void api<Welcome>('GET', '/api/terminal/welcome').then(setWelcome, () => setWelcome(DEFAULTS));
  }, []);

  // The latest text typed, for keys pressed faster than the page renders.
  const typed = useRef('');
  const search = async (q: string) => {
    typed.current = q;
    setQuery(q);
    const mine = ++asked.current;
    if (!q.trim()) { setResults([]); return; }
    const r = await socket.emitWithAck('phonebook.search', { q });
    if (r.ok && mine === asked.current) setResults(r.results);
  };

  const l = lang();
  const w = welcome ?? DEFAULTS;
  return (
    <section class="start">
      <div class="start-main">
        {welcome && (w.logoUrl || w.customerName) && (
          <div class="brand-row">
            {w.logoUrl && <img class="logo" src={w.logoUrl} alt={w.customerName ? s('logo', { name: w.customerName }) : ''} />}
            {w.customerName && <span class="customer" data-user-text>{w.customerName}</span>}
          </div>
        )}
        {content && <div class="content" role="status">{content.message ? content.message[l] : <img src={content.content?.src} alt="" />}</div>}
        {welcome && (w.welcome[l] ? <h1 data-user-text>{w.welcome[l]}</h1> : <h1>{t('welcome')}</h1>)}
        <label class="visually-hidden" for="q">{t('search')}</label>
        {/* inputmode none: a tablet's own keyboard would cover the screen; the on-screen keyboard below types here. */}
        <input id="q" class="search" type="search" inputMode="none" placeholder={t('search')} value={query} autoComplete="off"
          onInput={(e) => void search((e.target as HTMLInputElement).value)} />
        <Keyboard value={query} edit={(change) => void search(change(typed.current))} texts={{ keyboard: s('keyboard'), space: s('space'), backspace: s('backspace'), clear: s('clear') }} />
      </div>
      <div class="start-side">
        <ul class="results" aria-live="polite" aria-label={s('results')}>
          {results.map((e) => (
            <li key={e.id}><button class="entry-card" data-entry={e.id} onClick={() => onCall(e)}>
              {e.photo ? <img class="initials photo" src={e.photo} alt="" data-photo /> : <span class="initials" aria-hidden="true" data-user-text>{initials(e.name)}</span>}
              <span class="who" data-user-text><span class="name">{e.name}</span>{e.department && <span class="dept">{e.department}</span>}</span>
              {e.presence && <span class={`presence ${e.presence}`}>{t(e.presence as 'available')}</span>}
            </button></li>
          ))}
        </ul>
        {query && results.length === 0 && <p class="hint">{t('noResults')}</p>}
        {!query && <p class="hint">{s('typeHint')}</p>}
        {reception && <button class="big primary reception" data-entry="reception" onClick={() => onCall(reception)}>{t('callReception')}</button>}
      </div>
      {welcome && (
        <aside class="privacy" aria-label={s('privacyTitle')}>
          <strong class="privacy-title">{s('privacyTitle')}</strong> {w.privacy[l] ? <span data-user-text>{w.privacy[l]}</span> : s('privacyDefault')}
        </aside>
      )}
    </section>
  );
}
