// An account's registrar given as a domain (RFC 3263 lite, sip-dns.ts): resolved before
// the first REGISTER and again whenever its TTL has passed; the account takes each new
// list of servers (server-registration.ts keeps the one in use if it is still there).
import type { Logger } from 'pino';
import type { Clock } from '../core/index.ts';
import type { HostPort } from './sip-wire.ts';
import type { SipTransportName } from './settings.ts';
import type { SipDns } from './sip-dns.ts';
import { serverName } from './server-pool.ts';

export interface RegistrarDomainOptions {
  accountId: string;
  domain: string;
  transport: SipTransportName;
  /** 5060, 5061 for TLS: the domain's own port when it has no SRV records. */
  defaultPort: number;
  dns: SipDns;
  clock: Clock;
  logger: Logger;
  /** After a failed lookup (a resolver that does not answer), the next one after this long. */
  retryMs: number;
  /** A new list of servers (SRV targets in order, else the domain itself): the account takes it. */
  apply(servers: HostPort[]): void;
}

export class RegistrarDomain {
  readonly #opts: RegistrarDomainOptions;
  #timer?: NodeJS.Timeout;
  /** The list last applied (host:port, in order): the same list again changes nothing. */
  #applied = '';
  #closed = false;
  /** Lookups so far, and the ones that failed (tests and logs read them). */
  lookups = 0;
  failures = 0;

  constructor(opts: RegistrarDomainOptions) {
    this.#opts = opts;
  }

  /** Resolves now, applies a changed list, and arms the next lookup (at the TTL's end, or after retryMs when it failed). */
  async resolve(): Promise<void> {
    const { dns, domain, transport, defaultPort, clock, logger, accountId } = this.#opts;
    if (this.#closed) return;
    this.#clear();
    let next = this.#opts.retryMs;
    this.lookups++;
    try {
      const resolved = await dns.servers(domain, transport, defaultPort);
      if (this.#closed) return;
      next = resolved.ttlMs;
      const names = resolved.servers.map(serverName).join(', ');
      if (names !== this.#applied) {
        this.#applied = names;
        logger.info({ account: accountId, domain, srv: resolved.srv, servers: names },
          resolved.srv ? 'sip: the registrar domain\'s SRV records name these servers / SRV-Einträge der Registrar-Domain nennen diese Server'
            : 'sip: the registrar domain has no SRV records, its own address is used / Registrar-Domain ohne SRV-Einträge, ihre eigene Adresse gilt');
        this.#opts.apply(resolved.servers);
      }
    } catch (error) {
      if (this.#closed) return;
      this.failures++;
      logger.warn({ account: accountId, domain, err: error }, 'sip: the registrar domain could not be resolved / Registrar-Domain nicht auflösbar');
    }
    this.#timer = clock.setTimeout(() => {
      this.#timer = undefined;
      void this.resolve();
    }, next);
  }

  #clear(): void {
    if (this.#timer) this.#opts.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#clear();
  }
}
