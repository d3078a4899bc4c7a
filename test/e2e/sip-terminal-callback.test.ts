// A telephone calls a lobby terminal back (issue 13, slice 2): sipp plays the PBX
// (challenged, then authenticated with the trunk's credentials) and dials the
// number configured for the terminal (sip.accounts[].inbound.terminals); the
// Chromium kiosk answers by itself, chimes and shows who is connected and that
// camera and microphone are on (in English and German), audio flows both ways
// (PCMA at the PBX's socket, the PBX's capture decoded by the page, both counted
// in mediasoup's stats), the answer is audited with the call id and the configured caller's key,
// and the kiosk's Hang up sends BYE. The caller is the P-Asserted-Identity the PBX
// (a listed source) asserts, never the From header it passes through: a listed
// number in From without that, or with another asserted caller, gets 403 and the
// kiosk shows nothing (review s21 #1); one listed without a name is shown by its
// number, never by the display name it sent. When the PBX moves the callback to
// another listed caller (REFER, the target reached through Kamailio), the kiosk's
// notice names the new caller and says the call was passed on (review s25 #9).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { englishPage, terminalConnected, waitForEachProducer } from '../support/pages.ts';
import { producersFrom, until } from '../support/call-flow.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { writeInboundScenarios } from '../sip-bridge/inbound-scenarios.ts';
import { writePbxMoveScenarios } from '../sip-bridge/pbx-move-scenarios.ts';
import { pbxAnswered } from '../support/sip-call-files.ts';

const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
const NUMBER = '4790';

describe('the reception calls a lobby terminal back', () => {
  let gw: Gw;
  let kamailio: Kamailio;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let dataDir: string;
  let scenarioDir: string;
  let scenarios: ReturnType<typeof writeInboundScenarios>;
  let terminalId: string;
  let kiosk: Page;
  let sipPort: number;
  let target: Sipp;
  const sipps: Sipp[] = [];
  // The PBX's ear: its SDP names this socket; it counts PCMA packets (payload type 8).
  const ear = createSocket('udp4');
  let heard = 0;
  ear.on('message', (b) => { if (b.length >= 12 && (b[1]! & 0x7f) === 8) heard++; });

  /** A copy of a scenario whose INVITEs carry `P-Asserted-Identity: <identity>` (what the PBX asserts). */
  const INVITE_CONTACT = 'Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>';
  const asserting = (scenario: string, name: string, identity: string, edit = (xml: string) => xml) => {
    const file = join(scenarioDir, `${name}.xml`);
    const xml = readFileSync(scenario, 'utf8');
    expect(xml).toContain(INVITE_CONTACT);
    writeFileSync(file, edit(xml.replaceAll(INVITE_CONTACT, `${INVITE_CONTACT}\nP-Asserted-Identity: ${identity}`)));
    return file;
  };

  const callIn = async (scenario: string) => {
    const sipp = await Sipp.uac(scenario, `127.0.0.1:${sipPort}`, {
      keys: { dialled: NUMBER, rtp_port: ear.address().port }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `${NUMBER}@127.0.0.1:${sipPort}` },
    });
    sipps.push(sipp);
    return sipp;
  };

  beforeAll(async () => {
    await new Promise<void>((resolve) => ear.bind(0, '127.0.0.1', resolve));
    dataDir = mkdtempSync(join(tmpdir(), 'portier-callback-e2e-'));
    scenarioDir = mkdtempSync(join(tmpdir(), 'portier-callback-e2e-sipp-'));
    scenarios = writeInboundScenarios(scenarioDir);
    // The extension `target` a move rings (through the account, Kamailio forwarding it): answers one call.
    target = await Sipp.uas(join(import.meta.dirname, '..', 'sip-bridge', 'scenarios', 'answer.xml'), { rtp_port: ear.address().port }, { calls: 1 });
    sipps.push(target);
    kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { target: { host: '127.0.0.1', port: target.port } } });
    // The number names the terminal: create it first, then start the gateway configured with it on the same data.
    const seeding = await startGateway({ PORTIER_DATA_DIR: dataDir });
    const site = await seedSite(seeding);
    const created = (await site.admin.post('/api/terminals', { name: 'Lobby North', siteId: 'hq' })).body;
    terminalId = created.terminal.id;
    await seeding.close();
    gw = await startGateway({
      PORTIER_DATA_DIR: dataDir,
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test, `
        + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, sources: ["127.0.0.1"], numbers: [], `
        + `terminals: [{number: "${NUMBER}", terminal: "${terminalId}", callers: [{id: reception, number: "7001", name: "Reception"}, {id: porter, number: "7002"}, {id: front, number: target, name: "Front desk"}]}]}}]`,
    });
    sipPort = gw.gateway.services.sip.account('pbx')!.transport!.port;
    const admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    expect((await admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Extension target', routes: [{ type: 'sip', accountId: 'pbx', user: 'target' }] })).status).toBe(201);
    chromium = await launchChromium();
    kiosk = await englishPage(chromium.browser);
    await kiosk.goto(`${gw.base.replace('127.0.0.1', 'localhost')}/terminal`);
    await kiosk.getByLabel('Pairing code').fill(created.pairing.code);
    await kiosk.getByRole('button', { name: 'Pair' }).click();
    // Connected: a telephone's call finds the kiosk offline (480) before.
    await terminalConnected(kiosk);
  }, 180_000); // Kamailio, two gateway starts, Chromium and a pairing: more than the 60 s default on a loaded machine (review s21 #20)
  afterAll(async () => {
    await kiosk?.context().close().catch(() => undefined);
    await chromium?.close();
    for (const s of sipps) await s.close();
    await gw?.close();
    await kamailio?.close();
    ear.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scenarioDir, { recursive: true, force: true });
  });

  const refusedAtTheKiosk = async (scenario: string) => {
    const refusedBefore = gw.gateway.services.sip.account('pbx')!.status().inbound.refused;
    const sipp = await callIn(scenario);
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    expect(gw.gateway.services.sip.account('pbx')!.status().inbound.refused).toBe(refusedBefore + 1);
    expect(gw.gateway.services.calls.activeCalls).toHaveLength(0);
    expect(await gw.gateway.services.audit.list({ action: 'call.auto-answer' })).toHaveLength(0);
    await kiosk.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
    expect(await kiosk.getByTestId('callback-notice').count()).toBe(0);
  };

  it('a caller not configured for the number gets 403 and the kiosk shows nothing', async () => {
    // The same PBX, authenticated, but it asserts extension 6666 (and From says so too).
    await refusedAtTheKiosk(asserting(scenarios['refused-403'], 'stranger-403', '<sip:6666@pbx.test>', (xml) => xml.replaceAll('sip:7001@', 'sip:6666@')));
  });

  it('a listed number in From is not enough: without an asserted identity, or with another one asserted, 403 (review s21 #1)', async () => {
    // An outside caller who set the reception's number as caller ID, passed through by the PBX in From.
    await refusedAtTheKiosk(scenarios['refused-403']);
    await refusedAtTheKiosk(asserting(scenarios['refused-403'], 'spoofed-403', '<sip:6666@pbx.test>'));
  });

  it('the kiosk answers by itself: chime, notice in English and German, audio both ways, audited; its Hang up sends BYE', async () => {
    const sipp = await callIn(asserting(scenarios.answered, 'answered-7001', '"Reception" <sip:7001@pbx.test>'));
    const notice = kiosk.getByTestId('callback-notice');
    await notice.waitFor();
    await notice.getByText('Reception is connected').waitFor();
    await notice.getByText('This terminal\'s camera and microphone are on – Reception can see and hear you.').waitFor();
    await notice.getByText('To end the call, tap “Hang up”.').waitFor();
    // The chime played (the page's Web Audio context ran and its notes were scheduled).
    await kiosk.locator('[data-testid=callback-notice][data-chime=played]').waitFor();
    await kiosk.getByRole('button', { name: 'Deutsch' }).click();
    await notice.getByText('Reception ist zugeschaltet').waitFor();
    await notice.getByText('Kamera und Mikrofon dieses Terminals sind eingeschaltet – Reception sieht und hört Sie.').waitFor();
    await notice.getByText('Zum Beenden tippen Sie auf „Auflegen“.').waitFor();
    await kiosk.getByRole('button', { name: 'English' }).click();

    const call = gw.gateway.services.calls.callOfTerminal(terminalId)!;
    expect(call.answeredBy).toBe(terminalId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(call.participant(terminalId)!.audioCodec).toBe('audio/PCMA');
    // The kiosk's microphone in PCMA reaches the PBX; the PBX's capture is decoded by the page.
    await until(() => heard >= 50, 'the PBX receives the kiosk in PCMA');
    const fromPhone = await producersFrom(gw, call.id, terminalId, phone.id, ['audio']);
    await waitForEachProducer(kiosk, fromPhone);
    const stats = (await call.media!.stats()).find((s) => s.participantId === phone.id)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);

    const audited = await gw.gateway.services.audit.list({ action: 'call.auto-answer', correlationId: call.id });
    expect(audited).toHaveLength(1);
    expect(audited[0]!.target_id).toBe(terminalId);
    // The configured caller's key, never its telephone number (review s21 #28).
    expect(JSON.parse(audited[0]!.details ?? '{}')).toEqual({ via: 'sip', account: 'pbx', number: NUMBER, callerKey: 'reception' });

    await kiosk.getByRole('button', { name: 'Hang up' }).click();
    // sipp takes the BYE and answers it: its scenario completes.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    await until(() => call.ended, 'the call ends');
    expect(call.step).toMatchObject({ step: 'ended', reason: 'hangup-terminal' });
    await kiosk.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor({ timeout: 30_000 });
    expect(await kiosk.getByTestId('callback-notice').count()).toBe(0);
  });

  it('a caller listed without a name is shown by its number, never by the display name it sent (review s21 #9)', async () => {
    // The PBX passes the caller's own display name: "Notruf" must not reach the people in the lobby.
    const named = asserting(scenarios.answered, 'display-name', '"Notruf" <sip:7002@pbx.test>', (xml) => xml.replaceAll('"Reception" <sip:7001@', '"Notruf" <sip:7002@'));
    const sipp = await callIn(named);
    const notice = kiosk.getByTestId('callback-notice');
    await notice.getByText('7002 is connected').waitFor();
    expect(await notice.innerText()).not.toContain('Notruf');
    // The hang-up must reach the PBX as a BYE: its 200 goes out once the telephone's media joined.
    await pbxAnswered(gw, gw.gateway.services.calls.activeCalls[0]!.id);
    await kiosk.getByRole('button', { name: 'Hang up' }).click();
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
    await kiosk.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor({ timeout: 30_000 });
  });

  it('the PBX moves the callback to another listed caller (REFER): the notice names the new caller and says so, in English and German (review s25 #9)', async () => {
    // 'callback-moves': first a REFER to an extension the number does not list (403), then to `target` ("Front desk").
    const sipp = await callIn(writePbxMoveScenarios(scenarioDir)['callback-moves']);
    const notice = kiosk.getByTestId('callback-notice');
    await notice.getByText('Reception is connected').waitFor();
    // The kiosk shows the callback once the call started; the PBX's 200 goes out once the telephone's media joined.
    await pbxAnswered(gw, gw.gateway.services.calls.activeCalls[0]!.id);
    // The test's go: an OPTIONS into the PBX's call, straight to sipp.
    ear.send([
      `OPTIONS sip:pbx@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${ear.address().port};branch=z9hG4bK-go-${sipp.pid}`,
      'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:pbx@127.0.0.1>', `Call-ID: 1-${sipp.pid}@127.0.0.1`, 'CSeq: 1 OPTIONS', 'Content-Length: 0', '', '',
    ].join('\r\n'), sipp.port, '127.0.0.1');
    // The PBX got 403, then 202, NOTIFY 100/200 and the BYE of its dialog: the target took its place.
    expect(await sipp.exited(), sipp.output.slice(-2000)).toBe(0);
    await notice.getByText('Front desk is connected').waitFor();
    await notice.getByText('This terminal\'s camera and microphone are on – Front desk can see and hear you.').waitFor();
    await notice.getByText('The telephone system passed the call on to Front desk.').waitFor();
    expect(await notice.innerText()).not.toContain('Reception');
    await kiosk.getByRole('button', { name: 'Deutsch' }).click();
    await notice.getByText('Front desk ist zugeschaltet').waitFor();
    await notice.getByText('Die Telefonanlage hat das Gespräch an Front desk weitergegeben.').waitFor();
    await kiosk.getByRole('button', { name: 'English' }).click();
    // Hung up once the target's sipp has its ACK (a BYE before it would be unexpected there).
    while (!kamailio.requests('ACK').some((l) => l.includes(' sip:uas@'))) await kamailio.sawRequests('ACK', kamailio.requests('ACK').length + 1);
    await kiosk.getByRole('button', { name: 'Hang up' }).click();
    expect(await target.exited(), target.output.slice(-2000)).toBe(0);
    await kiosk.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor({ timeout: 30_000 });
  });
});
