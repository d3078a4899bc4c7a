// sipp UAC scenarios of a PBX whose caller a desk transfers by REFER (refer-out.test.ts):
// the call is answered as in inbound-scenarios.ts; then the PBX receives Portier's REFER
// (Refer-To the entry's extension at the account's domain, Referred-By set) and answers it
// as the scenario says; its NOTIFYs carry message/sipfrag. Keys as there; the Refer-To
// expected is <sip:7002@portier.test> (the extension the test's entry routes to). The PBX waits for the test's go (an OPTIONS into its
// call, Call-ID 1-<sipp pid>@127.0.0.1) before its final NOTIFY.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { answered, okToBye, okToLast, scenario } from './inbound-scenarios.ts';

/** Portier's REFER in the dialog: its Refer-To must name the target, Referred-By must be there. */
const referIn = `<recv request="REFER">
  <action>
    <ereg regexp="sip:7002@portier\\.test" search_in="hdr" header="Refer-To:" check_it="true" assign_to="to"/>
    <ereg regexp="sip:" search_in="hdr" header="Referred-By:" check_it="true" assign_to="by"/>
    <log message="Refer-To [$to] Referred-By [$by]"/>
  </action>
</recv>`;

/** The PBX's answer to the REFER (202 Accepted, with `extra` headers, or a refusal). */
const answerRefer = (status: string, extra = '') => `<send><![CDATA[
SIP/2.0 ${status}
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
${extra}Content-Length: 0

]]></send>`;

/** A NOTIFY of the REFER's implicit subscription carrying `frag` (e.g. `100 Trying`). */
const notify = (cseq: number, frag: string, state: string) => `<send retrans="500"><![CDATA[
NOTIFY [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: ${cseq} NOTIFY
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
Event: refer
Subscription-State: ${state}
Max-Forwards: 70
Content-Type: message/sipfrag;version=2.0
Content-Length: [len]

SIP/2.0 ${frag}
]]></send>
<recv response="200"/>`;

/** The test's go: an OPTIONS into the call, answered 200. */
const go = `<recv request="OPTIONS"/>
${okToLast}`;

/** The PBX sends a REFER in the inbound call's dialog to a number no phone-book entry routes on the account: 403, nothing is called. */
const referOut = `<send retrans="500"><![CDATA[
REFER [next_url] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch];rport
From: "Reception" <sip:7001@[local_ip]:[local_port]>;tag=[pid]PBX[call_number]
To: <sip:[dialled]@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 3 REFER
Contact: <sip:7001@[local_ip]:[local_port];transport=[transport]>
Refer-To: <sip:0900666@[remote_ip]>
Max-Forwards: 70
Content-Length: 0

]]></send>
<recv response="403"/>`;

export const REFER_SCENARIOS = {
  /** The PBX's own REFER in an inbound call to a number the phone book does not route: refused 403 (sip.js alone would have answered 202 and called it); the desk hangs up later. */
  'pbx-refers': scenario('pbx-refers', `${answered}\n${referOut}\n${okToBye}`),
  /** 202, NOTIFY 100, the test's go, NOTIFY 200 (terminated): transferred, Portier sends BYE. */
  'refer-ok': scenario('refer-ok', `${answered}\n${referIn}\n${answerRefer('202 Accepted')}\n${notify(3, '100 Trying', 'active;expires=60')}\n${go}\n${notify(4, '200 OK', 'terminated;reason=noresource')}\n${okToBye}`),
  /** 202, NOTIFY 100, the go, NOTIFY 486: the call stays; the desk hangs up later (BYE). */
  'refer-busy': scenario('refer-busy', `${answered}\n${referIn}\n${answerRefer('202 Accepted')}\n${notify(3, '100 Trying', 'active;expires=60')}\n${go}\n${notify(4, '486 Busy Here', 'terminated;reason=noresource')}\n${okToBye}`),
  /** The REFER refused 403: the call stays; the desk hangs up later (BYE). */
  'refer-refused': scenario('refer-refused', `${answered}\n${referIn}\n${answerRefer('403 Forbidden')}\n${okToBye}`),
  /** RFC 4488: 202 with Refer-Sub: false, no NOTIFY: transferred, Portier sends BYE. */
  'refer-norefersub': scenario('refer-norefersub', `${answered}\n${referIn}\n${answerRefer('202 Accepted', 'Refer-Sub: false\n')}\n${okToBye}`),
} as const;

export type ReferScenario = keyof typeof REFER_SCENARIOS;

/** Writes every scenario into `dir`; returns the path of each by name. */
export function writeReferScenarios(dir: string): Record<ReferScenario, string> {
  const paths = {} as Record<string, string>;
  for (const [name, xml] of Object.entries(REFER_SCENARIOS)) {
    paths[name] = join(dir, `${name}.xml`);
    writeFileSync(paths[name]!, xml);
  }
  return paths as Record<ReferScenario, string>;
}
