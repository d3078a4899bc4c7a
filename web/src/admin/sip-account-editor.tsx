// The admin page's SIP account editor (/api/sip-accounts, site.admin deployment-wide):
// every account with where it comes from and its state; the config file's read-only,
// the page's own made, changed, disabled and deleted (after a question), applied at
// once by the gateway; one the config file shadows (its id taken there later) is
// marked so and can only be deleted. The password and the door code are write-only (the code: type a new one, or keep / default / none): "set" when making, "change (empty:
// keep it)" when editing; the page never sees it again. The inbound part (the PBX
// calling in: its numbers → phone-book entries) is sip-inbound-fields.tsx.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useTexts } from '../lib/i18n.tsx';
import { ConfirmDelete } from './confirm-delete.tsx';
import { FeedbackLine, useFeedback } from './feedback.tsx';
import { FIELDS } from './form-limits.ts';
import { T } from './texts.ts';
import { CodecField, codecsOf } from './sip-codec-field.tsx';
import { InboundFields, draftOf, inboundBody, useChoices, type Choices, type InboundDraft, type ManagedInbound } from './sip-inbound-fields.tsx';

interface ManagedAccount {
  origin: 'config' | 'admin'; id: string; enabled: boolean; registrar: string; secondaryRegistrars: string[]; transport: string;
  tlsServerName: string; tlsCa: string; srtp: string; username: string; authUsername: string; domain: string; expires: number | null;
  outboundProxy: string; localPort: number | null; doorCode: 'default' | 'none' | 'set'; hasPassword: boolean; state: string;
  /** Stored here, but the config file took its id later: it does not run and can only be deleted. */
  shadowed: boolean;
  inbound: ManagedInbound | null;
  /** null: sip.codecs. */
  codecs: string[] | null;
}

const text = (f: HTMLFormElement, name: string) => String(new FormData(f).get(name) ?? '').trim();
const number = (f: HTMLFormElement, name: string) => (text(f, name) === '' ? null : Number(text(f, name)));
/** A registration state in the catalogue's words (an unknown one as sent). */
const STATES = { registered: 'sipRegistered', registering: 'sipRegistering', failed: 'sipFailed', unregistered: 'sipUnregistered', disabled: 'sipDisabled' } as const;
/** The transports a SIP account speaks, with their catalogue keys. */
const TRANSPORTS = [['udp', 'sipTransportUdp'], ['tcp', 'sipTransportTcp'], ['tls', 'sipTransportTls'], ['ws', 'sipTransportWs'], ['wss', 'sipTransportWss']] as const;

/** The form's fields as the route takes them (the password only when typed). */
function bodyOf(f: HTMLFormElement): Record<string, unknown> {
  const password = String(new FormData(f).get('password') ?? '');
  return {
    registrar: text(f, 'registrar'), secondaryRegistrars: text(f, 'secondaries').split(',').map((s) => s.trim()).filter(Boolean),
    transport: text(f, 'transport'), tlsServerName: text(f, 'tlsServerName'), tlsCa: String(new FormData(f).get('tlsCa') ?? '').trim(),
    srtp: text(f, 'srtp'), username: text(f, 'username'), authUsername: text(f, 'authUsername'), domain: text(f, 'domain'),
    expires: number(f, 'expires'), outboundProxy: text(f, 'outboundProxy'), localPort: number(f, 'localPort'),
    enabled: new FormData(f).get('enabled') === 'on', codecs: codecsOf(f), ...doorCodeOf(f), ...password !== '' ? { password } : {},
  };
}

/** The door code is write-only: a typed code sets it, else the choice — keep it (left out), the default or none. */
function doorCodeOf(f: HTMLFormElement): { doorCode?: string } {
  if (text(f, 'doorCode') !== '') return { doorCode: text(f, 'doorCode') };
  const mode = text(f, 'doorCodeMode');
  return mode === 'keep' ? {} : { doorCode: mode === 'none' ? '' : 'default' };
}

function AccountForm(props: { account?: ManagedAccount; choices: Choices; done: () => Promise<void>; cancel?: () => void }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  const a = props.account;
  const [inbound, setInbound] = useState<InboundDraft>(() => draftOf(a?.inbound ?? null));
  const submit = (e: Event) => {
    e.preventDefault();
    const f = e.target as HTMLFormElement;
    const body = { ...bodyOf(f), inbound: inboundBody(inbound, a?.inbound) };
    void feedback.run(async () => {
      if (a) await api('PATCH', `/api/sip-accounts/${encodeURIComponent(a.id)}`, body);
      else await api('POST', '/api/sip-accounts', { id: text(f, 'id'), ...body });
      f.reset();
      setInbound(draftOf(null));
      await props.done();
    });
  };
  const field = (name: string, label: Parameters<typeof t>[0], value: string | number | null | undefined, rules: object = {}, required = false) => (
    <input name={name} aria-label={t(label)} placeholder={t(label)} defaultValue={value === null || value === undefined ? '' : String(value)} {...rules} required={required} />
  );
  return (
    <form onSubmit={submit} aria-label={a ? t('sipEditAccount', { id: a.id }) : t('sipNewAccount')} data-sip-form={a?.id ?? 'new'}>
      {!a && field('id', 'sipId', '', FIELDS.sipAccountId, true)}
      {field('registrar', 'sipRegistrarField', a?.registrar, FIELDS.sipServer, true)}
      {field('secondaries', 'sipSecondariesField', a?.secondaryRegistrars.join(', '))}
      {/* The stored choice marks its option: a select's defaultValue is no DOM property, Preact would leave the first
          option chosen — and a save that did not touch it would turn a TLS account into UDP. */}
      <select name="transport" aria-label={t('sipTransport')}>
        {TRANSPORTS.map(([v, k]) => <option key={v} value={v} selected={(a?.transport ?? 'udp') === v}>{t(k)}</option>)}
      </select>
      {field('tlsServerName', 'sipTlsServerName', a?.tlsServerName)}
      <textarea name="tlsCa" aria-label={t('sipTlsCa')} placeholder={t('sipTlsCa')} defaultValue={a?.tlsCa ?? ''} rows={2} />
      <select name="srtp" aria-label={t('sipSrtp')}>
        {(['off', 'offer', 'require'] as const).map((v) => (
          <option key={v} value={v} selected={(a?.srtp ?? 'off') === v}>{t(v === 'off' ? 'sipSrtpOff' : v === 'offer' ? 'sipSrtpOffer' : 'sipSrtpRequire')}</option>
        ))}
      </select>
      {field('username', 'sipUsername', a?.username, FIELDS.sipAccountUser, true)}
      {field('authUsername', 'sipAuthUsername', a?.authUsername)}
      <input name="password" type="password" autocomplete="new-password" aria-label={t(a ? 'sipPasswordChange' : 'sipPasswordSet')}
        placeholder={t(a ? 'sipPasswordChange' : 'sipPasswordSet')} {...FIELDS.sipAccountPassword} required={!a} />
      {field('domain', 'sipDomain', a?.domain)}
      <input name="expires" type="number" aria-label={t('sipExpires')} placeholder={t('sipExpires')} defaultValue={a?.expires ?? ''} {...FIELDS.sipExpires} />
      {field('outboundProxy', 'sipOutboundProxy', a?.outboundProxy)}
      <input name="localPort" type="number" aria-label={t('sipLocalPort')} placeholder={t('sipLocalPort')} defaultValue={a?.localPort ?? ''} {...FIELDS.sipLocalPort} />
      <select name="doorCodeMode" aria-label={t('sipDoorCodeMode')}>
        {a && <option value="keep" selected>{t('sipDoorCodeKeep')}</option>}
        <option value="default">{t('sipDoorCodeDefault')}</option><option value="none">{t('sipDoorCodeNone')}</option>
      </select>
      {field('doorCode', 'sipDoorCode', '', FIELDS.sipDoorCode)}
      <CodecField codecs={a?.codecs} />
      <label><input name="enabled" type="checkbox" defaultChecked={a?.enabled ?? true} /> {t('sipEnabled')}</label>
      <InboundFields draft={inbound} change={setInbound} hadPassword={a?.inbound?.hasPassword ?? false} choices={props.choices} />
      <button type="submit">{t(a ? 'sipSave' : 'create')}</button>
      {props.cancel && <button type="button" onClick={props.cancel}>{t('cancel')}</button>}
      <FeedbackLine of={feedback} />
    </form>
  );
}

/** Shown only to an admin who may manage accounts (the list answers 403 to others: nothing is shown). */
export function SipAccountEditor(props: { changed: () => void }) {
  const t = useTexts(T);
  const feedback = useFeedback();
  const [accounts, setAccounts] = useState<ManagedAccount[] | null>(null);
  const [editing, setEditing] = useState<string | null>(null);
  const choices = useChoices();
  const load = () => api<ManagedAccount[]>('GET', '/api/sip-accounts').then(setAccounts, () => setAccounts(null));
  useEffect(() => { void load(); }, []);
  const done = async () => { setEditing(null); await load(); props.changed(); };
  if (accounts === null) return null;
  return (
    <div data-sip-editor>
      <h3>{t('sipManage')}</h3>
      <ul>{accounts.map((a) => (
        <li key={`${a.origin}:${a.id}`} data-sip-managed={a.id} data-origin={a.origin} data-state={a.state} data-shadowed={a.shadowed ? '' : undefined}>
          <code data-user-text>{a.id}</code> · <span data-user-text>{a.username}@{a.registrar}</span> · {a.shadowed ? <em>{t('sipShadowed')}</em> : a.state in STATES ? t(STATES[a.state as keyof typeof STATES]) : a.state}
          {a.hasPassword && <> · {t('sipPasswordIsSet')}</>}
          {a.inbound && <span data-sip-inbound-list> · {t('sipInboundList', { numbers: a.inbound.numbers.map((n) => n.number).join(', ') || '–' })}</span>}
          {a.origin === 'config' ? <> · <em>{t('sipFromConfig')}</em></> : (
            <span class="controls">
              {!a.shadowed && <button type="button" aria-label={t('sipEditAccount', { id: a.id })} onClick={() => setEditing(a.id)}>{t('sipEdit')}</button>}
              <ConfirmDelete what={t(a.shadowed ? 'sipShadowedLabel' : 'sipAccountLabel', { id: a.id })}
                onDelete={() => feedback.run(async () => { await api('DELETE', `/api/sip-accounts/${encodeURIComponent(a.id)}`); await done(); })} />
            </span>
          )}
          {editing === a.id && a.origin === 'admin' && !a.shadowed && <AccountForm key={a.id} account={a} choices={choices} done={done} cancel={() => setEditing(null)} />}
        </li>
      ))}</ul>
      <FeedbackLine of={feedback} />
      {editing === null && <AccountForm choices={choices} done={done} />}
    </div>
  );
}
