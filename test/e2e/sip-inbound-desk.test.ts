// The PBX calls a desk in Debian's Chromium: sipp plays the PBX (challenged, then
// authenticated with the trunk's credentials), the number rings the reception's
// desk page, the receptionist answers, and the page produces its microphone in the
// telephone's PCMA (media.codec): the PBX hears it (PCMA at the socket its SDP
// names; an opus microphone would reach nobody, the leg consumes PCMA only) and
// the page plays the PBX's audio (sipp's g711a.pcap). Hanging up sends BYE. When the
// PBX moves its caller to another extension (REFER, reached through Kamailio), the
// page names the new caller (its phone-book entry) and says so. Beside the caller
// the page says whether the telephone's leg is encrypted (DE/EN, icon and words),
// on the ringing card already, following a change while it rings.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { type Gw, type SiteFixture } from '../support/signaling.ts';
import { launchChromium } from '../support/browser.ts';
import { deskPage, waitForEachProducer } from '../support/pages.ts';
import { producersFrom, until } from '../support/call-flow.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { writeInboundScenarios } from '../sip-bridge/inbound-scenarios.ts';
import { writePbxMoveScenarios } from '../sip-bridge/pbx-move-scenarios.ts';
import { ApiClient } from '../support/gateway.ts';

const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };

describe('the PBX calls a Chromium desk', () => {
  let gw: Gw;
  let site: SiteFixture;
  let kamailio: Kamailio;
  let chromium: { browser: Browser; close: () => Promise<void> };
  let dataDir: string;
  let scenarioDir: string;
  let target: Sipp;
  const sipps: Sipp[] = [];
  const pages: Page[] = [];
  // The PBX's ear: its SDP names this socket; it counts PCMA packets (payload type 8).
  const ear = createSocket('udp4');
  let heard = 0;
  ear.on('message', (b) => { if (b.length >= 12 && (b[1]! & 0x7f) === 8) heard++; });

  beforeAll(async () => {
    await new Promise<void>((resolve) => ear.bind(0, '127.0.0.1', resolve));
    dataDir = mkdtempSync(join(tmpdir(), 'portier-inbound-e2e-'));
    scenarioDir = mkdtempSync(join(tmpdir(), 'portier-inbound-e2e-sipp-'));
    // The extension a PBX moves its caller to (sipp answering, reached through Kamailio).
    target = await Sipp.uas(join(import.meta.dirname, '..', 'sip-bridge', 'scenarios', 'answer.xml'), { rtp_port: ear.address().port }, { calls: 1 });
    sipps.push(target);
    kamailio = await Kamailio.start({ domain: 'portier.test', users: [{ username: 'lobby', password: 'lobby-secret-1' }], forward: { target: { host: '127.0.0.1', port: target.port } } });
    // The number names the reception's entry: seed first, then start the gateway configured with it on the same data.
    ({ gw, site } = await startSeededSipGateway(dataDir, (site) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: portier.test, `
      + `inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${site.entries['Empfang']}"}]}}]`));
    const admin = new ApiClient(gw.base);
    admin.cookie = site.admin.cookie;
    expect((await admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Extension target', routes: [{ type: 'sip', accountId: 'pbx', user: 'target' }] })).status).toBe(201);
    chromium = await launchChromium();
  });
  afterAll(async () => {
    for (const p of pages) await p.context().close().catch(() => undefined);
    await chromium?.close();
    for (const s of sipps) await s.close();
    await gw?.close();
    await kamailio?.close();
    ear.close();
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(scenarioDir, { recursive: true, force: true });
  });

  it('the receptionist answers: the PBX hears the desk in PCMA, the page plays the PBX, hanging up sends BYE', async () => {
    const rita = await deskPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), 'rita');
    pages.push(rita);
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    const sipp = await Sipp.uac(writeInboundScenarios(scenarioDir).answered, `127.0.0.1:${port}`, {
      keys: { dialled: '4700', rtp_port: ear.address().port }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@127.0.0.1:${port}` },
    });
    sipps.push(sipp);
    // The ringing card says it before the answer (the INVITE's plain offer), and follows a change told while it rings.
    const ringing = rita.getByRole('alertdialog').locator('h2 .leg-media');
    await ringing.waitFor();
    expect(await ringing.textContent()).toBe('🔓 not encrypted (RTP)');
    const call = gw.gateway.services.calls.activeCalls[0]!;
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    call.protect(phone.id, 'srtp');
    await expect.poll(() => ringing.getAttribute('data-media')).toBe('srtp');
    expect(await ringing.textContent()).toBe('🔒 encrypted (SRTP)');
    call.protect(phone.id, 'rtp');
    await expect.poll(() => ringing.getAttribute('data-media')).toBe('rtp');
    expect(call.answered).toBe(false);
    await rita.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
    await until(() => call.answered, 'the call is answered');
    expect(call.participant(site.users.rita!.id)!.audioCodec).toBe('audio/PCMA');
    // The page produced its microphone in PCMA; the telephone's leg consumes it and the PBX hears it.
    await until(() => heard >= 50, 'the PBX receives the desk in PCMA');
    // The PBX's audio is played out by the page.
    const fromPhone = await producersFrom(gw, call.id, site.users.rita!.id, phone.id, ['audio']);
    await waitForEachProducer(rita, fromPhone);
    // sipp offered plain RTP/AVP over UDP: beside the caller the page says the leg is not encrypted, in words and an icon.
    // (The heading's words change with the language: the indicator is found by its place.)
    const protection = rita.locator('.call h2 .leg-media');
    await expect.poll(() => protection.textContent()).toBe('🔓 not encrypted (RTP)');
    expect(await protection.getAttribute('title')).toBe('Voice connection to the telephone system');
    await rita.getByRole('button', { name: 'Deutsch' }).click();
    await expect.poll(() => protection.textContent()).toBe('🔓 nicht verschlüsselt (RTP)');
    expect(await protection.getAttribute('title')).toBe('Sprachverbindung zur Telefonanlage');
    // A recorded change (a late offer's ACK settling SRTP), told through the call session as the bridge tells it
    // (the leg itself stays plain; real SRTP legs: sip-srtp-desk.test.ts): the page follows call.phone-media.
    call.protect(phone.id, 'srtp');
    await expect.poll(() => protection.textContent()).toBe('🔒 verschlüsselt (SRTP)');
    await rita.getByRole('button', { name: 'English' }).click();
    await expect.poll(() => protection.textContent()).toBe('🔒 encrypted (SRTP)');
    expect(await protection.getAttribute('data-media')).toBe('srtp');
    await rita.getByRole('button', { name: 'Hang up' }).click();
    // sipp takes the BYE and answers it: its scenario completes.
    expect(await sipp.exited(), sipp.output.slice(0, 2000)).toBe(0);
  });

  it('the PBX moves the caller to another extension (REFER): the page names the new caller and says so', async () => {
    const rita = await deskPage(chromium.browser, gw.base.replace('127.0.0.1', 'localhost'), 'rita');
    pages.push(rita);
    const port = gw.gateway.services.sip.account('pbx')!.transport!.port;
    const sipp = await Sipp.uac(writePbxMoveScenarios(scenarioDir)['desk-moves'], `127.0.0.1:${port}`, {
      keys: { dialled: '4700', rtp_port: ear.address().port }, auth: { user: TRUNK.user, password: TRUNK.password, uri: `4700@127.0.0.1:${port}` },
    });
    sipps.push(sipp);
    // The camera opens only once the move is through: on a loaded machine the page's answer (camera and all) came after
    // call.caller, and the heading kept the old caller (the lead's fresh-clone run of stop 25). Held here on purpose.
    await rita.evaluate(() => {
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      const gate = new Promise<void>((resolve) => { (window as unknown as { releaseCamera: () => void }).releaseCamera = resolve; });
      navigator.mediaDevices.getUserMedia = async (constraints) => { await gate; return open(constraints); };
    });
    await rita.getByRole('alertdialog').getByRole('button', { name: 'Answer' }).click();
    // The PBX got 202, NOTIFY 100/200 and the BYE of its dialog: the target took its place.
    expect(await sipp.exited(), sipp.output.slice(-2000)).toBe(0);
    await rita.evaluate(() => (window as unknown as { releaseCamera: () => void }).releaseCamera());
    await rita.getByText('The telephone system moved the caller to Extension target.').waitFor();
    await rita.getByRole('heading', { name: /In a call with Extension target/ }).waitFor();
    // The new telephone (sipp, plain RTP) brings its own protection (call.phone-media).
    await expect.poll(() => rita.getByRole('heading', { name: /In a call with Extension target/ }).locator('.leg-media').textContent()).toBe('🔓 not encrypted (RTP)');
    // Hung up once the target's sipp has its ACK (a BYE before it would be unexpected there).
    while (!kamailio.requests('ACK').some((l) => l.includes(' sip:uas@'))) await kamailio.sawRequests('ACK', kamailio.requests('ACK').length + 1);
    await rita.getByRole('button', { name: 'Hang up' }).click();
    expect(await target.exited(), target.output.slice(-2000)).toBe(0);
  });
});
