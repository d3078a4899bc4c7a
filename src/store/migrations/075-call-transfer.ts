// Blind transfer (src/calls): the `call.transfer` permission, granted to the
// seeded reception and admin roles of a store written before it (a fresh store
// gets it from the seed, which runs after the migrations).
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const callTransfer: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`INSERT INTO permissions (name, description)
      SELECT 'call.transfer', 'Hand a call in progress to another phone-book entry (blind transfer)'
      WHERE NOT EXISTS (SELECT 1 FROM permissions WHERE name = 'call.transfer')`.execute(db);
    await sql`INSERT INTO role_permissions (role_id, permission)
      SELECT r.id, 'call.transfer' FROM roles r WHERE r.id IN ('reception', 'admin')
        AND NOT EXISTS (SELECT 1 FROM role_permissions p WHERE p.role_id = r.id AND p.permission = 'call.transfer')`.execute(db);
  },
};
