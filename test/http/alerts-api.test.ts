// GET /api/alerts over HTTP on a real gateway: a door controller that drops off the
// embedded broker raises a real alert; each caller sees the open alerts of the sites
// they may read reports of (the gateway-wide ones only deployment-wide), most severe
// first; without report.read anywhere 403, anonymous 401; a cleared alert is gone.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiClient, startGateway } from '../support/gateway.ts';
import { connect, device, closeClient } from '../support/mqtt.ts';
import { PASSWORD, seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { nextAlert } from '../support/alerts.ts';

/** The alerts this test raises; others (a kiosk's grace passing on a loaded machine) are left out of the comparisons. */
const OURS = new Set(['device:door-1', 'worker:7', 'site:branch:terminals']);

describe('GET /api/alerts', () => {
  let gw: Gw;
  let site: SiteFixture;
  const as = (cookie: string) => { const c = new ApiClient(gw.base); c.cookie = cookie; return c; };
  const ids = (body: { alerts: Array<{ id: string }> }) => body.alerts.map((a) => a.id).filter((id) => OURS.has(id));

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    expect((await site.admin.post('/api/sites', { id: 'branch', name: 'Branch', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const bea = await site.admin.post('/api/users', { login: 'bea', displayName: 'Bea', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${bea.body.id}/roles`, { roleId: 'reception', siteId: 'branch' })).status).toBe(200);
  });
  afterAll(async () => { await gw?.close(); });

  it('lists a real alert to those who may read its site, the gateway-wide ones deployment-wide only, most severe first; refuses others', async () => {
    const { deviceHub, alerts } = gw.gateway.services;
    const system = { type: 'system' as const, id: null };
    const { secret } = await deviceHub.registerDevice(system, { id: 'door-1', kind: 'door', siteId: 'hq', doorId: site.doorId, terminalId: null });
    const url = `mqtt://127.0.0.1:${deviceHub.mqttPorts.tcp}`;
    const controller = await connect(url, device({ id: 'door-1', secret }));
    const opened = nextAlert(alerts, 'device:door-1', 'open');
    await controller.endAsync(true);
    await opened;
    alerts.raise({ id: 'worker:7', kind: 'worker-died', incidentClass: 2, siteId: null, subject: { worker: 7 }, text: { de: 'Medien-Worker 7 ist ausgefallen', en: 'media worker 7 died' } });
    alerts.raise({ id: 'site:branch:terminals', kind: 'site-no-terminal', incidentClass: 1, siteId: 'branch', subject: { site: 'branch' }, text: { de: 'Standort branch: kein Terminal', en: 'site branch: no terminal' } });

    const all = await site.admin.get('/api/alerts');
    expect(all.status).toBe(200);
    expect(all.headers.get('cache-control')).toBe('no-store');
    // Class 1 first; the two of class 2 oldest first (the door's opened before the worker's was raised).
    expect(ids(all.body)).toEqual(['site:branch:terminals', 'device:door-1', 'worker:7']);
    const door = all.body.alerts.find((a: { id: string }) => a.id === 'device:door-1');
    expect(door).toMatchObject({
      kind: 'device-offline', incidentClass: 2, siteId: 'hq', siteName: 'Headquarters', subject: { device: 'door-1', deviceKind: 'door' },
      text: { de: 'Gerät door-1 (door) ist offline', en: 'device door-1 (door) is offline' },
    });
    expect(door.reactionDueAt - door.openedAt).toBe(24 * 3_600_000);
    expect(all.body.alerts.find((a: { id: string }) => a.id === 'worker:7')).toMatchObject({ siteId: null, siteName: null });

    // Rita reads reports of hq only: hq's alerts, neither the branch's nor the gateway-wide one.
    const rita = await as(site.users.rita!.cookie).get('/api/alerts');
    expect(rita.status).toBe(200);
    expect(ids(rita.body)).toEqual(['device:door-1']);
    expect(rita.body.alerts.every((a: { siteId: string | null }) => a.siteId === 'hq')).toBe(true);
    const bea = new ApiClient(gw.base);
    expect((await bea.post('/api/auth/login', { login: 'bea', password: PASSWORD })).status).toBe(200);
    const beas = await bea.get('/api/alerts');
    expect(ids(beas.body)).toEqual(['site:branch:terminals']);
    expect(beas.body.alerts.every((a: { siteId: string | null }) => a.siteId === 'branch')).toBe(true);

    // Gus holds no role: 403 with the permission named; nobody signed in: 401.
    const gus = await as(site.users.gus!.cookie).get('/api/alerts');
    expect(gus.status).toBe(403);
    expect(gus.body).toMatchObject({ error: 'forbidden', reason: 'permission.missing', params: { permission: 'report.read' } });
    const anonymous = await new ApiClient(gw.base).get('/api/alerts');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body).toMatchObject({ error: 'unauthenticated' });

    // The controller back: the alert clears and is gone from the list.
    const recovered = nextAlert(alerts, 'device:door-1', 'recovered');
    const back = await connect(url, device({ id: 'door-1', secret }));
    await recovered;
    expect(ids((await site.admin.get('/api/alerts')).body)).toEqual(['site:branch:terminals', 'worker:7']);
    expect(ids((await as(site.users.rita!.cookie).get('/api/alerts')).body)).toEqual([]);
    alerts.clear('worker:7');
    alerts.clear('site:branch:terminals');
    expect(ids((await site.admin.get('/api/alerts')).body)).toEqual([]);
    await closeClient(back);
  });
});
