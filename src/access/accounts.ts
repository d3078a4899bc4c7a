// Local user accounts: creation, password login with lock-out, sessions.
import { randomBytes, randomUUID, createHash } from 'node:crypto';
import type { Db, Tx } from '../store/index.ts';
import type { Clock } from '../core/index.ts';
import { ConflictError, InvalidError, LockedError, NotFoundError, UnauthenticatedError } from '../core/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { hashPassword, verifyPassword, passwordProblem } from './password.ts';

export interface AccountPolicy {
  maxFailedLogins: number;
  lockoutMs: number;
  sessionIdleMs: number;
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

export class Accounts {
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #audit: AuditLog;
  readonly #policy: AccountPolicy;

  constructor(deps: { db: Db; clock: Clock; audit: AuditLog; policy: AccountPolicy }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#audit = deps.audit;
    this.#policy = deps.policy;
  }

  async count(): Promise<number> {
    const row = await this.#db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return Number(row.n);
  }

  async create(tx: Tx, input: { login: string; displayName: string; email?: string | null; password?: string }): Promise<string> {
    const login = input.login.trim().toLowerCase();
    if (!/^[a-z0-9._@-]{2,64}$/.test(login)) throw new InvalidError('login: 2-64 characters a-z 0-9 . _ @ -');
    const exists = await tx.selectFrom('users').select('id').where('login', '=', login).executeTakeFirst();
    if (exists) throw new ConflictError(`login ${login} is taken`);
    let passwordHash: string | null = null;
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password);
      if (problem) throw new InvalidError(`password: ${problem}`);
      passwordHash = await hashPassword(input.password);
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
    if (problem) throw new InvalidError(`password: ${problem}`);
    const result = await tx.updateTable('users')
      .set({ password_hash: await hashPassword(password), failed_logins: 0, locked_until: null, updated_at: this.#clock.now() })
      .where('id', '=', userId).executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw new NotFoundError(`user ${userId} not found`);
    // A new password ends every existing session.
    await tx.deleteFrom('sessions').where('user_id', '=', userId).execute();
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

  /** Checks a password; counts failures and locks the account after too many. Returns a session token. */
  async login(login: string, password: string): Promise<{ token: string; userId: string; expiresAt: number }> {
    const now = this.#clock.now();
    const user = await this.#db.selectFrom('users').selectAll().where('login', '=', login.trim().toLowerCase()).executeTakeFirst();
    if (!user || user.password_hash === null || user.disabled === 1) {
      await verifyPassword(password, DUMMY_HASH);
      await this.#audit.append({ actor: { type: 'system', id: null }, action: 'auth.login', outcome: 'denied', details: { reason: 'unknown-or-disabled' } });
      throw new UnauthenticatedError('wrong login or password');
    }
    const actor = { type: 'user' as const, id: user.id };
    if ((user.locked_until ?? 0) > now) {
      await this.#audit.append({ actor, action: 'auth.login', outcome: 'denied', details: { reason: 'locked' } });
      throw new LockedError('account locked after repeated failed logins; try again later');
    }
    if (!(await verifyPassword(password, user.password_hash))) {
      // Counted in one statement, so parallel guesses cannot share one count.
      const counted = await this.#db.updateTable('users').set((eb) => ({ failed_logins: eb('failed_logins', '+', 1) }))
        .where('id', '=', user.id).returning('failed_logins').executeTakeFirstOrThrow();
      const lock = counted.failed_logins >= this.#policy.maxFailedLogins;
      if (lock) {
        await this.#db.updateTable('users').set({ failed_logins: 0, locked_until: now + this.#policy.lockoutMs }).where('id', '=', user.id).execute();
      }
      await this.#audit.append({ actor, action: 'auth.login', outcome: 'denied', details: { reason: 'password', locked: lock } });
      throw new UnauthenticatedError('wrong login or password');
    }
    const token = randomBytes(32).toString('base64url');
    const expiresAt = now + this.#policy.sessionIdleMs;
    await this.#db.transaction().execute(async (tx) => {
      await tx.updateTable('users').set({ failed_logins: 0, locked_until: null }).where('id', '=', user.id).execute();
      await tx.insertInto('sessions').values({ id_hash: sha256(token), user_id: user.id, created_at: now, last_seen_at: now, expires_at: expiresAt }).execute();
      await this.#audit.append({ actor, action: 'auth.login', outcome: 'ok' }, tx);
    });
    return { token, userId: user.id, expiresAt };
  }

  /** Resolves a session token to its user and slides its expiry; undefined when invalid. */
  async session(token: string): Promise<string | undefined> {
    const now = this.#clock.now();
    const row = await this.#db.selectFrom('sessions').innerJoin('users', 'users.id', 'sessions.user_id')
      .select(['sessions.user_id', 'sessions.expires_at', 'users.disabled'])
      .where('sessions.id_hash', '=', sha256(token)).executeTakeFirst();
    if (!row || row.expires_at <= now || row.disabled === 1) return undefined;
    await this.#db.updateTable('sessions').set({ last_seen_at: now, expires_at: now + this.#policy.sessionIdleMs })
      .where('id_hash', '=', sha256(token)).execute();
    return row.user_id;
  }

  async logout(token: string): Promise<void> {
    await this.#db.deleteFrom('sessions').where('id_hash', '=', sha256(token)).execute();
  }
}
