// A site's name and time zone, and its doors' names, editable in place
// (PATCH /api/sites/:id, PATCH /api/sites/:id/doors/:door); new doors.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Site = { id: string; name: string; timeZone: string };
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

export function SiteEditor(props: { site: Site; doors: Array<{ id: string; name: string }>; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [failure, setFailure] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const run = (fn: (f: HTMLFormElement) => Promise<unknown>) => async (e: Event) => {
    e.preventDefault();
    setFailure(null); setSaved(false);
    try { await fn(e.target as HTMLFormElement); setSaved(true); await props.reload(); } catch (error) { setFailure(error); }
  };
  const { site } = props;
  return (
    <div class="site-editor" key={site.id}>
      <form class="toolbar" aria-label={t('editSite')} onSubmit={(e) => void run((f) => api('PATCH', `/api/sites/${site.id}`, { name: value(f, 'name'), timeZone: value(f, 'timeZone') }))(e)}>
        <label>{t('name')} <input name="name" defaultValue={site.name} key={`n-${site.id}-${site.name}`} required /></label>
        <label>{t('timeZone')} <input name="timeZone" defaultValue={site.timeZone} key={`z-${site.id}-${site.timeZone}`} required /></label>
        <button type="submit" class="primary">{t('save')}</button>
      </form>
      <h3>{t('doors')}</h3>
      <ul>{props.doors.map((d) => (
        <li key={d.id}>
          <form class="toolbar" aria-label={t('editLabel', { id: d.name })} onSubmit={(e) => void run((f) => api('PATCH', `/api/sites/${site.id}/doors/${d.id}`, { name: value(f, 'name') }))(e)}>
            <input name="name" aria-label={t('doorName')} defaultValue={d.name} key={`${d.id}-${d.name}`} required />
            <button type="submit">{t('save')}</button>
          </form>
        </li>))}
      </ul>
      <form class="toolbar" aria-label={t('newDoor')} onSubmit={(e) => void run(async (f) => { await api('POST', `/api/sites/${site.id}/doors`, { name: value(f, 'name') }); f.reset(); })(e)}>
        <input name="name" aria-label={t('doorName')} placeholder={t('doorName')} required />
        <button type="submit">{t('create')}</button>
      </form>
      {saved && <p class="ok" role="status">{t('saved')}</p>}
      {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
    </div>
  );
}
