// The SIP bridge component: one SipAccount per account (the config file's and the
// admin page's, account-admin.ts), their registration states in /ready, added and
// removed while it runs, closed together.
import type { Logger } from 'pino';
import { ConflictError, TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import { SipAccount, type BindingOutcome, type IncomingCall, type SipAccountStatus } from './sip-account.ts';
import type { SipAccountSettings, SipSettings } from './settings.ts';
import { SipDns } from './sip-dns.ts';

export type SipBridgeEvents = {
  /** An account's registration state changed. */
  account: [SipAccountStatus];
  /** An authenticated inbound call to one of an account's numbers (inbound-guard.ts). */
  invite: [IncomingCall, SipAccount];
};

export interface SipBridgeOptions {
  settings: SipSettings;
  clock: Clock;
  logger: Logger;
}

export class SipBridge extends TypedEmitter<SipBridgeEvents> implements StatusSource {
  readonly name = 'sip';
  readonly #accounts: SipAccount[] = [];
  /** Accounts taken out and still unregistering (remove): close() waits for them, with shutdown's bound. */
  readonly #leaving = new Set<SipAccount>();
  readonly #opts: SipBridgeOptions;
  readonly #logger: Logger;
  /** sip.dns_servers (or the system's resolver) for every account's server names, one address cache for all. */
  readonly #dns: SipDns;
  #started = false;
  #closed = false;

  constructor(opts: SipBridgeOptions) {
    super();
    this.#opts = opts;
    this.#logger = opts.logger;
    this.#dns = new SipDns({ servers: opts.settings.dnsServers ?? [], clock: opts.clock, maxTtlMs: opts.settings.dnsMaxTtlMs ?? 300_000 });
    for (const account of opts.settings.accounts) this.#adopt(account);
  }

  #adopt(settings: SipAccountSettings): SipAccount {
    const { settings: sip, clock, logger } = this.#opts;
    const account = new SipAccount({ account: settings, settings: sip, clock, logger, dns: this.#dns });
    account.on('state', (status) => this.safeEmit('account', status));
    account.on('invite', (incoming) => this.safeEmit('invite', incoming, account));
    this.#accounts.push(account);
    return account;
  }

  /**
   * Adds an account while the bridge runs (an admin's, account-admin.ts): once started, it binds its socket and
   * registers at once. A socket that cannot bind takes it out again and fails the call. An id the bridge runs
   * already is refused (409 sip-account.id-taken): never two accounts registering one id.
   */
  async add(settings: SipAccountSettings): Promise<SipAccount> {
    if (this.#closed) throw new UnavailableError('the SIP bridge is closed');
    if (this.account(settings.id)) throw new ConflictError(`SIP account ${settings.id} runs already`, { reason: 'sip-account.id-taken', params: { id: settings.id } });
    const account = this.#adopt(settings);
    if (!this.#started) return account;
    try {
      await account.start();
    } catch (error) {
      await this.remove(account);
      throw error;
    }
    return account;
  }

  /**
   * Takes this account out (the instance given, not another of its id) and closes it: it unregisters (expires=0),
   * waiting for the un-REGISTER's final answer up to Timer F (SipAccount.leave), and its socket closes.
   * Resolves with what became of its binding. The bridge's close() cuts the wait to shutdown's bound.
   */
  async remove(account: SipAccount): Promise<BindingOutcome> {
    const at = this.#accounts.indexOf(account);
    if (at >= 0) this.#accounts.splice(at, 1);
    this.#leaving.add(account);
    try {
      return await account.leave();
    } finally {
      this.#leaving.delete(account);
    }
  }

  get closed(): boolean { return this.#closed; }
  get accounts(): readonly SipAccount[] { return this.#accounts; }

  account(id: string): SipAccount | undefined {
    return this.#accounts.find((a) => a.id === id);
  }

  /** Binds every account's socket and starts registering; registration outcomes arrive as events. */
  async start(): Promise<void> {
    this.#started = true;
    await Promise.all(this.#accounts.map((a) => a.start()));
  }

  /** ready when every account is registered; degraded while one is not; disabled without accounts. */
  status(): ComponentStatus {
    if (this.#closed) return { state: 'closed' };
    if (this.#accounts.length === 0) return { state: 'disabled', reason: 'no SIP account configured' };
    const accounts = this.#accounts.map((a) => a.status());
    return { state: accounts.every((a) => a.state === 'registered') ? 'ready' : 'degraded', accounts };
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#logger.error({ event, err: error }, 'sip: a listener threw');
  }

  /** Unregisters and closes every account (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#accounts, ...this.#leaving].map((a) => a.close()));
    this.#dns.close();
  }
}
