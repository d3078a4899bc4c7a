// Migration 050-sla on a store written before it: the seeded admin role (which
// seed() never changes once it exists) gets sla.admin, so someone can excuse
// downtime and grant the right to others; reception and custom roles do not.
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

describe('migration 050-sla', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-mig-sla-')); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('grants sla.admin to the existing admin role only', async () => {
    const path = join(dir, 'portier.db');
    const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
    const earlier = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < '050-sla'));
    const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
    expect(error).toBeUndefined();
    for (const name of ['call.answer', 'report.read', 'user.admin']) await sql`INSERT INTO permissions (name, description) VALUES (${name}, ${name})`.execute(old);
    const roles: Record<string, string[]> = { reception: ['call.answer', 'report.read'], admin: ['call.answer', 'report.read', 'user.admin'], auditor: ['report.read'] };
    for (const [id, granted] of Object.entries(roles)) {
      await sql`INSERT INTO roles (id, name, description, builtin) VALUES (${id}, ${id}, ${id}, ${id === 'auditor' ? 0 : 1})`.execute(old);
      for (const p of granted) await sql`INSERT INTO role_permissions (role_id, permission) VALUES (${id}, ${p})`.execute(old);
    }
    await old.destroy();

    const store = await Store.open(path);
    try {
      const r = new Roles(store.db);
      await r.seed();
      const now = Object.fromEntries((await r.list()).map((role) => [role.id, role.permissions]));
      // Later migrations may grant the admin role more; only sla.admin is this one's.
      expect(now.admin).toEqual(expect.arrayContaining(['call.answer', 'report.read', 'sla.admin', 'user.admin']));
      expect(now.reception).not.toContain('sla.admin');
      expect(now.auditor).not.toContain('sla.admin');
    } finally {
      await store.close();
    }
  });
});
