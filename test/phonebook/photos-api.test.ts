// Photos of phone-book entries through the admin API (issue 12: "initials or
// photo … photos are personal data"): taken by content whatever the upload is
// called, stored without metadata (a phone photo's EXIF Orientation alone kept,
// a WebP's unknown chunks gone), size-limited; refused by name when oversized,
// SVG or HTML renamed .png, cut short, or too many pixels — keeping the photo the
// entry had; parallel uploads each get their own version; another site's admin,
// a host, a signed-out admin and strangers get nothing; a kiosk gets the photo
// only from its own site and only while the site's start screen allows photos
// (off by default); exported and erased with the person.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, PASSWORD, type Gw, type SiteFixture } from '../support/signaling.ts';
import { SECRET, jpeg, jpegExif, png, webp, webpChunks, withPngText } from '../support/images.ts';
import { readImage } from '../../src/core/index.ts';

const LIMIT_KIB = 64;

describe('phone-book photos (admin API and kiosk)', () => {
  let gw: Gw;
  let site: SiteFixture;
  let anna: string;
  let kiosk: ApiClient;
  let labAdmin: ApiClient;
  let labKiosk: ApiClient;
  const sockets: Socket[] = [];

  /** Uploads raw bytes as the request body, claiming `type`, with the session cookie given (the admin's by default). */
  const upload = async (entryId: string, bytes: Buffer, type = 'application/octet-stream', cookie = site.admin.cookie!) => {
    const res = await fetch(`${gw.base}/api/phonebook/${entryId}/photo`, { method: 'PUT', headers: { 'content-type': type, ...(cookie ? { cookie } : {}) }, body: new Uint8Array(bytes) });
    return { status: res.status, body: await res.json() as any };
  };
  /** The photo as `cookie`'s holder gets it: status, type and bytes. */
  const fetchPhoto = async (path: string, cookie = site.admin.cookie!) => {
    const res = await fetch(`${gw.base}${path}`, { headers: cookie ? { cookie } : {} });
    return { status: res.status, type: res.headers.get('content-type'), bytes: Buffer.from(await res.arrayBuffer()), headers: res.headers };
  };
  const newEntry = async (name: string, siteId = 'hq', client = site.admin) => {
    const res = await client.post(`/api/sites/${siteId}/phonebook`, { kind: 'person', name, routes: [{ type: 'desk-group', roleId: 'reception' }] });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id as string;
  };
  const photosSetting = async (showPhotos: boolean) => {
    const screen = (await site.admin.get('/api/sites/hq/welcome')).body;
    const res = await site.admin.call('PUT', '/api/sites/hq/welcome', {
      customerName: screen.customerName, welcome: screen.welcome, privacy: screen.privacy, showAvailability: screen.showAvailability, showPhotos,
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  };

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_WEB__PHOTO_MAX_KIB: String(LIMIT_KIB) });
    site = await seedSite(gw);
    anna = site.entries['Anna Müller']!;
    kiosk = new ApiClient(gw.base);
    kiosk.cookie = site.terminal.cookie;
    // A second site with its own admin and its own kiosk.
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const user = (await site.admin.post('/api/users', { login: 'labadmin', displayName: 'Lab admin', password: PASSWORD })).body;
    expect((await site.admin.post(`/api/users/${user.id}/roles`, { roleId: 'admin', siteId: 'lab' })).status).toBe(200);
    labAdmin = new ApiClient(gw.base);
    expect((await labAdmin.post('/api/auth/login', { login: 'labadmin', password: PASSWORD })).status).toBe(200);
    const terminal = (await site.admin.post('/api/terminals', { name: 'Lab kiosk', siteId: 'lab' })).body;
    labKiosk = new ApiClient(gw.base);
    expect((await labKiosk.post('/api/terminal/pair', { code: terminal.pairing.code })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of sockets) s.close();
    await gw?.close();
  });

  it('takes PNG, JPEG and WebP by their content whatever the upload claims, reads their pixels and stores them without metadata', async () => {
    const cases = [
      { bytes: withPngText(png(40, 30)), claimed: 'image/jpeg', type: 'image/png', width: 40, height: 30, clean: png(40, 30) },
      { bytes: jpeg(640, 480, { metadata: true }), claimed: 'image/png', type: 'image/jpeg', width: 640, height: 480, clean: jpeg(640, 480) },
      { bytes: webp(9, 7, { metadata: true }), claimed: 'application/octet-stream', type: 'image/webp', width: 9, height: 7, clean: webp(9, 7) },
    ];
    for (const c of cases) {
      const id = await newEntry(`Photo ${c.type}`);
      const res = await upload(id, c.bytes, c.claimed);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body).toEqual({ type: c.type, bytes: c.clean.length, width: c.width, height: c.height, version: 1 });
      const served = await fetchPhoto(`/api/phonebook/${id}/photo`);
      expect(served.status).toBe(200);
      expect(served.type).toBe(c.type);
      expect(served.headers.get('x-content-type-options')).toBe('nosniff');
      expect(served.headers.get('content-security-policy')).toContain('sandbox');
      expect(served.bytes.includes(SECRET), c.type).toBe(false);
      expect(served.bytes).toEqual(c.clean);
    }
    const listed = (await site.admin.get('/api/sites/hq/phonebook/photos')).body;
    expect(listed.maxKib).toBe(LIMIT_KIB);
    expect(Object.values(listed.photos).map((p: any) => p.type).sort()).toEqual(['image/jpeg', 'image/png', 'image/webp']);
    // Audited, without the image.
    const audit = (await site.admin.get('/api/audit?action=phonebook.photo')).body as Array<{ details: string | null }>;
    expect(audit).toHaveLength(3);
    expect(audit.map((e) => JSON.stringify(e)).join()).not.toContain(SECRET);
  });

  it("keeps a phone photo upright and nothing else of its EXIF; a WebP keeps only the chunks that show it", async () => {
    const id = await newEntry('Portrait Petra');
    const photo = jpeg(640, 480, { camera: { orientation: 6, order: 'II' } });
    const res = await upload(id, photo, 'image/jpeg');
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const served = await fetchPhoto(`/api/phonebook/${id}/photo`);
    expect(served.bytes.includes(SECRET)).toBe(false);
    expect(served.bytes.includes('PhoneCo')).toBe(false);
    expect([...jpegExif(served.bytes).ifd0]).toEqual([[0x0112, 6]]);
    expect(served.bytes).toEqual(jpeg(640, 480, { orientation: 6 }));
    expect(res.body).toEqual({ type: 'image/jpeg', bytes: served.bytes.length, width: 640, height: 480, version: 1 });

    const wanda = await newEntry('Webp Wanda');
    const tagged = webp(9, 7, { metadata: true, icc: true, chunks: [['XMP ', `<x:xmpmeta>${SECRET}</x:xmpmeta>`], ['zzzz', SECRET]] });
    expect((await upload(wanda, tagged, 'image/webp')).status).toBe(200);
    const clean = await fetchPhoto(`/api/phonebook/${wanda}/photo`);
    expect(clean.bytes.includes(SECRET)).toBe(false);
    expect(webpChunks(clean.bytes)).toEqual({ fourccs: ['VP8X', 'ICCP', 'VP8L'], flags: 0x20, riffSize: clean.bytes.length - 8 });
  });

  it('refuses by name an oversized file, SVG or HTML called .png, a cut-off JPEG or PNG, too many pixels and nothing — and keeps the photo it had', async () => {
    const id = await newEntry('Hostile Hanna');
    const good = png(12, 12);
    expect((await upload(id, good, 'image/png')).status).toBe(200);
    const svg = Buffer.from('<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><script>alert(1)</script></svg>');
    const html = Buffer.from('<!doctype html><html><body><script>fetch("/api/users")</script></body></html>');
    const whole = jpeg(320, 200);
    const huge = png(1, 1);
    huge.writeUInt32BE(100_000, 16); // IHDR width
    const cases: Array<[string, Buffer, string, Record<string, unknown>?]> = [
      ['photo.too-large', Buffer.concat([good, Buffer.alloc(LIMIT_KIB * 1024)]), 'image/png', { kib: LIMIT_KIB }],
      ['photo.svg', svg, 'image/png'],
      ['photo.type', html, 'image/png'],
      ['photo.truncated', whole.subarray(0, whole.length - 6), 'image/jpeg'],
      ['photo.truncated', good.subarray(0, good.length - 12), 'image/png'],
      ['photo.dimensions', huge, 'image/png', { width: 100_000, height: 1, max: 4096 }],
      ['photo.empty', Buffer.alloc(0), 'image/png'],
    ];
    for (const [reason, bytes, claimed, params] of cases) {
      const res = await upload(id, bytes, claimed);
      expect(res.status, reason).toBe(400);
      expect(res.body, reason).toMatchObject({ error: 'invalid', reason, ...(params ? { params } : {}) });
    }
    const kept = await fetchPhoto(`/api/phonebook/${id}/photo`);
    expect(kept.bytes).toEqual(good);
  });

  it('parallel uploads each get their own version; the photo is the last one whole, never a mix', async () => {
    const id = await newEntry('Parallel Paul');
    const images = [10, 11, 12, 13, 14].map((w) => png(w, 20, [w * 10, 0, 0]));
    const answers = await Promise.all(images.map((image) => upload(id, image, 'image/png')));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    const versions = answers.map((a) => a.body.version as number);
    expect([...versions].sort()).toEqual([1, 2, 3, 4, 5]);
    const last = answers.findIndex((a) => a.body.version === 5);
    const served = await fetchPhoto(`/api/phonebook/${id}/photo`);
    expect(served.bytes).toEqual(images[last]);
    expect(readImage(served.bytes)).toMatchObject({ ok: true, width: answers[last]!.body.width });
  });

  it("refuses another site's admin, a host, the kiosk on the admin routes, strangers and a signed-out admin", async () => {
    const id = await newEntry('Guarded Gerda');
    expect((await upload(id, png(8, 8), 'image/png')).status).toBe(200);
    const host = site.users.anna!.cookie;
    for (const [who, cookie, status] of [['lab admin', labAdmin.cookie!, 403], ['host', host, 403], ['kiosk', site.terminal.cookie, 401], ['stranger', '', 401]] as const) {
      expect((await upload(id, png(9, 9), 'image/png', cookie)).status, who).toBe(status);
      expect((await fetchPhoto(`/api/phonebook/${id}/photo`, cookie)).status, who).toBe(status);
      const client = new ApiClient(gw.base);
      if (cookie) client.cookie = cookie;
      expect((await client.call('DELETE', `/api/phonebook/${id}/photo`)).status, who).toBe(status);
      expect((await client.get('/api/sites/hq/phonebook/photos')).status, who).toBe(status);
    }
    // The lab admin manages the lab's entries' photos, not hq's.
    const labEntry = await newEntry('Lab Lotte', 'lab', labAdmin);
    expect((await upload(labEntry, png(8, 8), 'image/png', labAdmin.cookie!)).status).toBe(200);
    // Signed out: the session is gone, so is the access.
    const leaving = new ApiClient(gw.base);
    expect((await leaving.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    const cookie = leaving.cookie!;
    expect((await fetchPhoto(`/api/phonebook/${id}/photo`, cookie)).status).toBe(200);
    expect((await leaving.post('/api/auth/logout')).status).toBeLessThan(300);
    expect((await upload(id, png(9, 9), 'image/png', cookie)).status).toBe(401);
    expect((await fetchPhoto(`/api/phonebook/${id}/photo`, cookie)).status).toBe(401);
    expect((await fetchPhoto(`/api/phonebook/${id}/photo`)).bytes).toEqual(png(8, 8));
  });

  it("gives a kiosk its own site's photos only while the start screen allows photos (off by default)", async () => {
    expect((await upload(anna, png(16, 16, [0, 120, 0]), 'image/png')).status).toBe(200);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    sockets.push(terminal);
    const photoOf = async () => (await ack(terminal, 'phonebook.search', { q: 'mueller' })).results.map((r: { photo?: string }) => r.photo);
    expect(await photoOf()).toEqual([undefined]);
    expect((await fetchPhoto(`/api/terminal/photos/${anna}`, site.terminal.cookie)).status).toBe(404);

    await photosSetting(true);
    const [url] = await photoOf();
    expect(url).toMatch(new RegExp(`^/api/terminal/photos/${anna}\\?v=\\d+$`));
    const seen = await fetchPhoto(url, site.terminal.cookie);
    expect(seen.status).toBe(200);
    expect(seen.bytes).toEqual(png(16, 16, [0, 120, 0]));
    // Only the kiosk of the entry's site, and only a paired kiosk.
    expect((await fetchPhoto(url, labKiosk.cookie!)).status).toBe(404);
    expect((await fetchPhoto(url, '')).status).toBe(401);
    expect((await fetchPhoto(url, site.users.anna!.cookie)).status).toBe(401);

    await photosSetting(false);
    expect(await photoOf()).toEqual([undefined]);
    expect((await fetchPhoto(url, site.terminal.cookie)).status).toBe(404);
  });

  it("gives a desk of the entry's site the photo while the start screen allows photos — never a desk of another site (403), a kiosk or a stranger", async () => {
    expect((await upload(anna, png(12, 12, [0, 0, 160]), 'image/png')).status).toBe(200);
    const url = `/api/desk/photos/${anna}`;
    // A host of the lab site only: a desk, but not of the entry's site.
    const user = (await site.admin.post('/api/users', { login: 'labhost', displayName: 'Lab host', password: PASSWORD })).body;
    expect((await site.admin.post(`/api/users/${user.id}/roles`, { roleId: 'host', siteId: 'lab' })).status).toBe(200);
    const labHost = new ApiClient(gw.base);
    expect((await labHost.post('/api/auth/login', { login: 'labhost', password: PASSWORD })).status).toBe(200);

    await photosSetting(true);
    const seen = await fetchPhoto(url, site.users.anna!.cookie);
    expect(seen.status).toBe(200);
    expect(seen.type).toBe('image/png');
    expect(seen.bytes).toEqual(png(12, 12, [0, 0, 160]));
    expect((await fetchPhoto(url, site.users.rita!.cookie)).status).toBe(200);
    const refused = await fetchPhoto(url, labHost.cookie!);
    expect(refused.status).toBe(403);
    expect(refused.bytes.toString()).not.toContain('PNG');
    expect((await fetchPhoto(url, labAdmin.cookie!)).status).toBe(403);
    expect((await fetchPhoto(url, site.users.gus!.cookie)).status).toBe(403);
    expect((await fetchPhoto(url, site.terminal.cookie)).status).toBe(401);
    expect((await fetchPhoto(url, '')).status).toBe(401);

    // Off: a desk gets none either, as for an entry without a photo.
    await photosSetting(false);
    const off = await fetchPhoto(url, site.users.anna!.cookie);
    expect(off.status).toBe(404);
    expect(JSON.parse(off.bytes.toString())).toMatchObject({ reason: 'photo.none' });
  });

  it('removes a photo: the admin and the kiosk get none, the search sends none', async () => {
    const id = await newEntry('Removable Rosa');
    expect((await upload(id, png(8, 8), 'image/png')).status).toBe(200);
    expect((await site.admin.call('DELETE', `/api/phonebook/${id}/photo`)).status).toBe(204);
    const gone = await site.admin.get(`/api/phonebook/${id}/photo`);
    expect(gone.status).toBe(404);
    expect(gone.body).toMatchObject({ reason: 'photo.none' });
    expect((await site.admin.get('/api/sites/hq/phonebook/photos')).body.photos[id]).toBeUndefined();
    // A new upload after the removal is served as itself, not as a cached earlier one.
    const before = await fetchPhoto(`/api/phonebook/${id}/photo`);
    expect(before.status).toBe(404);
    expect((await upload(id, png(9, 9), 'image/png')).status).toBe(200);
    expect((await fetchPhoto(`/api/phonebook/${id}/photo`)).bytes).toEqual(png(9, 9));
  });

  it("exports the photo with the person's data and erases it with them; deleting an entry takes its photo along", async () => {
    const id = await newEntry('Erasable Erik');
    const image = png(20, 10);
    expect((await upload(id, image, 'image/png')).status).toBe(200);
    const exported = await site.admin.get(`/api/privacy/subjects/phonebook-entry/${id}/export`);
    expect(exported.status).toBe(200);
    expect(exported.body.data['phonebook-photos'].photos).toEqual([{ entryId: id, type: 'image/png', version: 1, image: `data:image/png;base64,${image.toString('base64')}` }]);

    const erased = await site.admin.post(`/api/privacy/subjects/phonebook-entry/${id}/erase`);
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(JSON.stringify(erased.body)).toContain('"photos":1');
    expect([...(await gw.gateway.services.photos.versions([id])).keys()]).toEqual([]);

    // A user's erasure takes the photos of their own person entries (anna's entry rings her desk).
    expect((await upload(anna, png(8, 8), 'image/png')).status).toBe(200);
    expect((await site.admin.get(`/api/privacy/subjects/user/${site.users.anna!.id}/export`)).body.data['phonebook-photos'].photos).toHaveLength(1);
    expect((await site.admin.post(`/api/privacy/subjects/user/${site.users.anna!.id}/erase`)).status).toBe(200);
    expect([...(await gw.gateway.services.photos.versions([anna])).keys()]).toEqual([]);

    const deleted = await newEntry('Deleted Dora');
    expect((await upload(deleted, png(8, 8), 'image/png')).status).toBe(200);
    expect((await site.admin.call('DELETE', `/api/phonebook/${deleted}`)).status).toBe(204);
    expect([...(await gw.gateway.services.photos.versions([deleted])).keys()]).toEqual([]);
  });
});
