// Rules stay on their site (issue 11, item 10): a rule of hq can neither notify
// a desk user of another site nor use another site's device as a condition (nor
// learn its presence through a dry run). Saving refuses such a rule naming rule
// and field; firing checks again (rule files are not checked on load, and a user
// may lose the site's role after the rule was saved). Real gateway, MQTT and desks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, next, type Gw, type SiteFixture } from '../support/signaling.ts';

const PASSWORD = 'a long enough password';

describe('rules stay on their site', () => {
  let gw: Gw;
  let site: SiteFixture;
  let rulesDir: string;
  let lena: { id: string; cookie: string };
  const devices: mqtt.MqttClient[] = [];

  const device = async (id: string, siteId: string): Promise<mqtt.MqttClient> => {
    const registered = await site.admin.post('/api/devices', { id, kind: 'sensor', siteId });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const ready = (await site.admin.get('/ready')).body;
    const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, { username: id, password: registered.body.secret, clientId: id, reconnectPeriod: 0 });
    devices.push(client);
    return client;
  };

  beforeAll(async () => {
    // A rule file of hq that names lab's sensor: files are read before devices exist, so only firing can check it.
    rulesDir = mkdtempSync(join(tmpdir(), 'portier-rules-'));
    writeFileSync(join(rulesDir, 'probe.yaml'), [
      'rules:',
      '  - id: probe-lab',
      '    site: hq',
      '    trigger: { topic: portier/hq/hall-sensor/event }',
      '    conditions: { presence: [{ device: lab-sensor, online: true }] }',
      '    actions: [{ type: desk.notify, role: reception, text: lab sensor is online }]',
    ].join('\n'));
    gw = await startGateway({ PORTIER_DEVICE_HUB__RULES_DIR: rulesDir });
    site = await seedSite(gw);
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const user = await site.admin.post('/api/users', { login: 'lena', displayName: 'Lena', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: 'host', siteId: 'lab' })).status).toBe(200);
    const client = new ApiClient(gw.base);
    expect((await client.post('/api/auth/login', { login: 'lena', password: PASSWORD })).status).toBe(200);
    lena = { id: user.body.id, cookie: client.cookie! };
    await device('lab-sensor', 'lab');
  });
  afterAll(async () => {
    await Promise.all(devices.map((d) => d.endAsync(true)));
    await gw?.close();
    rmSync(rulesDir, { recursive: true, force: true });
  });

  it('refuses to save a rule naming another site\'s device or desk user (400 naming rule and field), and keeps nothing', async () => {
    const base = { site: 'hq', trigger: { topic: 'portier/hq/hall-sensor/event' } };
    const presence = await site.admin.call('PUT', '/api/rules', {
      ...base, id: 'lab-presence', conditions: { presence: [{ device: 'lab-sensor', online: true }] }, actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }],
    });
    expect(presence.status).toBe(400);
    expect(presence.body).toEqual({ error: 'invalid', reason: 'rule.not-on-site.device', params: { field: 'conditions.presence.0.device', id: 'lab-sensor', site: 'hq' }, message: 'rule lab-presence field /conditions/presence/0/device: device lab-sensor is not a device of site hq' });
    const notify = await site.admin.call('PUT', '/api/rules', { ...base, id: 'tell-lena', actions: [{ type: 'desk.notify', user: lena.id, text: 'x' }] });
    expect(notify.status).toBe(400);
    expect(notify.body.message).toBe(`rule tell-lena field /actions/0/user: user ${lena.id} is not a user of site hq`);
    const saved = (await site.admin.get('/api/rules?siteId=hq')).body as Array<{ id: string }>;
    expect(saved.map((r) => r.id)).toEqual(['probe-lab']);
  });

  it('does not let a dry run of hq learn whether lab\'s device is online', async () => {
    await device('hall-sensor', 'hq');
    const run = await site.admin.post('/api/rules/dry-run', { deviceId: 'hall-sensor', topic: 'portier/hq/hall-sensor/event', payload: { type: 'motion', value: true } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toContainEqual(expect.objectContaining({ rule: 'probe-lab', fires: false, reasons: ['device lab-sensor is not a device of site hq'] }));
  });

  it('does not notify a user who is no longer a user of the rule\'s site when the rule fires', async () => {
    // Lena also works at hq when the rule is saved, then leaves hq.
    expect((await site.admin.post(`/api/users/${lena.id}/roles`, { roleId: 'host', siteId: 'hq' })).status).toBe(200);
    const put = await site.admin.call('PUT', '/api/rules', {
      id: 'motion-notice', site: 'hq', trigger: { topic: 'portier/hq/hall-sensor/event', when: { type: 'motion' } },
      actions: [{ type: 'desk.notify', user: lena.id, text: 'motion in the hall' }, { type: 'desk.notify', user: site.users.anna!.id, text: 'motion in the hall' }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect((await site.admin.call('DELETE', `/api/users/${lena.id}/roles`, { roleId: 'host', siteId: 'hq' })).status).toBe(200);

    const lenaDesk = await connect(gw, '/desk', lena.cookie);
    const annaDesk = await connect(gw, '/desk', site.users.anna!.cookie);
    try {
      const hall = devices.at(-1)!;
      await hall.publishAsync('portier/hq/hall-sensor/event', JSON.stringify({ type: 'motion', value: true }), { qos: 1 });
      // Actions run in order: once Anna has the notice, Lena's turn has passed.
      expect(await next(annaDesk, 'desk.notify')).toEqual({ text: { de: 'motion in the hall', en: 'motion in the hall' } });
      await expect(next(lenaDesk, 'desk.notify', () => true, 0)).rejects.toThrow(/no desk.notify/);
      const fired = (await site.admin.get('/api/audit?action=rule.fire')).body as Array<{ correlation_id: string; target_id: string }>;
      const firing = fired.find((e) => e.target_id === 'motion-notice')!;
      const outcomes = (await site.admin.get(`/api/audit?correlationId=${firing.correlation_id}&action=rule.action.desk.notify`)).body as Array<{ outcome: string; details: string }>;
      expect(outcomes.map((e) => e.outcome).sort()).toEqual(['failed', 'ok']);
      expect(JSON.stringify(outcomes)).toContain(`user ${lena.id} is not a user of site hq`);
    } finally {
      lenaDesk.close();
      annaDesk.close();
    }
  });
});
