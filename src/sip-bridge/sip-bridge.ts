// The SIP bridge component: one SipAccount per configured account, their
// registration states in /ready, closed together.
import type { Logger } from 'pino';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import { SipAccount, type IncomingCall, type SipAccountStatus } from './sip-account.ts';
import type { SipSettings } from './settings.ts';

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
  readonly #accounts: SipAccount[];
  readonly #logger: Logger;
  #closed = false;

  constructor(opts: SipBridgeOptions) {
    super();
    this.#logger = opts.logger;
    this.#accounts = opts.settings.accounts.map((account) => new SipAccount({ account, settings: opts.settings, clock: opts.clock, logger: opts.logger }));
    for (const account of this.#accounts) {
      account.on('state', (status) => this.safeEmit('account', status));
      account.on('invite', (incoming) => this.safeEmit('invite', incoming, account));
    }
  }

  get closed(): boolean { return this.#closed; }
  get accounts(): readonly SipAccount[] { return this.#accounts; }

  account(id: string): SipAccount | undefined {
    return this.#accounts.find((a) => a.id === id);
  }

  /** Binds every account's socket and starts registering; registration outcomes arrive as events. */
  async start(): Promise<void> {
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
    await Promise.all(this.#accounts.map((a) => a.close()));
  }
}
