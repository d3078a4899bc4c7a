// What every single sign-on method (oidc.ts, saml.ts) does once the identity provider
// vouched for a person: find the just-in-time user by subject id (or create one),
// re-sync display name and roles from the provider's groups, open a session, audit.
import { randomUUID } from 'node:crypto';
import type { Db } from '../store/index.ts';
import type { AuditLog } from '../audit/index.ts';
import type { Clock } from '../core/index.ts';
import type { Accounts } from './accounts.ts';
import type { Roles } from './roles.ts';

/** Group → role on one site, or on every site (site null). */
export interface GroupRole { group: string; role: string; site: string | null }

/** What every single sign-on method's settings hold: the role map and the limits of pending sign-ins. */
export interface SsoSettings {
  roles: GroupRole[];
  /** A sign-in sent to the identity provider must come back within this. */
  flowMs: number;
  maxPendingFlows: number;
  /** Of those, from one client address: a stranger cannot use up the gateway's pending sign-ins. */
  maxPendingFlowsPerAddress: number;
}

export interface SsoAccountsDeps {
  db: Db;
  accounts: Pick<Accounts, 'create' | 'startSession'>;
  roles: Pick<Roles, 'assign'>;
  audit: AuditLog;
  clock: Clock;
}

/** What the provider said about the person, and how this deployment maps it. */
export interface SsoIdentity {
  method: 'oidc' | 'saml';
  /** As stored in users.sso_subject (unique over every method). */
  subject: string;
  displayName: string;
  groups: string[];
  roleMap: GroupRole[];
}

export type SsoSignInResult =
  | { kind: 'signed-in'; session: { token: string; userId: string; expiresAt: number } }
  | { kind: 'disabled'; userId: string };

/**
 * The user with this subject id (created on first sign-in, with a random login: only
 * the subject id links the account to the person), display name and roles exactly as
 * the provider says now, and a new session. A disabled user gets no session; the
 * refusal is audited here, the caller throws its method's named error.
 */
export async function signInSsoUser(d: SsoAccountsDeps, who: SsoIdentity): Promise<SsoSignInResult> {
  const { db, accounts, roles, audit, clock } = d;
  const result = await db.transaction().execute(async (tx) => {
    const existing = await tx.selectFrom('users').select(['id', 'disabled']).where('sso_subject', '=', who.subject).executeTakeFirst();
    if (existing?.disabled === 1) return { kind: 'disabled', userId: existing.id } as const;
    let userId = existing?.id;
    if (userId) {
      await tx.updateTable('users').set({ display_name: who.displayName, updated_at: clock.now() }).where('id', '=', userId).execute();
    } else {
      userId = await accounts.create(tx, { login: `sso-${randomUUID().replaceAll('-', '')}`, displayName: who.displayName });
      await tx.updateTable('users').set({ sso_subject: who.subject }).where('id', '=', userId).execute();
    }
    const principal = { type: 'user' as const, id: userId };
    await tx.deleteFrom('role_assignments').where('principal_type', '=', 'user').where('principal_id', '=', userId).execute();
    const granted: Array<{ role: string; site: string | null }> = [];
    const skipped: Array<{ role: string; site: string | null }> = [];
    for (const m of who.roleMap.filter((r) => who.groups.includes(r.group))) {
      if (granted.some((g) => g.role === m.role && g.site === m.site)) continue;
      const role = await tx.selectFrom('roles').select('id').where('id', '=', m.role).executeTakeFirst();
      const site = m.site === null || (await tx.selectFrom('sites').select('id').where('id', '=', m.site).executeTakeFirst());
      if (!role || !site) { skipped.push({ role: m.role, site: m.site }); continue; }
      await roles.assign(tx, principal, m.role, m.site);
      granted.push({ role: m.role, site: m.site });
    }
    const session = await accounts.startSession(tx, userId);
    await audit.append({
      actor: principal, action: 'auth.login', outcome: 'ok',
      details: { method: who.method, created: !existing, roles: granted, ...(skipped.length ? { unknownRolesOrSites: skipped } : {}) },
    }, tx);
    return { kind: 'signed-in', session } as const;
  });
  if (result.kind === 'disabled') {
    await audit.append({ actor: { type: 'user', id: result.userId }, action: 'auth.login', outcome: 'denied', details: { method: who.method, reason: 'account-disabled' } });
  }
  return result;
}
