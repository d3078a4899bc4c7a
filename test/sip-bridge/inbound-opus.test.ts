// A PBX that offers opus calls in through an account whose codecs are
// [opus, pcma, pcmu] (docs/sip.md, "Codecs"): sipp plays the PBX, offering PCMA,
// PCMU and opus at its own dynamic payload type 107 (and telephone-event/48000 at
// 110), in that order — Portier answers in the account's order, opus, at 107. The
// reception's desk answers; its media is played by Node on a plain transport
// producing opus (as a browser does). The desk's opus packets reach the PBX's RTP
// socket at payload type 107 with their payload untouched (no transcoding), and
// the PBX's opus packets reach the desk in opus. The call's participants name opus.
// Then the PBX re-numbers opus by a re-INVITE (same address and port, opus at 109,
// RFC 3264 §8.3.2): Portier answers 109 and its relay follows — the PBX's packets
// at 109 reach the desk, the desk's reach the PBX at 109 (review s26 #1); a re-INVITE
// without SDP then gets our offer of opus at 109, the number last agreed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import type { RtpCounter } from '../support/rtp-counter.ts';
import { startSeededSipGateway } from '../support/sip-gateway.ts';
import { StartedPeers, audioProducer } from '../support/sip-call-files.ts';
import type { Gw, SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import type { Sipp } from '../support/sipp.ts';
import type { SfuCallMedia } from '../../src/sfu/index.ts';
import { until } from '../support/call-flow.ts';
import { ackOf, received } from '../support/sip-tap.ts';
import { okToLast, reinviteWith, type ReinviteChecks } from './inbound-scenarios.ts';
import { PBX_OPUS_PT, deskOpus, expectDeskOpusAtPbx, opusCallAnswered, opusPacket, opusScenario, ritaHangsUp } from './opus-scenario.ts';

const DOMAIN = 'portier.test';
const TRUNK = { user: 'pbx-in', password: 'trunk-secret-7' };
/** The payload type the PBX's re-INVITE gives opus (its new phone's numbering). */
const RENUMBERED_PT = 109;

/** The PBX's SDP (version `version`) with RTP to [rtp_port]: `formats` on the m= line, then `attributes`. */
const pbxSdp = (version: number, formats: string, attributes: string[]) => `v=0
o=pbx 1 ${version} IN IP[media_ip_type] [media_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtp_port] RTP/AVP ${formats}
${attributes.map((a) => `${a}\n`).join('')}`;

/** sipp's checks that Portier's 200 (to CSeq `cseq`) names opus at 109: its m= line and rtpmap. */
const opusAt109 = (cseq: number): ReinviteChecks['checks'] => [
  [`m${cseq}`, `m=audio [0-9]+ RTP/AVP ${RENUMBERED_PT}\\r`], [`rtpmap${cseq}`, `a=rtpmap:${RENUMBERED_PT} opus/48000/2`],
];

/** The PBX's re-INVITE (CSeq 3) re-numbering opus to 109, same address and port; Portier's 200 must answer opus at 109; then its ACK. */
const renumberingReinvite = reinviteWith(3, {
  offer: pbxSdp(3, `${RENUMBERED_PT} 8`, [`a=rtpmap:${RENUMBERED_PT} opus/48000/2`, 'a=rtpmap:8 PCMA/8000', 'a=ptime:20', 'a=sendrecv']),
  checks: opusAt109(3),
  log: 're-numbered [$m3] [$rtpmap3]',
});

/**
 * The PBX's re-INVITE (CSeq 4) without SDP: Portier's 200 is our offer — opus at 109, the number last agreed (before:
 * 107, the first INVITE's); the ACK answers it at 109.
 */
const offerlessReinvite = reinviteWith(4, {
  checks: opusAt109(4),
  log: 'our offer [$m4] [$rtpmap4]',
  answer: pbxSdp(4, `${RENUMBERED_PT}`, [`a=rtpmap:${RENUMBERED_PT} opus/48000/2`, 'a=sendrecv']),
});

/**
 * The opus scenario (opus-scenario.ts) going on, once the test says so (an OPTIONS into its call), to the PBX's
 * re-INVITE re-numbering opus, then after another OPTIONS to its re-INVITE without SDP; then it waits for the BYE.
 */
function renumberingScenario(dir: string): string {
  const file = opusScenario(dir);
  const answered = readFileSync(file, 'utf8');
  const renumbering = answered.replace('<recv request="BYE"/>', `<recv request="OPTIONS"/>\n${okToLast}\n${renumberingReinvite}\n`
    + `<recv request="OPTIONS"/>\n${okToLast}\n${offerlessReinvite}\n<recv request="BYE"/>`);
  expect(renumbering).not.toBe(answered);
  writeFileSync(file, renumbering);
  return file;
}

describe('an inbound call from a PBX that offers opus', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let scenario: string;
  const peers = new StartedPeers();
  const { timers } = peers;

  beforeAll(async () => {
    const dataDir = peers.dir('portier-inbound-opus-');
    scenario = renumberingScenario(peers.dir('portier-inbound-opus-sipp-'));
    kamailio = await Kamailio.start({ domain: DOMAIN, users: [{ username: 'lobby', password: 'lobby-secret-1' }] });
    ({ gw, site } = await startSeededSipGateway(dataDir, (seeded) => `[{id: pbx, registrar: "127.0.0.1:${kamailio.port}", username: lobby, password: lobby-secret-1, domain: ${DOMAIN}, `
      + `codecs: [opus, pcma, pcmu], inbound: {username: ${TRUNK.user}, password: ${TRUNK.password}, numbers: [{number: "4700", entry: "${seeded.entries['Empfang']}"}]}}]`));
  });

  afterAll(() => peers.close(gw, kamailio));

  /** An OPTIONS into sipp's call (Call-ID 1-<sipp pid>@127.0.0.1) lets it go on to its next re-INVITE. */
  let optionsSent = 0;
  const goOn = (sipp: Sipp, from: RtpCounter) => from.socket.send([
    `OPTIONS sip:pbx@127.0.0.1:${sipp.port} SIP/2.0`, `Via: SIP/2.0/UDP 127.0.0.1:${from.socket.address().port};branch=z9hG4bK-go-${sipp.pid}-${++optionsSent}`,
    'From: <sip:test@127.0.0.1>;tag=go', 'To: <sip:pbx@127.0.0.1>', `Call-ID: 1-${sipp.pid}@127.0.0.1`, `CSeq: ${optionsSent} OPTIONS`, 'Content-Length: 0', '', '',
  ].join('\r\n'), sipp.port, '127.0.0.1');

  it('is answered in opus at the PBX\'s payload type, and opus flows both ways untouched', async () => {
    const { rita, ear, sipp, call, phone } = await opusCallAnswered(gw, site, scenario, TRUNK, peers);
    // The telephone talks opus, and so does the desk (it never has to switch: browsers send opus).
    expect(phone.audioCodec).toBe('audio/opus');
    expect(call.participant(site.users.rita!.id)!.audioCodec).toBe('audio/opus');

    // The desk's media, played by Node: opus at the router's own number (100 here), as a browser sends it.
    const media = call.media as SfuCallMedia;
    const deskId = site.users.rita!.id;
    const { desk: deskEar, transportId } = await deskOpus(media, deskId, peers);
    const fromPhone = await audioProducer(media, deskId, (id) => id === phone.id);
    const consumer = await media.consume(deskId, transportId, fromPhone.producerId);
    const consumed = (consumer.rtpParameters as { codecs: Array<{ mimeType: string; payloadType: number }> }).codecs[0]!;
    expect(consumed.mimeType).toBe('audio/opus');
    await media.resume(deskId, consumer.id);

    // Desk → PBX: at the PBX's 107, the payload as the desk sent it.
    await expectDeskOpusAtPbx(ear);

    // PBX → desk: the PBX's opus at 107 to the call's RTP socket reaches the desk in opus (the router's number).
    const relay = [...gw.gateway.services.sipInbound.calls].find((c) => c.participantId === phone.id)!.relay!;
    const relayPort = relay.rtpPort;
    let pbxSeq = 0;
    const pbxSends = setInterval(() => ear.socket.send(opusPacket(PBX_OPUS_PT, ++pbxSeq, 0xbeef), relayPort, '127.0.0.1'), 20);
    timers.push(pbxSends);
    await deskEar.reach(consumed.payloadType, 25);
    expect(relay.counters.dropped).toBe(0);
    const stats = (await media.stats()).find((s) => s.participantId === phone.id)!;
    expect(stats.audioUp.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);
    expect(stats.audioDown.reduce((n, s) => n + s.packets, 0)).toBeGreaterThan(0);

    // All of the PBX's packets at 107 are through the relay before it re-numbers (none in flight at the re-INVITE).
    clearInterval(pbxSends);
    await until(() => relay.counters.fromRemote + relay.counters.dropped >= pbxSeq, 'the PBX\'s packets at 107 through the relay');
    expect(relay.counters.dropped).toBe(0);

    // The PBX re-numbers opus to 109 (same address and port): sipp checked that the 200 answers 109 once it ACKs.
    const reinviteAcked = received(gw.gateway.services.sip.account('pbx')!.transport!, ackOf(`1-${sipp.pid}@127.0.0.1`, 3));
    goOn(sipp, ear);
    await reinviteAcked;
    // PBX → desk at 109: the relay takes them (before: every one dropped as another payload type) and the desk hears them.
    const deskHeard = deskEar.count(consumed.payloadType);
    const sentBefore = pbxSeq;
    const pbxSendsRenumbered = setInterval(() => ear.socket.send(opusPacket(RENUMBERED_PT, ++pbxSeq, 0xbeef), relayPort, '127.0.0.1'), 20);
    timers.push(pbxSendsRenumbered);
    await until(() => relay.counters.fromRemote + relay.counters.dropped >= sentBefore + 25, 'the PBX\'s packets at 109 through the relay');
    expect(relay.counters.dropped).toBe(0);
    expect(relay.remote?.payloadType).toBe(RENUMBERED_PT);
    await deskEar.reach(consumed.payloadType, deskHeard + 25);
    // Desk → PBX at 109 (before: still at 107, which the new negotiation no longer defines).
    await ear.reach(RENUMBERED_PT, 25);


    // A re-INVITE without SDP: our offer in the 200 keeps opus at 109 (sipp's check), the ACK answers at 109.
    // Before, we offered the first INVITE's 107: sipp's check failed and it ended the call instead of its ACK.
    const offerAcked = received(gw.gateway.services.sip.account('pbx')!.transport!, ackOf(`1-${sipp.pid}@127.0.0.1`, 4));
    goOn(sipp, ear);
    const outcome = await Promise.race([offerAcked.then(() => 'acked'), sipp.exited().then((code) => `sipp exited ${code}`)]);
    expect(outcome, sipp.output.slice(-3000)).toBe('acked');
    const afterOffer = relay.counters.fromRemote;
    await until(() => relay.counters.fromRemote >= afterOffer + 10, 'the PBX\'s packets at 109 after our offer');
    expect(relay.counters.dropped).toBe(0);

    clearInterval(pbxSendsRenumbered);
    await ritaHangsUp(rita, call.id);
    // sipp's checks of the 200 (opus at 107, its rtpmap and fmtp) held, and it answered the BYE.
    expect(await sipp.exited(), sipp.output.slice(-4000)).toBe(0);
  });
});
