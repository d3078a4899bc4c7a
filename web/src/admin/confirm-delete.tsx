// A delete button that asks first, in place (no browser dialog, which screen
// readers and kiosk browsers handle poorly): focus moves to the question and back.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

/**
 * `what` names the object in a sentence ("the card of visit-42"); `onDelete` reports its own errors.
 * `verb` revoke: the same question for a credential (a terminal), with "Revoke" words.
 */
export function ConfirmDelete(props: { what: string; onDelete: () => Promise<unknown>; verb?: 'delete' | 'revoke' }) {
  const t = useTexts(T);
  const [asking, setAsking] = useState(false);
  const revoking = props.verb === 'revoke';
  const asked = useRef(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (asked.current) start.current?.focus();
    asked.current = asking;
  }, [asking]);

  if (!asking) {
    return <button ref={start} type="button" aria-label={t(revoking ? 'revokeLabel' : 'removeLabel', { what: props.what })} onClick={() => setAsking(true)}>{t(revoking ? 'revoke' : 'remove')}</button>;
  }
  const question = t(revoking ? 'confirmRevoke' : 'confirmDelete', { what: props.what });
  return (
    <span role="group" aria-label={question} onKeyDown={(e) => { if (e.key === 'Escape') setAsking(false); }}>
      <span>{question} </span>
      <button ref={confirm} type="button" class="danger" onClick={() => void props.onDelete().finally(() => setAsking(false))}>{t(revoking ? 'confirmRevokeYes' : 'confirmYes')}</button>
      <button type="button" onClick={() => setAsking(false)}>{t('cancel')}</button>
    </span>
  );
}
