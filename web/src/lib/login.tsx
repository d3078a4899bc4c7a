// The sign-in form the desk and admin pages share: local account, session
// cookie set by the gateway, page reloaded into the signed-in view.
import { useState } from 'preact/hooks';
import { api } from './api.ts';
import { useTexts } from './i18n.tsx';

const T = {
  signIn: { de: 'Anmelden', en: 'Sign in' },
  login: { de: 'Benutzername', en: 'User name' },
  password: { de: 'Passwort', en: 'Password' },
} as const;

export function Login() {
  const t = useTexts(T);
  const [error, setError] = useState('');
  const submit = async (e: Event) => {
    e.preventDefault();
    const form = new FormData(e.target as HTMLFormElement);
    try { await api('POST', '/api/auth/login', { login: form.get('login'), password: form.get('password') }); location.reload(); }
    catch (err) { setError((err as Error).message); }
  };
  return (
    <form class="card" onSubmit={submit}>
      <h1>{t('signIn')}</h1>
      <label for="login">{t('login')}</label><input id="login" name="login" autoComplete="username" required />
      <label for="password">{t('password')}</label><input id="password" name="password" type="password" autoComplete="current-password" required />
      <button class="primary" type="submit">{t('signIn')}</button>
      {error && <p role="alert" class="error">{error}</p>}
    </form>
  );
}
