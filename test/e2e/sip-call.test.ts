// A visitor in Debian's Chromium calls a PBX extension: a real gateway, a real
// Kamailio as registrar and proxy, and sipp answering in PCMA with g711a.pcap.
// The terminal page switches its microphone to PCMA when the phone answers
// (media.codec), the phone receives it, and the page plays the phone's audio.
// A phone that answers after the page sent opus: the page produces its microphone
// again in PCMA, and once the call is over no local track of the page is live.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { ack, connect, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { pollPage, waitForEachProducer } from '../support/pages.ts';
import { producersFor, producersFrom, until } from '../support/call-flow.ts';
import type { Kamailio } from '../support/kamailio.ts';
import { startSipKiosk, type SipKiosk } from '../support/sip-kiosk.ts';
import { Sipp } from '../support/sipp.ts';

describe('a Chromium terminal calls a PBX extension', () => {
  let kiosk: SipKiosk;
  let gw: Gw;
  let site: SiteFixture;
  let kamailio: Kamailio;
  let sipp: Sipp;
  let ringback: Sipp;
  // The phone's ear: sipp's answer names this socket as its RTP port; it counts PCMA packets (payload type 8).
  const ear = createSocket('udp4');
  let heard = 0;
  // The ringback PBX's RTP port (its SDP names it; nothing needs counting there).
  const ringbackEar = createSocket('udp4');
  ear.on('message', (b) => { if (b.length >= 12 && (b[1]! & 0x7f) === 8) heard++; });

  beforeAll(async () => {
    await new Promise<void>((resolve) => ear.bind(0, '127.0.0.1', resolve));
    sipp = await Sipp.uas(join(import.meta.dirname, '..', 'sip-bridge', 'scenarios', 'answer.xml'), { rtp_port: ear.address().port });
    // A PBX that plays ringback (183 with SDP, then g711a.pcap) and never answers.
    await new Promise<void>((resolve) => ringbackEar.bind(0, '127.0.0.1', resolve));
    ringback = await Sipp.uas(join(import.meta.dirname, '..', 'sip-bridge', 'scenarios', 'early-media.xml'), { rtp_port: ringbackEar.address().port });
    kiosk = await startSipKiosk([{ user: 'hotline', port: sipp.port, entry: 'Hotline' }, { user: 'ringback', port: ringback.port, entry: 'Ringback' }]);
    ({ gw, site, kamailio } = kiosk);
  });
  afterAll(async () => {
    await kiosk?.close();
    await sipp?.close();
    await ringback?.close();
    ear.close();
    ringbackEar.close();
  });

  it('the phone answers in PCMA: the visitor is heard at the phone and the page plays the phone', async () => {
    const terminal = await kiosk.terminalPage('Lobby SIP');
    await terminal.getByLabel('Name or department').fill('Hotline');
    await terminal.getByRole('button', { name: /Hotline/ }).click();
    await terminal.locator('[data-step="answered"]').waitFor();
    const call = gw.gateway.services.calls.activeCalls[0]!;
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    expect(phone.audioCodec).toBe('audio/PCMA');
    // The page produced its microphone again in PCMA; the phone's leg consumes it and the phone hears it.
    await until(() => heard >= 50, 'the phone receives the visitor in PCMA');
    // The phone's audio (sipp plays g711a.pcap) is played out by the page.
    const fromPhone = await producersFrom(gw, call.id, call.terminalId, phone.id, ['audio']);
    await waitForEachProducer(terminal, fromPhone);
    const byes = kamailio.requests('BYE').length;
    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await until(() => kamailio.requests('BYE').length === byes + 1, 'the BYE goes out');
    // The kiosk's microphone is off once the call is over (the phone answered at once: the page produced in PCMA only).
    expect((await endedLocalTracks(terminal)).filter((tr) => tr.startsWith('audio'))).toHaveLength(1);
  });

  it('the phone answers after the page sent its microphone in opus: it goes on in PCMA, and the microphone is off after the call', async () => {
    // Rita's desk rings first and declines once the page produces; then the phone rings and answers in PCMA.
    const entry = await site.admin.post('/api/sites/hq/phonebook', {
      kind: 'department', name: 'Service', routes: [{ type: 'desk-user', userId: site.users.rita!.id }, { type: 'sip', accountId: 'pbx', user: 'hotline' }], policy: { legTimeoutS: 60 },
    });
    expect(entry.status).toBe(201);
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    try {
      const terminal = await kiosk.terminalPage('Lobby SIP 2');
      const ring = next<{ callId: string }>(rita, 'call.ring');
      await terminal.getByLabel('Name or department').fill('Service');
      await terminal.getByRole('button', { name: /Service/ }).click();
      const { callId } = await ring;
      const call = gw.gateway.services.calls.get(callId);
      await until(() => call.media!.counts(call.terminalId).producers === 2, 'the page sends its camera and microphone (opus)');
      expect((await ack(rita, 'call.decline', { callId })).ok).toBe(true);
      await terminal.locator('[data-step="answered"]').waitFor();
      const phone = call.participants.find((p) => p.kind === 'sip')!;
      expect(phone.audioCodec).toBe('audio/PCMA');
      // The page produced its microphone again in PCMA and the phone hears it.
      const before = heard;
      await until(() => heard >= before + 50, 'the phone receives the visitor in PCMA');
      const byes = kamailio.requests('BYE').length;
      await terminal.getByRole('button', { name: 'Hang up' }).click();
      await until(() => kamailio.requests('BYE').length === byes + 1, 'the BYE goes out');
      // Before the fix the PCMA producer got a clone of the microphone that nothing stopped: it stayed live.
      expect((await endedLocalTracks(terminal)).filter((tr) => tr.startsWith('audio')).length).toBeGreaterThanOrEqual(1);
    } finally {
      rita.close();
    }
  });
  it('a PBX that plays ringback before it answers (183 with SDP): the page plays it while the call rings; Cancel sends CANCEL', async () => {
    const terminal = await kiosk.terminalPage('Lobby SIP ringback');
    await terminal.getByLabel('Name or department').fill('Ringback');
    await terminal.getByRole('button', { name: /Ringback/ }).click();
    await terminal.locator('[data-step="ringing"]').waitFor();
    const call = gw.gateway.services.calls.activeCalls.find((c) => !c.ended && c.currentLeg?.route.type === 'sip')!;
    await until(() => producersFor(gw, call.id, call.terminalId).some((p) => call.isEarlyMedia(p.participantId)), "the phone's early media is produced");
    const early = producersFor(gw, call.id, call.terminalId).filter((p) => call.isEarlyMedia(p.participantId));
    expect(early.map((p) => p.kind)).toEqual(['audio']);
    // The page receives and decodes it, and plays it out while the call still rings (before: kept aside until an answer).
    await waitForEachProducer(terminal, early);
    await terminal.waitForFunction(() => {
      const el = document.querySelector<HTMLAudioElement>('audio[data-early]');
      const live = (el?.srcObject as MediaStream | null)?.getAudioTracks().filter((tr) => tr.readyState === 'live').length ?? 0;
      return el !== null && !el.paused && live === 1;
    });
    expect(await terminal.locator('[data-step="ringing"]').count()).toBe(1);
    const cancels = kamailio.requests('CANCEL').length;
    await terminal.getByRole('button', { name: 'Cancel' }).click();
    await until(() => kamailio.requests('CANCEL').length === cancels + 1, 'the CANCEL goes out');
    await terminal.getByRole('heading', { name: 'Welcome! Who would you like to see?' }).waitFor();
    expect(await terminal.locator('audio[data-early]').count()).toBe(0);
  });
});

/**
 * Waits until every local track the page made (getUserMedia, clones) has ended — the kiosk's
 * camera and microphone are off once the call is over — and returns them (`kind readyState`).
 */
async function endedLocalTracks(page: Page): Promise<string[]> {
  // The call's tracks only: the kiosk's idle device check opens (and stops) one-kind tracks of its own.
  const localTracks = () => page.evaluate(() => window.__captured!.callTracks.map((tr) => `${tr.kind} ${tr.readyState}`));
  await pollPage(page, async () => window.__captured!.callTracks.every((tr) => tr.readyState === 'ended'), undefined)
    .catch(async (error: Error) => { throw new Error(`${error.message}: the page's local tracks ${JSON.stringify(await localTracks())}`); });
  return localTracks();
}
