// The admin page's terminals: each kiosk with its door and health, renamed or
// moved in place, a new pairing code shown in its row, revoked after a question;
// a new terminal's pairing code shown next to the form that created it.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import { SiteAndDoor, type Door, type Site } from './site-doors.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';

type Health = { online: boolean; able: boolean; problems: string[]; report?: { lastActivityAt?: number } | null };
export interface Terminal { id: string; name: string; siteId: string; doorId: string | null; health: Health | null }
type Pairing = { code: string; expiresAt: number };

/** A kiosk's problems as words (src/terminals' KioskProblem). */
const KIOSK_PROBLEMS = { offline: 'kioskOffline', camera: 'kioskCamera', microphone: 'kioskMicrophone', silent: 'kioskSilent' } as const;
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

function PairingCode(props: { name: string; pairing: Pairing }) {
  const t = useTexts(T);
  return (
    <p class="ok pairing" role="status">
      {t('pairingCode', { name: props.name, code: props.pairing.code, until: new Date(props.pairing.expiresAt).toLocaleTimeString(lang()) })}
      {' '}<small>{t('pairingHint')}</small>
    </p>
  );
}

function TerminalRow(props: { terminal: Terminal; sites: Site[]; doors: Door[]; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const x = props.terminal;
  const feedback = useFeedback();
  const [editing, setEditing] = useState(false);
  const [pairing, setPairing] = useState<Pairing | null>(null);
  const kioskProblem = (p: string) => (Object.hasOwn(KIOSK_PROBLEMS, p) ? t(KIOSK_PROBLEMS[p as keyof typeof KIOSK_PROBLEMS]) : p);
  const door = props.doors.find((d) => d.id === x.doorId);
  const save = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    void feedback.run(async () => {
      await api('PATCH', `/api/terminals/${x.id}`, { name: value(f, 'name').trim(), siteId: value(f, 'siteId'), doorId: value(f, 'doorId') || null });
      setEditing(false);
      await props.reload();
    }, () => t('saved'));
  };
  return (
    <li data-terminal={x.id}>
      <span data-user-text>{x.name}</span>{door && <> · <span data-user-text>{door.name}</span></>}
      {' '}<span class="kiosk-health" data-able={x.health ? String(x.health.able) : 'unknown'}>{
        !x.health ? t('kioskNotSeen') : x.health.able ? t('kioskAble') : x.health.problems.map(kioskProblem).join(', ')
      }{x.health?.report?.lastActivityAt ? <> · {t('kioskLastActivity')}: <time>{new Date(x.health.report.lastActivityAt).toLocaleString(lang())}</time></> : null}</span>
      <span class="controls">
        {x.health?.online && <button type="button" data-action="reload-terminal" aria-label={t('kioskReloadLabel', { name: x.name })}
          onClick={() => void feedback.run(() => api('POST', `/api/terminals/${x.id}/reload`), () => t('kioskReloading', { name: x.name }))}>{t('kioskReload')}</button>}
        <button type="button" aria-label={t('editTerminal', { name: x.name })} aria-expanded={editing} onClick={() => setEditing(!editing)}>{t('edit')}</button>
        <button type="button" aria-label={t('newCodeLabel', { name: x.name })}
          onClick={() => void feedback.run(async () => setPairing(await api<Pairing>('POST', `/api/terminals/${x.id}/pairing-code`)))}>{t('newCode')}</button>
        <ConfirmDelete verb="revoke" what={t('terminalLabel', { name: x.name })}
          onDelete={() => feedback.run(() => api('POST', `/api/credentials/${x.id}/revoke`).then(props.reload))} />
      </span>
      {editing && (
        <form class="inline-edit" aria-label={t('editTerminal', { name: x.name })} onSubmit={save}>
          <label>{t('name')} <input name="name" aria-label={t('name')} defaultValue={x.name} {...FIELDS.terminalName} required /></label>
          <SiteAndDoor sites={props.sites} siteId={x.siteId} doorId={x.doorId} />
          <button type="submit" class="primary">{t('save')}</button>
          <button type="button" onClick={() => setEditing(false)}>{t('cancel')}</button>
        </form>
      )}
      {pairing && <PairingCode name={x.name} pairing={pairing} />}
      <FeedbackLine of={feedback} />
    </li>
  );
}

export function TerminalsSection(props: { site: string; sites: Site[]; doors: Door[]; terminals: Terminal[]; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  const [created, setCreated] = useState<{ name: string; pairing: Pairing } | null>(null);
  const create = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    setCreated(null);
    void feedback.run(async () => {
      const r = await api<{ terminal: { name: string }; pairing: Pairing }>('POST', '/api/terminals', { name: value(f, 'name').trim(), siteId: props.site, doorId: value(f, 'door') || null });
      setCreated({ name: r.terminal.name, pairing: r.pairing });
      f.reset();
      await props.reload();
    });
  };
  return (
    <section class="card" id="section-terminals" aria-labelledby="terminals-heading"><h2 id="terminals-heading">{t('terminals')}</h2>
      <ul>{props.terminals.filter((x) => x.siteId === props.site).map((x) => <TerminalRow key={x.id} terminal={x} sites={props.sites} doors={props.doors} reload={props.reload} />)}</ul>
      <form onSubmit={create} aria-label={t('newTerminal')}>
        <input name="name" aria-label={t('name')} placeholder={t('name')} {...FIELDS.terminalName} required />
        <select name="door" aria-label={t('door')}><option value="">{t('none')}</option>{props.doors.map((d) => <option value={d.id} key={d.id} data-user-text>{d.name}</option>)}</select>
        <button type="submit">{t('create')}</button>
      </form>
      {created && <PairingCode name={created.name} pairing={created.pairing} />}
      <FeedbackLine of={feedback} />
    </section>
  );
}
