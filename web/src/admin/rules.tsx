// The admin page's rules section: a site's rules (edited here, source `store`, or
// read-only seeds from config/rules/, source `file`), a JSON editor that shows the
// gateway's validation error as it is, deletion, each rule's versions, and the dry run.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';
import type { RuleVersion, StoredRule } from '../../../src/device-hub/index.ts';
import { api } from '../lib/api.ts';
import { lang, useRefusal, useTexts } from '../lib/i18n.tsx';
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
  const refusal = useRefusal();
  // Loaded on a site's choice, after a save and on a live change: the answer asked for last wins.
  const [rules, loadRules, setRules] = useLatestList<StoredRule[]>([]);
  /** The rule in the editor; null: a new one. */
  const [open, setOpen] = useState<StoredRule | null>(null);
  const [text, setText] = useState('');
  /** Refusals as they came (shown in the page's language); a JSON syntax error as its text. */
  const [saveError, setSaveError] = useState<unknown>(null);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const [versions, setVersions] = useState<{ id: string; list: RuleVersion[] } | null>(null);
  const editor = useRef<HTMLTextAreaElement>(null);

  const load = () => loadRules(api<StoredRule[]>('GET', `/api/rules?siteId=${encodeURIComponent(props.site)}`));
  useLive('rules', props.site, load);
  const attempt = (work: Promise<unknown>) => {
    setError(null);
    return work.catch((e: unknown) => setError(e));
  };
  const edit = (rule: StoredRule | null, focus = true) => {
    setOpen(rule);
    setText(rule ? json(rule.definition) : template(props.site));
    setSaveError(null);
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
    setSaveError(null);
    setNotice('');
    let definition: unknown;
    try { definition = JSON.parse(text); } catch { setSaveError({ code: 'invalid', reason: 'request.not-json' }); return; }
    try {
      const saved = await api<StoredRule>('PUT', '/api/rules', definition);
      setOpen(saved);
      setText(json(saved.definition));
      setNotice(t('ruleSaved', { id: saved.id, version: saved.version }));
      await load();
    } catch (err) {
      // The gateway names the field and the problem (reason and parameters): said in the page's language.
      setSaveError(err);
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
              <td><span data-user-text>{r.id}</span>{r.definition.description ? <> – <span data-user-text>{r.definition.description}</span></> : ''}</td>
              <td>{r.source === 'file' ? t('sourceFile') : t('sourceStore')}{r.file ? <> (<span data-user-text>{r.file}</span>)</> : ''}</td><td>{r.version}</td><td>{r.enabled ? t('yes') : t('no')}</td>
              <td><div class="controls">
                <button type="button" aria-label={t(r.source === 'file' ? 'viewLabel' : 'editLabel', { id: r.id })} onClick={() => edit(r)}>{r.source === 'file' ? t('view') : t('edit')}</button>
                <button type="button" aria-label={t('versionsLabel', { id: r.id })} onClick={() => void showVersions(r.id)}>{t('versions')}</button>
                {r.source === 'store' && <ConfirmDelete what={t('ruleLabel', { id: r.id })} onDelete={() => remove(r)} />}
              </div></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {error !== null && <p role="alert" class="error">{refusal(error)}</p>}

      {versions && <Versions id={versions.id} list={versions.list} />}

      <form onSubmit={(e) => void save(e)}>
        <h3>{open ? (readOnly ? t('viewRule', { id: open.id, file: open.file ?? '' }) : t('editRule', { id: open.id })) : t('newRule')}</h3>
        <label for="rule-json">{t('ruleJson')}</label>
        <textarea id="rule-json" ref={editor} class="code" rows={16} spellcheck={false} readOnly={readOnly}
          aria-describedby={saveError !== null ? 'rule-error' : undefined} aria-invalid={saveError !== null ? true : undefined}
          value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        <div class="controls">
          {!readOnly && <button type="submit" class="primary">{t('saveRule')}</button>}
          <button type="button" onClick={() => edit(null)}>{t('newRule')}</button>
        </div>
        {saveError !== null && <p id="rule-error" role="alert" class="error">{refusal(saveError)}</p>}
        {notice && <p role="status">{notice}</p>}
      </form>

      <DryRun site={props.site} devices={props.devices} />
    </section>
  );
}

function Versions(props: { id: string; list: RuleVersion[] }) {
  const t = useTexts(T);
  /** Who wrote a version: a user by id, the system as a word. */
  const actorName = (a: { type: string; id: string | null }) =>
    (a.type === 'system' ? t('actorSystem') : t(a.type === 'user' ? 'actorUser' : 'actorCredential', { id: a.id ?? '' }));
  return (
    <section aria-labelledby="rule-versions-heading">
      <h3 id="rule-versions-heading">{t('versionsOf', { id: props.id })}</h3>
      <ol>{props.list.map((v) => (
        <li key={v.version}>
          {t('version')} {v.version} – <time>{new Date(v.at).toLocaleString(lang())}</time> – {t('by', { actor: actorName(v.actor) })}
          {v.definition === null ? ` – ${t('deleted')}` : <details><summary>{t('json')}</summary><pre data-user-text>{json(v.definition)}</pre></details>}
        </li>
      ))}</ol>
    </section>
  );
}
