// The inbound part of an admin's SIP account (sip.accounts[].inbound in the config
// file's spelling): the trunk's digest user, realm, sources, numbers and terminals
// as one JSON value, and the trunk's password sealed under the master key like the
// registration's. null: the account takes no calls from its PBX.
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const sipInbound: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sip_accounts').addColumn('inbound', 'text').execute();
    await db.schema.alterTable('sip_accounts').addColumn('sealed_inbound_password', 'text').execute();
  },
};
