// A store as an earlier release left it, for the tests of one migration on data written before it:
// a database file migrated up to (not including) that migration, the roles the release had, and a
// fresh directory per test to hold it. Store.open(path) then runs the migrations still to come.
import { afterEach, beforeEach, expect } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect, sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import { migrations } from '../../src/store/migrations/index.ts';
import type { Store } from '../../src/store/index.ts';
import { Roles } from '../../src/access/index.ts';

/**
 * The path of portier.db in a directory made before each test of the describe block that calls this
 * and removed after it (`prefix`: the directory's name in the temp folder).
 */
export function dbPathPerTest(prefix = 'portier-mig-'): () => string {
  let dir = '';
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), prefix)); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return () => join(dir, 'portier.db');
}

/**
 * A new database at `path` with every migration whose name sorts before `next` (e.g. '075-call-transfer'),
 * open for the test to write its old rows; the caller destroys it before it opens the Store.
 */
export async function migratedStoreAt(path: string, next: string): Promise<Kysely<unknown>> {
  const old = new Kysely<unknown>({ dialect: new SqliteDialect({ database: new Database(path) }) });
  const earlier = Object.fromEntries(Object.entries(migrations).filter(([name]) => name < next));
  const { error } = await new Migrator({ db: old, provider: { getMigrations: async () => earlier } }).migrateToLatest();
  expect(error).toBeUndefined();
  return old;
}

/**
 * Writes `roles` (role id → the permissions it holds) as an earlier release seeded them: each permission
 * once (one an earlier migration wrote stays as it is), each role builtin unless it is one of `custom`
 * (a role an administrator made).
 */
export async function writeOldRoles(db: Kysely<unknown>, roles: Record<string, string[]>, custom: string[] = []): Promise<void> {
  for (const name of new Set(Object.values(roles).flat())) {
    await sql`INSERT INTO permissions (name, description) VALUES (${name}, ${name}) ON CONFLICT DO NOTHING`.execute(db);
  }
  for (const [id, granted] of Object.entries(roles)) {
    await sql`INSERT INTO roles (id, name, description, builtin) VALUES (${id}, ${id}, ${id}, ${custom.includes(id) ? 0 : 1})`.execute(db);
    for (const p of granted) await sql`INSERT INTO role_permissions (role_id, permission) VALUES (${id}, ${p})`.execute(db);
  }
}

/** The permissions of each role by id, once the roles are seeded as at start-up (seed() leaves a role that exists as it is). */
export async function seededRoles(store: Store): Promise<Record<string, string[]>> {
  const roles = new Roles(store.db);
  await roles.seed();
  return Object.fromEntries((await roles.list()).map((role) => [role.id, role.permissions]));
}
