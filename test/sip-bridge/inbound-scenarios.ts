// sipp UAC scenarios of a PBX calling Portier (inbound tests), built from shared
// blocks and written as files for sipp: every call first sends its INVITE
// without credentials, takes the 401 and sends it again with sipp's
// [authentication] (-au/-ap). Keys: dialled (the Request-URI user) and
// rtp_port (where the "phone" hears: a Node socket counting RTP).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The PBX's audio offer (PCMA, PCMU, telephone-event), RTP to [rtp_port]. */
export const PBX_SDP = `v=0
o=pbx 1 1 IN IP[media_ip_type] [media_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtp_port] RTP/AVP 8 0 101
a=rtpmap:8 PCMA/8000
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000
a=fmtp:101 0-15
a=ptime:20
a=sendrecv
`;

/** A message's body from Content-Type on: `sdp`, or none (Content-Length 0). */
const sdpBody = (sdp?: string) => (sdp === undefined ? `Content-Length: 0

` : `Content-Type: application/sdp
Content-Length: [len]

${sdp}`);

/** The start of the PBX's request `method` in the dialog (CSeq `cseq`): request line, Via, From, To with Portier's tag, Call-ID, CSeq. */
const inDialog = (method: string, cseq: number) => `${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} ${method}`;

/** The PBX's INVITE from 7001 "Reception" (CSeq `cseq`), with sipp's [authentication] when `auth`; without `sdp`: a late offer. */
export const invite = (cseq: number, auth: boolean, sdp = true, extra = '') => `<send retrans="500"><![CDATA[
INVITE sip:[dialled]@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
To: <sip:[dialled]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: ${cseq} INVITE
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
${auth ? '[authentication]\n' : ''}${extra}Max-Forwards: 70
${sdpBody(sdp ? PBX_SDP : undefined)}]]></send>`;

/** ACK of a non-2xx final response: the INVITE's Via (its branch), Request-URI and CSeq number. */
const ackFailure = (cseq: number) => `<send><![CDATA[
ACK sip:[dialled]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
[last_To:]
Call-ID: [call_id]
CSeq: ${cseq} ACK
Max-Forwards: 70
Content-Length: 0

]]></send>`;

/** The INVITE, its challenge and the authenticated INVITE (CSeq 2); without SDP: a late offer. */
const authenticatedInvite = (sdp = true, extra = '') => `${invite(1, false, sdp, extra)}
<recv response="401" auth="true"/>
${ackFailure(1)}
${invite(2, true, sdp, extra)}
<recv response="100" optional="true"/>`;

/**
 * The PBX's capture (g711a.pcap) starts playing — an action of the ACK's own <send>, not a <nop> after it: sipp
 * takes a message only at a <recv> step, and moves one step per turn of its loop, so a request of Portier's that
 * arrived while the call still stood on the <nop> (sipp descheduled on a loaded machine) was "unexpected" —
 * sipp aborted the call and sent BYE (refer-out.test.ts, Portier's REFER).
 */
export const playsCapture = '<action><exec play_pcap_audio="/usr/share/sip-tester/g711a.pcap"/></action>';

/** The ACK of an INVITE's 200 (CSeq `cseq`); `answer`: the SDP it carries (an offer's answer); `action`: what sipp does once it is sent. */
const ack2xxOf = (cseq: number, answer?: string, action = '') => `<send><![CDATA[
${inDialog('ACK', cseq)}
Max-Forwards: 70
${sdpBody(answer)}]]>${action}</send>`;
/** The ACK of the first INVITE's 200 (CSeq 2: the authenticated one); `answer`: a late offer's answer. */
const ack2xxWith = (answer?: string, action = '') => ack2xxOf(2, answer, action);
const ack2xx = ack2xxWith();
/** The ACK of the 200, then the capture plays. */
const ack2xxPlaying = ack2xxWith(undefined, playsCapture);

/** A late offer's answer: PCMA only (Portier offers sip.late_offer_codec, PCMA by default), where the PBX hears. */
const LATE_ANSWER = `v=0
o=pbx 2 2 IN IP[media_ip_type] [media_ip]
s=-
c=IN IP[media_ip_type] [media_ip]
t=0 0
m=audio [rtp_port] RTP/AVP 8
a=rtpmap:8 PCMA/8000
a=sendrecv
`;

/** An answer naming only a codec Portier did not offer. */
const WRONG_ANSWER = LATE_ANSWER.replace('RTP/AVP 8', 'RTP/AVP 0').replace('a=rtpmap:8 PCMA/8000', 'a=rtpmap:0 PCMU/8000');

/** Our 200 to a late offer must carry the offer: m=audio with PCMA (payload type 8), sendrecv. */
const offerIn200 = `<recv response="200" rrs="true">
  <action>
    <ereg regexp="m=audio [0-9]+ RTP/AVP 8" search_in="body" check_it="true" assign_to="offer"/>
    <log message="offer [$offer]"/>
  </action>
</recv>`;

/** 200 OK to the request just received (its Via, From, To, Call-ID and CSeq). */
export const okToLast = `<send><![CDATA[
SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>`;

/** Portier ends the call: BYE with Reason cause 488 (the answer was missing or unusable). */
const byeFor488 = `<recv request="BYE">
  <action>
    <ereg regexp="cause=488" search_in="hdr" header="Reason:" check_it="true" assign_to="reason"/>
    <log message="reason [$reason]"/>
  </action>
</recv>
${okToLast}`;

export const answered = `${authenticatedInvite()}
<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
${ack2xxPlaying}`;

export const okToBye = `<recv request="BYE"/>
${okToLast}`;

/** An UPDATE without SDP in the dialog asking `sessionExpires` (a session refresh, RFC 4028/RFC 3311). */
const update = (cseq: number, sessionExpires: string) => `<send retrans="500"><![CDATA[
${inDialog('UPDATE', cseq)}
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
Session-Expires: ${sessionExpires}
Supported: timer
Max-Forwards: 70
Content-Length: 0

]]></send>`;

/** What sipp checks in Portier's 200 to a re-INVITE: each [name, regexp] must match its body; `log` names the matches. */
export interface ReinviteChecks {
  /** The SDP the re-INVITE carries; none: an offerless re-INVITE (Portier's 200 offers). */
  offer?: string;
  checks: Array<[name: string, regexp: string]>;
  log: string;
  /** The SDP the ACK carries (the answer to the 200's offer). */
  answer?: string;
}

/** The PBX's re-INVITE in the dialog (CSeq `cseq`), its 100, Portier's 200 with sipp's checks of its body, then the ACK. */
export const reinviteWith = (cseq: number, { offer, checks, log, answer }: ReinviteChecks) => `<send retrans="500"><![CDATA[
${inDialog('INVITE', cseq)}
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
${sdpBody(offer)}]]></send>
<recv response="100" optional="true"/>
<recv response="200">
  <action>
${checks.map(([name, regexp]) => `    <ereg regexp="${regexp}" search_in="body" check_it="true" assign_to="${name}"/>`).join('\n')}
    <log message="${log}"/>
  </action>
</recv>
${ack2xxOf(cseq, answer)}`;

/** A re-INVITE offering `offered`, whose 200 must answer `expected`; `rfc2543Hold`: c=0.0.0.0 (the old way to hold). */
const reinvite = (cseq: number, offered: string, expected: string, rfc2543Hold = false) => reinviteWith(cseq, {
  offer: PBX_SDP.replace('o=pbx 1 1', `o=pbx 1 ${cseq}`).replace('a=sendrecv', `a=${offered}`).replace(rfc2543Hold ? /^c=.*$/m : /^$^/, 'c=IN IP4 0.0.0.0'),
  checks: [[`dir${cseq}`, `a=${expected}`]],
  log: `direction [$dir${cseq}]`,
});

export const scenario = (name: string, body: string) => `<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="${name}">
${body}
</scenario>
`;

export const INBOUND_SCENARIOS = {
  /** A desk answers; the PBX plays g711a.pcap and waits for Portier's BYE. */
  answered: scenario('answered', `${answered}\n${okToBye}`),
  /** A desk answers; the PBX plays its capture for 2 s, then hangs up. */
  'hangs-up': scenario('hangs-up', `${answered}
<pause milliseconds="2000"/>
<send retrans="500"><![CDATA[
${inDialog('BYE', 3)}
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>`),
  /** The PBX gives up as soon as a desk rings: CANCEL, 200 for it, 487 for the INVITE. */
  cancel: scenario('cancel', `${authenticatedInvite()}
<recv response="180"/>
<send><![CDATA[
CANCEL sip:[dialled]@[remote_ip]:[remote_port] SIP/2.0
[last_Via:]
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
To: <sip:[dialled]@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 2 CANCEL
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="200"/>
<recv response="487"/>
${ackFailure(2)}`),
  ...Object.fromEntries([401, 403, 404, 480, 486].map((code) => [`refused-${code}`, scenario(`refused-${code}`, `${authenticatedInvite()}
<recv response="${code}"/>
${ackFailure(2)}`)])),
  /** A late offer: the INVITE has no SDP, Portier's 200 carries the offer, the ACK the answer; then as 'answered'. */
  'late-offer': scenario('late-offer', `${authenticatedInvite(false)}
<recv response="180" optional="true"/>
${offerIn200}
${ack2xxWith(LATE_ANSWER, playsCapture)}
${okToBye}`),
  /** A late offer whose ACK has no SDP: Portier hangs up with BYE, Reason 488. */
  'late-offer-no-answer': scenario('late-offer-no-answer', `${authenticatedInvite(false)}
<recv response="180" optional="true"/>
${offerIn200}
${ack2xx}
${byeFor488}`),
  /** A late offer answered with a codec Portier did not offer: BYE, Reason 488. */
  'late-offer-wrong-answer': scenario('late-offer-wrong-answer', `${authenticatedInvite(false)}
<recv response="180" optional="true"/>
${offerIn200}
${ack2xxWith(WRONG_ANSWER)}
${byeFor488}`),
  /**
   * A desk answers; the PBX holds (re-INVITE sendonly → Portier answers recvonly), goes inactive (→ inactive)
   * and takes the call back (sendrecv → sendrecv), holds the RFC 2543 way (c=0.0.0.0 → recvonly) and takes it
   * back again; each 200's direction is checked; then it waits for the BYE.
   * It holds only once the test says so: an OPTIONS into its call (Call-ID 1-<sipp pid>@127.0.0.1).
   */
  hold: scenario('hold', `${answered}
<recv request="OPTIONS"/>
${okToLast}
${reinvite(3, 'sendonly', 'recvonly')}
${reinvite(4, 'inactive', 'inactive')}
${reinvite(5, 'sendrecv', 'sendrecv')}
${reinvite(6, 'sendrecv', 'recvonly', true)}
${reinvite(7, 'sendrecv', 'sendrecv')}
${okToBye}`),
  /**
   * Session timers (RFC 4028) on an inbound call: the INVITE asks Session-Expires 10;refresher=uac — Portier's 200
   * must say so; the PBX refreshes by UPDATE (200 with Session-Expires; before: 501), then asks 2 s by UPDATE (below
   * Portier's floor, 3 in the test: 422 with Min-SE 3), then refreshes no more: Portier must end the call with a BYE.
   */
  'session-timer': scenario('session-timer', `${authenticatedInvite(true, 'Session-Expires: 10;refresher=uac\nSupported: timer\n')}
<recv response="180" optional="true"/>
<recv response="200" rrs="true">
  <action>
    <ereg regexp="^ *10;refresher=uac" search_in="hdr" header="Session-Expires:" check_it="true" assign_to="se"/>
    <log message="200 Session-Expires [$se]"/>
  </action>
</recv>
${ack2xxPlaying}
${update(3, '10;refresher=uac')}
<recv response="200">
  <action>
    <ereg regexp="^ *10;refresher=uac" search_in="hdr" header="Session-Expires:" check_it="true" assign_to="ue"/>
    <log message="UPDATE answered Session-Expires [$ue]"/>
  </action>
</recv>
${update(4, '2;refresher=uac')}
<recv response="422">
  <action>
    <ereg regexp="^ *3$" search_in="hdr" header="Min-SE:" check_it="true" assign_to="min"/>
    <log message="UPDATE refused, Min-SE [$min]"/>
  </action>
</recv>
${okToBye}`),
  /** Past sip.inbound.max_calls: 486 with a Retry-After (sipp fails the call without it). */
  busy: scenario('busy', `${authenticatedInvite()}
<recv response="486">
  <action>
    <ereg regexp="[0-9]+" search_in="hdr" header="Retry-After:" check_it="true" assign_to="retry"/>
    <log message="Retry-After [$retry]"/>
  </action>
</recv>
${ackFailure(2)}`),
} as const;

export type InboundScenario = keyof typeof INBOUND_SCENARIOS | 'refused-401' | 'refused-403' | 'refused-404' | 'refused-480' | 'refused-486';

/** Writes every scenario of `scenarios` into `dir` as <name>.xml; returns the path of each by name. */
export function writeScenarios<K extends string>(dir: string, scenarios: Readonly<Record<K, string>>): Record<K, string> {
  const paths = {} as Record<K, string>;
  for (const name of Object.keys(scenarios) as K[]) {
    paths[name] = join(dir, `${name}.xml`);
    writeFileSync(paths[name], scenarios[name]);
  }
  return paths;
}

/** Writes every scenario into `dir`; returns the path of each by name. */
export function writeInboundScenarios(dir: string): Record<InboundScenario, string> {
  return writeScenarios(dir, INBOUND_SCENARIOS) as Record<InboundScenario, string>;
}
