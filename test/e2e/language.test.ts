// The language test: every page (sign-in, the admin page with its sections and
// refusals, the desk, the terminal's pairing and start screens) in German and in
// English, in Chromium; every visible text — text nodes and the placeholder,
// aria-label, title and alt attributes — must be a text of the current
// language's catalogues (every { de, en } pair under web/src). Skipped: user data
// (marked `data-user-text`), dates and times (<time>, formatted by Intl in the
// page's language), text in an element that states its own `lang`, single
// letters (keys of the on-screen keyboard) and text without letters.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from '../support/browser.ts';
import { startGateway } from '../support/gateway.ts';
import { ack, connect, seedSite, type SiteFixture } from '../support/signaling.ts';
import { DESK_PASSWORD } from '../support/pages.ts';

type Lang = 'de' | 'en';
const LANGS: Lang[] = ['de', 'en'];
const WEB = join(import.meta.dirname, '..', '..', 'web', 'src');
/** Not a text of either language: the product's name. */
const NEUTRAL = new Set(['Portier']);
/** One letter (a key of the on-screen keyboard, an initial) is no word of either language. */
const singleKey = (text: string) => [...text].length === 1;

/** Every { de: '…', en: '…' } pair in the pages' sources: the catalogues, wherever a page keeps them. */
function catalogues(): Record<Lang, string[]> {
  const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true })
    .flatMap((d) => (d.isDirectory() ? files(join(dir, d.name)) : /\.tsx?$/.test(d.name) ? [join(dir, d.name)] : []));
  const str = String.raw`'((?:\\.|[^'\\])*)'|"((?:\\.|[^"\\])*)"|\x60((?:\\.|[^\x60\\])*)\x60`;
  const pair = new RegExp(String.raw`\bde:\s*(?:${str})\s*,\s*en:\s*(?:${str})`, 'g');
  const unescape = (s: string) => s.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  const out: Record<Lang, string[]> = { de: [], en: [] };
  for (const file of files(WEB)) {
    for (const m of readFileSync(file, 'utf8').matchAll(pair)) {
      out.de.push(unescape(m[1] ?? m[2] ?? m[3] ?? ''));
      out.en.push(unescape(m[4] ?? m[5] ?? m[6] ?? ''));
    }
  }
  return out;
}

/** A catalogue text as a whole-text pattern: its placeholders ({name}) stand for anything (user data, numbers). */
function pattern(text: string): RegExp | undefined {
  const parts = text.trim().split(/\{[a-zA-Z]+\}/);
  // A text made of placeholders only would accept anything.
  if (!parts.some((p) => /\p{L}/u.test(p))) return undefined;
  return new RegExp(`^${parts.map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/\s+/g, '\\s+')).join('[\\s\\S]+?')}$`, 'u');
}

/** Every visible text of the page outside user data, with where it is. */
const visibleTexts = (page: Page) => page.evaluate(() => {
  // An element that states its own language (a language's own name on the switch) says so itself.
  const skipped = (el: Element) => Boolean(el.closest('[data-user-text], script, style, noscript, time, textarea, body [lang]'));
  const shown = (el: Element) => el.getClientRects().length > 0 || Boolean(el.closest('select'));
  const where = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.className && typeof el.className === 'string' ? `.${el.className.split(' ')[0]}` : ''}`;
  const out: Array<{ text: string; where: string }> = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    const text = n.textContent?.trim() ?? '';
    if (text && el && !skipped(el) && shown(el)) out.push({ text, where: where(el) });
  }
  for (const el of Array.from(document.body.querySelectorAll('*'))) {
    if (skipped(el)) continue;
    for (const attr of ['placeholder', 'aria-label', 'title', 'alt']) {
      const text = el.getAttribute(attr)?.trim();
      if (text) out.push({ text, where: `${where(el)}[${attr}]` });
    }
  }
  return out;
});

describe('every visible text in German and English', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  let chromium: { browser: Browser; close: () => Promise<void> };
  const patterns = {} as Record<Lang, RegExp[]>;
  let url: string;

  beforeAll(async () => {
    const texts = catalogues();
    for (const l of LANGS) patterns[l] = texts[l].map(pattern).filter((p): p is RegExp => p !== undefined);
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
    url = gw.base.replace('127.0.0.1', 'localhost');
    const ok = async (res: Promise<{ status: number; body: unknown }>) => {
      const r = await res;
      if (r.status >= 300) throw new Error(`seeding failed: ${r.status} ${JSON.stringify(r.body)}`);
    };
    await ok(site.admin.post('/api/devices', { id: 'lobby-sensor', kind: 'sensor', siteId: 'hq' }));
    await ok(site.admin.post('/api/cards', { siteId: 'hq', card: '12345678', holderRef: 'visit-42', kind: 'visitor', validFrom: null, validUntil: null, doors: [site.doorId] }));
    await ok(site.admin.call('PUT', '/api/rules', {
      id: 'motion-desk', site: 'hq', enabled: true, description: 'Bewegung in der Halle',
      trigger: { topic: 'portier/hq/lobby-sensor/event', when: { type: 'motion' } },
      conditions: { presence: [{ device: 'lobby-sensor', online: true }] },
      actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Bewegung', en: 'Motion' } }],
    }));
    // One that fires on the dry run's payload: its actions are shown as words.
    await ok(site.admin.call('PUT', '/api/rules', {
      id: 'button-door', site: 'hq', enabled: true, trigger: { topic: 'portier/hq/+/event', when: { type: 'button' } },
      actions: [{ type: 'door.unlock', door: site.doorId, seconds: 5 }, { type: 'desk.notify', role: 'reception', text: { de: 'Taster', en: 'Button' } }],
    }));
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  const open = async (l: Lang, path: string): Promise<Page> => {
    const context = await chromium.browser.newContext({ locale: l === 'de' ? 'de-DE' : 'en-US' });
    await context.addInitScript((chosen) => localStorage.setItem('portier.lang', chosen), l);
    const page = await context.newPage();
    await page.goto(`${url}${path}`);
    return page;
  };

  /** The texts of the page that are not from the current language's catalogues. */
  const foreign = async (page: Page, l: Lang, step: string): Promise<string[]> => {
    expect(await page.evaluate(() => document.documentElement.lang)).toBe(l);
    return (await visibleTexts(page))
      .filter(({ text }) => /\p{L}/u.test(text) && !NEUTRAL.has(text) && !singleKey(text) && !patterns[l].some((p) => p.test(text)))
      .map(({ text, where }) => `${step}: ${where}: ${text}`);
  };

  for (const l of LANGS) {
    it(`the admin page, its sign-in and its refusals are all in ${l}`, async () => {
      const page = await open(l, '/admin');
      const found: string[] = [];
      const login = page.locator('#login');
      await login.waitFor();
      await login.fill('admin');
      await page.locator('#password').fill('not the password');
      await page.locator('form.card button[type=submit]').click();
      await page.getByRole('alert').waitFor();
      found.push(...await foreign(page, l, 'sign-in refused'));

      await page.locator('#password').fill(DESK_PASSWORD);
      await page.locator('form.card button[type=submit]').click();
      await page.locator('#rules-heading').waitFor();
      await page.locator('#cards-heading ~ table').waitFor();
      await page.locator('#rules-heading ~ table').waitFor();
      found.push(...await foreign(page, l, 'admin'));

      // A site that exists: the refusal (conflict, site.exists) in the page's language.
      const siteForm = page.locator('form', { has: page.locator('input[name=tz]') });
      await siteForm.locator('input[name=id]').fill('hq');
      await siteForm.locator('input[name=name]').fill('Zentrale');
      await siteForm.locator('button[type=submit]').click();
      await page.locator('.banner[role=alert]').waitFor();
      // A rule naming a role that does not exist, and one that is not JSON.
      const editor = page.locator('#rule-json');
      await editor.fill(JSON.stringify({ id: 'bad-role', site: 'hq', trigger: { topic: 'portier/hq/+/event' }, actions: [{ type: 'desk.notify', role: 'nobody', text: 'x' }] }));
      await page.locator('#rules-heading ~ form button[type=submit].primary').first().click();
      await page.locator('#rule-error').waitFor();
      found.push(...await foreign(page, l, 'refusals'));
      await editor.fill('{ "id": ');
      await page.locator('#rules-heading ~ form button[type=submit].primary').first().click();
      await page.locator('#rule-error').waitFor();
      found.push(...await foreign(page, l, 'not JSON'));

      // The dry run with a payload the rule does not take: the reasons in the page's language.
      await page.locator('#dry-run-payload').fill('{ "type": "button" }');
      await page.locator('form[aria-labelledby=dry-run-heading] button[type=submit]').click();
      await page.locator('form[aria-labelledby=dry-run-heading] li li').first().waitFor();
      // The rule's versions, and a delete that asks first.
      await page.locator('#rules-heading ~ table button').nth(1).click();
      await page.locator('#rule-versions-heading').waitFor();
      await page.locator('#cards-heading ~ table button').first().click();
      found.push(...await foreign(page, l, 'dry run, versions, confirm'));
      expect(found).toEqual([]);
      await page.context().close();
    });

    it(`the desk, idle and ringing, is in ${l}`, async () => {
      const page = await open(l, '/desk');
      await page.locator('#login').fill('rita');
      await page.locator('#password').fill(DESK_PASSWORD);
      await page.locator('form.card button[type=submit]').click();
      await page.locator('#presence').waitFor();
      const found = await foreign(page, l, 'desk');
      // A visitor calls the reception: the ring names terminal and site in the page's words.
      const kiosk = await connect(gw, '/terminal', site.terminal.cookie);
      try {
        const call = await ack(kiosk, 'call.start', { entryId: site.entries.Empfang });
        expect(call).toMatchObject({ ok: true, state: { step: 'ringing' } });
        await page.locator('section.ring').waitFor();
        found.push(...await foreign(page, l, 'ringing'));
        expect(await ack(kiosk, 'call.hangup', { callId: call.callId })).toMatchObject({ ok: true });
        await page.locator('section.ring').waitFor({ state: 'detached' });
      } finally {
        kiosk.close();
      }
      expect(found).toEqual([]);
      await page.context().close();
    });

    it(`the terminal's pairing (with a refused code), start screen and search are in ${l}`, async () => {
      const page = await open(l, '/terminal');
      await page.locator('#code').fill('0000 0000');
      await page.locator('form.pairing button[type=submit]').click();
      await page.getByRole('alert').waitFor();
      const found = await foreign(page, l, 'pairing refused');
      const created = (await site.admin.post('/api/terminals', { name: `Lobby ${l}`, siteId: 'hq', doorId: site.doorId })).body;
      await page.locator('#code').fill(created.pairing.code);
      await page.locator('form.pairing button[type=submit]').click();
      await page.locator('[data-entry=reception]').waitFor();
      found.push(...await foreign(page, l, 'start'));
      // A search: the entry cards (names are user data) and the availability words.
      await page.locator('#q').fill('Anna');
      await page.locator('.results [data-entry]').first().waitFor();
      found.push(...await foreign(page, l, 'search'));
      await page.locator('#q').fill('zzzz');
      await page.locator('.results [data-entry]').first().waitFor({ state: 'detached' });
      found.push(...await foreign(page, l, 'nobody found'));
      expect(found).toEqual([]);
      await page.context().close();
    });
  }
});
