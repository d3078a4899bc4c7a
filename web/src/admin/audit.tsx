// The audit log for an admin (GET /api/audit, permission audit.read): newest
// first, filtered by who acted (a user), what (an action key) and a time span,
// paged by sequence number ("older entries" continues after the last one shown).
import { useEffect, useState } from 'preact/hooks';
import { useLive } from './live.tsx';
import { api } from '../lib/api.ts';
import { lang, useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

/** actor_erased / target_erased: a person the entry named was erased, their pseudonym key is gone (docs/privacy.md). */
type AuditRow = { seq: number; at: number; actor_type: string; actor_id: string | null; action: string; target_type: string | null; target_id: string | null; outcome: string; site_id: string | null; actor_erased?: boolean; target_erased?: boolean };
type Filter = { actorId: string; action: string; since: string; until: string };
const PAGE = 50;
const OUTCOMES = { ok: 'auditOk', denied: 'auditDenied', failed: 'auditFailed' } as const;
const ACTORS = { user: 'auditByUser', credential: 'auditByCredential', system: 'auditBySystem', participant: 'auditByParticipant' } as const;

/** The query string of a page: the filter, and the page's start (entries older than `beforeSeq`). */
function query(f: Filter, beforeSeq?: number): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  if (f.actorId) q.set('actorId', f.actorId);
  if (f.action.trim()) q.set('action', f.action.trim());
  if (f.since) q.set('since', String(new Date(f.since).getTime()));
  if (f.until) q.set('until', String(new Date(f.until).getTime()));
  if (beforeSeq !== undefined) q.set('beforeSeq', String(beforeSeq));
  return q.toString();
}

export function AuditSection(props: { users: Array<{ id: string; login: string }> }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [filter, setFilter] = useState<Filter>({ actorId: '', action: '', since: '', until: '' });
  const [rows, setRows] = useState<AuditRow[]>([]);
  const [more, setMore] = useState(false);
  const [failure, setFailure] = useState<unknown>(null);
  const load = async (f: Filter, after?: AuditRow[]) => {
    setFailure(null);
    try {
      const page = await api<AuditRow[]>('GET', `/api/audit?${query(f, after?.at(-1)?.seq)}`);
      setRows([...(after ?? []), ...page]);
      setMore(page.length === PAGE);
    } catch (error) { setFailure(error); }
  };
  useEffect(() => { void load(filter); }, []);
  // New entries (admin.changed audit) refresh the first page; further pages the reader opened stay as they are.
  useLive('audit', undefined, () => (rows.length <= PAGE ? load(filter) : undefined));
  const login = (id: string | null) => props.users.find((u) => u.id === id)?.login;
  const apply = (e: Event) => {
    e.preventDefault();
    const data = new FormData(e.target as HTMLFormElement);
    const f = { actorId: String(data.get('actor') ?? ''), action: String(data.get('action') ?? ''), since: String(data.get('since') ?? ''), until: String(data.get('until') ?? '') };
    setFilter(f);
    void load(f);
  };
  return (
    <section class="card" id="section-audit" aria-labelledby="audit-heading"><h2 id="audit-heading">{t('audit')}</h2>
      <form class="toolbar" onSubmit={apply} aria-label={t('auditFilter')}>
        <label>{t('auditActor')} <select name="actor"><option value="">{t('auditEveryone')}</option>{props.users.map((u) => <option key={u.id} value={u.id} data-user-text>{u.login}</option>)}</select></label>
        <label>{t('auditAction')} <input name="action" /></label>
        <label>{t('auditSince')} <input name="since" type="datetime-local" /></label>
        <label>{t('auditUntil')} <input name="until" type="datetime-local" /></label>
        <button type="submit" class="primary">{t('auditApply')}</button>
      </form>
      {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      {rows.length === 0 ? <p>{t('auditNone')}</p> : (
        <table>
          <thead><tr><th scope="col">{t('auditWhen')}</th><th scope="col">{t('auditActor')}</th><th scope="col">{t('auditAction')}</th><th scope="col">{t('auditTarget')}</th><th scope="col">{t('auditOutcome')}</th></tr></thead>
          <tbody>{rows.map((r) => (
            <tr key={r.seq} data-seq={r.seq} data-action={r.action}>
              <td><time dateTime={new Date(r.at).toISOString()}>{new Date(r.at).toLocaleString(lang())}</time></td>
              <td>{r.actor_erased ? <em data-erased="actor">{t('auditErasedSubject')}</em> : login(r.actor_id) ? <span data-user-text>{login(r.actor_id)}</span> : t(ACTORS[r.actor_type as keyof typeof ACTORS] ?? 'auditBySystem')}</td>
              {/* Action keys and ids are identifiers (what an integrator filters for), shown as they are. */}
              <td><code data-user-text>{r.action}</code></td>
              <td>{r.target_type && (r.target_erased
                ? <><code data-user-text>{r.target_type}</code> <em data-erased="target">{t('auditErasedSubject')}</em></>
                : <code data-user-text>{`${r.target_type} ${r.target_id ?? ''}`}</code>)}</td>
              <td>{t(OUTCOMES[r.outcome as keyof typeof OUTCOMES] ?? 'auditFailed')}</td>
            </tr>))}</tbody>
        </table>
      )}
      {more && <button type="button" data-action="older" onClick={() => void load(filter, rows)}>{t('auditOlder')}</button>}
    </section>
  );
}
