// The desk's presence, always in view: two large toggles (available / away) with
// a coloured dot; in a call it says so (the gateway counts the desk busy).
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

export function PresenceToggle(props: { state: 'available' | 'away'; inCall: boolean; set: (s: 'available' | 'away') => void }) {
  const t = useTexts(T);
  const shown = props.inCall ? 'busy' : props.state;
  return (
    <div id="presence" class="presence-toggle" role="group" aria-label={t('presence')} data-state={shown}>
      <span class={`dot ${shown}`} aria-hidden="true" />
      <span class="presence-now" role="status">{t(shown)}</span>
      {(['available', 'away'] as const).map((s) => (
        <button key={s} type="button" aria-pressed={!props.inCall && props.state === s} disabled={props.inCall} data-presence={s} onClick={() => props.set(s)}>
          {t(s === 'available' ? 'setAvailable' : 'setAway')}
        </button>
      ))}
    </div>
  );
}
