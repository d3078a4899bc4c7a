// The admin page's SIP door stations (issue 13, slice 3): each station of the site
// with its SIP user, door, the entry its button rings, how its relay opens and
// whether it is registered now (live: the registrar's online/offline events reach
// the page); a new one made by the form, its digest secret shown once (and a new
// secret after a question — it ends the registration), removed after a question.
// The relay's code is write-only: the list says only that one is set.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { lang, useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import { useLive } from './live.tsx';
import { useLatestList } from './latest-list.ts';
import type { Door } from './site-doors.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';

interface Station {
  id: string; name: string; sipUser: string; doorId: string | null; entryId: string | null;
  relay: { way: string; hasCode?: boolean }; registration: { online: boolean; transport?: string; contact?: string; expiresAt?: number };
}
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '').trim();

function SecretLine(props: { user: string; secret: string; done: () => void }) {
  const t = useTexts(T);
  return (
    <div class="secret" role="region" aria-label={t('stationSecretTitle', { user: props.user })} data-station-secret={props.user}>
      <p>{t('stationSecretTitle', { user: props.user })}: <code data-field="secret" data-user-text>{props.secret}</code></p>
      <button type="button" onClick={props.done}>{t('secretDone')}</button>
    </div>
  );
}

export function DoorStationsSection(props: { site: string; doors: Door[]; entries: Array<{ id: string; name: string }> }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  // Loaded on a site's choice, after an action and on a live change: the answer asked for last wins.
  const [stations, loadStations, setStations] = useLatestList<Station[]>([]);
  const [secret, setSecret] = useState<{ user: string; secret: string } | null>(null);
  const load = () => loadStations(api<Station[]>('GET', `/api/sites/${encodeURIComponent(props.site)}/door-stations`));
  useEffect(() => { void load().catch(() => setStations([])); }, [props.site]);
  useLive('terminals', undefined, () => load());
  const create = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    const code = value(f, 'code');
    void feedback.run(async () => {
      const r = await api<{ station: Station; secret: string }>('POST', `/api/sites/${encodeURIComponent(props.site)}/door-stations`, {
        name: value(f, 'name'), sipUser: value(f, 'sipUser'), doorId: value(f, 'door') || null, entryId: value(f, 'entry') || null,
        relay: code ? { way: 'sip-info', code } : { way: 'mqtt' },
      });
      setSecret({ user: r.station.sipUser, secret: r.secret });
      f.reset();
      await load();
    });
  };
  const doorName = (id: string | null) => props.doors.find((d) => d.id === id)?.name;
  const entryName = (id: string | null) => (id ? props.entries.find((x) => x.id === id)?.name : t('stationReception'));
  return (
    <section class="card" id="section-door-stations" aria-labelledby="door-stations-heading"><h2 id="door-stations-heading">{t('doorStations')}</h2>
      <ul>{stations.map((s) => (
        <li key={s.id} data-door-station={s.id}>
          <span data-user-text>{s.name}</span> · <code data-user-text>{s.sipUser}</code>
          {doorName(s.doorId) && <> · <span data-user-text>{doorName(s.doorId)}</span></>}
          {' '}→ <span data-user-text>{entryName(s.entryId)}</span>
          {' '}· {s.relay.way === 'sip-info' ? t('stationRelayInfo') : t('stationRelayMqtt')}
          {' '}<span class="station-state" data-online={String(s.registration.online)}>{s.registration.online
            ? t('stationOnline', { transport: (s.registration.transport ?? 'udp').toUpperCase(), until: new Date(s.registration.expiresAt ?? 0).toLocaleTimeString(lang()) })
            : t('stationOffline')}</span>
          <span class="controls">
            <ConfirmDelete verb="renew" what={t('stationLabel', { name: s.name })}
              onDelete={() => feedback.run(async () => setSecret({ user: s.sipUser, secret: (await api<{ secret: string }>('POST', `/api/door-stations/${s.id}/secret`)).secret }))} />
            <ConfirmDelete what={t('stationLabel', { name: s.name })} onDelete={() => feedback.run(() => api('DELETE', `/api/door-stations/${s.id}`).then(load))} />
          </span>
        </li>
      ))}</ul>
      <form onSubmit={create} aria-label={t('newDoorStation')}>
        <input name="name" aria-label={t('name')} placeholder={t('name')} {...FIELDS.stationName} required />
        <input name="sipUser" aria-label={t('stationSipUser')} placeholder={t('stationSipUser')} {...FIELDS.stationSipUser} title={t('stationSipUserRule')} required />
        <select name="door" aria-label={t('door')}><option value="">{t('none')}</option>{props.doors.map((d) => <option value={d.id} key={d.id} data-user-text>{d.name}</option>)}</select>
        <select name="entry" aria-label={t('stationEntry')}><option value="">{t('stationReception')}</option>{props.entries.map((x) => <option value={x.id} key={x.id} data-user-text>{x.name}</option>)}</select>
        <input name="code" aria-label={t('stationRelayCode')} placeholder={t('stationRelayCode')} {...FIELDS.relayCode} title={t('stationRelayCodeRule')} />
        <button type="submit">{t('create')}</button>
      </form>
      {secret && <SecretLine {...secret} done={() => setSecret(null)} />}
      <FeedbackLine of={feedback} />
    </section>
  );
}
