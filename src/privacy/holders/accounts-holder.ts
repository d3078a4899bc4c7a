// Accounts and sessions (src/access) as a holder of personal data: login,
// display name, e-mail; sessions' and one-time links' times; role assignments.
import type { Store } from '../../store/index.ts';
import type { AuditLog, Actor } from '../../audit/index.ts';
import { ConflictError } from '../../core/index.ts';
import { keepingAnAdmin } from '../../access/index.ts';
import { auditedPrune } from '../audited-prune.ts';
import { DAY_MS, type Counts, type DataCategory, type PersonalDataHolder, type Subject } from '../contract.ts';

const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());

export class CannotEraseSelfError extends ConflictError {
  constructor() {
    super('you cannot erase your own account; another admin must / das eigene Konto kann nicht gelöscht werden, das muss ein anderer Admin tun');
    this.name = 'CannotEraseSelfError';
  }
}

export class AccountsHolder implements PersonalDataHolder {
  readonly name = 'accounts';
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #sessionDays: number;

  readonly #sessionsEnded: (userId: string) => void;

  constructor(deps: { store: Store; audit: AuditLog; sessionRetentionDays: number; sessionsEnded?: (userId: string) => void }) {
    this.#store = deps.store;
    this.#sessionsEnded = deps.sessionsEnded ?? (() => undefined);
    this.#audit = deps.audit;
    this.#sessionDays = deps.sessionRetentionDays;
  }

  describe(): DataCategory[] {
    return [
      {
        category: 'accounts', where: 'users; role_assignments (principal_id)', fields: ['login', 'display_name', 'email', 'password_hash', 'locked_until', 'created_at', 'updated_at', 'sso_subject'],
        purpose: 'Sign-in of desk users and admins, and what they may do', retentionKey: 'none: kept until the account is erased', retentionDays: null, subjects: ['user'],
      },
      {
        category: 'sessions', where: 'sessions; one_time_links', fields: ['user_id', 'created_at', 'last_seen_at', 'expires_at', 'used_at'],
        purpose: 'Keeping a signed-in user signed in; first-run and password-reset links',
        retentionKey: 'privacy.retention_days.sessions (days after expiry)', retentionDays: this.#sessionDays, subjects: ['user'],
      },
    ];
  }

  async export(subject: Subject): Promise<Record<string, unknown>> {
    if (subject.kind !== 'user') return { account: null, sessions: [], roleAssignments: [], oneTimeLinks: [] };
    const db = this.#store.db;
    const user = await db.selectFrom('users').selectAll().where('id', '=', subject.id).executeTakeFirst();
    const sessions = await db.selectFrom('sessions').select(['created_at', 'last_seen_at', 'expires_at']).where('user_id', '=', subject.id).orderBy('created_at').execute();
    const links = await db.selectFrom('one_time_links').select(['purpose', 'created_at', 'expires_at', 'used_at']).where('user_id', '=', subject.id).orderBy('created_at').execute();
    const roles = await db.selectFrom('role_assignments').select(['role_id', 'site_id'])
      .where('principal_type', '=', 'user').where('principal_id', '=', subject.id).execute();
    return {
      // The password hash is a secret, not information about the person: only whether there is one.
      account: user ? {
        id: user.id, login: user.login, displayName: user.display_name, email: user.email, hasPassword: user.password_hash !== null,
        ssoSubject: user.sso_subject, disabled: user.disabled === 1, lockedUntil: iso(user.locked_until), createdAt: iso(user.created_at), updatedAt: iso(user.updated_at),
      } : null,
      sessions: sessions.map((s) => ({ createdAt: iso(s.created_at), lastSeenAt: iso(s.last_seen_at), expiresAt: iso(s.expires_at) })),
      roleAssignments: roles.map((r) => ({ roleId: r.role_id, siteId: r.site_id })),
      oneTimeLinks: links.map((l) => ({ purpose: l.purpose, createdAt: iso(l.created_at), expiresAt: iso(l.expires_at), usedAt: iso(l.used_at) })),
    };
  }

  /** Deletes the account with its sessions, links and role assignments; nobody erases the account they are signed in with, nor the last admin. */
  async erase(subject: Subject, by: Actor): Promise<Counts> {
    if (subject.kind !== 'user') return {};
    if (by.type === 'user' && by.id === subject.id) throw new CannotEraseSelfError();
    const counts = await this.#store.transaction(async (tx) => {
      const sessions = await tx.deleteFrom('sessions').where('user_id', '=', subject.id).executeTakeFirst();
      const links = await tx.deleteFrom('one_time_links').where('user_id', '=', subject.id).executeTakeFirst();
      // Refused (user.last-admin) when the account is the installation's last admin: nobody could sign in to assign roles again.
      const [roles, users] = await keepingAnAdmin(tx, async () => [
        await tx.deleteFrom('role_assignments').where('principal_type', '=', 'user').where('principal_id', '=', subject.id).executeTakeFirst(),
        await tx.deleteFrom('users').where('id', '=', subject.id).executeTakeFirst(),
      ] as const);
      return {
        accounts: Number(users.numDeletedRows), sessions: Number(sessions.numDeletedRows),
        oneTimeLinks: Number(links.numDeletedRows), roleAssignments: Number(roles.numDeletedRows),
      };
    });
    // After the commit: an open desk socket of the erased user must not keep receiving the queue.
    this.#sessionsEnded(subject.id);
    return counts;
  }

  /** Sessions and one-time links expired longer ago than the sessions' retention. */
  async prune(now: number): Promise<Counts> {
    const before = now - this.#sessionDays * DAY_MS;
    return auditedPrune(this.#store, this.#audit, this.name, { sessionDays: this.#sessionDays }, async (tx) => {
      const sessions = await tx.deleteFrom('sessions').where('expires_at', '<', before).executeTakeFirst();
      const links = await tx.deleteFrom('one_time_links').where('expires_at', '<', before).executeTakeFirst();
      return { sessions: Number(sessions.numDeletedRows), oneTimeLinks: Number(links.numDeletedRows) };
    });
  }
}
