// Per-subject pseudonym keys for the audit log (issue 15, crypto-shredding):
// subject_keys holds one random key per person identifier (a user, a card holder,
// a phone-book entry, a card), sealed under the master key, with the pseudonym
// HMAC(key, kind, id) the audit entries store instead of the id. Erasing the
// person deletes the row, after which no entry can be linked to them again.
// audit_address_keys holds one key per day that seals the admins' addresses in
// audit entries (details.from); the key goes after audit.address_retention_days.
// Entries written before this migration keep their clear ids (changing them
// would break the hash chain and every checkpoint sent off the box); they go
// with the audit retention (docs/privacy.md).
import { sql, type Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

export const subjectKeys: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await db.schema.createTable('subject_keys')
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('subject_id', 'text', (c) => c.notNull())
      .addColumn('holder', 'text')
      .addColumn('sealed_key', 'text', (c) => c.notNull())
      .addColumn('pseudonym', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('subject_keys_pk', ['kind', 'subject_id'])
      .execute();
    await db.schema.createIndex('subject_keys_holder').on('subject_keys').column('holder').where(sql.ref('holder'), 'is not', null).execute();
    await db.schema.createTable('audit_address_keys')
      .addColumn('day', 'integer', (c) => c.primaryKey())
      .addColumn('sealed_key', 'text', (c) => c.notNull())
      .execute();
  },
};
