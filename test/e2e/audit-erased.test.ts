// The admin page's audit log after an erasure (issue 15, crypto-shredding): the
// entries that named the erased person stay, but show "erased subject" /
// "gelöschte Person" instead of an id, since the person's pseudonym keys are gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { adminPage } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';

describe('admin page: audit entries of an erased person', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let id: string;

  beforeAll(async () => {
    gw = await startGateway();
    const admin = new ApiClient(gw.base);
    await admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD });
    await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD });
    // The admin page opens on a site.
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const created = await admin.post('/api/users', { login: 'dora.dietz', displayName: 'Dora Dietz', password: 'dora password 1234' });
    expect(created.status).toBe(201);
    id = created.body.id;
    expect((await new ApiClient(gw.base).post('/api/auth/login', { login: 'dora.dietz', password: 'dora password 1234' })).status).toBe(200);
    expect((await admin.post(`/api/privacy/subjects/user/${id}/erase`)).status).toBe(200);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  for (const [locale, erased] of [['en', 'erased subject'], ['de', 'gelöschte Person']] as const) {
    it(`shows her entries as "${erased}" (${locale}), without her id`, async () => {
      const page = await adminPage(chromium.browser, gw.base, PASSWORD, { locale });
      const audit = page.locator('#section-audit');
      const created = audit.locator('tbody tr[data-action="user.create"]');
      await created.waitFor();
      expect(await created.locator('[data-erased="target"]').textContent()).toBe(erased);
      const login = audit.locator('tbody tr[data-action="auth.login"]').filter({ has: page.locator('[data-erased="actor"]') });
      expect(await login.locator('[data-erased="actor"]').textContent()).toBe(erased);
      expect(await audit.textContent()).not.toContain(id);
      await page.context().close();
    });
  }
});
