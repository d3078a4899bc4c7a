// A reception desk's queue (queue.update) shows the queue as it is last: each
// message names the waiting terminals, looked up in the store, so a message about
// an older queue (one waiting call) could be sent after a newer one (none waiting)
// and the desk listed a visitor who had long gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { ApiClient, startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

type QueueUpdate = { siteId: string; calls: Array<{ callId: string }> };

/** A second terminal of hq, paired, for a call that waits. */
async function pairedTerminal(gw: Gw, site: SiteFixture, name: string): Promise<string> {
  const created = (await site.admin.post('/api/terminals', { name, siteId: 'hq' })).body;
  const kiosk = new ApiClient(gw.base);
  const paired = await kiosk.post('/api/terminal/pair', { code: created.pairing.code });
  if (paired.status !== 200) throw new Error(`pairing: ${JSON.stringify(paired.body)}`);
  return kiosk.cookie!;
}

/**
 * Holds the terminal lookups the desks' queue messages make (read off the stack) until
 * `release()`; `held()` resolves once one is held.
 */
function holdQueueLookups(gw: Gw): { held: Promise<void>; release: () => void; restore: () => void } {
  const { credentials } = gw.gateway.services;
  const original = credentials.get.bind(credentials);
  let release!: () => void;
  const gate = new Promise<void>((r) => { release = r; });
  let heldOne!: () => void;
  const held = new Promise<void>((r) => { heldOne = r; });
  credentials.get = async (id: string) => {
    if (new Error().stack?.includes('queueMessage')) { heldOne(); await gate; }
    return original(id);
  };
  return { held, release, restore: () => { credentials.get = original; } };
}

describe('the reception queue at the desks', () => {
  let gw: Gw;
  let site: SiteFixture;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await gw?.close();
  });

  it('a desk\'s last queue message is the current queue, also when an older one\'s lookups took longer', async () => {
    const rita = await connect(gw, '/desk', site.users.rita!.cookie);
    sockets.push(rita);
    expect((await next<QueueUpdate>(rita, 'queue.update')).calls).toEqual([]);
    // The receptionist is busy with a first visitor.
    const lobby = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(lobby);
    const first = await ack(lobby, 'call.start', { entryId: site.entries.Empfang });
    await next(rita, 'call.ring');
    expect(await ack(rita, 'call.answer', { callId: first.callId })).toMatchObject({ ok: true });

    const hold = holdQueueLookups(gw);
    try {
      // A second visitor waits, and leaves while the message saying so still looks up the terminal's name.
      const east = await connect(gw, '/terminal', await pairedTerminal(gw, site, 'Lobby East'));
      sockets.push(east);
      const waiting = await ack(east, 'call.start', { entryId: site.entries.Empfang });
      expect(waiting).toMatchObject({ ok: true, state: { step: 'queued' } });
      await hold.held;
      expect(await ack(east, 'call.hangup', { callId: waiting.callId })).toMatchObject({ ok: true });
      expect((await next<QueueUpdate>(rita, 'queue.update')).calls).toEqual([]);
    } finally {
      hold.release();
      hold.restore();
    }
    // Whatever the held lookup still sends goes out before the answer to this request (one socket, in order).
    await ack(rita, 'history.list', {});
    const later: QueueUpdate[] = [];
    while (true) {
      const m = await next<QueueUpdate>(rita, 'queue.update', () => true, 0).catch(() => undefined);
      if (!m) break;
      later.push(m);
    }
    // None of them may list the visitor who left (before: the held one did, and the desk showed it from then on).
    expect(later.filter((m) => m.calls.length > 0)).toEqual([]);
  });
});
