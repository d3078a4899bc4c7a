// A delete (revoke, new secret) button that asks first, in place (no browser dialog, which screen
// readers and kiosk browsers handle poorly): focus moves to the question and back.
import { useEffect, useRef, useState } from 'preact/hooks';
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

/** The words of each kind of question: the button, its label, the question and the yes. */
const WORDS = {
  delete: { button: 'remove', label: 'removeLabel', question: 'confirmDelete', yes: 'confirmYes' },
  revoke: { button: 'revoke', label: 'revokeLabel', question: 'confirmRevoke', yes: 'confirmRevokeYes' },
  // A new secret ends a SIP door station's registration at once: asked like a deletion (review s21 #36).
  renew: { button: 'rotateSecret', label: 'renewLabel', question: 'confirmRenew', yes: 'confirmRenewYes' },
  // Erasing a person (privacy): the question says what goes.
  erase: { button: 'eraseUser', label: 'eraseUserLabel', question: 'confirmErase', yes: 'confirmEraseYes' },
} as const;

/**
 * `what` names the object in a sentence ("the card of visit-42"); `onDelete` reports its own errors.
 * `verb` revoke: the same question for a credential (a terminal), with "Revoke" words; renew: a new secret.
 */
export function ConfirmDelete(props: { what: string; onDelete: () => Promise<unknown>; verb?: keyof typeof WORDS }) {
  const t = useTexts(T);
  const [asking, setAsking] = useState(false);
  const words = WORDS[props.verb ?? 'delete'];
  const asked = useRef(false);
  const confirm = useRef<HTMLButtonElement>(null);
  const start = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (asking) confirm.current?.focus();
    else if (asked.current) start.current?.focus();
    asked.current = asking;
  }, [asking]);

  if (!asking) {
    return <button ref={start} type="button" aria-label={t(words.label, { what: props.what })} onClick={() => setAsking(true)}>{t(words.button)}</button>;
  }
  const question = t(words.question, { what: props.what });
  return (
    <span role="group" aria-label={question} onKeyDown={(e) => { if (e.key === 'Escape') setAsking(false); }}>
      <span>{question} </span>
      <button ref={confirm} type="button" class="danger" onClick={() => void props.onDelete().finally(() => setAsking(false))}>{t(words.yes)}</button>
      <button type="button" onClick={() => setAsking(false)}>{t('cancel')}</button>
    </span>
  );
}
