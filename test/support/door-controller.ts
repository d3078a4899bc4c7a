// A door controller for gateway tests: the door registered as a device, an
// mqtt.js client subscribed to its command topic, each command handed out in
// order; it acknowledges when the test says so, or every command at once.
import mqtt from 'mqtt';
import type { ApiClient } from './gateway.ts';

export interface DoorCommand { id: string; action: string; seconds: number; expires_at?: number }

export interface DoorController {
  client: mqtt.MqttClient;
  /** The next command not yet handed out (in the order received). */
  nextCommand(): Promise<DoorCommand>;
  acknowledge(id: string, result?: 'ok' | 'refused'): Promise<unknown>;
  close(): Promise<void>;
}

export async function doorController(
  site: { admin: ApiClient; doorId: string }, deviceId: string, options: { autoAcknowledge?: boolean } = {},
): Promise<DoorController> {
  const registered = await site.admin.post('/api/devices', { id: deviceId, kind: 'door', siteId: 'hq', doorId: site.doorId });
  if (registered.status !== 201) throw new Error(`door device: ${registered.status} ${JSON.stringify(registered.body)}`);
  const ready = (await site.admin.get('/ready')).body;
  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${ready.components.mqtt.tcp}`, {
    username: deviceId, password: registered.body.secret, clientId: deviceId, reconnectPeriod: 0,
  });
  await client.subscribeAsync(`portier/hq/doors/${site.doorId}/cmd`, { qos: 1 });
  const acknowledge = (id: string, result: 'ok' | 'refused' = 'ok') => client.publishAsync(`portier/hq/${deviceId}/ack`, JSON.stringify({ id, result }), { qos: 1 });
  const received: DoorCommand[] = [];
  const waiting: Array<(c: DoorCommand) => void> = [];
  client.on('message', (_topic, payload) => {
    const command = JSON.parse(payload.toString()) as DoorCommand;
    if (options.autoAcknowledge) void acknowledge(command.id);
    const w = waiting.shift();
    if (w) w(command); else received.push(command);
  });
  return {
    client,
    nextCommand: () => new Promise<DoorCommand>((resolve) => { const c = received.shift(); if (c) resolve(c); else waiting.push(resolve); }),
    acknowledge,
    close: () => client.endAsync(true),
  };
}
