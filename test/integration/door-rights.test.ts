// Who opens which door (issue 11, item 8): a call's participant opens the
// calling terminal's door during the call; any door of a site through the API
// is the reception's and admins' right (door.unlock), for at most
// device_hub.max_unlock_seconds. A real door controller (mqtt.js) acknowledges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

const PASSWORD = 'a long enough password';

describe('door rights', () => {
  let gw: Gw;
  let site: SiteFixture;
  let door: mqtt.MqttClient;
  const commands: Array<{ id: string; seconds: number }> = [];
  const as = (cookie: string) => Object.assign(new ApiClient(gw.base), { cookie });

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_DEVICE_HUB__MAX_UNLOCK_SECONDS: '20' });
    site = await seedSite(gw);
    const registered = await site.admin.post('/api/devices', { id: 'lobby-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const ready = (await site.admin.get('/ready')).body;
    door = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, {
      username: 'lobby-door', password: registered.body.secret, clientId: 'lobby-door', reconnectPeriod: 0,
    });
    await door.subscribeAsync(`portier/hq/doors/${site.doorId}/cmd`, { qos: 1 });
    door.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as { id: string; seconds: number };
      commands.push(command);
      void door.publishAsync('portier/hq/lobby-door/ack', JSON.stringify({ id: command.id, result: 'ok' }), { qos: 1 });
    });
  });
  afterAll(async () => {
    await door?.endAsync(true);
    await gw?.close();
  });

  it('refuses a host the API unlock (403) and sends nothing to the door', async () => {
    const res = await as(site.users.anna!.cookie).post(`/api/doors/${site.doorId}/unlock`, { seconds: 5 });
    expect(res.status).toBe(403);
    expect(res.body).toEqual({ error: 'forbidden', reason: 'permission.missing', params: { permission: 'door.unlock' }, message: 'requires permission door.unlock on site hq' });
    const audit = (await site.admin.get('/api/audit?action=door.unlock')).body as unknown[];
    expect(audit).toEqual([]);
    expect(commands).toEqual([]);
  });

  it('lets the reception unlock through the API within the configured bound, and refuses more (400 invalid)', async () => {
    const rita = as(site.users.rita!.cookie);
    const tooLong = await rita.post(`/api/doors/${site.doorId}/unlock`, { seconds: 21 });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('invalid');
    expect(tooLong.body.message).toMatch(/seconds/);
    expect((await rita.post(`/api/doors/${site.doorId}/unlock`, { seconds: 3600 })).status).toBe(400);
    expect(commands).toEqual([]);
    const ok = await rita.post(`/api/doors/${site.doorId}/unlock`, { seconds: 20 });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(ok.body.outcome).toBe('acknowledged');
    expect(commands.map((c) => c.seconds)).toEqual([20]);
  });

  it('lets the host in the call open the calling terminal\'s door, and refuses a host of the same site who is not in it', async () => {
    // Hugo is a host of hq too, at his desk, but the visitor called Anna.
    const hugo = await site.admin.post('/api/users', { login: 'hugo', displayName: 'Hugo', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${hugo.body.id}/roles`, { roleId: 'host', siteId: 'hq' })).status).toBe(200);
    const hugoClient = new ApiClient(gw.base);
    expect((await hugoClient.post('/api/auth/login', { login: 'hugo', password: PASSWORD })).status).toBe(200);

    const anna = await connect(gw, '/desk', site.users.anna!.cookie);
    const other = await connect(gw, '/desk', hugoClient.cookie!);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    try {
      const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
      await next(anna, 'call.ring');
      expect(await ack(anna, 'call.answer', { callId })).toMatchObject({ ok: true, terminal: { hasDoor: true } });

      const refused = await ack(other, 'door.open', { callId });
      expect(refused).toMatchObject({ ok: false, error: 'forbidden' });
      expect(commands).toHaveLength(1); // the reception's, from the test before

      expect(await ack(anna, 'door.open', { callId })).toEqual({ ok: true, outcome: 'acknowledged' });
      expect(commands).toHaveLength(2);
      const audit = (await site.admin.get(`/api/audit?correlationId=${callId}&action=door.open`)).body as Array<{ actor_id: string; outcome: string }>;
      expect(audit.map((e) => [e.actor_id, e.outcome]).sort()).toEqual([[hugo.body.id, 'denied'], [site.users.anna!.id, 'ok']].sort());
      await ack(anna, 'call.hangup', { callId });
    } finally {
      anna.close();
      other.close();
      terminal.close();
    }
  });

  it('lets a rule open a door only for a writer holding door.unlock, and within the bound', async () => {
    // Rules writer of hq without door.unlock: rules.write alone opens no door.
    const role = await site.admin.post('/api/roles', { name: 'rule-writer', description: 'writes rules', permissions: ['rules.write'] });
    const user = await site.admin.post('/api/users', { login: 'ruth', displayName: 'Ruth', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: 'hq' })).status).toBe(200);
    const ruth = new ApiClient(gw.base);
    expect((await ruth.post('/api/auth/login', { login: 'ruth', password: PASSWORD })).status).toBe(200);
    const rule = (seconds: number) => ({
      id: 'button-opens', site: 'hq', trigger: { topic: 'portier/hq/lobby-door/state', when: { state: 'closed' } },
      actions: [{ type: 'desk.notify', role: 'reception', text: 'x' }, { type: 'door.unlock', door: site.doorId, seconds }],
    });
    const refused = await ruth.call('PUT', '/api/rules', rule(5));
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe('requires permission door.unlock on site hq');
    const tooLong = await site.admin.call('PUT', '/api/rules', rule(3600));
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.message).toBe('rule button-opens field /actions/1/seconds: at most 20 (device_hub.max_unlock_seconds)');
    expect(((await site.admin.get('/api/rules?siteId=hq')).body as Array<{ id: string }>).map((r) => r.id)).not.toContain('button-opens');
    expect((await site.admin.call('PUT', '/api/rules', rule(20))).status).toBe(200);
  });
});
