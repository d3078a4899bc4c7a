// The authorisation matrix: every route of the admin API (as /openapi.json lists
// it) and every socket.io namespace, called as each built-in role — nobody, a
// signed-in user without a role, a host, a receptionist, an admin — and the
// lobby terminal's credential. A caller is refused (401 anonymous, 403 without
// the permission) or let through (any other answer: the route's own 2xx, 400,
// 404, 409 …). Bodies are empty and objects real, so a refusal can only come from
// the permission check, which runs before validation (src/http/auth.ts). A route
// that is not in MATRIX fails the test: a new route must be classified here.
// Re-record (then read the diff!): PORTIER_RECORD_MATRIX=1 node scripts/run.mjs vitest run test/security/authorization-matrix.test.ts
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, type Gw, type SiteFixture } from '../support/signaling.ts';

const CALLERS = ['anonymous', 'no-role', 'host', 'reception', 'terminal', 'admin'] as const;
type Caller = typeof CALLERS[number];

/** Per route, who is let through ('ok') and who is refused ('401', '403'), in CALLERS' order. */
const MATRIX: Record<string, string> = {
  //                                          anonymous no-role host reception terminal admin
  'GET /api/storage': '401 403 403 403 401 ok',
  'POST /api/auth/login': 'ok ok ok ok ok ok',
  'GET /api/auth/me': '401 ok ok ok 401 ok',
  'POST /api/first-run': 'ok ok ok ok ok ok',
  'GET /api/auth/methods': 'ok ok ok ok ok ok',
  'GET /api/auth/oidc/login': 'ok ok ok ok ok ok',
  'GET /api/auth/oidc/callback': 'ok ok ok ok ok ok',
  'GET /api/auth/saml/login': 'ok ok ok ok ok ok',
  'POST /api/auth/saml/acs': 'ok ok ok ok ok ok',
  'GET /api/sites': '401 ok ok ok 401 ok',
  'POST /api/sites': '401 403 403 403 401 ok',
  'PATCH /api/sites/{siteId}': '401 403 403 403 401 ok',
  'PATCH /api/sites/{siteId}/doors/{doorId}': '401 403 403 403 401 ok',
  'DELETE /api/sites/{siteId}/doors/{doorId}': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/doors': '401 403 403 ok 401 ok',
  'POST /api/sites/{siteId}/doors': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/opening-hours': '401 403 403 403 401 ok',
  'PUT /api/sites/{siteId}/opening-hours': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/welcome': '401 403 403 403 401 ok',
  'PUT /api/sites/{siteId}/welcome': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/welcome/logo': '401 403 403 403 401 ok',
  'PUT /api/sites/{siteId}/welcome/logo': '401 403 403 403 401 ok',
  'GET /api/terminal/welcome': '401 401 401 401 ok 401',
  'GET /api/terminal/welcome/logo': '401 401 401 401 ok 401',
  'GET /api/privacy/inventory': '401 403 403 403 401 ok',
  'GET /api/privacy/subjects/{kind}/{id}/export': '401 403 403 403 401 ok',
  'GET /api/users': '401 403 403 403 401 ok',
  'POST /api/users': '401 403 403 403 401 ok',
  'GET /api/users/{id}/roles': '401 403 403 403 401 ok',
  'POST /api/users/{id}/roles': '401 403 403 403 401 ok',
  'GET /api/roles': '401 403 403 403 401 ok',
  'POST /api/roles': '401 403 403 403 401 ok',
  'PUT /api/roles/{id}/permissions': '401 403 403 403 401 ok',
  'GET /api/tokens': '401 403 403 403 401 ok',
  'POST /api/tokens': '401 403 403 403 401 ok',
  'POST /api/credentials/{id}/rotate': '401 403 403 403 401 ok',
  'GET /api/audit': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/door-stations': '401 403 403 403 401 ok',
  'POST /api/sites/{siteId}/door-stations': '401 403 403 403 401 ok',
  'PATCH /api/door-stations/{id}': '401 403 403 403 401 ok',
  'POST /api/door-stations/{id}/secret': '401 403 403 403 401 ok',
  'DELETE /api/door-stations/{id}': '401 403 403 403 401 ok',
  'GET /api/sip-accounts': '401 403 403 403 401 ok',
  'POST /api/sip-accounts': '401 403 403 403 401 ok',
  'PATCH /api/sip-accounts/{id}': '401 403 403 403 401 ok',
  'DELETE /api/sip-accounts/{id}': '401 403 403 403 401 ok',
  'GET /api/terminals': '401 403 403 403 401 ok',
  'POST /api/terminals': '401 403 403 403 401 ok',
  'POST /api/terminals/{id}/reload': '401 403 403 403 401 ok',
  'PATCH /api/terminals/{id}': '401 403 403 403 401 ok',
  'POST /api/terminals/{id}/pairing-code': '401 403 403 403 401 ok',
  'POST /api/terminal/pair': 'ok ok ok ok ok ok',
  'GET /api/terminal/me': '401 401 401 401 ok 401',
  'GET /api/sites/{siteId}/phonebook': '401 403 ok ok 401 ok',
  'POST /api/sites/{siteId}/phonebook': '401 403 403 ok 401 ok',
  'PUT /api/phonebook/{id}': '401 403 403 ok 401 ok',
  'POST /api/sites/{siteId}/phonebook/import': '401 403 403 ok 401 ok',
  'GET /api/sites/{siteId}/phonebook/photos': '401 403 403 ok 401 ok',
  'GET /api/phonebook/{id}/photo': '401 403 403 ok 401 ok',
  'PUT /api/phonebook/{id}/photo': '401 403 403 ok 401 ok',
  'DELETE /api/phonebook/{id}/photo': '401 403 403 ok 401 ok',
  'GET /api/terminal/photos/{id}': '401 401 401 401 ok 401',
  'GET /api/desk/photos/{id}': '401 403 ok ok 401 ok',
  'GET /api/sites/{siteId}/calls': '401 403 ok ok 401 ok',
  'GET /api/devices': '401 403 403 403 401 ok',
  'POST /api/devices': '401 403 403 403 401 ok',
  'GET /api/devices/{id}/connection': '401 403 403 403 401 ok',
  'POST /api/devices/{id}/rotate': '401 403 403 403 401 ok',
  'PATCH /api/devices/{id}': '401 403 403 403 401 ok',
  'GET /api/cards': '401 403 403 403 401 ok',
  'POST /api/cards': '401 403 403 403 401 ok',
  'PATCH /api/cards/{id}': '401 403 403 403 401 ok',
  'GET /api/rules': '401 403 403 403 401 ok',
  'PUT /api/rules': '401 403 403 403 401 ok',
  'GET /api/rules/{id}/versions': '401 403 403 403 401 ok',
  'POST /api/rules/reload': '401 403 403 403 401 ok',
  'POST /api/rules/dry-run': '401 403 403 403 401 ok',
  'POST /api/doors/{id}/unlock': '401 403 403 ok 401 ok',
  'GET /api/sip/accounts': '401 403 403 403 401 ok',
  'GET /api/sla/report': '401 403 403 403 401 ok',
  'POST /api/sla/planned': '401 403 403 403 401 ok',
  'POST /api/sla/excuses': '401 403 403 403 401 ok',
  'GET /api/sites/{siteId}/calls/quality': '401 403 403 ok 401 ok',
  'GET /api/alerts': '401 403 403 ok 401 ok',
  'DELETE /api/sites/{siteId}/welcome/logo': '401 403 403 403 401 ok',
  'POST /api/privacy/subjects/{kind}/{id}/erase': '401 403 403 403 401 ok',
  'DELETE /api/users/{id}/roles': '401 403 403 403 401 ok',
  'POST /api/credentials/{id}/revoke': '401 403 403 403 401 ok',
  'DELETE /api/phonebook/{id}': '401 403 403 ok 401 ok',
  'POST /api/devices/{id}/revoke': '401 403 403 403 401 ok',
  'DELETE /api/devices/{id}': '401 403 403 403 401 ok',
  'DELETE /api/cards/{id}': '401 403 403 403 401 ok',
  'DELETE /api/rules/{id}': '401 403 403 403 401 ok',
  'POST /api/auth/logout': 'ok ok ok ok ok ok',
};

/** The rule the rule routes name (one per destructive route). */
const rule = (id: string) => ({ id, site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'button' } }, actions: [{ type: 'desk.notify', role: 'reception', text: { de: 'Taster', en: 'Button' } }] });

/** Per namespace, who may connect ('ok') and why the others are refused (the handshake's error), in CALLERS' order. */
const SOCKETS: Record<string, string> = {
  'socket /terminal': 'refused(unauthenticated) refused(unauthenticated) refused(unauthenticated) refused(unauthenticated) ok refused(unauthenticated)',
  'socket /desk': 'refused(unauthenticated) refused(forbidden: requires permission call.answer) ok ok refused(unauthenticated) ok',
  'socket /admin': 'refused(unauthenticated) refused(forbidden: requires an admin permission) ok ok refused(unauthenticated) ok',
};

/** Routes that destroy the object they name run last, each on an object made for it. */
const DESTRUCTIVE = /^(DELETE |POST \/api\/(credentials|devices)\/\{id\}\/revoke|POST \/api\/privacy\/subjects\/\{kind\}\/\{id\}\/erase|POST \/api\/auth\/logout)/;

describe('authorisation matrix', () => {
  let gw: Gw;
  let site: SiteFixture;
  const clients = {} as Record<Caller, ApiClient>;
  let routes: string[] = [];

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    const as = (cookie?: string) => { const c = new ApiClient(gw.base); if (cookie) c.cookie = cookie; return c; };
    Object.assign(clients, {
      anonymous: as(), 'no-role': as(site.users.gus!.cookie), host: as(site.users.anna!.cookie),
      reception: as(site.users.rita!.cookie), admin: site.admin, terminal: as(site.terminal.cookie),
    });
    const doc = (await site.admin.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    routes = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`));
    routes.sort((a, b) => Number(DESTRUCTIVE.test(a)) - Number(DESTRUCTIVE.test(b)) || Number(a.endsWith('/logout')) - Number(b.endsWith('/logout')));
  }, 120_000);
  afterAll(async () => { await gw?.close(); });

  /** Real objects for the path's parameters; destructive routes get fresh ones. */
  const objects = async (route: string): Promise<Record<string, string>> => {
    const admin = site.admin;
    const body = async (res: Promise<{ status: number; body: any }>) => { const r = await res; expect(r.status, JSON.stringify(r.body)).toBeLessThan(300); return r.body; };
    const path = route.split(' ')[1]!;
    const values: Record<string, string> = { siteId: 'hq', doorId: site.doorId, kind: 'user' };
    if (path.startsWith('/api/credentials/')) {
      // A terminal of its own: rotating or revoking the seeded one would sign the terminal caller out.
      values.id = (await body(admin.post('/api/terminals', { name: 'Matrix terminal', siteId: 'hq' }))).terminal.id;
    } else if (path.startsWith('/api/devices/') || route === 'POST /api/rules/dry-run') {
      values.id = (await body(admin.post('/api/devices', { id: `matrix-${Math.random().toString(36).slice(2, 8)}`, kind: 'door', siteId: 'hq', doorId: site.doorId }))).device.id;
    } else if (path.startsWith('/api/cards/')) {
      values.id = (await body(admin.post('/api/cards', { siteId: 'hq', card: String(Date.now()).slice(-10), holderRef: 'matrix', kind: 'employee' }))).id;
    } else if (path.startsWith('/api/phonebook/') || path.startsWith('/api/desk/photos/')) {
      values.id = (await body(admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Matrix Person', routes: [{ type: 'desk-user', userId: site.users.anna!.id }] }))).id;
    } else if (path.startsWith('/api/users/') || path.startsWith('/api/privacy/')) {
      values.id = (await body(admin.post('/api/users', { login: `matrix${Math.random().toString(36).slice(2, 8)}`, displayName: 'Matrix', password: 'a long enough password' }))).id;
    } else if (path.startsWith('/api/door-stations/')) {
      values.id = (await body(admin.post('/api/sites/hq/door-stations', { name: 'Matrix station', sipUser: `matrix-${Math.random().toString(36).slice(2, 8)}`, relay: { way: 'mqtt' } }))).station.id;
    } else if (path.startsWith('/api/terminals/')) {
      values.id = site.terminal.id;
    } else if (path.startsWith('/api/roles/')) {
      values.id = 'host';
    } else if (path.startsWith('/api/doors/')) {
      values.id = site.doorId;
    } else if (path.startsWith('/api/rules/')) {
      values.id = `matrix-rule-${Math.random().toString(36).slice(2, 8)}`;
      await body(admin.call('PUT', '/api/rules', rule(values.id)));
    }
    return values;
  };

  /** The body a route's permission check reads (it decides by the site or device named there); others get {}. */
  const bodyOf = (route: string, values: Record<string, string>): unknown => {
    if (route === 'PUT /api/rules') return rule(`matrix-put-${Math.random().toString(36).slice(2, 8)}`);
    if (route === 'POST /api/rules/dry-run') return { deviceId: values.id };
    return {};
  };

  const classify = (status: number): string => (status === 401 || status === 403 ? String(status) : 'ok');

  // First: the routes' test ends with every caller's sign-out.
  it('each socket.io namespace admits exactly the callers the matrix names', async () => {
    const cookies: Record<Caller, string> = {
      anonymous: '', 'no-role': site.users.gus!.cookie, host: site.users.anna!.cookie, reception: site.users.rita!.cookie,
      terminal: site.terminal.cookie, admin: site.admin.cookie!,
    };
    const observed: Record<string, string> = {};
    for (const ns of ['/terminal', '/desk', '/admin'] as const) {
      const outcomes: string[] = [];
      for (const caller of CALLERS) {
        const socket = await connect(gw, ns, cookies[caller]).catch((e: Error) => e);
        outcomes.push(socket instanceof Error ? `refused(${socket.message})` : 'ok');
        if (!(socket instanceof Error)) socket.close();
      }
      observed[`socket ${ns}`] = outcomes.join(' ');
    }
    if (process.env.PORTIER_RECORD_MATRIX) { console.log(Object.entries(observed).map(([r, o]) => `  '${r}': '${o}',`).join('\n')); return; }
    expect(observed).toEqual(SOCKETS);
  }, 120_000);

  it('every route lets through exactly the callers the matrix names', async () => {
    const observed: Record<string, string> = {};
    for (const route of routes) {
      const [method, pattern] = route.split(' ') as [string, string];
      const values = await objects(route);
      const path = pattern.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? 'matrix-x'));
      const outcomes: string[] = [];
      // The admin last: a route it may call may change the object the others were asked about.
      for (const caller of CALLERS) {
        const res = await clients[caller].call(method, path, method === 'GET' || method === 'DELETE' ? undefined : bodyOf(route, values));
        outcomes.push(classify(res.status));
      }
      observed[route] = outcomes.join(' ');
    }
    if (process.env.PORTIER_RECORD_MATRIX) {
      console.log(Object.entries(observed).map(([r, o]) => `  '${r}': '${o}',`).join('\n'));
      return;
    }
    const unclassified = routes.filter((r) => !(r in MATRIX));
    expect(unclassified, 'routes missing from MATRIX').toEqual([]);
    expect(observed).toEqual(MATRIX);
  }, 300_000);

});
