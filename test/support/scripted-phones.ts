// A stand-in for the SIP bridge in the calls domain's tests: a telephone leg driver that records
// each leg's request and handlers, so the test plays the far end (answers, keys, REFERs, hang-ups).
// The SIP bridge's real peers are in test/sip-bridge (Kamailio, sipp, baresip).
import { expect } from 'vitest';
import { CallService, CallRecords, type DoorCodePolicy, type MediaPort, type PhoneLegDriver, type PhoneLegHandlers, type PhoneLegRequest } from '../../src/calls/index.ts';
import type { Clock } from '../../src/core/index.ts';
import type { PhoneBook } from '../../src/phonebook/index.ts';
import { noDoors, type RecordingDoors } from './doors.ts';
import type { Services } from './services.ts';

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

/**
 * A call service whose only telephone driver is `phones`: everyone available, every desk may answer, no queue timeout to speak of;
 * `mayTransfer`: every desk may transfer and add colleagues too.
 */
export function phoneCallService(d: { s: Services; phonebook: PhoneBook; clock: Clock; media: MediaPort; doors: RecordingDoors; phones: ScriptedPhones; mayTransfer?: boolean }): CallService {
  const mayTransfer = d.mayTransfer ? { mayTransfer: async () => true } : {};
  return new CallService({
    phonebook: d.phonebook, clock: d.clock, recorder: new CallRecords(d.s.store), media: d.media, door: { ...noDoors(d.s), doors: d.doors }, audit: d.s.audit,
    options: { queueTimeoutS: 300 }, presence: { isAvailable: () => true }, directory: { members: async () => [], mayAnswer: async () => true, ...mayTransfer },
    phoneLegs: [d.phones],
  });
}

/** The terminal calls the entry; the telephone rings and answers in PCMA (and is the one who answered). */
export async function answeredPhone(calls: CallService, phones: ScriptedPhones, terminal: { id: string; siteId: string }, entryId: string) {
  const call = await calls.start(terminal, entryId);
  const leg = phones.legs.at(-1)!;
  leg.handlers.ringing();
  leg.handlers.answered('audio/PCMA');
  expect(call.answeredBy).toBe(leg.request.participantId);
  return { call, leg };
}
