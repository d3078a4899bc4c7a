// A stand-in for the SIP bridge in the calls domain's tests: a telephone leg driver that records
// each leg's request and handlers, so the test plays the far end (answers, keys, REFERs, hang-ups).
// The SIP bridge's real peers are in test/sip-bridge (Kamailio, sipp, baresip).
import type { DoorCodePolicy, PhoneLegDriver, PhoneLegHandlers, PhoneLegRequest } from '../../src/calls/index.ts';

export interface ScriptedLeg { request: PhoneLegRequest; handlers: PhoneLegHandlers; ended: string[] }

export class ScriptedPhones implements PhoneLegDriver {
  readonly legs: ScriptedLeg[] = [];
  readonly #doorCode: DoorCodePolicy | null;
  /** `doorCode`: the policy every leg reports (null: the telephone's keys open nothing). */
  constructor(doorCode: DoorCodePolicy | null = null) { this.#doorCode = doorCode; }
  handles(route: { type: string }): boolean { return route.type === 'sip'; }
  ring(request: PhoneLegRequest, handlers: PhoneLegHandlers) {
    const leg: ScriptedLeg = { request, handlers, ended: [] };
    this.legs.push(leg);
    return { cancel: () => leg.ended.push('cancel'), hangup: () => leg.ended.push('hangup'), doorCode: this.#doorCode };
  }
}
