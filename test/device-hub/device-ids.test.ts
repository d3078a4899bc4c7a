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
    // A rule of that time naming the device in its trigger topic and a presence condition.
    const rule = { trigger: { topic: `portier/hq/${uuid}/event` }, conditions: { presence: [{ device: uuid, online: true }] }, actions: [] };
    await sql`INSERT INTO rules (id, site_id, version, source, file, enabled, definition, updated_at)
      VALUES ('legacy-rule', 'hq', 3, 'api', NULL, 1, ${JSON.stringify(rule)}, 1)`.execute(db);
    await sql`INSERT INTO rules (id, site_id, version, source, file, enabled, definition, updated_at)
      VALUES ('other-rule', 'hq', 1, 'api', NULL, 1, '{"trigger":{"topic":"portier/hq/door-1/event"}}', 1)`.execute(db);

    await deviceIds.up(db);
    const renamed = `device-${uuid}`;
    expect((await fx.hub.listDevices()).find((d) => d.id === uuid)).toBeUndefined();
    expect(await fx.hub.device(renamed)).toMatchObject({ id: renamed, credentialId: registered.credentialId, kind: 'sensor' });
    expect((await fx.svc.credentials.get(registered.credentialId))?.attributes).toMatchObject({ deviceId: renamed });
    const audit = await sql<{ action: string; target_id: string; details: string }>`
      SELECT action, target_id, details FROM audit_log WHERE action = 'device.rename'`.execute(db);
    expect(audit.rows).toEqual([{ action: 'device.rename', target_id: renamed, details: expect.stringContaining(uuid) }]);
    // The rule follows the device (as a new version); a rule not naming it is untouched.
    const rules = await sql<{ id: string; version: number; definition: string }>`SELECT id, version, definition FROM rules ORDER BY id`.execute(db);
    expect(rules.rows[0]).toMatchObject({ id: 'legacy-rule', version: 4 });
    expect(JSON.parse(rules.rows[0]!.definition)).toEqual({ ...rule, trigger: { topic: `portier/hq/${renamed}/event` }, conditions: { presence: [{ device: renamed, online: true }] } });
    expect(rules.rows[1]).toMatchObject({ id: 'other-rule', version: 1 });
    expect((await sql`SELECT version FROM rule_versions WHERE rule_id = 'legacy-rule'`.execute(db)).rows).toEqual([{ version: 4 }]);
    expect(JSON.parse(audit.rows[0]!.details).rules).toEqual(['legacy-rule']);
    await closeClient(await connect(fx.url.tcp, device({ id: renamed, secret: registered.secret })));
    // Nothing left to rename: a second run changes nothing.
    await deviceIds.up(db);
    expect((await sql`SELECT 1 FROM audit_log WHERE action = 'device.rename'`.execute(db)).rows).toHaveLength(1);
  });
});
