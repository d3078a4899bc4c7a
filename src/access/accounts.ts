// Local user accounts: creation, password login with lock-out, sessions.
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { Db, Tx } from '../store/index.ts';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { ConflictError, InvalidError, NotFoundError, UnauthenticatedError } from '../core/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { passwordProblem, type PasswordHasher } from './password.ts';
import { LoginGuard, type LoginLimits } from './login-guard.ts';

export interface AccountPolicy extends LoginLimits {
  sessionIdleMs: number;
  /** A session ends this long after sign-in however much it is used. */
  sessionMaxMs: number;
}

export interface UserView {
  id: string;
  login: string;
  displayName: string;
  email: string | null;
  disabled: boolean;
  locked: boolean;
  hasPassword: boolean;
}

export const sha256 = (value: string): string => createHash('sha256').update(value).digest('hex');

// A fixed hash verified when the login is unknown, so timing does not reveal accounts.
const DUMMY_HASH = 'scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';

/** A session that ended (logout) or every session of a user (new password): its holders must stop at once. */
export type SessionEnd = { tokenHash: string } | { userId: string };

export type AccountsEvents = {
  sessionended: [SessionEnd];
  /** A password sign-in was refused; `locked`: this failure locked the login out from that address. */
  signinrefused: [{ login: string; reason: 'password' | 'unknown-or-disabled'; locked: boolean }];
};

export class Accounts extends TypedEmitter<AccountsEvents> {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #policy: AccountPolicy;
  readonly #hasher: PasswordHasher;
  readonly #guard: LoginGuard;

  constructor(deps: { db: Db; clock: Clock; audit: AuditLog; hasher: PasswordHasher; policy: AccountPolicy }) {
    super();
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#hasher = deps.hasher;
    this.#policy = deps.policy;
    this.#guard = new LoginGuard(deps.policy, deps.clock);
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async create(tx: Tx, input: { login: string; displayName: string; email?: string | null; password?: string }): Promise<string> {
    const login = input.login.trim().toLowerCase();
    if (!/^[a-z0-9._@-]{2,64}$/.test(login)) throw new InvalidError('login: 2-64 characters a-z 0-9 . _ @ -', { reason: 'user.login-format' });
    const exists = await tx.selectFrom('users').select('id').where('login', '=', login).executeTakeFirst();
    if (exists) throw new ConflictError(`login ${login} is taken`, { reason: 'user.login-taken', params: { login } });
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) throw new InvalidError(`password: ${problem.message}`, problem);
      passwordHash = await this.#hasher.hash(input.password);
    }
    const id = randomUUID();
    const now = this.#clock.now();
    await tx.insertInto('users').values({
      id, login, display_name: input.displayName, email: input.email ?? null, password_hash: passwordHash,
      failed_logins: 0, locked_until: null, disabled: 0, created_at: now, updated_at: now,
    }).execute();
    return id;
  }

  async setPassword(tx: Tx, userId: string, password: string): Promise<void> {
    const problem = passwordProblem(password);
    if (problem) throw new InvalidError(`password: ${problem.message}`, problem);
    const result = await tx.updateTable('users')
      .set({ password_hash: await this.#hasher.hash(password), failed_logins: 0, locked_until: null, updated_at: this.#clock.now() })
      .where('id', '=', userId).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundError(`user ${userId} not found`);
    // A new password ends every existing session.
    await tx.deleteFrom('sessions').where('user_id', '=', userId).execute();
    this.safeEmit('sessionended', { userId });
  }

  /** The user's sessions were deleted by another owner's transaction (erasure): their sockets end now. */
  sessionsEnded(userId: string): void {
    this.safeEmit('sessionended', { userId });
  }

  async get(userId: string): Promise<UserView | undefined> {
    const row = await this.#db.selectFrom('users').selectAll().where('id', '=', userId).executeTakeFirst();
    return row && this.#view(row);
  }

  async list(): Promise<UserView[]> {
    const rows = await this.#db.selectFrom('users').selectAll().orderBy('login').execute();
    return rows.map((r) => this.#view(r));
  }

  #view(r: { id: string; login: string; display_name: string; email: string | null; disabled: number; locked_until: number | null; password_hash: string | null }): UserView {
    return {
      id: r.id, login: r.login, displayName: r.display_name, email: r.email, disabled: r.disabled === 1,
      locked: (r.locked_until ?? 0) > this.#clock.now(), hasPassword: r.password_hash !== null,
    };
  }

  /**
   * Checks a password from a client address and returns a session token. Who may
   * try is decided before hashing (LoginGuard); unknown, disabled and
   * password-less accounts are hashed and counted like real ones, so neither the
   * answer nor its timing tells which accounts exist.
   */
  async login(login: string, password: string, address: string): Promise<{ token: string; userId: string; expiresAt: number }> {
    const name = login.trim().toLowerCase();
    const attempt = this.#guard.admit(name, address);
    try {
      const user = await this.#db.selectFrom('users').selectAll().where('login', '=', name).executeTakeFirst();
      const usable = user && user.password_hash !== null && user.disabled === 0;
      const ok = await this.#hasher.verify(password, usable ? user.password_hash! : DUMMY_HASH);
      if (!usable || !ok) {
        attempt.failed();
        const actor = usable ? { type: 'user' as const, id: user.id } : { type: 'system' as const, id: null };
        const reason = usable ? 'password' : 'unknown-or-disabled';
        await this.#audit.append({ actor, action: 'auth.login', outcome: 'denied', details: { reason, locked: attempt.locked } });
        this.safeEmit('signinrefused', { login: name, reason, locked: attempt.locked });
        throw new UnauthenticatedError('wrong login or password', { reason: 'login.wrong' });
      }
      attempt.succeeded();
      return await this.#db.transaction().execute(async (tx) => {
        const session = await this.startSession(tx, user.id);
        await this.#audit.append({ actor: { type: 'user', id: user.id }, action: 'auth.login', outcome: 'ok' }, tx);
        return session;
      });
    } finally {
      attempt.withdrawn();
    }
  }

  /** Opens a session for a user who proved who they are (password here, single sign-on in oidc.ts); the caller audits. */
  async startSession(tx: Tx, userId: string): Promise<{ token: string; userId: string; expiresAt: number }> {
    const now = this.#clock.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = Math.min(now + this.#policy.sessionIdleMs, now + this.#policy.sessionMaxMs);
    await tx.insertInto('sessions').values({ id_hash: sha256(token), user_id: userId, created_at: now, last_seen_at: now, expires_at: expiresAt }).execute();
    return { token, userId, expiresAt };
  }

  /**
   * Resolves a session token to its user and slides its expiry (never past
   * sessionMaxMs after sign-in); undefined when invalid.
   */
  async session(token: string): Promise<string | undefined> {
    const now = this.#clock.now();
    const row = await this.#db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.user_id', 'sessions.expires_at', 'sessions.created_at', 'users.disabled'])
      .where('sessions.id_hash', '=', sha256(token)).executeTakeFirst();
    const endOfLife = row ? row.created_at + this.#policy.sessionMaxMs : 0;
    if (!row || row.expires_at <= now || endOfLife <= now || row.disabled === 1) return undefined;
    await this.#db.updateTable('sessions').set({ last_seen_at: now, expires_at: Math.min(now + this.#policy.sessionIdleMs, endOfLife) })
      .where('id_hash', '=', sha256(token)).execute();
    return row.user_id;
  }

  /**
   * When a session ends unless it is used again (idle expiry, never past its maximum
   * age), by its token's hash; undefined when it ended, expired or its user is disabled.
   * Reads only: a socket asking does not keep the session alive.
   */
  async sessionEnd(tokenHash: string): Promise<number | undefined> {
    const row = await this.#db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.expires_at', 'sessions.created_at', 'users.disabled'])
      .where('sessions.id_hash', '=', tokenHash).executeTakeFirst();
    if (!row || row.disabled === 1) return undefined;
    const end = Math.min(row.expires_at, row.created_at + this.#policy.sessionMaxMs);
    return end > this.#clock.now() ? end : undefined;
  }

  async logout(token: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
    this.safeEmit('sessionended', { tokenHash: sha256(token) });
  }
}
