// One SIP account: its own UDP socket and sip.js user agent, registered with
// digest auth, refreshed before expiry, kept alive with OPTIONS, and registered
// again with backoff after the registrar restarts or stops answering.
import { createSocket } from 'node:dgram';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
// Types only here: sip.js itself (~18 MiB resident) is imported when the first account starts,
// so a gateway without SIP accounts never loads it.
import type {
  UserAgent, Registerer, RegistererState, NameAddrHeader, Inviter, Invitation, URI, Core, Session, SessionDescriptionHandler,
} from 'sip.js';

type IncomingResponseMessage = Core.IncomingResponseMessage;
import { TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { DoorCodePolicy } from '../calls/index.ts';
import { UdpTransport } from './udp-transport.ts';
import { sharedUaOptions } from './ua-options.ts';
import { StreamTransport } from './stream-transport.ts';
import { formatHost, type HostPort } from './sip-wire.ts';
import type { SipAccountSettings, SipSettings, SipTransportName, TerminalTarget } from './settings.ts';
import type { SrtpMode, SrtpPolicy } from './media-security.ts';
import type { AcceptedInvite, InboundCounters } from './inbound-guard.ts';
import { InboundInvites } from './inbound-invites.ts';
import { routeUpdates } from './session-hooks.ts';
import { ServerPool, serverName } from './server-pool.ts';

export type RegistrationState = 'registering' | 'registered' | 'failed' | 'unregistered';

/** Why an account is not registered: the registrar said no, did not answer, the socket failed, or its TLS certificate did not verify. */
export type FailureReason = 'rejected' | 'timeout' | 'transport' | 'lost' | 'tls';

/** The account's signalling transport: UDP, or TCP/TLS. */
export type SipTransport = UdpTransport | StreamTransport;

export interface SipAccountStatus {
  id: string;
  state: RegistrationState;
  registrar: string;
  /** The server the account uses now (host:port): the registrar, or a secondary it failed over to. */
  server: string;
  /** The registrar and the secondaries, in the order they are tried. */
  servers: string[];
  /** udp, tcp or tls; `secure`: the signalling is encrypted and the peer verified (TLS). */
  transport: SipTransportName;
  secure: boolean;
  /** The account's sip.accounts[].srtp: off (plain RTP), offer (SRTP when the PBX takes it), require (SRTP only). */
  srtp: SrtpMode;
  /** Our contact address (host:port) once the socket is bound. */
  contact?: string;
  reason?: FailureReason;
  /** The registrar's status code and phrase when it rejected us. */
  code?: number;
  phrase?: string;
  /** Successful REGISTERs so far (first and refreshes). */
  registrations: number;
  since: number;
  /** What the account's socket did with inbound requests (challenged, accepted, refused, rate-limited). */
  inbound: InboundCounters;
}

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
}

/** Refresh at this share of the granted expiry (sip.js's default, 99 %, leaves too little for retransmissions). */
const REFRESH_PERCENT = 80;

export class SipAccount extends TypedEmitter<SipAccountEvents> {
  readonly id: string;
  readonly #opts: SipAccountOptions;
  #ua?: UserAgent;
  /** sip.js, imported by the first connect. */
  #sip?: typeof import('sip.js');
  #transport?: SipTransport;
  #registerer?: Registerer;
  /** The server (host:port) #registerer registers at. */
  #registererAt = '';
  #status: SipAccountStatus;
  #retry?: NodeJS.Timeout;
  #keepalive?: NodeJS.Timeout;
  #failures = 0;
  #closed = false;
  /** The address written into Via, Contact and the SDP of calls (known once connected). */
  #advertised?: string;
  /** Each call's own media (a plain-RTP leg): sip.js asks the UA's factory for it by session. */
  readonly #sessionMedia = new WeakMap<Session, SessionDescriptionHandler>();
  /** The socket's guard and the INVITEs it let through (inbound-invites.ts). */
  readonly #inbound: InboundInvites;
  /** Which server the account uses now (server-pool.ts). */
  readonly #servers: ServerPool;
  /** Registerers of servers the account left, unregistering there: no new REGISTER to that server before it settled. */
  readonly #leaving = new Map<string, Promise<void>>();

  constructor(opts: SipAccountOptions) {
    super();
    this.#opts = opts;
    this.id = opts.account.id;
    const r = opts.account.registrar;
    this.#inbound = new InboundInvites(opts);
    this.#servers = new ServerPool({
      servers: [r, ...opts.account.secondaryRegistrars ?? []], clock: opts.clock,
      holdDownMs: opts.settings.failbackHoldMs ?? 120_000, probeMs: opts.settings.keepaliveMs,
      probe: async (server) => (await this.#options(server)) === 'answered',
    });
    this.#servers.on('primaryBack', () => this.#returnToPrimary());
    this.#status = {
      id: this.id, state: 'unregistered', registrar: `${formatHost(r.host)}:${r.port}`,
      server: serverName(r), servers: this.#servers.servers.map(serverName),
      transport: opts.account.transport ?? 'udp', secure: opts.account.transport === 'tls', srtp: opts.account.srtp ?? 'off',
      registrations: 0, since: opts.clock.now(), inbound: this.#inbound.counters,
    };
  }

  get closed(): boolean { return this.#closed; }
  get transport(): SipTransport | undefined { return this.#transport; }
  /** sip.js's own registerer state (Terminated once closed: none of its timers left). */
  get registererState(): RegistererState | undefined { return this.#registerer?.state; }
  /** Which server is active, how often the account moved, the primary's probes (server-pool.ts). */
  get servers(): ServerPool { return this.#servers; }
  status(): SipAccountStatus { return { ...this.#status, inbound: this.#inbound.counters }; }

  /** The phone-book entry one of the account's inbound numbers rings (sip.accounts[].inbound.numbers). */
  inboundEntry(dialled: string): string | undefined {
    return this.#opts.account.inbound?.numbers.get(dialled)?.entryId;
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
  get srtp(): SrtpPolicy { return { mode: this.#opts.account.srtp ?? 'off', tls: this.#opts.account.transport === 'tls' }; }

  /** The address calls' SDP names (the account's Via/Contact address); undefined before the socket is up. */
  get advertisedAddress(): string | undefined { return this.#advertised; }

  /**
   * An outbound call to `user` at the account's domain, sent through its
   * outbound proxy or registrar, with `media` writing the offer and reading the
   * answer. Not sent yet: the caller calls invite() on it.
   */
  inviter(user: string, media: SessionDescriptionHandler): Inviter {
    const ua = this.#ua;
    if (!ua || this.#closed || !this.#transport?.isConnected()) throw new UnavailableError(`SIP account ${this.id} is not running`);
    const sip = this.#sip!;
    const target = sip.UserAgent.makeURI(`sip:${user}@${formatHost(this.#opts.account.domain)}`);
    if (!target) throw new UnavailableError(`sip:${user}@… is not a SIP address`);
    const inviter: Inviter = new sip.Inviter(ua, target, { earlyMedia: false });
    this.#sessionMedia.set(inviter, media);
    return inviter;
  }

  /**
   * Binds the socket and sends the first REGISTER (its outcome arrives as a state event).
   * A socket that cannot bind (local_port taken) fails start(); a registrar that cannot be
   * reached yet (its name does not resolve) only fails the account, which tries again later.
   */
  async start(): Promise<void> {
    this.#transition('registering');
    await this.#connect();
  }

  async #connect(): Promise<void> {
    const { account, settings, logger } = this.#opts;
    const peer = account.outboundProxy ?? this.#servers.active;
    const servers = this.#servers;
    await this.#inbound.trustServers();
    let advertised: string;
    try {
      advertised = settings.advertisedAddress || await localAddressTowards(peer, settings.bindAddress);
    } catch (error) {
      logger.warn({ account: this.id, err: error }, 'sip: no route to the registrar / keine Route zum Registrar');
      this.#failed('transport', undefined, (error as NodeJS.ErrnoException).code);
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
      transportOptions: {
        clock: this.#opts.clock, bindHost: settings.bindAddress, bindPort: account.localPort,
        advertisedHost: advertised, outboundProxy: account.outboundProxy, timers: settings.timers,
        // New calls go to the active server (read at each send); REGISTER and OPTIONS to their Request-URI.
        get proxy() { return servers.active; },
        guard: this.#inbound.transportGuard(),
        maxMessageBytes: settings.maxMessageBytes, forceRport: settings.forceRport, logger: this.#opts.logger,
        // TCP/TLS only (stream-transport.ts).
        protocol: account.transport === 'tls' ? 'TLS' : 'TCP',
        idleMs: settings.streamIdleMs ?? 180_000, maxConnections: settings.streamMaxConnections ?? 64,
        maxConnectionsPerSource: settings.streamMaxConnectionsPerSource ?? 8,
        // Each server (registrar, secondaries) is verified against its own host name unless tls.server_name names one for all.
        tls: account.tls && { ca: account.tls.ca, serverName: account.tls.serverName },
      },
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

  /** A registerer for the active server (one per server the account uses; the old one is disposed on a switch). */
  #newRegisterer(): Registerer {
    const { account } = this.#opts;
    const server = this.#servers.active;
    this.#registererAt = serverName(server);
    const registerer = new this.#sip!.Registerer(this.#ua!, {
      expires: account.expiresSeconds,
      refreshFrequency: REFRESH_PERCENT,
      registrar: this.#sip!.UserAgent.makeURI(`sip:${formatHost(server.host)}:${server.port}`),
    });
    registerer.stateChange.addListener((state) => {
      if (registerer !== this.#registerer) return;
      // A refresh that failed or a binding that expired: register again.
      if (state === ('Unregistered' as RegistererState) && !this.#closed && this.#status.state === 'registered') this.#failed('lost');
      // sip.js retries a 423 (Interval Too Brief) itself, without our delegate: take its success from here.
      // Our onAccept runs right after this event in the same turn, so the microtask sees it done in every other case.
      if (state === ('Registered' as RegistererState)) {
        queueMicrotask(() => {
          if (!this.#closed && this.#status.state !== 'registered') this.#registered(account.expiresSeconds);
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
        this.#failed('transport', undefined, (error as NodeJS.ErrnoException).code);
      });
      return;
    }
    // Our un-REGISTER to this server is still under way (we left it before): a new REGISTER waits for it.
    const leaving = this.#leaving.get(serverName(this.#servers.active));
    if (leaving) return void leaving.then(() => this.#register());
    const registerer = this.#registerer ??= this.#newRegisterer();
    // An answer for a registerer the account has left (a failover disposed it while its REGISTER was under way —
    // sip.js still calls the delegate) concerns a server no longer in use: it must not count against the active one
    // nor mark the account registered there (review s22 #16).
    const current = () => !this.#closed && this.#registerer === registerer;
    registerer.register({
      requestDelegate: {
        onAccept: (response) => {
          if (current()) this.#registered(grantedExpires(response.message, this.#ua!, this.#opts.account.expiresSeconds));
        },
        onReject: (response) => {
          if (!current()) return;
          const { statusCode, reasonPhrase } = response.message;
          // 408 is also what a request without any answer ends with (Timer F).
          if (statusCode === 408) this.#failed('timeout');
          else if (statusCode === 503 && this.#tlsFailure()) this.#failed('tls', undefined, this.#tlsFailure());
          else if (statusCode === 503 && !response.message.hasHeader('retry-after')) this.#failed('transport', 503, reasonPhrase);
          else this.#failed('rejected', statusCode, reasonPhrase);
        },
      },
    }).catch(() => { if (current()) this.#scheduleRetry(); });
  }

  /** The code of the account's last TLS failure (an untrusted certificate: SELF_SIGNED_CERT_IN_CHAIN …), if any. */
  #tlsFailure(): string | undefined {
    const transport = this.#transport;
    const failure = transport instanceof StreamTransport ? transport.tlsFailure : undefined;
    return failure ? String(failure.why.params.code) : undefined;
  }

  #registered(expiresSeconds: number): void {
    this.#failures = 0;
    this.#clearRetry();
    // Refresh on our clock before sip.js's own timer (99 %) would; each success re-arms both.
    this.#retry = this.#opts.clock.setTimeout(() => {
      this.#retry = undefined;
      this.#register();
    }, expiresSeconds * 10 * REFRESH_PERCENT);
    this.#servers.registered();
    this.#status.registrations++;
    this.#status.reason = undefined;
    this.#status.code = undefined;
    this.#status.phrase = undefined;
    this.#transition('registered');
    this.safeEmit('registered', this.status());
    this.#armKeepalive();
  }

  #failed(reason: FailureReason, code?: number, phrase?: string): void {
    if (this.#closed) return;
    this.#status.reason = reason;
    this.#status.code = code;
    this.#status.phrase = phrase;
    if (this.#status.state !== 'failed') {
      this.#opts.logger.warn({ account: this.id, reason, code }, 'sip: registration failed / Registrierung fehlgeschlagen');
    }
    this.#transition('failed');
    // The server stopped answering or is overloaded (RFC 3263 §4.3): the next one, at once until each failed.
    const down = reason === 'timeout' || reason === 'transport' || reason === 'tls' || code === 503;
    const next = down ? this.#servers.failed() : undefined;
    if (!next?.moved) return this.#scheduleRetry();
    this.#leave('the active server stopped answering / der aktive Server antwortet nicht mehr');
    if (next.round) this.#scheduleRetry();
    else this.#scheduleRetry(0);
  }

  /** The account moved to another server: its registerer at the old one unregisters there, a new one is made for the new one. */
  #leave(why: string): void {
    const old = this.#registerer;
    this.#registerer = undefined;
    this.#status.server = serverName(this.#servers.active);
    this.#opts.logger.warn({ account: this.id, server: this.#status.server, why }, 'sip: the account uses another server / Konto nutzt anderen Server');
    if (!old) return;
    const from = this.#registererAt;
    const leaving: Promise<void> = old.dispose().catch(() => undefined).finally(() => {
      if (this.#leaving.get(from) === leaving) this.#leaving.delete(from);
    });
    this.#leaving.set(from, leaving);
  }

  /** The primary answered every probe for the hold-down (server-pool.ts): register there again. */
  #returnToPrimary(): void {
    if (this.#closed) return;
    this.#servers.returnToPrimary();
    this.#clearRetry();
    this.#clearKeepalive();
    this.#leave('the primary server answers again / der primäre Server antwortet wieder');
    this.#transition('registering');
    this.#register();
  }

  #clearRetry(): void {
    if (this.#retry) this.#opts.clock.clearTimeout(this.#retry);
    this.#retry = undefined;
  }

  /** Registers again after the backoff (retry_min_seconds doubling up to retry_max_seconds), or after `delay`. */
  #scheduleRetry(delay?: number): void {
    const { clock, settings } = this.#opts;
    if (this.#closed) return;
    this.#clearRetry();
    this.#clearKeepalive();
    if (delay === undefined) {
      delay = Math.min(settings.retryMaxMs, settings.retryMinMs * 2 ** this.#failures);
      this.#failures++;
    }
    this.#retry = clock.setTimeout(() => {
      this.#retry = undefined;
      this.#register();
    }, delay);
  }

  /** OPTIONS to the active server: any answer means it is alive; none (Timer F) means register again (elsewhere). */
  #armKeepalive(): void {
    const { clock, settings } = this.#opts;
    this.#clearKeepalive();
    this.#keepalive = clock.setTimeout(() => {
      this.#keepalive = undefined;
      if (this.#closed || this.#status.state !== 'registered') return;
      const server = this.#servers.active;
      void this.#options(server).then((outcome) => {
        if (this.#closed || this.#status.state !== 'registered' || server !== this.#servers.active) return;
        if (outcome === 'tls') this.#failed('tls', undefined, this.#tlsFailure());
        else if (outcome === 'timeout') this.#failed('timeout');
        else this.#armKeepalive();
      });
    }, settings.keepaliveMs);
  }

  /** One OPTIONS to a server (the keep-alive, the primary's failover probe): answered, unanswered (Timer F, a failed send) or TLS refused. */
  #options(server: HostPort): Promise<'answered' | 'timeout' | 'tls'> {
    const ua = this.#ua;
    if (this.#closed || !ua) return Promise.resolve('timeout');
    const core = ua.userAgentCore;
    const target = this.#sip!.UserAgent.makeURI(`sip:${formatHost(server.host)}:${server.port}`) as URI;
    const request = core.makeOutgoingRequestMessage('OPTIONS', target, ua.configuration.uri, target, {});
    return new Promise((resolve) => {
      core.request(request, {
        onAccept: () => resolve('answered'),
        onReject: (response) => {
          const code = response.message.statusCode;
          if (code === 503 && this.#tlsFailure()) resolve('tls');
          else resolve(code === 408 || code === 503 ? 'timeout' : 'answered');
        },
      });
    });
  }

  #clearKeepalive(): void {
    if (this.#keepalive) this.#opts.clock.clearTimeout(this.#keepalive);
    this.#keepalive = undefined;
  }

  #transition(state: RegistrationState): void {
    if (this.#status.state === state) return;
    this.#status.state = state;
    this.#status.since = this.#opts.clock.now();
    this.safeEmit('state', this.status());
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#opts.logger.error({ account: this.id, event, err: error }, 'sip: a listener threw');
  }

  /**
   * Unregisters (expires=0), stops the user agent and closes the socket. Idempotent.
   * A silent registrar delays it by at most 8·T1 (four transmissions of the REGISTER,
   * 3.5 s at T1 = 500 ms), not by Timer F's 64·T1: shutdown does not wait half a minute.
   * Not registered (a registrar that never answered, or a lost binding), there is
   * nothing to unregister: a REGISTER still open is ended at once instead of waited for.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#servers.close();
    this.#clearRetry();
    this.#clearKeepalive();
    const { clock, settings } = this.#opts;
    this.#inbound.close();
    let bound: NodeJS.Timeout | undefined;
    try {
      const registered = this.#registerer?.state === ('Registered' as RegistererState);
      const disposed = this.#registerer?.dispose();
      if (registered) {
        await Promise.race([disposed, new Promise<void>((resolve) => { bound = clock.setTimeout(resolve, 8 * settings.timers.t1Ms); })]);
      }
      // Still unanswered: end the REGISTER with a local 408 so sip.js settles the registerer and
      // clears its own refresh timer (left armed, it would call register() on a disposed registerer).
      this.#transport?.retransmissions.expireAll();
      await disposed;
      await Promise.all(this.#leaving.values());
      await this.#ua?.stop();
    } catch (error) {
      this.#opts.logger.warn({ account: this.id, err: error }, 'sip: unregistering failed');
    } finally {
      if (bound) clock.clearTimeout(bound);
    }
    await this.#transport?.dispose();
    this.#status.reason = undefined;
    this.#status.code = undefined;
    this.#status.phrase = undefined;
    this.#transition('unregistered');
  }
}

/** The expiry the registrar granted our contact (RFC 3261 §10.2.4), else its Expires, else what we asked for. */
function grantedExpires(message: IncomingResponseMessage, ua: UserAgent, requested: number): number {
  const contacts = message.getHeaders('contact').length;
  for (let i = 0; i < contacts; i++) {
    const contact = message.parseHeader('contact', i) as NameAddrHeader | undefined;
    if (contact && contact.uri.user === ua.contact.uri.user) {
      const expires = Number(contact.getParam('expires'));
      if (Number.isFinite(expires) && expires > 0) return expires;
    }
  }
  const header = Number(message.getHeader('expires'));
  return Number.isFinite(header) && header > 0 ? header : requested;
}

/** The local address the kernel would use towards a peer (a connected UDP socket sends nothing). */
async function localAddressTowards(peer: HostPort, bindAddress: string): Promise<string> {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  const socket = createSocket(isIP(peer.host) === 6 ? 'udp6' : 'udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.connect(peer.port, peer.host, () => resolve());
    });
    return socket.address().address;
  } finally {
    socket.close();
  }
}
