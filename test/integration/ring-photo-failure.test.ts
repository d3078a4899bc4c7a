// The ring card's photo is decoration: a photo lookup that fails (a store error,
// the store closing while a call rings) must not cost the desk its ring (review s26 #17).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

describe('a desk rings when the entry photo cannot be looked up', () => {
  let gw: Gw;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw, { legTimeoutS: 60 });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('rings without a photo, and the call can be answered', async () => {
    // The site shows photos, so the ring asks for the entry's photo version — and that lookup fails.
    const screen = { customerName: '', welcome: { de: '', en: '' }, privacy: { de: '', en: '' }, showAvailability: false, showPhotos: true };
    expect((await site.admin.call('PUT', '/api/sites/hq/welcome', screen)).status).toBe(200);
    const { photos } = gw.gateway.services;
    const versions = photos.versions.bind(photos);
    photos.versions = () => Promise.reject(new Error('the store is closing'));
    try {
      const terminal = await connect(gw, '/terminal', site.terminal.cookie);
      const rita = await connect(gw, '/desk', site.users.rita!.cookie);
      const started = await ack(terminal, 'call.start', { entryId: site.entries.Empfang });
      expect(started).toMatchObject({ ok: true });
      const ring = await next(rita, 'call.ring') as { callId: string; photo?: string };
      expect(ring.callId).toBe(started.callId);
      expect(ring.photo).toBeUndefined();
      expect(await ack(rita, 'call.answer', { callId: started.callId })).toMatchObject({ ok: true });
      expect(await ack(rita, 'call.hangup', { callId: started.callId })).toEqual({ ok: true });
      terminal.close();
      rita.close();
    } finally {
      photos.versions = versions;
    }
  });
});
