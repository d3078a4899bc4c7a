// A colleague rung into a call answers into the media's admission (the G.711 mix
// limits, review s23 #6): a refused join leaves the add leg ringing for the others
// instead of recording an answer by someone who never joined, and the refusal is
// asked before anyone is rung (Call.assertRoomFor).
import { describe, expect, it } from 'vitest';
import { Call } from '../../src/calls/call.ts';
import type { CallMedia } from '../../src/calls/index.ts';
import { ConflictError } from '../../src/core/index.ts';

const route = { type: 'desk-group', groupId: 'g' } as never;

/** Only what Call uses of its media: join (refusing `refuse`) and the admission question. */
function media(refuse: Set<string>, room: { ok: boolean }): CallMedia {
  return {
    join: ({ id, kind, audioCodec }: { id: string; kind: string; audioCodec?: string }) => {
      if (refuse.has(id)) throw new ConflictError('at most 3 parties', { reason: 'call.participant-limit', params: { max: 3 } });
      return { id, kind, audioCodec: audioCodec ?? 'audio/opus', inCall: true };
    },
    assertRoomFor: () => { if (!room.ok) throw new ConflictError('at most 3 parties', { reason: 'call.participant-limit', params: { max: 3 } }); },
    close: () => undefined,
  } as unknown as CallMedia;
}

describe('a colleague added to a call', () => {
  it('whose join the media refuses is not recorded as having answered; the leg still rings for the others', () => {
    const call = new Call({ id: 'c1', siteId: 'hq', terminalId: 't1', entryId: 'e1', startedAt: 0, routes: [{ route, reception: false }], legTimeoutS: 20 });
    const refuse = new Set(['carl']);
    const room = { ok: true };
    call.attachMedia(media(refuse, room));
    call.openLeg(route, ['anna'], 0);
    expect(call.answer('anna', 1)).toBe(true);
    call.openAddLeg('anna', route, ['carl', 'dora'], 2);
    expect(() => call.answer('carl', 3)).toThrow(expect.objectContaining({ code: 'conflict' }));
    expect(call.hasParticipant('carl')).toBe(false);
    expect(call.currentLeg?.ringing).toEqual(['carl', 'dora']);
    expect(call.currentLeg?.answeredBy).toBeNull();
    expect(call.answer('dora', 4)).toBe(true);
    expect(call.legs.at(-1)).toMatchObject({ state: 'answered', answeredBy: 'dora' });
    expect(call.hasParticipant('dora')).toBe(true);
  });

  it('asks the media before anyone is rung', () => {
    const call = new Call({ id: 'c2', siteId: 'hq', terminalId: 't1', entryId: 'e1', startedAt: 0, routes: [{ route, reception: false }], legTimeoutS: 20 });
    const room = { ok: false };
    call.attachMedia(media(new Set(), room));
    expect(() => call.assertRoomFor('desk')).toThrow(expect.objectContaining({ code: 'conflict' }));
    room.ok = true;
    call.assertRoomFor('desk');
  });
});
