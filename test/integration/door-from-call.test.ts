// The desk softphone's "Open door" during a call, end to end: the device hub
// sends the unlock to the real door controller (an mqtt.js client), the door
// acknowledges, the terminal is told, and the audit log carries the call id.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { startGateway } from '../support/gateway.ts';
import { seedSite, connect, ack, next, type Gw, type SiteFixture } from '../support/signaling.ts';

describe('open the door from a call', () => {
  let gw: Gw;
  let site: SiteFixture;
  let door: mqtt.MqttClient;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    const registered = await site.admin.post('/api/devices', { id: 'lobby-door', kind: 'door', siteId: 'hq', doorId: site.doorId });
    expect(registered.status, JSON.stringify(registered.body)).toBe(201);
    const ready = (await site.admin.get('/ready')).body;
    door = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, {
      username: 'lobby-door', password: registered.body.secret, clientId: 'lobby-door', reconnectPeriod: 0,
    });
    await door.subscribeAsync(`portier/hq/doors/${site.doorId}/cmd`, { qos: 1 });
    // The controller: acknowledge every command it receives.
    door.on('message', (_topic, payload) => {
      const command = JSON.parse(payload.toString()) as { id: string };
      void door.publishAsync('portier/hq/lobby-door/ack', JSON.stringify({ id: command.id, result: 'ok' }), { qos: 1 });
    });
  });
  afterAll(async () => {
    await door?.endAsync(true);
    await gw?.close();
  });

  it('unlocks the calling terminal\'s door, tells the terminal and audits it with the call id', async () => {
    const desk = await connect(gw, '/desk', site.users.anna!.cookie);
    const terminal = await connect(gw, '/terminal', site.terminal.cookie);
    const { callId } = await ack(terminal, 'call.start', { entryId: site.entries['Anna Müller'] });
    await next(desk, 'call.ring');
    expect(await ack(desk, 'call.answer', { callId })).toMatchObject({ ok: true, terminal: { hasDoor: true } });
    const command = new Promise<Record<string, unknown>>((resolve) => door.once('message', (_t, p) => resolve(JSON.parse(p.toString()))));

    expect(await ack(desk, 'door.open', { callId })).toEqual({ ok: true, outcome: 'acknowledged' });
    expect(await command).toMatchObject({ action: 'unlock', seconds: 5 });
    expect(await next(terminal, 'door.state')).toEqual({ callId, state: 'opening' });
    expect(await next(terminal, 'door.state')).toEqual({ callId, state: 'open' });
    const audit = await gw.gateway.services.audit.list({ correlationId: callId });
    expect(audit.filter((e) => e.action === 'door.open').map((e) => e.outcome)).toEqual(['ok']);
    expect(audit.some((e) => e.action === 'door.unlock' && e.actor_id === site.users.anna!.id)).toBe(true);

    // Gus is in no call and holds no door.open: he cannot even reach the desk namespace.
    await expect(connect(gw, '/desk', site.users.gus!.cookie)).rejects.toThrow(/call.answer/);
    await ack(desk, 'call.hangup', { callId });
    desk.close();
    terminal.close();
  });
});
