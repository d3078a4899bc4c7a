// A PBX drops SRTP mid-call (it moved the call to a phone without SRTP): on an
// account with `srtp: offer`, Portier registered at Kamailio over TLS, the PBX
// (sipp, Kamailio user 7001, over UDP to Kamailio) calls Portier's AOR with an
// RTP/SAVP offer and a=crypto; Kamailio relays it over Portier's TLS connection,
// Rita's desk answers (its media played by Node) and the PBX hears SRTP. Then, on
// the test's go, the PBX re-INVITEs with plain RTP/AVP and no a=crypto: Portier's
// 200 has no key, the leg and the call say 'rtp' (the desk is told), and RTP flows
// plain both ways — the PBX's capture reaches the desk, the desk's audio reaches
// the PBX unencrypted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, goIntoPbxCall, pcmaMic } from '../support/sip-call-files.ts';
import { connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { Sipp } from '../support/sipp.ts';
import { RtpCounter } from '../support/rtp-counter.ts';
import { TestCa } from '../support/test-ca.ts';
import { until } from '../support/call-flow.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { untilAccount } from './account-state.ts';
import { okToLast, playsCapture, scenario } from './inbound-scenarios.ts';

const DOMAIN = 'portier.test';
const PBX = { user: '7001', password: 'pbx-secret-1' };
/** The PBX's SDES key (key ‖ salt, base64): a test value. */
const PBX_KEY = 'WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz';
/**
 * How the desk's audio reached the PBX: the desk sends PCMA silence (0xd5), so a plain packet ends in 160 bytes of
 * 0xd5 whatever header extensions mediasoup wrote; an SRTP one ends in ciphertext and its tag.
 */
const onWire = (packet: Buffer): 'rtp' | 'srtp' => (packet.length > 172 && packet.subarray(-160).every((b) => b === 0xd5) ? 'rtp' : 'srtp');

const sdp = (version: number, profile: string, crypto: string[]) => `v=0
o=pbx 1 ${version} IN IP[media_ip_type] [media_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtp_port] ${profile} 8 101
a=rtpmap:8 PCMA/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
${crypto.map((c) => `a=crypto:${c}\n`).join('')}a=ptime:20
a=sendrecv
`;

const FROM = 'From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]';
const CONTACT = 'Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>';
const invite = (cseq: number, auth: boolean) => `<send retrans="500"><![CDATA[
INVITE sip:[dialled]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
${FROM}
To: <sip:[dialled]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: ${cseq} INVITE
${CONTACT}
${auth ? '[authentication]\n' : ''}Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${sdp(1, 'RTP/SAVP', [`1 AES_CM_128_HMAC_SHA1_80 inline:${PBX_KEY}`])}]]></send>`;

/** An in-dialog request of the PBX through Kamailio's Record-Route; `body`: its SDP; `action`: what sipp does once it is sent. */
const inDialog = (method: string, cseq: number, body?: string, action = '') => `<send${method === 'ACK' ? '' : ' retrans="500"'}><![CDATA[
${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
[routes]
${FROM}
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
${CONTACT}
Max-Forwards: 70
${body === undefined ? 'Content-Length: 0\n' : `Content-Type: application/sdp\nContent-Length: [len]\n\n${body}`}
]]>${action}</send>`;

/**
 * The PBX calls with SRTP (challenged 407 by Kamailio first), Portier's 200 answers with a key; on the test's go
 * (OPTIONS) it re-INVITEs plain — Portier's 200 must answer RTP/AVP without a=crypto — and plays its capture plain
 * after the ACK; then it waits for Portier's BYE.
 */
const DROPS_SRTP = scenario('pbx-drops-srtp', `${invite(1, false)}
<recv response="407" auth="true"/>
<send><![CDATA[
ACK sip:[dialled]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
${FROM}
[last_To:]
Call-ID: [call_id]
CSeq: 1 ACK
Max-Forwards: 70
Content-Length: 0

]]></send>
${invite(2, true)}
<recv response="100" optional="true"/>
<recv response="180" optional="true"/>
<recv response="200" rrs="true">
  <action>
    <ereg regexp="m=audio [0-9]+ RTP/SAVP 8" search_in="body" check_it="true" assign_to="savp"/>
    <ereg regexp="a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:" search_in="body" check_it="true" assign_to="key"/>
    <log message="SRTP answer [$savp] [$key]"/>
  </action>
</recv>
${inDialog('ACK', 2)}
<recv request="OPTIONS"/>
${okToLast}
${inDialog('INVITE', 3, sdp(2, 'RTP/AVP', []))}
<recv response="100" optional="true"/>
<recv response="200">
  <action>
    <ereg regexp="m=audio [0-9]+ RTP/AVP 8" search_in="body" check_it="true" assign_to="avp"/>
    <ereg regexp="a=crypto" search_in="body" check_it_inverse="true" assign_to="nokey"/>
    <log message="plain answer [$avp] [$nokey]"/>
  </action>
</recv>
${inDialog('ACK', 3, undefined, playsCapture)}
<recv request="BYE"/>
${okToLast}`);

describe('an SRTP call whose PBX re-offers plain RTP (srtp: offer)', () => {
  let ca: TestCa;
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let file: string;
  const peers = new StartedPeers();

  beforeAll(async () => {
    const dataDir = peers.dir('portier-srtp-reoffer-');
    file = join(peers.dir('portier-srtp-reoffer-sipp-'), 'pbx-drops-srtp.xml');
    writeFileSync(file, DROPS_SRTP);
    ca = await TestCa.create('Portier test PBX CA');
    kamailio = await Kamailio.start({
      domain: DOMAIN, lookup: true,
      tls: await ca.server('pbx.portier.test', { dns: ['pbx.portier.test'], ip: ['127.0.0.1'] }),
      users: [{ username: 'lobby', password: 'lobby-secret-1' }, { username: PBX.user, password: PBX.password }],
    });
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, transport: tls, srtp: offer, registrar: "127.0.0.1:${kamailio.tlsPort}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `tls: {ca: "${ca.cert}", server_name: pbx.portier.test}, `
      + `inbound: {username: pbx-in, password: trunk-secret-7, trust_registrar: true, numbers: [{number: "lobby", entry: "${seeded.entries['Empfang']}"}]}}]`));
    await untilAccount(gw.gateway.services.sip.account('pbx')!, (s) => s.state === 'registered');
  }, 120_000);

  afterAll(async () => {
    await peers.close(gw, kamailio);
    ca?.close();
  });

  it('the re-INVITE without a=crypto is answered plain; the leg and the desk say rtp; RTP flows plain both ways', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    peers.open.push(rita);
    // The PBX's ear: the desk's RTP packets, plain or SRTP.
    const ear = new RtpCounter();
    peers.counters.push(ear);
    const earPort = await ear.bind();
    const seen = { rtp: 0, srtp: 0 };
    let waiter: (() => void) | undefined;
    ear.socket.on('message', (data) => { seen[onWire(data)]++; waiter?.(); });
    const heard = (as: 'rtp' | 'srtp', n: number) => new Promise<void>((resolve) => {
      const check = () => { if (seen[as] >= n) { waiter = undefined; resolve(); } };
      waiter = check;
      check();
    });
    const sipp = await Sipp.uac(file, `127.0.0.1:${kamailio.port}`, {
      keys: { dialled: 'lobby', rtp_port: earPort }, auth: { user: PBX.user, password: PBX.password, uri: `lobby@127.0.0.1:${kamailio.port}` },
    });
    peers.sipps.push(sipp);
    const ring = await next(rita, 'call.ring', () => true, 30_000).catch((e) => { console.log(sipp.output.slice(-3000), kamailio.requests().slice(-20).join('\n')); throw e; });
    expect(await ack(rita, 'call.answer', { callId: ring.callId })).toMatchObject({ ok: true, terminal: { media: 'srtp' } });
    const call = gw.gateway.services.calls.get(ring.callId);
    const phone = call.participants.find((p) => p.kind === 'sip')!;
    const leg = gw.gateway.services.sipInbound.byParticipant(phone.id)!;
    expect([leg.media, leg.relay!.media, phone.media]).toEqual(['srtp', 'srtp', 'srtp']);
    const { mic, hear } = await pcmaMic(call.media as SfuCallMedia, site.users.rita!.id, 0x5eed, peers);
    await hear((id) => id === phone.id);
    // The desk's audio reaches the PBX as SRTP.
    await heard('srtp', 10);
    expect(seen.rtp).toBe(0);
    const protections: string[] = [];
    call.on('protection', (id, media) => { if (id === phone.id) protections.push(media); });
    const shown = next(rita, 'call.phone-media', () => true, 30_000);
    const acks = kamailio.requests('ACK').length;
    goIntoPbxCall(sipp, ear);
    // The re-INVITE's 200 went out and was acknowledged (sipp checked its body: RTP/AVP, no a=crypto).
    await kamailio.sawRequests('ACK', acks + 1);
    expect([leg.media, leg.relay!.media]).toEqual(['rtp', 'rtp']);
    expect(protections).toEqual(['rtp']);
    expect(phone.media).toBe('rtp');
    expect(await shown).toEqual({ callId: call.id, media: 'rtp' });
    // Plain both ways: the desk's audio reaches the PBX without a tag, the PBX's plain capture reaches the desk.
    await heard('rtp', 25);
    await mic.reach(8, 25);
    await until(() => leg.relay!.counters.fromRemote >= 25, 'the PBX\'s plain RTP passes the relay');
    expect(leg.relay!.srtpDrops).toEqual({ authFailed: 0, replayed: 0, malformed: 0 });
    expect(await ack(rita, 'call.hangup', { callId: call.id })).toMatchObject({ ok: true });
    expect(await sipp.exited(), sipp.output.slice(-3000)).toBe(0);
  }, 120_000);
});
