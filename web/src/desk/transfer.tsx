// The desk's Transfer, Add-colleague and Consult controls: pick a phone-book
// entry of the call's site and either hand the visitor over (blind transfer:
// this desk leaves the call at once), ring it into the call (three-way), or
// consult it while the visitor waits on hold (attended transfer; ConsultControls
// then completes or cancels it).
import { useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Entry = { id: string; name: string; department: string | null };

const EVENT = { transfer: 'call.transfer', add: 'call.add', consult: 'consult.start' } as const;
const LABEL = {
  transfer: ['transfer', 'transferTo', 'transferConfirm', 'transferFailed'],
  add: ['add', 'addTo', 'addConfirm', 'addFailed'],
  consult: ['consult', 'consultTo', 'consultConfirm', 'consultFailed'],
} as const;

export function TransferControl(props: { socket: Socket; callId: string; siteId: string; mode: 'transfer' | 'add' | 'consult'; transferred: () => void; notice: (text: string) => void }) {
  const add = props.mode !== 'transfer';
  const [label, to, confirm, failed] = LABEL[props.mode];
  const t = useTexts(T);
  const refusal = useRefusal();
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [target, setTarget] = useState('');
  const open = async () => {
    const list = await api<Entry[]>('GET', `/api/sites/${encodeURIComponent(props.siteId)}/phonebook`).catch(() => []);
    setTarget(list[0]?.id ?? '');
    setEntries(list);
  };
  const transfer = async () => {
    const r = await props.socket.emitWithAck(EVENT[props.mode], { callId: props.callId, entryId: target });
    if (r.ok && add) { props.notice(t(props.mode === 'add' ? 'adding' : 'consultRinging')); setEntries(null); return; }
    if (r.ok) { props.notice(t('transferred')); props.transferred(); return; }
    const why = r.error === 'forbidden' ? t('transferForbidden') : r.error === 'unavailable' && add ? t('addNobody') : refusal(r);
    props.notice(t(failed, { why }));
  };

  if (entries === null) return <button data-action={props.mode === 'add' ? 'add-colleague' : props.mode} onClick={() => void open()}>{t(label)}</button>;
  return (
    <span class="transfer">
      <label for={`${props.mode}-to`}>{t(to)}</label>
      <select id={`${props.mode}-to`} value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
        {entries.map((e) => <option key={e.id} value={e.id} data-user-text>{e.department ? `${e.name} (${e.department})` : e.name}</option>)}
      </select>
      <button class="primary" data-action={`${props.mode}-confirm`} disabled={!target} onClick={() => void transfer()}>{t(confirm)}</button>
      <button onClick={() => setEntries(null)}>{t('transferCancel')}</button>
    </span>
  );
}

/** While this desk consults a colleague: hand the visitor over (once the colleague answered) or go back to the visitor. */
export function ConsultControls(props: { socket: Socket; callId: string; answered: boolean; notice: (text: string) => void }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const send = async (event: 'consult.complete' | 'consult.cancel') => {
    const r = await props.socket.emitWithAck(event, { callId: props.callId });
    if (!r.ok) props.notice(t('consultFailed', { why: r.error === 'conflict' && event === 'consult.complete' ? t('consultNotAnswered') : refusal(r) }));
  };
  return (
    <span class="transfer" data-consult={props.answered ? 'answered' : 'ringing'}>
      <button class="primary" data-action="consult-complete" disabled={!props.answered} onClick={() => void send('consult.complete')}>{t('consultComplete')}</button>
      <button data-action="consult-cancel" onClick={() => void send('consult.cancel')}>{t('consultCancel')}</button>
    </span>
  );
}
