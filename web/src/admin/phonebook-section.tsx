// The phone book of a site: its entries, each editable in place (name,
// department, kind, ring time; its routes stay) and deletable after a question;
// a new entry rings a desk user or a group; CSV import. Refusals show next to
// the form they answer, in the page's language.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { PhonebookImport } from './phonebook-import.tsx';
import { T } from './texts.ts';

type Entry = { id: string; kind: string; name: string; department: string | null; routes: unknown[]; policy: { legTimeoutS: number; capS: number } };
const ENTRY_KINDS = { person: 'entryPerson', department: 'entryDepartment', reception: 'entryReception' } as const;
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

function EntryEditor(props: { entry: Entry; done: () => void }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [failure, setFailure] = useState<unknown>(null);
  const { entry } = props;
  const save = async (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    setFailure(null);
    try {
      await api('PUT', `/api/phonebook/${entry.id}`, {
        kind: value(f, 'kind'), name: value(f, 'name'), department: value(f, 'department') || null, routes: entry.routes,
        policy: { ...entry.policy, legTimeoutS: Number(value(f, 'leg')) },
      });
      props.done();
    } catch (error) { setFailure(error); }
  };
  return (
    <tr data-editing={entry.id}><td colSpan={5}>
      <form class="inline-edit" onSubmit={(e) => void save(e)} aria-label={t('editEntry')}>
        <label>{t('name')} <input name="name" defaultValue={entry.name} required /></label>
        <label>{t('department')} <input name="department" defaultValue={entry.department ?? ''} /></label>
        <label>{t('kind')} <select name="kind">{Object.entries(ENTRY_KINDS).map(([k, w]) => <option key={k} value={k} selected={k === entry.kind}>{t(w)}</option>)}</select></label>
        <label>{t('ringSeconds')} <input name="leg" type="number" defaultValue={String(entry.policy.legTimeoutS)} /></label>
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
  const refusal = useRefusal();
  const [editing, setEditing] = useState<string | null>(null);
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
      <table><thead><tr><th>{t('name')}</th><th>{t('department')}</th><th>{t('kind')}</th><th>{t('ringSeconds')}</th><th /></tr></thead>
        <tbody>{props.entries.map((e) => (editing === e.id
          ? <EntryEditor key={e.id} entry={e} done={() => { setEditing(null); void props.reload(); }} />
          : <tr key={e.id} data-entry={e.id}><td data-user-text>{e.name}</td><td data-user-text>{e.department}</td><td>{t(ENTRY_KINDS[e.kind as keyof typeof ENTRY_KINDS] ?? 'entryPerson')}</td><td>{e.policy.legTimeoutS}</td>
            <td class="controls"><button type="button" aria-label={t('editLabel', { id: e.name })} onClick={() => setEditing(e.id)}>{t('edit')}</button>
              <ConfirmDelete what={e.name} onDelete={() => remove(e.id)} /></td></tr>))}</tbody></table>
      <form onSubmit={(e) => void create(e)} aria-label={t('newEntry')}>
        <select name="kind" aria-label={t('kind')}>{Object.entries(ENTRY_KINDS).map(([k, word]) => <option key={k} value={k}>{t(word)}</option>)}</select>
        <input name="name" aria-label={t('name')} placeholder={t('name')} required />
        <input name="department" aria-label={t('department')} placeholder={t('department')} />
        <select name="user" aria-label={t('deskUser')}><option value="">{t('none')}</option>{props.users.map((u) => <option value={u.id} key={u.id} data-user-text>{u.login}</option>)}</select>
        <select name="group" aria-label={t('group')}>{props.roles.map((r) => <option value={r.id} key={r.id} data-user-text={props.roleIsData(r)}>{props.roleName(r)}</option>)}</select>
        <button type="submit">{t('create')}</button>
        {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      </form>
      <PhonebookImport site={props.site} onImported={props.reload} />
    </section>
  );
}
