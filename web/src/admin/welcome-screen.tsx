// The admin page's section for a site's kiosk start screen: company name, welcome
// and privacy texts in German and English, whether availability and photos are shown, and the
// logo (uploaded as is; the gateway checks it by content and names what is wrong).
import { useEffect, useState } from 'preact/hooks';
import { useLive } from './live.tsx';
import { useRefusal, useTexts } from '../lib/i18n.tsx';
import { W } from './welcome-texts.ts';
import { FIELDS } from './form-limits.ts';

type Screen = {
  customerName: string; welcome: { de: string; en: string }; privacy: { de: string; en: string }; showAvailability: boolean; showPhotos: boolean; cueVolume: number;
  logo: { type: string; bytes: number; version: number } | null; logoMaxKib: number;
};
type Refusal = { error?: string; reason?: string; params?: Record<string, string | number>; message?: string };

/** One request with the session cookie; the gateway's refusal body when it says no. */
async function send(method: string, path: string, body?: BodyInit, type?: string): Promise<{ ok: boolean; data: any }> {
  const res = await fetch(path, { method, credentials: 'same-origin', headers: type ? { 'content-type': type } : {}, body });
  const text = await res.text();
  return { ok: res.ok, data: text ? JSON.parse(text) : undefined };
}

export function WelcomeSection(props: { site: string }) {
  const t = useTexts(W);
  const say = useRefusal();
  const [screen, setScreen] = useState<Screen | null>(null);
  const [note, setNote] = useState<{ text: string; error: boolean } | null>(null);
  const [logoNote, setLogoNote] = useState<{ text: string; error: boolean } | null>(null);
  const [busy, setBusy] = useState(false);
  const base = `/api/sites/${encodeURIComponent(props.site)}/welcome`;

  /** A refusal in the page's language: the logo's named reasons, else the pages' catalogue of reasons (never the gateway's English). */
  const refusal = (r: Refusal) => {
    const key = r.reason && Object.hasOwn(W, r.reason) ? r.reason as keyof typeof W : r.error === 'forbidden' ? 'forbidden' : undefined;
    return key ? t(key, r.params) : say(r);
  };
  const load = async () => {
    const r = await send('GET', base);
    setScreen(r.ok ? r.data : null);
    if (!r.ok) setNote({ text: refusal(r.data ?? {}), error: true });
  };
  useEffect(() => { setNote(null); setLogoNote(null); void load(); }, [props.site]);
  useLive('welcome', props.site, load);

  const save = async (e: Event) => {
    e.preventDefault();
    const f = new FormData(e.target as HTMLFormElement);
    const v = (name: string) => String(f.get(name) ?? '');
    const r = await send('PUT', base, JSON.stringify({
      customerName: v('customerName'), welcome: { de: v('welcomeDe'), en: v('welcomeEn') }, privacy: { de: v('privacyDe'), en: v('privacyEn') },
      showAvailability: f.get('showAvailability') === 'on', showPhotos: f.get('showPhotos') === 'on', cueVolume: Number(v('cueVolume')),
    }), 'application/json');
    setNote(r.ok ? { text: t('saved'), error: false } : { text: refusal(r.data ?? {}), error: true });
    if (r.ok) setScreen({ ...r.data, logoMaxKib: screen?.logoMaxKib ?? 0 });
  };

  const upload = async (e: Event) => {
    e.preventDefault();
    const file = (new FormData(e.target as HTMLFormElement).get('logo')) as File | null;
    if (!file) return;
    setBusy(true);
    try {
      // The file as the body: the gateway decides what it is from its bytes, not from its name or type.
      const r = await send('PUT', `${base}/logo`, file, 'application/octet-stream');
      setLogoNote(r.ok ? { text: t('uploaded'), error: false } : { text: refusal(r.data ?? {}), error: true });
      if (r.ok) { (e.target as HTMLFormElement).reset(); await load(); }
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    const r = await send('DELETE', `${base}/logo`);
    setLogoNote(r.ok ? { text: t('removed'), error: false } : { text: refusal(r.data ?? {}), error: true });
    if (r.ok) await load();
  };

  if (!screen) return <section class="card"><h2>{t('heading')}</h2>{note && <p role="alert" class="error">{note.text}</p>}</section>;
  return (
    <section class="card welcome-admin" aria-labelledby="welcome-heading">
      <h2 id="welcome-heading">{t('heading')}</h2>
      <form onSubmit={(e) => void save(e)} key={`${props.site}-texts`}>
        <label for="w-name">{t('customerName')}</label>
        <input id="w-name" class="wide" name="customerName" maxLength={100} defaultValue={screen.customerName} />
        <small>{t('emptyIsDefault')}</small>
        <label for="w-de">{t('welcomeDe')}</label>
        <input id="w-de" class="wide" name="welcomeDe" lang="de" maxLength={200} defaultValue={screen.welcome.de} />
        <label for="w-en">{t('welcomeEn')}</label>
        <input id="w-en" class="wide" name="welcomeEn" lang="en" maxLength={200} defaultValue={screen.welcome.en} />
        <label for="p-de">{t('privacyDe')}</label>
        <textarea id="p-de" name="privacyDe" lang="de" rows={3} maxLength={800} defaultValue={screen.privacy.de} />
        <label for="p-en">{t('privacyEn')}</label>
        <textarea id="p-en" name="privacyEn" lang="en" rows={3} maxLength={800} defaultValue={screen.privacy.en} />
        <label class="check"><input type="checkbox" name="showAvailability" defaultChecked={screen.showAvailability} /> {t('showAvailability')}</label>
        <small>{t('availabilityHint')}</small>
        <label class="check"><input type="checkbox" name="showPhotos" defaultChecked={screen.showPhotos} aria-describedby="w-photos-hint" /> {t('showPhotos')}</label>
        <small id="w-photos-hint">{t('photosHint')}</small>
        <label for="w-cues">{t('cueVolume')}</label>
        <input id="w-cues" name="cueVolume" type="number" defaultValue={String(screen.cueVolume)} {...FIELDS.cueVolume} required />
        <div class="controls"><button type="submit" class="primary">{t('save')}</button>
          {note && <span role={note.error ? 'alert' : 'status'} class={note.error ? 'error' : ''}>{note.text}</span>}</div>
      </form>
      <h3>{t('logo')}</h3>
      {screen.logo ? <img class="logo-preview" src={`${base}/logo?v=${screen.logo.version}`} alt={t('currentLogo')} /> : <p>{t('logoNone')}</p>}
      <form onSubmit={(e) => void upload(e)}>
        <label for="w-logo">{t('logoFile', { kib: screen.logoMaxKib })}</label>
        <input id="w-logo" type="file" name="logo" accept="image/png,image/jpeg,image/webp" required />
        <div class="controls"><button type="submit" disabled={busy}>{t('upload')}</button>
          {screen.logo && <button type="button" class="danger" onClick={() => void remove()}>{t('removeLogo')}</button>}
          {logoNote && <span role={logoNote.error ? 'alert' : 'status'} class={logoNote.error ? 'error' : ''}>{logoNote.text}</span>}</div>
      </form>
    </section>
  );
}
