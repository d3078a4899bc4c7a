// The admin page in Chromium: sign in, create a terminal (pairing code shown),
// register a door controller (its secret shown once), add a phone-book entry;
// add, list and delete a card (its number never shown again); create a rule in
// the JSON editor (the gateway's validation error in the page's language), its versions,
// a dry run.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { ApiClient } from '../support/gateway.ts';
import { ADMIN_PASSWORD, startAdminPages, type AdminPages } from '../support/admin-pages.ts';
import { adminPage } from '../support/pages.ts';
import { connect, device, closeClient, cardDecision } from '../support/mqtt.ts';

describe('admin page', () => {
  let pages: AdminPages;
  let gw: AdminPages['gw'];
  let admin: ApiClient;
  let signedIn: () => Promise<Page>;
  const hub = () => gw.gateway.services.deviceHub;

  beforeAll(async () => {
    pages = await startAdminPages();
    ({ gw, admin, signedIn } = pages);
  });
  afterAll(async () => { await pages?.close(); });

  it('creates a terminal with a pairing code, registers a door controller and adds a phone-book entry (kinds shown as words)', async () => {
    const page = await signedIn();

    const terminals = page.locator('section', { has: page.getByRole('heading', { name: 'Terminals' }) });
    await terminals.getByLabel('Name').fill('Lobby West');
    await terminals.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').filter({ hasText: /Pairing code for Lobby West: \d{4}-\d{4}/ }).waitFor();

    const devices = page.locator('section', { has: page.getByRole('heading', { name: 'Devices (MQTT)' }) });
    await devices.getByLabel('Device id').fill('lobby-door');
    await devices.getByLabel('Kind').selectOption('door');
    await devices.getByLabel('Door').selectOption({ label: 'Lobby door' });
    await devices.getByRole('button', { name: 'Register' }).click();
    const panel = devices.getByRole('region', { name: 'Credentials for lobby-door – shown only now' });
    expect(await panel.locator('[data-field="username"]').textContent()).toBe('lobby-door');
    expect(await panel.locator('[data-field="secret"]').textContent()).toMatch(/^ptr_/);
    await devices.getByText('lobby-door (Door controller) – offline').waitFor();

    const book = page.locator('section', { has: page.getByRole('heading', { name: 'Phone book' }) });
    await book.getByLabel('Name', { exact: true }).fill('Empfang');
    await book.getByLabel('Kind').selectOption('reception');
    await book.getByRole('button', { name: 'Create' }).click();
    await book.getByRole('cell', { name: 'Empfang', exact: true }).waitFor();
    expect(await book.getByRole('row', { name: /Empfang/ }).getByRole('cell').allTextContents()).toEqual(['Empfang', '', 'Reception', '20', 'no photo', 'EditDelete']);
    expect(gw.gateway.services.phonebook.list('hq').map((e) => e.name)).toEqual(['Empfang']);
    await page.context().close();
  });

  it('flags a bad device id in the browser itself (the pattern compiles under the v flag), with no console complaint', async () => {
    const page = await signedIn();
    const console: string[] = [];
    page.on('console', (m) => console.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => console.push(`pageerror: ${e.message}`));
    const registrations: string[] = [];
    page.on('request', (r) => { if (r.method() === 'POST' && r.url().endsWith('/api/devices')) registrations.push(r.postData() ?? ''); });
    const devices = page.locator('section', { has: page.getByRole('heading', { name: 'Devices (MQTT)' }) });
    const id = devices.getByLabel('Device id');
    const mismatch = () => id.evaluate((el: HTMLInputElement) => el.validity.patternMismatch);
    for (const bad of ['Door_1', '-door', 'tür-1', 'a'.repeat(64)]) {
      await id.fill(bad);
      expect(await mismatch(), bad).toBe(true);
    }
    await devices.getByRole('button', { name: 'Register' }).click();
    expect(await id.evaluate((el: HTMLInputElement) => el.matches(':invalid'))).toBe(true);
    for (const good of ['door-1', '0', 'a'.repeat(63)]) {
      await id.fill(good);
      expect(await mismatch(), good).toBe(false);
    }
    expect(registrations).toEqual([]);
    expect(console.filter((line) => /regular expression|pattern/i.test(line))).toEqual([]);
    await page.context().close();
  });

  const FORM_WORDS = {
    en: {
      missing: 'Please fill in this field.', short: 'Please enter at least 12 characters (now 4).',
      login: 'User name: 2 to 64 characters from a–z, 0–9 and . _ @ -',
      id: 'Lower-case letters, digits and hyphens, at most 63 characters; starts with a letter or digit.',
      sipUser: '1 to 64 letters, digits and . _ ~ + -',
    },
    de: {
      missing: 'Bitte füllen Sie dieses Feld aus.', short: 'Bitte mindestens 12 Zeichen eingeben (jetzt 4).',
      login: 'Benutzername: 2 bis 64 Zeichen aus a–z, 0–9 und . _ @ -',
      id: 'Kleinbuchstaben, Ziffern und Bindestriche, höchstens 63 Zeichen; beginnt mit Buchstabe oder Ziffer.',
      sipUser: '1 bis 64 Buchstaben, Ziffern und . _ ~ + -',
    },
  };
  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: a refused field says why in the page's language, not the browser's, and says it again after a language switch; nothing is sent`, async () => {
      const w = FORM_WORDS[lang];
      const other = FORM_WORDS[lang === 'de' ? 'en' : 'de'];
      // The browser's own language is the other one: its messages would be in that one.
      const page = await adminPage(pages.browser, gw.base, ADMIN_PASSWORD, { locale: lang === 'de' ? 'en' : 'de' });
      await page.getByRole('button', { name: lang === 'de' ? 'Deutsch' : 'English' }).click();
      const posts: string[] = [];
      page.on('request', (r) => { if (r.method() !== 'GET') posts.push(`${r.method()} ${r.url()}`); });
      const message = (selector: string) => page.locator(selector).evaluate((el: HTMLInputElement) => el.validationMessage);
      const submit = (form: string) => page.locator(form).locator('button[type="submit"]').click();

      const user = '#section-users form.toolbar:has(input[name="password"])';
      await submit(user);
      expect(await message(`${user} input[name="login"]`)).toBe(w.missing);
      await page.locator(`${user} input[name="login"]`).fill('lotte lenz');
      await submit(user);
      expect(await message(`${user} input[name="login"]`)).toBe(w.login);
      await page.locator(`${user} input[name="login"]`).fill(' Lotte.Lenz ');
      await page.locator(`${user} input[name="display"]`).fill('Lotte Lenz');
      await page.locator(`${user} input[name="password"]`).fill('kurz');
      await submit(user);
      expect(await message(`${user} input[name="login"]`)).toBe('');
      expect(await message(`${user} input[name="password"]`)).toBe(w.short);

      const device = '#section-devices form[aria-label]:has(input[name="id"])';
      await page.locator(`${device} input[name="id"]`).fill('Door_1');
      await submit(device);
      expect(await message(`${device} input[name="id"]`)).toBe(w.id);
      const station = '#section-door-stations form';
      await page.locator(`${station} input[name="name"]`).fill('Gate');
      await page.locator(`${station} input[name="sipUser"]`).fill('gate 1');
      await submit(station);
      expect(await message(`${station} input[name="sipUser"]`)).toBe(w.sipUser);

      // Switched while refused: the same complaints in the other language.
      await page.getByRole('button', { name: lang === 'de' ? 'English' : 'Deutsch' }).click();
      await expect.poll(() => message(`${device} input[name="id"]`)).toBe(other.id);
      expect(await message(`${user} input[name="password"]`)).toBe(other.short);
      // Mended, a field is valid again at once.
      await page.locator(`${device} input[name="id"]`).fill('door-1');
      expect(await page.locator(`${device} input[name="id"]`).evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(true);
      expect(posts).toEqual([]);
      await page.context().close();
    });
  }

  it('imports a Latin-1 CSV with ; separators (older Excel) with its umlauts, and shows the gateway\'s refusal of unknown columns naming the allowed ones, in English and German', async () => {
    const page = await signedIn();
    const upload = async (form: ReturnType<Page['getByRole']>, name: string, text: string, encoding: BufferEncoding) => {
      await form.locator('input[type=file]').setInputFiles({ name, mimeType: 'text/csv', buffer: Buffer.from(text, encoding) });
      await form.locator('button[type=submit]').click();
    };
    const form = page.locator('form', { has: page.locator('#csv') });
    await upload(form, 'telefonbuch.csv', 'name;department;group\r\nFränzi König;Geschäftsführung;reception\r\nJürgen Strauß;Empfang;reception\r\n', 'latin1');
    const book = page.locator('section', { has: page.getByRole('heading', { name: 'Phone book' }) });
    await book.getByRole('cell', { name: /^Fr.nzi K.nig$/ }).waitFor();
    const imported = gw.gateway.services.phonebook.list('hq').filter((e) => e.name !== 'Empfang');
    expect(imported.map((e) => [e.name, e.department]).sort()).toEqual([['Fränzi König', 'Geschäftsführung'], ['Jürgen Strauß', 'Empfang']]);
    await book.getByRole('cell', { name: 'Geschäftsführung' }).waitFor();
    expect(await form.getByRole('status').textContent()).toBe('2 entries imported. The file was read as Windows-1252 (Latin-1).');

    const allowed = 'kind, name, department, user, group, leg_timeout_s';
    await upload(form, 'export.csv', 'Name;Vorname;Telefon\r\nKönig;Fränzi;0301234\r\n', 'latin1');
    const alert = form.getByRole('alert');
    await alert.filter({ hasText: 'Nothing imported: the file has errors.' }).waitFor();
    expect(await alert.getByRole('listitem').allTextContents()).toEqual([`Line 1: Unknown columns: vorname, telefon. Allowed: ${allowed}.`]);
    expect(await page.getByText('Bad Request').count()).toBe(0);

    await page.getByRole('button', { name: 'Deutsch' }).click();
    const formDe = page.getByRole('form', { name: 'CSV importieren' }); // the form is named by its heading
    expect(await formDe.getByRole('alert').getByRole('listitem').allTextContents()).toEqual([`Zeile 1: Unbekannte Spalten: vorname, telefon. Erlaubt sind: ${allowed}.`]);
    await upload(formDe, 'eins.csv', 'name,group\nPforte Süd,reception\n', 'utf8');
    await formDe.getByRole('status').filter({ hasText: /^1 Eintrag importiert\.$/ }).waitFor();
    expect(await formDe.getByRole('alert').count()).toBe(0);
    await page.context().close();
  });

  it('adds a card (its number never shown again), lists it and deletes it after confirming', async () => {
    const page = await signedIn();
    const cards = page.getByRole('region', { name: 'Cards and visitor badges' });
    await cards.getByText('No cards at this site.').waitFor();

    await cards.getByLabel('Card number').fill('04A1B2C3D4E5');
    await cards.getByLabel('Holder reference').fill('visit-42');
    await cards.getByLabel('Card kind').selectOption('visitor');
    await cards.getByLabel('Valid from').fill('2026-01-01T08:00');
    await cards.getByLabel('Valid until').fill('2026-12-31T18:00');
    await cards.getByLabel('Lobby door').check();
    await cards.getByRole('button', { name: 'Add card' }).click();
    await cards.getByRole('status').filter({ hasText: 'Card for visit-42 added.' }).waitFor();
    const row = cards.getByRole('row', { name: /visit-42/ });
    await row.waitFor();
    expect(await row.textContent()).toMatch(/Visitor badge.*Lobby door/);
    expect(await cards.getByLabel('Card number').inputValue()).toBe('');
    expect(await page.content()).not.toContain('04A1B2C3D4E5');
    const stored = await hub().listCards('hq');
    expect(stored).toEqual([expect.objectContaining({
      holderRef: 'visit-42', kind: 'visitor', validFrom: new Date('2026-01-01T08:00').getTime(), validUntil: new Date('2026-12-31T18:00').getTime(),
    })]);

    // Deleting asks first; the confirmation takes the focus, so Enter confirms.
    await row.getByRole('button', { name: 'Delete: the card of visit-42' }).click();
    await row.getByRole('group', { name: 'Really delete the card of visit-42?' }).waitFor();
    // The focus moves once the question is drawn (the lead's fresh-clone run read it a moment before).
    await expect.poll(() => page.evaluate(() => document.activeElement?.textContent)).toBe('Yes, delete');
    await page.keyboard.press('Enter');
    await cards.getByText('No cards at this site.').waitFor();
    expect(await hub().listCards('hq')).toEqual([]);
    expect((await admin.get('/api/audit?action=card.remove')).body[0]).toMatchObject({ target_id: stored[0]!.id.slice(0, 16), outcome: 'ok' });
    await page.context().close();
  });

  it('adds a card with empty validity dates as valid without limit, and the browser flags an end before the start in the page\'s language', async () => {
    const page = await signedIn();
    const cards = page.getByRole('region', { name: 'Cards and visitor badges' });
    await cards.getByLabel('Card number').fill('EMP-0815');
    await cards.getByLabel('Holder reference').fill('user-0815');
    await cards.getByRole('button', { name: 'Add card' }).click();
    await cards.getByRole('status').filter({ hasText: 'Card for user-0815 added.' }).waitFor();
    expect(await cards.getByRole('row', { name: /user-0815/ }).textContent()).toMatch(/Employee card\s*no limit\s*no limit\s*every door/);
    const lobbyDoor = (await admin.get('/api/sites/hq/doors')).body[0].id as string;
    // What the card does at a reader of the lobby door (the real card path, its audited read).
    const { secret } = await hub().registerDevice({ type: 'system', id: null }, { id: 'reader-lobby', kind: 'card-reader', siteId: 'hq', doorId: lobbyDoor, terminalId: null });
    const reader = await connect(`mqtt://127.0.0.1:${hub().mqttPorts.tcp}`, device({ id: 'reader-lobby', secret }));
    try {
      expect(await cardDecision(hub(), gw.gateway.services.audit, { client: reader, id: 'reader-lobby', siteId: 'hq' }, 'EMP-0815'))
        .toEqual({ allowed: true, holderRef: 'user-0815', kind: 'employee' });
    } finally {
      await closeClient(reader);
    }

    // An end before the start is refused by the browser itself, naming the field, nothing sent.
    const until = page.locator('#card-until'); // by id: its label changes with the language below
    await cards.getByLabel('Card number').fill('VISIT-1');
    await cards.getByLabel('Holder reference').fill('visit-backwards');
    await cards.getByLabel('Valid from').fill('2026-05-02T08:00');
    await until.fill('2026-05-01T08:00');
    await cards.getByRole('button', { name: 'Add card' }).click();
    expect(await until.evaluate((el: HTMLInputElement) => [el.validity.customError, el.validationMessage]))
      .toEqual([true, '“Valid until” must be after “Valid from”.']);
    await page.getByRole('button', { name: 'Deutsch' }).click();
    await until.fill('2026-05-01T09:00');
    expect(await until.evaluate((el: HTMLInputElement) => el.validationMessage)).toBe('„Gültig bis“ muss nach „Gültig ab“ liegen.');
    await until.fill('2026-05-03T08:00');
    expect(await until.evaluate((el: HTMLInputElement) => el.validity.valid)).toBe(true);
    expect((await hub().listCards('hq')).map((c) => c.holderRef)).toEqual(['user-0815']);
    await page.context().close();
  });

  it('creates a rule in the JSON editor (the gateway\'s validation error in the page\'s language), shows its versions and dry-runs it', async () => {
    expect((await admin.post('/api/devices', { id: 'hall-button', kind: 'sensor', siteId: 'hq' })).status).toBe(201);
    const page = await signedIn();
    const rules = page.getByRole('region', { name: 'Rules', exact: true });
    const editor = rules.getByLabel('Rule (JSON)');

    // The seeds from config/rules/ are shown, read-only.
    const seed = rules.getByRole('row', { name: /example-lobby-welcome/ });
    expect(await seed.textContent()).toMatch(/file \(.*examples\.yaml\)\s*1\s*no/);
    await seed.getByRole('button', { name: 'View: example-lobby-welcome' }).click();
    await rules.getByRole('heading', { name: /Rule example-lobby-welcome from .*examples\.yaml \(read-only/ }).waitFor();
    expect(await editor.isEditable()).toBe(false);
    expect(await rules.getByRole('button', { name: 'Save rule' }).count()).toBe(0);
    expect(await seed.getByRole('button', { name: /^Delete/ }).count()).toBe(0);
    await rules.getByRole('button', { name: 'New rule' }).click();
    expect(await editor.isEditable()).toBe(true);

    await editor.fill('{ "id": ');
    await rules.getByRole('button', { name: 'Save rule' }).click();
    await rules.getByRole('alert').filter({ hasText: 'The request is not valid JSON.' }).waitFor();

    const rule = { id: 'button-call', site: 'hq', trigger: { topic: 'portier/hq/hall-button/event', when: { type: 'button' } }, actions: [{ type: 'door.unlock', door: 'x' }] };
    const refused = await admin.call('PUT', '/api/rules', rule);
    expect(refused.body).toMatchObject({ error: 'invalid', reason: 'schema.required', params: { field: 'actions.0.seconds' } });
    await editor.fill(JSON.stringify(rule));
    await rules.getByRole('button', { name: 'Save rule' }).click();
    const alert = rules.getByRole('alert').filter({ hasText: /actions/ });
    await alert.waitFor();
    expect(await alert.textContent()).toBe('The field actions.0.seconds is missing.');
    expect(await hub().rule('button-call')).toBeUndefined();

    await editor.fill(JSON.stringify({ ...rule, actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Taster', en: 'Button' } }] }));
    await rules.getByRole('button', { name: 'Save rule' }).click();
    await rules.getByRole('status').filter({ hasText: 'Rule button-call saved (version 1).' }).waitFor();
    expect(await rules.getByRole('row', { name: /button-call/ }).textContent()).toMatch(/button-call\s*admin page\s*1\s*yes/);
    expect(await hub().rule('button-call')).toMatchObject({ source: 'store', version: 1 });

    await rules.getByRole('button', { name: 'Versions: button-call' }).click();
    await rules.getByRole('region', { name: 'Versions of button-call' }).getByRole('listitem').filter({ hasText: /^Version 1 – .+ – by user \S+/ }).waitFor();

    await rules.getByLabel('Device').selectOption('hall-button');
    expect(await rules.getByLabel('Topic').inputValue()).toBe('portier/hq/hall-button/event');
    await rules.getByLabel('Payload (JSON)').fill('{ "type": "button" }');
    await rules.getByRole('button', { name: 'Evaluate' }).click();
    await rules.getByRole('listitem').filter({ hasText: 'button-call: would fire (notify desks)' }).waitFor();
    await page.context().close();
  });
});
