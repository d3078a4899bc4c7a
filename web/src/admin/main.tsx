// The admin page (/admin): open alerts (alerts.tsx), sites, phone book (with CSV import), terminals
// (terminals.tsx), devices (devices.tsx), cards (cards.tsx), rules (rules.tsx),
// users and their roles (users.tsx), running calls and the reception queue. Every action goes
// through the admin API and its permissions.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { Login } from '../lib/login.tsx';
import { installFormMessages } from '../lib/form-check.ts';
import { Shell } from '../lib/ui.tsx';
import { CardsSection } from './cards.tsx';
import { PhonebookSection } from './phonebook-section.tsx';
import { SiteEditor } from './site-editor.tsx';
import { AuditSection } from './audit.tsx';
import { RulesSection } from './rules.tsx';
import { CallQualitySection } from './call-quality.tsx';
import { AlertsSection, useOpenAlerts } from './alerts.tsx';
import { WelcomeSection } from './welcome-screen.tsx';
import { TerminalsSection } from './terminals.tsx';
import { DoorStationsSection } from './door-stations.tsx';
import { DevicesSection } from './devices.tsx';
import { UsersSection } from './users.tsx';
import { SipAccountsSection } from './sip-accounts.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';
import { AdminLive, LiveContext, changeMark, useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';
import { SITE_LISTS, useLoadFailures, type ListName } from './load-failures.ts';

const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');
/** The seeded roles by their display names; roles an admin added keep their own name (user data). */
const ROLES = { admin: 'roleAdmin', reception: 'roleReception', host: 'roleHost' } as const;
/** Each list by its name in a load failure. */
const LIST_WORDS: Record<ListName, keyof typeof T> = {
  sites: 'sitesList', users: 'usersList', roles: 'roles', terminals: 'terminals', phonebook: 'phonebook', doors: 'doors', devices: 'devices',
};
/** A running call's step as words. */
const STEPS = {
  ringing: 'stepRinging', queued: 'stepQueued', answered: 'stepAnswered', transferring: 'stepTransferring', 'on-hold': 'stepOnHold', ended: 'stepEnded',
} as const;

function Admin() {
  const t = useTexts(T);
  /** A kind as a word; one this page does not know yet as it is. */
  const kindName = (words: Readonly<Record<string, keyof typeof T>>, kind: string) => (words[kind] ? t(words[kind]) : kind);
  const refusal = useRefusal();
  /** A role by its display name; one an admin added by the name it was given (marked as user data). */
  const roleName = (r: { id: string; name: string }) => (Object.hasOwn(ROLES, r.id) ? t(ROLES[r.id as keyof typeof ROLES]) : r.name);
  const roleIsData = (r: { id: string }) => (Object.hasOwn(ROLES, r.id) ? undefined : true);
  // Lists loaded from several places at once (the first load, an action's reload, a live change): the answer asked for last wins.
  const [sites, loadSites] = useLatestList<any[]>([]);
  const [site, setSite] = useState('');
  const [entries, loadEntries] = useLatestList<any[]>([]);
  const [terminals, loadTerminals] = useLatestList<any[]>([]);
  const [doors, loadDoors] = useLatestList<any[]>([]);
  const [users, loadUsers] = useLatestList<any[]>([]);
  const [roles, loadRoles] = useLatestList<any[]>([]);
  const [calls, loadLatestCalls] = useLatestList<{ active: any[]; queue: string[] }>({ active: [], queue: [] });
  const [devices, loadDevices] = useLatestList<any[]>([]);
  /** An action's last refusal, kept as it came so it is shown in the page's language. */
  const [refused, setRefused] = useState<unknown>(null);
  // Each list's load failure, until that list loads again (a load never takes an action's refusal away, nor another list's failure).
  const loads = useLoadFailures();
  const show = loads.show;
  // The alerts' section and its link in the navigation are shown or left out together (null: no report.read anywhere).
  const alerts = useOpenAlerts();

  /** An admin's action: the last refusal goes, this one's shows. */
  const report = (p: Promise<unknown>) => { setRefused(null); return p.catch((e: unknown) => { setRefused(e); }); };
  // `chosen`: the site whose lists to load ('' at the first load: the first site).
  const loadFor = async (chosen: string) => {
    const listed = api<any[]>('GET', '/api/sites');
    // Without the site list the first load has no site to load for: a refused one shows its refusal, and nothing more is asked for.
    const s = await show('sites', loadSites(listed).then(() => listed));
    if (!s) return;
    const current = chosen || s[0]?.id || '';
    setSite(current);
    await show('users', loadUsers(api<any[]>('GET', '/api/users')));
    await show('roles', loadRoles(api<any[]>('GET', '/api/roles')));
    await show('terminals', loadTerminals(api<any[]>('GET', '/api/terminals')));
    if (current) {
      // Each list on its own: an admin without the right to one still sees the others.
      await show('phonebook', loadEntries(api<any[]>('GET', `/api/sites/${current}/phonebook`)));
      await show('doors', loadDoors(api<any[]>('GET', `/api/sites/${current}/doors`)));
      await show('devices', loadDevices(api<any[]>('GET', `/api/devices?siteId=${encodeURIComponent(current)}`)));
    }
  };
  /**
   * The lists of the site shown, again: what the sections get after an action. It takes no argument — they hand it to
   * `.then()`, and a revoke's answer (its credential) became the site, "[object Object]" (review s29 #2).
   */
  const reload = () => loadFor(site);
  // The first load, once: a change of site reloads for that site (changeSite). Run again by [site], the first
  // load's own setSite asked for every list twice (review s27 #5 c).
  useEffect(() => { void loadFor(''); }, []);
  // An action's refusal was about the site it was made on: it goes with it (it stayed, under the other site's lists: review s27 #5 d);
  // so do the failures of the site's lists before.
  const changeSite = (chosen: string) => { setSite(chosen); setRefused(null); loads.forget(SITE_LISTS); void loadFor(chosen); };
  const loadCalls = () => (site ? loadLatestCalls(api('GET', `/api/sites/${site}/calls`)) : undefined);
  useEffect(() => { void loadCalls()?.catch(() => undefined); }, [site]);
  // Live updates (admin.changed): each section refetches only itself; a list loaded again loses its failure, a refusal stays the action's.
  useLive('calls', site, loadCalls);
  useLive('sites', undefined, async () => {
    await show('sites', loadSites(api<any[]>('GET', '/api/sites')));
    if (site) await show('doors', loadDoors(api<any[]>('GET', `/api/sites/${site}/doors`)));
  });
  useLive('users', undefined, async () => { await show('users', loadUsers(api<any[]>('GET', '/api/users'))); await show('roles', loadRoles(api<any[]>('GET', '/api/roles'))); });
  useLive('terminals', undefined, () => show('terminals', loadTerminals(api<any[]>('GET', '/api/terminals'))));
  useLive('phonebook', site, () => site && show('phonebook', loadEntries(api<any[]>('GET', `/api/sites/${site}/phonebook`))));
  useLive('devices', site, () => site && show('devices', loadDevices(api<any[]>('GET', `/api/devices?siteId=${encodeURIComponent(site)}`))));

  const submit = (fn: (f: HTMLFormElement) => Promise<unknown>) => (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    void report(fn(f).then(() => { f.reset(); return reload(); }));
  };

  return (
    <Shell title={t('title')}>
      {refused !== null && <p class="banner warn" role="alert">{refusal(refused)}</p>}
      {loads.failed.map(({ list, error }) => <p key={list} class="banner warn" role="alert">{t('notLoaded', { list: t(LIST_WORDS[list]), reason: refusal(error) })}</p>)}
      <nav class="sections" aria-label={t('sections')}>
        {alerts !== null && <a href="#section-alerts">{t('alerts')}</a>}
        {([['section-site', 'navSite'], ['section-calls', 'calls'], ['section-phonebook', 'phonebook'], ['section-terminals', 'terminals'], ['section-door-stations', 'doorStations'], ['section-devices', 'devices'], ['section-sip', 'sipAccounts'],
          ['cards-heading', 'cards'], ['rules-heading', 'rules'], ['section-users', 'users'], ['section-audit', 'audit']] as const).map(([id, word]) => <a key={id} href={`#${id}`}>{t(word)}</a>)}
      </nav>
      <AlertsSection alerts={alerts} />
      <section class="card" id="section-site">
        <label for="site">{t('site')}</label>
        <select id="site" value={site} onChange={(e) => changeSite((e.target as HTMLSelectElement).value)}>
          {sites.map((s) => <option value={s.id} key={s.id} data-user-text>{s.name}</option>)}
        </select>
        <form onSubmit={submit((f) => api('POST', '/api/sites', { id: value(f, 'id'), name: value(f, 'name'), timeZone: value(f, 'tz') }))}>
          <fieldset><legend>{t('newSite')}</legend>
            <input name="id" aria-label={t('siteId')} {...FIELDS.siteId} title={t('idRule')} required /><input name="name" aria-label={t('name')} {...FIELDS.siteName} required />
            <input name="tz" aria-label={t('timeZone')} defaultValue="Europe/Berlin" {...FIELDS.timeZone} required />
            <button type="submit">{t('create')}</button></fieldset>
        </form>
        {sites.find((s) => s.id === site) && <SiteEditor site={sites.find((s) => s.id === site)} doors={doors} reload={reload} />}
      </section>
      <section class="card" id="section-calls"><h2>{t('calls')}</h2>
        {calls.active.length === 0 ? <p>{t('noCalls')}</p> : <ul>{calls.active.map((c) => <li key={c.id}><code data-user-text>{c.id.slice(0, 8)}</code> – {kindName(STEPS, c.step.step)}</li>)}</ul>}
        <p>{t('queueLength', { n: calls.queue.length })}</p>
      </section>
      {site && <CallQualitySection site={site} />}
      {site && <PhonebookSection site={site} entries={entries} users={users} roles={roles} roleName={roleName} roleIsData={roleIsData} reload={reload} />}
      <TerminalsSection site={site} sites={sites} doors={doors} terminals={terminals} reload={reload} />
      {site && <DoorStationsSection site={site} doors={doors} entries={entries} />}
      <DevicesSection site={site} sites={sites} doors={doors} devices={devices} reload={reload} />
      {site && <SipAccountsSection site={site} />}
      {site && <WelcomeSection site={site} />}
      {site && <CardsSection site={site} doors={doors} />}
      {site && <RulesSection site={site} devices={devices} />}
      <UsersSection site={site} sites={sites} users={users} roles={roles} roleName={roleName} roleIsData={roleIsData} reload={reload} />
      <AuditSection users={users} />
    </Shell>
  );
}

async function main() {
  const root = document.getElementById('app')!;
  installFormMessages();
  const signIn = () => render(<Shell title="Portier"><Login /></Shell>, root);
  let since: string | null;
  try { since = await changeMark(); } catch { signIn(); return; }
  // The gateway ended the live socket: when the session is gone too, back to sign-in.
  const live: AdminLive = new AdminLive(() => void api('GET', '/api/auth/me').catch(() => { live.close(); signIn(); }), since);
  render(<LiveContext.Provider value={live}><Admin /></LiveContext.Provider>, root);
}

void main();
