// The desk's Transfer and Add-colleague controls: pick a phone-book entry of the
// call's site and either hand the visitor over (blind transfer: this desk
// leaves the call at once) or ring it into the call (three-way).
import { useState } from 'preact/hooks';
import type { Socket } from 'socket.io-client';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';

type Entry = { id: string; name: string; department: string | null };

export function TransferControl(props: { socket: Socket; callId: string; siteId: string; mode: 'transfer' | 'add'; transferred: () => void; notice: (text: string) => void }) {
  const add = props.mode === 'add';
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
    const r = await props.socket.emitWithAck(add ? 'call.add' : 'call.transfer', { callId: props.callId, entryId: target });
    if (r.ok && add) { props.notice(t('adding')); setEntries(null); return; }
    if (r.ok) { props.notice(t('transferred')); props.transferred(); return; }
    const why = r.error === 'forbidden' ? t('transferForbidden') : r.error === 'unavailable' && add ? t('addNobody') : refusal(r);
    props.notice(t(add ? 'addFailed' : 'transferFailed', { why }));
  };

  if (entries === null) return <button data-action={add ? 'add-colleague' : 'transfer'} onClick={() => void open()}>{t(add ? 'add' : 'transfer')}</button>;
  return (
    <span class="transfer">
      <label for={`${props.mode}-to`}>{t(add ? 'addTo' : 'transferTo')}</label>
      <select id={`${props.mode}-to`} value={target} onChange={(e) => setTarget((e.target as HTMLSelectElement).value)}>
        {entries.map((e) => <option key={e.id} value={e.id} data-user-text>{e.department ? `${e.name} (${e.department})` : e.name}</option>)}
      </select>
      <button class="primary" data-action={`${props.mode}-confirm`} disabled={!target} onClick={() => void transfer()}>{t(add ? 'addConfirm' : 'transferConfirm')}</button>
      <button onClick={() => setEntries(null)}>{t('transferCancel')}</button>
    </span>
  );
}
