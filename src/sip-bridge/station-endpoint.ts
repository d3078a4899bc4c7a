// The door stations' SIP socket (issue 13, slice 3): one UDP socket and sip.js
// user agent on sip.stations.port, where stations register (the registrar in
// station-registrar.ts answers REGISTER in front of sip.js) and call. A station's
// authenticated INVITE becomes an 'invite' event with the station named, for the
// inbound calls (sip-inbound.ts) to ring its phone-book entry. Its state and the
// stations registered are in /ready (component door-stations).
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { UserAgent, Invitation, Session, SessionDescriptionHandler } from 'sip.js';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import { UdpTransport } from './udp-transport.ts';
import { sharedUaOptions } from './ua-options.ts';
import { formatHost } from './sip-wire.ts';
import type { SipSettings } from './settings.ts';
import { DEFAULT_INBOUND_LIMITS } from './inbound-guard.ts';
import { StationRegistrar, type StationDirectory, type StationInvite } from './station-registrar.ts';
import type { IncomingCall } from './sip-account.ts';

export interface StationSettings {
  bindAddress: string;
  port: number;
  /** '' = derived (see advertisedOf). */
  advertisedAddress: string;
  realm: string;
  minExpires: number;
  maxExpires: number;
  /** Calls of one station at a time (sip.stations.max_calls). */
  maxCalls: number;
  /** Calls of all stations at a time (sip.stations.max_calls_total). */
  maxCallsTotal: number;
}

export interface StationEndpointOptions {
  settings: StationSettings;
  sip: SipSettings;
  directory: StationDirectory;
  clock: Clock;
  logger: Logger;
}

/** A station's call, authenticated: the station's id with the INVITE. */
export interface StationCall extends IncomingCall {
  stationId: string;
}

export type StationEndpointEvents = {
  invite: [StationCall];
};

/** The user sip.js answers as on the stations' socket. */
const OWN_USER = 'portier';

export class StationEndpoint extends TypedEmitter<StationEndpointEvents> implements StatusSource {
  readonly name = 'door-stations';
  /** The account-like id calls from stations carry in the log. */
  readonly id = 'door-stations';
  readonly registrar: StationRegistrar;
  readonly #opts: StationEndpointOptions;
  readonly #sessionMedia = new WeakMap<Session, SessionDescriptionHandler>();
  readonly #advertised: string;
  #ua?: UserAgent;
  #transport?: UdpTransport;
  #closed = false;

  constructor(opts: StationEndpointOptions) {
    super();
    this.#opts = opts;
    this.#advertised = advertisedOf(opts.settings, opts.sip);
    this.registrar = new StationRegistrar({
      directory: opts.directory, realm: opts.settings.realm, minExpires: opts.settings.minExpires, maxExpires: opts.settings.maxExpires,
      limits: opts.sip.inbound ?? DEFAULT_INBOUND_LIMITS, clock: opts.clock, logger: opts.logger, ownUser: OWN_USER,
      transactionMs: 64 * opts.sip.timers.t1Ms, maxCalls: opts.settings.maxCalls, maxCallsTotal: opts.settings.maxCallsTotal,
    });
  }

  get closed(): boolean { return this.#closed; }
  /** The bound UDP port (after start). */
  get port(): number { return this.#transport?.port ?? 0; }
  get advertisedAddress(): string { return this.#advertised; }

  attachMedia(session: Session, media: SessionDescriptionHandler): void {
    this.#sessionMedia.set(session, media);
  }

  /** Binds the socket; stations may register from now on. */
  async start(): Promise<void> {
    const { settings, sip, clock, logger } = this.#opts;
    const { UserAgent } = await import('sip.js');
    if (this.#closed) return;
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${OWN_USER}@${formatHost(this.#advertised)}`),
      viaHost: formatHost(this.#advertised),
      contactParams: { transport: 'udp' },
      userAgentString: 'Portier',
      transportConstructor: UdpTransport,
      transportOptions: {
        clock, bindHost: settings.bindAddress, bindPort: settings.port, advertisedHost: this.#advertised, timers: sip.timers,
        guard: this.registrar.transportGuard(), maxMessageBytes: sip.maxMessageBytes, forceRport: sip.forceRport, logger,
      },
      delegate: { onInvite: (invitation: Invitation) => this.#onInvite(invitation) },
      sendInitialProvisionalResponse: false,
      ...sharedUaOptions(this.#sessionMedia, logger, this.id),
    });
    this.#ua = ua;
    this.#transport = ua.transport as UdpTransport;
    await ua.start();
    ua.contact.uri.port = this.#transport.port;
    logger.info({ address: `${formatHost(this.#advertised)}:${this.#transport.port}` }, 'sip: door stations register here / Türstationen registrieren sich hier');
  }

  #onInvite(invitation: Invitation): void {
    const invite: StationInvite | undefined = this.registrar.take(invitation, this.#closed);
    if (!invite) return;
    if (this.listenerCount('invite') === 0) return void invitation.reject({ statusCode: 480 }).catch(() => undefined);
    this.safeEmit('invite', { ...invite, accountId: this.id, invitation });
  }

  status(): ComponentStatus {
    if (this.#closed) return { state: 'closed' };
    if (!this.#transport?.isConnected()) return { state: 'degraded', reason: 'the stations\' socket is not bound' };
    return {
      state: 'ready', address: `${formatHost(this.#advertised)}:${this.port}`,
      stations: this.registrar.bindings.map((b) => ({ id: b.stationId, online: true, contact: `${formatHost(b.source.host)}:${b.source.port}`, expiresAt: b.expiresAt })),
      counters: { ...this.registrar.counters },
    };
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#opts.logger.error({ event, err: error }, 'sip: a door-station listener threw');
  }

  /** Forgets the bindings, stops the user agent and closes the socket. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.registrar.close();
    try {
      await this.#ua?.stop();
    } catch (error) {
      this.#opts.logger.warn({ err: error }, 'sip: stopping the door stations\' user agent failed');
    }
    await this.#transport?.dispose();
  }
}

/** The address stations are told (Via, Contact, SDP): configured, else the bind address, else this host's first non-loopback IPv4. */
function advertisedOf(settings: StationSettings, sip: SipSettings): string {
  if (settings.advertisedAddress) return settings.advertisedAddress;
  if (sip.advertisedAddress) return sip.advertisedAddress;
  if (settings.bindAddress !== '0.0.0.0' && settings.bindAddress !== '::') return settings.bindAddress;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return '127.0.0.1';
}
