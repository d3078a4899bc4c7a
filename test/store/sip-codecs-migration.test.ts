// Migration 107-sip-codecs on a store written before it: every admin SIP account is
// kept as it was, with codecs null (the account keeps taking sip.codecs), and the
// new column takes an account's own list.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { Store } from '../../src/store/index.ts';
import { migrations } from '../../src/store/migrations/index.ts';

const BEFORE = Object.keys(migrations).filter((name) => name < '107-sip-codecs');

describe('migration 107-sip-codecs', () => {
  let dir: string;
  let path: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'portier-mig-'));
    path = join(dir, 'portier.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps every stored account as it was, its codecs null (sip.codecs); an account\'s own list can then be stored', async () => {
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const earlier = Object.fromEntries(BEFORE.map((name) => [name, migrations[name]!]));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    expect(error).toBeUndefined();
    for (const [id, inbound] of [['pbx-a', null], ['pbx-b', '{"username":"trunk","realm":"","sources":[],"trustRegistrar":false,"numbers":[],"terminals":[]}']] as const) {
      await sql`INSERT INTO sip_accounts (id, enabled, registrar, secondary_registrars, transport, tls_server_name, tls_ca, srtp, username, auth_username,
        sealed_password, domain, expires, outbound_proxy, local_port, door_code, inbound, sealed_inbound_password, created_at, updated_at)
        VALUES (${id}, 1, '127.0.0.1:5060', '[]', 'udp', '', '', 'off', 'lobby', '', 'enc:v1:x', '', NULL, '', NULL, NULL, ${inbound},
        ${inbound === null ? null : 'enc:v1:y'}, 1, 2)`.execute(old);
    }
    await old.destroy();
    const raw = new Database(path);
    const before = raw.prepare('SELECT * FROM sip_accounts ORDER BY id').all() as Array<Record<string, unknown>>;
    raw.close();

    const store = await Store.open(path);
    try {
      const db = store.db.withTables<{ sip_accounts: Record<string, unknown> & { id: string; codecs: string | null } }>();
      expect(await db.selectFrom('sip_accounts').selectAll().orderBy('id').execute()).toEqual(before.map((r) => ({ ...r, codecs: null })));
      await db.updateTable('sip_accounts').set({ codecs: '["opus","pcma"]' }).where('id', '=', 'pbx-a').execute();
      const rows = await db.selectFrom('sip_accounts').select(['id', 'codecs']).orderBy('id').execute();
      expect(rows).toEqual([{ id: 'pbx-a', codecs: '["opus","pcma"]' }, { id: 'pbx-b', codecs: null }]);
    } finally {
      await store.close();
    }
  });
});
