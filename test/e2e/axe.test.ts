// axe-core on every page in Chromium, in German and English (issue 12): the
// admin page with all its sections, the desk idle, ringing and in a call, the
// terminal's pairing screen, ringing, in a call and ended. No serious or
// critical violation. (The kiosk's start screen has its own check in
// kiosk-start.test.ts.) axe is injected, so the contexts bypass the pages' CSP.
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { openCallSite, type CallSite } from '../support/call-flow.ts';
import { DESK_PASSWORD } from '../support/pages.ts';

const AXE = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

/** What each page and language got, printed at the end of the file: the closing note quotes it. */
const counts: string[] = [];

/** The serious and critical violations on the page now, in the language chosen with its switch. */
async function violations(page: Page, language: 'Deutsch' | 'English'): Promise<string[]> {
  await page.getByRole('button', { name: language, exact: true }).first().click();
  await page.waitForFunction((l) => document.documentElement.lang === l, language === 'Deutsch' ? 'de' : 'en');
  return axeNow(page);
}

/** The serious and critical violations on the page as it is. */
async function axeNow(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ path: AXE });
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(c: Document): Promise<{ violations: Array<{ id: string; impact: string | null; nodes: Array<{ target: unknown }> }> }> } }).axe;
    const result = await axe.run(document);
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${JSON.stringify(v.nodes.map((n) => n.target))}`);
  });
}

const both = async (page: Page, where: string): Promise<string[]> => {
  const [de, en] = [await violations(page, 'Deutsch'), await violations(page, 'English')];
  counts.push(`${where}: de ${de.length}, en ${en.length}`);
  return [...de.map((v) => `${where} de: ${v}`), ...en.map((v) => `${where} en: ${v}`)];
};

describe('no serious or critical axe-core violation on any page', () => {
  let cs: CallSite;
  beforeAll(async () => { cs = await openCallSite(); });
  afterAll(async () => {
    console.log(`axe, serious or critical violations per page and language:\n${counts.join('\n')}`);
    await cs?.close();
  });

  const page = async (path: string): Promise<Page> => {
    const context = await cs.chromium.browser.newContext({ locale: 'en-US', bypassCSP: true });
    const p = await cs.open(context.newPage());
    await p.goto(`${cs.url}${path}`);
    return p;
  };
  const signIn = async (p: Page, login: string) => {
    await p.locator('#login').fill(login);
    await p.locator('#password').fill(DESK_PASSWORD);
    await p.locator('form.card button[type=submit]').click();
  };

  it('the admin page with every section', async () => {
    const admin = await page('/admin');
    const found = await both(admin, 'sign-in');
    await signIn(admin, 'admin');
    await admin.locator('#rules-heading ~ table').waitFor();
    await admin.locator('#section-audit tbody tr').first().waitFor();
    found.push(...await both(admin, 'admin'));
    expect(found).toEqual([]);
    await cs.closePages();
  });

  it('the desk idle, ringing and in a call; the terminal pairing, ringing, in a call and ended', async () => {
    const desk = await page('/desk');
    await signIn(desk, 'anna');
    await desk.locator('#presence').waitFor();
    const found = await both(desk, 'desk idle');

    const terminal = await page('/terminal');
    found.push(...await both(terminal, 'terminal pairing'));
    const created = (await cs.site.admin.post('/api/terminals', { name: 'Lobby axe', siteId: 'hq', doorId: cs.site.doorId })).body;
    await terminal.locator('#code').fill(created.pairing.code);
    await terminal.locator('form.pairing button[type=submit]').click();
    await terminal.locator('#q').fill('Anna');
    await terminal.locator('.results [data-entry]').first().click();
    await desk.locator('section.ring').waitFor();
    await terminal.locator('[data-step="ringing"]').waitFor();
    found.push(...await both(desk, 'desk ringing'), ...await both(terminal, 'terminal ringing'));

    await desk.locator('section.ring [data-action="answer"]').click();
    await desk.locator('section.call').waitFor();
    await terminal.locator('[data-step="answered"]').waitFor();
    found.push(...await both(desk, 'desk in call'), ...await both(terminal, 'terminal in call'));

    await desk.locator('[data-action="hangup"]').click();
    await terminal.locator('section.ended').waitFor();
    found.push(...await both(terminal, 'terminal ended'));
    expect(found).toEqual([]);
    await cs.closePages();
  }, 120_000); // ten axe runs on two pages and a call: over a minute at load ~30

  it('the plain pages: first run, the CA certificate and the API reference (each in both languages at once)', async () => {
    const found: string[] = [];
    for (const path of ['/first-run', '/ca', '/api-reference']) {
      const p = await page(path);
      const v = await axeNow(p);
      counts.push(`${path} (de+en): ${v.length}`);
      found.push(...v.map((x) => `${path}: ${x}`));
      await p.context().close();
    }
    expect(found).toEqual([]);
  }, 120_000);
});
