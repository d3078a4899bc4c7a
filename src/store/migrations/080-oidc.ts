// Single sign-on (src/access/oidc.ts): a user signed in through the deployment's
// OpenID provider is found again by the provider's subject id, the only thing
// stored about the provider's account besides the display name and the roles.
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const oidc: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('users').addColumn('sso_subject', 'text').execute();
    // SQLite cannot add a UNIQUE column: a partial unique index does it (local accounts have none).
    await sql`CREATE UNIQUE INDEX users_sso_subject ON users (sso_subject) WHERE sso_subject IS NOT NULL`.execute(db);
  },
};
