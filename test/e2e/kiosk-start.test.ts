// The kiosk start screen in Chromium against a real gateway: the site's welcome
// text and logo in German and English, the camera privacy notice, a name with
// umlauts typed on the on-screen keyboard and called, availability hidden until
// the site allows it, no scrolling and large targets at 1280×800 and 1080×1920,
// the admin page's section with its named upload refusals, and axe-core finding
// no serious or critical violation in either language.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { deskPage, capturePeerConnections, DESK_PASSWORD } from '../support/pages.ts';

/** A real 1×1 PNG: the page must be able to show it under its CSP. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==', 'base64');
const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');
const SETTINGS = {
  customerName: 'Muster AG', welcome: { de: 'Willkommen bei der Muster AG', en: 'Welcome to Muster AG' },
  privacy: { de: '', en: '' }, showAvailability: false,
};

describe('the kiosk start screen', () => {
  let gw: Gw;
  let site: SiteFixture;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let url: string;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
    url = gw.base.replace('127.0.0.1', 'localhost');
    chromium = await launchChromium();
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', SETTINGS)).status).toBe(200);
    const logo = await fetch(`${gw.base}/api/sites/hq/welcome/logo`, { method: 'PUT', headers: { 'content-type': 'image/png', cookie: site.admin.cookie! }, body: new Uint8Array(PNG) });
    expect(logo.status).toBe(200);
  }, 180_000); // a gateway, a seeded site and Chromium: more than the 60 s default on a loaded machine (review s21 #20)
  afterEach(async () => {
    for (const c of contexts.splice(0)) await c.close();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  /** A terminal paired through its form in `locale`, on the site's own start screen. */
  const terminal = async (locale: 'de-DE' | 'en-US', viewport = { width: 1280, height: 800 }, options: { bypassCSP?: boolean } = {}) => {
    const created = (await site.admin.post('/api/terminals', { name: `Kiosk ${contexts.length}`, siteId: 'hq' })).body;
    const context = await chromium.browser.newContext({ locale, viewport, ...options });
    contexts.push(context);
    await capturePeerConnections(context);
    const page = await context.newPage();
    await page.goto(`${url}/terminal`);
    await page.getByLabel(locale === 'de-DE' ? 'Kopplungscode' : 'Pairing code').fill(created.pairing.code);
    await page.getByRole('button', { name: locale === 'de-DE' ? 'Koppeln' : 'Pair' }).click();
    await page.getByRole('heading', { name: locale === 'de-DE' ? SETTINGS.welcome.de : SETTINGS.welcome.en }).waitFor();
    return page;
  };
  const typeOnScreen = async (page: Page, keys: string[]) => {
    for (const k of keys) await page.getByRole('group', { name: /Bildschirmtastatur|On-screen keyboard/ }).getByRole('button', { name: k, exact: true }).click();
  };

  it('greets in German and English with the site\'s name, logo, welcome text and the camera privacy notice', async () => {
    const page = await terminal('de-DE');
    await page.getByText('Muster AG', { exact: true }).waitFor();
    const logo = page.getByRole('img', { name: 'Logo von Muster AG' });
    await logo.waitFor();
    // Loaded under the page's CSP, as the image it was checked to be.
    await page.waitForFunction(() => (document.querySelector('img.logo') as HTMLImageElement | null)?.naturalWidth === 1);
    await page.getByRole('complementary', { name: 'Datenschutz' }).getByText(/Kamera und Mikrofon sind nur während eines Gesprächs eingeschaltet\./).waitFor();
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Welcome to Muster AG' }).waitFor();
    await page.getByRole('img', { name: 'Muster AG logo' }).waitFor();
    await page.getByRole('complementary', { name: 'Privacy' }).getByText(/The camera and microphone are on only during a call\./).waitFor();
    await page.getByRole('button', { name: 'Call the reception' }).waitFor();
    // An admin's own notice replaces the default.
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', { ...SETTINGS, privacy: { de: 'Eigener Hinweis.', en: 'Our own notice.' } })).status).toBe(200);
    const fresh = await terminal('en-US');
    await fresh.getByText('Our own notice.').waitFor();
    await expect(fresh.getByText(/The camera and microphone are on only/).count()).resolves.toBe(0);
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', SETTINGS)).status).toBe(200);
  });

  it('types "Müller" on the on-screen keyboard, shows the card without availability, and calls the host', async () => {
    const anna = await deskPage(chromium.browser, url, 'anna');
    contexts.push(anna.context());
    const page = await terminal('de-DE');
    await typeOnScreen(page, ['M', 'Ü', 'L', 'L', 'E', 'R']);
    expect(await page.getByLabel('Name oder Abteilung').inputValue()).toBe('Müller');
    const card = page.getByRole('button', { name: /Anna Müller/ });
    await card.waitFor();
    await expect(card.locator('.initials').textContent()).resolves.toBe('AM');
    await expect(card.getByText('Einkauf').count()).resolves.toBe(1);
    // Availability is personal data on a public screen: not shown (not even sent) by default.
    await expect(card.locator('.presence').count()).resolves.toBe(0);
    await card.click();
    await page.getByText('Anna Müller wird angerufen …').waitFor();
    await anna.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
    await page.locator('[data-step="answered"]').waitFor();
    await page.getByRole('button', { name: 'Auflegen' }).click();
    await page.getByText('Gespräch beendet. Auf Wiedersehen!').waitFor();
  });

  it('shows availability on the cards only once the site allows it; backspace and clear edit the search', async () => {
    const page = await terminal('en-US');
    await typeOnScreen(page, ['M', 'U', 'E', 'L', 'L', 'E', 'R', 'X']);
    await page.getByRole('button', { name: 'Delete last character' }).click();
    expect(await page.getByLabel('Name or department').inputValue()).toBe('Mueller');
    await page.getByRole('button', { name: /Anna Müller/ }).waitFor();
    await expect(page.locator('.entry-card .presence').count()).resolves.toBe(0);
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', { ...SETTINGS, showAvailability: true })).status).toBe(200);
    await page.getByRole('button', { name: 'Clear' }).click();
    expect(await page.getByLabel('Name or department').inputValue()).toBe('');
    await typeOnScreen(page, ['A', 'N', 'N', 'A']);
    await page.getByRole('button', { name: /Anna Müller/ }).getByText('not at desk').waitFor();
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', SETTINGS)).status).toBe(200);
  });

  for (const viewport of [{ width: 1280, height: 800 }, { width: 1080, height: 1920 }]) {
    it(`fits ${viewport.width}×${viewport.height} without scrolling, every target at least 48 px`, async () => {
      const page = await terminal('de-DE', viewport);
      await typeOnScreen(page, ['A', 'N', 'N', 'A']);
      await page.getByRole('button', { name: /Anna Müller/ }).waitFor();
      const layout = await page.evaluate(() => ({
        scrollHeight: document.scrollingElement!.scrollHeight, scrollWidth: document.scrollingElement!.scrollWidth,
        targets: Array.from(document.querySelectorAll('button, input')).map((el) => {
          const r = el.getBoundingClientRect();
          return { what: el.textContent || el.getAttribute('aria-label') || el.id, width: r.width, height: r.height, bottom: r.bottom, right: r.right };
        }),
      }));
      expect(layout.scrollHeight).toBeLessThanOrEqual(viewport.height);
      expect(layout.scrollWidth).toBeLessThanOrEqual(viewport.width);
      expect(layout.targets.length).toBeGreaterThan(30);
      for (const t of layout.targets) {
        expect(Math.min(t.width, t.height), `${t.what} size`).toBeGreaterThanOrEqual(48);
        expect(t.bottom, `${t.what} bottom`).toBeLessThanOrEqual(viewport.height);
        expect(t.right, `${t.what} right`).toBeLessThanOrEqual(viewport.width);
      }
    });
  }

  it('the admin page sets the start screen and uploads the logo; bad uploads are refused by name in German and English', async () => {
    const context = await chromium.browser.newContext({ locale: 'de-DE' });
    contexts.push(context);
    const page = await context.newPage();
    await page.goto(`${url}/admin`);
    await page.getByLabel('Benutzername').fill('admin');
    await page.getByLabel('Passwort').fill(DESK_PASSWORD);
    await page.getByRole('button', { name: 'Anmelden' }).click();
    const section = page.locator('section', { has: page.getByRole('heading', { name: 'Startbildschirm des Terminals' }) });
    await section.getByLabel('Begrüßung (Deutsch)').fill('Hallo bei Muster');
    await section.getByLabel('Erreichbarkeit der Mitarbeitenden am Terminal zeigen').check();
    await section.getByRole('button', { name: 'Speichern' }).click();
    await section.getByRole('status').filter({ hasText: 'Gespeichert.' }).waitFor();
    expect((await site.admin.get('/api/sites/hq/welcome')).body).toMatchObject({ welcome: { de: 'Hallo bei Muster', en: SETTINGS.welcome.en }, showAvailability: true });

    await section.getByText('Logo-Datei (PNG, JPEG oder WebP, höchstens 512 KiB)').waitFor();
    const file = page.locator('#w-logo');
    const dir = mkdtempSync(join(tmpdir(), 'portier-logo-'));
    /** Picks a file as an admin would (its name suggests a type; the gateway reads its bytes) and uploads it. */
    const uploadAndSee = async (name: string, buffer: Buffer, text: string) => {
      const path = join(dir, name);
      writeFileSync(path, buffer);
      await file.setInputFiles(path);
      await page.getByRole('button', { name: /^(Logo hochladen|Upload logo)$/ }).click();
      await page.getByText(text).waitFor();
    };
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
    await uploadAndSee('logo.svg', svg, 'SVG-Logos werden abgelehnt, weil sie Skripte enthalten können. Bitte als PNG, JPEG oder WebP hochladen.');
    await uploadAndSee('big.png', Buffer.concat([PNG, Buffer.alloc(512 * 1024)]), 'Das Logo ist größer als 512 KiB. Bitte eine kleinere Datei wählen.');
    await uploadAndSee('logo.png', Buffer.from('GIF89a not a png'), 'Das ist kein PNG-, JPEG- oder WebP-Bild (geprüft am Inhalt der Datei).');
    await page.getByRole('button', { name: 'English' }).click();
    await uploadAndSee('logo.png', Buffer.from('GIF89a not a png'), 'This is not a PNG, JPEG or WebP image (checked by the file’s content).');
    expect((await site.admin.get('/api/sites/hq/welcome')).body.logo.type).toBe('image/png');
    await uploadAndSee('logo.png', PNG, 'Logo uploaded.');
    await page.waitForFunction(() => (document.querySelector('img.logo-preview') as HTMLImageElement | null)?.naturalWidth === 1);
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', SETTINGS)).status).toBe(200);
    rmSync(dir, { recursive: true, force: true });
  });

  it('has no serious or critical axe-core violations in German and English', async () => {
    const page = await terminal('de-DE', { width: 1280, height: 800 }, { bypassCSP: true });
    await typeOnScreen(page, ['A', 'N', 'N', 'A']);
    await page.getByRole('button', { name: /Anna Müller/ }).waitFor();
    await page.addScriptTag({ path: AXE });
    const violations = () => page.evaluate(async () => {
      const axe = (window as unknown as { axe: { run(c: Document): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> } }).axe;
      const result = await axe.run(document);
      return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    });
    expect(await violations()).toEqual([]);
    await page.getByRole('button', { name: 'English' }).click();
    await page.getByRole('heading', { name: 'Welcome to Muster AG' }).waitFor();
    expect(await violations()).toEqual([]);
  });
});
