// sipp playing a PBX that offers opus (after PCMA and PCMU, at its own dynamic
// payload type 107, with telephone-event/48000 at 110) and checks that the 200
// answers opus at 107 with in-band FEC; opus RTP packets whose payload names them;
// the call itself: the PBX calling in, the desk answering, the desk's opus played
// by Node and heard untouched at the PBX. Shared by inbound-opus.test.ts (a config
// file's account) and admin-opus-call.test.ts (an account made through the admin API).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Socket } from 'socket.io-client';
import { RtpCounter } from '../support/rtp-counter.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Sipp } from '../support/sipp.ts';
import { pbxAnswered, type StartedPeers } from '../support/sip-call-files.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { playsCapture, writeInboundScenarios } from './inbound-scenarios.ts';

export const PBX_OPUS_PT = 107;

/** An RTP packet of 20 ms opus at `pt`: the payload's bytes name the packet (mediasoup does not look inside). */
export function opusPacket(pt: number, seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 40, seq & 0xff);
  b[0] = 0x80;
  b[1] = pt;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** An RTP packet's payload: after the CSRCs and the header extension mediasoup may add. */
export function payloadOf(packet: Buffer): Buffer {
  let offset = 12 + (packet[0]! & 0x0f) * 4;
  if (packet[0]! & 0x10) offset += 4 + packet.readUInt16BE(offset + 2) * 4;
  return packet.subarray(offset);
}

/**
 * The inbound "answered" scenario offering opus last (after PCMA and PCMU, with telephone-event/48000):
 * the 200 must answer opus at 107 with in-band FEC; no G.711 capture is played.
 */
export function opusScenario(dir: string): string {
  const answered = readFileSync(writeInboundScenarios(dir).answered, 'utf8');
  const check = (name: string, regexp: string) => `<ereg regexp="${regexp}" search_in="body" check_it="true" assign_to="${name}"/>`;
  const opus = answered
    .replaceAll('m=audio [rtp_port] RTP/AVP 8 0 101', `m=audio [rtp_port] RTP/AVP 8 0 ${PBX_OPUS_PT} 110`)
    .replaceAll('a=rtpmap:101 telephone-event/8000\na=fmtp:101 0-15', `a=rtpmap:${PBX_OPUS_PT} opus/48000/2\na=fmtp:${PBX_OPUS_PT} useinbandfec=1\na=rtpmap:110 telephone-event/48000\na=fmtp:110 0-15`)
    .replace('<recv response="200" rrs="true"/>', `<recv response="200" rrs="true"><action>
    ${check('m', `m=audio [0-9]+ RTP/AVP ${PBX_OPUS_PT}\\r`)}
    ${check('rtpmap', `a=rtpmap:${PBX_OPUS_PT} opus/48000/2`)}
    ${check('fmtp', `a=fmtp:${PBX_OPUS_PT} useinbandfec=1`)}
    <log message="answered [$m] [$rtpmap] [$fmtp]"/>
  </action></recv>`)
    .replaceAll(playsCapture, '');
  // Every INVITE of it (the challenged one and the authenticated one) offers opus.
  expect(opus).not.toContain('RTP/AVP 8 0 101');
  expect(opus).not.toContain('play_pcap_audio');
  const file = join(dir, 'answered-opus.xml');
  writeFileSync(file, opus);
  return file;
}

/** The number the PBX dials on the account 'pbx' (its inbound part rings the reception, Empfang). */
const DIALLED = '4700';

/**
 * The PBX (sipp playing `scenario`) calls 4700 straight at the account 'pbx' with the trunk's credentials; Rita's
 * desk answers. `ear` is the PBX's RTP socket (rtp_port): it counts what the PBX hears.
 */
export async function opusCallAnswered(gw: Gw, site: SiteFixture, scenario: string, trunk: { user: string; password: string }, peers: StartedPeers) {
  const rita = await connect(gw, '/desk', site.users.rita!.cookie);
  peers.open.push(rita);
  const ear = new RtpCounter();
  peers.counters.push(ear);
  const earPort = await ear.bind();
  const target = `127.0.0.1:${gw.gateway.services.sip.account('pbx')!.transport!.port}`;
  const sipp = await Sipp.uac(scenario, target, { keys: { dialled: DIALLED, rtp_port: earPort }, auth: { user: trunk.user, password: trunk.password, uri: `${DIALLED}@${target}` } });
  peers.sipps.push(sipp);
  const ring = await next(rita, 'call.ring');
  expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true });
  // The 200 goes out once the telephone's media joined, after the desk's answer was acknowledged.
  await pbxAnswered(gw, ring.callId);
  const call = gw.gateway.services.calls.get(ring.callId);
  const phone = call.participants.find((p) => p.kind === 'sip')!;
  return { rita, ear, sipp, call, phone };
}

/**
 * The desk's media, played by Node: a plain transport producing opus at the router's own number (100 here), fed
 * 20 ms packets (SSRC 0xdeaf) from a bound socket, as a browser sends it; `desk` counts what the desk hears.
 */
export async function deskOpus(media: SfuCallMedia, deskId: string, peers: StartedPeers): Promise<{ desk: RtpCounter; transportId: string }> {
  const desk = new RtpCounter();
  peers.counters.push(desk);
  await desk.bind();
  const t = await media.createPlainTransport(deskId, { ip: '127.0.0.1', comedia: true });
  await media.produce(deskId, t.id, 'audio', { codecs: [{ mimeType: 'audio/opus', payloadType: 100, clockRate: 48000, channels: 2 }], encodings: [{ ssrc: 0xdeaf }] });
  let seq = 0;
  peers.timers.push(setInterval(() => desk.socket.send(opusPacket(100, ++seq, 0xdeaf), t.port, t.ip), 20));
  return { desk, transportId: t.id };
}

/**
 * Desk → PBX: 25 packets more reach the PBX's `ear` at its 107 (no other payload type), the last one's payload as
 * the desk sent it (counted from now: the desk may have been heard for a while already, and the payloads are
 * those seen from now on).
 */
export async function expectDeskOpusAtPbx(ear: RtpCounter): Promise<void> {
  const payloads: Buffer[] = [];
  ear.socket.on('message', (m: Buffer) => { if ((m[1]! & 0x7f) === PBX_OPUS_PT) payloads.push(m); });
  await ear.reach(PBX_OPUS_PT, ear.count(PBX_OPUS_PT) + 25);
  expect([...ear.byPayloadType.keys()]).toEqual([PBX_OPUS_PT]);
  const payload = payloadOf(payloads.at(-1)!);
  expect(payload.length).toBe(40);
  expect(payload.every((byte) => byte === payload[0])).toBe(true);
}

/** Rita hangs the call up; resolves once her desk saw it end. */
export async function ritaHangsUp(rita: Socket, callId: string): Promise<void> {
  const ended = next(rita, 'call.state', (m: { step?: string }) => m.step === 'ended');
  expect(await ack(rita, 'call.hangup', { callId })).toEqual({ ok: true });
  await ended;
}
