// One authenticator (src/access) for HTTP and socket.io (issue 10, slice 4): the same
// credential names the same principal through both, and a revoked terminal or API
// token and an ended session are refused by both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io } from 'socket.io-client';
import { ApiClient, startGateway } from '../support/gateway.ts';
import { seedSite, connect, next, type Gw, type SiteFixture } from '../support/signaling.ts';

const PASSWORD = 'a long enough password';

describe('one identity for HTTP and signaling', () => {
  let gw: Gw;
  let site: SiteFixture;
  const as = (cookie: string) => Object.assign(new ApiClient(gw.base), { cookie });

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('a session cookie is the same user on the admin API and on the desk namespace', async () => {
    const me = await as(site.users.rita!.cookie).get('/api/auth/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ type: 'user', id: site.users.rita!.id, login: 'rita' });
    const desk = await connect(gw, '/desk', site.users.rita!.cookie);
    // Signaling addresses the socket by the user id the authenticator resolved.
    gw.gateway.services.signaling.notifyDesks({ userId: me.body.id }, { de: 'Hallo', en: 'Hello' });
    expect(await next(desk, 'desk.notify')).toEqual({ text: { de: 'Hallo', en: 'Hello' } });
    desk.close();
  });

  it('a terminal cookie is the same terminal on /api/terminal/me and on the terminal namespace', async () => {
    const me = await as(site.terminal.cookie).get('/api/terminal/me');
    expect(me.status).toBe(200);
    expect(me.body).toMatchObject({ id: site.terminal.id, siteId: 'hq' });
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    expect(gw.gateway.services.signaling.wakeTerminal(me.body.id)).toBe(true);
    await next(terminal, 'terminal.wake');
    terminal.close();
  });

  it('an ended session is refused by the admin API and by the desk namespace', async () => {
    const anna = new ApiClient(gw.base);
    expect((await anna.post('/api/auth/login', { login: 'anna', password: PASSWORD })).status).toBe(200);
    const cookie = anna.cookie!;
    expect((await as(cookie).get('/api/auth/me')).status).toBe(200);
    await connect(gw, '/desk', cookie).then((s) => s.close());
    expect((await as(cookie).post('/api/auth/logout')).status).toBe(200);
    expect((await as(cookie).get('/api/auth/me')).status).toBe(401);
    await expect(connect(gw, '/desk', cookie)).rejects.toThrow('unauthenticated');
  });

  it('a revoked terminal is refused by /api/terminal/me and by the terminal namespace', async () => {
    const created = (await site.admin.post('/api/terminals', { name: 'Side door', siteId: 'hq' })).body;
    const kiosk = new ApiClient(gw.base);
    expect((await kiosk.post('/api/terminal/pair', { code: created.pairing.code })).status).toBe(200);
    const cookie = kiosk.cookie!;
    await connect(gw, '/terminal', cookie).then((s) => s.close());
    expect((await site.admin.post(`/api/credentials/${created.terminal.id}/revoke`)).status).toBe(200);
    expect((await as(cookie).get('/api/terminal/me')).status).toBe(401);
    await expect(connect(gw, '/terminal', cookie)).rejects.toThrow('unauthenticated');
  });

  it('an API token works on the admin API until revoked, and is no desk nor terminal on socket.io', async () => {
    const issued = await site.admin.post('/api/tokens', { label: 'report reader', roleId: 'admin', siteId: null });
    expect(issued.status, JSON.stringify(issued.body)).toBe(201);
    const client = Object.assign(new ApiClient(gw.base), { bearer: issued.body.secret as string });
    expect((await client.get('/api/auth/me')).body).toMatchObject({ type: 'credential', id: issued.body.credential.id });
    for (const ns of ['/desk', '/terminal']) {
      const socket = io(`${gw.base}${ns}`, { transports: ['websocket'], extraHeaders: { authorization: `Bearer ${issued.body.secret}` }, reconnection: false, forceNew: true });
      await expect(new Promise((resolve, reject) => { socket.once('connect', () => resolve('connected')); socket.once('connect_error', reject); })).rejects.toThrow('unauthenticated');
      socket.close();
    }
    expect((await site.admin.post(`/api/credentials/${issued.body.credential.id}/revoke`)).status).toBe(200);
    expect((await client.get('/api/auth/me')).status).toBe(401);
  });

  it('a wrong bearer token is not rescued by a valid session cookie', async () => {
    const client = Object.assign(as(site.users.rita!.cookie), { bearer: 'pt_wrong' });
    expect((await client.get('/api/auth/me')).status).toBe(401);
  });
});
