// The device hub inside a started gateway: /ready, the admin API (register with
// the secret shown once, list with presence, rotate, revoke, rules, dry run,
// reception unlock) and MQTT over WebSocket at /mqtt on HTTPS and localhost HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { connect, device, closeClient, closedEvent, nextMessage } from '../support/mqtt.ts';

const PASSWORD = 'admin password 123';

describe('device hub in the gateway', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let api: ApiClient;
  let doorId: string;
  let ca: string;
  beforeAll(async () => {
    gw = await startGateway();
    api = new ApiClient(gw.base);
    expect((await api.post('/api/first-run', { token: gw.firstRunToken(), password: PASSWORD })).status).toBe(200);
    expect((await api.post('/api/auth/login', { login: 'admin', password: PASSWORD })).status).toBe(200);
    expect((await api.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    doorId = (await api.post('/api/sites/hq/doors', { name: 'Main entrance' })).body.id;
    ca = (await api.get('/ca.crt')).body;
  });
  afterAll(async () => { await gw?.close(); });

  it('reports mqtt ready with its bound ports in /ready', async () => {
    const { body } = await api.get('/ready');
    expect(body.components.mqtt).toMatchObject({ state: 'ready', ws: '/mqtt', persistence: 'sqlite', sessions: { clients: 0, queued: 0 }, devices: { online: 0 } });
    expect(body.components.mqtt.tcp).toBeGreaterThan(0);
    expect(body.components.mqtt.tls).toBeGreaterThan(0);
  });

  it('registers a device (secret once), connects it over WSS and WS, lists presence, revokes it', async () => {
    const bad = await api.post('/api/devices', { id: 'Door 1', kind: 'door', siteId: 'hq' });
    expect(bad.status).toBe(400);
    const created = await api.post('/api/devices', { id: 'door-1', kind: 'door', siteId: 'hq', doorId });
    expect(created.status).toBe(201);
    const secret: string = created.body.secret;
    expect(secret).toMatch(/^ptr_/);
    expect((await api.post('/api/devices', { id: 'door-1', kind: 'door', siteId: 'hq', doorId })).status).toBe(409);

    const wss = await connect(`wss://localhost:${gw.gateway.services.web.ports.https}/mqtt`, device({ id: 'door-1', secret }, { ca }));
    await closeClient(wss);
    const ws = await connect(`ws://127.0.0.1:${gw.gateway.services.web.ports.http}/mqtt`, device({ id: 'door-1', secret }));
    const cmdTopic = `portier/hq/doors/${doorId}/cmd`;
    await ws.subscribeAsync(cmdTopic, { qos: 1 });
    const list = (await api.get('/api/devices?siteId=hq')).body;
    expect(list).toEqual([expect.objectContaining({ id: 'door-1', kind: 'door', online: true, revoked: false })]);
    expect(JSON.stringify(list)).not.toContain(secret.slice(10));

    // The reception's unlock goes through the outbox; the door's ack settles the request.
    const cmd = nextMessage(ws, cmdTopic);
    const unlock = api.post(`/api/doors/${doorId}/unlock`, { seconds: 5 });
    const { payload } = await cmd;
    await ws.publishAsync('portier/hq/door-1/ack', JSON.stringify({ id: payload.id, result: 'ok' }), { qos: 1 });
    expect((await unlock).body).toEqual({ commandId: payload.id, outcome: 'acknowledged' });

    const closed = closedEvent(ws);
    expect((await api.post('/api/devices/door-1/revoke')).status).toBe(200);
    await closed;
    await closeClient(ws);
  });

  it('edits rules through the API (versioned) and answers a dry run with reasons', async () => {
    expect((await api.post('/api/devices', { id: 'sensor-1', kind: 'sensor', siteId: 'hq' })).status).toBe(201);
    const rule = { id: 'motion-desk', site: 'hq', trigger: { topic: 'portier/hq/sensor-1/event', when: { type: 'motion' } }, actions: [{ type: 'desk.notify', role: 'reception', text: 'motion' }] };
    const put = await api.call('PUT', '/api/rules', rule);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ id: 'motion-desk', version: 1, source: 'store' });
    const bad = await api.call('PUT', '/api/rules', { ...rule, actions: [{ type: 'door.unlock', door: 'x' }] });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/\/actions\/0\/seconds/);
    const dry = await api.post('/api/rules/dry-run', { deviceId: 'sensor-1', topic: 'portier/hq/sensor-1/event', payload: { type: 'button' } });
    expect(dry.body.find((e: { rule: string }) => e.rule === 'motion-desk')).toMatchObject({ fires: false, reasons: [expect.stringMatching(/payload type = "button"/)] });
    const yes = await api.post('/api/rules/dry-run', { deviceId: 'sensor-1', topic: 'portier/hq/sensor-1/event', payload: { type: 'motion' } });
    expect(yes.body.find((e: { rule: string }) => e.rule === 'motion-desk')).toMatchObject({ fires: true, actions: ['desk.notify'] });
    const audit = (await api.get('/api/audit?action=rule.write')).body;
    expect(audit[0]).toMatchObject({ target_id: 'motion-desk', outcome: 'ok' });
  });
});
