// First run: on an empty store create the first admin and a one-time link that
// sets its password. The link goes to a 0600 file, never to the log.
import { randomBytes } from 'node:crypto';
import { writeFileSync, chmodSync, rmSync, mkdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Store } from '../store/index.ts';
import type { Clock } from '../core/index.ts';
import { InvalidError } from '../core/index.ts';
import type { AuditLog } from '../audit/index.ts';
import { sha256, type Accounts } from './accounts.ts';
import type { Roles } from './roles.ts';

export const FIRST_RUN_FILE = 'first-run-link.txt';

export interface FirstRunDeps {
  store: Store;
  accounts: Accounts;
  roles: Roles;
  audit: AuditLog;
  clock: Clock;
  dataDir: string;
  linkTtlMs: number;
}

export class FirstRun {
  readonly #d: FirstRunDeps;

  constructor(deps: FirstRunDeps) {
    this.#d = deps;
  }

  get linkFile(): string {
    return join(this.#d.dataDir, FIRST_RUN_FILE);
  }

  /**
   * Creates the first admin when no user exists and writes the link (built by
   * `linkFor(token)`) to a file only this user can read. Returns the file path,
   * or undefined when the store already has users.
   */
  async ensureAdmin(linkFor: (token: string) => string): Promise<{ file: string; link: string } | undefined> {
    const now = this.#d.clock.now();
    // The first admin exists but never set a password and holds no valid link
    // (expired, or the file was lost): issue a new link instead of locking everyone out.
    const pending = await this.#d.store.db.selectFrom('users').select('id')
      .where('login', '=', 'admin').where('password_hash', 'is', null).executeTakeFirst();
    if (pending) {
      const valid = await this.#d.store.db.selectFrom('one_time_links').select('token_hash')
        .where('user_id', '=', pending.id).where('used_at', 'is', null).where('expires_at', '>', now).executeTakeFirst();
      if (valid && existsSync(this.linkFile)) return undefined;
    } else if ((await this.#d.accounts.count()) > 0) {
      return undefined;
    }
    const token = randomBytes(32).toString('base64url');
    await this.#d.store.transaction(async (tx) => {
      let userId = pending?.id;
      if (!userId) {
        userId = await this.#d.accounts.create(tx, { login: 'admin', displayName: 'Administrator' });
        await this.#d.roles.assign(tx, { type: 'user', id: userId }, 'admin', null);
      }
      await tx.deleteFrom('one_time_links').where('user_id', '=', userId).where('used_at', 'is', null).execute();
      await tx.insertInto('one_time_links').values({
        token_hash: sha256(token), user_id: userId, purpose: 'first-run', created_at: now,
        expires_at: now + this.#d.linkTtlMs, used_at: null,
      }).execute();
      await this.#d.audit.append({ actor: { type: 'system', id: null }, action: 'user.create-first-admin', target: { type: 'user', id: userId }, outcome: 'ok' }, tx);
    });
    const link = linkFor(token);
    mkdirSync(this.#d.dataDir, { recursive: true });
    writeFileSync(this.linkFile, `${link}\n`, { mode: 0o600 });
    chmodSync(this.linkFile, 0o600);
    return { file: this.linkFile, link };
  }

  /** Sets the password through a one-time link; the link dies on first use. */
  async redeem(token: string, password: string): Promise<string> {
    const now = this.#d.clock.now();
    const userId = await this.#d.store.transaction(async (tx) => {
      const link = await tx.selectFrom('one_time_links').selectAll()
        .where('token_hash', '=', sha256(token)).executeTakeFirst();
      if (!link || link.used_at !== null || link.expires_at <= now) {
        throw new InvalidError('this link is invalid, expired or already used');
      }
      // Mark used first, in the same transaction: a failure below rolls both back.
      await tx.updateTable('one_time_links').set({ used_at: now }).where('token_hash', '=', link.token_hash).execute();
      await this.#d.accounts.setPassword(tx, link.user_id, password);
      await this.#d.audit.append({ actor: { type: 'user', id: link.user_id }, action: 'user.set-password', target: { type: 'user', id: link.user_id }, outcome: 'ok', details: { via: link.purpose } }, tx);
      return link.user_id;
    });
    rmSync(this.linkFile, { force: true });
    return userId;
  }
}
