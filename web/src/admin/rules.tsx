// The admin page's rules section: a site's rules (edited here, source `store`, or
// read-only seeds from config/rules/, source `file`), a JSON editor that shows the
// gateway's validation error as it is, deletion, each rule's versions, and the dry run.
import { useEffect, useRef, useState } from 'preact/hooks';
import type { RuleVersion, StoredRule } from '../../../src/device-hub/index.ts';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { DryRun } from './dry-run.tsx';
import { T } from './texts.ts';

const json = (value: unknown) => JSON.stringify(value, null, 2);

/** What the editor starts with for a new rule: valid, so it shows the shape. */
const template = (site: string) => json({
  id: 'new-rule', site, description: '', enabled: true,
  trigger: { topic: `portier/${site}/+/event`, when: { type: 'button' } },
  actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Taster gedrückt', en: 'Button pressed' } }],
});

export function RulesSection(props: { site: string; devices: Array<{ id: string }> }) {
  const t = useTexts(T);
  const [rules, setRules] = useState<StoredRule[]>([]);
  /** The rule in the editor; null: a new one. */
  const [open, setOpen] = useState<StoredRule | null>(null);
  const [text, setText] = useState('');
  const [saveError, setSaveError] = useState('');
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [versions, setVersions] = useState<{ id: string; list: RuleVersion[] } | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);

  const load = () => api<StoredRule[]>('GET', `/api/rules?siteId=${encodeURIComponent(props.site)}`).then(setRules);
  const attempt = (work: Promise<unknown>) => {
    setError('');
    return work.catch((e: Error) => setError(e.message));
  };
  const edit = (rule: StoredRule | null, focus = true) => {
    setOpen(rule);
    setText(rule ? json(rule.definition) : template(props.site));
    setSaveError('');
    setNotice('');
    if (focus) editor.current?.focus();
  };
  useEffect(() => {
    setRules([]);
    setVersions(null);
    edit(null, false);
    if (props.site) void attempt(load());
  }, [props.site]);

  const readOnly = open?.source === 'file';
  const save = async (e: Event) => {
    e.preventDefault();
    setSaveError('');
    setNotice('');
    let definition: unknown;
    try { definition = JSON.parse(text); } catch (err) { setSaveError(t('notJson', { why: (err as Error).message })); return; }
    try {
      const saved = await api<StoredRule>('PUT', '/api/rules', definition);
      setOpen(saved);
      setText(json(saved.definition));
      setNotice(t('ruleSaved', { id: saved.id, version: saved.version }));
      await load();
    } catch (err) {
      // The gateway names the field and the problem: shown as it is.
      setSaveError((err as Error).message);
    }
  };
  const remove = (rule: StoredRule) => attempt(api('DELETE', `/api/rules/${encodeURIComponent(rule.id)}`).then(async () => {
    if (open?.id === rule.id) edit(null, false);
    if (versions?.id === rule.id) setVersions(null);
    await load();
  }));
  const showVersions = (id: string) => attempt(api<RuleVersion[]>('GET', `/api/rules/${encodeURIComponent(id)}/versions`).then((list) => setVersions({ id, list })));

  return (
    <section class="card" aria-labelledby="rules-heading">
      <h2 id="rules-heading">{t('rules')}</h2>
      {rules.length === 0 ? <p>{t('noRules')}</p> : (
        <table>
          <thead><tr><th>{t('ruleId')}</th><th>{t('source')}</th><th>{t('version')}</th><th>{t('enabled')}</th><th>{t('actions')}</th></tr></thead>
          <tbody>{rules.map((r) => (
            <tr key={r.id}>
              <td>{r.id}{r.definition.description ? ` – ${r.definition.description}` : ''}</td>
              <td>{r.source}{r.file ? ` (${r.file})` : ''}</td><td>{r.version}</td><td>{r.enabled ? t('yes') : t('no')}</td>
              <td><div class="controls">
                <button type="button" aria-label={`${r.source === 'file' ? t('view') : t('edit')}: ${r.id}`} onClick={() => edit(r)}>{r.source === 'file' ? t('view') : t('edit')}</button>
                <button type="button" aria-label={`${t('versions')}: ${r.id}`} onClick={() => void showVersions(r.id)}>{t('versions')}</button>
                {r.source === 'store' && <ConfirmDelete what={t('ruleLabel', { id: r.id })} onDelete={() => remove(r)} />}
              </div></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {error && <p role="alert" class="error">{error}</p>}

      {versions && <Versions id={versions.id} list={versions.list} />}

      <form onSubmit={(e) => void save(e)}>
        <h3>{open ? (readOnly ? t('viewRule', { id: open.id, file: open.file ?? '' }) : t('editRule', { id: open.id })) : t('newRule')}</h3>
        <label for="rule-json">{t('ruleJson')}</label>
        <textarea id="rule-json" ref={editor} class="code" rows={16} spellcheck={false} readOnly={readOnly}
          aria-describedby={saveError ? 'rule-error' : undefined} aria-invalid={saveError ? true : undefined}
          value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <div class="controls">
          {!readOnly && <button type="submit" class="primary">{t('saveRule')}</button>}
          <button type="button" onClick={() => edit(null)}>{t('newRule')}</button>
        </div>
        {saveError && <p id="rule-error" role="alert" class="error">{saveError}</p>}
        {notice && <p role="status">{notice}</p>}
      </form>

      <DryRun site={props.site} devices={props.devices} />
    </section>
  );
}

function Versions(props: { id: string; list: RuleVersion[] }) {
  const t = useTexts(T);
  return (
    <section aria-labelledby="rule-versions-heading">
      <h3 id="rule-versions-heading">{t('versionsOf', { id: props.id })}</h3>
      <ol>{props.list.map((v) => (
        <li key={v.version}>
          {t('version')} {v.version} – {new Date(v.at).toLocaleString(lang())} – {t('by', { actor: `${v.actor.type}${v.actor.id ? ` ${v.actor.id}` : ''}` })}
          {v.definition === null ? ` – ${t('deleted')}` : <details><summary>JSON</summary><pre>{json(v.definition)}</pre></details>}
        </li>
      ))}</ol>
    </section>
  );
}
