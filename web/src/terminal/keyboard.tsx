// The kiosk's on-screen keyboard for the search (kiosks have no keyboard): large
// keys, the German letters ä ö ü ß in both layouts (QWERTZ in German, QWERTY in
// English), space, backspace and clear. Letters start a word in capitals.
import { lang } from '../lib/i18n.tsx';

const ROWS = {
  de: ['qwertzuiopü', 'asdfghjklöä', 'yxcvbnmß-'],
  en: ['qwertyuiop', 'asdfghjkl', 'zxcvbnm-', 'äöüß'],
} as const;

export interface KeyboardTexts { space: string; backspace: string; clear: string; keyboard: string }

/** Appends a key's letter: a capital at the start of a word (names), lower case otherwise. */
export function typeKey(value: string, key: string): string {
  const startsWord = value === '' || value.endsWith(' ') || value.endsWith('-');
  // ß has no capital a visitor would expect.
  return value + (startsWord && key !== 'ß' ? key.toLocaleUpperCase('de') : key);
}

/**
 * The keys change the search through `edit`, which applies each change to the latest
 * value (two quick taps never type onto the same old text).
 */
export function Keyboard(props: { value: string; edit: (change: (value: string) => string) => void; texts: KeyboardTexts }) {
  const { value, edit, texts } = props;
  const press = (change: (v: string) => string) => () => edit(change);
  return (
    <div class="keyboard" role="group" aria-label={texts.keyboard}>
      {ROWS[lang()].map((row) => (
        <div class="keys" key={row}>
          {[...row].map((k) => (
            <button type="button" class="key" key={k} onClick={press((v) => typeKey(v, k))}>{k === 'ß' ? k : k.toLocaleUpperCase('de')}</button>
          ))}
        </div>
      ))}
      <div class="keys">
        <button type="button" class="key wide" onClick={press((v) => (v === '' || v.endsWith(' ') ? v : `${v} `))}>{texts.space}</button>
        <button type="button" class="key" aria-label={texts.backspace} onClick={press((v) => v.slice(0, -1))} disabled={!value}>⌫</button>
        <button type="button" class="key word" onClick={press(() => '')} disabled={!value}>{texts.clear}</button>
      </div>
    </div>
  );
}
