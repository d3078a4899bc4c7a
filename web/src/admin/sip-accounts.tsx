// The admin page's SIP accounts (GET /api/sip/accounts): each configured account's
// registrar, transport, whether signalling and media (SRTP: sip.accounts[].srtp) are encrypted, and its
// registration state. The config file's accounts (sip.accounts) are read-only; the
// editor below (sip-account-editor.tsx) makes and changes the page's own.
import { useEffect, useState } from 'preact/hooks';
import { api } from '../lib/api.ts';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { T } from './texts.ts';
import { SipAccountEditor } from './sip-account-editor.tsx';

export interface SipAccount {
  id: string; state: string; registrar: string; transport: string; secure: boolean; media: string; srtp: string;
  reason?: string; code?: number; phrase?: string;
  /** The server in use and every one it may use (registrar — or a registrar domain's SRV targets — first); onPrimary: the first is in use. */
  server: string; servers: string[]; onPrimary: boolean;
}

const STATES = { registered: 'sipRegistered', registering: 'sipRegistering', failed: 'sipFailed', unregistered: 'sipUnregistered' } as const;
const REASONS = { rejected: 'sipReasonRejected', timeout: 'sipReasonTimeout', transport: 'sipReasonTransport', lost: 'sipReasonLost', tls: 'sipReasonTls' } as const;
const word = <W extends Record<string, keyof typeof T>>(words: W, key: string | undefined): W[keyof W] | undefined =>
  key !== undefined && Object.hasOwn(words, key) ? words[key as keyof W] : undefined;

export function SipAccountsSection(props: { site: string }) {
  const t = useTexts(T);
  const refusal = useRefusal();
  const [accounts, setAccounts] = useState<SipAccount[] | null>(null);
  const [failure, setFailure] = useState<unknown>(null);
  const load = () => api<SipAccount[]>('GET', `/api/sip/accounts?siteId=${encodeURIComponent(props.site)}`)
    .then((a) => { setAccounts(a); setFailure(null); }, setFailure);
  useEffect(() => { void load(); }, [props.site]);
  const registration = (a: SipAccount) => {
    const state = word(STATES, a.state);
    const reason = word(REASONS, a.reason);
    const text = state ? t(state) : a.state;
    return reason ? `${text}: ${t(reason)}` : text;
  };
  return (
    <section class="card" id="section-sip" aria-labelledby="sip-heading"><h2 id="sip-heading">{t('sipAccounts')}</h2>
      <p><small>{t('sipAccountsWhere')}</small></p>
      {accounts !== null && accounts.length === 0 && <p>{t('sipNoAccounts')}</p>}
      {accounts !== null && accounts.length > 0 && (
        <table>
          <thead><tr><th>{t('sipAccount')}</th><th>{t('sipServer')}</th><th>{t('sipTransport')}</th><th>{t('sipSignalling')}</th><th>{t('sipMedia')}</th><th>{t('sipRegistration')}</th></tr></thead>
          <tbody>{accounts.map((a) => (
            <tr key={a.id} data-sip-account={a.id} data-state={a.state}>
              <td data-user-text>{a.id}</td><td><span data-user-text>{a.registrar}</span>{a.servers.length > 1 && (
                <small data-sip-secondaries><br />{t('sipSecondaries')}: <span data-user-text>{a.servers.slice(1).join(', ')}</span></small>)}
              {!a.onPrimary && (
                <strong data-sip-active><br />{t('sipOnSecondary')}: <span data-user-text>{a.server}</span></strong>)}
              {a.onPrimary && a.server !== a.registrar && (
                <small data-sip-in-use><br />{t('sipInUse')}: <span data-user-text>{a.server}</span></small>)}</td><td data-user-text>{a.transport.toUpperCase()}</td>
              <td data-secure={String(a.secure)}>{t(a.secure ? 'sipSignallingTls' : 'sipSignallingPlain')}</td>
              <td data-media={a.media}>{t(a.srtp === 'require' ? 'sipMediaSrtp' : a.srtp === 'offer' ? 'sipMediaSrtpOffered' : 'sipMediaPlain')}</td>
              <td>{registration(a)}{a.code !== undefined && <span data-user-text> ({a.code}{a.phrase ? ` ${a.phrase}` : ''})</span>}</td>
            </tr>))}
          </tbody>
        </table>
      )}
      <button type="button" onClick={() => void load()}>{t('sipRefresh')}</button>
      {failure !== null && <p class="error" role="alert">{refusal(failure)}</p>}
      <SipAccountEditor changed={() => void load()} />
    </section>
  );
}
