// The admin page in Chromium: sign in, create a terminal (pairing code shown),
// register a door controller (its secret shown once), add a phone-book entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { englishPage } from '../support/pages.ts';

const PASSWORD = 'admin password 1234';

describe('admin page', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let chromium: { browser: Browser; close: () => Promise<void> };

  beforeAll(async () => {
    gw = await startGateway();
    const admin = new ApiClient(gw.base);
    await admin.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD });
    await admin.post('/api/auth/login', { login: 'admin', password: PASSWORD });
    expect((await admin.post('/api/sites', { id: 'hq', name: 'Headquarters', timeZone: 'Europe/Berlin' })).status).toBe(201);
    expect((await admin.post('/api/sites/hq/doors', { name: 'Lobby door' })).status).toBe(201);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    await chromium?.close();
    await gw?.close();
  });

  it('creates a terminal with a pairing code, registers a door controller and adds a phone-book entry', async () => {
    const page = await englishPage(chromium.browser);
    await page.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/admin`);
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Terminals' }).waitFor();

    const terminals = page.locator('section', { has: page.getByRole('heading', { name: 'Terminals' }) });
    await terminals.getByLabel('Name').fill('Lobby West');
    await terminals.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('status').filter({ hasText: /Pairing code for Lobby West: \d{4}-\d{4}/ }).waitFor();

    const devices = page.locator('section', { has: page.getByRole('heading', { name: 'Devices (MQTT)' }) });
    await devices.getByLabel('Device id').fill('lobby-door');
    await devices.getByLabel('Kind').selectOption('door');
    await devices.getByLabel('Door').selectOption({ label: 'Lobby door' });
    await devices.getByRole('button', { name: 'Register' }).click();
    const secret = await page.getByRole('status').filter({ hasText: /Credentials for lobby-door/ }).textContent();
    expect(secret).toMatch(/user lobby-door, password ptr_/);
    await devices.getByText('lobby-door (door) – offline').waitFor();

    const book = page.locator('section', { has: page.getByRole('heading', { name: 'Phone book' }) });
    await book.getByLabel('Name', { exact: true }).fill('Empfang');
    await book.getByLabel('Kind').selectOption('reception');
    await book.getByRole('button', { name: 'Create' }).click();
    await book.getByRole('cell', { name: 'Empfang' }).waitFor();
    expect(gw.gateway.services.phonebook.list('hq').map((e) => e.name)).toEqual(['Empfang']);
    await page.context().close();
  });
});
