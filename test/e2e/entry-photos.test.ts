// Photos in the kiosk's directory (issue 12) in Chromium: the admin uploads an
// entry's photo in the phone-book section and sees it, a refused upload (SVG
// called .png) is named next to it, the photo is removed again — in German and
// in English; the start screen's "show photos" setting explains that photos are
// personal data; the kiosk's cards show the photo only while that setting is on,
// initials otherwise; a phone's portrait shot (EXIF Orientation 6) is shown
// upright once stored, and a WebP stripped of its chunks still decodes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Locator, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, PASSWORD, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage, pairedTerminalPage } from '../support/pages.ts';
import { SECRET, png, webpChunks, withCameraExif, withWebpMetadata } from '../support/images.ts';

const WORDS = {
  de: {
    file: 'Foto für Anna Müller hochladen (PNG, JPEG oder WebP, höchstens 512 KiB)', saved: 'Foto von Anna Müller gespeichert.', alt: 'Foto von Anna Müller',
    svg: 'SVG-Bilder werden abgelehnt, weil sie Skripte enthalten können. Bitte als PNG, JPEG oder WebP hochladen.',
    remove: 'Foto entfernen: Anna Müller', removed: 'Foto von Anna Müller entfernt.',
    setting: 'Fotos aus dem Telefonbuch am Terminal zeigen', hint: /^Fotos sind personenbezogene Daten: Jede und jeder im Empfangsbereich sieht sie\./, save: 'Speichern', savedScreen: 'Gespeichert.',
  },
  en: {
    file: 'Upload a photo for Anna Müller (PNG, JPEG or WebP, at most 512 KiB)', saved: 'Photo of Anna Müller saved.', alt: 'Photo of Anna Müller',
    svg: 'SVG images are refused because they can contain scripts. Please upload PNG, JPEG or WebP.',
    remove: 'Remove photo: Anna Müller', removed: 'Photo of Anna Müller removed.',
    setting: 'Show the phone book’s photos on the terminal', hint: /^Photos are personal data: everyone in the lobby sees them\./, save: 'Save', savedScreen: 'Saved.',
  },
} as const;

/** The image's natural width once it has loaded (0: it could not be shown). */
const loadedWidth = (img: Locator) => img.evaluate((el: HTMLImageElement) => (el.complete ? el.naturalWidth
  : new Promise<number>((resolve) => { el.addEventListener('load', () => resolve(el.naturalWidth)); el.addEventListener('error', () => resolve(0)); })));

describe('phone-book photos in the admin page and on the kiosk', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let anna: string;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
    anna = site.entries['Anna Müller']!;
    chromium = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  const showPhotos = async (on: boolean) => {
    const screen = (await site.admin.get('/api/sites/hq/welcome')).body;
    const res = await site.admin.call('PUT', '/api/sites/hq/welcome', { customerName: screen.customerName, welcome: screen.welcome, privacy: screen.privacy, showAvailability: false, showPhotos: on });
    expect(res.status).toBe(200);
  };

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: the admin uploads an entry's photo and sees it, an SVG called .png is refused by name, the photo is removed; the photo setting says it is personal data`, async () => {
      const w = WORDS[lang];
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale: lang });
      const row = page.locator(`#section-phonebook tr[data-entry="${anna}"]`);
      const file = row.getByLabel(w.file, { exact: true });
      await file.setInputFiles({ name: 'anna.png', mimeType: 'image/png', buffer: png(60, 40) });
      await row.getByRole('status').filter({ hasText: w.saved }).waitFor();
      const img = row.getByRole('img', { name: w.alt });
      expect(await loadedWidth(img)).toBe(60);
      expect((await site.admin.get('/api/sites/hq/phonebook/photos')).body.photos[anna]).toMatchObject({ type: 'image/png', width: 60, height: 40 });

      await file.setInputFiles({ name: 'not-an-image.png', mimeType: 'image/png', buffer: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>') });
      await row.getByRole('alert').filter({ hasText: w.svg }).waitFor();
      expect(await loadedWidth(img)).toBe(60);

      await row.getByRole('button', { name: w.remove }).click();
      await row.getByRole('status').filter({ hasText: w.removed }).waitFor();
      await img.waitFor({ state: 'detached' });
      expect((await site.admin.get('/api/sites/hq/phonebook/photos')).body.photos[anna]).toBeUndefined();

      const welcome = page.locator('section.welcome-admin');
      const setting = welcome.getByLabel(w.setting);
      expect(await setting.isChecked()).toBe(false);
      await welcome.getByText(w.hint).waitFor();
      await setting.check();
      await welcome.getByRole('button', { name: w.save }).click();
      await welcome.getByRole('status').filter({ hasText: w.savedScreen }).waitFor();
      expect((await site.admin.get('/api/sites/hq/welcome')).body.showPhotos).toBe(true);
      await showPhotos(false);
      await page.context().close();
    });
  }

  it("shows the photo on the kiosk's card only while the site allows photos; initials otherwise", async () => {
    const upload = await fetch(`${gw.base}/api/phonebook/${anna}/photo`, { method: 'PUT', headers: { cookie: site.admin.cookie! }, body: new Uint8Array(png(80, 80, [20, 90, 160])) });
    expect(upload.status).toBe(200);
    const kiosk: Page = await pairedTerminalPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), site, 'Photo kiosk');
    const search = kiosk.getByLabel('Name or department');
    const card = kiosk.locator(`button.entry-card[data-entry="${anna}"]`);
    const find = async () => {
      await search.fill('');
      await card.waitFor({ state: 'detached' });
      await search.fill('Anna');
      await card.waitFor();
    };
    await find();
    expect(await card.locator('img[data-photo]').count()).toBe(0);
    expect(await card.locator('.initials').textContent()).toBe('AM');

    await showPhotos(true);
    await find();
    const photo = card.locator('img[data-photo]');
    await photo.waitFor();
    expect(await loadedWidth(photo)).toBe(80);
    expect(await card.getByText('AM').count()).toBe(0);

    await showPhotos(false);
    await find();
    expect(await card.locator('img[data-photo]').count()).toBe(0);
    expect(await card.locator('.initials').textContent()).toBe('AM');
    await kiosk.context().close();
  });

  it("shows a phone's portrait shot upright once stored (its EXIF Orientation kept), and a WebP stripped of its metadata chunks still decodes", async () => {
    const context = await chromium.browser.newContext();
    const [name, value] = site.admin.cookie!.split(';')[0]!.split(/=(.*)/s) as [string, string];
    await context.addCookies([{ name, value, url: gw.base }]);
    const page = await context.newPage();
    await page.goto(`${gw.base}/admin`);
    // Real files from Chromium's own encoders: 60×40 pixels, as a camera stores a portrait shot (landscape pixels).
    const encoded = await page.evaluate(() => {
      const canvas = document.createElement('canvas');
      canvas.width = 60; canvas.height = 40;
      const g = canvas.getContext('2d')!;
      g.fillStyle = '#1e5aa0'; g.fillRect(0, 0, 60, 40);
      g.fillStyle = '#c83c28'; g.fillRect(0, 0, 20, 40);
      return { jpeg: canvas.toDataURL('image/jpeg'), webp: canvas.toDataURL('image/webp') };
    });
    const bytesOf = (url: string) => Buffer.from(url.split(',')[1]!, 'base64');
    /** Uploads the file to a new entry and the size in which Chromium shows the stored photo (0×0: it could not). */
    const shownSize = async (who: string, file: Buffer) => {
      const res = await site.admin.post(`/api/sites/hq/phonebook`, { kind: 'person', name: who, routes: [{ type: 'desk-group', roleId: 'reception' }] });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      const put = await fetch(`${gw.base}/api/phonebook/${res.body.id}/photo`, { method: 'PUT', headers: { cookie: site.admin.cookie! }, body: new Uint8Array(file) });
      expect(put.status).toBe(200);
      const stored = Buffer.from(await (await fetch(`${gw.base}/api/phonebook/${res.body.id}/photo`, { headers: { cookie: site.admin.cookie! } })).arrayBuffer());
      const size = await page.evaluate((src) => new Promise<[number, number]>((resolve) => {
        const img = new Image();
        img.addEventListener('load', () => resolve([img.naturalWidth, img.naturalHeight]));
        img.addEventListener('error', () => resolve([0, 0]));
        img.src = src;
      }), `/api/phonebook/${res.body.id}/photo`);
      return { stored, size };
    };

    const portrait = await shownSize('Portrait Paula', withCameraExif(bytesOf(encoded.jpeg), 6));
    expect(portrait.stored.includes(SECRET)).toBe(false);
    expect(portrait.size).toEqual([40, 60]); // turned by the kept Orientation 6, as the admin's own file showed

    const tagged = withWebpMetadata(bytesOf(encoded.webp), 60, 40);
    const image = webpChunks(bytesOf(encoded.webp)).fourccs.filter((f) => f !== 'VP8X'); // Chromium writes ICCP and VP8
    expect(webpChunks(tagged).fourccs).toEqual(['VP8X', ...image, 'EXIF', 'XMP ', 'zzzz']);
    const webp = await shownSize('Webp Wim', tagged);
    expect(webp.stored.includes(SECRET)).toBe(false);
    expect(webpChunks(webp.stored)).toEqual({ fourccs: ['VP8X', ...image], flags: image.includes('ICCP') ? 0x20 : 0, riffSize: webp.stored.length - 8 });
    expect(webp.size).toEqual([60, 40]);
    await context.close();
  });
});
