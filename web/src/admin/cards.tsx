// The admin page's cards section: a site's employee cards and visitor badges,
// listed without their numbers (the gateway keeps only a keyed hash, so a number
// typed here is never shown again), added with a validity window and doors, deleted.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';
import type { Card } from '../../../src/device-hub/index.ts';
import { api } from '../lib/api.ts';
import { lang, useRefusal, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';

export interface Door { id: string; name: string }

/** A `datetime-local` value (the browser's time zone) as ms since the epoch; empty: no limit. */
const instant = (value: FormDataEntryValue | null): number | null => (value ? new Date(String(value)).getTime() : null);

/** ms since the epoch as a `datetime-local` value in the browser's time zone; null: empty. */
const localValue = (ms: number | null): string => (ms === null ? '' : new Date(ms - new Date(ms).getTimezoneOffset() * 60_000).toISOString().slice(0, 16));

/**
 * The gateway's own window rule, checked in the browser so the field is named in
 * the page's language: `validUntil` after `validFrom` when both are set.
 */
function checkWindow(form: HTMLFormElement, message: string): void {
  const f = new FormData(form);
  const from = instant(f.get('validFrom'));
  const until = instant(f.get('validUntil'));
  const field = form.elements.namedItem('validUntil') as HTMLInputElement;
  field.setCustomValidity(from !== null && until !== null && until <= from ? message : '');
}

/** One card changed in place: holder, validity (empty: no limit) and doors; its number stays. */
function CardEditor(props: { card: Card; doors: Door[]; done: (changed: boolean) => void }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [failure, setFailure] = useState<unknown>(null);
  const c = props.card;
  const check = (e: Event) => checkWindow((e.target as HTMLInputElement).form!, t('untilNotAfterFrom'));
  const save = async (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    checkWindow(form, t('untilNotAfterFrom'));
    if (!form.reportValidity()) return;
    const f = new FormData(form);
    const doors = f.getAll('doors').map(String);
    setFailure(null);
    try {
      await api('PATCH', `/api/cards/${c.id}`, {
        holderRef: String(f.get('holderRef')).trim(), validFrom: instant(f.get('validFrom')), validUntil: instant(f.get('validUntil')), doors: doors.length > 0 ? doors : null,
      });
      props.done(true);
    } catch (error) { setFailure(error); }
  };
  return (
    <tr data-editing={c.id}><td colSpan={8}>
      <form class="inline-edit" aria-label={t('editCard', { holder: c.holderRef })} onSubmit={(e) => void save(e)}>
        <label>{t('holderRef')} <input name="holderRef" aria-label={t('holderRef')} defaultValue={c.holderRef} {...FIELDS.holderRef} autoComplete="off" required /></label>
        <label>{t('validFrom')} <input name="validFrom" aria-label={t('validFrom')} type="datetime-local" defaultValue={localValue(c.validFrom)} onInput={check} /></label>
        <label>{t('validUntil')} <input name="validUntil" aria-label={t('validUntil')} type="datetime-local" defaultValue={localValue(c.validUntil)} onInput={check} /></label>
        <fieldset><legend>{t('doors')}</legend>
          <small>{t('doorsHint')}</small>
          {props.doors.map((d) => <label key={d.id}><input type="checkbox" name="doors" value={d.id} defaultChecked={c.doors?.includes(d.id) ?? false} /> <span data-user-text>{d.name}</span></label>)}
        </fieldset>
        <small>{t('windowHint')}</small>
        <button type="submit" class="primary">{t('save')}</button>
        <button type="button" onClick={() => props.done(false)}>{t('cancel')}</button>
        {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      </form>
    </td></tr>
  );
}

export function CardsSection(props: { site: string; doors: Door[] }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  // Loaded on a site's choice and on a live change: the answer asked for last wins (another site's, or an older one, never shows).
  const [cards, loadCards, setCards] = useLatestList<Card[]>([]);
  const [error, setError] = useState<unknown>(null);
  const [notice, setNotice] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  const load = () => loadCards(api<Card[]>('GET', `/api/cards?siteId=${encodeURIComponent(props.site)}`));
  const attempt = (work: Promise<unknown>) => {
    setError(null);
    return work.catch((e: unknown) => setError(e));
  };
  useEffect(() => {
    setCards([]);
    setNotice('');
    if (props.site) void attempt(load());
  }, [props.site]);
  useLive('cards', props.site, load);

  const when = (ms: number | null) => (ms === null ? t('always') : <time>{new Date(ms).toLocaleString(lang())}</time>);
  const doorNames = (ids: string[] | null) => (ids === null ? t('allDoors') : ids.map((id) => props.doors.find((d) => d.id === id)?.name ?? id).join(', '));

  const [editing, setEditing] = useState<string | null>(null);
  const add = (e: Event) => {
    e.preventDefault();
    const form = e.target as HTMLFormElement;
    checkWindow(form, t('untilNotAfterFrom'));
    if (!form.reportValidity()) return;
    const f = new FormData(form);
    const holderRef = String(f.get('holderRef'));
    const doors = f.getAll('doors').map(String);
    setNotice('');
    // Empty dates are sent as null: no limit on that side.
    void attempt(api('POST', '/api/cards', {
      siteId: props.site, card: String(f.get('card')), holderRef, kind: String(f.get('kind')),
      validFrom: instant(f.get('validFrom')), validUntil: instant(f.get('validUntil')), doors: doors.length > 0 ? doors : null,
    }).then(async () => {
      form.reset();
      setNotice(t('cardAdded', { holder: holderRef }));
      await load();
    }));
  };
  const remove = (card: Card) => attempt(api('DELETE', `/api/cards/${card.id}`).then(async () => {
    await load();
    heading.current?.focus();
  }));

  return (
    <section class="card" aria-labelledby="cards-heading">
      <h2 id="cards-heading" ref={heading} tabIndex={-1}>{t('cards')}</h2>
      {cards.length === 0 ? <p>{t('noCards')}</p> : (
        <table>
          <thead><tr>
            <th>{t('id')}</th><th>{t('holderRef')}</th><th>{t('cardKind')}</th><th>{t('validFrom')}</th><th>{t('validUntil')}</th>
            <th>{t('doors')}</th><th>{t('created')}</th><th>{t('actions')}</th>
          </tr></thead>
          <tbody>{cards.map((c) => (editing === c.id ? (
            <CardEditor key={c.id} card={c} doors={props.doors} done={(changed) => {
              setEditing(null);
              if (changed) void attempt(load().then(() => setNotice(t('saved'))));
            }} />
          ) : (
            <tr key={c.id}>
              <td><code title={c.id} data-user-text>{c.id.slice(0, 8)}</code></td><td data-user-text>{c.holderRef}</td><td>{t(c.kind)}</td>
              <td>{when(c.validFrom)}</td><td>{when(c.validUntil)}</td><td data-user-text={c.doors !== null || undefined}>{doorNames(c.doors)}</td><td>{when(c.createdAt)}</td>
              <td class="controls">
                <button type="button" aria-label={t('editCard', { holder: c.holderRef })} onClick={() => { setNotice(''); setEditing(c.id); }}>{t('edit')}</button>
                <ConfirmDelete what={t('cardLabel', { holder: c.holderRef })} onDelete={() => remove(c)} />
              </td>
            </tr>
          )))}</tbody>
        </table>
      )}
      <form onSubmit={add}>
        <fieldset><legend>{t('addCard')}</legend>
          <label for="card-number">{t('cardNumber')}</label>
          <input id="card-number" name="card" {...FIELDS.cardNumber} autoComplete="off" spellcheck={false} aria-describedby="card-number-hint" required />
          <small id="card-number-hint">{t('cardNumberHint')}</small>
          <label for="card-holder">{t('holderRef')}</label>
          <input id="card-holder" name="holderRef" {...FIELDS.holderRef} autoComplete="off" required />
          <label for="card-kind">{t('cardKind')}</label>
          <select id="card-kind" name="kind">
            <option value="employee">{t('employee')}</option>
            <option value="visitor">{t('visitor')}</option>
          </select>
          <label for="card-from">{t('validFrom')}</label>
          <input id="card-from" name="validFrom" type="datetime-local" aria-describedby="card-window-hint"
            onInput={(e) => checkWindow((e.target as HTMLInputElement).form!, t('untilNotAfterFrom'))} />
          <label for="card-until">{t('validUntil')}</label>
          <input id="card-until" name="validUntil" type="datetime-local" aria-describedby="card-window-hint"
            onInput={(e) => checkWindow((e.target as HTMLInputElement).form!, t('untilNotAfterFrom'))} />
          <small id="card-window-hint">{t('windowHint')}</small>
          <fieldset aria-describedby="card-doors-hint"><legend>{t('doors')}</legend>
            <small id="card-doors-hint">{t('doorsHint')}</small>
            {props.doors.map((d) => <label key={d.id}><input type="checkbox" name="doors" value={d.id} /> <span data-user-text>{d.name}</span></label>)}
          </fieldset>
          <button type="submit" class="primary">{t('addCard')}</button>
        </fieldset>
      </form>
      {notice && <p role="status">{notice}</p>}
      {error !== null && <p role="alert" class="error">{refusal(error)}</p>}
    </section>
  );
}
