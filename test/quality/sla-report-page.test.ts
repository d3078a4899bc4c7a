// The printable SLA report page in Chromium: it renders under the gateway's
// strict CSP with no violation (its stylesheet applies, no inline style or
// script is needed), the downtime chart draws one bar for the one day with
// downtime, the print stylesheet applies when printed, and it prints to a PDF.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { signInFirstAdmin, startGateway } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';

describe('SLA report page in Chromium', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let cookie: string;

  beforeAll(async () => {
    gw = await startGateway();
    const admin = await signInFirstAdmin(gw);
    cookie = admin.cookie!;
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Zentrale', timeZone: 'Europe/Berlin' })).status).toBe(201);
    // 5 November 2026: the gateway was not running 12:00 – 12:30 UTC (30 downtime minutes).
    await gw.gateway.services.store.db.withTables<{ sla_periods: Record<string, unknown> }>().insertInto('sla_periods').values({
      id: 'gap-1', kind: 'gap', site_id: null, start_at: Date.parse('2026-11-05T12:00:00Z'), end_at: Date.parse('2026-11-05T12:30:00Z'),
      reason: null, note: null, drained: 0, created_at: 0, created_by: null,
    }).execute();
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  it('renders in German with its stylesheet and no CSP violation, draws the day chart and prints', async () => {
    const context = await chromium.browser.newContext({ extraHTTPHeaders: { cookie } });
    const page = await context.newPage();
    const problems: string[] = [];
    // Every CSP violation is reported on the console; a failed load is counted by its response (the browser's own favicon request aside).
    page.on('console', (m) => { if (/Content Security Policy|Refused to/i.test(m.text())) problems.push(m.text()); });
    page.on('response', (r) => { if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) problems.push(`${r.status()} ${r.url()}`); });
    page.on('pageerror', (e) => problems.push(e.message));
    const res = await page.goto(`${gw.base}/sla/report?site=hq&month=2026-11&lang=de`);
    expect(res!.status()).toBe(200);
    await page.getByRole('heading', { name: 'SLA-Bericht' }).waitFor();
    const downtime = page.locator('tr', { has: page.locator('th', { hasText: /^Ausfallminuten$/ }) }).locator('td');
    expect(await downtime.textContent()).toBe('30');
    // The stylesheet applied (Chromium's default would be a serif font and no border).
    expect(await page.evaluate(() => getComputedStyle(document.body).fontFamily)).toBe('sans-serif');
    const bars = page.locator('svg.days rect.bar');
    expect(await bars.count()).toBe(1);
    expect(await bars.first().evaluate((el) => getComputedStyle(el).fill)).toBe('rgb(176, 0, 32)');
    const box = await bars.first().boundingBox();
    expect(box!.height).toBeGreaterThan(0);
    const shot = await page.locator('svg.days').screenshot();
    expect(shot.subarray(1, 4).toString()).toBe('PNG');
    // Printed: the print rules apply and it makes a PDF.
    await page.emulateMedia({ media: 'print' });
    expect(await page.evaluate(() => getComputedStyle(document.body).marginTop)).toBe('0px');
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(problems).toEqual([]);
    await context.close();
  });
});
