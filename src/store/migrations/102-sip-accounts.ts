// SIP accounts an admin keeps in the admin page (issue 13, "Signaling"): what the
// config file's sip.accounts[] says, one column each, with the digest password
// sealed under the master key (the account answers the registrar's challenge with
// it, so it cannot be a hash). Accounts of the config file are not stored here.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const sipAccounts: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('sip_accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('enabled', 'integer', (c) => c.notNull())
      .addColumn('registrar', 'text', (c) => c.notNull())
      .addColumn('secondary_registrars', 'text', (c) => c.notNull())
      .addColumn('transport', 'text', (c) => c.notNull())
      .addColumn('tls_server_name', 'text', (c) => c.notNull())
      .addColumn('tls_ca', 'text', (c) => c.notNull())
      .addColumn('srtp', 'text', (c) => c.notNull())
      .addColumn('username', 'text', (c) => c.notNull())
      .addColumn('auth_username', 'text', (c) => c.notNull())
      .addColumn('sealed_password', 'text', (c) => c.notNull())
      .addColumn('domain', 'text', (c) => c.notNull())
      .addColumn('expires', 'integer')
      .addColumn('outbound_proxy', 'text', (c) => c.notNull())
      .addColumn('local_port', 'integer')
      .addColumn('door_code', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
