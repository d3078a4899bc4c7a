// The admin page's live updates from outside (/admin): only a signed-in person with
// an admin permission connects, from the gateway's own Origin; a change another
// session makes through the API arrives as admin.changed { section, siteId } to
// those whose permissions cover that section on that site, to nobody else; a socket
// ends with its session (sign-out, idle expiry) and with its last admin permission.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { Value } from '@sinclair/typebox/value';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, next, type SiteFixture } from '../support/signaling.ts';
import { GatewayManualClock } from '../support/manual-clock.ts';
import { AdminServerEvents, type AdminChange } from '../../src/signaling/index.ts';

const PASSWORD = 'a long enough password';

/** What a socket.io handshake to /admin ends in: connected, or the refusal's message. */
function handshake(base: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve) => {
    const socket = io(`${base}/admin`, { transports: ['websocket'], extraHeaders: headers, reconnection: false, forceNew: true });
    socket.once('connect', () => { socket.close(); resolve('connected'); });
    socket.once('connect_error', (e) => { socket.close(); resolve(`refused: ${e.message}`); });
  });
}

/** Every admin.changed a socket hears, checked against the contract's schema. */
function heard(socket: Socket): AdminChange[] {
  const log: AdminChange[] = [];
  socket.on('admin.changed', (m: AdminChange) => {
    if (!Value.Check(AdminServerEvents['admin.changed'], m)) throw new Error(`admin.changed off contract: ${JSON.stringify(m)}`);
    log.push(m);
  });
  return log;
}

/** A first connect to /admin handing over a change mark; every event it hears, from the first, as `event section@site`. */
function withMark(base: string, cookie: string, since: string | null): { connected: Promise<void>; events: string[]; until: (event: string, n: number) => Promise<void> } {
  const socket = io(`${base}/admin`, { transports: ['websocket'], extraHeaders: { cookie }, auth: { since }, reconnection: false, forceNew: true });
  marked.push(socket);
  const events: string[] = [];
  const waits: Array<() => void> = [];
  socket.onAny((event: string, m: AdminChange) => {
    events.push(event === 'admin.changed' ? `${event} ${m.section}@${m.siteId ?? '*'}` : event);
    for (const w of waits.splice(0)) w();
  });
  const until = async (event: string, n: number) => {
    while (events.filter((e) => e === event).length < n) await new Promise<void>((resolve) => waits.push(resolve));
  };
  const connected = new Promise<void>((resolve, reject) => { socket.once('connect', () => resolve()); socket.once('connect_error', reject); });
  return { connected, events, until };
}
const marked: Socket[] = [];

const disconnected = (socket: Socket) => new Promise<string>((resolve) => socket.once('disconnect', (reason) => resolve(reason)));

async function signIn(base: string, login: string): Promise<ApiClient> {
  const client = new ApiClient(base);
  const res = await client.post('/api/auth/login', { login, password: PASSWORD });
  if (res.status !== 200) throw new Error(`login ${login}: ${res.status}`);
  return client;
}

describe('admin namespace', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  const open: Socket[] = [];
  const admin = async (cookie: string) => { const s = await connect(gw, '/admin', cookie); open.push(s); return s; };

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    // A second site with its own device admin, who has no rights on hq.
    expect((await site.admin.post('/api/sites', { id: 'annex', name: 'Annex', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const dora = await site.admin.post('/api/users', { login: 'dora', displayName: 'dora', password: PASSWORD });
    const role = await site.admin.post('/api/roles', { name: 'devices', description: 'device admins', permissions: ['device.admin'] });
    expect(role.status).toBe(201);
    expect((await site.admin.post(`/api/users/${dora.body.id}/roles`, { roleId: role.body.id, siteId: 'annex' })).status).toBe(200);
  });
  afterAll(async () => {
    for (const s of [...open, ...marked]) s.close();
    await gw?.close();
  });

  it('refuses a handshake without a cookie, from a foreign Origin, with an ended session, and from a user without any admin permission', async () => {
    expect(await handshake(gw.base, {})).toBe('refused: unauthenticated');
    expect(await handshake(gw.base, { cookie: site.admin.cookie!, origin: 'https://evil.example' })).toMatch(/^refused/);
    expect(await handshake(gw.base, { cookie: site.admin.cookie!, origin: gw.base })).toBe('connected');
    // gus holds no role at all.
    expect(await handshake(gw.base, { cookie: site.users.gus!.cookie })).toBe('refused: forbidden: requires an admin permission');
    const leaving = await signIn(gw.base, 'rita');
    const cookie = leaving.cookie!;
    expect(await handshake(gw.base, { cookie })).toBe('connected');
    expect((await leaving.post('/api/auth/logout')).status).toBeLessThan(300);
    expect(await handshake(gw.base, { cookie })).toBe('refused: unauthenticated');
  });

  it('tells each socket only the changes its permissions cover, on its sites, in order', async () => {
    const [adminSocket, rita, dora] = [await admin(site.admin.cookie!), await admin(site.users.rita!.cookie), await admin((await signIn(gw.base, 'dora')).cookie!)];
    const logs = { admin: heard(adminSocket), rita: heard(rita), dora: heard(dora) };
    const editor = await signIn(gw.base, 'admin');

    // A device on hq: the admin hears it; rita (reception: no device.admin) and dora (device.admin on annex only) do not.
    expect((await editor.post('/api/devices', { id: 'hq-door', kind: 'door', siteId: 'hq', doorId: site.doorId })).status).toBe(201);
    await next(adminSocket, 'admin.changed', (m: AdminChange) => m.section === 'devices');
    // A device on annex: dora hears it (her socket heard nothing of hq before).
    expect((await editor.post('/api/devices', { id: 'annex-sensor', kind: 'sensor', siteId: 'annex', doorId: null })).status).toBe(201);
    await next(dora, 'admin.changed', (m: AdminChange) => m.section === 'devices');
    // A phone-book entry on hq: rita hears it, dora does not.
    expect((await editor.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Neu', routes: [{ type: 'desk-group', roleId: 'reception' }] })).status).toBe(201);
    await next(adminSocket, 'admin.changed', (m: AdminChange) => m.section === 'phonebook');
    // Barriers by event, not by time: changes go out one batch after another, to each socket in order, so once a
    // socket heard a later change it has heard everything it was going to hear of the ones before.
    // rita's: the phone-book change itself came after both device changes.
    await next(rita, 'admin.changed', (m: AdminChange) => m.section === 'phonebook');
    const sections = (log: AdminChange[]) => log.map((c) => `${c.section}@${c.siteId ?? '*'}`);
    expect(sections(logs.rita)).toEqual(['phonebook@hq']);
    // dora's: one more change on annex, after the phone-book entry.
    expect((await editor.call('PATCH', '/api/devices/annex-sensor', { label: 'Annex sensor' })).status).toBe(200);
    await next(dora, 'admin.changed', (m: AdminChange) => m.section === 'devices');
    expect(sections(logs.dora)).toEqual(['devices@annex', 'devices@annex']);
    expect(sections(logs.admin)).toEqual(expect.arrayContaining(['devices@hq', 'devices@annex', 'phonebook@hq', 'audit@*']));
  });

  it('an alert raised or cleared changes the alerts section: of its site for report.read there, a gateway-wide one only deployment-wide', async () => {
    const { alerts } = gw.gateway.services;
    const [adminSocket, rita, dora] = [await admin(site.admin.cookie!), await admin(site.users.rita!.cookie), await admin((await signIn(gw.base, 'dora')).cookie!)];
    const logs = { admin: heard(adminSocket), rita: heard(rita), dora: heard(dora) };
    const ofAlerts = (log: AdminChange[]) => log.filter((c) => c.section === 'alerts').map((c) => `${c.section}@${c.siteId ?? '*'}`);
    // Gateway-wide first, then hq's: once rita heard hq's clearing she has heard all she would of the ones before (deliveries go in order).
    alerts.raise({ id: 'worker:9', kind: 'worker-died', incidentClass: 2, siteId: null, subject: { worker: 9 }, text: { de: 'Worker 9', en: 'worker 9' } });
    alerts.clear('worker:9');
    alerts.raise({ id: 'terminal:x:offline', kind: 'terminal-health', incidentClass: 2, siteId: 'hq', subject: { terminal: 'x', problem: 'offline' }, text: { de: 'Terminal x', en: 'terminal x' } });
    await next(rita, 'admin.changed', (m: AdminChange) => m.section === 'alerts' && m.siteId === 'hq');
    alerts.clear('terminal:x:offline');
    await next(rita, 'admin.changed', (m: AdminChange) => m.section === 'alerts' && m.siteId === 'hq');
    await next(adminSocket, 'admin.changed', (m: AdminChange) => m.section === 'alerts' && m.siteId === 'hq');
    await next(adminSocket, 'admin.changed', (m: AdminChange) => m.section === 'alerts' && m.siteId === 'hq');
    // Barrier for dora (device.admin on annex, no report.read): a change she hears, made after the alerts'.
    const editor = await signIn(gw.base, 'admin');
    expect((await editor.post('/api/devices', { id: 'annex-alerts-barrier', kind: 'sensor', siteId: 'annex', doorId: null })).status).toBe(201);
    await next(dora, 'admin.changed', (m: AdminChange) => m.section === 'devices');
    expect(ofAlerts(logs.admin)).toEqual(['alerts@*', 'alerts@hq', 'alerts@hq']);
    expect(ofAlerts(logs.rita)).toEqual(['alerts@hq', 'alerts@hq']);
    expect(ofAlerts(logs.dora)).toEqual([]);
  });

  it('a first connect with the mark of /api/auth/me hears what changed since, as far as it may; a mark of another process asks for everything', async () => {
    const editor = await signIn(gw.base, 'admin');
    const doraSession = await signIn(gw.base, 'dora');
    const mark = async (client: ApiClient) => (await client.get('/api/auth/me')).headers.get('x-portier-change-seq');
    const [adminMark, doraMark] = [await mark(site.admin), await mark(doraSession)];
    expect(adminMark).toMatch(/^[\w-]+\.\d+$/);
    // Only for someone who may use the admin namespace: to anyone else its rise would tell of other sites' calls and changes (review s27 #8).
    expect(doraMark).toMatch(/^[\w-]+\.\d+$/);
    const gusMe = await (await signIn(gw.base, 'gus')).get('/api/auth/me');
    expect(gusMe.status).toBe(200);
    expect(gusMe.headers.get('x-portier-change-seq')).toBeNull();
    // A socket connected all along: once it heard the phone-book change, the gateway has numbered both changes.
    const watching = await admin(site.admin.cookie!);
    expect((await editor.post('/api/devices', { id: 'annex-late', kind: 'sensor', siteId: 'annex', doorId: null })).status).toBe(201);
    expect((await editor.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Spät', routes: [{ type: 'desk-group', roleId: 'reception' }] })).status).toBe(201);
    await next(watching, 'admin.changed', (m: AdminChange) => m.section === 'phonebook');

    const sockets = {
      admin: withMark(gw.base, site.admin.cookie!, adminMark),
      dora: withMark(gw.base, doraSession.cookie!, doraMark),
      // Its mark taken now: nothing changed since.
      current: withMark(gw.base, site.admin.cookie!, await mark(site.admin)),
      foreign: withMark(gw.base, site.admin.cookie!, 'another-process.0'),
    };
    for (const s of Object.values(sockets)) await s.connected;
    // Barrier: a change after the connects; each socket hears changes in order, so once it heard this one it heard its catch-up.
    expect((await editor.call('PATCH', '/api/devices/annex-late', { label: 'Late' })).status).toBe(200);
    for (const s of Object.values(sockets)) await s.until('admin.changed devices@annex', s === sockets.dora ? 2 : 1);
    // The barrier's change is audited: the admin's sockets hear the audit log's change with it, first.
    const barrier = ['admin.changed audit@*', 'admin.changed devices@annex'];
    expect(sockets.admin.events.slice(-2)).toEqual(barrier);
    expect(sockets.admin.events.slice(0, -2)).toEqual(expect.arrayContaining(['admin.changed devices@annex', 'admin.changed phonebook@hq', 'admin.changed audit@*']));
    expect(sockets.dora.events).toEqual(['admin.changed devices@annex', 'admin.changed devices@annex']);
    expect(sockets.current.events).toEqual(barrier);
    expect(sockets.foreign.events).toEqual(['admin.resync', ...barrier]);
  });

  it('disconnects a socket at sign-out and when its user loses the last admin permission', async () => {
    const session = await signIn(gw.base, 'rolf');
    const rolf = await admin(session.cookie!);
    const ended = disconnected(rolf);
    await session.post('/api/auth/logout');
    expect(await ended).toBe('io server disconnect');

    const anna = await admin(site.users.anna!.cookie);
    const gone = disconnected(anna);
    // anna's only role (host on hq) is taken away.
    expect((await site.admin.call('DELETE', `/api/users/${site.users.anna!.id}/roles`, { roleId: 'host', siteId: 'hq' })).status).toBeLessThan(300);
    expect(await gone).toBe('io server disconnect');
  });
});

describe('admin namespace on a manual clock', () => {
  const clock = new GatewayManualClock();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_AUTH__SESSION_IDLE_HOURS: '1' }, { clock });
    site = await seedSite(gw);
  });
  afterAll(async () => { await gw?.close(); });

  it('ends a socket when its session expires idle, and not while the page keeps using the session', async () => {
    const client = await signIn(gw.base, 'rita');
    const socket = await connect(gw, '/admin', client.cookie!);
    let reason: string | undefined;
    socket.once('disconnect', (r) => { reason = r; });
    await clock.advance(40 * 60_000);
    // The page fetches: the session slides, the socket stays.
    expect((await client.get('/api/auth/me')).status).toBe(200);
    await clock.advance(40 * 60_000);
    expect(socket.connected).toBe(true);
    const ended = new Promise<string>((resolve) => { if (reason) resolve(reason); else socket.once('disconnect', resolve); });
    await clock.advance(30 * 60_000);
    expect(await ended).toBe('io server disconnect');
    expect((await client.get('/api/auth/me')).status).toBe(401);
    socket.close();
    void site;
  });
});
