// A newcomer's day, in German and in English (issue 12): a fresh gateway, its
// first-run link, and then only the pages — the admin page sets up a site, doors,
// users with roles, phone-book entries, a terminal (paired in a second page), a
// door controller (an mqtt.js client connects with the secret and broker the page
// shows), a card and a rule; a visitor calls from the kiosk, the host answers at
// the desk, opens the door (the controller acknowledges over MQTT) and hangs up.
// Prints (does not assert) the time from the visitor's first touch to ringing and
// the pages' weights.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { startGateway } from '../support/gateway.ts';
import { launchChromium } from '../support/browser.ts';
import { capturePeerConnections, deskConnected } from '../support/pages.ts';

type Lang = 'de' | 'en';
const ADMIN_PASSWORD = 'the first admin password';
const DESK_PASSWORD = 'a long enough password';

/** What the newcomer reads on the pages, in each language. */
const W = {
  de: {
    locale: 'de-DE', saved: /Gespeichert/, user: 'Benutzername', password: 'Passwort', signIn: 'Anmelden',
    siteId: 'Standort-ID', create: 'Anlegen', doorName: 'Name der Tür', doors: ['Haupteingang', 'Lieferanten'], siteName: 'Zentrale',
    newSite: 'Neuer Standort (ID, Name, Zeitzone)', newDoor: 'Neue Tür', newEntry: 'Neuer Eintrag', assignRole: 'Rolle zuweisen', at: 'an',
    login: 'Benutzername', displayName: 'Anzeigename', assign: 'Rolle zuweisen', group: 'Gruppe (Rolle)', online: 'online',
    reception: 'Empfang', host: 'Gastgeber/in', kind: 'Art', person: 'Person', receptionKind: 'Empfang', department: 'Abteilung', deskUser: 'Benutzer (Softphone)',
    purchasing: 'Einkauf', receptionName: 'Empfangstresen', cardAdded: 'Karte für anna hinzugefügt.', ruleJson: 'Regel (JSON)', saveRule: 'Regel speichern', ruleDescription: 'Taster am Empfang',
    deviceId: 'Geräte-ID', doorController: 'Türsteuerung', register: 'Registrieren', door: 'Tür', pairingCode: /Kopplungscode für Lobby: (\d{4}-\d{4})/,
    pair: 'Koppeln', pairCode: 'Kopplungscode', welcome: 'Willkommen! Wen möchten Sie sprechen?', keyboard: 'Bildschirmtastatur',
    cardNumber: 'Kartennummer', holder: 'Inhaber-Referenz (Benutzer- oder Besuchs-ID)', addCard: 'Karte hinzufügen',
    queue: 'Warteschlange am Empfang', answer: 'Annehmen', openDoor: 'Tür öffnen', doorOpened: 'Tür geöffnet', hangup: 'Auflegen',
    ringing: 'Anna Müller wird angerufen …', inCall: 'Im Gespräch', doorOpen: 'Die Tür ist offen – bitte eintreten.', ended: 'Gespräch beendet. Auf Wiedersehen!',
  },
  en: {
    locale: 'en-US', saved: /Saved/, user: 'User name', password: 'Password', signIn: 'Sign in',
    siteId: 'Site id', create: 'Create', doorName: 'Door name', doors: ['Main entrance', 'Deliveries'], siteName: 'Head office',
    newSite: 'New site (id, name, time zone)', newDoor: 'New door', newEntry: 'New entry', assignRole: 'Assign a role', at: 'at',
    login: 'User name', displayName: 'Display name', assign: 'Assign role', group: 'Group (role)', online: 'online',
    reception: 'Reception', host: 'Host', kind: 'Kind', person: 'Person', receptionKind: 'Reception', department: 'Department', deskUser: 'User (softphone)',
    purchasing: 'Purchasing', receptionName: 'Front desk', cardAdded: 'Card for anna added.', ruleJson: 'Rule (JSON)', saveRule: 'Save rule', ruleDescription: 'Button at the reception',
    deviceId: 'Device id', doorController: 'Door controller', register: 'Register', door: 'Door', pairingCode: /Pairing code for Lobby: (\d{4}-\d{4})/,
    pair: 'Pair', pairCode: 'Pairing code', welcome: 'Welcome! Who would you like to see?', keyboard: 'On-screen keyboard',
    cardNumber: 'Card number', holder: 'Holder reference (user or visit id)', addCard: 'Add card',
    queue: 'Reception queue', answer: 'Answer', openDoor: 'Open door', doorOpened: 'Door opened', hangup: 'Hang up',
    ringing: 'Calling Anna Müller …', inCall: 'In call', doorOpen: 'The door is open – please come in.', ended: 'Call ended. Goodbye!',
  },
} as const;

/** What a page loaded over the network (its navigation and every resource), in bytes. */
async function weight(page: Page): Promise<{ transferred: number; decoded: number }> {
  return page.evaluate(() => {
    const entries = [...performance.getEntriesByType('navigation'), ...performance.getEntriesByType('resource')] as PerformanceResourceTiming[];
    return { transferred: entries.reduce((n, e) => n + e.transferSize, 0), decoded: entries.reduce((n, e) => n + e.decodedBodySize, 0) };
  });
}
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;

describe("a newcomer's day through the pages alone", () => {
  let chromium: { browser: Browser; close: () => Promise<void> };
  beforeAll(async () => { chromium = await launchChromium(); });
  afterAll(async () => { await chromium?.close(); });

  for (const lang of ['de', 'en'] as const) {
    it(`${lang}: first run, site, doors, users with roles, phone book, terminal, door controller, card, rule — then a call, the door, hang up`, async () => {
      await newcomersDay(chromium.browser, lang);
    }, 300_000);
  }
});

async function newcomersDay(browser: Browser, lang: Lang): Promise<void> {
  const w = W[lang];
  // The controller acknowledges at once; the window only has to outlast a loaded machine.
  const gw = await startGateway({ PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '60' });
  const contexts: Array<Awaited<ReturnType<Browser['newContext']>>> = [];
  let controller: mqtt.MqttClient | undefined;
  const page = async (): Promise<Page> => {
    const context = await browser.newContext({ locale: w.locale });
    contexts.push(context);
    await capturePeerConnections(context);
    return context.newPage();
  };
  try {
    // The first-run link the gateway wrote at its first start (http://localhost:<port>/first-run#token=…).
    const firstRun = readFileSync(gw.gateway.firstRunFile!, 'utf8').match(/http\S+first-run#token=\S+/)![0];
    const admin = await page();
    await admin.goto(firstRun);
    await admin.getByLabel(/Neues Passwort/).fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: /Speichern/ }).click();
    await admin.getByRole('status').filter({ hasText: /Gespeichert/ }).waitFor();
    const url = new URL(firstRun).origin;

    await admin.goto(`${url}/admin`);
    await admin.getByLabel(w.user).fill('admin');
    await admin.getByLabel(w.password).fill(ADMIN_PASSWORD);
    await admin.getByRole('button', { name: w.signIn }).click();
    await admin.getByRole('group', { name: w.newSite }).waitFor();
    const adminWeight = await weight(admin);

    // The site and its doors.
    const siteSection = admin.locator('#section-site');
    const newSite = siteSection.getByRole('group', { name: w.newSite });
    await newSite.getByLabel(w.siteId).fill('hq');
    await newSite.getByLabel('Name', { exact: true }).fill(w.siteName);
    await newSite.getByRole('button', { name: w.create }).click();
    await admin.locator('#site').getByRole('option', { name: w.siteName }).waitFor({ state: 'attached' });
    const newDoor = siteSection.getByRole('form', { name: w.newDoor });
    for (const name of w.doors) {
      await newDoor.getByLabel(w.doorName).fill(name);
      await newDoor.getByRole('button', { name: w.create }).click();
      await siteSection.getByRole('textbox', { name: w.doorName }).and(admin.locator(`[value="${name}"]`)).waitFor();
    }

    // Users with roles: a host and a receptionist.
    const users = admin.locator('#section-users');
    for (const [login, display, role] of [['anna', 'Anna Müller', w.host], ['rita', 'Rita Schulz', w.reception]] as const) {
      await users.getByRole('textbox', { name: w.login }).fill(login);
      await users.getByRole('textbox', { name: w.displayName }).fill(display);
      await users.getByLabel(w.password).fill(DESK_PASSWORD);
      await users.getByRole('button', { name: w.create }).click();
      await users.getByRole('cell', { name: login, exact: true }).waitFor();
      const assign = users.getByRole('form', { name: w.assignRole });
      await assign.getByRole('combobox', { name: w.login }).selectOption({ label: login });
      await assign.getByRole('combobox', { name: w.group }).selectOption({ label: role });
      await assign.getByRole('button', { name: w.assign }).click();
      await users.locator(`tr[data-user="${login}"]`).getByText(`${role} ${w.at} ${w.siteName}`).waitFor();
    }

    // The phone book: the host and the reception.
    const book = admin.getByRole('form', { name: w.newEntry });
    for (const [kind, name, department, user, group] of [
      [w.person, 'Anna Müller', w.purchasing, 'anna', null], [w.receptionKind, w.receptionName, null, null, w.reception],
    ] as const) {
      await book.getByRole('combobox', { name: w.kind, exact: true }).selectOption({ label: kind });
      await book.getByRole('textbox', { name: 'Name', exact: true }).fill(name);
      if (department) await book.getByRole('textbox', { name: w.department }).fill(department);
      if (user) await book.getByRole('combobox', { name: w.deskUser }).selectOption({ label: user });
      if (group) await book.getByRole('combobox', { name: w.group }).selectOption({ label: group });
      await book.getByRole('button', { name: w.create }).click();
      await admin.locator('#section-phonebook').getByRole('cell', { name, exact: true }).waitFor();
    }

    // A terminal at the main entrance, paired in a second page with the code the admin page shows.
    const terminals = admin.locator('#section-terminals');
    await terminals.getByRole('textbox', { name: 'Name', exact: true }).fill('Lobby');
    await terminals.getByRole('combobox', { name: w.door, exact: true }).selectOption({ label: w.doors[0] });
    await terminals.getByRole('button', { name: w.create }).click();
    const code = (await terminals.getByRole('status').filter({ hasText: w.pairingCode }).textContent())!.match(w.pairingCode)![1]!;
    const kiosk = await page();
    await kiosk.goto(`${url}/terminal`);
    await kiosk.getByLabel(w.pairCode).fill(code);
    await kiosk.getByRole('button', { name: w.pair }).click();
    await kiosk.getByRole('heading', { name: w.welcome }).waitFor();
    const kioskWeight = await weight(kiosk);

    // The door controller: registered on the page, connected with what the page shows once.
    const devices = admin.locator('#section-devices');
    await devices.getByRole('textbox', { name: w.deviceId }).fill('main-door');
    await devices.getByRole('combobox', { name: w.kind, exact: true }).selectOption({ label: w.doorController });
    await devices.getByRole('combobox', { name: w.door, exact: true }).selectOption({ label: w.doors[0] });
    await devices.getByRole('button', { name: w.register }).click();
    const secretPanel = devices.locator('[data-device-secret="main-door"]');
    const field = async (name: string) => (await secretPanel.locator(`[data-field="${name}"]`).textContent())!.trim();
    const [host, port, username, secret] = [await field('host'), await field('tcp'), await field('username'), await field('secret')];
    const subscribes = await secretPanel.getByRole('listitem').filter({ hasText: '/cmd' }).allTextContents();
    const ackTopic = (await secretPanel.getByRole('listitem').filter({ hasText: /\/ack$/ }).textContent())!.trim();
    expect(subscribes.length).toBeGreaterThan(0);
    controller = await mqtt.connectAsync(`mqtt://${host === 'localhost' ? '127.0.0.1' : host}:${port}`, { username, password: secret, clientId: username, reconnectPeriod: 0 });
    await controller.subscribeAsync(subscribes.map((x) => x.trim()), { qos: 1 });
    const commands: Array<{ id: string; action: string }> = [];
    controller.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as { id: string; action: string };
      commands.push(command);
      // The controller opens the door and says so.
      void controller!.publishAsync(ackTopic, JSON.stringify({ id: command.id, result: 'ok' }), { qos: 1 });
    });
    await admin.reload();
    await admin.locator('#section-devices').getByText(`main-door (${w.doorController}) – ${w.online}`).waitFor();

    // A card for the host at the main entrance, and a rule.
    const cards = admin.locator('section', { has: admin.locator('#cards-heading') });
    await cards.getByLabel(w.cardNumber).fill('04A1B2C3D4');
    await cards.getByLabel(w.holder).fill('anna');
    await cards.getByRole('checkbox', { name: w.doors[0] }).check();
    await cards.getByRole('button', { name: w.addCard }).click();
    await cards.getByRole('status').filter({ hasText: w.cardAdded }).waitFor();
    const rules = admin.locator('section', { has: admin.locator('#rules-heading') });
    const editor = rules.getByLabel(w.ruleJson);
    const rule = JSON.parse(await editor.inputValue()) as { id: string; description: string };
    await editor.fill(JSON.stringify({ ...rule, id: 'lobby-button', description: w.ruleDescription }, null, 2));
    await rules.getByRole('button', { name: w.saveRule }).click();
    await rules.getByRole('status').filter({ hasText: 'lobby-button' }).waitFor();

    // The day's first visitor: the host signs in at the desk, the visitor types on the kiosk.
    const desk = await page();
    await desk.goto(`${url}/desk`);
    await desk.getByLabel(w.user).fill('anna');
    await desk.getByLabel(w.password).fill(DESK_PASSWORD);
    await desk.getByRole('button', { name: w.signIn }).click();
    await deskConnected(desk);
    const deskWeight = await weight(desk);
    const keys = kiosk.getByRole('group', { name: w.keyboard });
    const firstTouch = Date.now();
    await keys.getByRole('button', { name: 'M', exact: true }).click();
    await keys.getByRole('button', { name: 'Ü', exact: true }).click();
    await kiosk.getByRole('button', { name: /Anna Müller/ }).click();
    await kiosk.getByText(w.ringing).waitFor();
    const kioskRinging = Date.now();
    const ring = desk.getByRole('alertdialog');
    await ring.waitFor();
    const deskRinging = Date.now();
    await ring.getByRole('button', { name: w.answer }).click();
    await kiosk.getByText(w.inCall, { exact: true }).waitFor();
    await desk.getByRole('button', { name: w.openDoor }).click();
    await kiosk.getByText(w.doorOpen).waitFor();
    await desk.getByText(w.doorOpened).waitFor();
    expect(commands.map((c) => c.action)).toEqual(['unlock']);
    await desk.getByRole('button', { name: w.hangup }).click();
    await kiosk.getByText(w.ended).waitFor();
    await kiosk.getByRole('heading', { name: w.welcome }).waitFor();

    console.log([
      `newcomer (${lang}): first touch → kiosk ringing ${kioskRinging - firstTouch} ms, → desk ringing ${deskRinging - firstTouch} ms (two on-screen keys, one entry card)`,
      `newcomer (${lang}): page weight at first load (transferred / decoded): terminal ${kib(kioskWeight.transferred)} / ${kib(kioskWeight.decoded)}, desk ${kib(deskWeight.transferred)} / ${kib(deskWeight.decoded)}, admin ${kib(adminWeight.transferred)} / ${kib(adminWeight.decoded)}`,
    ].join('\n'));
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    await controller?.endAsync(true).catch(() => undefined);
    await gw.close();
  }
}
