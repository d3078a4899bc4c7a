// The admin page's sections in Chromium (issue 12): a section bar; the phone
// book edited in place (create → edit → see the change → delete, a bad name
// refused next to the form in the page's words); the site renamed, a bad time
// zone refused, a door renamed (PATCH routes); the audit log filtered by who
// and what, and paged past its first 50 entries without repeats.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ApiClient } from '../support/gateway.ts';
import { startAdminPages, type AdminPages } from '../support/admin-pages.ts';

describe('admin page by sections, with edits and the audit log', () => {
  let pages: AdminPages;
  let gw: AdminPages['gw'];
  let admin: ApiClient;
  let doorId: string;
  let signedIn: () => Promise<Page>;

  beforeAll(async () => {
    pages = await startAdminPages();
    ({ gw, admin, doorId, signedIn } = pages);
  });
  afterAll(async () => { await pages?.close(); });

  it('edits a phone-book entry in place: create, a refused empty name, the change saved and shown, delete', async () => {
    const page = await signedIn();
    await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Audit log' }).waitFor();
    const book = page.locator('#section-phonebook');
    const create = book.getByRole('form', { name: 'New entry' });
    await create.getByLabel('Name', { exact: true }).fill('Besprechung');
    await create.getByLabel('Kind').selectOption('department');
    await create.getByRole('button', { name: 'Create' }).click();
    const row = book.getByRole('row', { name: /Besprechung/ });
    await row.waitFor();

    await row.getByRole('button', { name: 'Edit: Besprechung' }).click();
    const editor = book.getByRole('form', { name: 'Edit the entry' });
    await editor.getByLabel('Name').fill('   ');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.getByRole('alert').filter({ hasText: 'The name is missing.' }).waitFor();

    await editor.getByLabel('Name').fill('Besprechungsraum');
    // The ring seconds' range is the route's (form-fields.ts): the browser keeps 3 and 121 from being sent.
    const ring = editor.getByLabel('Ring time (s)');
    expect([await ring.getAttribute('min'), await ring.getAttribute('max')]).toEqual(['5', '120']);
    for (const [typed, flaw] of [['3', 'rangeUnderflow'], ['121', 'rangeOverflow']] as const) {
      await ring.fill(typed);
      await editor.getByRole('button', { name: 'Save' }).click();
      expect(await ring.evaluate((el, f) => (el as HTMLInputElement).validity[f], flaw)).toBe(true);
    }
    expect(gw.gateway.services.phonebook.list('hq').map((e) => e.policy.legTimeoutS)).toEqual([20]);
    await ring.fill('30');
    await editor.getByRole('button', { name: 'Save' }).click();
    await editor.waitFor({ state: 'detached' });
    const edited = book.getByRole('row', { name: /Besprechungsraum/ });
    await edited.waitFor();
    expect((await edited.getByRole('cell').allTextContents()).slice(0, 4)).toEqual(['Besprechungsraum', '', 'Department', '30']);
    const stored = gw.gateway.services.phonebook.list('hq');
    expect(stored.map((e) => [e.name, e.kind, e.policy.legTimeoutS])).toEqual([['Besprechungsraum', 'department', 30]]);

    await edited.getByRole('button', { name: 'Delete: Besprechungsraum' }).click();
    await book.getByRole('button', { name: 'Yes, delete' }).click();
    await edited.waitFor({ state: 'detached' });
    expect(gw.gateway.services.phonebook.list('hq')).toEqual([]);
    await page.context().close();
  });

  it('renames the site and a door, refuses an unknown time zone in the page\'s words, adds a door', async () => {
    const page = await signedIn();
    const section = page.locator('#section-site');
    const site = section.getByRole('form', { name: 'Edit the site' });
    await site.getByLabel('Time zone').fill('Mars/Olympus');
    await site.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('alert').filter({ hasText: 'Unknown time zone “Mars/Olympus”.' }).waitFor();
    await site.getByLabel('Time zone').fill('Europe/Vienna');
    await site.getByLabel('Name').fill('Zentrale Wien');
    await site.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
    await page.locator('#site option', { hasText: 'Zentrale Wien' }).waitFor({ state: 'attached' });
    expect((await admin.call('GET', '/api/sites')).body).toEqual([{ id: 'hq', name: 'Zentrale Wien', timeZone: 'Europe/Vienna' }]);

    const door = section.getByRole('form', { name: 'Edit: Lobby door' });
    await door.getByLabel('Door name').fill('Haupteingang');
    await door.getByRole('button', { name: 'Save' }).click();
    await section.getByRole('form', { name: 'Edit: Haupteingang' }).waitFor();
    const added = section.getByRole('form', { name: 'New door' });
    await added.getByLabel('Door name').fill('Tiefgarage');
    await added.getByRole('button', { name: 'Create' }).click();
    await section.getByRole('form', { name: 'Edit: Tiefgarage' }).waitFor();
    expect((await admin.call('GET', '/api/sites/hq/doors')).body.map((d: { name: string }) => d.name).sort()).toEqual(['Haupteingang', 'Tiefgarage']);
    // A door of another site is not found through this site.
    expect((await admin.call('PATCH', '/api/sites/hq/doors/no-such-door', { name: 'x' })).status).toBe(404);
    await page.context().close();
  });

  it('shows the audit log filtered by who and what, and pages past the first 50 without repeats', async () => {
    // 60 door renames by the admin: more than one page of door.update.
    for (let i = 0; i < 60; i++) expect((await admin.call('PATCH', `/api/sites/hq/doors/${doorId}`, { name: `Tür ${i}` })).status).toBe(200);
    const page = await signedIn();
    const audit = page.locator('#section-audit');
    const filter = audit.getByRole('form', { name: 'Filter the audit log' });
    await filter.getByLabel('Who').selectOption({ label: 'admin' });
    await filter.getByLabel('Action').fill('door.update');
    await filter.getByRole('button', { name: 'Show' }).click();
    const rows = audit.locator('tbody tr');
    await audit.locator('tbody tr[data-action="door.update"]').first().waitFor();
    await expect.poll(() => rows.count()).toBe(50);
    await audit.getByRole('button', { name: 'Older entries' }).click();
    await expect.poll(() => rows.count()).toBeGreaterThan(50);
    const seqs = (await rows.evaluateAll((trs) => trs.map((tr) => Number(tr.getAttribute('data-seq')))));
    const actions = new Set(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-action'))));
    expect([...actions]).toEqual(['door.update']);
    // Newest first, each entry once: 60 here and the one from the test before.
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(new Set(seqs).size).toBe(seqs.length);
    expect(seqs.length).toBe(61);
    expect(await audit.getByRole('button', { name: 'Older entries' }).count()).toBe(0);
    expect(await rows.first().locator('td').nth(1).textContent()).toBe('admin');
    expect(await rows.first().locator('td').nth(4).textContent()).toBe('done');
    await page.context().close();
  });
});
