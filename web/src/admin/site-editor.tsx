// A site's name and time zone, and its doors' names, editable in place
// (PATCH /api/sites/:id, PATCH /api/sites/:id/doors/:door); new doors; a door
// deleted after a question (its refusal, naming what still uses it, next to it); each
// door's state as its controller reported it (live: the sites section changes).
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';
import { ConfirmDelete } from './confirm-delete.tsx';

type Site = { id: string; name: string; timeZone: string };
/** A door as GET /api/sites/:id/doors answers: with its status as the device hub knows it. */
export type DoorWithStatus = { id: string; name: string; status?: { state: string | null; locked?: boolean | null; at: number | null; controller: 'online' | 'offline' | 'none' } };
/** The states a controller reports (docs/devices.md), as words. */
const STATES = { closed: 'doorStateClosed', open: 'doorStateOpen', 'held-open': 'doorStateHeldOpen', forced: 'doorStateForced' } as const;

/** The door's state in words: what its controller last reported (locked or not, when it says), and whether one is there to report. */
function DoorStatus(props: { status: DoorWithStatus['status'] }) {
  const t = useTexts(T);
  const s = props.status ?? { state: null, at: null, controller: 'none' as const };
  const state = s.state !== null && Object.hasOwn(STATES, s.state) ? t(STATES[s.state as keyof typeof STATES]) : null;
  const known = state === null || s.locked == null ? state : t(s.locked ? 'doorStateLocked' : 'doorStateUnlocked', { state });
  const text = s.controller === 'none' ? t('doorNoController')
    : s.controller === 'offline' ? (known ? t('doorControllerOfflineLast', { state: known }) : t('doorControllerOffline'))
    : known ?? t('doorStateUnknown');
  return <span class="door-status" role="status" data-door-state={s.state ?? 'unknown'} data-locked={String(s.locked ?? 'unknown')} data-controller={s.controller}>{t('doorStatus')}: {text}</span>;
}
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

export function SiteEditor(props: { site: Site; doors: DoorWithStatus[]; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  /** The last door deletion's outcome, shown next to its door (refused) or under the list (deleted). */
  const [removal, setRemoval] = useState<{ door: DoorWithStatus; failure: unknown } | null>(null);
  const run = (fn: (f: HTMLFormElement) => Promise<unknown>) => async (e: Event) => {
    e.preventDefault();
    setFailure(null); setSaved(false); setRemoval(null);
    try { await fn(e.target as HTMLFormElement); setSaved(true); await props.reload(); } catch (error) { setFailure(error); }
  };
  const { site } = props;
  const removeDoor = async (door: DoorWithStatus) => {
    setFailure(null); setSaved(false);
    try {
      await api('DELETE', `/api/sites/${site.id}/doors/${door.id}`);
      setRemoval({ door, failure: null });
      await props.reload();
    } catch (error) { setRemoval({ door, failure: error }); }
  };
  return (
    <div class="site-editor" key={site.id}>
      <form class="toolbar" aria-label={t('editSite')} onSubmit={(e) => void run((f) => api('PATCH', `/api/sites/${site.id}`, { name: value(f, 'name'), timeZone: value(f, 'timeZone') }))(e)}>
        <label>{t('name')} <input name="name" defaultValue={site.name} key={`n-${site.id}-${site.name}`} {...FIELDS.siteName} required /></label>
        <label>{t('timeZone')} <input name="timeZone" defaultValue={site.timeZone} key={`z-${site.id}-${site.timeZone}`} {...FIELDS.timeZone} required /></label>
        <button type="submit" class="primary">{t('save')}</button>
      </form>
      <h3>{t('doors')}</h3>
      <ul>{props.doors.map((d) => (
        <li key={d.id}>
          <form class="toolbar" aria-label={t('editLabel', { id: d.name })} onSubmit={(e) => void run((f) => api('PATCH', `/api/sites/${site.id}/doors/${d.id}`, { name: value(f, 'name') }))(e)}>
            <input name="name" aria-label={t('doorName')} defaultValue={d.name} key={`${d.id}-${d.name}`} {...FIELDS.siteName} required />
            <button type="submit">{t('save')}</button>
            <DoorStatus status={d.status} />
            <ConfirmDelete what={t('doorLabel', { name: d.name })} onDelete={() => removeDoor(d)} />
          </form>
          {removal?.door.id === d.id && removal.failure !== null && <p class="error" role="alert">{refusal(removal.failure)}</p>}
        </li>))}
      </ul>
      {removal !== null && removal.failure === null && <p class="ok" role="status">{t('doorDeleted', { name: removal.door.name })}</p>}
      <form class="toolbar" aria-label={t('newDoor')} onSubmit={(e) => void run(async (f) => { await api('POST', `/api/sites/${site.id}/doors`, { name: value(f, 'name') }); f.reset(); })(e)}>
        <input name="name" aria-label={t('doorName')} placeholder={t('doorName')} {...FIELDS.siteName} required />
        <button type="submit">{t('create')}</button>
      </form>
      {saved && <p class="ok" role="status">{t('saved')}</p>}
      {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
    </div>
  );
}
