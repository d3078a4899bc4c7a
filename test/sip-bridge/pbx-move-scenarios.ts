// sipp UAC scenarios of a PBX that calls Portier through Kamailio and then moves
// its caller on (refer-inbound.test.ts): the PBX (Kamailio user 7001) sends its
// INVITE to Kamailio, answers the 407 with its digest, and Kamailio looks Portier
// up (its registered contact for the AOR `lobby`) and relays, record-routed — so
// every request and reply of the dialog passes Kamailio's log. Once a desk
// answered, the PBX plays g711a.pcap and waits for the test's go (an OPTIONS into
// its call, Call-ID 1-<sipp pid>@127.0.0.1); then it sends REFERs in the dialog
// and checks what Portier answers (an attended transfer's carry `?Replaces=` for
// a consult dialog the PBX's phone holds with the target, refer-replaces.test.ts). Keys: dialled (`lobby`), rtp_port (where the
// PBX hears: a Node socket counting RTP).
import { answered as answeredDirect, invite, okToLast, okToBye, PBX_SDP, playsCapture, scenario, writeScenarios } from './inbound-scenarios.ts';

const FROM = 'From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]';

/** Kamailio challenges INVITEs with 407 (auth_challenge); the ACK of that final response. */
const challenged = `${invite(1, false)}
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
<recv response="100" optional="true"/>`;

/**
 * An in-dialog request of the PBX, through Kamailio's Record-Route unless `direct` (retransmitted until answered; an
 * ACK is not); `action`: what sipp does once it is sent.
 */
const inDialog = (method: string, cseq: number, extra = '', direct = false, action = '') => `<send${method === 'ACK' ? '' : ' retrans="500"'}><![CDATA[
${method} [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
${direct ? '' : '[routes]\n'}${FROM}
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} ${method}
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
${extra}Max-Forwards: 70
Content-Length: 0

]]>${action}</send>`;

/** Answered by a desk (180 while it rings), acknowledged through Kamailio, the PBX's capture playing; then the test's go. */
const answered = `${challenged}
<recv response="180" optional="true"/>
<recv response="200" rrs="true"/>
${inDialog('ACK', 2, '', false, playsCapture)}
<recv request="OPTIONS"/>
${okToLast}`;

/** The PBX holds its caller (a re-INVITE offering sendonly, as a phone does before a blind transfer): Portier answers recvonly. */
const hold = (cseq: number) => `<send retrans="500"><![CDATA[
INVITE [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
[routes]
${FROM}
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} INVITE
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

${PBX_SDP.replace('o=pbx 1 1', `o=pbx 1 ${cseq}`).replace('a=sendrecv', 'a=sendonly')}]]></send>
<recv response="100" optional="true"/>
<recv response="200">
  <action>
    <ereg regexp="a=recvonly" search_in="body" check_it="true" assign_to="held${cseq}"/>
    <log message="held [$held${cseq}]"/>
  </action>
</recv>
${inDialog('ACK', cseq)}`;

/** A REFER moving the caller to `target` (a sip URI), Referred-By the PBX's user. */
const refer = (cseq: number, target: string, direct = false) => inDialog('REFER', cseq, `Refer-To: <${target}>\nReferred-By: <sip:7001@portier.test>\n`, direct);

/**
 * A PBX calling a terminal's number straight at Portier's socket (a trunk source: challenged 401, the caller its
 * P-Asserted-Identity, as sip-terminal-callback.test.ts), the terminal answering by itself; then the test's go.
 */
const CONTACT = 'Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>';
const calledBack = `${answeredDirect.replaceAll(CONTACT, `${CONTACT}\nP-Asserted-Identity: <sip:7001@127.0.0.1>`)}
<recv request="OPTIONS"/>
${okToLast}`;

/** Portier's NOTIFY of the REFER with CSeq `cseq` carrying `status` in its sipfrag (answered 200). */
const notified = (cseq: number, status: number, state: string) => `<recv request="NOTIFY">
  <action>
    <ereg regexp="SIP/2.0 ${status}" search_in="body" check_it="true" assign_to="frag${cseq}x${status}"/>
    <ereg regexp="refer;id=${cseq}([^0-9]|$)" search_in="hdr" header="Event:" check_it="true" assign_to="event${cseq}x${status}"/>
    <ereg regexp="^ *${state}" search_in="hdr" header="Subscription-State:" check_it="true" assign_to="state${cseq}x${status}"/>
    <log message="NOTIFY [$frag${cseq}x${status}] [$event${cseq}x${status}] [$state${cseq}x${status}]"/>
  </action>
</recv>
${okToLast}`;

/** The target of the attended transfers, and Refer-To naming its consult dialog with the PBX's phone (scenarios/replaces-answer.xml checks it). */
const Y_TARGET = 'sip:ytarget@portier.test';
const Y_CONSULTED = `${Y_TARGET}?Replaces=consult-2%40pbx.example%3Bto-tag%3Dyt2%3Bfrom-tag%3Dxt2`;

export const PBX_MOVE_SCENARIOS = {
  /**
   * The PBX holds its caller (Portier answers recvonly), then REFERs to the extension `target`: 202, NOTIFY 100
   * (active), NOTIFY 200 (terminated) once it answered, then Portier's BYE.
   */
  'pbx-moves': scenario('pbx-moves', `${answered}
${hold(3)}
${refer(4, 'sip:target@portier.test')}
<recv response="202"/>
${notified(4, 100, 'active')}
${notified(4, 200, 'terminated')}
${okToBye}`),
  /**
   * REFER to a foreign host: 403; REFER to the busy extension: 202, NOTIFY 100, NOTIFY 486 — the call stays
   * with this PBX, whose caller the desk hangs up on later (BYE).
   */
  'pbx-moves-refused': scenario('pbx-moves-refused', `${answered}
${refer(3, 'sip:target@evil.example')}
<recv response="403"/>
${refer(4, 'sip:busy@portier.test')}
<recv response="202"/>
${notified(4, 100, 'active')}
${notified(4, 486, 'terminated')}
${okToBye}`),
  /**
   * A terminal's callback, REFERs straight to Portier: to the extension `other`, which the phone book routes but the
   * terminal's number does not list as a caller — 403, the call stays; then to `target`, a listed caller: 202,
   * NOTIFY 100, NOTIFY 200 once it answered, then Portier's BYE.
   */
  'callback-moves': scenario('callback-moves', `${calledBack}
${refer(3, 'sip:other@portier.test', true)}
<recv response="403"/>
${refer(4, 'sip:target@portier.test', true)}
<recv response="202"/>
${notified(4, 100, 'active')}
${notified(4, 200, 'terminated')}
${okToBye}`),
  /** A desk's caller straight at Portier's socket (a trunk number, challenged 401): once answered, REFER to `target` — 202, NOTIFY 100/200, then Portier's BYE. */
  'desk-moves': scenario('desk-moves', `${answeredDirect}
${refer(3, 'sip:target@portier.test', true)}
<recv response="202"/>
${notified(3, 100, 'active')}
${notified(3, 200, 'terminated')}
${okToBye}`),
  /**
   * Attended transfers (Refer-To with Replaces; the consult dialogs are the PBX's own, Portier never saw them): a
   * Replaces without from-tag 400; one to a number no entry routes 403; to `yrefuses`, which knows no such
   * dialog: 202, NOTIFY 100 then 481, the call stays; to `ytarget`: 202, NOTIFY 100, a second REFER meanwhile
   * 491, NOTIFY 200 once it answered, then Portier's BYE.
   */
  'pbx-attended': scenario('pbx-attended', `${answered}
${refer(3, `${Y_TARGET}?Replaces=consult-2%40pbx.example%3Bto-tag%3Dyt2`)}
<recv response="400"/>
${refer(4, 'sip:0900666@portier.test?Replaces=consult-9%40pbx.example%3Bto-tag%3Dyt9%3Bfrom-tag%3Dxt9')}
<recv response="403"/>
${refer(5, 'sip:yrefuses@portier.test?Replaces=consult-1%40pbx.example%3Bto-tag%3Dyt1%3Bfrom-tag%3Dxt1')}
<recv response="202"/>
${notified(5, 100, 'active')}
${notified(5, 481, 'terminated')}
${refer(6, Y_CONSULTED)}
<recv response="202"/>
${notified(6, 100, 'active')}
${refer(7, Y_CONSULTED)}
<recv response="491"/>
${notified(6, 200, 'terminated')}
${okToBye}`),
} as const;

export type PbxMoveScenario = keyof typeof PBX_MOVE_SCENARIOS;

/** Writes every scenario into `dir`; returns the path of each by name. */
export function writePbxMoveScenarios(dir: string): Record<PbxMoveScenario, string> {
  return writeScenarios(dir, PBX_MOVE_SCENARIOS);
}
