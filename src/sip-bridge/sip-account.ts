// One SIP account: its own UDP socket and sip.js user agent, registered with
// digest auth, refreshed before expiry, kept alive with OPTIONS, and registered
// again with backoff after the registrar restarts or stops answering — at the next
// of its servers when the one in use stops answering (server-registration.ts);
// the state machine of all that is account-registration.ts.
import type { Logger } from 'pino';
// Types only here: sip.js itself (~18 MiB resident) is imported when the first account starts,
// so a gateway without SIP accounts never loads it.
import type { UserAgent, Registerer, RegistererState, Inviter, Invitation, Session, SessionDescriptionHandler } from 'sip.js';
import { TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { AudioCodec, DoorCodePolicy } from '../calls/index.ts';
import { G711_CODECS } from './audio-codecs.ts';
import { UdpTransport } from './udp-transport.ts';
import { sharedUaOptions } from './ua-options.ts';
import { StreamTransport } from './stream-transport.ts';
import { accountTransportOptions, localAddressTowards, type SipTransport } from './account-transport.ts';
import { formatHost, nextHopHeader, type HostPort } from './sip-wire.ts';
import type { SipAccountSettings, SipSettings, TerminalTarget } from './settings.ts';
import { secureTransport } from './settings.ts';
import type { SrtpPolicy } from './media-security.ts';
import type { AcceptedInvite } from './inbound-guard.ts';
import { InboundInvites } from './inbound-invites.ts';
import { routeUpdates } from './session-hooks.ts';
import { serverName, type ServerPool } from './server-pool.ts';
import { ServerRegistration, optionsTo, grantedExpires } from './server-registration.ts';
import { AccountRegistration, REFRESH_PERCENT, tlsFailureOf } from './account-registration.ts';
import { SipDns } from './sip-dns.ts';
import { Deadline, unregisterBinding, type BindingOutcome } from './account-unregister.ts';
import type { SipAccountStatus } from './account-status.ts';
export type { RegistrationState, FailureReason, SipAccountStatus } from './account-status.ts';

export type { SipTransport } from './account-transport.ts';
export type { BindingOutcome } from './account-unregister.ts';

/** An authenticated INVITE to one of the account's numbers, for the bridge to ring (or reject). */
export interface IncomingCall extends AcceptedInvite {
  accountId: string;
  invitation: Invitation;
}

export type SipAccountEvents = {
  state: [SipAccountStatus];
  /** A REGISTER succeeded (the first or a refresh). */
  registered: [SipAccountStatus];
  /** An inbound call passed the guard (inbound-guard.ts); a listener answers or rejects it. */
  invite: [IncomingCall];
};

export interface SipAccountOptions {
  account: SipAccountSettings;
  settings: SipSettings;
  clock: Clock;
  logger: Logger;
  /** Names of servers resolved through sip.dns_servers (the bridge's, shared by its accounts); default: the account's own. */
  dns?: SipDns;
}

export class SipAccount extends TypedEmitter<SipAccountEvents> {
  readonly id: string;
  readonly #opts: SipAccountOptions;
  #ua?: UserAgent;
  /** sip.js, imported by the first connect. */
  #sip?: typeof import('sip.js');
  #transport?: SipTransport;
  /** Its status, refresh, backoff and failover (account-registration.ts). */
  readonly #registration: AccountRegistration;
  #closed = false;
  /** close()'s or leave()'s work, once begun (the other one joins it). */
  #ending?: Promise<BindingOutcome>;
  /** The bound on its un-REGISTER (a shutdown brings a leave's forward). */
  #deadline?: Deadline;
  /** The address written into Via, Contact and the SDP of calls (known once connected). */
  #advertised?: string;
  /** Each call's own media (a plain-RTP leg): sip.js asks the UA's factory for it by session. */
  readonly #sessionMedia = new WeakMap<Session, SessionDescriptionHandler>();
  /** The socket's guard and the INVITEs it let through (inbound-invites.ts). */
  readonly #inbound: InboundInvites;
  /** Which server the account uses, its registerer there and the ones it left (server-registration.ts). */
  readonly #servers: ServerRegistration;
  readonly #dns: SipDns;
  /** The account made #dns itself (no bridge's given): it closes it. */
  readonly #ownDns: boolean;

  constructor(opts: SipAccountOptions) {
    super();
    this.#opts = opts;
    this.id = opts.account.id;
    const r = opts.account.registrar;
    const maxTtlMs = opts.settings.dnsMaxTtlMs ?? 300_000;
    this.#ownDns = !opts.dns;
    this.#dns = opts.dns ?? new SipDns({ servers: opts.settings.dnsServers ?? [], clock: opts.clock, maxTtlMs });
    this.#inbound = new InboundInvites(opts);
    this.#servers = new ServerRegistration({
      accountId: this.id, servers: [r, ...opts.account.secondaryRegistrars ?? []], clock: opts.clock, logger: opts.logger,
      holdDownMs: opts.settings.failbackHoldMs ?? 120_000, keepaliveMs: opts.settings.keepaliveMs,
      domain: opts.account.registrarDomain === undefined ? undefined
        : { name: opts.account.registrarDomain, transport: opts.account.transport ?? 'udp', dns: this.#dns, retryMs: Math.min(30_000, maxTtlMs) },
      options: (server) => (this.#closed || !this.#ua ? Promise.resolve('timeout')
        : optionsTo(this.#ua, (text) => this.#sip!.UserAgent.makeURI(text), server, {
          tlsFailed: () => tlsFailureOf(this.#transport) !== undefined,
          answeredAfterResend: (branch) => this.#transport?.retransmissions.answeredAfterResend(branch) ?? false,
        })),
    });
    this.#servers.on('primaryBack', () => this.#registration.returnToPrimary());
    this.#servers.on('servers', (registrars, moved) => this.#useServers(registrars, moved));
    const status: SipAccountStatus = {
      id: this.id, state: 'unregistered', registrar: `${formatHost(r.host)}:${r.port}`,
      server: serverName(r), servers: this.#servers.pool.servers.map(serverName), onPrimary: true,
      transport: opts.account.transport ?? 'udp', secure: secureTransport(opts.account.transport), srtp: opts.account.srtp ?? 'off',
      registrations: 0, gaps: 0, since: opts.clock.now(), inbound: this.#inbound.counters,
    };
    this.#registration = new AccountRegistration({
      accountId: this.id, status, settings: opts.settings, clock: opts.clock, logger: opts.logger, servers: this.#servers,
      driver: {
        register: () => this.#register(),
        closed: () => this.#closed,
        transport: () => this.#transport,
        emit: (event) => this.safeEmit(event, this.status()),
      },
    });
  }

  get #status(): SipAccountStatus { return this.#registration.status; }

  get closed(): boolean { return this.#closed; }
  get transport(): SipTransport | undefined { return this.#transport; }
  /** sip.js's own registerer state (Terminated once closed: none of its timers left). */
  get registererState(): RegistererState | undefined { return this.#servers.registerer?.state; }
  /** Which server is active, how often the account moved, the primary's probes (server-pool.ts). */
  get servers(): ServerPool { return this.#servers.pool; }
  status(): SipAccountStatus { return { ...this.#status, onPrimary: this.#servers.pool.onPrimary, inbound: this.#inbound.counters }; }
  /** The account's calls under way (sip.js sessions, either way, until they end): an admin's change waits for none (account-admin.ts). */
  get activeCalls(): number { return this.#ua ? Object.keys(this.#ua._sessions).length : 0; }

  /** The phone-book entry one of the account's inbound numbers rings (sip.accounts[].inbound.numbers). */
  inboundEntry(dialled: string): string | undefined {
    return this.#opts.account.inbound?.numbers.get(dialled)?.entryId;
  }

  /** Forgets an inbound number whose entry or terminal went away (account-admin.ts's release): it rings nothing from now on. */
  dropInboundNumber(dialled: string): void {
    this.#opts.account.inbound?.numbers.delete(dialled);
    this.#opts.account.inbound?.terminals.delete(dialled);
  }

  /** The terminal one of the account's inbound numbers reaches, and who may call it (sip.accounts[].inbound.terminals). */
  inboundTerminal(dialled: string): TerminalTarget | undefined {
    return this.#opts.account.inbound?.terminals.get(dialled);
  }

  /** The media (SDP offer/answer) of an inbound session, before it is accepted. */
  attachMedia(session: Session, media: SessionDescriptionHandler): void {
    this.#sessionMedia.set(session, media);
  }

  #onInvite(invitation: Invitation): void {
    this.#inbound.take(invitation, this.#closed, (invite) => {
      if (this.listenerCount('invite') === 0) return void invitation.reject({ statusCode: 480 }).catch(() => undefined);
      this.safeEmit('invite', { ...invite, accountId: this.id, invitation });
    });
  }

  /** The door code the host of one of the account's calls may press (sip.door_code or the account's own); null: none. */
  get doorCode(): DoorCodePolicy | null { return this.#opts.account.doorCode ?? null; }
  /** The account's SRTP setting and whether its signalling is TLS (media-security.ts). */
  get srtp(): SrtpPolicy { return { mode: this.#opts.account.srtp ?? 'off', tls: secureTransport(this.#opts.account.transport) }; }
  /** The account's audio codecs in its order of preference (sip.accounts[].codecs, else sip.codecs; audio-codecs.ts). */
  get codecs(): readonly AudioCodec[] { return this.#opts.account.codecs ?? G711_CODECS; }

  /** The address calls' SDP names (the account's Via/Contact address); undefined before the socket is up. */
  get advertisedAddress(): string | undefined { return this.#advertised; }

  /**
   * An outbound call to `user` at the account's domain, sent through its
   * outbound proxy or registrar, with `media` writing the offer and reading the
   * answer. Not sent yet: the caller calls invite() on it.
   */
  inviter(user: string, media: SessionDescriptionHandler, extraHeaders: readonly string[] = []): Inviter {
    const ua = this.#ua;
    if (!ua || this.#closed || !this.#transport?.isConnected()) throw new UnavailableError(`SIP account ${this.id} is not running`);
    const sip = this.#sip!;
    const target = sip.UserAgent.makeURI(`sip:${user}@${formatHost(this.#opts.account.domain)}`);
    if (!target) throw new UnavailableError(`sip:${user}@… is not a SIP address`);
    const inviter: Inviter = new sip.Inviter(ua, target, { earlyMedia: false, extraHeaders: [...extraHeaders] });
    this.#sessionMedia.set(inviter, media);
    return inviter;
  }

  /**
   * Binds the socket and sends the first REGISTER (its outcome arrives as a state event).
   * A socket that cannot bind (local_port taken) fails start(); a registrar that cannot be
   * reached yet (its name does not resolve) only fails the account, which tries again later.
   */
  async start(): Promise<void> {
    this.#registration.transition('registering');
    await this.#servers.resolve();
    await this.#connect();
  }

  /**
   * The registrar domain resolved to a new list: the account keeps the server in use if it is still listed,
   * else it registers at the new first one at once. The trunk's trusted addresses follow.
   */
  #useServers(registrars: HostPort[], moved: boolean): void {
    if (this.#closed) return;
    this.#registration.serversChanged();
    if (this.#ua) void this.#inbound.trustServers(registrars, (host) => this.#dns.lookupAll(host));
    if (!moved || !this.#ua) return;
    this.#registration.clearRetry();
    this.#registration.transition('registering');
    // The old server's un-REGISTER first: servers of one domain often share a location table, where an
    // un-REGISTER arriving after the new REGISTER would remove the binding just made.
    void this.#servers.left().then(() => this.#register());
  }

  async #connect(): Promise<void> {
    const { account, settings, logger } = this.#opts;
    const peer = account.outboundProxy ?? this.#servers.active;
    await this.#inbound.trustServers(this.#servers.registrars, (host) => this.#dns.lookupAll(host));
    let advertised: string;
    try {
      advertised = settings.advertisedAddress || await localAddressTowards({ host: await this.#dns.lookup(peer.host), port: peer.port }, settings.bindAddress);
    } catch (error) {
      logger.warn({ account: this.id, err: error }, 'sip: no route to the registrar / keine Route zum Registrar');
      this.#registration.failed('transport', undefined, (error as NodeJS.ErrnoException).code);
      return;
    }
    const sip = this.#sip ??= await import('sip.js');
    const { UserAgent } = sip;
    if (this.#closed) return;
    this.#advertised = advertised;
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${account.username}@${formatHost(account.domain)}`),
      authorizationUsername: account.authUsername,
      authorizationPassword: account.password,
      viaHost: formatHost(advertised),
      contactParams: { transport: account.transport ?? 'udp' },
      userAgentString: 'Portier',
      transportConstructor: (account.transport ?? 'udp') === 'udp' ? UdpTransport : StreamTransport,
      transportOptions: accountTransportOptions({
        ...this.#opts, advertised, active: () => this.#servers.active, guard: this.#inbound.transportGuard(), lookup: (host) => this.#dns.lookup(host),
        srvDomainOf: (host) => this.#servers.srvDomainOf(host),
      }),
      delegate: { onInvite: (invitation: Invitation) => this.#onInvite(invitation) },
      // 180 only once a desk rings (sip-inbound.ts), not for a call refused at once (480, 486).
      sendInitialProvisionalResponse: false,
      // RFC 4028 session timers (session-timer.ts): Supported: timer on requests and responses.
      sipExtensionExtraSupported: ['timer'],
      ...sharedUaOptions(this.#sessionMedia, logger, this.id),
    });
    this.#ua = ua;
    routeUpdates(ua.userAgentCore);
    this.#transport = ua.transport as SipTransport;
    await ua.start();
    if (this.#closed) return void await this.#transport.dispose();
    // sip.js writes no port into Contact; the bound one makes the registrar's binding reachable.
    // Over TLS there is no listener: the transport writes the port of the connection the request leaves on.
    if (this.#transport.port > 0) {
      ua.contact.uri.port = this.#transport.port;
      this.#status.contact = `${formatHost(advertised)}:${this.#transport.port}`;
    } else {
      this.#status.contact = formatHost(advertised);
    }
    this.#register();
  }

  /**
   * A registerer for the server in use (one per server the account uses; the old one is disposed on a switch).
   * A server of the registrar domain (its SRV target, or the domain itself) gets the Request-URI `sip:<domain>`
   * (RFC 3261 §10.2: the domain of the location service), sent to that server (review s26 #15).
   */
  #newRegisterer(server: HostPort): Registerer {
    const { account } = this.#opts;
    const domain = this.#servers.srvDomainOf(server.host);
    const registerer = new this.#sip!.Registerer(this.#ua!, {
      expires: account.expiresSeconds,
      refreshFrequency: REFRESH_PERCENT,
      registrar: this.#sip!.UserAgent.makeURI(domain ? `sip:${formatHost(domain)}` : `sip:${formatHost(server.host)}:${server.port}`),
      extraHeaders: domain ? [nextHopHeader(server)] : undefined,
    });
    registerer.stateChange.addListener((state) => {
      if (registerer !== this.#servers.registerer) return;
      // A refresh that failed or a binding that expired: register again.
      if (state === ('Unregistered' as RegistererState) && !this.#closed && this.#status.state === 'registered') this.#registration.failed('lost');
      // sip.js retries a 423 (Interval Too Brief) itself, without our delegate: take its success from here.
      // Our onAccept runs right after this event in the same turn, so the microtask sees it done in every other case.
      if (state === ('Registered' as RegistererState)) {
        queueMicrotask(() => {
          if (!this.#closed && this.#status.state !== 'registered') this.#registration.registered(account.expiresSeconds);
        });
      }
    });
    return registerer;
  }

  #register(): void {
    if (this.#closed) return;
    if (!this.#ua) {
      this.#connect().catch((error: unknown) => {
        this.#opts.logger.warn({ account: this.id, err: error }, 'sip: the account\'s socket failed / Socket des Kontos fehlgeschlagen');
        this.#registration.failed('transport', undefined, (error as NodeJS.ErrnoException).code);
      });
      return;
    }
    // Our un-REGISTER to this server is still under way (we left it before): a new REGISTER waits for it.
    const leaving = this.#servers.leavingActive();
    if (leaving) return void leaving.then(() => this.#register());
    const registerer = this.#servers.registererFor((server) => this.#newRegisterer(server));
    // An answer for a registerer the account has left (a failover disposed it while its REGISTER was under way —
    // sip.js still calls the delegate) concerns a server no longer in use: it must not count against the active one
    // nor mark the account registered there (review s22 #16).
    const current = () => !this.#closed && this.#servers.registerer === registerer;
    registerer.register({
      requestDelegate: {
        onAccept: (response) => {
          if (current()) this.#registration.registered(grantedExpires(response.message, this.#ua!, this.#opts.account.expiresSeconds));
        },
        onReject: (response) => {
          if (current()) this.#registration.rejected(response.message);
        },
      },
    }).catch(() => { if (current()) this.#registration.scheduleRetry(); });
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#opts.logger.error({ account: this.id, event, err: error }, 'sip: a listener threw');
  }

  /**
   * Unregisters (expires=0), stops the user agent and closes the socket: the gateway's shutdown. Idempotent.
   * A silent registrar delays it by at most 8·T1 (four transmissions of the REGISTER,
   * 3.5 s at T1 = 500 ms), not by Timer F's 64·T1: shutdown does not wait half a minute.
   * Not registered (a registrar that never answered, or a lost binding), there is
   * nothing to unregister: a REGISTER still open is ended at once instead of waited for.
   * During a leave() it brings that one's bound forward to 8·T1 from now.
   */
  async close(): Promise<void> {
    const bound = 8 * this.#opts.settings.timers.t1Ms;
    if (this.#ending) {
      this.#deadline?.shorten(bound);
      await this.#ending;
      return;
    }
    await (this.#ending = this.#end(bound, false));
  }

  /**
   * Deleted or disabled by an admin: like close(), but the un-REGISTER's final answer is waited for up to Timer F
   * (64·T1; a challenge round trip on a loaded machine takes longer than shutdown's 8·T1), and so are the
   * un-REGISTERs at servers the account left. Resolves with what became of the binding: `kept` is logged here.
   */
  leave(): Promise<BindingOutcome> {
    return this.#ending ??= this.#end(64 * this.#opts.settings.timers.t1Ms, true);
  }

  async #end(boundMs: number, leaving: boolean): Promise<BindingOutcome> {
    this.#closed = true;
    this.#servers.stop();
    this.#registration.clearRetry();
    this.#inbound.close();
    const deadline = this.#deadline = new Deadline(this.#opts.clock, boundMs);
    let outcome: BindingOutcome = { binding: 'none' };
    try {
      const registerer = this.#servers.registerer;
      // Leaving, the un-REGISTERs at servers the account left before get the same bound.
      [outcome] = await Promise.all([unregisterBinding(registerer, deadline), leaving ? deadline.race(this.#servers.left()) : undefined]);
      // Still unanswered: end the REGISTER with a local 408 so sip.js settles the registerer and
      // clears its own refresh timer (left armed, it would call register() on a disposed registerer).
      this.#transport?.retransmissions.expireAll();
      await registerer?.dispose();
      await this.#servers.left();
      await this.#ua?.stop();
    } catch (error) {
      this.#opts.logger.warn({ account: this.id, err: error }, 'sip: unregistering failed');
    } finally {
      deadline.clear();
    }
    if (outcome.binding === 'kept') {
      this.#opts.logger.warn({ account: this.id, server: this.#status.server, code: outcome.code, phrase: outcome.phrase },
        'sip: the un-REGISTER failed: the registrar may keep the binding until it expires / Abmeldung fehlgeschlagen: der Registrar behält die Registrierung womöglich bis zu ihrem Ablauf');
    }
    await this.#transport?.dispose();
    if (this.#ownDns) this.#dns.close();
    this.#registration.ended();
    return outcome;
  }
}
