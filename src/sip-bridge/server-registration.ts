// An account's registration across its servers (failover, review s22 #7): the sip.js
// registerer for the server in use (a new one after each move), the one it left
// un-registering at its old server (a new REGISTER there waits for it), the keep-alive
// OPTIONS to the server in use, and the return to the primary once server-pool.ts
// says it has answered every probe for the hold-down.
import type { Logger } from 'pino';
import type { Registerer, UserAgent, URI, Core } from 'sip.js';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { formatHost, type HostPort } from './sip-wire.ts';
import { ServerPool, serverName } from './server-pool.ts';
import { RegistrarDomain } from './registrar-domain.ts';
import type { SipDns } from './sip-dns.ts';
import type { SipTransportName } from './settings.ts';

/**
 * What one OPTIONS came back with: any answer, none (Timer F, a failed send, 503) or a TLS refusal;
 * `late`: answered, but only after it was sent again — the server missed a transmission, as one does
 * while it restarts (and forgets its bindings): the account registers again at once.
 */
export type OptionsOutcome = 'answered' | 'late' | 'timeout' | 'tls';

export type ServerRegistrationEvents = {
  /** The primary answered every probe for the hold-down: the account registers there again. */
  primaryBack: [];
  /** The registrar domain resolved to new servers (`registrars`, secondaries left out); `moved`: the one in use is gone. */
  servers: [registrars: HostPort[], moved: boolean];
};

/** The registrar given as a domain (settings.ts registrarDomain): what registrar-domain.ts resolves. */
export interface RegistrarDomainSettings {
  name: string;
  transport: SipTransportName;
  dns: SipDns;
  /** After a failed lookup, the next one after this long. */
  retryMs: number;
}

export interface ServerRegistrationOptions {
  accountId: string;
  /** The primary first, then the secondaries in order. */
  servers: readonly HostPort[];
  clock: Clock;
  logger: Logger;
  /** sip.failback_hold_seconds in ms. */
  holdDownMs: number;
  /** sip.keepalive_seconds in ms: the keep-alive and the primary's probes. */
  keepaliveMs: number;
  /** One OPTIONS to a server (optionsTo below, with the account's user agent). */
  options(server: HostPort): Promise<OptionsOutcome>;
  /** The registrar (servers[0]) is a domain: its SRV targets take its place, looked up again at each TTL's end. */
  domain?: RegistrarDomainSettings;
}

export class ServerRegistration extends TypedEmitter<ServerRegistrationEvents> {
  readonly #opts: ServerRegistrationOptions;
  /** Which server is in use, the moves, the primary's probes (server-pool.ts). */
  readonly pool: ServerPool;
  #registerer?: Registerer;
  /** The server (host:port) #registerer registers at. */
  #registererAt = '';
  /** Registerers of servers the account left, unregistering there: no new REGISTER to that server before it settled. */
  readonly #leaving = new Map<string, Promise<void>>();
  #keepalive?: NodeJS.Timeout;
  readonly #domain?: RegistrarDomain;
  /**
   * Every host the registrar domain's lookups have named (lower case), kept after a later lookup drops it (its
   * un-REGISTER still goes there): over TLS each is verified as the domain, not as itself (review s26 #14).
   */
  readonly #srvTargets = new Set<string>();

  constructor(opts: ServerRegistrationOptions) {
    super();
    this.#opts = opts;
    const d = opts.domain;
    const secondaries = opts.servers.slice(1);
    this.#domain = d && new RegistrarDomain({
      accountId: opts.accountId, domain: d.name, transport: d.transport, defaultPort: opts.servers[0]!.port, dns: d.dns,
      clock: opts.clock, logger: opts.logger, retryMs: d.retryMs,
      apply: (registrars) => {
        for (const r of registrars) this.#srvTargets.add(r.host.toLowerCase());
        this.safeEmit('servers', registrars, this.update([...registrars, ...secondaries]));
      },
    });
    this.pool = new ServerPool({
      servers: opts.servers, clock: opts.clock, holdDownMs: opts.holdDownMs, probeMs: opts.keepaliveMs,
      probe: async (server) => answered(await opts.options(server)),
    });
    this.pool.on('primaryBack', () => this.safeEmit('primaryBack'));
  }

  /** The server in use. */
  get active(): HostPort { return this.pool.active; }
  /** The servers the registrar stands for: its SRV targets, else itself (the pool without the secondaries). */
  get registrars(): HostPort[] {
    const servers = this.pool.servers;
    return servers.slice(0, servers.length - (this.#opts.servers.length - 1));
  }

  /** The registrar domain when `host` is a server its lookups named (an SRV target, or the domain itself), else undefined. */
  srvDomainOf(host: string): string | undefined {
    const domain = this.#opts.domain?.name;
    return domain !== undefined && this.#srvTargets.has(host.toLowerCase()) ? domain : undefined;
  }

  /** Looks the registrar domain up (once before the first REGISTER; then registrar-domain.ts at each TTL's end). */
  async resolve(): Promise<void> {
    await this.#domain?.resolve();
  }
  /** The registerer for the server in use, if one was made since the last move. */
  get registerer(): Registerer | undefined { return this.#registerer; }

  /** The registerer for the server in use: the current one, else `make`'s for that server. */
  registererFor(make: (server: HostPort) => Registerer): Registerer {
    if (this.#registerer) return this.#registerer;
    this.#registererAt = serverName(this.active);
    return this.#registerer = make(this.active);
  }

  /** Our un-REGISTER at the server in use, still under way (we left it before): a new REGISTER waits for it. */
  leavingActive(): Promise<void> | undefined {
    return this.#leaving.get(serverName(this.active));
  }

  /**
   * The server in use stopped answering: on to the next (server-pool.ts), leaving this one.
   * `moved` false: there is no other server; `round`: every server failed in a row (back off).
   */
  failed(): { moved: boolean; round: boolean } {
    const next = this.pool.failed();
    if (next.moved) this.#leave('the active server stopped answering / der aktive Server antwortet nicht mehr');
    return next;
  }

  /**
   * The account's servers resolved anew (sip-dns.ts): true when the one in use is no longer among them —
   * its registerer unregisters there and the next REGISTER goes to the new first server.
   */
  update(servers: readonly HostPort[]): boolean {
    const { moved } = this.pool.replace(servers);
    // A move only once the account used a server (the first lookup, before any REGISTER, is none: nothing to leave or log).
    if (!moved || !this.#registerer) return moved;
    this.pool.switches++;
    this.#leave('the server in use is no longer in the registrar domain\'s DNS records / der genutzte Server steht nicht mehr in den DNS-Einträgen der Registrar-Domain');
    return moved;
  }

  /** Registered at the server in use (server-pool.ts probes the primary while that is a secondary). */
  registered(): void {
    this.pool.registered();
  }

  /** Back to the primary (after primaryBack): the secondary's registerer unregisters there. */
  returnToPrimary(): void {
    this.pool.returnToPrimary();
    this.stopKeepalive();
    this.#leave('the primary server answers again / der primäre Server antwortet wieder');
  }

  /** The account moved: its registerer at the old server unregisters there; the next REGISTER makes a new one. */
  #leave(why: string): void {
    const old = this.#registerer;
    this.#registerer = undefined;
    this.#opts.logger.warn({ account: this.#opts.accountId, server: serverName(this.active), why }, 'sip: the account uses another server / Konto nutzt anderen Server');
    if (!old) return;
    const from = this.#registererAt;
    const leaving: Promise<void> = old.dispose().catch(() => undefined).finally(() => {
      if (this.#leaving.get(from) === leaving) this.#leaving.delete(from);
    });
    this.#leaving.set(from, leaving);
  }

  /**
   * One OPTIONS to the server in use after keepalive_ms; `outcome` hears how it went unless the account
   * moved or `stillWanted` says no by then. The caller arms the next one after an answer.
   */
  keepAlive(stillWanted: () => boolean, outcome: (result: OptionsOutcome) => void): void {
    const { clock, keepaliveMs } = this.#opts;
    this.stopKeepalive();
    this.#keepalive = clock.setTimeout(() => {
      this.#keepalive = undefined;
      if (!stillWanted()) return;
      const server = this.active;
      this.pool.keepaliveSent();
      void this.#opts.options(server).then((result) => {
        this.pool.keepaliveSettled(answered(result));
        if (stillWanted() && server === this.active) outcome(result);
      });
    }, keepaliveMs);
  }

  stopKeepalive(): void {
    if (this.#keepalive) this.#opts.clock.clearTimeout(this.#keepalive);
    this.#keepalive = undefined;
  }

  /** Stops the probes and the keep-alive (the registerers are disposed by the account's close()). */
  stop(): void {
    this.#domain?.close();
    this.pool.close();
    this.stopKeepalive();
  }

  /** Every un-REGISTER at a server the account left, settled. */
  async left(): Promise<void> {
    await Promise.all(this.#leaving.values());
  }
}

const answered = (outcome: OptionsOutcome): boolean => outcome === 'answered' || outcome === 'late';

/** How optionsTo reads the transport: a TLS refusal, and whether a branch was answered only after a retransmission. */
export interface OptionsChecks {
  tlsFailed(): boolean;
  answeredAfterResend(branch: string): boolean;
}

/**
 * One OPTIONS to a server through the account's user agent (the keep-alive, the primary's probe):
 * answered (any final answer but a local 408/503) at once or late (after a retransmission),
 * unanswered, or refused by TLS.
 */
export function optionsTo(ua: UserAgent, makeUri: (text: string) => URI | undefined, server: HostPort, checks: OptionsChecks): Promise<OptionsOutcome> {
  const core = ua.userAgentCore;
  const target = makeUri(`sip:${formatHost(server.host)}:${server.port}`) as URI;
  const request = core.makeOutgoingRequestMessage('OPTIONS', target, ua.configuration.uri, target, {});
  return new Promise((resolve) => {
    core.request(request, {
      onAccept: (response) => resolve(checks.answeredAfterResend(response.message.viaBranch) ? 'late' : 'answered'),
      onReject: (response) => {
        const code = response.message.statusCode;
        const late = checks.answeredAfterResend(response.message.viaBranch);
        if (code === 503 && checks.tlsFailed()) resolve('tls');
        else if (code === 408 || code === 503) resolve('timeout');
        else resolve(late ? 'late' : 'answered');
      },
    });
  });
}

/** The expiry the registrar granted our contact (RFC 3261 §10.2.4), else its Expires, else what we asked for. */
export function grantedExpires(message: Core.IncomingResponseMessage, ua: UserAgent, requested: number): number {
  const contacts = message.getHeaders('contact').length;
  for (let i = 0; i < contacts; i++) {
    const contact = message.parseHeader('contact', i) as { uri: URI; getParam(name: string): string | undefined } | undefined;
    if (contact && contact.uri.user === ua.contact.uri.user) {
      const expires = Number(contact.getParam('expires'));
      if (Number.isFinite(expires) && expires > 0) return expires;
    }
  }
  const header = Number(message.getHeader('expires'));
  return Number.isFinite(header) && header > 0 ? header : requested;
}
