// Migration 030-door-unlock on a store written before it: the old door.open
// (which let every host open any door through the API) is gone; the seeded
// reception and admin roles hold door.unlock, every other role loses the API unlock.
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

const BEFORE = ['001-foundation', '010-device-hub', '020-calls'];

describe('migration 030-door-unlock', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-mig-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('takes the API unlock from hosts and custom roles and gives door.unlock to reception and admin', async () => {
    const path = join(dir, 'portier.db');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const earlier = Object.fromEntries(BEFORE.map((name) => [name, migrations[name]!]));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    expect(error).toBeUndefined();
    // The roles as the previous release seeded them, plus a custom role an admin made.
    const permissions = ['call.answer', 'door.open', 'phonebook.write', 'report.read', 'audit.read', 'user.admin'];
    for (const name of permissions) await sql`INSERT INTO permissions (name, description) VALUES (${name}, ${name})`.execute(old);
    const roles: Record<string, string[]> = {
      host: ['call.answer', 'door.open'],
      reception: ['call.answer', 'door.open', 'phonebook.write', 'report.read'],
      admin: permissions,
      guard: ['door.open', 'audit.read'],
    };
    for (const [id, granted] of Object.entries(roles)) {
      await sql`INSERT INTO roles (id, name, description, builtin) VALUES (${id}, ${id}, ${id}, ${id === 'guard' ? 0 : 1})`.execute(old);
      for (const p of granted) await sql`INSERT INTO role_permissions (role_id, permission) VALUES (${id}, ${p})`.execute(old);
    }
    await old.destroy();

    const store = await Store.open(path);
    try {
      const r = new Roles(store.db);
      await r.seed();
      const now = Object.fromEntries((await r.list()).map((role) => [role.id, role.permissions]));
      expect(now.host).toEqual(['call.answer']);
      // (075-call-transfer, run later, grants call.transfer to reception too.)
      expect(now.reception).toEqual(['call.answer', 'call.transfer', 'door.unlock', 'phonebook.write', 'report.read']);
      expect(now.admin).toContain('door.unlock');
      expect(now.guard).toEqual(['audit.read']);
      const names = (await store.db.selectFrom('permissions').select('name').execute()).map((p) => p.name);
      expect(names).toContain('door.unlock');
      expect(names).not.toContain('door.open');
    } finally {
      await store.close();
    }
  });
});
