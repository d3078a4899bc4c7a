// A visitor in Debian's Chromium calls a phone-book entry whose SIP route is an
// extension of a real user agent: baresip (Debian baresip-core 1.0) behind a real
// Kamailio, answering by itself. Audio flows both ways — counted at baresip
// (RTCP reports over ctrl_tcp, what sndfile recorded) and in mediasoup's stats,
// and Chromium decodes the phone's audio — then baresip hangs up and the kiosk
// returns to its start screen.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Gw } from '../support/signaling.ts';
import { waitForEachProducer } from '../support/pages.ts';
import { producersFrom, until } from '../support/call-flow.ts';
import { startSipKiosk, type SipKiosk } from '../support/sip-kiosk.ts';
import { Baresip } from '../support/baresip.ts';

describe('a Chromium terminal calls a baresip extension', () => {
  let kiosk: SipKiosk;
  let gw: Gw;
  let phone: Baresip;

  beforeAll(async () => {
    phone = await Baresip.start({ aor: 'sip:hotline@127.0.0.1', accountParams: { regint: 0, answermode: 'auto' } });
    kiosk = await startSipKiosk([{ user: 'hotline', port: phone.sipPort, entry: 'Hotline' }]);
    gw = kiosk.gw;
  });
  afterAll(async () => {
    await kiosk?.close();
    await phone?.close();
  });

  it('baresip answers by itself, audio flows both ways, and its hang-up returns the kiosk to its start screen', async () => {
    const terminal = await kiosk.terminalPage('Lobby baresip');
    await terminal.getByLabel('Name or department').fill('Hotline');
    await terminal.getByRole('button', { name: /Hotline/ }).click();
    const established = await phone.event('CALL_ESTABLISHED');
    expect(established.direction).toBe('incoming');
    await terminal.locator('[data-step="answered"]').waitFor();
    const call = gw.gateway.services.calls.activeCalls[0]!;
    const leg = call.participants.find((p) => p.kind === 'sip')!;
    expect(['audio/PCMU', 'audio/PCMA']).toContain(leg.audioCodec);

    // baresip → visitor: its tone is produced by the SIP leg (mediasoup counts it) and decoded by Chromium.
    const fromPhone = await producersFrom(gw, call.id, call.terminalId, leg.id, ['audio']);
    const decoded = await waitForEachProducer(terminal, fromPhone);
    expect(decoded[fromPhone[0]!.producerId]!.totalSamplesReceived).toBeGreaterThan(0);
    // visitor → baresip: the leg consumes the page's microphone (mediasoup), baresip's RTCP says it received RTP and sndfile recorded it.
    const report = await phone.event('CALL_RTCP', (e) => e.param === 'audio' && (e.rtcp_stats?.rx?.sent ?? 0) > 0);
    expect(report.rtcp_stats!.rx!.sent).toBeGreaterThan(0);
    await until(() => phone.receivedAudioBytes() > 44, 'baresip decodes the visitor');
    const stats = (await call.media!.stats()).find((s) => s.participantId === leg.id)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);

    // baresip hangs up: the call ends and the kiosk shows its start screen again.
    const answered = await phone.command('hangup');
    expect(answered.ok).toBe(true);
    await phone.event('CALL_CLOSED');
    await until(() => gw.gateway.services.calls.activeCalls.length === 0, 'the call is over');
    await terminal.getByLabel('Name or department').waitFor({ timeout: 30_000 });
  });
});
