// The admin page's MQTT devices: each with its kind, door and presence, edited
// in place (label, kind, site, door), its secret replaced, deleted after a
// question; a new or replaced secret shown once, with a copy button, the
// broker's host and ports and the device's topics.
import { useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import { SiteAndDoor, type Door, type Site } from './site-doors.tsx';
import { T } from './texts.ts';
import { FIELDS } from './form-limits.ts';

export interface Device { id: string; kind: string; label: string; siteId: string; doorId: string | null; online: boolean; revoked: boolean }
type Connection = { host: string; username: string; ports: { tcp: number; tls: number }; topics: { publish: string[]; subscribe: string[] } };

/** Kinds are shown as words in the page's language; the values stay the API's. */
export const DEVICE_KINDS = {
  'card-reader': 'deviceCardReader', door: 'deviceDoor', panel: 'devicePanel', sensor: 'deviceSensor', display: 'deviceDisplay',
} as const;
const value = (form: HTMLFormElement, name: string) => String(new FormData(form).get(name) ?? '');
const needsDoor = (kind: string) => kind === 'door' || kind === 'panel';

/** The secret, once: everything a device's installer needs to connect it. */
function SecretPanel(props: { secret: string; connection: Connection; done: () => void }) {
  const t = useTexts(T);
  const [copied, setCopied] = useState<boolean | null>(null);
  const c = props.connection;
  const copy = () => navigator.clipboard.writeText(props.secret).then(() => setCopied(true), () => setCopied(false));
  return (
    <div class="secret" role="region" aria-label={t('secretTitle', { id: c.username })} data-device-secret={c.username}>
      <h3>{t('secretTitle', { id: c.username })}</h3>
      <dl>
        <dt>{t('brokerHost')}</dt><dd><code data-field="host">{c.host}</code></dd>
        <dt>{t('portPlain')}</dt><dd><code data-field="tcp">{c.ports.tcp}</code></dd>
        <dt>{t('portTls')}</dt><dd><code data-field="tls">{c.ports.tls}</code></dd>
        <dt>{t('login')}</dt><dd><code data-field="username" data-user-text>{c.username}</code></dd>
        <dt>{t('password')}</dt><dd><code data-field="secret" data-user-text>{props.secret}</code>
          {' '}<button type="button" onClick={() => void copy()}>{t('copy')}</button>
          {copied !== null && <span role="status">{copied ? t('copied') : t('copyFailed')}</span>}</dd>
        <dt>{t('publishes')}</dt><dd><ul>{c.topics.publish.map((topic) => <li key={topic}><code data-user-text>{topic}</code></li>)}</ul></dd>
        <dt>{t('subscribes')}</dt><dd><ul>{c.topics.subscribe.map((topic) => <li key={topic}><code data-user-text>{topic}</code></li>)}</ul></dd>
      </dl>
      <button type="button" onClick={props.done}>{t('secretDone')}</button>
    </div>
  );
}

/** A secret the gateway just issued, with how the device connects. */
const issued = async (deviceId: string, secret: string) => ({ secret, connection: await api<Connection>('GET', `/api/devices/${deviceId}/connection`) });

function DeviceRow(props: { device: Device; sites: Site[]; doors: Door[]; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const x = props.device;
  const feedback = useFeedback();
  const [editing, setEditing] = useState(false);
  const [kind, setKind] = useState(x.kind);
  const [secret, setSecret] = useState<{ secret: string; connection: Connection } | null>(null);
  const kindName = (k: string) => (Object.hasOwn(DEVICE_KINDS, k) ? t(DEVICE_KINDS[k as keyof typeof DEVICE_KINDS]) : k);
  const door = props.doors.find((d) => d.id === x.doorId);
  const save = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    void feedback.run(async () => {
      await api('PATCH', `/api/devices/${x.id}`, { label: value(f, 'label').trim(), kind: value(f, 'kind'), siteId: value(f, 'siteId'), doorId: value(f, 'doorId') || null });
      setEditing(false);
      await props.reload();
    }, () => t('saved'));
  };
  return (
    <li data-device={x.id}>
      <span data-user-text>{x.id}</span> ({kindName(x.kind)}) – {x.online ? t('online') : t('offline')}
      {x.label !== x.id && <> · <span data-user-text>{x.label}</span></>}{door && <> · <span data-user-text>{door.name}</span></>}
      {x.revoked && <> · {t('revokedState')} <ConfirmDelete what={t('deviceLabel', { id: x.id })}
        onDelete={() => feedback.run(() => api('DELETE', `/api/devices/${x.id}`).then(props.reload))} /></>}
      {!x.revoked && (
        <span class="controls">
          <button type="button" aria-label={t('editDevice', { id: x.id })} aria-expanded={editing} onClick={() => { setKind(x.kind); setEditing(!editing); }}>{t('edit')}</button>
          <button type="button" aria-label={t('rotateLabel', { id: x.id })}
            onClick={() => void feedback.run(async () => setSecret(await issued(x.id, (await api<{ secret: string }>('POST', `/api/devices/${x.id}/rotate`)).secret)))}>{t('rotateSecret')}</button>
          <ConfirmDelete what={t('deviceLabel', { id: x.id })}
            onDelete={() => feedback.run(() => api('DELETE', `/api/devices/${x.id}`).then(props.reload))} />
        </span>
      )}
      {editing && (
        <form class="inline-edit" aria-label={t('editDevice', { id: x.id })} onSubmit={save}>
          <label>{t('label')} <input name="label" aria-label={t('label')} defaultValue={x.label} {...FIELDS.deviceLabel} required /></label>
          <label>{t('kind')} <select name="kind" aria-label={t('kind')} value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
            {Object.entries(DEVICE_KINDS).map(([k, word]) => <option key={k} value={k}>{t(word)}</option>)}
          </select></label>
          <SiteAndDoor sites={props.sites} siteId={x.siteId} doorId={x.doorId} doorRequired={needsDoor(kind)} />
          <button type="submit" class="primary">{t('save')}</button>
          <button type="button" onClick={() => setEditing(false)}>{t('cancel')}</button>
        </form>
      )}
      {secret && <SecretPanel {...secret} done={() => setSecret(null)} />}
      <FeedbackLine of={feedback} />
    </li>
  );
}

export function DevicesSection(props: { site: string; sites: Site[]; doors: Door[]; devices: Device[]; reload: () => Promise<void> }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  const [kind, setKind] = useState('card-reader');
  const [secret, setSecret] = useState<{ secret: string; connection: Connection } | null>(null);
  const register = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    setSecret(null);
    void feedback.run(async () => {
      const r = await api<{ device: { id: string }; secret: string }>('POST', '/api/devices', { id: value(f, 'id'), kind: value(f, 'kind'), siteId: props.site, doorId: value(f, 'door') || null });
      setSecret(await issued(r.device.id, r.secret));
      f.reset();
      setKind('card-reader');
      await props.reload();
    });
  };
  return (
    <section class="card" id="section-devices" aria-labelledby="devices-heading"><h2 id="devices-heading">{t('devices')}</h2>
      <ul>{props.devices.map((x) => <DeviceRow key={x.id} device={x} sites={props.sites} doors={props.doors} reload={props.reload} />)}</ul>
      <form onSubmit={register} aria-label={t('newDevice')}>
        <input name="id" aria-label={t('deviceId')} placeholder={t('deviceId')} {...FIELDS.deviceId} title={t('idRule')} required />
        <select name="kind" aria-label={t('kind')} value={kind} onChange={(e) => setKind((e.target as HTMLSelectElement).value)}>
          {Object.entries(DEVICE_KINDS).map(([k, word]) => <option key={k} value={k}>{t(word)}</option>)}
        </select>
        <select name="door" aria-label={t('door')} required={needsDoor(kind)} key={needsDoor(kind) ? 'door' : 'optional'}>
          {!needsDoor(kind) && <option value="">{t('none')}</option>}{props.doors.map((d) => <option value={d.id} key={d.id} data-user-text>{d.name}</option>)}
        </select>
        <button type="submit">{t('register')}</button>
      </form>
      {secret && <SecretPanel {...secret} done={() => setSecret(null)} />}
      <FeedbackLine of={feedback} />
    </section>
  );
}
