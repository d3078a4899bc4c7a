// No lock-out through the admin page (issue 12): the installation's only admin
// removing their own admin role is refused next to the role, in the page's
// language, naming what to do instead; the role stays listed and held.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_PASSWORD, startAdminPages, type AdminPages } from '../support/admin-pages.ts';
import { adminPage } from '../support/pages.ts';

const WORDS = {
  de: {
    remove: 'Rolle Verwaltung an alle Standorte entziehen: admin',
    refusal: 'Das ist der letzte Admin dieser Installation (Benutzerverwaltung an jedem Standort). Machen Sie zuerst einen anderen Benutzer zum Admin – sonst kann niemand mehr Rollen vergeben.',
  },
  en: {
    remove: 'Remove role Administration at every site: admin',
    refusal: 'This is the last admin of this installation (user administration on every site). Make another user admin first – otherwise nobody can assign roles any more.',
  },
} as const;

describe('the last admin in the admin page', () => {
  let pages: AdminPages;
  let adminId: string;

  beforeAll(async () => {
    pages = await startAdminPages();
    adminId = (await pages.admin.get('/api/auth/me')).body.id;
  }, 120_000);
  afterAll(async () => { await pages?.close(); });

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: removing the only admin's own admin role is refused next to it, and the role stays`, async () => {
      const w = WORDS[lang];
      const page = await adminPage(pages.browser, pages.gw.base, ADMIN_PASSWORD, { locale: lang });
      const row = page.locator('#section-users tr[data-user="admin"]');
      await row.getByRole('button', { name: w.remove }).click();
      await row.getByRole('alert').filter({ hasText: w.refusal }).waitFor();
      expect(await row.locator('li[data-role="admin"]').count()).toBe(1);
      expect((await pages.admin.get(`/api/users/${adminId}/roles`)).body).toEqual([{ roleId: 'admin', siteId: null }]);
      await page.context().close();
    });
  }
});
