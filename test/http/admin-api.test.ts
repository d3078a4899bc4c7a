// The admin API shell against a started gateway: authentication by session
// cookie and bearer token, permissions from roles, validation at the edge.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';

const ADMIN_PASSWORD = 'admin password 123';
const HOST_PASSWORD = 'host password 1234';

describe('admin API', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  const admin = () => new ApiClient(gw.base);
  let adminClient: ApiClient;

  beforeAll(async () => {
    gw = await startGateway();
    const anon = admin();
    expect((await anon.post('/api/first-run', { token: gw.firstRunToken(), password: ADMIN_PASSWORD })).status).toBe(200);
    adminClient = admin();
    expect((await adminClient.post('/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD })).status).toBe(200);
  });
  afterAll(async () => { await gw?.close(); });

  it('sets an HttpOnly, Secure, SameSite session cookie at login', async () => {
    const c = admin();
    const res = await c.post('/api/auth/login', { login: 'admin', password: ADMIN_PASSWORD });
    const cookie = res.headers.get('set-cookie')!;
    expect(cookie).toMatch(/portier_session=/);
    expect(cookie).toMatch(/HttpOnly/);
    expect(cookie).toMatch(/Secure/);
    expect(cookie).toMatch(/SameSite=Strict/);
    expect((await c.get('/api/auth/me')).body).toMatchObject({ type: 'user', login: 'admin' });
  });

  it('refuses requests without credentials (401) and with a wrong password', async () => {
    expect((await admin().get('/api/users')).status).toBe(401);
    const res = await admin().post('/api/auth/login', { login: 'admin', password: 'not the password' });
    expect(res.status).toBe(401);
    expect(res.body.error).toBe('unauthenticated');
  });

  it('answers a bad body with a named error and writes nothing', async () => {
    const before = (await adminClient.get('/api/sites')).body.length;
    const bad = await adminClient.post('/api/sites', { id: 'Bad Id!', name: 'x', timeZone: 'Europe/Berlin' });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toBe('invalid');
    const badTz = await adminClient.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Mars/Olympus' });
    expect(badTz.status).toBe(400);
    expect(badTz.body.message).toMatch(/unknown time zone/);
    const notJson = await fetch(`${gw.base}/api/sites`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: adminClient.cookie! }, body: '{"id":' });
    expect(notJson.status).toBe(400);
    expect((await adminClient.get('/api/sites')).body.length).toBe(before);
  });

  it('refuses an admin route to a role without the permission (403), and allows it once granted', async () => {
    expect((await adminClient.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const created = await adminClient.post('/api/users', { login: 'hanna', displayName: 'Hanna', password: HOST_PASSWORD });
    expect(created.status).toBe(201);
    await adminClient.post(`/api/users/${created.body.id}/roles`, { roleId: 'host', siteId: 'hq' });

    const host = admin();
    expect((await host.post('/api/auth/login', { login: 'hanna', password: HOST_PASSWORD })).status).toBe(200);
    const refused = await host.get('/api/audit');
    expect(refused.status).toBe(403);
    expect(refused.body).toEqual({ error: 'forbidden', reason: 'permission.missing', params: { permission: 'audit.read' }, message: 'requires permission audit.read' });
    expect((await host.post('/api/sites/hq/doors', { name: 'Main' })).status).toBe(403);

    const role = await adminClient.post('/api/roles', { name: 'auditor', description: 'reads the log', permissions: ['audit.read'] });
    await adminClient.post(`/api/users/${created.body.id}/roles`, { roleId: role.body.id, siteId: null });
    expect((await host.get('/api/audit')).status).toBe(200);
  });

  it('refuses to hand out a role with permissions the caller does not hold (no escalation)', async () => {
    const managerRole = await adminClient.post('/api/roles', { name: 'user-manager', description: 'manages users', permissions: ['user.admin', 'call.answer'] });
    const manager = await adminClient.post('/api/users', { login: 'mia', displayName: 'Mia', password: HOST_PASSWORD });
    await adminClient.post(`/api/users/${manager.body.id}/roles`, { roleId: managerRole.body.id, siteId: null });
    const mia = admin();
    await mia.post('/api/auth/login', { login: 'mia', password: HOST_PASSWORD });
    const escalate = await mia.post(`/api/users/${manager.body.id}/roles`, { roleId: 'admin', siteId: null });
    expect(escalate.status).toBe(403);
    expect((await mia.get(`/api/users/${manager.body.id}/roles`)).body).toEqual([{ roleId: managerRole.body.id, siteId: null }]);
    // A role within her own permissions she may assign.
    const host = await mia.post(`/api/users/${manager.body.id}/roles`, { roleId: managerRole.body.id, siteId: 'hq' });
    expect(host.status).toBe(200);
  });

  it('authenticates an integration by bearer token with its role, and refuses it once revoked', async () => {
    const issued = await adminClient.post('/api/tokens', { label: 'HR sync', roleId: 'admin', siteId: null });
    expect(issued.status).toBe(201);
    const integration = admin();
    integration.bearer = issued.body.secret;
    expect((await integration.get('/api/users')).status).toBe(200);
    expect((await adminClient.post(`/api/credentials/${issued.body.credential.id}/revoke`)).status).toBe(200);
    expect((await integration.get('/api/users')).status).toBe(401);
  });

  it('closes WebSocket upgrades on paths nobody serves at once', async () => {
    const { request } = await import('node:http');
    const closed = await new Promise<string>((resolve) => {
      const req = request(`${gw.base}/not-a-websocket`, { headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' } });
      req.on('upgrade', () => resolve('upgraded'));
      // Answered (404) and closed at once, never left hanging.
      req.on('response', (res) => { res.resume(); res.on('end', () => resolve(`${res.statusCode} ${res.headers.connection}`)); });
      req.on('error', (e) => resolve((e as NodeJS.ErrnoException).code ?? e.message));
      req.end();
    });
    expect(closed).toBe('404 close');
  });

  it('publishes an OpenAPI document generated from the route schemas', async () => {
    const doc = (await admin().get('/openapi.json')).body;
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.paths['/api/sites'].post.requestBody.content['application/json'].schema.properties.timeZone).toBeDefined();
    expect(doc.paths['/api/auth/login']).toBeDefined();
  });

  it('serves the local CA certificate and /ready with every component', async () => {
    const ca = await fetch(`${gw.base}/ca.crt`);
    expect(ca.status).toBe(200);
    expect(await ca.text()).toMatch(/^-----BEGIN CERTIFICATE-----/);
    const ready = (await adminClient.get('/ready')).body;
    expect(ready.ready).toBe(true);
    expect(Object.keys(ready.components).sort()).toEqual(['gateway', 'http', 'mqtt', 'sfu', 'signaling', 'sip', 'storage', 'store', 'teams']);
    expect(ready.components.sip.state).toBe('disabled');
    expect(ready.components.http.https.port).toBe(gw.gateway.services.web.ports.https);
    expect(ready.components.sfu.workers[0].pid).toEqual(expect.any(Number));
  });

  it('treats a request a reverse proxy forwards to the localhost listener as one from outside: /ready only the flag, /metrics needs report.read', async () => {
    const proxied = admin();
    proxied.headers['x-forwarded-for'] = '203.0.113.7';
    expect((await proxied.get('/ready')).body).toEqual({ ready: true });
    expect((await proxied.get('/metrics')).status).toBe(401);
    const proxiedAdmin = admin();
    proxiedAdmin.cookie = adminClient.cookie;
    proxiedAdmin.headers['x-forwarded-for'] = '203.0.113.7';
    expect((await proxiedAdmin.get('/metrics')).status).toBe(200);
    expect((await admin().get('/metrics')).status).toBe(200); // straight from this machine
  });

  it('shows /ready\'s details (worker pids, counters) only to an admin: anonymous localhost gets states and bound ports, anonymous HTTPS the flag', async () => {
    const { ports } = gw.gateway.services.web;
    const local = await admin().get('/ready');
    expect(local.status).toBe(200);
    expect(local.body.ready).toBe(true);
    expect(local.body.components.sfu).toEqual({ state: 'ready' });
    expect(local.body.components.mqtt).toEqual({ state: 'ready' });
    expect(local.body.ports).toMatchObject({ http: ports.http, https: ports.https, mqtt: { tcp: expect.any(Number) }, rtc: [expect.any(Object)] });
    expect(JSON.stringify(local.body)).not.toMatch(/pid|connections|messages/);
    expect((await admin().get('/health')).body).toEqual({ status: 'ok' });

    const { request } = await import('node:https');
    const overHttps = await new Promise<string>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: ports.https, path: '/ready', servername: 'localhost', ca: gw.gateway.services.tls.material.ca!, agent: false }, (res) => {
        let body = '';
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
    expect(JSON.parse(overHttps)).toEqual({ ready: true });
  });
});
