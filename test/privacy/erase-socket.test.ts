// Erasing a user ends their open desk socket at once: it no longer receives the
// reception queue or rings (the erasure deletes the sessions in the privacy
// component's transaction; Accounts tells signaling after the commit).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, type Gw, type SiteFixture } from '../support/signaling.ts';

describe('erasing a signed-in desk user', () => {
  let gw: Gw;
  let site: SiteFixture;
  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => { await gw?.close(); });

  it('disconnects the user\'s desk socket as the erasure commits', async () => {
    const desk = await connect(gw, '/desk', site.users.rolf!.cookie);
    const gone = new Promise<string>((resolve) => desk.once('disconnect', (reason) => resolve(reason)));
    const erased = await site.admin.post(`/api/privacy/subjects/user/${site.users.rolf!.id}/erase`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(await gone).toBe('io server disconnect');
    // And it cannot come back with the old cookie.
    await expect(connect(gw, '/desk', site.users.rolf!.cookie)).rejects.toThrow(/unauthenticated/);
  });
});
