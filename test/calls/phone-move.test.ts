// The PBX moves an answered telephone's call (SIP REFER; the wire is
// test/sip-bridge/refer-in.test.ts): the call service's side, with a scripted leg
// driver standing in for the SIP bridge and a real mediasoup worker. After a move
// that failed the old leg is still the call service's (PhoneLegs keyed by
// participant, review s23 #16b); a new telephone whose join fails ends the call
// (review s23 #13 residual) instead of leaving the terminal alone in it. A PBX
// moves a call only to what the phone book routes on that account (review s23
// #15), and the move is a leg of the call and audited (the entry, not the number). A new telephone the
// media would refuse in the old one's place (opus beside a colleague) is hung up alone, the call goes on, and
// a desk adds no colleague while a move rings (review s26 #2); refused moves leave no listeners (s26 #6).
// A telephone that called a terminal back moves the same way (CallService.moveFromPhone,
// the wire is test/sip-bridge/refer-inbound.test.ts): the target rings for its entry's
// leg timeout (a callback has none), and a hang-up of the old telephone waits for the move.
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import type { Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { admin, callAudit, hqPhoneBook } from '../support/call-service.ts';
import { RecordingDoors } from '../support/doors.ts';
import type { PhoneBook } from '../../src/phonebook/index.ts';
import { Call } from '../../src/calls/call.ts';
import {
  PhoneLegs, type AudioCodec, type CallService, type CallMedia, type MediaPort,
} from '../../src/calls/index.ts';
import { ConflictError } from '../../src/core/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { answeredPhone as answerPhone, phoneCallService, ScriptedPhones, type ScriptedLeg } from '../support/scripted-phones.ts';

const TERMINAL = { id: 'terminal-move', siteId: 'hq' };

/** The real media port, whose calls refuse to let the participants in `refuse` join (what a media limit or a dead worker does). */
function refusingMedia(real: MediaPort, refuse: Set<string>): MediaPort {
  return {
    open: async (callId) => {
      const media = await real.open(callId);
      const join = media.join.bind(media);
      media.join = (p) => {
        if (refuse.has(p.id)) throw new ConflictError('at most 2 parties', { reason: 'call.participant-limit', params: { max: 2 } });
        return join(p);
      };
      return media;
    },
  };
}

describe('the PBX moves an answered telephone (call service)', () => {
  let pool: WorkerPool;
  let s: Services;
  let calls: CallService;
  let phones: ScriptedPhones;
  let clock: ManualClock;
  let entryId: string;
  let bertId: string;
  const refuse = new Set<string>();

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Anna am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7001' }] },
      { kind: 'person', name: 'Bert am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }] },
    ], (id) => id === 'pbx');
    ({ s, clock } = hq);
    entryId = hq.entries['Anna am Telefon']!;
    bertId = hq.entries['Bert am Telefon']!;
    phones = new ScriptedPhones();
    refuse.clear();
    calls = phoneCallService({ s, phonebook: hq.book, clock: hq.clock, media: refusingMedia(new SfuMediaPort(pool), refuse), doors: new RecordingDoors(), phones });
  });
  afterEach(async () => {
    await calls.close();
    await s.close();
  });

  const answeredPhone = () => answerPhone(calls, phones, TERMINAL, entryId);

  it('a new telephone whose join fails after the old one left ends the call (media-failure); the PBX hears 503, the new leg is hung up', async () => {
    const { call, leg } = await answeredPhone();
    const move = leg.handlers.referred!('7002');
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    expect(target).not.toBe(leg);
    refuse.add(target.request.participantId);
    const ended = new Promise<string>((resolve) => calls.once('ended', (_c, reason) => resolve(reason)));
    expect(() => target.handlers.answered('audio/PCMA')).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(await move.outcome).toEqual({ answered: false, status: 503 });
    expect(await ended).toBe('media-failure');
    expect(call.ended).toBe(true);
    expect(target.ended).toEqual(['hangup']);
  });

  const auditOf = (callId: string, action: string, n: number) => callAudit(s, callId, action, n);

  it('refused moves (the target busy, or unanswered until the timeout) leave no listeners on the call (review s26 #6)', async () => {
    const { call, leg } = await answeredPhone();
    const before = [call.listenerCount('legended'), call.listenerCount('ended')];
    for (let i = 0; i < 20; i++) {
      const move = leg.handlers.referred!('7002');
      if ('refused' in move) throw new Error(`refused ${move.refused}`);
      const target = phones.legs.at(-1)!;
      if (i % 2 === 0) target.handlers.failed('busy', 'sip 486');
      else await clock.advance(call.legTimeoutS * 1000);
      expect(await move.outcome).toMatchObject({ answered: false });
    }
    expect([call.listenerCount('legended'), call.listenerCount('ended')]).toEqual(before);
    expect(phones.legs.filter((l) => l.ended.length > 0).map((l) => l.ended)).toEqual(Array.from({ length: 10 }, () => ['cancel']));
  });

  it('a move to a user no phone-book entry routes on the account (a premium number, a service code) is refused; nothing rings', async () => {
    const { call, leg } = await answeredPhone();
    for (const user of ['+900123456', '*21*0900', '7001x']) expect(leg.handlers.referred!(user)).toEqual({ refused: 'not-routed' });
    expect(phones.legs).toHaveLength(1);
    expect(call.legs).toHaveLength(1);
    expect(call.hasParticipant(leg.request.participantId)).toBe(true);
  });

  it("an answered move is a leg of the call and audited call.moved naming the entry, not the number; a failed one too ('failed', its status)", async () => {
    const { call, leg } = await answeredPhone();
    const busy = leg.handlers.referred!('7002');
    if ('refused' in busy) throw new Error(`refused ${busy.refused}`);
    phones.legs.at(-1)!.handlers.failed('busy', 'sip 486');
    expect(await busy.outcome).toEqual({ answered: false, status: 486 });
    const move = leg.handlers.referred!('7002');
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    target.handlers.answered('audio/PCMA');
    expect(await move.outcome).toEqual({ answered: true });
    const bert = call.legs[1]!.route;
    expect(call.legs.map((l) => [l.seq, l.state, l.answeredBy, l.note ?? null])).toEqual([
      [0, 'answered', leg.request.participantId, null], [1, 'busy', null, 'sip 486'], [2, 'answered', target.request.participantId, null],
    ]);
    expect(bert).toEqual({ type: 'sip', accountId: 'pbx', user: '7002' });
    const entries = (await auditOf(call.id, 'call.moved', 2)).sort((a, b) => a.seq - b.seq);
    expect(entries.map((e) => [e.actor_type, e.actor_id, e.target_type, e.outcome])).toEqual([
      ['participant', leg.request.participantId, 'phonebook-entry', 'failed'], ['participant', leg.request.participantId, 'phonebook-entry', 'ok'],
    ]);
    expect(entries.map((e) => e.target_id)).toEqual([bertId, bertId]);
    expect(JSON.parse(entries[1]!.details!)).toEqual({ via: 'refer', participant: target.request.participantId });
    expect(JSON.stringify(entries)).not.toContain('7002');
  });

  it('an attended transfer (Replaces): the target\'s leg is asked to take over the consult call, the move audited as attended; the next move of the new telephone is its own', async () => {
    const { call, leg } = await answeredPhone();
    const move = leg.handlers.referred!('7002', 'consult-1@pbx;to-tag=yt;from-tag=xt');
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    expect(target.request).toMatchObject({ route: { type: 'sip', accountId: 'pbx', user: '7002' }, replaces: 'consult-1@pbx;to-tag=yt;from-tag=xt' });
    target.handlers.answered('audio/PCMA');
    expect(await move.outcome).toEqual({ answered: true });
    expect(call.answeredBy).toBe(target.request.participantId);
    const [entry] = await auditOf(call.id, 'call.moved', 1);
    expect(JSON.parse(entry!.details!)).toEqual({ via: 'refer', participant: target.request.participantId, attended: true });
    // A blind move of the telephone moved in carries no Replaces.
    const next = target.handlers.referred!('7001');
    if ('refused' in next) throw new Error(`refused ${next.refused}`);
    expect(phones.legs.at(-1)!.request.replaces).toBeUndefined();
  });
});

describe('the PBX moves a telephone that called a terminal back (call service)', () => {
  let pool: WorkerPool;
  let s: Services;
  let clock: ManualClock;
  let calls: CallService;
  let phones: ScriptedPhones;
  let book: PhoneBook;
  let bertId: string;

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Bert am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }], policy: { legTimeoutS: 7 } },
    ], (id) => id === 'pbx');
    ({ s, clock, book } = hq);
    bertId = hq.entries['Bert am Telefon']!;
    phones = new ScriptedPhones();
    calls = phoneCallService({ s, phonebook: book, clock, media: new SfuMediaPort(pool), doors: new RecordingDoors(), phones });
  });
  afterEach(async () => {
    await calls.close();
    await s.close();
  });

  /** The reception's telephone (sip-reception, PCMU) calls the terminal back; the terminal answers by itself. */
  const callback = () => calls.callTerminalFromPhone(
    { participantId: 'sip-reception', label: 'Reception', audioCodec: 'audio/PCMU', via: { account: 'pbx', number: 'lobby', callerKey: 'terminals.0.callers.0' } },
    TERMINAL, () => {},
  );

  it('a callback has no leg timeout: the target rings for its entry\'s (7 s), then 408; answered, the new telephone takes the old one\'s place in its codec, the terminal still the one who answered', async () => {
    const call = await callback();
    expect(call.answeredBy).toBe(TERMINAL.id);
    const route = { type: 'sip' as const, accountId: 'pbx', user: '7002' };
    const first = calls.moveFromPhone(call.id, 'sip-reception', route);
    if ('refused' in first) throw new Error(`refused ${first.refused}`);
    let settled = false;
    void first.outcome.then(() => { settled = true; });
    await clock.advance(6_000);
    expect(settled).toBe(false);
    await clock.advance(1_000);
    expect(await first.outcome).toEqual({ answered: false, status: 408 });
    expect(phones.legs.at(-1)!.ended).toEqual(['cancel']);
    expect(call.hasParticipant('sip-reception')).toBe(true);
    const move = calls.moveFromPhone(call.id, 'sip-reception', route);
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    const switched = new Promise<[string, string]>((resolve) => calls.once('audiocodec', (_c, id, codec) => resolve([id, codec])));
    target.handlers.answered('audio/PCMA');
    expect(await move.outcome).toEqual({ answered: true });
    expect(call.hasParticipant('sip-reception')).toBe(false);
    expect(call.hasParticipant(target.request.participantId)).toBe(true);
    expect(call.answeredBy).toBe(TERMINAL.id);
    expect(call.callerId).toBe(TERMINAL.id);
    expect(call.phone?.audioCodec).toBe('audio/PCMA');
    // The terminal sends the new telephone's codec.
    expect(await switched).toEqual([TERMINAL.id, 'audio/PCMA']);
    expect(call.legs.map((l) => [l.state, l.answeredBy])).toEqual([['no-answer', null], ['answered', target.request.participantId]]);
    expect(call.legs.every((l) => l.route.type === 'sip' && l.route.user === '7002')).toBe(true);
    const entries = await auditOfMoves(call.id, 2);
    expect(entries.map((e) => [e.actor_id, e.target_id, e.outcome])).toEqual([['sip-reception', bertId, 'failed'], ['sip-reception', bertId, 'ok']]);
  });

  it('a callback moves only to a caller its rule allows, also when the telephone moved in moves it on (not-listed); the new one named as listed in the moved event and the phone label (review s25 #9)', async () => {
    await book.upsertMany(admin, [
      { siteId: 'hq', kind: 'person', name: 'Extension 7003', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7003' }], policy: { legTimeoutS: 7 } },
    ]);
    const call = await callback();
    // The callers the terminal's number lists (the SIP bridge's rule): 7002 as "Porter", not 7003.
    const listed = (user: string) => (user === '7002' ? { label: 'Porter' } : undefined);
    expect(calls.moveFromPhone(call.id, 'sip-reception', { type: 'sip', accountId: 'pbx', user: '7003' }, listed)).toEqual({ refused: 'not-listed' });
    expect(phones.legs).toHaveLength(0);
    const moved = new Promise<{ name?: string; answered: boolean }>((resolve) => calls.once('moved', (_c, m) => resolve(m)));
    const move = calls.moveFromPhone(call.id, 'sip-reception', { type: 'sip', accountId: 'pbx', user: '7002' }, listed);
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    target.handlers.answered('audio/PCMA');
    expect(await move.outcome).toEqual({ answered: true });
    expect(await moved).toMatchObject({ name: 'Porter', answered: true });
    expect(call.phone?.label).toBe('Porter');
    // The telephone moved in is the caller now: its PBX's REFER keeps the callback's rule.
    expect(target.handlers.referred!('7003')).toEqual({ refused: 'not-listed' });
    expect(phones.legs).toHaveLength(1);
  });

  it('the old telephone hangs up while the target rings (RFC 5589): the call waits; the target busy, the call ends as hung up then', async () => {
    const call = await callback();
    const move = calls.moveFromPhone(call.id, 'sip-reception', { type: 'sip', accountId: 'pbx', user: '7002' });
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    await calls.hangup(call.id, 'sip-reception');
    expect(call.ended).toBe(false);
    const ended = new Promise<string>((resolve) => calls.once('ended', (_c, reason) => resolve(reason)));
    phones.legs.at(-1)!.handlers.failed('busy', 'sip 486');
    expect(await move.outcome).toEqual({ answered: false, status: 486 });
    expect(await ended).toBe('hangup-desk');
  });

  it('refused: a telephone not in the call, a target the phone book does not route', async () => {
    const call = await callback();
    expect(calls.moveFromPhone(call.id, 'sip-someone', { type: 'sip', accountId: 'pbx', user: '7002' })).toEqual({ refused: 'gone' });
    expect(calls.moveFromPhone(call.id, 'sip-reception', { type: 'sip', accountId: 'pbx', user: '0900123' })).toEqual({ refused: 'not-routed' });
    expect(phones.legs).toHaveLength(0);
  });

  /** The call.moved audit entries of the call, oldest first, once `n` are written. */
  const auditOfMoves = async (callId: string, n: number) => (await callAudit(s, callId, 'call.moved', n)).sort((a, b) => a.seq - b.seq);
});

describe('the PBX moves a caller while desks are in the call (review s26 #2)', () => {
  let pool: WorkerPool;
  let s: Services;
  let calls: CallService;
  let phones: ScriptedPhones;
  let entries: Record<string, string>;

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    const hq = await hqPhoneBook([
      { kind: 'person', name: 'Anna', department: null, routes: [{ type: 'desk-user', userId: 'anna' }] },
      { kind: 'person', name: 'Bert', department: null, routes: [{ type: 'desk-user', userId: 'bert' }] },
      { kind: 'person', name: 'Yvonne am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }] },
    ], (id) => id === 'pbx');
    ({ s, entries } = hq);
    phones = new ScriptedPhones();
    calls = phoneCallService({ s, phonebook: hq.book, clock: hq.clock, media: new SfuMediaPort(pool), doors: new RecordingDoors(), phones, mayTransfer: true });
  });
  afterEach(async () => {
    await calls.close();
    await s.close();
  });

  const yvonne = { type: 'sip' as const, accountId: 'pbx', user: '7002' };

  /** X calls in (PCMA) and Anna's desk answers. */
  const callerWithAnna = async () => {
    const call = await calls.startFromPhone({ participantId: 'sip-x', label: 'X', audioCodec: 'audio/PCMA' }, entries['Anna']!, () => {});
    await calls.answer(call.id, 'anna');
    return call;
  };

  /** The target answers in `codec` as the SIP bridge's leg does: prepared in the call's media in the codec it offered, switched to the answer's. */
  const answerIn = (target: ScriptedLeg, codec: AudioCodec) => {
    const { media, participantId } = target.request;
    media.join({ id: participantId, kind: 'sip', audioCodec: codec, preparing: true });
    media.setAudioCodec(participantId, codec);
    target.handlers.answered(codec);
  };

  it('a desk adds no colleague while the PBX\'s move rings (call.refer-running); once the move ended, it may', async () => {
    const call = await callerWithAnna();
    const move = calls.moveFromPhone(call.id, 'sip-x', yvonne);
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    await expect(calls.addColleague(call.id, 'anna', entries['Bert']!)).rejects.toMatchObject({ code: 'conflict', why: { reason: 'call.refer-running' } });
    expect(call.currentLeg).toBeUndefined();
    phones.legs.at(-1)!.handlers.failed('busy', 'sip 486');
    expect(await move.outcome).toEqual({ answered: false, status: 486 });
    await calls.addColleague(call.id, 'anna', entries['Bert']!);
    expect(call.currentLeg?.ringing).toEqual(['bert']);
  });

  it('a colleague joined before the move; the target answers in opus: only the target is hung up (NOTIFY 488), the call goes on with X, Anna and Bert', async () => {
    const call = await callerWithAnna();
    await calls.addColleague(call.id, 'anna', entries['Bert']!);
    await calls.answer(call.id, 'bert');
    const move = calls.moveFromPhone(call.id, 'sip-x', yvonne);
    if ('refused' in move) throw new Error(`refused ${move.refused}`);
    const target = phones.legs.at(-1)!;
    answerIn(target, 'audio/opus');
    expect(await move.outcome).toEqual({ answered: false, status: 488 });
    expect(target.ended).toEqual(['hangup']);
    expect(call.ended).toBe(false);
    expect(['sip-x', 'anna', 'bert'].map((id) => call.hasParticipant(id))).toEqual([true, true, true]);
    expect(call.hasParticipant(target.request.participantId)).toBe(false);
    expect(call.legs.at(-1)).toMatchObject({ state: 'failed', note: 'media call.mix-codec', answeredBy: null });
    // In G.711 the next move goes through: the target takes X's place beside both desks.
    const next = calls.moveFromPhone(call.id, 'sip-x', yvonne);
    if ('refused' in next) throw new Error(`refused ${next.refused}`);
    const second = phones.legs.at(-1)!;
    answerIn(second, 'audio/PCMA');
    expect(await next.outcome).toEqual({ answered: true });
    expect(['sip-x', second.request.participantId, 'anna', 'bert'].map((id) => call.hasParticipant(id))).toEqual([false, true, true, true]);
  });
});

describe('PhoneLegs', () => {
  it('after a move that failed, close() (shutdown) still hangs up the old leg', () => {
    const clock = new ManualClock();
    const phones = new ScriptedPhones();
    const legs = new PhoneLegs([phones], clock);
    const call = new Call({ id: 'c1', siteId: 'hq', terminalId: 't1', entryId: 'e1', startedAt: 0, routes: [], legTimeoutS: 20 });
    call.attachMedia({ close: () => undefined, leave: () => undefined } as unknown as CallMedia);
    const outcomes = {
      ringing: () => {}, answered: () => {}, earlyMedia: () => {}, failed: () => {}, hungUp: () => {}, mediaTimeout: () => {}, sessionExpired: () => {}, doorCode: () => {},
    };
    legs.ring(call, { type: 'sip', accountId: 'pbx', user: '7001' }, 'sip-old', outcomes);
    const old = phones.legs[0]!;
    old.handlers.answered('audio/PCMA');
    // The move rings the target as a leg of the same call; it is busy.
    legs.ring(call, { type: 'sip', accountId: 'pbx', user: '7002' }, 'sip-new', outcomes);
    const target = phones.legs[1]!;
    target.handlers.failed('busy', 'sip 486');
    legs.close();
    expect(old.ended).toEqual(['hangup']);
    expect(target.ended).toEqual([]);
  });
});
