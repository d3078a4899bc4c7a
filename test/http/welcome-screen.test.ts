// A site's kiosk start screen through the admin API: texts in German and English,
// availability off by default (and then not even sent to the kiosk), and the logo
// upload checked by content, size-limited, served as what it is, never lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, type Gw, type SiteFixture } from '../support/signaling.ts';

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.from('IHDR png body')]);
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.from('JFIF jpeg body')]);
const WEBP = Buffer.concat([Buffer.from('RIFF'), Buffer.from([0x20, 0, 0, 0]), Buffer.from('WEBPVP8 webp body')]);
const GIF = Buffer.from('GIF89a gif body');
const SVG = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script><rect width="10" height="10"/></svg>');
const LIMIT_KIB = 4;

describe('kiosk start screen settings and logo (admin API)', () => {
  let gw: Gw;
  let site: SiteFixture;
  let kiosk: ApiClient;
  const sockets: Socket[] = [];

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_WEB__LOGO_MAX_KIB: String(LIMIT_KIB) });
    site = await seedSite(gw);
    kiosk = new ApiClient(gw.base);
    kiosk.cookie = site.terminal.cookie;
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await gw?.close();
  });

  /** Uploads raw bytes as the request body with the session of `cookie` (the admin's by default). */
  const upload = async (bytes: Buffer, type = 'application/octet-stream', siteId = 'hq', cookie = site.admin.cookie!) => {
    const res = await fetch(`${gw.base}/api/sites/${siteId}/welcome/logo`, { method: 'PUT', headers: { 'content-type': type, cookie }, body: new Uint8Array(bytes) });
    return { status: res.status, body: await res.json() as any };
  };
  const put = (client: ApiClient, siteId: string, body: unknown) => client.call('PUT', `/api/sites/${siteId}/welcome`, body);
  const settings = {
    customerName: 'Muster AG', welcome: { de: 'Willkommen bei Muster', en: 'Welcome to Muster' },
    privacy: { de: 'Die Kamera überträgt nur während eines Gesprächs.', en: 'The camera transmits only during a call.' }, showAvailability: false,
  };

  it('starts with the defaults (no texts, no logo, availability hidden) and keeps what the admin sets, for the site\'s kiosk too', async () => {
    const fresh = await site.admin.get('/api/sites/hq/welcome');
    expect(fresh.status).toBe(200);
    expect(fresh.body).toEqual({
      siteId: 'hq', customerName: '', welcome: { de: '', en: '' }, privacy: { de: '', en: '' }, showAvailability: false, showPhotos: false, cueVolume: 60, logo: null, logoMaxKib: LIMIT_KIB,
    });
    expect((await put(site.admin, 'hq', settings)).status).toBe(200);
    expect((await site.admin.get('/api/sites/hq/welcome')).body).toMatchObject(settings);
    const seen = await kiosk.get('/api/terminal/welcome');
    expect(seen.status).toBe(200);
    expect(seen.body).toMatchObject({ ...settings, siteId: 'hq', logoUrl: null });
    expect((await new ApiClient(gw.base).get('/api/terminal/welcome')).status).toBe(401);
  });

  it('keeps the kiosk sound cue volume (0: none) the admin sets, also through a save without it; refuses one over 100', async () => {
    expect((await put(site.admin, 'hq', { ...settings, cueVolume: 0 })).body).toMatchObject({ cueVolume: 0 });
    expect((await put(site.admin, 'hq', settings)).body).toMatchObject({ cueVolume: 0 });
    expect((await kiosk.get('/api/terminal/welcome')).body).toMatchObject({ cueVolume: 0 });
    const loud = await put(site.admin, 'hq', { ...settings, cueVolume: 101 });
    expect(loud.body).toMatchObject({ error: 'invalid', reason: 'schema.maximum', params: { field: 'cueVolume', limit: 100 } });
    expect((await put(site.admin, 'hq', { ...settings, cueVolume: 60 })).status).toBe(200);
  });

  it('refuses texts over their limits and a missing language with invalid', async () => {
    const long = await put(site.admin, 'hq', { ...settings, welcome: { de: 'x'.repeat(201), en: '' } });
    expect(long.status).toBe(400);
    expect(long.body.error).toBe('invalid');
    expect((await put(site.admin, 'hq', { ...settings, privacy: { de: 'nur Deutsch' } })).status).toBe(400);
    expect((await put(site.admin, 'nowhere', settings)).status).toBe(404);
  });

  it('takes PNG, JPEG and WebP by their content whatever type the upload claims, and serves each as what it is', async () => {
    for (const [bytes, claimed, type] of [[JPEG, 'application/octet-stream', 'image/jpeg'], [WEBP, 'image/png', 'image/webp'], [PNG, 'image/jpeg', 'image/png']] as const) {
      const res = await upload(bytes, claimed);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toMatchObject({ type, bytes: bytes.length });
    }
    const screen = (await kiosk.get('/api/terminal/welcome')).body;
    expect(screen.logo).toMatchObject({ type: 'image/png', bytes: PNG.length });
    const logo = await fetch(`${gw.base}${screen.logoUrl}`, { headers: { cookie: site.terminal.cookie } });
    expect(logo.status).toBe(200);
    expect(logo.headers.get('content-type')).toBe('image/png');
    expect(logo.headers.get('x-content-type-options')).toBe('nosniff');
    expect(logo.headers.get('content-security-policy')).toContain('sandbox');
    expect(Buffer.from(await logo.arrayBuffer())).toEqual(PNG);
    const again = await fetch(`${gw.base}/api/terminal/welcome/logo`, { headers: { cookie: site.terminal.cookie, 'if-none-match': logo.headers.get('etag')! } });
    expect(again.status).toBe(304);
    expect((await fetch(`${gw.base}/api/terminal/welcome/logo`)).status).toBe(401);
  });

  it('refuses an oversized logo, wrong magic bytes and SVG (with a script) by name, and keeps the logo it had', async () => {
    const before = (await site.admin.get('/api/sites/hq/welcome')).body.logo;
    const big = Buffer.concat([PNG, Buffer.alloc(LIMIT_KIB * 1024)]);
    const oversized = await upload(big, 'image/png');
    expect(oversized.status).toBe(400);
    expect(oversized.body).toMatchObject({ error: 'invalid', reason: 'logo.too-large', params: { kib: LIMIT_KIB } });
    for (const [bytes, claimed] of [[GIF, 'image/png'], [Buffer.from('just some text'), 'image/jpeg'], [Buffer.from([0x89, 0x50, 0x4e]), 'image/png']] as const) {
      const wrong = await upload(bytes, claimed);
      expect(wrong.status).toBe(400);
      expect(wrong.body).toMatchObject({ error: 'invalid', reason: 'logo.type' });
    }
    for (const claimed of ['image/svg+xml', 'image/png']) {
      const svg = await upload(SVG, claimed);
      expect(svg.status).toBe(400);
      expect(svg.body).toMatchObject({ error: 'invalid', reason: 'logo.svg' });
    }
    expect((await upload(Buffer.alloc(0), 'image/png')).body).toMatchObject({ error: 'invalid', reason: 'logo.empty' });
    expect((await site.admin.get('/api/sites/hq/welcome')).body.logo).toEqual(before);
    const served = await fetch(`${gw.base}/api/sites/hq/welcome/logo`, { headers: { cookie: site.admin.cookie! } });
    expect(Buffer.from(await served.arrayBuffer())).toEqual(PNG);
  });

  it('refuses another site\'s admin (forbidden) and anonymous callers, before reading an upload', async () => {
    expect((await site.admin.post('/api/sites', { id: 'branch', name: 'Branch', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const user = (await site.admin.post('/api/users', { login: 'branch-admin', displayName: 'Branch admin', password: 'a long enough password' })).body;
    expect((await site.admin.post(`/api/users/${user.id}/roles`, { roleId: 'admin', siteId: 'branch' })).status).toBe(200);
    const other = new ApiClient(gw.base);
    expect((await other.post('/api/auth/login', { login: 'branch-admin', password: 'a long enough password' })).status).toBe(200);
    // Allowed on its own site …
    expect((await put(other, 'branch', settings)).status).toBe(200);
    expect((await upload(JPEG, 'image/jpeg', 'branch', other.cookie!)).status).toBe(200);
    // … forbidden on hq, even for an upload over the limit (refused before its body is read).
    expect((await put(other, 'hq', { ...settings, customerName: 'Taken over' })).status).toBe(403);
    expect((await other.get('/api/sites/hq/welcome')).status).toBe(403);
    const foreign = await upload(JPEG, 'image/jpeg', 'hq', other.cookie!);
    expect(foreign).toMatchObject({ status: 403, body: { error: 'forbidden' } });
    expect((await upload(Buffer.alloc(LIMIT_KIB * 2048), 'image/png', 'hq', other.cookie!)).status).toBe(403);
    expect((await upload(PNG, 'image/png', 'hq', '')).status).toBe(401);
    expect((await other.call('DELETE', '/api/sites/hq/welcome/logo')).status).toBe(403);
    const hq = (await site.admin.get('/api/sites/hq/welcome')).body;
    expect(hq.customerName).toBe('Muster AG');
    expect(hq.logo.type).toBe('image/png');
  });

  it('parallel uploads and a parallel text change lose nothing: each upload gets its own version, the texts stay', async () => {
    const start = (await site.admin.get('/api/sites/hq/welcome')).body.logo.version as number;
    const images = [0, 1, 2, 3, 4].map((i) => Buffer.concat([PNG, Buffer.from(`variant ${i}`)]));
    const changed = { ...settings, customerName: 'Muster AG (parallel)' };
    const [textChange, ...uploads] = await Promise.all([put(site.admin, 'hq', changed), ...images.map((b) => upload(b, 'image/png'))]);
    expect(textChange.status).toBe(200);
    expect(uploads.map((u) => u.status)).toEqual([200, 200, 200, 200, 200]);
    const versions = uploads.map((u) => u.body.version as number);
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5].map((n) => start + n));
    const now = (await site.admin.get('/api/sites/hq/welcome')).body;
    expect(now.customerName).toBe('Muster AG (parallel)');
    expect(now.logo.version).toBe(start + 5);
    // The stored image is the whole image of the last upload, never a mix.
    const last = images[versions.indexOf(start + 5)]!;
    const served = await fetch(`${gw.base}/api/terminal/welcome/logo`, { headers: { cookie: site.terminal.cookie } });
    expect(Buffer.from(await served.arrayBuffer())).toEqual(last);
    // Another text change keeps the logo.
    expect((await put(site.admin, 'hq', settings)).status).toBe(200);
    expect((await site.admin.get('/api/sites/hq/welcome')).body.logo.version).toBe(start + 5);
  });

  it('sends employees\' availability to the kiosk only when the site allows it (off by default)', async () => {
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(terminal);
    const presences = async () => (await ack(terminal, 'phonebook.search', { q: 'mueller' })).results.map((r: { presence?: string }) => r.presence);
    expect(await presences()).toEqual([undefined]);
    expect((await put(site.admin, 'hq', { ...settings, showAvailability: true })).status).toBe(200);
    expect(await presences()).toEqual(['offline']);
    expect((await put(site.admin, 'hq', settings)).status).toBe(200);
    expect(await presences()).toEqual([undefined]);
  });

  it('documents each route for integrators with its answer\'s shape (OpenAPI)', async () => {
    const doc = (await site.admin.get('/openapi.json')).body;
    const answer = (path: string, method: string) => doc.paths[path]?.[method]?.responses?.['200']?.content?.['application/json']?.schema;
    expect(answer('/api/sites/{siteId}/welcome', 'get')?.properties).toHaveProperty('logoMaxKib');
    expect(answer('/api/sites/{siteId}/welcome', 'put')?.properties).toHaveProperty('showAvailability');
    expect(answer('/api/sites/{siteId}/welcome/logo', 'put')?.properties).toHaveProperty('version');
    expect(answer('/api/terminal/welcome', 'get')?.properties).toHaveProperty('logoUrl');
  });

  it('removes the logo; the kiosk then has none', async () => {
    expect((await site.admin.call('DELETE', '/api/sites/hq/welcome/logo')).status).toBe(204);
    expect((await kiosk.get('/api/terminal/welcome')).body).toMatchObject({ logo: null, logoUrl: null });
    expect((await kiosk.get('/api/terminal/welcome/logo')).status).toBe(404);
  });
});
