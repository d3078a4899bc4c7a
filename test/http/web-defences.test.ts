// Browser-facing defences against a started gateway: requests and socket.io
// handshakes from a foreign Origin are refused, every page carries nosniff and
// a CSP that forbids framing (the plain pages without inline code), HSTS only
// over HTTPS.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpsRequest } from 'node:https';
import { io } from 'socket.io-client';
import { startGateway, ApiClient } from '../support/gateway.ts';

const ADMIN_PASSWORD = 'admin password 123';
const EVIL = 'https://evil.example';

describe('web defences', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  const own = () => gw.base;
  /** An admin client whose requests carry this Origin. */
  const withOrigin = (origin: string) => {
    const c = new ApiClient(gw.base, { localAddress: '127.0.0.1' });
    c.cookie = admin.cookie;
    c.headers.origin = origin;
    return c;
  };

  beforeAll(async () => {
    gw = await startGateway();
    expect((await new ApiClient(gw.base).post('/api/first-run', { token: gw.firstRunToken(), password: ADMIN_PASSWORD })).status).toBe(200);
    admin = new ApiClient(gw.base);
    expect((await admin.post('/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses a cookie-authenticated POST from a foreign Origin with a named error and changes nothing', async () => {
    const refused = await withOrigin(EVIL).post('/api/sites', { id: 'evil', name: 'Evil', timeZone: 'Europe/Berlin' });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ error: 'forbidden', message: `cross-origin request refused: Origin ${EVIL} is not this gateway` });
    expect((await admin.get('/api/sites')).body.map((s: { id: string }) => s.id)).not.toContain('evil');
    // A sign-in from a foreign page is refused too (login CSRF), and so is Origin "null" (sandboxed frames).
    expect((await withOrigin(EVIL).post('/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD })).status).toBe(403);
    expect((await withOrigin('null').post('/api/auth/logout')).status).toBe(403);
    // The gateway's own pages may.
    expect((await withOrigin(own()).post('/api/sites', { id: 'annex', name: 'Annex', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });

  it('refuses socket.io handshakes from a foreign Origin, polling and WebSocket alike', async () => {
    const poll = await withOrigin(EVIL).get('/socket.io/?EIO=4&transport=polling');
    expect(poll.status).toBe(403);
    expect(poll.body.message).toBe(`cross-origin request refused: Origin ${EVIL} is not this gateway`);
    expect((await withOrigin(own()).get('/socket.io/?EIO=4&transport=polling')).status).toBe(200);

    const connect = (origin: string) => new Promise<string>((resolve) => {
      const socket = io(`${gw.base}/desk`, { transports: ['websocket'], extraHeaders: { cookie: admin.cookie!, origin }, reconnection: false, forceNew: true });
      socket.once('connect', () => { socket.close(); resolve('connected'); });
      socket.once('connect_error', (e) => { socket.close(); resolve(`refused: ${e.message}`); });
    });
    expect(await connect(EVIL)).toMatch(/^refused/);
    expect(await connect(own())).toBe('connected');
  });

  it('sends nosniff and a CSP without inline code that forbids framing on every page, /first-run and /ca included', async () => {
    for (const path of ['/first-run', '/ca', '/desk', '/admin', '/terminal', '/api/auth/me', '/assets/first-run.js']) {
      const res = await fetch(gw.base + path);
      expect(res.headers.get('x-content-type-options'), path).toBe('nosniff');
      const csp = res.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).not.toContain('unsafe-inline');
    }
    for (const path of ['/first-run', '/ca']) {
      const html = await (await fetch(gw.base + path)).text();
      expect(html, path).not.toMatch(/<script>|<script(?![^>]*\ssrc=)[^>]*>|<style|\sstyle=|\son[a-z]+=/i);
      for (const [, asset] of html.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g)) {
        expect((await fetch(gw.base + asset!)).status, asset).toBe(200);
      }
    }
  });

  it('sends HSTS over HTTPS only', async () => {
    expect((await fetch(`${gw.base}/health`)).headers.get('strict-transport-security')).toBeNull();
    const { port } = { port: gw.gateway.services.web.ports.https };
    const hsts = await new Promise<string | undefined>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port, path: '/health', servername: 'localhost', ca: gw.gateway.services.tls.material.ca!, agent: false }, (res) => {
        res.resume();
        resolve(res.headers['strict-transport-security']);
      });
      req.on('error', reject);
      req.end();
    });
    expect(hsts).toMatch(/^max-age=\d{7,}/);
  });
});
