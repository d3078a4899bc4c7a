// Device ids and credential ids become disjoint: a device id shaped like a UUID
// (the shape of every credential id, an integration's MQTT client id) is renamed
// to "device-<uuid>" with an audit entry, so it can no longer take over an
// integration's MQTT session. The gateway starts either way (doors must keep
// working); the renamed device connects again once its client id is changed.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

const UUID_GLOB = '[0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F][0-9a-fA-F]-*';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Rules name devices in their trigger topics (portier/<site>/<device>/…) and presence
 * conditions: a rule naming the old id would silently stop matching. A UUID cannot
 * occur by accident in a rule's text, so every occurrence is the device: each such
 * rule gets the new id as a new version (its history keeps the old one).
 */
async function renameInRules(db: Kysely<any>, from: string, to: string): Promise<string[]> {
  const now = Date.now();
  const rules = await sql<{ id: string; version: number; definition: string }>`
    SELECT id, version, definition FROM rules WHERE instr(definition, ${from}) > 0`.execute(db);
  for (const rule of rules.rows) {
    const definition = rule.definition.replaceAll(from, to);
    await sql`UPDATE rules SET definition = ${definition}, version = ${rule.version + 1}, updated_at = ${now} WHERE id = ${rule.id}`.execute(db);
    await sql`INSERT INTO rule_versions (rule_id, version, definition, actor_type, actor_id, at)
      VALUES (${rule.id}, ${rule.version + 1}, ${definition}, 'system', NULL, ${now})`.execute(db);
  }
  return rules.rows.map((r) => r.id);
}

export const deviceIds: Migration = {
  async up(db: Kysely<any>): Promise<void> {
    const rows = await sql<{ id: string; site_id: string; credential_id: string }>`
      SELECT id, site_id, credential_id FROM devices WHERE id GLOB ${UUID_GLOB}`.execute(db);
    for (const row of rows.rows.filter((r) => UUID.test(r.id))) {
      let renamed = `device-${row.id}`;
      for (let n = 2; (await sql`SELECT 1 FROM devices WHERE id = ${renamed}`.execute(db)).rows.length > 0; n++) renamed = `device-${row.id}-${n}`;
      await sql`UPDATE devices SET id = ${renamed} WHERE id = ${row.id}`.execute(db);
      await sql`UPDATE door_states SET device_id = ${renamed} WHERE device_id = ${row.id}`.execute(db);
      await sql`UPDATE credentials SET attributes = json_set(attributes, '$.deviceId', ${renamed})
        WHERE id = ${row.credential_id} AND json_valid(attributes)`.execute(db);
      const rules = await renameInRules(db, row.id, renamed);
      await sql`INSERT INTO audit_log (at, actor_type, actor_id, action, target_type, target_id, outcome, site_id, details)
        VALUES (${Date.now()}, 'system', NULL, 'device.rename', 'device', ${renamed}, 'ok', ${row.site_id},
          ${JSON.stringify({ from: row.id, to: renamed, rules, why: 'a device id must not have the shape of a credential id' })})`.execute(db);
    }
  },
};
