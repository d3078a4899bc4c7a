// Whether a telephone's media to its PBX is encrypted (SRTP) or plain (RTP), as
// the call session keeps it (Participant.media, Call.phoneMedia) and tells its
// adapters (CallService event `protection`): from the caller's INVITE, from an
// outbound leg's answer, later for a late offer (its ACK) or a re-offer adding or
// dropping SRTP, and for the telephone a PBX moved the call to. A scripted leg driver stands in for the SIP bridge
// (the bridge's side: inbound-sip-call.test.ts, sip-leg.test.ts); the media is a real worker's.
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../support/services.ts';
import { hqPhoneBook } from '../support/call-service.ts';
import { RecordingDoors } from '../support/doors.ts';
import type { CallService, MediaProtection } from '../../src/calls/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { phoneCallService, ScriptedPhones } from '../support/scripted-phones.ts';

describe('a telephone participant\'s media protection (call service)', () => {
  let pool: WorkerPool;
  let s: Services;
  let calls: CallService;
  let phones: ScriptedPhones;
  let entries: Record<string, string>;
  let told: Array<[string, MediaProtection]>;

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Anna', department: null, routes: [{ type: 'desk-user', userId: 'anna' }] },
      { kind: 'person', name: 'Yvonne am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }] },
    ], (id) => id === 'pbx');
    ({ s, entries } = hq);
    phones = new ScriptedPhones();
    calls = phoneCallService({ s, phonebook: hq.book, clock: hq.clock, media: new SfuMediaPort(pool), doors: new RecordingDoors(), phones });
    told = [];
    calls.on('protection', (_call, participantId, media) => told.push([participantId, media]));
  });
  afterEach(async () => {
    await calls.close();
    await s.close();
  });

  it('a caller whose INVITE settled SRTP is an encrypted participant from its join; the desk that answers finds it so', async () => {
    const call = await calls.startFromPhone({ participantId: 'sip-x', label: 'X', audioCodec: 'audio/PCMA', media: 'srtp' }, entries['Anna']!, () => {});
    await calls.answer(call.id, 'anna');
    expect(call.participant('sip-x')!.media).toBe('srtp');
    expect(call.phoneMedia).toBe('srtp');
    expect(told).toEqual([['sip-x', 'srtp']]);
  });

  it('a late offer is unknown until its ACK; then told once (the same again is not a change), never for a desk', async () => {
    const call = await calls.startFromPhone({ participantId: 'sip-x', label: 'X', audioCodec: 'audio/PCMA' }, entries['Anna']!, () => {});
    await calls.answer(call.id, 'anna');
    expect(call.phoneMedia).toBeUndefined();
    call.protect('sip-x', 'rtp');
    call.protect('sip-x', 'rtp');
    call.protect('anna', 'srtp');
    expect(told).toEqual([['sip-x', 'rtp']]);
    expect(call.phoneMedia).toBe('rtp');
    expect(call.participant('anna')!.media).toBeUndefined();
  });

  it('an outbound leg answered over SRTP joins encrypted; the telephone the PBX moves the call to brings its own (plain)', async () => {
    const call = await calls.startFromPhone({ participantId: 'sip-x', label: 'X', audioCodec: 'audio/PCMA', media: 'srtp' }, entries['Anna']!, () => {});
    await calls.answer(call.id, 'anna');
    // X's PBX moves it to Yvonne (REFER in the caller's dialog).
    const move = calls.moveFromPhone(call.id, 'sip-x', { type: 'sip', accountId: 'pbx', user: '7002' });
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    const { media, participantId } = target.request;
    media.join({ id: participantId, kind: 'sip', audioCodec: 'audio/PCMA', preparing: true });
    target.handlers.answered('audio/PCMA', 'rtp');
    expect(await move.outcome).toEqual({ answered: true });
    expect(call.participant(participantId)!.media).toBe('rtp');
    expect(call.phoneMedia).toBe('rtp');
    expect(told).toEqual([['sip-x', 'srtp'], [participantId, 'rtp']]);
  });

  it('a terminal\'s call answered by a telephone over SRTP: the participant is encrypted', async () => {
    const call = await calls.start({ id: 'terminal-p', siteId: 'hq' }, entries['Yvonne am Telefon']!);
    const leg = phones.legs.at(-1)!;
    leg.handlers.answered('audio/PCMA', 'srtp');
    expect(call.participant(leg.request.participantId)!.media).toBe('srtp');
    expect(told).toEqual([[leg.request.participantId, 'srtp']]);
  });

  it('an answered leg whose PBX re-offers without SRTP (then with it again) is told each change, the same again not; not before its answer', async () => {
    const call = await calls.start({ id: 'terminal-p', siteId: 'hq' }, entries['Yvonne am Telefon']!);
    const leg = phones.legs.at(-1)!;
    const id = leg.request.participantId;
    leg.handlers.protection!('rtp');
    expect(told).toEqual([]);
    leg.handlers.answered('audio/PCMA', 'srtp');
    leg.handlers.protection!('srtp');
    leg.handlers.protection!('rtp');
    leg.handlers.protection!('srtp');
    expect(call.participant(id)!.media).toBe('srtp');
    expect(told).toEqual([[id, 'srtp'], [id, 'rtp'], [id, 'srtp']]);
  });
});
