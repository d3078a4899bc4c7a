// sipp playing a PBX that offers opus (after PCMA and PCMU, at its own dynamic
// payload type 107, with telephone-event/48000 at 110) and checks that the 200
// answers opus at 107 with in-band FEC; opus RTP packets whose payload names them.
// Shared by inbound-opus.test.ts (a config file's account) and admin-opus-call.test.ts
// (an account made through the admin API).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
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
