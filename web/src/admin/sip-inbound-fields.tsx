// The inbound part of a SIP account in the admin page's editor (sip-account-editor.tsx):
// calls from the PBX on or off, the trunk's digest user and password (write-only:
// "set" the first time, "change (empty: keep it)" after), realm, the PBX's addresses,
// whether the registrar is trusted, and the numbers that ring phone-book entries
// (added and removed in place). Numbers that reach a terminal are kept as they are
// (written through the API or the config file); the page says how many there are.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { FIELDS } from './form-limits.ts';
import { T } from './texts.ts';

type Caller = { id: string; number: string; name: string };
/** An account's inbound part as the API answers it (never the password: hasPassword). */
export interface ManagedInbound {
  username: string; realm: string; sources: string[]; trustRegistrar: boolean; hasPassword: boolean;
  numbers: Array<{ number: string; entryId: string }>;
  terminals: Array<{ number: string; terminalId: string; callers: Caller[] }>;
}

/** What the form holds while it is edited; `password` typed or ''. */
export interface InboundDraft {
  on: boolean; username: string; password: string; realm: string; sources: string; trustRegistrar: boolean;
  numbers: Array<{ number: string; entryId: string }>;
}

/** A phone-book entry to choose, named with its site. */
export interface EntryChoice { id: string; label: string }

export const draftOf = (i: ManagedInbound | null): InboundDraft => ({
  on: i !== null, username: i?.username ?? '', password: '', realm: i?.realm ?? '', sources: i?.sources.join(', ') ?? '',
  trustRegistrar: i?.trustRegistrar ?? false, numbers: i?.numbers.map((n) => ({ ...n })) ?? [],
});

/**
 * The inbound part the route takes (PATCH writes it whole): undefined when it was and stays off (nothing sent),
 * null when switched off, else every field; the password only when typed, the terminals as they were.
 */
export function inboundBody(draft: InboundDraft, before: ManagedInbound | null | undefined): Record<string, unknown> | null | undefined {
  if (!draft.on) return before ? null : undefined;
  return {
    username: draft.username.trim(), realm: draft.realm.trim(), sources: draft.sources.split(',').map((s) => s.trim()).filter(Boolean),
    trustRegistrar: draft.trustRegistrar, numbers: draft.numbers.map((n) => ({ number: n.number.trim(), entryId: n.entryId })),
    terminals: before?.terminals ?? [], ...draft.password !== '' ? { password: draft.password } : {},
  };
}

/** Every site's phone-book entries, for the number → entry choice (an account serves every site). */
export function useEntryChoices(): EntryChoice[] {
  const [choices, setChoices] = useState<EntryChoice[]>([]);
  useEffect(() => {
    void (async () => {
      const sites = await api<Array<{ id: string; name: string }>>('GET', '/api/sites');
      const lists = await Promise.all(sites.map(async (s) => (await api<Array<{ id: string; name: string }>>('GET', `/api/sites/${encodeURIComponent(s.id)}/phonebook`))
        .map((e) => ({ id: e.id, label: `${s.name} · ${e.name}` }))));
      setChoices(lists.flat());
    })().catch(() => setChoices([]));
  }, []);
  return choices;
}

export function InboundFields(props: { draft: InboundDraft; change: (d: InboundDraft) => void; hadPassword: boolean; terminals: number; entries: EntryChoice[] }) {
  const t = useTexts(T);
  const d = props.draft;
  const set = (patch: Partial<InboundDraft>) => props.change({ ...d, ...patch });
  const setNumber = (i: number, patch: Partial<InboundDraft['numbers'][number]>) => set({ numbers: d.numbers.map((n, j) => (j === i ? { ...n, ...patch } : n)) });
  const passwordLabel = t(props.hadPassword ? 'sipInboundPasswordChange' : 'sipInboundPasswordSet');
  return (
    <fieldset data-sip-inbound>
      <legend><label><input type="checkbox" name="inboundOn" checked={d.on} onChange={(e) => set({ on: (e.target as HTMLInputElement).checked })} /> {t('sipInbound')}</label></legend>
      {d.on && <>
        <input aria-label={t('sipInboundUser')} placeholder={t('sipInboundUser')} value={d.username} required {...FIELDS.sipAccountUser}
          onInput={(e) => set({ username: (e.target as HTMLInputElement).value })} />
        <input type="password" autocomplete="new-password" aria-label={passwordLabel} placeholder={passwordLabel} value={d.password} required={!props.hadPassword}
          {...FIELDS.sipAccountPassword} onInput={(e) => set({ password: (e.target as HTMLInputElement).value })} />
        <input aria-label={t('sipInboundRealm')} placeholder={t('sipInboundRealm')} value={d.realm} {...FIELDS.sipInboundRealm}
          onInput={(e) => set({ realm: (e.target as HTMLInputElement).value })} />
        <input aria-label={t('sipInboundSources')} placeholder={t('sipInboundSources')} value={d.sources}
          onInput={(e) => set({ sources: (e.target as HTMLInputElement).value })} />
        <label><input type="checkbox" checked={d.trustRegistrar} onChange={(e) => set({ trustRegistrar: (e.target as HTMLInputElement).checked })} /> {t('sipInboundTrust')}</label>
        <p>{t('sipInboundNumbers')}</p>
        <ul>{d.numbers.map((n, i) => (
          <li key={i} data-sip-inbound-number={i + 1}>
            <input aria-label={t('sipInboundNumber', { n: i + 1 })} placeholder={t('sipInboundNumber', { n: i + 1 })} value={n.number} required {...FIELDS.sipInboundNumber}
              onInput={(e) => setNumber(i, { number: (e.target as HTMLInputElement).value })} />
            <select aria-label={t('sipInboundEntry', { n: i + 1 })} value={n.entryId} required onChange={(e) => setNumber(i, { entryId: (e.target as HTMLSelectElement).value })}>
              <option value="">{t('sipInboundChooseEntry')}</option>
              {props.entries.map((c) => <option key={c.id} value={c.id} data-user-text>{c.label}</option>)}
              {n.entryId !== '' && !props.entries.some((c) => c.id === n.entryId) && <option value={n.entryId} data-user-text>{n.entryId}</option>}
            </select>
            <button type="button" aria-label={t('sipInboundRemove', { n: i + 1 })} onClick={() => set({ numbers: d.numbers.filter((_, j) => j !== i) })}>{t('sipInboundRemoveShort')}</button>
          </li>
        ))}</ul>
        <button type="button" onClick={() => set({ numbers: [...d.numbers, { number: '', entryId: '' }] })}>{t('sipInboundAdd')}</button>
        {props.terminals > 0 && <p><small>{t('sipInboundTerminalsKept', { n: props.terminals })}</small></p>}
      </>}
    </fieldset>
  );
}
