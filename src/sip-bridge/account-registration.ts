// An account's registration state machine: its status (registering, registered, failed,
// unregistered), the refresh and the backoff between tries, the move to the next server
// when one stops answering, and what a keep-alive's outcome means for the binding.
import type { Logger } from 'pino';
import type { Core } from 'sip.js';
import type { Clock } from '../core/index.ts';
import { StreamTransport } from './stream-transport.ts';
import type { SipTransport } from './account-transport.ts';
import type { SipSettings } from './settings.ts';
import { serverName } from './server-pool.ts';
import type { ServerRegistration } from './server-registration.ts';
import type { RegistrationState, FailureReason, SipAccountStatus } from './account-status.ts';

/** Refresh at this share of the granted expiry (sip.js's default, 99 %, leaves too little for retransmissions). */
export const REFRESH_PERCENT = 80;

/** What the state machine asks of its account. */
export interface RegistrationDriver {
  /** Sends a REGISTER to the server in use now (connecting first if need be). */
  register(): void;
  closed(): boolean;
  transport(): SipTransport | undefined;
  /** Tells the account's listeners: its state changed, or a REGISTER succeeded. */
  emit(event: 'state' | 'registered'): void;
}

export interface AccountRegistrationOptions {
  accountId: string;
  /** The status the account starts with ('unregistered'); kept up to date here. */
  status: SipAccountStatus;
  settings: SipSettings;
  clock: Clock;
  logger: Logger;
  servers: ServerRegistration;
  driver: RegistrationDriver;
}

/** The code of a transport's last TLS failure (an untrusted certificate: SELF_SIGNED_CERT_IN_CHAIN …), if any. */
export function tlsFailureOf(transport: SipTransport | undefined): string | undefined {
  const failure = transport instanceof StreamTransport ? transport.tlsFailure : undefined;
  return failure ? String(failure.why.params.code) : undefined;
}

export class AccountRegistration {
  readonly #opts: AccountRegistrationOptions;
  readonly status: SipAccountStatus;
  #retry?: NodeJS.Timeout;
  #failures = 0;
  /** StreamTransport.dialed when the last REGISTER succeeded (#flowLost). */
  #dialedAtRegistration = 0;

  constructor(opts: AccountRegistrationOptions) {
    this.#opts = opts;
    this.status = opts.status;
  }

  /** The server list changed (registrar domain): the status names it. */
  serversChanged(): void {
    const { servers } = this.#opts;
    this.status.servers = servers.pool.servers.map(serverName);
    this.status.server = serverName(servers.active);
  }

  /** A final non-2xx answer to a REGISTER at the server in use. */
  rejected(message: Core.IncomingResponseMessage): void {
    const { statusCode, reasonPhrase } = message;
    const tlsFailure = () => tlsFailureOf(this.#opts.driver.transport());
    // 408 is also what a request without any answer ends with (Timer F).
    if (statusCode === 408) this.failed('timeout');
    else if (statusCode === 503 && tlsFailure()) this.failed('tls', undefined, tlsFailure());
    else if (statusCode === 503 && !message.hasHeader('retry-after')) this.failed('transport', 503, reasonPhrase);
    else this.failed('rejected', statusCode, reasonPhrase);
  }

  registered(expiresSeconds: number): void {
    const { driver, clock, servers } = this.#opts;
    this.#failures = 0;
    const transport = driver.transport();
    if (transport instanceof StreamTransport) this.#dialedAtRegistration = transport.dialed;
    this.clearRetry();
    // Refresh on our clock before sip.js's own timer (99 %) would; each success re-arms both.
    this.#retry = clock.setTimeout(() => {
      this.#retry = undefined;
      driver.register();
    }, expiresSeconds * 10 * REFRESH_PERCENT);
    servers.registered();
    this.status.registrations++;
    this.status.reason = undefined;
    this.status.code = undefined;
    this.status.phrase = undefined;
    this.transition('registered');
    driver.emit('registered');
    this.#armKeepalive();
  }

  failed(reason: FailureReason, code?: number, phrase?: string): void {
    const { driver, servers } = this.#opts;
    if (driver.closed()) return;
    this.status.reason = reason;
    this.status.code = code;
    this.status.phrase = phrase;
    if (this.status.state !== 'failed') {
      this.#opts.logger.warn({ account: this.#opts.accountId, reason, code }, 'sip: registration failed / Registrierung fehlgeschlagen');
    }
    this.transition('failed');
    // The server stopped answering or is overloaded (RFC 3263 §4.3): the next one, at once until each failed.
    const down = reason === 'timeout' || reason === 'transport' || reason === 'tls' || code === 503;
    const next = down ? servers.failed() : undefined;
    if (!next?.moved) return this.scheduleRetry();
    this.status.server = serverName(servers.active);
    if (next.round) this.scheduleRetry();
    else this.scheduleRetry(0);
  }

  /** The primary answered every probe for the hold-down (server-pool.ts): register there again. */
  returnToPrimary(): void {
    const { driver, servers } = this.#opts;
    if (driver.closed()) return;
    this.clearRetry();
    servers.returnToPrimary();
    this.status.server = serverName(servers.active);
    this.transition('registering');
    driver.register();
  }

  clearRetry(): void {
    if (this.#retry) this.#opts.clock.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Registers again after the backoff (retry_min_seconds doubling up to retry_max_seconds), or after `delay`. */
  scheduleRetry(delay?: number): void {
    const { clock, settings, driver } = this.#opts;
    if (driver.closed()) return;
    this.clearRetry();
    this.#opts.servers.stopKeepalive();
    if (delay === undefined) {
      delay = Math.min(settings.retryMaxMs, settings.retryMinMs * 2 ** this.#failures);
      this.#failures++;
    }
    this.#retry = clock.setTimeout(() => {
      this.#retry = undefined;
      driver.register();
    }, delay);
  }

  /**
   * OPTIONS to the server in use: any answer means it is alive; none (Timer F) means register again (elsewhere).
   * An answer that came only after a retransmission means the server missed one: a registrar that restarts
   * (Kamailio without a database) forgets every binding, so the account registers again at once instead of
   * at the next refresh, minutes later.
   */
  #armKeepalive(): void {
    const { driver, servers } = this.#opts;
    servers.keepAlive(() => !driver.closed() && this.status.state === 'registered', (outcome) => {
      if (outcome === 'tls') this.failed('tls', undefined, tlsFailureOf(driver.transport()));
      else if (outcome === 'timeout') this.failed('timeout');
      else if (outcome === 'late') this.#registerAgain('the keep-alive was answered only after a retransmission / Keep-alive erst nach Wiederholung beantwortet');
      else if (this.#flowLost()) this.#registerAgain('the connection the binding was made on closed / die Verbindung der Registrierung wurde geschlossen');
      else this.#armKeepalive();
    });
  }

  /** Over TCP/TLS: a connection opened since the last registration — the one the registrar's binding names is gone. */
  #flowLost(): boolean {
    const transport = this.#opts.driver.transport();
    return transport instanceof StreamTransport && transport.dialed > this.#dialedAtRegistration;
  }

  /** The keep-alive saw a gap at the server in use (a restart): a REGISTER now (its success re-arms refresh and keep-alive). */
  #registerAgain(why: string): void {
    this.#opts.logger.info({ account: this.#opts.accountId, server: this.status.server, why }, 'sip: registering again / registriere erneut');
    this.status.gaps++;
    this.clearRetry();
    this.#opts.driver.register();
  }

  /** The account ended: no failure left to show, state 'unregistered'. */
  ended(): void {
    this.status.reason = undefined;
    this.status.code = undefined;
    this.status.phrase = undefined;
    this.transition('unregistered');
  }

  transition(state: RegistrationState): void {
    if (this.status.state === state) return;
    this.status.state = state;
    this.status.since = this.#opts.clock.now();
    this.#opts.driver.emit('state');
  }
}
