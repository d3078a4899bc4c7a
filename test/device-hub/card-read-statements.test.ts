// What one card read costs the store, counted (a mechanism that holds on a loaded
// machine, unlike its latency): the card lookup, the unlock's transaction (command
// row and both audit entries in one insert) and the ack's transaction — and no
// read of the audit chain's head, which the audit log keeps in memory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, type HubFixture } from '../support/mqtt.ts';
import { countStatements } from '../support/statements.ts';

describe('device hub: statements per card read', () => {
  let fx: HubFixture;
  let reader: MqttClient;
  let door: MqttClient;
  beforeAll(async () => {
    fx = await startHub();
    reader = await connect(fx.url.tcp, device(await fx.register('reader-1', 'card-reader')));
    door = await connect(fx.url.tcp, device(await fx.register('door-1', 'door')));
    await door.subscribeAsync(`portier/hq/doors/${fx.doorId}/cmd`, { qos: 1 });
    door.on('message', (_topic, payload) => door.publish('portier/hq/door-1/ack', JSON.stringify({ id: (JSON.parse(payload.toString()) as { id: string }).id, result: 'ok' }), { qos: 1 }));
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: 'GOOD-1', holderRef: 'user-7', kind: 'employee' });
  });
  afterAll(async () => {
    for (const c of [reader, door]) await closeClient(c);
    await fx?.close();
  });

  const read = async (): Promise<void> => {
    const settled = new Promise<void>((resolve) => fx.hub.observer.once('commandSettled', () => resolve()));
    await reader.publishAsync('portier/hq/reader-1/card', JSON.stringify({ card: 'GOOD-1' }), { qos: 1 });
    await settled;
    await fx.hub.idle();
  };

  it('a card read and its ack run 9 statements, none of them reading the audit log', async () => {
    await read(); // the door's state (none reported) is cached from the first read on
    const statements = countStatements();
    try {
      for (let i = 0; i < 3; i++) {
        await read();
        expect(statements.take()).toEqual({
          'select cards': 1,
          begin: 2, 'insert door_commands': 1, 'insert audit_log': 2, commit: 2, 'update door_commands': 1,
        });
      }
    } finally {
      statements.stop();
    }
    const entries = await fx.svc.store.db.selectFrom('audit_log').select('action').orderBy('seq').execute();
    expect(entries.slice(-12).map((e) => e.action)).toEqual(Array.from({ length: 4 }, () => ['card.read', 'door.unlock', 'door.unlock']).flat());
  });
});
