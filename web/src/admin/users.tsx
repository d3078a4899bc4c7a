// The admin page's users and their roles per site: every user with the roles
// they hold (per site, or on every site), a role removed next to it, a role
// assigned to a user on a site, a local user created, a user erased after a
// question naming what goes (never one's own account; offered only to who holds
// privacy.admin on every site, as the gateway asks). The gateway refuses what
// the admin does not hold (role.assign-lacking); the refusal shows next to the
// action, in the page's language.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { refusalText } from '../lib/error-texts.ts';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import type { Site } from './site-doors.tsx';
import { T } from './texts.ts';
import { ConfirmDelete } from './confirm-delete.tsx';
import { useLatestList } from './latest-list.ts';
import { FIELDS } from './form-limits.ts';

export interface User { id: string; login: string; displayName: string }
export interface Role { id: string; name: string; permissions?: string[] }
type Assignment = { roleId: string; siteId: string | null };
/** The signed-in principal (GET /api/auth/me). */
type Me = { id: string; assignments: Assignment[] };

/** Whether `me` may erase a person: privacy.admin deployment-wide (an assignment on every site), as the erase route asks. */
export function mayErase(me: Me, roles: Role[]): boolean {
  return me.assignments.some((a) => a.siteId === null && (roles.find((r) => r.id === a.roleId)?.permissions ?? []).includes('privacy.admin'));
}

const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');

function UserRow(props: { user: User; assignments: Assignment[]; sites: Site[]; roleName: (r: Role) => string; roles: Role[]; changed: () => Promise<void>; me: string | null; erase: ((u: User) => Promise<unknown>) | undefined }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  const u = props.user;
  const role = (id: string) => props.roles.find((r) => r.id === id) ?? { id, name: id };
  const siteName = (id: string | null) => (id === null ? t('everySite') : props.sites.find((s) => s.id === id)?.name ?? id);
  const remove = (a: Assignment) => feedback.run(async () => {
    await api('DELETE', `/api/users/${u.id}/roles`, a);
    await props.changed();
  }, () => t('roleRemoved', { login: u.login, role: props.roleName(role(a.roleId)) }));
  return (
    <tr data-user={u.login}>
      <td data-user-text>{u.login}</td><td data-user-text>{u.displayName}</td>
      <td>{props.assignments.length === 0 ? t('noRoles') : (
        <ul class="roles">{props.assignments.map((a) => {
          const words = { role: props.roleName(role(a.roleId)), site: siteName(a.siteId) };
          return (
            <li key={`${a.roleId}@${a.siteId ?? '*'}`} data-role={a.roleId} data-site={a.siteId ?? ''}>{t('roleAt', words)}
              {' '}<button type="button" aria-label={t('removeRoleLabel', { ...words, login: u.login })} onClick={() => void remove(a)}>{t('removeRole')}</button></li>
          );
        })}</ul>
      )}<FeedbackLine of={feedback} /></td>
      {props.erase && <td class="controls">{u.id === props.me ? <span>{t('ownAccount')}</span>
        : <ConfirmDelete verb="erase" what={t('userLabel', { login: u.login })} onDelete={() => props.erase!(u)} />}</td>}
    </tr>
  );
}

export function UsersSection(props: { site: string; sites: Site[]; users: User[]; roles: Role[]; roleName: (r: Role) => string; roleIsData: (r: { id: string }) => true | undefined; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const created = useFeedback();
  const assigned = useFeedback();
  const erased = useFeedback();
  /** The signed-in user: the page offers no erasing of one's own account (the gateway refuses it too), nor any without privacy.admin. */
  const [me, setMe] = useState<Me | null>(null);
  useEffect(() => { void api<Me>('GET', '/api/auth/me').then(setMe, () => undefined); }, []);
  const canErase = me === null || props.roles.length === 0 ? undefined : mayErase(me, props.roles);
  const erase = (u: User) => erased.run(async () => {
    await api('POST', `/api/privacy/subjects/user/${encodeURIComponent(u.id)}/erase`);
    await props.reload();
  }, () => t('userErased', { login: u.login }));
  // Loaded after an action, a users list that changed, a live change: only the answers asked for last are shown
  // (an older load finishing later put back the roles from before an assignment, for good).
  const [assignments, loadLatestAssignments] = useLatestList<Record<string, Assignment[]>>({});
  const loadAssignments = () => loadLatestAssignments(Promise.all(props.users.map(async (u) => [u.id, await api<Assignment[]>('GET', `/api/users/${u.id}/roles`)] as const))
    .then((pairs) => Object.fromEntries(pairs)));
  useEffect(() => { void loadAssignments().catch(() => undefined); }, [props.users]);

  const create = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    const login = value(f, 'login').trim().toLowerCase();
    void created.run(async () => {
      await api('POST', '/api/users', { login, displayName: value(f, 'display').trim(), password: value(f, 'password') });
      f.reset();
      await props.reload();
    }, () => t('userCreated', { login }));
  };
  const assign = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    const user = props.users.find((u) => u.id === value(f, 'user'));
    const role = props.roles.find((r) => r.id === value(f, 'role'));
    if (!user || !role) return;
    void assigned.run(async () => {
      await api('POST', `/api/users/${user.id}/roles`, { roleId: role.id, siteId: value(f, 'scope') || null });
      await loadAssignments();
    }, () => t('roleAssigned', { login: user.login, role: props.roleName(role) }));
  };
  return (
    <section class="card" id="section-users" aria-labelledby="users-heading"><h2 id="users-heading">{t('users')}</h2>
      {/* data-erase: whether the Actions column (erasing) is offered, once the signed-in user is known. */}
      <table data-erase={canErase === undefined ? undefined : String(canErase)}>
        <thead><tr><th>{t('login')}</th><th>{t('displayName')}</th><th>{t('roles')}</th>{canErase && <th>{t('actions')}</th>}</tr></thead>
        <tbody>{props.users.map((u) => (
          <UserRow key={u.id} user={u} assignments={assignments[u.id] ?? []} sites={props.sites} roles={props.roles} roleName={props.roleName} changed={loadAssignments} me={me?.id ?? null} erase={canErase ? erase : undefined} />
        ))}</tbody>
      </table>
      <FeedbackLine of={erased} />
      <form class="toolbar" onSubmit={assign} aria-label={t('assignRole')}>
        <label>{t('login')} <select name="user" aria-label={t('login')}>{props.users.map((u) => <option value={u.id} key={u.id} data-user-text>{u.login}</option>)}</select></label>
        <label>{t('group')} <select name="role" aria-label={t('group')}>{props.roles.map((r) => <option value={r.id} key={r.id} data-user-text={props.roleIsData(r)}>{props.roleName(r)}</option>)}</select></label>
        <label>{t('appliesTo')} <select name="scope" aria-label={t('appliesTo')} key={props.site}>
          {/* The site on view is chosen by its option (a select's defaultValue is no DOM property in Preact). */}
          {props.sites.map((s) => <option value={s.id} key={s.id} selected={s.id === props.site} data-user-text>{s.name}</option>)}
          <option value="">{t('everySite')}</option>
        </select></label>
        <button type="submit">{t('assign')}</button>
      </form>
      <FeedbackLine of={assigned} />
      <form class="toolbar" onSubmit={create} aria-label={t('newUser')}>
        <input name="login" aria-label={t('login')} placeholder={t('login')} {...FIELDS.login} title={refusalText({ code: 'invalid', reason: 'user.login-format' }, lang())} required />
        <input name="display" aria-label={t('displayName')} placeholder={t('displayName')} {...FIELDS.displayName} required />
        <input name="password" type="password" autoComplete="new-password" aria-label={t('password')} placeholder={t('password')} {...FIELDS.newPassword} title={t('passwordRule', { limit: FIELDS.newPassword.minLength ?? 0 })} required />
        <button type="submit">{t('create')}</button>
      </form>
      <FeedbackLine of={created} />
    </section>
  );
}
