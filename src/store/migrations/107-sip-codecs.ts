// An admin's SIP account's own audio codecs (sip.accounts[].codecs in the config
// file's spelling): a JSON list such as ["opus","pcma"] in order of preference.
// null: the account takes sip.codecs (every row written before this).
import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const sipCodecs: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.alterTable('sip_accounts').addColumn('codecs', 'text').execute();
  },
};
