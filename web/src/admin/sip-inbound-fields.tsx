// The inbound part of a SIP account in the admin page's editor (sip-account-editor.tsx):
// calls from the PBX on or off, the trunk's digest user and password (write-only:
// "set" the first time, "change (empty: keep it)" after), realm, the PBX's addresses,
// whether the registrar is trusted, the numbers that ring phone-book entries and the
// numbers that reach a terminal answering by itself, with the callers who may (each
// added and removed in place).
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

type TerminalNumber = ManagedInbound['terminals'][number];
/** What the form holds while it is edited; `password` typed or ''. */
export interface InboundDraft {
  on: boolean; username: string; password: string; realm: string; sources: string; trustRegistrar: boolean;
  numbers: Array<{ number: string; entryId: string }>;
  terminals: TerminalNumber[];
}

/** A phone-book entry or terminal to choose, named with its site. */
export interface Choice { id: string; label: string }
/** What the numbers may name: every site's phone-book entries and terminals. */
export interface Choices { entries: Choice[]; terminals: Choice[] }

export const draftOf = (i: ManagedInbound | null): InboundDraft => ({
  on: i !== null, username: i?.username ?? '', password: '', realm: i?.realm ?? '', sources: i?.sources.join(', ') ?? '',
  trustRegistrar: i?.trustRegistrar ?? false, numbers: i?.numbers.map((n) => ({ ...n })) ?? [],
  terminals: i?.terminals.map((t) => ({ ...t, callers: t.callers.map((c) => ({ ...c })) })) ?? [],
});

/**
 * The inbound part the route takes (PATCH writes it whole): undefined when it was and stays off (nothing sent),
 * null when switched off, else every field; the password only when typed.
 */
export function inboundBody(draft: InboundDraft, before: ManagedInbound | null | undefined): Record<string, unknown> | null | undefined {
  if (!draft.on) return before ? null : undefined;
  return {
    username: draft.username.trim(), realm: draft.realm.trim(), sources: draft.sources.split(',').map((s) => s.trim()).filter(Boolean),
    trustRegistrar: draft.trustRegistrar, numbers: draft.numbers.map((n) => ({ number: n.number.trim(), entryId: n.entryId })),
    terminals: draft.terminals.map((x) => ({
      number: x.number.trim(), terminalId: x.terminalId, callers: x.callers.map((c) => ({ id: c.id.trim(), number: c.number.trim(), name: c.name.trim() })),
    })),
    ...draft.password !== '' ? { password: draft.password } : {},
  };
}

/** Every site's phone-book entries and terminals, for the numbers' choices (an account serves every site). */
export function useChoices(): Choices {
  const [choices, setChoices] = useState<Choices>({ entries: [], terminals: [] });
  useEffect(() => {
    void (async () => {
      const sites = await api<Array<{ id: string; name: string }>>('GET', '/api/sites');
      const siteName = new Map(sites.map((s) => [s.id, s.name]));
      const lists = await Promise.all(sites.map(async (s) => (await api<Array<{ id: string; name: string }>>('GET', `/api/sites/${encodeURIComponent(s.id)}/phonebook`))
        .map((e) => ({ id: e.id, label: `${s.name} · ${e.name}` }))));
      const terminals = await api<Array<{ id: string; name: string; siteId: string }>>('GET', '/api/terminals').catch(() => []);
      setChoices({ entries: lists.flat(), terminals: terminals.map((x) => ({ id: x.id, label: `${siteName.get(x.siteId) ?? x.siteId} · ${x.name}` })) });
    })().catch(() => setChoices({ entries: [], terminals: [] }));
  }, []);
  return choices;
}

/** A choice of `options` by id; one not among them (deleted meanwhile, or not the admin's to list) shown by its id. */
function Pick(props: { label: string; value: string; options: Choice[]; none: string; change: (id: string) => void }) {
  return (
    <select aria-label={props.label} value={props.value} required onChange={(e) => props.change((e.target as HTMLSelectElement).value)}>
      <option value="">{props.none}</option>
      {props.options.map((c) => <option key={c.id} value={c.id} data-user-text>{c.label}</option>)}
      {props.value !== '' && !props.options.some((c) => c.id === props.value) && <option value={props.value} data-user-text>{props.value}</option>}
    </select>
  );
}

/** The numbers that reach a terminal, each with the callers who may reach it (at least one). */
function TerminalNumbers(props: { draft: InboundDraft; set: (patch: Partial<InboundDraft>) => void; terminals: Choice[] }) {
  const t = useTexts(T);
  const list = props.draft.terminals;
  const setAt = (i: number, next: TerminalNumber) => props.set({ terminals: list.map((x, j) => (j === i ? next : x)) });
  const input = (label: string, placeholder: string, value: string, rules: object, change: (v: string) => void, required = true) => (
    <input aria-label={label} placeholder={placeholder} value={value} required={required} {...rules} onInput={(e) => change((e.target as HTMLInputElement).value)} />
  );
  return <>
    <p>{t('sipInboundTerminals')}</p>
    <ul>{list.map((x, i) => {
      const n = i + 1;
      const setCaller = (k: number, patch: Partial<Caller>) => setAt(i, { ...x, callers: x.callers.map((c, j) => (j === k ? { ...c, ...patch } : c)) });
      return (
        <li key={i} data-sip-inbound-terminal={n}>
          {input(t('sipInboundTerminalNumber', { n }), t('sipInboundTerminalNumber', { n }), x.number, FIELDS.sipInboundNumber, (v) => setAt(i, { ...x, number: v }))}
          <Pick label={t('sipInboundTerminal', { n })} value={x.terminalId} options={props.terminals} none={t('sipInboundChooseTerminal')} change={(id) => setAt(i, { ...x, terminalId: id })} />
          <button type="button" aria-label={t('sipInboundRemoveTerminal', { n })} onClick={() => props.set({ terminals: list.filter((_, j) => j !== i) })}>{t('sipInboundRemoveShort')}</button>
          <p>{t('sipInboundCallersHint')}</p>
          <ul>{x.callers.map((c, k) => (
            <li key={k} data-sip-inbound-caller={k + 1}>
              {input(t('sipInboundCallerId', { k: k + 1, n }), t('sipId'), c.id, FIELDS.sipCallerId, (v) => setCaller(k, { id: v }))}
              {input(t('sipInboundCallerNumber', { k: k + 1, n }), t('sipInboundCallerNumberShort'), c.number, FIELDS.sipInboundNumber, (v) => setCaller(k, { number: v }))}
              {input(t('sipInboundCallerName', { k: k + 1, n }), t('sipInboundCallerNameShort'), c.name, FIELDS.sipCallerName, (v) => setCaller(k, { name: v }), false)}
              <button type="button" aria-label={t('sipInboundRemoveCaller', { k: k + 1, n })} onClick={() => setAt(i, { ...x, callers: x.callers.filter((_, j) => j !== k) })}>{t('sipInboundRemoveShort')}</button>
            </li>
          ))}</ul>
          <button type="button" aria-label={t('sipInboundAddCaller', { n })} onClick={() => setAt(i, { ...x, callers: [...x.callers, { id: '', number: '', name: '' }] })}>{t('sipInboundAddCallerShort')}</button>
        </li>
      );
    })}</ul>
    <button type="button" onClick={() => props.set({ terminals: [...list, { number: '', terminalId: '', callers: [{ id: '', number: '', name: '' }] }] })}>{t('sipInboundAddTerminal')}</button>
  </>;
}

export function InboundFields(props: { draft: InboundDraft; change: (d: InboundDraft) => void; hadPassword: boolean; choices: Choices }) {
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
            <Pick label={t('sipInboundEntry', { n: i + 1 })} value={n.entryId} options={props.choices.entries} none={t('sipInboundChooseEntry')} change={(id) => setNumber(i, { entryId: id })} />
            <button type="button" aria-label={t('sipInboundRemove', { n: i + 1 })} onClick={() => set({ numbers: d.numbers.filter((_, j) => j !== i) })}>{t('sipInboundRemoveShort')}</button>
          </li>
        ))}</ul>
        <button type="button" onClick={() => set({ numbers: [...d.numbers, { number: '', entryId: '' }] })}>{t('sipInboundAdd')}</button>
        <TerminalNumbers draft={d} set={set} terminals={props.choices.terminals} />
      </>}
    </fieldset>
  );
}
