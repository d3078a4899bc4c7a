// The phone book of a site: its entries, each editable in place (name,
// department, kind, ring time, its ring targets: a telephone through a configured
// SIP account added, a target removed) and deletable after a question; its photo
// uploaded or removed (personal data: the kiosk shows it only where the site allows);
// a new entry rings a desk user or a group; CSV import. Refusals show next to
// the form they answer, in the page's language.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { PhonebookImport } from './phonebook-import.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';
import { EntryPhoto, type SitePhotos } from './entry-photo.tsx';
import { P } from './photo-texts.ts';

type Route = { type: 'desk-user'; userId: string } | { type: 'desk-group'; roleId: string } | { type: 'sip'; accountId: string; user: string };
type Entry = { id: string; kind: string; name: string; department: string | null; routes: Route[]; policy: { legTimeoutS: number; capS: number } };
type Names = { users: Array<{ id: string; login: string }>; roles: Array<{ id: string; name: string }>; roleName: (r: { id: string; name: string }) => string };
const ENTRY_KINDS = { person: 'entryPerson', department: 'entryDepartment', reception: 'entryReception' } as const;
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

/** A route in words: the user's login, the group's name, or the SIP account and number (user data). */
function routeText(route: Route, names: Names): string {
  if (route.type === 'desk-user') return names.users.find((u) => u.id === route.userId)?.login ?? route.userId;
  if (route.type === 'desk-group') { const role = names.roles.find((r) => r.id === route.roleId); return role ? names.roleName(role) : route.roleId; }
  return `${route.accountId}: ${route.user}`;
}

/**
 * An entry's ring targets, changed in the editor: any removed (one must stay), a
 * telephone through a configured SIP account added. The accounts' credentials
 * live in the configuration file and never reach the page.
 */
function RoutesEditor(props: { site: string; routes: Route[]; names: Names; onChange: (routes: Route[]) => void }) {
  const t = useTexts(T);
  const [accounts, setAccounts] = useState<Array<{ id: string }> | null>(null);
  useEffect(() => { void api<Array<{ id: string }>>('GET', `/api/sip/accounts?siteId=${encodeURIComponent(props.site)}`).then(setAccounts, () => setAccounts([])); }, [props.site]);
  const [account, setAccount] = useState('');
  const [number, setNumber] = useState('');
  const add = () => {
    const chosen = account || accounts?.[0]?.id;
    if (!chosen || !number.trim()) return;
    props.onChange([...props.routes, { type: 'sip', accountId: chosen, user: number.trim() }]);
    setNumber('');
  };
  return (
    <fieldset class="routes"><legend>{t('routes')}</legend>
      <ul>{props.routes.map((r, i) => {
        const what = routeText(r, props.names);
        return (
          <li key={`${i}-${what}`} data-route={r.type}><span data-user-text>{what}</span>{' '}
            {props.routes.length > 1 && <button type="button" aria-label={t('removeRouteLabel', { what })} onClick={() => props.onChange(props.routes.filter((_, j) => j !== i))}>{t('removeRoute')}</button>}
          </li>
        );
      })}</ul>
      {accounts !== null && accounts.length === 0 ? <p><small>{t('noSipAccounts')}</small></p> : (
        <div class="toolbar" role="group" aria-label={t('addSipRoute')}>
          <select aria-label={t('sipAccount')} value={account} onChange={(e) => setAccount((e.target as HTMLSelectElement).value)}>
            {(accounts ?? []).map((a) => <option key={a.id} value={a.id} data-user-text>{a.id}</option>)}
          </select>
          <input aria-label={t('sipNumber')} value={number} {...FIELDS.sipRouteUser} onInput={(e) => setNumber((e.target as HTMLInputElement).value)} />
          <button type="button" onClick={add}>{t('addSipRoute')}</button>
        </div>
      )}
    </fieldset>
  );
}

function EntryEditor(props: { entry: Entry; site: string; names: Names; done: () => void }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [failure, setFailure] = useState<unknown>(null);
  const { entry } = props;
  const [routes, setRoutes] = useState<Route[]>(entry.routes);
  const save = async (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    setFailure(null);
    try {
      await api('PUT', `/api/phonebook/${entry.id}`, {
        kind: value(f, 'kind'), name: value(f, 'name'), department: value(f, 'department') || null, routes,
        policy: { ...entry.policy, legTimeoutS: Number(value(f, 'leg')) },
      });
      props.done();
    } catch (error) { setFailure(error); }
  };
  return (
    <tr data-editing={entry.id}><td colSpan={6}>
      <form class="inline-edit" onSubmit={(e) => void save(e)} aria-label={t('editEntry')}>
        <label>{t('name')} <input name="name" defaultValue={entry.name} {...FIELDS.entryName} required /></label>
        <label>{t('department')} <input name="department" defaultValue={entry.department ?? ''} {...FIELDS.entryDepartment} /></label>
        <label>{t('kind')} <select name="kind">{Object.entries(ENTRY_KINDS).map(([k, w]) => <option key={k} value={k} selected={k === entry.kind}>{t(w)}</option>)}</select></label>
        <label>{t('ringSeconds')} <input name="leg" type="number" defaultValue={String(entry.policy.legTimeoutS)} {...FIELDS.legTimeoutS} required /></label>
        <RoutesEditor site={props.site} routes={routes} names={props.names} onChange={setRoutes} />
        <button type="submit" class="primary">{t('save')}</button>
        <button type="button" onClick={props.done}>{t('cancel')}</button>
        {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      </form>
    </td></tr>
  );
}

export function PhonebookSection(props: {
  site: string; entries: Entry[]; users: Array<{ id: string; login: string }>; roles: Array<{ id: string; name: string }>;
  roleName: (r: { id: string; name: string }) => string; roleIsData: (r: { id: string }) => true | undefined; reload: () => Promise<void>;
}) {
  const t = useTexts(T);
  const p = useTexts(P);
  const refusal = useRefusal();
  const [editing, setEditing] = useState<string | null>(null);
  // The entries' photos (who may not edit the phone book sees none).
  const [photos, setPhotos] = useState<SitePhotos | null>(null);
  const loadPhotos = () => api<SitePhotos>('GET', `/api/sites/${encodeURIComponent(props.site)}/phonebook/photos`).then(setPhotos, () => setPhotos(null));
  useEffect(() => { void loadPhotos(); }, [props.site, props.entries]);
  const [failure, setFailure] = useState<unknown>(null);
  const create = async (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    setFailure(null);
    try {
      await api('POST', `/api/sites/${props.site}/phonebook`, {
        kind: value(f, 'kind'), name: value(f, 'name'), department: value(f, 'department') || null,
        routes: value(f, 'user') ? [{ type: 'desk-user', userId: value(f, 'user') }] : [{ type: 'desk-group', roleId: value(f, 'group') }],
      });
      f.reset();
      await props.reload();
    } catch (error) { setFailure(error); }
  };
  const remove = (id: string) => api('DELETE', `/api/phonebook/${id}`).then(props.reload, setFailure);
  return (
    <section class="card" id="section-phonebook" aria-labelledby="phonebook-heading"><h2 id="phonebook-heading">{t('phonebook')}</h2>
      <table><thead><tr><th>{t('name')}</th><th>{t('department')}</th><th>{t('kind')}</th><th>{t('ringSeconds')}</th><th>{p('photo')}</th><th /></tr></thead>
        <tbody>{props.entries.map((e) => (editing === e.id
          ? <EntryEditor key={e.id} entry={e} site={props.site} names={{ users: props.users, roles: props.roles, roleName: props.roleName }} done={() => { setEditing(null); void props.reload(); }} />
          : <tr key={e.id} data-entry={e.id}><td data-user-text>{e.name}</td><td data-user-text>{e.department}</td><td>{t(ENTRY_KINDS[e.kind as keyof typeof ENTRY_KINDS] ?? 'entryPerson')}</td><td>{e.policy.legTimeoutS}</td>
            <td>{photos && <EntryPhoto entry={e} info={photos.photos[e.id]} maxKib={photos.maxKib} changed={loadPhotos} />}</td>
            <td class="controls"><button type="button" aria-label={t('editLabel', { id: e.name })} onClick={() => setEditing(e.id)}>{t('edit')}</button>
              <ConfirmDelete what={e.name} onDelete={() => remove(e.id)} /></td></tr>))}</tbody></table>
      {photos && <p><small>{p('photosNote')}</small></p>}
      <form onSubmit={(e) => void create(e)} aria-label={t('newEntry')}>
        <select name="kind" aria-label={t('kind')}>{Object.entries(ENTRY_KINDS).map(([k, word]) => <option key={k} value={k}>{t(word)}</option>)}</select>
        <input name="name" aria-label={t('name')} placeholder={t('name')} {...FIELDS.entryName} required />
        <input name="department" aria-label={t('department')} placeholder={t('department')} {...FIELDS.entryDepartment} />
        <select name="user" aria-label={t('deskUser')}><option value="">{t('none')}</option>{props.users.map((u) => <option value={u.id} key={u.id} data-user-text>{u.login}</option>)}</select>
        <select name="group" aria-label={t('group')}>{props.roles.map((r) => <option value={r.id} key={r.id} data-user-text={props.roleIsData(r)}>{props.roleName(r)}</option>)}</select>
        <button type="submit">{t('create')}</button>
        {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      </form>
      <PhonebookImport site={props.site} onImported={props.reload} />
    </section>
  );
}
