// opus toward a PBX that offers it (docs/sip.md, "Codecs"): the gateway's SIP account
// lists [opus, pcmu, pcma], a visitor in Debian's Chromium calls two extensions
// behind a real Kamailio — baresip with its opus module (opus first, then G.711),
// and baresip speaking PCMA only. The first call runs in opus end to end: the
// browser's own opus goes to the phone and the phone's opus to the browser, with
// no transcoding (mediasoup forwards, the relay only rewrites payload type and
// SSRC); the second one in PCMA as before. Audio both ways each time: baresip's
// RTCP and its recording, mediasoup's stats, Chromium's decoded samples — and the
// codec named by the call's participant, Chromium's getStats and baresip's log.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import type { Gw } from '../support/signaling.ts';
import type { Call } from '../../src/calls/index.ts';
import { waitForEachProducer } from '../support/pages.ts';
import { producersFrom, until } from '../support/call-flow.ts';
import { startSipKiosk, type SipKiosk } from '../support/sip-kiosk.ts';
import { Baresip } from '../support/baresip.ts';

/** The audio codecs Chromium's connections send and receive with (getStats: outbound-rtp/inbound-rtp that carried packets). */
const chromiumAudio = (page: Page) => page.evaluate(async () => {
  const seen = { sent: [] as string[], received: [] as string[] };
  for (const pc of window.__captured!.peerConnections) {
    if (pc.signalingState === 'closed') continue;
    const stats = await pc.getStats();
    const codecs = new Map<string, string>();
    stats.forEach((s: { type: string; id: string; mimeType?: string }) => { if (s.type === 'codec' && s.mimeType) codecs.set(s.id, s.mimeType); });
    stats.forEach((s: { type: string; kind?: string; codecId?: string; packetsSent?: number; packetsReceived?: number }) => {
      if (s.kind !== 'audio' || !s.codecId) return;
      const codec = codecs.get(s.codecId) ?? '?';
      if (s.type === 'outbound-rtp' && (s.packetsSent ?? 0) > 0) seen.sent.push(codec);
      if (s.type === 'inbound-rtp' && (s.packetsReceived ?? 0) > 0) seen.received.push(codec);
    });
  }
  return seen;
});

describe('a Chromium terminal calls baresip extensions through an account that offers opus', () => {
  let kiosk: SipKiosk;
  let gw: Gw;
  let opusPhone: Baresip;
  let pcmaPhone: Baresip;

  beforeAll(async () => {
    opusPhone = await Baresip.start({ aor: 'sip:hotline@127.0.0.1', accountParams: { regint: 0, answermode: 'auto' }, audioCodecs: ['opus/48000/2', 'PCMU', 'PCMA'] });
    pcmaPhone = await Baresip.start({ aor: 'sip:legacy@127.0.0.1', accountParams: { regint: 0, answermode: 'auto' }, audioCodecs: ['PCMA'] });
    kiosk = await startSipKiosk([
      { user: 'hotline', port: opusPhone.sipPort, entry: 'Hotline' },
      { user: 'legacy', port: pcmaPhone.sipPort, entry: 'Legacy' },
    ], 'codecs: [opus, pcmu, pcma]');
    gw = kiosk.gw;
  });
  afterAll(async () => {
    await kiosk?.close();
    await opusPhone?.close();
    await pcmaPhone?.close();
  });

  /** The visitor calls `entry`; resolves once the phone answered and the kiosk shows it, with the call and its SIP leg. */
  async function call(terminal: Page, entry: string, phone: Baresip) {
    await terminal.getByLabel('Name or department').fill(entry);
    await terminal.getByRole('button', { name: new RegExp(entry) }).click();
    expect((await phone.event('CALL_ESTABLISHED')).direction).toBe('incoming');
    await terminal.locator('[data-step="answered"]').waitFor();
    const active = gw.gateway.services.calls.activeCalls[0]!;
    return { active, leg: active.participants.find((p) => p.kind === 'sip')! };
  }

  /** Audio both ways: the phone's decoded by Chromium, the visitor's received (RTCP) and recorded by baresip, both counted by mediasoup. */
  async function audioBothWays(terminal: Page, phone: Baresip, active: Call, legId: string) {
    const fromPhone = await producersFrom(gw, active.id, active.terminalId, legId, ['audio']);
    const decoded = await waitForEachProducer(terminal, fromPhone);
    expect(decoded[fromPhone[0]!.producerId]!.totalSamplesReceived).toBeGreaterThan(0);
    const report = await phone.event('CALL_RTCP', (e) => e.param === 'audio' && (e.rtcp_stats?.rx?.sent ?? 0) > 0);
    expect(report.rtcp_stats!.rx!.sent).toBeGreaterThan(0);
    await until(() => phone.receivedAudioBytes() > 44, 'baresip decodes the visitor');
    const stats = (await active.media!.stats()).find((s) => s.participantId === legId)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
  }

  async function hangUp(terminal: Page, phone: Baresip) {
    expect((await phone.command('hangup')).ok).toBe(true);
    await phone.event('CALL_CLOSED');
    await until(() => gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');
    await terminal.getByLabel('Name or department').waitFor({ timeout: 30_000 });
  }

  it('an extension that takes opus talks opus end to end: the browser\'s opus to the phone, the phone\'s opus to the browser', async () => {
    const terminal = await kiosk.terminalPage('Lobby opus');
    const { active, leg } = await call(terminal, 'Hotline', opusPhone);
    expect(leg.audioCodec).toBe('audio/opus');
    await audioBothWays(terminal, opusPhone, active, leg.id);
    // No G.711 anywhere: Chromium sends and decodes opus only, baresip encodes and decodes opus.
    const chromium = await chromiumAudio(terminal);
    expect(chromium.sent).toContain('audio/opus');
    expect(chromium.received).toContain('audio/opus');
    expect([...chromium.sent, ...chromium.received].filter((c) => c !== 'audio/opus')).toEqual([]);
    expect(opusPhone.output).toMatch(/audio encoder: opus 48000Hz 2ch/);
    expect(opusPhone.output).not.toMatch(/audio encoder: PCM[AU]/);
    await hangUp(terminal, opusPhone);
  });

  it('an extension that offers only PCMA still gets PCMA, and the browser sends PCMA to it', async () => {
    const terminal = await kiosk.terminalPage('Lobby PCMA');
    const { active, leg } = await call(terminal, 'Legacy', pcmaPhone);
    expect(leg.audioCodec).toBe('audio/PCMA');
    await audioBothWays(terminal, pcmaPhone, active, leg.id);
    const chromium = await chromiumAudio(terminal);
    expect(chromium.sent).toContain('audio/PCMA');
    expect(chromium.received).toEqual(['audio/PCMA']);
    expect(pcmaPhone.output).toMatch(/audio encoder: PCMA 8000Hz 1ch/);
    await hangUp(terminal, pcmaPhone);
  });
});
