// An attended transfer in Debian's Chromium against a real gateway and mediasoup
// worker, driven through the pages' own controls: the receptionist consults a
// colleague while the visitor's page says "Please wait …" and receives nothing
// (its consumers of her paused at the gateway, the colleague not offered); the
// receptionist and the colleague decode and play each other; handed over, the
// visitor and the colleague decode and play each other and the receptionist's
// page leaves the call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCallSite, receptionAndColleague, until, type CallSite } from '../support/call-flow.ts';

describe('attended transfer in Chromium', () => {
  let cs: CallSite;
  beforeAll(async () => { cs = await openCallSite(); });
  afterAll(async () => { await cs?.close(); });

  it('the visitor waits while the receptionist consults; handed over, the visitor and the colleague see and hear each other', async () => {
    const { rita, anna, terminal, call, visitor, ritaId, annaId } = await receptionAndColleague(cs, 'Lobby consult');

    // Rita consults Anna: the visitor waits and receives nothing of either.
    await rita.getByRole('button', { name: 'Consult …' }).click();
    await rita.getByLabel('Consult', { exact: true }).selectOption({ label: 'Anna Müller (Einkauf)' });
    await rita.getByRole('button', { name: 'Ring now' }).click();
    await terminal.locator('[data-step="on-hold"]').getByText('Please wait …').waitFor();
    await rita.locator('[data-consult="ringing"]').waitFor();
    await anna.getByRole('alertdialog', { name: /Visitor at Lobby consult/ }).getByRole('button', { name: 'Answer' }).click();
    await anna.locator('section.call').waitFor();
    await rita.locator('[data-consult="answered"]').waitFor();
    await Promise.all([cs.flowsFrom(rita, call.id, ritaId, [annaId]), cs.flowsFrom(anna, call.id, annaId, [ritaId])]);
    // What the call offers each of them (the SFU holds every producer): the visitor nothing, Anna only Rita's.
    const offered = (id: string) => cs.gw.gateway.services.calls.producersFor(call.id, id).map((p) => p.participantId);
    expect(cs.producersFor(call.id, visitor).map((p) => p.participantId).sort()).toEqual([ritaId, ritaId, annaId, annaId].sort());
    expect(offered(visitor)).toEqual([]);
    expect(offered(annaId)).toEqual([ritaId, ritaId]);
    const held = call.media!.consumersOf(visitor);
    expect(held.map((c) => [c.producerParticipantId, c.paused])).toEqual([[ritaId, true], [ritaId, true]]);

    // Handed over: Rita's page leaves the call; the visitor and Anna decode and play each other.
    await rita.getByRole('button', { name: 'Hand over' }).click();
    await rita.locator('section.call').waitFor({ state: 'detached' });
    await terminal.locator('[data-step="answered"]').waitFor();
    await Promise.all([cs.flowsFrom(terminal, call.id, visitor, [annaId]), cs.flowsFrom(anna, call.id, annaId, [visitor])]);
    expect(call.hasParticipant(ritaId)).toBe(false);
    expect(call.answeredBy).toBe(annaId);

    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await until(() => cs.gw.gateway.services.calls.activeCalls.length === 0, 'the call ended');
    await until(() => cs.gw.gateway.services.sfu.status()[0]!.routers === 0, 'the call router closed');
  }, 240_000);
});
