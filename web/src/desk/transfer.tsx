// The desk's Transfer control (blind transfer): pick a phone-book entry of the
// call's site and hand the visitor over; this desk leaves the call at once.
import { useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import { api } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Entry = { id: string; name: string; department: string | null };

export function TransferControl(props: { socket: Socket; callId: string; siteId: string; transferred: () => void; notice: (text: string) => void }) {
  const t = useTexts(T);
  const [entries, setEntries] = useState<Entry[] | null>(null);
  const [target, setTarget] = useState('');
  const open = async () => {
    const list = await api<Entry[]>('GET', `/api/sites/${encodeURIComponent(props.siteId)}/phonebook`).catch(() => []);
    setTarget(list[0]?.id ?? '');
    setEntries(list);
  };
  const transfer = async () => {
    const r = await props.socket.emitWithAck('call.transfer', { callId: props.callId, entryId: target });
    if (r.ok) { props.notice(t('transferred')); props.transferred(); return; }
    props.notice(t('transferFailed', { why: r.error === 'forbidden' ? t('transferForbidden') : r.message }));
  };

  if (entries === null) return <button data-action="transfer" onClick={() => void open()}>{t('transfer')}</button>;
  return (
    <span class="transfer">
      <label for="transfer-to">{t('transferTo')}</label>
      <select id="transfer-to" value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
        {entries.map((e) => <option key={e.id} value={e.id}>{e.department ? `${e.name} (${e.department})` : e.name}</option>)}
      </select>
      <button class="primary" data-action="transfer-confirm" disabled={!target} onClick={() => void transfer()}>{t('transferConfirm')}</button>
      <button onClick={() => setEntries(null)}>{t('transferCancel')}</button>
    </span>
  );
}
