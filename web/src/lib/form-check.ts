// Form fields' complaints in the page's language: the browser's own constraint
// messages follow the browser's locale (a German page in an English Chromium
// said "Please fill out this field."), so each refused field gets its message from
// here when the browser refuses it (the `invalid` event), and loses it at the next
// edit so the browser checks again. A message set by the page itself (a rule across
// fields, e.g. a card's validity window) is left alone.
import { lang, onLangChange, type Lang } from './i18n.tsx';

type Field = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export const FORM_TEXTS = {
  valueMissing: { de: 'Bitte füllen Sie dieses Feld aus.', en: 'Please fill in this field.' },
  selectMissing: { de: 'Bitte wählen Sie einen Eintrag aus.', en: 'Please choose an entry.' },
  fileMissing: { de: 'Bitte wählen Sie eine Datei aus.', en: 'Please choose a file.' },
  checkMissing: { de: 'Bitte setzen Sie dieses Häkchen.', en: 'Please tick this box.' },
  tooShort: { de: 'Bitte mindestens {limit} Zeichen eingeben (jetzt {n}).', en: 'Please enter at least {limit} characters (now {n}).' },
  tooLong: { de: 'Bitte höchstens {limit} Zeichen eingeben (jetzt {n}).', en: 'Please enter at most {limit} characters (now {n}).' },
  patternMismatch: { de: 'Diese Eingabe hat nicht die erlaubte Form.', en: 'This input does not have the allowed form.' },
  email: { de: 'Bitte geben Sie eine E-Mail-Adresse ein.', en: 'Please enter an e-mail address.' },
  url: { de: 'Bitte geben Sie eine Adresse (URL) ein.', en: 'Please enter an address (URL).' },
  rangeUnderflow: { de: 'Bitte mindestens {limit} eingeben.', en: 'Please enter at least {limit}.' },
  rangeOverflow: { de: 'Bitte höchstens {limit} eingeben.', en: 'Please enter at most {limit}.' },
  stepMismatch: { de: 'Bitte eine ganze Zahl eingeben.', en: 'Please enter a whole number.' },
  badInput: { de: 'Bitte geben Sie einen gültigen Wert ein.', en: 'Please enter a valid value.' },
} as const;

function say(key: keyof typeof FORM_TEXTS, l: Lang, vars: Record<string, string | number> = {}): string {
  let s: string = FORM_TEXTS[key][l];
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** Why the browser refuses the field (its own checks, not a message set on it), in the given language; '' when it does not. */
export function constraintMessage(field: Field, l: Lang): string {
  const v = field.validity;
  const input = field instanceof HTMLInputElement ? field : null;
  if (v.valueMissing) {
    if (field instanceof HTMLSelectElement) return say('selectMissing', l);
    if (input?.type === 'file') return say('fileMissing', l);
    if (input?.type === 'checkbox' || input?.type === 'radio') return say('checkMissing', l);
    return say('valueMissing', l);
  }
  if (v.badInput) return say('badInput', l);
  if (v.typeMismatch) return say(input?.type === 'url' ? 'url' : 'email', l);
  if (v.tooShort) return say('tooShort', l, { limit: (field as HTMLInputElement).minLength, n: field.value.length });
  if (v.tooLong) return say('tooLong', l, { limit: (field as HTMLInputElement).maxLength, n: field.value.length });
  // The field's title says its rule in the page's language (the browser shows it in the bubble too).
  if (v.patternMismatch) return field.title || say('patternMismatch', l);
  if (v.rangeUnderflow) return say('rangeUnderflow', l, { limit: input?.min ?? '' });
  if (v.rangeOverflow) return say('rangeOverflow', l, { limit: input?.max ?? '' });
  if (v.stepMismatch) return say('stepMismatch', l);
  return '';
}

const isField = (t: EventTarget | null): t is Field =>
  t instanceof HTMLInputElement || t instanceof HTMLSelectElement || t instanceof HTMLTextAreaElement;

/** Fields whose current custom message is one of ours, with that message. */
const ours = new WeakMap<Field, string>();
const isOurs = (field: Field) => field.validity.customError && ours.get(field) === field.validationMessage;

function refuse(field: Field): void {
  if (field.validity.customError && !isOurs(field)) return; // the page's own rule speaks
  field.setCustomValidity('');
  const message = constraintMessage(field, lang());
  field.setCustomValidity(message);
  if (message) ours.set(field, message); else ours.delete(field);
}

function release(field: Field): void {
  if (!isOurs(field)) return;
  field.setCustomValidity('');
  ours.delete(field);
}

/** Once per page: every form field of the document complains in the page's language. */
export function installFormMessages(doc: Document = document): void {
  doc.addEventListener('invalid', (e) => { if (isField(e.target)) refuse(e.target); }, true);
  for (const type of ['input', 'change'] as const) doc.addEventListener(type, (e) => { if (isField(e.target)) release(e.target); }, true);
  // A message shown before a language switch is said again in the new language —
  // after Preact re-rendered the fields' titles (its renders run as microtasks).
  onLangChange(() => setTimeout(() => {
    for (const field of Array.from(doc.querySelectorAll<Field>('input, select, textarea'))) if (isOurs(field)) refuse(field);
  }, 0));
}
