// The desk's call history: this user's recent calls (history.list: the call
// records of calls it took part in or was rung for by name), with the terminal,
// the entry the visitor chose, how long the talk lasted and how it ended.
import { lang, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

export type HistoryItem = {
  id: string; started_at: number; answered_at: number | null; ended_at: number | null; outcome: string | null; end_reason: string | null;
  terminalName: string; fromPhone: boolean; entryName: string; answeredByMe: boolean;
};

/** A call.missed message: a telephone's call (inbound SIP) has no terminal name. */
export type MissedCall = { terminalName: string; fromPhone: boolean };

/** mm:ss of a talk; a call nobody answered has none. */
const duration = (c: HistoryItem): string => {
  if (c.answered_at === null || c.ended_at === null) return '–';
  const s = Math.max(0, Math.round((c.ended_at - c.answered_at) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

const OUTCOME = (c: HistoryItem) => {
  if (c.outcome === null) return 'outcomeOngoing';
  if (c.outcome === 'answered') return c.answeredByMe ? 'outcomeAnsweredByMe' : 'outcomeAnsweredElsewhere';
  if (c.outcome === 'missed') return 'missedOutcome';
  if (c.outcome === 'cancelled') return 'cancelled';
  return 'failed';
};

export function CallHistory(props: { calls: HistoryItem[]; missed: MissedCall[] }) {
  const t = useTexts(T);
  // A telephone is named 'Telephone', never by its number (personal data).
  const caller = (c: MissedCall) => (c.fromPhone ? t('telephone') : c.terminalName);
  return (
    <section class="card history" aria-labelledby="history-heading">
      <h2 id="history-heading">{t('history')}</h2>
      {props.missed.map((m, i) => <p class="missed" key={i}>{t('missed', { terminal: caller(m) })}</p>)}
      {props.calls.length === 0 ? <p>{t('noCalls')}</p> : (
        <table>
          <thead><tr><th scope="col">{t('colWhen')}</th><th scope="col">{t('colTerminal')}</th><th scope="col">{t('colFor')}</th><th scope="col">{t('colDuration')}</th><th scope="col">{t('colOutcome')}</th></tr></thead>
          <tbody>
            {props.calls.map((c) => (
              <tr key={c.id} data-call={c.id} data-outcome={c.outcome ?? 'ongoing'}>
                <td><time dateTime={new Date(c.started_at).toISOString()}>{new Date(c.started_at).toLocaleString(lang(), { dateStyle: 'short', timeStyle: 'short' })}</time></td>
                <td data-user-text>{caller(c) || '–'}</td>
                <td data-user-text>{c.entryName || '–'}</td>
                <td>{duration(c)}</td>
                <td>{t(OUTCOME(c))}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
