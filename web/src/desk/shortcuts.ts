// The desk's keyboard shortcuts (shown on screen next to the buttons they press):
// F8 answers the oldest ringing call; F9 hangs up the call, or declines the ring
// when there is no call. Function keys type nothing, so they work in any field.
import { useEffect, useRef } from 'preact/hooks';

export const ANSWER_KEY = 'F8';
export const HANGUP_KEY = 'F9';

export function useShortcuts(actions: { answer: () => void; hangup: () => void }): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.repeat || e.altKey || e.ctrlKey || e.metaKey) return;
      if (e.key === ANSWER_KEY) { e.preventDefault(); ref.current.answer(); }
      if (e.key === HANGUP_KEY) { e.preventDefault(); ref.current.hangup(); }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}
