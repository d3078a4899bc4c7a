// A three-way call in Debian's Chromium against a real gateway and mediasoup
// worker: the reception answers a visitor, adds a colleague, and every page
// decodes video and plays audio of both others — each remote producer checked on
// its own, matched by SSRC; then the colleague leaves and the two others still do.
// And the receptionist who added the colleague leaves: the visitor's page stops
// showing her (media.producer-closed) and shows the colleague.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pollPage } from '../support/pages.ts';
import { openCallSite, receivesOneOther, receptionAndColleague, until, type CallSite } from '../support/call-flow.ts';

describe('three-way call in Chromium', () => {
  let cs: CallSite;
  beforeAll(async () => { cs = await openCallSite(); });
  afterEach(async () => {
    // Every desk signs off after its test: the next one decides who is at a desk.
    await cs.closePages();
    await until(() => cs.gw.gateway.services.signaling.status().desks === 0, 'every desk signed off');
  });
  afterAll(async () => { await cs?.close(); });

  const calls = () => cs.gw.gateway.services.calls;

  it('every page decodes video and plays audio of both others; the colleague leaves and the two others still do', async () => {
    const { rita, anna, terminal, call, visitor, ritaId, annaId } = await receptionAndColleague(cs, 'Lobby three-way');

    // Rita adds Anna; Anna answers and joins.
    await rita.getByRole('button', { name: 'Add a colleague …' }).click();
    await rita.getByLabel('Add', { exact: true }).selectOption({ label: 'Anna Müller (Einkauf)' });
    await rita.getByRole('button', { name: 'Ring now' }).click();
    await anna.getByRole('alertdialog', { name: /Visitor at Lobby three-way/ }).getByRole('button', { name: 'Answer' }).click();
    await anna.locator('section.call').waitFor();

    const [fromTerminal, fromRita, fromAnna] = await Promise.all([
      cs.flowsFrom(terminal, call.id, visitor, [ritaId, annaId]),
      cs.flowsFrom(rita, call.id, ritaId, [visitor, annaId]),
      cs.flowsFrom(anna, call.id, annaId, [visitor, ritaId]),
    ]);
    // Four remote producers on each page, each decoded (video) or played out (audio).
    for (const seen of [fromTerminal, fromRita, fromAnna]) {
      const flowing = Object.values(seen).filter((s) => (s.kind === 'video' ? s.framesDecoded : s.totalSamplesReceived) > 0);
      expect(flowing.map((s) => s.kind).sort()).toEqual(['audio', 'audio', 'video', 'video']);
    }

    // Anna leaves: the call goes on between the visitor and Rita, both still decoding each other.
    await anna.locator('section.call').getByRole('button', { name: 'Hang up' }).click();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await until(() => !call.hasParticipant(annaId), 'Anna left the call');
    expect(call.ended).toBe(false);
    await Promise.all([cs.flowsFrom(terminal, call.id, visitor, [ritaId]), cs.flowsFrom(rita, call.id, ritaId, [visitor])]);
    expect(cs.producersFor(call.id, visitor).map((p) => p.participantId)).toEqual([ritaId, ritaId]);
    expect(cs.producersFor(call.id, ritaId).map((p) => p.participantId)).toEqual([visitor, visitor]);
    await terminal.locator('[data-step="answered"]').waitFor();

    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await rita.locator('section.call').waitFor({ state: 'detached' });
    await until(() => cs.gw.gateway.services.calls.activeCalls.length === 0, 'the call ended');
    await until(() => cs.gw.gateway.services.sfu.status()[0]!.routers === 0, 'the call router closed');
  }, 240_000);

  it('the receptionist leaves the call to her colleague: the visitor sees and hears only the colleague', async () => {
    const { rita, anna, terminal, call, visitor, ritaId, annaId } = await receptionAndColleague(cs, 'Lobby three-way 2', { flowing: false });
    await rita.getByRole('button', { name: 'Add a colleague …' }).click();
    await rita.getByLabel('Add', { exact: true }).selectOption({ label: 'Anna Müller (Einkauf)' });
    await rita.getByRole('button', { name: 'Ring now' }).click();
    await anna.getByRole('alertdialog', { name: /Visitor at Lobby three-way 2/ }).getByRole('button', { name: 'Answer' }).click();
    await cs.flowsFrom(terminal, call.id, visitor, [ritaId, annaId]);

    await rita.locator('section.call').getByRole('button', { name: 'Hang up' }).click();
    await rita.locator('section.call').waitFor({ state: 'detached' });
    await until(() => !call.hasParticipant(ritaId), 'Rita left the call');
    await Promise.all([cs.flowsFrom(terminal, call.id, visitor, [annaId]), cs.flowsFrom(anna, call.id, annaId, [visitor])]);
    // The visitor's screen shows one video and plays one voice: Anna's (Rita's tracks are stopped and removed when
    // media.producer-closed arrives; before that fix they stayed, and the screen showed Rita's last frame).
    const shown = await pollPage(terminal, async () => {
      const stream = document.querySelector<HTMLVideoElement>('video.remote')?.srcObject as MediaStream | null;
      const tracks = (stream?.getTracks() ?? []).map((tr) => `${tr.kind} ${tr.readyState}`).sort();
      return tracks.length === 2 && tracks;
    }, undefined).catch(async (error: Error) => {
      const tracks = await terminal.evaluate(() => ((document.querySelector<HTMLVideoElement>('video.remote')?.srcObject as MediaStream | null)?.getTracks() ?? []).map((tr) => tr.kind));
      throw new Error(`${error.message}: the visitor's screen holds ${JSON.stringify(tracks)}`);
    });
    expect(shown).toEqual(['audio live', 'video live']);
    // And it keeps no receiver for Rita: her consumers closed (their transceivers stopped); before that fix her
    // two receivers stayed, one more dead pair with every colleague who left.
    await receivesOneOther(terminal);

    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await until(() => calls().activeCalls.length === 0, 'the call ended');
  }, 240_000);
});
