// Device ids and credential ids are disjoint: a device id shaped like a UUID
// (every credential id, an integration's MQTT client id) is refused at CONNECT,
// and migration 035 renames one that an older version let in, with an audit entry.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startHub, connect, device, closeClient, type HubFixture } from '../support/mqtt.ts';
import { deviceIds } from '../../src/store/migrations/035-device-ids.ts';

describe('device ids and credential ids', () => {
  let fx: HubFixture;
  beforeAll(async () => { fx = await startHub(); });
  afterAll(async () => fx?.close());

  it('refuses a UUID-shaped device id at CONNECT, and the migration renames it so it connects again under its new id', async () => {
    const registered = await fx.register('legacy-sensor', 'sensor');
    const uuid = '5f0c2a1e-7b3d-4e8f-9a6b-1c2d3e4f5a6b';
    // What an older version let a site admin register.
    const db = fx.svc.store.db as never;
    await sql`UPDATE devices SET id = ${uuid} WHERE id = 'legacy-sensor'`.execute(db);
    await sql`UPDATE credentials SET attributes = json_set(attributes, '$.deviceId', ${uuid}) WHERE id = ${registered.credentialId}`.execute(db);
    await expect(connect(fx.url.tcp, device({ id: uuid, secret: registered.secret }))).rejects.toMatchObject({ code: 2 });

    await deviceIds.up(db);
    const renamed = `device-${uuid}`;
    expect(await fx.hub.devices.get(uuid)).toBeUndefined();
    expect(await fx.hub.devices.get(renamed)).toMatchObject({ id: renamed, credentialId: registered.credentialId, kind: 'sensor' });
    expect((await fx.svc.credentials.get(registered.credentialId))?.attributes).toMatchObject({ deviceId: renamed });
    const audit = await sql<{ action: string; target_id: string; details: string }>`
      SELECT action, target_id, details FROM audit_log WHERE action = 'device.rename'`.execute(db);
    expect(audit.rows).toEqual([{ action: 'device.rename', target_id: renamed, details: expect.stringContaining(uuid) }]);
    await closeClient(await connect(fx.url.tcp, device({ id: renamed, secret: registered.secret })));
    // Nothing left to rename: a second run changes nothing.
    await deviceIds.up(db);
    expect((await sql`SELECT 1 FROM audit_log WHERE action = 'device.rename'`.execute(db)).rows).toHaveLength(1);
  });
});
