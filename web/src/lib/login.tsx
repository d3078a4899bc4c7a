// The sign-in form the desk and admin pages share: local account, or the company
// account through single sign-on (OpenID Connect or SAML 2.0) when the gateway has it (GET /api/auth/methods);
// session cookie set by the gateway, page reloaded into the signed-in view.
import { useEffect, useState } from 'preact/hooks';
import { api, type ApiError } from './api.ts';
import { useRefusal, useTexts } from './i18n.tsx';

const T = {
  signIn: { de: 'Anmelden', en: 'Sign in' },
  login: { de: 'Benutzername', en: 'User name' },
  password: { de: 'Passwort', en: 'Password' },
  sso: { de: 'Mit Firmenkonto anmelden', en: 'Sign in with company account' },
  // Only when a deployment offers both single sign-on methods: the SAML one says which it is.
  ssoSaml: { de: 'Mit Firmenkonto anmelden (SAML)', en: 'Sign in with company account (SAML)' },
  // The gateway's error codes (src/http/errors.ts), in the reader's language.
  unauthenticated: { de: 'Benutzername oder Passwort falsch.', en: 'Wrong user name or password.' },
  locked: { de: 'Zu viele Fehlversuche von diesem Gerät. Bitte später erneut versuchen.', en: 'Too many failed attempts from this device. Please try again later.' },
  'rate-limited': { de: 'Zu viele Anmeldeversuche. Bitte kurz warten und erneut versuchen.', en: 'Too many sign-in attempts. Please wait a moment and try again.' },
  forbidden: { de: 'Anmeldung von einer fremden Seite abgelehnt.', en: 'Sign-in from a foreign page refused.' },
} as const;

const CODES = ['unauthenticated', 'locked', 'rate-limited', 'forbidden'] as const;

export function Login() {
  const t = useTexts(T);
  const refusal = useRefusal();
  /** Kept as it came, so a language switch shows it in the new language. */
  const [error, setError] = useState<unknown>(null);
  const say = (err: unknown) => {
    const code = (err as ApiError).code as (typeof CODES)[number];
    return CODES.includes(code) ? t(code) : refusal(err);
  };
  const [methods, setMethods] = useState({ oidc: false, saml: false });
  useEffect(() => {
    api<{ oidc: boolean; saml?: boolean }>('GET', '/api/auth/methods').then((m) => setMethods({ oidc: m.oidc, saml: m.saml === true }), () => undefined);
  }, []);
  const back = `?return=${encodeURIComponent(location.pathname)}`;
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try { await api('POST', '/api/auth/login', { login: form.get('login'), password: form.get('password') }); location.reload(); }
    catch (err) { setError(err); }
  };
  return (
    <form class="card" onSubmit={submit}>
      <h1>{t('signIn')}</h1>
      <label for="login">{t('login')}</label><input id="login" name="login" autoComplete="username" required />
      <label for="password">{t('password')}</label><input id="password" name="password" type="password" autoComplete="current-password" required />
      <button class="primary" type="submit">{t('signIn')}</button>
      {methods.oidc && <a class="button" href={`/api/auth/oidc/login${back}`}>{t('sso')}</a>}
      {methods.saml && <a class="button" href={`/api/auth/saml/login${back}`}>{t(methods.oidc ? 'ssoSaml' : 'sso')}</a>}
      {error !== null && <p role="alert" class="error">{say(error)}</p>}
    </form>
  );
}
