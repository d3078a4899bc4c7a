// The kiosk never lies and never strands the visitor (Debian's Chromium against a
// real gateway and a real MQTT door controller): the door's real state, a call
// that ends before anyone rings, cancel, a revoked or re-paired terminal, the
// reception button on first load, the call's controls in view without scrolling.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { ack, connect, seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { deskConnected, deskPage, deskSessions, pairedTerminalPage, capturePeerConnections, terminalConnected, waitForInbound, DESK_PASSWORD } from '../support/pages.ts';

/** Records every camera/microphone stream the page opens, so a test can ask whether they were stopped. */
const RECORD_STREAMS = () => {
  const streams: MediaStream[] = [];
  (window as unknown as { __streams: MediaStream[] }).__streams = streams;
  const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
  navigator.mediaDevices.getUserMedia = async (c) => { const s = await original(c); streams.push(s); return s; };
};
const liveTracks = (p: Page) => p.evaluate(() =>
  (window as unknown as { __streams: MediaStream[] }).__streams.flatMap((s) => s.getTracks()).filter((t) => t.readyState === 'live').length);

/** The door controller: an mqtt.js client that acknowledges a command only when the test says so. */
async function doorController(gw: Gw, site: SiteFixture) {
  const registered = await site.admin.post('/api/devices', { id: 'kiosk-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
  expect(registered.status, JSON.stringify(registered.body)).toBe(201);
  const ready = (await site.admin.get('/ready')).body;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, {
    username: 'kiosk-door', password: registered.body.secret, clientId: 'kiosk-door', reconnectPeriod: 0,
  });
  await client.subscribeAsync(`portier/hq/doors/${site.doorId}/cmd`, { qos: 1 });
  const received: Array<{ id: string }> = [];
  const waiting: Array<(c: { id: string }) => void> = [];
  client.on('message', (_topic, payload) => {
    const command = JSON.parse(payload.toString()) as { id: string };
    const w = waiting.shift();
    if (w) w(command); else received.push(command);
  });
  return {
    client,
    nextCommand: () => new Promise<{ id: string }>((resolve) => { const c = received.shift(); if (c) resolve(c); else waiting.push(resolve); }),
    acknowledge: (id: string, result: 'ok' | 'refused' = 'ok') => client.publishAsync('portier/hq/kiosk-door/ack', JSON.stringify({ id, result }), { qos: 1 }),
  };
}

/** Waits for a condition of the in-process gateway that has no event of its own (bounded). */
async function until(check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// One Chromium for the whole file (each part below has its own gateway and browser contexts).
let chromium: { browser: Browser; close: () => Promise<void> };
beforeAll(async () => { chromium = await launchChromium(); });
afterAll(async () => { await chromium?.close(); });

describe('an honest kiosk', () => {
  let gw: Gw;
  let site: SiteFixture;
  let url: string;
  let door: Awaited<ReturnType<typeof doorController>>;
  /** A login's desk: signed in through its form once, later by its session (deskSessions). */
  let desk: ReturnType<typeof deskSessions>;
  const pages: Page[] = [];
  const open = async (p: Promise<Page>) => { const page = await p; pages.push(page); return page; };

  beforeAll(async () => {
    // The test acknowledges door commands by hand: a window no loaded machine misses.
    gw = await startGateway({ PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '60' });
    // A ring lasts until the test's click answers or cancels it, however loaded the machine (5 s did not: CI).
    site = await seedSite(gw, { legTimeoutS: 60 });
    url = gw.base.replace('127.0.0.1', 'localhost');
    desk = deskSessions(chromium.browser, url);
    door = await doorController(gw, site);
  });
  afterEach(async () => {
    // Every desk signs off after its test: the next one decides who is at a desk.
    for (const p of pages.splice(0)) await p.context().close();
    await until(() => gw.gateway.services.signaling.status().desks === 0, 30_000);
  });
  afterAll(async () => {
    await door?.client.endAsync(true);
    await gw?.close();
  });

  /** A German terminal page paired through its form; the reception button is there before anything is typed. */
  const germanTerminal = async (name: string) => {
    const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq', doorId: site.doorId })).body;
    const context = await chromium.browser.newContext({ locale: 'de-DE' });
    await context.addInitScript(RECORD_STREAMS);
    await capturePeerConnections(context);
    const terminal = await open(context.newPage());
    await terminal.goto(`${url}/terminal`);
    await terminal.getByLabel('Kopplungscode').fill(created.pairing.code);
    await terminal.getByRole('button', { name: 'Koppeln' }).click();
    await terminalConnected(terminal);
    return { terminal, id: created.terminal.id as string };
  };

  const answeredCall = async (terminal: Page, desk: Page, host = /Anna Müller/) => {
    await terminal.getByLabel(/Name oder Abteilung|Name or department/).fill('mueller');
    await terminal.getByRole('button', { name: host }).click();
    await desk.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
  };

  /** Anna answers a German terminal's call and asks the door to open: the terminal shows it opening, the command waits for the test. */
  const doorAsked = async (...terminalArgs: Parameters<typeof germanTerminal>) => {
    const anna = await open(desk('anna'));
    const { terminal } = await germanTerminal(...terminalArgs);
    await answeredCall(terminal, anna);
    await anna.getByRole('button', { name: 'Open door' }).click();
    const command = await door.nextCommand();
    await terminal.getByText('Die Tür wird geöffnet …').waitFor();
    return { anna, terminal, command };
  };

  /** Anna's desk in `context` (set up by the test), signed in through its form. */
  const annaIn = async (context: BrowserContext) => {
    const anna = await open(context.newPage());
    await anna.goto(`${url}/desk`);
    await anna.getByLabel('User name').fill('anna');
    await anna.getByLabel('Password').fill(DESK_PASSWORD);
    await anna.getByRole('button', { name: 'Sign in' }).click();
    await deskConnected(anna);
    return anna;
  };

  it('shows the reception button on first load, before the visitor types anything', async () => {
    const { terminal } = await germanTerminal('Lobby reception button');
    await terminal.getByRole('button', { name: 'Empfang anrufen' }).waitFor();
    expect(await terminal.getByLabel('Name oder Abteilung').inputValue()).toBe('');
  });

  it('shows opening, then open only when the door acknowledged, and failed (with what to do) when it refused — in German and English', async () => {
    const { anna, terminal, command: first } = await doorAsked('Lobby door');
    await door.acknowledge(first.id);
    await terminal.getByText('Die Tür ist offen – bitte eintreten.').waitFor();
    await anna.getByText('Door opened').waitFor();

    // This time the controller refuses.
    await anna.getByRole('button', { name: 'Open door' }).click();
    const second = await door.nextCommand();
    await terminal.getByText('Die Tür wird geöffnet …').waitFor();
    await door.acknowledge(second.id, 'refused');
    await terminal.getByText('Die Tür konnte nicht geöffnet werden. Bitte warten Sie – Ihr Gesprächspartner ist informiert.').waitFor();
    await expect(terminal.getByText('Die Tür ist offen – bitte eintreten.').count()).resolves.toBe(0);
    await anna.getByText(/The door could not be opened: the door refused/).waitFor();
    await terminal.getByRole('button', { name: 'English' }).click();
    await terminal.getByText('The door could not be opened. Please wait – the person you called has been told.').waitFor();
    await expect(terminal.locator('[data-door]').getAttribute('data-door')).resolves.toBe('failed');
    await terminal.getByRole('button', { name: 'Hang up' }).click();
  });

  it('plays a sound cue for ringing, door open and door failed (Web Audio, after the visitor\'s touch); none when the site turned them off', async () => {
    const cuesOf = async (p: Page) => ((await p.getByTestId('cues').getAttribute('data-cues')) ?? '').split(' ').filter(Boolean);
    const anna = await open(desk('anna'));
    const { terminal } = await germanTerminal('Lobby cues');
    await answeredCall(terminal, anna);
    expect(await cuesOf(terminal)).toEqual(['ringing:played']);
    await anna.getByRole('button', { name: 'Open door' }).click();
    await door.acknowledge((await door.nextCommand()).id);
    await terminal.getByText('Die Tür ist offen – bitte eintreten.').waitFor();
    await anna.getByRole('button', { name: 'Open door' }).click();
    await door.acknowledge((await door.nextCommand()).id, 'refused');
    await terminal.locator('[data-door="failed"]').waitFor();
    expect(await cuesOf(terminal)).toEqual(['ringing:played', 'door-open:played', 'door-failed:played']);
    await terminal.getByRole('button', { name: 'Auflegen' }).click();

    // The site's admin turns the cues off (volume 0): a kiosk that starts afresh plays none, and says so.
    const screen = { customerName: '', welcome: { de: '', en: '' }, privacy: { de: '', en: '' }, showAvailability: false };
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', { ...screen, cueVolume: 0 })).status).toBe(200);
    try {
      await terminal.reload();
      await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor();
      await answeredCall(terminal, anna);
      await anna.getByRole('button', { name: 'Open door' }).click();
      await door.acknowledge((await door.nextCommand()).id);
      await terminal.getByText('Die Tür ist offen – bitte eintreten.').waitFor();
      expect(await cuesOf(terminal)).toEqual(['ringing:off', 'door-open:off']);
      await terminal.getByRole('button', { name: 'Auflegen' }).click();
    } finally {
      expect((await site.admin.call('PUT', '/api/sites/hq/welcome', { ...screen, cueVolume: 60 })).status).toBe(200);
    }
  });

  it('with no desk signed in, says nobody answered, stops the camera and returns to the start', async () => {
    const { terminal } = await germanTerminal('Lobby nobody');
    await terminal.getByLabel('Name oder Abteilung').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await terminal.getByText('Leider hat niemand abgenommen. Bitte versuchen Sie es später erneut.').waitFor();
    await expect(terminal.getByText('Anna Müller wird angerufen …').count()).resolves.toBe(0);
    expect(await liveTracks(terminal)).toBe(0);
    await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor({ timeout: 20_000 });
  });

  it('a door outcome that arrives after the call is over never shows to the next visitor', async () => {
    const { anna, terminal, command } = await doorAsked('Lobby late door');
    // The host hangs up while the door has not answered; the kiosk returns to its start screen.
    await anna.getByRole('button', { name: 'Hang up', exact: true }).click();
    await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor({ timeout: 20_000 });
    await door.acknowledge(command.id, 'refused');
    await anna.getByText(/The door could not be opened: the door refused/).waitFor();
    // A search answered on the same socket comes after the late door.state: by then the page has seen it.
    await terminal.getByLabel('Name oder Abteilung').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).waitFor();
    await expect(terminal.locator('[data-door]').count()).resolves.toBe(0);
  });

  it('a desk whose connection drops while the door is being asked says the outcome is unknown and can try again', async () => {
    // The desk's WebSocket runs through the test, which cuts it as a network drop or a gateway restart would.
    const context = await chromium.browser.newContext({ locale: 'en-US' });
    await capturePeerConnections(context);
    const links: Array<{ page: WebSocketRoute; gateway: WebSocketRoute }> = [];
    await context.routeWebSocket(/\/socket\.io\//, (page) => { links.push({ page, gateway: page.connectToServer() }); });
    const anna = await annaIn(context);
    const { terminal } = await germanTerminal('Lobby dropped desk');
    await answeredCall(terminal, anna);

    await anna.getByRole('button', { name: 'Open door' }).click();
    const command = await door.nextCommand();
    await expect(anna.locator('[data-action="open-door"]').getAttribute('data-door')).resolves.toBe('opening');
    for (const { page, gateway } of links.splice(0)) { await page.close(); await gateway.close(); }
    // socket.io never delivers that answer now: the button must not wait for it for the rest of the call.
    await anna.getByText('Connection to the gateway lost – whether the door opened is unknown. Please ask the visitor.').waitFor();
    await expect(anna.locator('[data-action="open-door"]').isEnabled()).resolves.toBe(true);
    await door.acknowledge(command.id);
    await terminal.getByText('Die Tür ist offen – bitte eintreten.').waitFor();
    await terminal.getByRole('button', { name: 'Auflegen' }).click();
  });

  it('a desk whose camera is refused still answers: it receives the visitor, says what is missing and can hang up', async () => {
    const context = await chromium.browser.newContext({ locale: 'en-US' });
    await capturePeerConnections(context);
    // Another program holds the camera: every request with video fails, the microphone alone works.
    await context.addInitScript(() => {
      const original = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c) => (c?.video ? Promise.reject(new DOMException('Could not start video source', 'NotReadableError')) : original(c));
    });
    const anna = await annaIn(context);
    const { terminal } = await germanTerminal('Lobby no camera');
    await answeredCall(terminal, anna);
    await anna.getByText('Your camera is not available (in use by another program or not allowed): the visitor hears you but cannot see you.').waitFor();
    await waitForInbound(anna, (s) => s.framesDecoded >= 5 && s.audioPacketsReceived >= 5);
    await waitForInbound(terminal, (s) => s.audioPacketsReceived >= 5);
    await anna.getByRole('button', { name: 'Hang up', exact: true }).click();
    await terminal.getByText('Gespräch beendet. Auf Wiedersehen!').waitFor();
  });

  it('cancel while it rings brings the visitor straight back to the start, and the desk stops ringing', async () => {
    const rita = await open(desk('rita'));
    const { terminal } = await germanTerminal('Lobby cancel');
    await terminal.getByRole('button', { name: 'Empfang anrufen' }).click();
    await rita.getByRole('alertdialog').waitFor();
    await terminal.getByRole('button', { name: 'Abbrechen' }).click();
    await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor();
    await rita.getByRole('alertdialog').waitFor({ state: 'detached' });
    expect(await liveTracks(terminal)).toBe(0);
  });

  it('a visitor who calls a busy reception waits in the queue: shown with the position and a way back, rung once a receptionist is free', async () => {
    // The call that keeps the receptionist busy comes from the seeded terminal's socket: one kiosk page less to draw.
    const lobby = await connect(gw, '/terminal', site.terminal.cookie);
    try {
      const rita = await open(desk('rita'));
      const busy = await ack(lobby, 'call.start', { entryId: site.entries.Empfang });
      expect(busy.ok).toBe(true);
      await rita.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
      await rita.locator('section.call').waitFor();

      // The positions themselves (several waiting, moving up): test/calls/call-service.test.ts.
      const { terminal } = await germanTerminal('Lobby queue');
      await terminal.getByRole('button', { name: 'Empfang anrufen' }).click();
      await terminal.locator('[data-step="queued"]', { hasText: 'Alle Mitarbeitenden am Empfang sind im Gespräch. Sie sind an Position 1.' }).waitFor();
      await terminal.getByRole('button', { name: 'Abbrechen' }).waitFor();

      // The receptionist is free again: the waiting visitor is rung at her desk, and can still leave.
      await rita.getByRole('button', { name: 'Hang up', exact: true }).click();
      await terminal.locator('[data-step="ringing"]').waitFor();
      await rita.getByRole('alertdialog').waitFor();
      await terminal.getByRole('button', { name: 'Abbrechen' }).click();
      await terminal.getByRole('heading', { name: 'Willkommen! Wen möchten Sie sprechen?' }).waitFor();
      await rita.getByRole('alertdialog').waitFor({ state: 'detached' });
    } finally {
      lobby.close();
    }
  });

  it('a revoked terminal returns to the pairing screen', async () => {
    const { terminal, id } = await germanTerminal('Lobby revoked');
    expect((await site.admin.post(`/api/credentials/${id}/revoke`)).status).toBe(200);
    await terminal.getByRole('heading', { name: 'Terminal koppeln' }).waitFor();
    await expect(terminal.getByText('Verbindung zum Server wird wiederhergestellt …').count()).resolves.toBe(0);
  });

  it('a terminal paired again on another kiosk returns to the pairing screen on the old one', async () => {
    const { terminal, id } = await germanTerminal('Lobby re-paired');
    const code = (await site.admin.post(`/api/terminals/${id}/pairing-code`)).body.code as string;
    const kiosk = new ApiClient(gw.base);
    expect((await kiosk.post('/api/terminal/pair', { code })).status).toBe(200);
    await terminal.getByRole('heading', { name: 'Terminal koppeln' }).waitFor();
  });

  for (const viewport of [{ width: 1280, height: 800 }, { width: 1080, height: 1920 }]) {
    it(`keeps hang-up and open-door in view without scrolling at ${viewport.width}×${viewport.height}`, async () => {
      const anna = await open(desk('anna', { viewport }));
      const terminal = await open(pairedTerminalPage(chromium.browser, url, site, `Lobby ${viewport.width}`, { viewport, doorId: site.doorId }));
      await answeredCall(terminal, anna);
      await anna.getByRole('button', { name: 'Open door' }).waitFor();
      const inView = async (p: Page, name: string) => {
        const box = await p.getByRole('button', { name, exact: true }).boundingBox();
        expect(box, name).not.toBeNull();
        expect(await p.evaluate(() => window.scrollY)).toBe(0);
        expect(box!.y, `${name} top`).toBeGreaterThanOrEqual(0);
        expect(box!.y + box!.height, `${name} bottom at ${viewport.height}`).toBeLessThanOrEqual(viewport.height);
      };
      await inView(terminal, 'Hang up');
      await inView(anna, 'Open door');
      await inView(anna, 'Hang up');
      await terminal.getByRole('button', { name: 'Hang up' }).click();
      await anna.locator('section.call').waitFor({ state: 'detached' });
    });
  }
});

describe('a door with no controller (as in demo mode)', () => {
  let gw: Gw;
  let site: SiteFixture;
  beforeAll(async () => {
    // Nobody can acknowledge: the command fails at its bound (the behaviour under test, not a wait for speed).
    gw = await startGateway({ PORTIER_DEVICE_HUB__COMMAND_ACK_SECONDS: '2' });
    site = await seedSite(gw, { legTimeoutS: 60 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('the kiosk says the door could not be opened, never that it is open', async () => {
    const url = gw.base.replace('127.0.0.1', 'localhost');
    const anna = await deskPage(chromium.browser, url, 'anna');
    const terminal = await pairedTerminalPage(chromium.browser, url, site, 'Lobby demo', { doorId: site.doorId });
    await terminal.getByLabel('Name or department').fill('mueller');
    await terminal.getByRole('button', { name: /Anna Müller/ }).click();
    await anna.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
    await anna.getByRole('button', { name: 'Open door' }).click();
    await terminal.getByText('The door could not be opened. Please wait – the person you called has been told.').waitFor();
    await expect(terminal.getByText('The door is open – please come in.').count()).resolves.toBe(0);
    await anna.getByText(/The door could not be opened: the door did not answer/).waitFor();
    await terminal.context().close();
    await anna.context().close();
  });
});

describe('the first-run link', () => {
  let gw: Gw;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('opens as printed in a browser on this machine and sets the admin password', async () => {
    const link = (await import('node:fs')).readFileSync(gw.gateway.firstRunFile!, 'utf8').trim();
    expect(link).toMatch(new RegExp(`^http://localhost:${gw.gateway.services.web.ports.http}/first-run#token=`));
    const page = await (await chromium.browser.newContext({ locale: 'de-DE' })).newPage();
    await page.goto(link);
    await page.getByLabel(/Neues Passwort/).fill(DESK_PASSWORD);
    await page.getByRole('button', { name: /Speichern/ }).click();
    await page.getByText(/Gespeichert/).waitFor();
    const admin = new ApiClient(gw.base);
    expect((await admin.post('/api/auth/login', { login: 'admin', password: DESK_PASSWORD })).status).toBe(200);
    await page.context().close();
  });

  it('tells how to reach it from another computer: the CA page and the CA certificate\'s SHA-256 fingerprint', async () => {
    const { X509Certificate } = await import('node:crypto');
    const ca = await (await fetch(`${gw.base}/ca.crt`)).text();
    const help = gw.gateway.firstRunHelp('http://localhost:1/first-run#token=abc');
    expect(help).toContain('http://localhost:1/first-run#token=abc');
    expect(help).toContain(`/ca   (SHA-256: ${new X509Certificate(ca).fingerprint256})`);
    expect(help).toMatch(/https:\/\/[^/]+:\d+\/first-run#token=abc/);
  });
});
