// Migration 060-privacy on a store written before it: the existing admin role
// gets privacy.admin (the seed skips roles that exist), no other role does, and
// audit entries written before stay undeletable except through retention.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { Store } from '../../src/store/index.ts';
import { migrations } from '../../src/store/migrations/index.ts';
import { Roles } from '../../src/access/index.ts';

describe('migration 060-privacy', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-mig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('grants privacy.admin to the existing admin role only, and keeps refusing deletes of earlier audit entries', async () => {
    const path = join(dir, 'portier.db');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const earlier = Object.fromEntries(Object.keys(migrations).filter((n) => n < '060-privacy').map((name) => [name, migrations[name]!]));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    expect(error).toBeUndefined();
    for (const name of ['call.answer', 'user.admin']) await sql`INSERT INTO permissions (name, description) VALUES (${name}, ${name})`.execute(old);
    for (const [id, granted] of Object.entries({ admin: ['call.answer', 'user.admin'], host: ['call.answer'] })) {
      await sql`INSERT INTO roles (id, name, description, builtin) VALUES (${id}, ${id}, ${id}, 1)`.execute(old);
      for (const p of granted) await sql`INSERT INTO role_permissions (role_id, permission) VALUES (${id}, ${p})`.execute(old);
    }
    await sql`INSERT INTO audit_log (at, actor_type, actor_id, action, outcome) VALUES (1, 'user', 'u1', 'user.create', 'ok')`.execute(old);
    await old.destroy();

    const store = await Store.open(path);
    try {
      const roles = new Roles(store.db);
      await roles.seed();
      const now = Object.fromEntries((await roles.list()).map((r) => [r.id, r.permissions]));
      // (075-call-transfer, run later, grants the admin role call.transfer too.)
      expect(now.admin).toEqual(['call.answer', 'call.transfer', 'privacy.admin', 'user.admin']);
      expect(now.host).toEqual(['call.answer']);
      expect(now.reception).not.toContain('privacy.admin');
      await expect(store.db.deleteFrom('audit_log').execute()).rejects.toThrow(/append-only/);
      expect(await store.db.selectFrom('audit_log').select('action').execute()).toEqual([{ action: 'user.create' }]);
    } finally {
      await store.close();
    }
  });
});
