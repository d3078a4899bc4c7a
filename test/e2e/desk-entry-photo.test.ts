// The chosen entry's photo on the desk (issue 12: "the ring says who is calling for
// whom … the entry the visitor chose"), in Chromium, in German and in English: the
// ring card and the call's heading show the photo of the entry the visitor chose
// while the site's start screen shows photos (the one switch for showing them
// outside the admin page), and nothing of it while the switch is off.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Locator, Page } from 'playwright-core';
import { openCallSite, type CallSite } from '../support/call-flow.ts';
import { DESK_PASSWORD, capturePeerConnections, pairedTerminalPage } from '../support/pages.ts';
import { png } from '../support/images.ts';

const WORDS = {
  de: { user: 'Benutzername', password: 'Passwort', signIn: 'Anmelden', queue: 'Warteschlange am Empfang', ring: 'Besuch an {t} (Headquarters)', entry: 'für Anna Müller (Einkauf)', inCall: /Im Gespräch mit/ },
  en: { user: 'User name', password: 'Password', signIn: 'Sign in', queue: 'Reception queue', ring: 'Visitor at {t} (Headquarters)', entry: 'for Anna Müller (Einkauf)', inCall: /In a call with/ },
} as const;

/** The image's natural width once it has loaded (0: it could not be shown). */
const loadedWidth = (img: Locator) => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth
  : new Promise<number>((resolve) => { el.addEventListener('load', () => resolve(el.naturalWidth)); el.addEventListener('error', () => resolve(0)); })));

describe("the chosen entry's photo on the desk", () => {
  let cs: CallSite;
  let anna: string;

  const showPhotos = async (on: boolean) => {
    const screen = (await cs.site.admin.get('/api/sites/hq/welcome')).body;
    const res = await cs.site.admin.call('PUT', '/api/sites/hq/welcome', {
      customerName: screen.customerName, welcome: screen.welcome, privacy: screen.privacy, showAvailability: screen.showAvailability, showPhotos: on,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  /** Anna's desk signed in through its form in the browser language `lang`. */
  const annaDesk = async (lang: 'de' | 'en'): Promise<Page> => {
    const w = WORDS[lang];
    const context = await cs.chromium.browser.newContext({ locale: lang === 'de' ? 'de-DE' : 'en-US' });
    await capturePeerConnections(context);
    const desk = await cs.open(context.newPage());
    await desk.goto(`${cs.url}/desk`);
    await desk.getByLabel(w.user).fill('anna');
    await desk.getByLabel(w.password).fill(DESK_PASSWORD);
    await desk.getByRole('button', { name: w.signIn }).click();
    await desk.getByRole('heading', { name: w.queue }).waitFor();
    await desk.locator('#presence[data-state="available"]').waitFor();
    return desk;
  };

  /** A kiosk named `name` calls Anna Müller; her desk's ring card for it. */
  const visitorCalls = async (desk: Page, lang: 'de' | 'en', name: string): Promise<Locator> => {
    const terminal = await cs.open(pairedTerminalPage(cs.chromium.browser, cs.url, cs.site, name));
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    const ring = desk.getByRole('alertdialog', { name: WORDS[lang].ring.replace('{t}', name) });
    await ring.waitFor();
    expect(await ring.getByTestId('ring-entry').textContent()).toBe(WORDS[lang].entry);
    return ring;
  };

  beforeAll(async () => {
    cs = await openCallSite();
    anna = cs.site.entries['Anna Müller']!;
    const put = await fetch(`${cs.gw.base}/api/phonebook/${anna}/photo`, { method: 'PUT', headers: { 'content-type': 'image/png', cookie: cs.site.admin.cookie! }, body: new Uint8Array(png(96, 120)) });
    expect(put.status).toBe(200);
  });
  afterAll(async () => { await cs?.close(); });

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: the ring card and the call's heading show the photo of the entry the visitor chose`, async () => {
      await showPhotos(true);
      const desk = await annaDesk(lang);
      const ring = await visitorCalls(desk, lang, `Lobby ${lang}`);
      const photo = ring.getByTestId('entry-photo');
      expect(await photo.getAttribute('src')).toMatch(new RegExp(`^/api/desk/photos/${anna}\\?v=\\d+$`));
      // Decorative beside the name (alt=""), and really shown: the desk's session may fetch it.
      expect(await photo.getAttribute('alt')).toBe('');
      expect(await loadedWidth(photo)).toBe(96);

      await desk.keyboard.press('F8');
      const heading = desk.getByRole('heading', { name: WORDS[lang].inCall });
      await heading.waitFor();
      expect(await loadedWidth(heading.getByTestId('entry-photo'))).toBe(96);
      await desk.keyboard.press('F9');
      await desk.locator('section.call').waitFor({ state: 'detached' });
      await cs.closePages();
    });
  }

  it('shows no photo while the site\'s start screen does not show photos', async () => {
    await showPhotos(false);
    const desk = await annaDesk('en');
    const ring = await visitorCalls(desk, 'en', 'Lobby off');
    expect(await ring.getByTestId('entry-photo').count()).toBe(0);
    await desk.keyboard.press('F9');
    await ring.waitFor({ state: 'detached' });
    await cs.closePages();
  });
});
