// The DTMF door code with real peers: a terminal (socket.io) calls a phone-book
// entry whose route is a PBX extension; Kamailio (registrar and record-routing
// proxy with digest auth) forwards the INVITE to sipp, which answers and presses
// keys — as SIP INFO in one scenario (after an INFO of another body type that
// must get 415), as RFC 4733 telephone-events in its RTP in another (sipp's own
// dtmf_2833_*.pcap captures), and on an opus account as telephone-events at
// 48000 (RFC 4733 §2.1: the codec's clock, review s26 #3). The right code sends the unlock command to the
// door's MQTT topic (a real mqtt.js door controller, subscribed, acknowledging),
// the terminal is told opening → open, and the audit log names the telephone
// participant, the call and the leg. A wrong code sends no unlock command. Peers
// start once for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Socket } from 'socket.io-client';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { SIPP_PCAP_DIR, Sipp } from '../support/sipp.ts';
import { rtpPacketsOf, writeCapture, writeCaptureWithSsrc } from '../support/pcap.ts';
import { doorController, type DoorCommand, type DoorController } from '../support/door-controller.ts';

const DOMAIN = 'portier.test';
const SCENARIOS = join(import.meta.dirname, 'scenarios');

/**
 * rfc4733-keys.xml with its audio: 10 packets of sipp's g711a.pcap carrying the
 * SSRC of its dtmf_2833_*.pcap events, so that the relay latches the source the
 * keys come from (as a phone sends them: RFC 4733 §2.1).
 */
function rfc4733Scenario(dir: string): string {
  const eventSsrc = rtpPacketsOf(join(SIPP_PCAP_DIR, 'dtmf_2833_star.pcap'))[0]!.readUInt32BE(8);
  const audio = join(dir, 'audio.pcap');
  writeCaptureWithSsrc(join(SIPP_PCAP_DIR, 'g711a.pcap'), audio, eventSsrc, 10);
  const scenario = join(dir, 'rfc4733-keys.xml');
  writeFileSync(scenario, readFileSync(join(SCENARIOS, 'rfc4733-keys.xml'), 'utf8').replaceAll('@AUDIO_PCAP@', audio));
  return scenario;
}

/**
 * opus-rfc4733-keys.xml with its media on the 48 kHz clock: sipp's g711a.pcap numbered as opus (111)
 * for the audio, its dtmf_2833_*.pcap events at telephone-event/48000 (110), timestamps and durations
 * ×6, all with the events' SSRC. The relay hands the audio on as it comes (no decoding); the keys are read in Node.
 */
function opusScenario(dir: string): string {
  const ssrc = rtpPacketsOf(join(SIPP_PCAP_DIR, 'dtmf_2833_star.pcap'))[0]!.readUInt32BE(8);
  const files = { AUDIO: join(dir, 'opus-audio.pcap'), STAR: join(dir, 'te48k-star.pcap'), ONE: join(dir, 'te48k-1.pcap') };
  writeCapture(join(SIPP_PCAP_DIR, 'g711a.pcap'), files.AUDIO, { ssrc, payloadType: 111, clockScale: 6, count: 10 });
  writeCapture(join(SIPP_PCAP_DIR, 'dtmf_2833_star.pcap'), files.STAR, { ssrc, payloadType: 110, clockScale: 6, events: true });
  writeCapture(join(SIPP_PCAP_DIR, 'dtmf_2833_1.pcap'), files.ONE, { ssrc, payloadType: 110, clockScale: 6, events: true });
  let text = readFileSync(join(SCENARIOS, 'opus-rfc4733-keys.xml'), 'utf8');
  for (const [key, file] of Object.entries(files)) text = text.replaceAll(`@${key}_PCAP@`, file);
  const scenario = join(dir, 'opus-rfc4733-keys.xml');
  writeFileSync(scenario, text);
  return scenario;
}

describe('the DTMF door code on SIP calls', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let door: DoorController;
  const sipps: Record<string, Sipp> = {};
  const entries: Record<string, string> = {};
  const open: Socket[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'portier-dtmf-door-'));

  beforeAll(async () => {
    sipps.infocode = await Sipp.uas(join(SCENARIOS, 'info-keys.xml'), { first: '*', second: '1' });
    sipps.infowrong = await Sipp.uas(join(SCENARIOS, 'info-keys.xml'), { first: '*', second: '2' });
    sipps.rtpcode = await Sipp.uas(rfc4733Scenario(dir));
    sipps.opuscode = await Sipp.uas(opusScenario(dir));
    kamailio = await Kamailio.start({
      domain: DOMAIN,
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: 'garden', password: 'garden-secret-2' }],
      forward: Object.fromEntries(Object.entries(sipps).map(([name, s]) => [name, { host: '127.0.0.1', port: s.port }])),
    });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}},`
        + ` {id: pbx-opus, registrar: "127.0.0.1:${kamailio.port}", username: garden, password: garden-secret-2, domain: ${DOMAIN}, codecs: [opus, pcma]}]`,
      // The default code (*1); one wrong code ends the chance (audited: the test sees a wrong code was processed);
      // a generous pause between keys for a loaded machine.
      PORTIER_SIP__DOOR_CODE_DIGIT_TIMEOUT_MS: '30000',
      PORTIER_SIP__DOOR_CODE_MAX_WRONG: '1',
    });
    site = await seedSite(gw);
    for (const name of Object.keys(sipps)) {
      const res = await site.admin.post('/api/sites/hq/phonebook', {
        kind: 'person', name: `Phone ${name}`, routes: [{ type: 'sip', accountId: name === 'opuscode' ? 'pbx-opus' : 'pbx', user: name }], policy: { legTimeoutS: 10 },
      });
      expect(res.status).toBe(201);
      entries[name] = res.body.id;
    }
    // The controller acknowledges every command at once.
    door = await doorController(site, 'lobby-door', { autoAcknowledge: true });
  });

  afterAll(async () => {
    open.forEach((s) => s.close());
    await door?.close();
    await gw?.close();
    await kamailio?.close();
    for (const s of Object.values(sipps)) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The terminal calls the entry; the phone answers; resolves with the call and its telephone participant. */
  const answeredCall = async (name: string) => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    open.push(terminal);
    const started = await ack(terminal, 'call.start', { entryId: entries[name] });
    expect(started).toMatchObject({ ok: true });
    // Answered, or ended by a phone that refused the call (the opus one without telephone-event/48000 offered).
    expect(await next(terminal, 'call.state', (m: any) => m.step === 'answered' || m.step === 'ended')).toMatchObject({ step: 'answered' });
    const phone = gw.gateway.services.calls.get(started.callId).participants.find((p) => p.kind === 'sip')!;
    return { terminal, callId: started.callId as string, phoneId: phone.id };
  };

  const hangUp = async (terminal: Socket, callId: string) => {
    const ended = next(terminal, 'call.state', (m: any) => m.step === 'ended');
    expect(await ack(terminal, 'call.hangup', { callId })).toEqual({ ok: true });
    await ended;
    terminal.close();
  };

  /** The door opened by the telephone: the unlock on the door's topic, the terminal told opening → open, audited with call and leg. */
  const expectOpenedByPhone = async (terminal: Socket, callId: string, phoneId: string) => {
    const command: DoorCommand = await door.nextCommand();
    expect(command).toMatchObject({ action: 'unlock', seconds: 5 });
    expect(await next(terminal, 'door.state')).toEqual({ callId, state: 'opening' });
    expect(await next(terminal, 'door.state')).toEqual({ callId, state: 'open' });
    const audit = await gw.gateway.services.audit.list({ correlationId: callId });
    const opened = audit.filter((e) => e.action === 'door.open');
    expect(opened.map((e) => [e.actor_type, e.actor_id, e.outcome])).toEqual([['participant', phoneId, 'ok']]);
    expect(JSON.parse(opened[0]!.details!)).toMatchObject({ via: 'dtmf', leg: 0, result: 'acknowledged', commandId: command.id });
    // The outbox's own entry for the command names the same participant.
    expect(audit.some((e) => e.action === 'door.unlock' && e.actor_type === 'participant' && e.actor_id === phoneId)).toBe(true);
  };

  it('*1 as SIP INFO (dtmf-relay, then dtmf; another INFO body got 415 first) opens the door', async () => {
    const { terminal, callId, phoneId } = await answeredCall('infocode');
    await expectOpenedByPhone(terminal, callId, phoneId);
    // The INFOs went through Kamailio (record-routed dialog): the 415'd one and the two keys.
    await kamailio.sawRequests('INFO', 3);
    expect(kamailio.requests('INFO').length).toBeGreaterThanOrEqual(3);
    await hangUp(terminal, callId);
  });

  it('*1 as RFC 4733 telephone-events in the RTP opens the door', async () => {
    const { terminal, callId, phoneId } = await answeredCall('rtpcode');
    await expectOpenedByPhone(terminal, callId, phoneId);
    await hangUp(terminal, callId);
  });

  it('*1 as RFC 4733 telephone-events at 48000 on an opus call opens the door: telephone-event/48000 offered beside opus (review s26 #3)', async () => {
    const { terminal, callId, phoneId } = await answeredCall('opuscode');
    await expectOpenedByPhone(terminal, callId, phoneId);
    await hangUp(terminal, callId);
  });

  /** Resolves with the call's first audit entry that matches, re-checked at every append (no polling). */
  const auditEntry = async (callId: string, match: (e: { action: string; outcome: string }) => boolean) => {
    const audit = gw.gateway.services.audit;
    for (;;) {
      const appended = new Promise((resolve) => audit.once('appended', resolve));
      const found = (await audit.list({ correlationId: callId })).find(match);
      if (found) return found;
      await appended;
    }
  };

  it('a wrong code (*2) is processed as wrong and sends no unlock command', async () => {
    const { terminal, callId } = await answeredCall('infowrong');
    // Portier processed *2 as a wrong code: with door_code_max_wrong 1 it ends the chance for this call, audited as denied.
    const denied = await auditEntry(callId, (e) => e.action === 'door.code');
    expect([denied.outcome, JSON.parse(denied.details!)]).toEqual(['denied', { via: 'dtmf', leg: 0, wrong: 1 }]);
    await hangUp(terminal, callId);
    // The controller's next command must be the admin's own.
    const unlocked = await site.admin.post(`/api/doors/${site.doorId}/unlock`, { seconds: 3 });
    expect(unlocked).toMatchObject({ status: 200, body: { outcome: 'acknowledged' } });
    expect(await door.nextCommand()).toMatchObject({ id: unlocked.body.commandId, seconds: 3 });
    const audit = await gw.gateway.services.audit.list({ correlationId: callId });
    expect(audit.filter((e) => e.action.startsWith('door.')).map((e) => [e.action, e.outcome])).toEqual([['door.code', 'denied']]);
  });
});
