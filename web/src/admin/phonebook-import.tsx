// The phone book's CSV import: the file goes to the gateway as it is (the gateway
// tells UTF-8 from Windows-1252/Latin-1, which File.text() would garble), and the
// result is shown next to the form — how many entries, how the file was read,
// and every refused row with its line and reason in the page's language.
import { useState } from 'preact/hooks';
import type { CsvEncoding, ImportReason, ImportResult, ImportRowError } from '../../../src/phonebook/index.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Outcome = ImportResult & { encoding: CsvEncoding };

const REASON: Record<ImportReason, keyof typeof T> = {
  'no-name-column': 'csvNoNameColumn', 'unknown-columns': 'csvUnknownColumns', kind: 'csvKind',
  'name-empty': 'csvNameEmpty', 'name-too-long': 'csvNameTooLong', 'unknown-user': 'csvUnknownUser',
  'unknown-group': 'csvUnknownGroup', 'no-route': 'csvNoRoute', 'leg-timeout': 'csvLegTimeout', 'invalid-entry': 'csvInvalidEntry',
};
const ENCODING: Record<CsvEncoding, string> = {
  'utf-8': 'UTF-8', 'utf-16le': 'UTF-16', 'utf-16be': 'UTF-16', 'windows-1252': 'Windows-1252 (Latin-1)',
};

export function PhonebookImport(props: { site: string; onImported: () => Promise<unknown> }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [outcome, setOutcome] = useState<Outcome | null>(null);
  /** A refusal of the whole file (its body, or a network error), shown in the page's language. */
  const [error, setError] = useState<unknown>(null);

  /** A refused row in the page's language; a reason this page does not know yet: the generic text with its reason. */
  const why = (e: ImportRowError) => (REASON[e.reason] ? t(REASON[e.reason], e.params) : refusal({ code: e.reason }));

  const submit = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    const file = (form.elements.namedItem('csv') as HTMLInputElement).files?.[0];
    if (!file) return;
    const skip = (form.elements.namedItem('skip') as HTMLInputElement).checked;
    setOutcome(null);
    setError(null);
    try {
      const res = await fetch(`/api/sites/${encodeURIComponent(props.site)}/phonebook/import${skip ? '?skipInvalid=true' : ''}`, {
        method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'text/csv' }, body: file,
      });
      const body = await res.json().catch(() => undefined) as (Outcome & { error?: string; reason?: string; params?: Record<string, string> }) | undefined;
      // 400 with per-row errors is an answer to show, not a failure to report.
      if (!body || !Array.isArray(body.errors)) { setError(body ?? { code: res.status >= 500 ? 'internal' : 'invalid' }); return; }
      setOutcome(body);
      if (body.imported > 0) {
        form.reset();
        await props.onImported();
      }
    } catch (err) {
      setError(err);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} aria-labelledby="csv-heading">
      <h3 id="csv-heading">{t('importCsv')}</h3>
      <label for="csv">{t('csvFile')}</label>
      <input id="csv" name="csv" type="file" accept=".csv,text/csv" aria-describedby="csv-hint" required />
      <small id="csv-hint">{t('csvHint')}</small>
      <label><input type="checkbox" name="skip" /> {t('skipInvalid')}</label>
      <div class="controls"><button type="submit">{t('importCsv')}</button></div>
      {outcome && (
        <p role="status">
          {t(outcome.imported === 1 ? 'imported1' : 'importedN', { n: outcome.imported })}
          {outcome.imported > 0 && outcome.skipped > 0 && ` ${t(outcome.skipped === 1 ? 'skipped1' : 'skippedN', { n: outcome.skipped })}`}
          {outcome.encoding !== 'utf-8' && ` ${t('csvReadAs', { encoding: ENCODING[outcome.encoding] })}`}
        </p>
      )}
      {outcome && outcome.errors.length > 0 && (
        <div role="alert" class="error">
          <p>{outcome.imported === 0 ? t('csvNothingImported') : t('csvRowsRefused')}</p>
          <ul>{outcome.errors.map((x) => <li key={`${x.line}/${x.field}/${x.reason}`}>{t('csvLine', { line: x.line })}: {why(x)}</li>)}</ul>
        </div>
      )}
      {error !== null && <p role="alert" class="error">{refusal(error)}</p>}
    </form>
  );
}
