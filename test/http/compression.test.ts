// HTTP compression (issue 12, the pages at product grade): a page's bundle is sent
// as compressed at build time (brotli, else gzip, as the client accepts) and is the
// same bytes once decompressed; it is sent as built when not asked; each
// representation has its own ETag and revalidates (304); a bundle without its
// twins is compressed on the way. JSON is compressed when large, not when tiny;
// photos (already compressed) never are, and keep their ETag. Security headers
// are on every one of them. Sizes are printed, not asserted against a number.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { writeTwins } from '../../scripts/lib/build-web.mjs';
import { MIN_COMPRESSED_BYTES, negotiate } from '../../src/http/compression.ts';

interface Raw { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }

/** A GET as it goes over the wire: no decompression by the client, the headers given only. */
function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/** A bundle-like script of about 60 KiB: repetitive like real minified code, not just one repeated line. */
const script = (name: string) => Array.from({ length: 1500 }, (_, i) => `export function ${name}${i}(a,b){return a*${i % 97}+b.length-${i}}`).join(';\n');

/** A PNG of noise (w×h): its bytes do not compress, like a real photo's. */
function noisyPng(w: number, h: number): Buffer {
  const image = new PNG({ width: w, height: h });
  let seed = 4711;
  for (let i = 0; i < image.data.length; i++) { seed = (seed * 1103515245 + 12345) >>> 0; image.data[i] = i % 4 === 3 ? 255 : seed >>> 24; }
  return PNG.sync.write(image);
}

const SECURITY = ['x-content-type-options', 'x-frame-options', 'referrer-policy', 'content-security-policy'];
const varies = (r: Raw) => String(r.headers.vary ?? '').toLowerCase().split(',').map((v) => v.trim()).includes('accept-encoding');

describe('HTTP compression', () => {
  let webDir: string;
  let gw: Gw;
  let site: SiteFixture;
  let desk: Buffer;
  let terminal: Buffer;
  const sizes: Record<string, Record<string, number>> = {};

  beforeAll(async () => {
    webDir = mkdtempSync(join(tmpdir(), 'portier-web-'));
    writeFileSync(join(webDir, 'desk.js'), script('desk'));
    writeFileSync(join(webDir, 'terminal.js'), script('terminal'));
    writeFileSync(join(webDir, 'portier.css'), readFileSync(join(import.meta.dirname, '..', '..', 'web', 'src', 'style.css')));
    // As the build leaves them: desk.js and the style sheet with their twins; terminal.js rebuilt without.
    writeTwins(join(webDir, 'desk.js'));
    writeTwins(join(webDir, 'portier.css'));
    desk = readFileSync(join(webDir, 'desk.js'));
    terminal = readFileSync(join(webDir, 'terminal.js'));
    gw = await startGateway({}, { webDir });
    site = await seedSite(gw);
  }, 120_000);

  afterAll(async () => {
    // The figures, for the closing note (no assertion on them).
    process.stdout.write(`compression sizes ${JSON.stringify(sizes)}\n`);
    await gw?.close();
    rmSync(webDir, { recursive: true, force: true });
  });

  it('reads Accept-Encoding: br before gzip, q=0 refuses, * stands for the rest, none or identity: as it is', () => {
    expect(negotiate('gzip, deflate, br, zstd')).toBe('br');
    expect(negotiate('gzip, deflate')).toBe('gzip');
    expect(negotiate('br;q=0, gzip;q=0.5')).toBe('gzip');
    expect(negotiate('*')).toBe('br');
    expect(negotiate('*;q=0, gzip')).toBe('gzip');
    expect(negotiate('x-gzip')).toBe('gzip');
    expect(negotiate('identity')).toBeUndefined();
    expect(negotiate('br;q=0, gzip;q=0')).toBeUndefined();
    expect(negotiate(undefined)).toBeUndefined();
  });

  it('sends a page\'s JS compressed as built when asked (br, else gzip): the same bytes once decompressed, with its security headers', async () => {
    const br = await get(gw.base, '/assets/desk.js', { 'accept-encoding': 'gzip, deflate, br' });
    expect(br.status).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(Number(br.headers['content-length'])).toBe(br.body.length);
    expect(brotliDecompressSync(br.body).equals(desk)).toBe(true);
    expect(br.body.equals(readFileSync(join(webDir, 'desk.js.br')))).toBe(true);
    expect(varies(br)).toBe(true);
    for (const header of SECURITY) expect(br.headers[header], header).toBeTruthy();

    const gz = await get(gw.base, '/assets/desk.js', { 'accept-encoding': 'gzip, deflate' });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.body).equals(desk)).toBe(true);
    for (const header of SECURITY) expect(gz.headers[header], header).toBeTruthy();
    sizes['desk.js'] = { identity: desk.length, gzip: gz.body.length, br: br.body.length };
    expect(br.body.length).toBeLessThan(desk.length);
    expect(gz.body.length).toBeLessThan(desk.length);
  });

  it('sends it as built when the client does not ask (no header, identity, every encoding q=0): no Content-Encoding, still Vary', async () => {
    for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }] as Array<Record<string, string>>) {
      const plain = await get(gw.base, '/assets/desk.js', headers);
      expect(plain.status).toBe(200);
      expect(plain.headers['content-encoding'], JSON.stringify(headers)).toBeUndefined();
      expect(plain.body.equals(desk)).toBe(true);
      expect(varies(plain)).toBe(true);
      for (const header of SECURITY) expect(plain.headers[header], header).toBeTruthy();
    }
  });

  it('gives each representation its own ETag and answers 304 to the one it sent', async () => {
    const tags = await Promise.all(['identity', 'gzip', 'br'].map(async (e) => (await get(gw.base, '/assets/desk.js', { 'accept-encoding': e })).headers.etag as string));
    expect(new Set(tags).size).toBe(3);
    const [identity, , br] = tags;
    const unchanged = await get(gw.base, '/assets/desk.js', { 'accept-encoding': 'br', 'if-none-match': br! });
    expect(unchanged.status).toBe(304);
    expect(unchanged.body.length).toBe(0);
    expect(unchanged.headers['content-encoding']).toBeUndefined();
    // The identity bytes' tag does not stand for the brotli ones.
    expect((await get(gw.base, '/assets/desk.js', { 'accept-encoding': 'br', 'if-none-match': identity! })).status).toBe(200);
    expect((await get(gw.base, '/assets/desk.js', { 'if-none-match': identity! })).status).toBe(304);
  });

  it('compresses a bundle rebuilt without its twins on the way', async () => {
    const br = await get(gw.base, '/assets/terminal.js', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(brotliDecompressSync(br.body).equals(terminal)).toBe(true);
    expect(br.headers.etag).toMatch(/-br"$/);
  });

  it('compresses large JSON (the same document once decompressed), not a tiny body; the page shell too', async () => {
    const plain = await get(gw.base, '/openapi.json');
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(varies(plain)).toBe(true);
    const br = await get(gw.base, '/openapi.json', { 'accept-encoding': 'br' });
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(brotliDecompressSync(br.body).toString())).toEqual(JSON.parse(plain.body.toString()));
    for (const header of SECURITY) expect(br.headers[header], header).toBeTruthy();
    const gz = await get(gw.base, '/openapi.json', { 'accept-encoding': 'gzip' });
    expect(gunzipSync(gz.body).equals(plain.body)).toBe(true);
    sizes['openapi.json'] = { identity: plain.body.length, gzip: gz.body.length, br: br.body.length };

    // A signed-in admin's phone book: JSON of the API proper.
    const cookie = site.admin.cookie!;
    const list = await get(gw.base, '/api/sites/hq/phonebook', { cookie, 'accept-encoding': 'gzip' });
    expect(list.status).toBe(200);
    const listed = list.headers['content-encoding'] === 'gzip' ? gunzipSync(list.body) : list.body;
    expect(JSON.parse(listed.toString())).toEqual(JSON.parse((await get(gw.base, '/api/sites/hq/phonebook', { cookie })).body.toString()));
    expect(list.headers['content-encoding']).toBe(listed.length >= MIN_COMPRESSED_BYTES ? 'gzip' : undefined);

    const tiny = await get(gw.base, '/api/auth/me', { 'accept-encoding': 'br' });
    expect(tiny.body.length).toBeLessThan(MIN_COMPRESSED_BYTES);
    expect(tiny.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(tiny.body.toString())).toHaveProperty('reason');
    expect(varies(tiny)).toBe(true);

    const shell = await get(gw.base, '/desk', { 'accept-encoding': 'br' });
    expect(shell.headers['content-type']).toMatch(/^text\/html/);
    // The shell is under a kilobyte: sent as it is, its own CSP kept.
    expect(shell.headers['content-encoding']).toBeUndefined();
    expect(shell.headers['content-security-policy']).toContain("media-src 'self' blob:");
  });

  it('never compresses a photo (already compressed): the same bytes and ETag whatever is accepted, 304 as before', async () => {
    const anna = site.entries['Anna Müller']!;
    const photo = noisyPng(64, 64);
    expect(photo.length).toBeGreaterThan(MIN_COMPRESSED_BYTES);
    const put = await fetch(`${gw.base}/api/phonebook/${anna}/photo`, { method: 'PUT', headers: { 'content-type': 'image/png', cookie: site.admin.cookie! }, body: new Uint8Array(photo) });
    expect(put.status).toBe(200);
    const cookie = site.admin.cookie!;
    const plain = await get(gw.base, `/api/phonebook/${anna}/photo`, { cookie });
    const asked = await get(gw.base, `/api/phonebook/${anna}/photo`, { cookie, 'accept-encoding': 'gzip, deflate, br' });
    expect(asked.status).toBe(200);
    expect(asked.headers['content-type']).toBe('image/png');
    expect(asked.headers['content-encoding']).toBeUndefined();
    expect(asked.body.equals(plain.body)).toBe(true);
    expect(asked.headers.etag).toBe(plain.headers.etag);
    for (const header of SECURITY) expect(asked.headers[header], header).toBeTruthy();
    const again = await get(gw.base, `/api/phonebook/${anna}/photo`, { cookie, 'accept-encoding': 'br', 'if-none-match': asked.headers.etag as string });
    expect(again.status).toBe(304);
    sizes['photo.png'] = { identity: plain.body.length, br: asked.body.length };
  });
});
