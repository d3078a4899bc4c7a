// Roles and permissions as data, assigned to users and credentials per site.
import { randomUUID } from 'node:crypto';
import type { Db, Tx } from '../store/index.ts';
import { ConflictError, ForbiddenError, InvalidError, NotFoundError } from '../core/index.ts';
import { PERMISSIONS, SEEDED_ROLES, isPermission, type Permission } from './permissions.ts';

export interface Principal {
  type: 'user' | 'credential';
  id: string;
}

export interface RoleView {
  id: string;
  name: string;
  description: string;
  builtin: boolean;
  permissions: string[];
}

/** How many enabled users hold user.admin on every site: who can still hand out roles (and so undo any mistake). */
async function adminCount(db: Db): Promise<number> {
  const row = await db.selectFrom('role_assignments as a')
    .innerJoin('role_permissions as p', 'p.role_id', 'a.role_id')
    .innerJoin('users as u', 'u.id', 'a.principal_id')
    .select((eb) => eb.fn.count<number>('a.principal_id').distinct().as('n'))
    .where('a.principal_type', '=', 'user').where('a.site_id', 'is', null)
    .where('p.permission', '=', 'user.admin').where('u.disabled', '=', 0)
    .executeTakeFirstOrThrow();
  return Number(row.n);
}

/**
 * Runs `change` in `tx` and refuses it (409 user.last-admin; the caller's
 * transaction rolls back) when it took away the installation's last admin: an
 * enabled user with user.admin on every site. Nobody could assign a role again
 * (an API token cannot sign in to the admin page). An installation that had no
 * such admin before (set up through tokens) is not refused anything.
 * Two such changes at once leave one admin because the store is SQLite, which runs
 * one write transaction at a time (no PostgreSQL dialect yet). A PostgreSQL store
 * must take a lock both contend for here (SELECT … FOR UPDATE on the admins'
 * role_assignments, or SERIALIZABLE for the change): under READ COMMITTED both
 * would count 2 before and 1 after and commit (write skew). An SSO sign-in
 * rewrites a user's roles outside this check: the identity provider is
 * authoritative (docs/security.md).
 */
export async function keepingAnAdmin<T>(tx: Tx, change: () => Promise<T>): Promise<T> {
  const before = await adminCount(tx);
  const result = await change();
  if (before > 0 && (await adminCount(tx)) === 0) {
    throw new ConflictError('this is the last admin of the installation (user.admin on every site); make another user admin first',
      { reason: 'user.last-admin' });
  }
  return result;
}

export class Roles {
  readonly #db: Db;

  constructor(db: Db) {
    this.#db = db;
  }

  /** Makes sure every known permission and the seeded roles exist (idempotent). */
  async seed(): Promise<void> {
    await this.#db.transaction().execute(async (tx) => {
      for (const [name, description] of Object.entries(PERMISSIONS)) {
        await tx.insertInto('permissions').values({ name, description })
          .onConflict((oc) => oc.column('name').doUpdateSet({ description })).execute();
      }
      for (const role of SEEDED_ROLES) {
        const exists = await tx.selectFrom('roles').select('id').where('id', '=', role.id).executeTakeFirst();
        if (exists) continue;
        await tx.insertInto('roles').values({ id: role.id, name: role.name, description: role.description, builtin: 1 }).execute();
        await this.#setPermissions(tx, role.id, role.permissions);
      }
    });
  }

  async #setPermissions(tx: Tx, roleId: string, permissions: readonly string[]): Promise<void> {
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length) throw new InvalidError(`unknown permissions: ${unknown.join(', ')}`);
    await tx.deleteFrom('role_permissions').where('role_id', '=', roleId).execute();
    for (const permission of new Set(permissions)) {
      await tx.insertInto('role_permissions').values({ role_id: roleId, permission }).execute();
    }
  }

  async list(): Promise<RoleView[]> {
    const roles = await this.#db.selectFrom('roles').selectAll().orderBy('name').execute();
    const grants = await this.#db.selectFrom('role_permissions').selectAll().execute();
    return roles.map((r) => ({
      id: r.id,
      name: r.name,
      description: r.description,
      builtin: r.builtin === 1,
      permissions: grants.filter((g) => g.role_id === r.id).map((g) => g.permission).sort(),
    }));
  }

  /** Creates a role; `by` must hold each of its permissions deployment-wide (see #mayGrant). */
  async create(tx: Tx, by: Principal, input: { name: string; description: string; permissions: string[] }): Promise<string> {
    await this.#mayGrant(tx, by, input.permissions);
    const id = randomUUID();
    await tx.insertInto('roles').values({ id, name: input.name, description: input.description, builtin: 0 }).execute();
    await this.#setPermissions(tx, id, input.permissions);
    return id;
  }

  /**
   * Replaces a role's permissions (seeded roles too); `by` must hold every
   * permission added or removed deployment-wide (see #mayGrant).
   */
  async update(tx: Tx, by: Principal, roleId: string, permissions: string[]): Promise<void> {
    const role = await tx.selectFrom('roles').select('id').where('id', '=', roleId).executeTakeFirst();
    if (!role) throw new NotFoundError(`role ${roleId} not found`);
    const before = new Set((await tx.selectFrom('role_permissions').select('permission').where('role_id', '=', roleId).execute()).map((r) => r.permission));
    const after = new Set(permissions);
    await this.#mayGrant(tx, by, [...after].filter((p) => !before.has(p)).concat([...before].filter((p) => !after.has(p))));
    await keepingAnAdmin(tx, () => this.#setPermissions(tx, roleId, permissions));
  }

  /**
   * Nobody hands out (or takes away) a permission they do not hold: a role
   * applies on every site it is assigned on, so the grant must be deployment-wide.
   */
  async #mayGrant(tx: Tx, by: Principal, permissions: readonly string[]): Promise<void> {
    // Unknown names are refused by #setPermissions (or, being removed, grant nothing).
    const lacking: string[] = [];
    for (const permission of new Set(permissions.filter(isPermission))) {
      if (!(await this.#can(tx, by, permission))) lacking.push(permission);
    }
    if (lacking.length) {
      throw new ForbiddenError(`you may only grant or remove permissions you hold on every site; you lack ${lacking.sort().join(', ')}`,
        { reason: 'role.grant-lacking', params: { permissions: lacking.join(', ') } });
    }
  }

  async assign(tx: Tx, principal: Principal, roleId: string, siteId: string | null): Promise<void> {
    const role = await tx.selectFrom('roles').select('id').where('id', '=', roleId).executeTakeFirst();
    if (!role) throw new NotFoundError(`role ${roleId} not found`, { reason: 'role.not-found', params: { id: roleId } });
    // Assigning a held role again changes nothing (two admins at once, a repeated click).
    let held = tx.selectFrom('role_assignments').select('id')
      .where('principal_type', '=', principal.type).where('principal_id', '=', principal.id).where('role_id', '=', roleId);
    held = siteId === null ? held.where('site_id', 'is', null) : held.where('site_id', '=', siteId);
    if (await held.executeTakeFirst()) return;
    await tx.insertInto('role_assignments').values({
      principal_type: principal.type, principal_id: principal.id, role_id: roleId, site_id: siteId,
    }).execute();
  }

  /** Removes the assignment; refused (409 user.last-admin) when it was the installation's last admin's. */
  async unassign(tx: Tx, principal: Principal, roleId: string, siteId: string | null): Promise<void> {
    let q = tx.deleteFrom('role_assignments')
      .where('principal_type', '=', principal.type).where('principal_id', '=', principal.id)
      .where('role_id', '=', roleId);
    q = siteId === null ? q.where('site_id', 'is', null) : q.where('site_id', '=', siteId);
    await keepingAnAdmin(tx, () => q.execute());
  }

  async assignments(principal: Principal): Promise<Array<{ roleId: string; siteId: string | null }>> {
    const rows = await this.#db.selectFrom('role_assignments').select(['role_id', 'site_id'])
      .where('principal_type', '=', principal.type).where('principal_id', '=', principal.id).execute();
    return rows.map((r) => ({ roleId: r.role_id, siteId: r.site_id }));
  }

  /**
   * Whether the principal holds every permission of the role on that scope:
   * nobody hands out more than they hold (no escalation by role assignment).
   */
  async covers(principal: Principal, roleId: string, siteId: string | null): Promise<boolean> {
    return (await this.lacking(principal, roleId, siteId)).length === 0;
  }

  /** The role's permissions the principal does not hold on that scope (empty: it may hand the role out). */
  async lacking(principal: Principal, roleId: string, siteId: string | null): Promise<string[]> {
    const role = (await this.list()).find((r) => r.id === roleId);
    if (!role) throw new NotFoundError(`role ${roleId} not found`, { reason: 'role.not-found', params: { id: roleId } });
    const missing: string[] = [];
    for (const permission of role.permissions) {
      if (!isPermission(permission) || !(await this.can(principal, permission, siteId ?? undefined))) missing.push(permission);
    }
    return missing;
  }

  /** Users holding the role on the site (an assignment without a site counts everywhere). */
  async members(roleId: string, siteId: string): Promise<string[]> {
    const rows = await this.#db.selectFrom('role_assignments').select('principal_id').distinct()
      .where('principal_type', '=', 'user').where('role_id', '=', roleId)
      .where((eb) => eb.or([eb('site_id', 'is', null), eb('site_id', '=', siteId)])).execute();
    return rows.map((r) => r.principal_id);
  }

  /**
   * Whether the principal holds `permission` on `siteId`. An assignment without
   * a site applies everywhere; `siteId` undefined asks for a deployment-wide grant.
   */
  async can(principal: Principal, permission: Permission, siteId?: string): Promise<boolean> {
    return this.#can(this.#db, principal, permission, siteId);
  }

  /** Whether `can` holds for one of `permissions` deployment-wide or on one of `siteIds`: that question in one query. */
  async canAny(principal: Principal, permissions: readonly Permission[], siteIds: readonly string[]): Promise<boolean> {
    if (permissions.length === 0) return false;
    const row = await this.#db.selectFrom('role_assignments as a')
      .innerJoin('role_permissions as p', 'p.role_id', 'a.role_id')
      .select('a.id')
      .where('a.principal_type', '=', principal.type).where('a.principal_id', '=', principal.id)
      .where('p.permission', 'in', permissions)
      .where((eb) => (siteIds.length === 0 ? eb('a.site_id', 'is', null) : eb.or([eb('a.site_id', 'is', null), eb('a.site_id', 'in', siteIds)])))
      .executeTakeFirst();
    return row !== undefined;
  }

  /** `can` on a given connection: inside a transaction, its own. */
  async #can(db: Db, principal: Principal, permission: Permission, siteId?: string): Promise<boolean> {
    let q = db.selectFrom('role_assignments as a')
      .innerJoin('role_permissions as p', 'p.role_id', 'a.role_id')
      .select('a.id')
      .where('a.principal_type', '=', principal.type).where('a.principal_id', '=', principal.id)
      .where('p.permission', '=', permission);
    q = siteId === undefined
      ? q.where('a.site_id', 'is', null)
      : q.where((eb) => eb.or([eb('a.site_id', 'is', null), eb('a.site_id', '=', siteId)]));
    return (await q.executeTakeFirst()) !== undefined;
  }
}
