// Splits the old `door.open` permission (issue 11, rights): opening any door of
// a site through the API is now `door.unlock`, held by the seeded reception and
// admin roles; a call's own participants open the calling terminal's door by
// being in the call. Every other role loses the API unlock (the seeded host role
// above all): an admin grants `door.unlock` again where a role needs it.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const doorUnlock: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    // Runs before the roles are seeded: the permission row must exist for the grants' foreign key.
    await sql`INSERT INTO permissions (name, description)
      SELECT 'door.unlock', 'Open any door of the site' WHERE NOT EXISTS (SELECT 1 FROM permissions WHERE name = 'door.unlock')`.execute(db);
    await sql`INSERT INTO role_permissions (role_id, permission)
      SELECT r.id, 'door.unlock' FROM roles r WHERE r.id IN ('reception', 'admin')
        AND NOT EXISTS (SELECT 1 FROM role_permissions p WHERE p.role_id = r.id AND p.permission = 'door.unlock')`.execute(db);
    await sql`DELETE FROM role_permissions WHERE permission = 'door.open'`.execute(db);
    await sql`DELETE FROM permissions WHERE name = 'door.open'`.execute(db);
  },
};
