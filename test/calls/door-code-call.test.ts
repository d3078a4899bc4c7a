// The door code in a call, with a manual clock and a real mediasoup worker: a
// telephone route rung through a scripted leg driver (the SIP bridge's real
// peers are in test/sip-bridge/dtmf-door.test.ts) answers, its keys reach the
// call, and the right code opens the calling terminal's door through the same
// path as the desk button (door outbox, audit with the call id and the leg,
// the terminal told opening → open). Keys before the answer do nothing; the
// third wrong code ends the chance for the call and is audited.
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../support/services.ts';
import type { ManualClock } from '../support/manual-clock.ts';
import { callAudit, hqPhoneBook } from '../support/call-service.ts';
import { RecordingDoors } from '../support/doors.ts';
import {
  type CallService, type DtmfDigit,
} from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { answeredPhone as answerPhone, phoneCallService, ScriptedPhones } from '../support/scripted-phones.ts';

const TERMINAL = { id: 'terminal-door', siteId: 'hq' };

describe('the door code of an answered telephone', () => {
  let pool: WorkerPool;
  let s: Services;
  let clock: ManualClock;
  let calls: CallService;
  let doors: RecordingDoors;
  let phones: ScriptedPhones;
  let entryId: string;
  const states: string[] = [];

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Anna am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7001' }] },
    ], (id) => id === 'pbx');
    ({ s, clock } = hq);
    entryId = hq.entries['Anna am Telefon']!;
    doors = new RecordingDoors();
    phones = new ScriptedPhones({ code: '*1', interDigitMs: 3000, maxWrong: 3 });
    states.length = 0;
    calls = phoneCallService({ s, phonebook: hq.book, clock, media: new SfuMediaPort(pool), doors, phones });
    calls.on('doorstate', (_call, state) => states.push(state));
  });
  afterEach(async () => {
    await calls.close();
    await s.close();
  });

  /** The terminal calls; the telephone rings and answers; `press` sends its keys. */
  const answeredPhone = async () => {
    const { call, leg } = await answerPhone(calls, phones, TERMINAL, entryId);
    return { call, leg, press: (keys: string) => { for (const k of keys) leg.handlers.dtmf!(k as DtmfDigit); } };
  };
  /** Resolves once the door-opening's audit entries of the call were written. */
  const auditOf = (callId: string, action: string, n: number) => callAudit(s, callId, action, n);

  it('*1 from the telephone that answered opens the door like the desk button: unlock as that participant, audited with call and leg, opening → open', async () => {
    const { call, leg, press } = await answeredPhone();
    press('*1');
    const [entry] = await auditOf(call.id, 'door.open', 1);
    expect(doors.requests).toEqual([{ doorId: 'door-1', seconds: 5, issuedBy: { type: 'participant', id: leg.request.participantId }, correlationId: call.id }]);
    expect(entry).toMatchObject({ actor_type: 'participant', actor_id: leg.request.participantId, outcome: 'ok', target_id: 'door-1', site_id: 'hq' });
    expect(JSON.parse(entry!.details!)).toEqual({ via: 'dtmf', leg: 0, commandId: 'cmd-1', result: 'acknowledged' });
    expect(states).toEqual(['opening', 'open']);
    // A controller that does not acknowledge: the terminal is told failed, as for the desk button.
    doors.outcome = 'timeout';
    press('*1');
    await auditOf(call.id, 'door.open', 2);
    expect(states).toEqual(['opening', 'open', 'opening', 'failed']);
  });

  it('keys before the answer do nothing; an unfinished code is dropped after the inter-digit timeout', async () => {
    const call = await calls.start(TERMINAL, entryId);
    const leg = phones.legs.at(-1)!;
    leg.handlers.ringing();
    for (const k of '*1') leg.handlers.dtmf!(k as DtmfDigit);
    leg.handlers.answered('audio/PCMA');
    leg.handlers.dtmf!('*');
    await clock.advance(3000);
    leg.handlers.dtmf!('1');
    expect(clock.pending).toBe(1);
    await clock.advance(3000);
    expect(doors.requests).toEqual([]);
    for (const k of '*1') leg.handlers.dtmf!(k as DtmfDigit);
    await auditOf(call.id, 'door.open', 1);
    expect(doors.requests).toHaveLength(1);
  });

  it('the third wrong code ends the chance for the call, audited once; the right code does nothing after it', async () => {
    const { call, leg, press } = await answeredPhone();
    press('12##');
    expect(await s.audit.list({ correlationId: call.id })).toEqual([]);
    press('*2');
    const [locked] = await auditOf(call.id, 'door.code', 1);
    expect(locked).toMatchObject({ actor_type: 'participant', actor_id: leg.request.participantId, outcome: 'denied' });
    expect(JSON.parse(locked!.details!)).toEqual({ via: 'dtmf', leg: 0, wrong: 3 });
    press('*1');
    await clock.advance(3000);
    expect(doors.requests).toEqual([]);
    expect(states).toEqual([]);
    expect((await s.audit.list({ correlationId: call.id })).map((e) => e.action)).toEqual(['door.code']);
  });

  it('a telephone that hung up presses nothing more, and no door-code timer outlives the call', async () => {
    const { leg, press } = await answeredPhone();
    press('*');
    expect(clock.pending).toBeGreaterThan(0);
    leg.handlers.ended();
    await clock.advance(0);
    press('1');
    expect(doors.requests).toEqual([]);
    expect(clock.pending).toBe(0);
  });
  it('a telephone whose media timed out (the SIP leg\'s RTP timeout) ends the call with media-timeout and its leg is hung up; not before its answer', async () => {
    const ringing = await calls.start(TERMINAL, entryId);
    const early = phones.legs.at(-1)!;
    early.handlers.ringing();
    early.handlers.mediaTimeout!();
    expect(ringing.ended).toBe(false);
    await calls.hangup(ringing.id, TERMINAL.id);
    const { call, leg } = await answeredPhone();
    const ended = new Promise<string>((resolve) => calls.once('ended', (_c, reason) => resolve(reason)));
    leg.handlers.mediaTimeout!();
    expect(await ended).toBe('media-timeout');
    expect(leg.ended).toEqual(['hangup']);
  });
});
