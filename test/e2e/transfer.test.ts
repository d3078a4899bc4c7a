// A blind transfer in Debian's Chromium against a real gateway and mediasoup
// worker: the reception answers a visitor and hands the call to a colleague; the
// visitor does nothing, and the colleague decodes the visitor's video and plays
// their audio while the visitor's page decodes and plays the colleague's (each
// remote producer checked on its own, matched by SSRC) and shows only them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openCallSite, receivesOneOther, receptionAndColleague, until, type CallSite } from '../support/call-flow.ts';

describe('blind transfer in Chromium', () => {
  let cs: CallSite;
  beforeAll(async () => { cs = await openCallSite(); });
  afterAll(async () => { await cs?.close(); });

  it("the visitor's video continues at the new desk without the visitor doing anything", async () => {
    const { rita, anna, terminal, call, visitor, ritaId, annaId } = await receptionAndColleague(cs, 'Lobby transfer');
    const terminalPeerConnections = await terminal.evaluate(() => window.__captured!.peerConnections.length);

    // Rita hands the visitor to Anna and is out of the call at once.
    await rita.getByRole('button', { name: 'Transfer …' }).click();
    await rita.getByLabel('Transfer to', { exact: true }).selectOption({ label: 'Anna Müller (Einkauf)' });
    await rita.getByRole('button', { name: 'Transfer now' }).click();
    await rita.locator('section.call').waitFor({ state: 'detached' });
    await terminal.getByText('Connecting you …').waitFor();
    await anna.getByRole('alertdialog', { name: /Visitor at Lobby transfer/ }).getByRole('button', { name: 'Answer' }).click();
    await terminal.locator('[data-step="answered"]').waitFor();

    // Each side decodes and plays the other: the visitor's camera and microphone went on to Anna unchanged.
    await Promise.all([cs.flowsFrom(terminal, call.id, visitor, [annaId]), cs.flowsFrom(anna, call.id, annaId, [visitor])]);
    expect(call.hasParticipant(ritaId)).toBe(false);
    expect(cs.producersFor(call.id, visitor).map((p) => p.participantId)).toEqual([annaId, annaId]);
    // The visitor's page did nothing: no new peer connection, and it shows one video, Anna's (Rita's is gone).
    expect(await terminal.evaluate(() => window.__captured!.peerConnections.length)).toBe(terminalPeerConnections);
    const shown = await terminal.evaluate(() => {
      const stream = document.querySelector<HTMLVideoElement>('video.remote')?.srcObject as MediaStream | null;
      return stream?.getVideoTracks().map((tr) => tr.readyState) ?? [];
    });
    expect(shown).toEqual(['live']);
    // And it keeps no receiver for Rita: her consumers closed with her producers (media.producer-closed).
    await receivesOneOther(terminal);

    await terminal.getByRole('button', { name: 'Hang up' }).click();
    await anna.locator('section.call').waitFor({ state: 'detached' });
    await until(() => cs.gw.gateway.services.calls.activeCalls.length === 0, 'the call ended');
    await until(() => cs.gw.gateway.services.sfu.status()[0]!.routers === 0, 'the call router closed');
  }, 240_000);
});
