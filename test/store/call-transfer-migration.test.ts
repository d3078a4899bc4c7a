// Migration 075-call-transfer on a store written before it: the seeded
// reception and admin roles get call.transfer; hosts and custom roles do not.
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

const BEFORE = Object.keys(migrations).filter((name) => name < '075-call-transfer');

describe('migration 075-call-transfer', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-mig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('grants call.transfer to the existing reception and admin roles only', async () => {
    const path = join(dir, 'portier.db');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const earlier = Object.fromEntries(BEFORE.map((name) => [name, migrations[name]!]));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    expect(error).toBeUndefined();
    const roles: Record<string, string[]> = { host: ['call.answer'], reception: ['call.answer', 'door.unlock'], admin: ['call.answer', 'user.admin'], guard: ['call.answer'] };
    for (const name of ['call.answer', 'door.unlock', 'user.admin']) await sql`INSERT INTO permissions (name, description) VALUES (${name}, ${name}) ON CONFLICT DO NOTHING`.execute(old);
    for (const [id, granted] of Object.entries(roles)) {
      await sql`INSERT INTO roles (id, name, description, builtin) VALUES (${id}, ${id}, ${id}, ${id === 'guard' ? 0 : 1})`.execute(old);
      for (const p of granted) await sql`INSERT INTO role_permissions (role_id, permission) VALUES (${id}, ${p})`.execute(old);
    }
    await old.destroy();

    const store = await Store.open(path);
    try {
      const now = Object.fromEntries((await new Roles(store.db).list()).map((role) => [role.id, role.permissions]));
      expect(now.reception).toEqual(['call.answer', 'call.transfer', 'door.unlock']);
      expect(now.admin).toContain('call.transfer');
      expect(now.host).toEqual(['call.answer']);
      expect(now.guard).toEqual(['call.answer']);
    } finally {
      await store.close();
    }
  });
});
