// The PBX moves an answered telephone's call (SIP REFER; the wire is
// test/sip-bridge/refer-in.test.ts): the call service's side, with a scripted leg
// driver standing in for the SIP bridge and a real mediasoup worker. After a move
// that failed the old leg is still the call service's (PhoneLegs keyed by
// participant, review s23 #16b); a new telephone whose join fails ends the call
// (review s23 #13 residual) instead of leaving the terminal alone in it. A PBX
// moves a call only to what the phone book routes on that account (review s23
// #15), and the move is a leg of the call and audited (the entry, not the number).
import { afterAll, beforeAll, beforeEach, afterEach, describe, expect, it } from 'vitest';
import { openServices, type Services } from '../support/services.ts';
import { ManualClock } from '../support/manual-clock.ts';
import { RecordingDoors } from '../support/doors.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { Call } from '../../src/calls/call.ts';
import {
  PhoneLegs, type CallService, type CallMedia, type MediaPort,
} from '../../src/calls/index.ts';
import { ConflictError } from '../../src/core/index.ts';
import { SfuMediaPort, type WorkerPool } from '../../src/sfu/index.ts';
import { startPool } from '../support/pool.ts';
import { answeredPhone as answerPhone, phoneCallService, ScriptedPhones } from '../support/scripted-phones.ts';

const admin = { type: 'user' as const, id: 'admin' };
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
  let clock: ManualClock;
  let calls: CallService;
  let phones: ScriptedPhones;
  let entryId: string;
  let bertId: string;
  const refuse = new Set<string>();

  beforeAll(async () => { pool = await startPool(); });
  afterAll(async () => { await pool?.close(); });
  beforeEach(async () => {
    s = await openServices();
    clock = new ManualClock();
    await s.sites.create(admin, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    const book = new PhoneBook({ store: s.store, audit: s.audit, clock, sipAccounts: (id) => id === 'pbx' });
    const [entry, bert] = await book.upsertMany(admin, [
      { siteId: 'hq', kind: 'person', name: 'Anna am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7001' }] },
      { siteId: 'hq', kind: 'person', name: 'Bert am Telefon', department: null, routes: [{ type: 'sip', accountId: 'pbx', user: '7002' }] },
    ]);
    entryId = entry!.id;
    bertId = bert!.id;
    phones = new ScriptedPhones();
    refuse.clear();
    calls = phoneCallService({ s, phonebook: book, clock, media: refusingMedia(new SfuMediaPort(pool), refuse), doors: new RecordingDoors(), phones });
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

  /** The audit entries of the call with this action, once written. */
  const auditOf = async (callId: string, action: string, n: number) => {
    for (let i = 0; i < 200; i++) {
      const entries = (await s.audit.list({ correlationId: callId })).filter((e) => e.action === action);
      if (entries.length >= n) return entries;
      await new Promise((r) => setImmediate(r));
    }
    throw new Error(`no ${n} ${action} audit entries for ${callId}`);
  };

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
