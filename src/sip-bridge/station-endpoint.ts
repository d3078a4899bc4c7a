// The door stations' SIP sockets (issue 13, slices 3 and 4): a UDP socket on
// sip.stations.port, a TCP listener on sip.stations.tcp_port and a TLS listener
// with Portier's own certificate on sip.stations.tls_port (those sip.stations.
// transports names), each with its sip.js user agent, where stations register (one
// registrar, station-registrar.ts, answers REGISTER in front of each) and call.
// Over TCP/TLS Portier reaches a station only over the connection it opened
// (stream-flows.ts). A station's authenticated INVITE becomes an 'invite' event
// with the station named, for the inbound calls (sip-inbound.ts) to ring its
// phone-book entry. Their state and the stations registered are in /ready
// (component door-stations).
import { networkInterfaces } from 'node:os';
import type { Logger } from 'pino';
import type { UserAgent, Invitation, Session, SessionDescriptionHandler } from 'sip.js';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { ComponentStatus, StatusSource } from '../lifecycle/index.ts';
import { UdpTransport, type UdpTransportOptions } from './udp-transport.ts';
import { StreamTransport, type StreamTransportOptions } from './stream-transport.ts';
import type { ServerCertificate } from './stream-listener.ts';
import { sharedUaOptions } from './ua-options.ts';
import { formatHost } from './sip-wire.ts';
import type { SipSettings } from './settings.ts';
import { DEFAULT_INBOUND_LIMITS } from './inbound-guard.ts';
import { StationRegistrar, type StationDirectory, type StationInvite, type StationTransport } from './station-registrar.ts';
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
  /** The sockets stations may use (sip.stations.transports; default udp only). */
  transports?: StationTransport[];
  /** TCP listener port (sip.stations.tcp_port; 0 = any free). */
  tcpPort?: number;
  /** TLS listener port (sip.stations.tls_port; 0 = any free). */
  tlsPort?: number;
}

/** Portier's certificate (the HTTPS one, src/tls), presented on the stations' TLS socket; renewals are taken as they come. */
export interface StationCertificate {
  readonly material: ServerCertificate;
  on(event: 'renewed', listener: (material: ServerCertificate) => void): unknown;
  off(event: 'renewed', listener: (material: ServerCertificate) => void): unknown;
}

export interface StationEndpointOptions {
  settings: StationSettings;
  sip: SipSettings;
  directory: StationDirectory;
  clock: Clock;
  logger: Logger;
  /** Needed when transports name tls. */
  certificate?: StationCertificate;
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

/** One of the stations' sockets: its user agent and transport. */
interface StationSocket { ua: UserAgent; transport: UdpTransport | StreamTransport }

export class StationEndpoint extends TypedEmitter<StationEndpointEvents> implements StatusSource {
  readonly name = 'door-stations';
  /** The account-like id calls from stations carry in the log. */
  readonly id = 'door-stations';
  readonly registrar: StationRegistrar;
  readonly #opts: StationEndpointOptions;
  readonly #sessionMedia = new WeakMap<Session, SessionDescriptionHandler>();
  readonly #advertised: string;
  readonly #sockets = new Map<StationTransport, StationSocket>();
  readonly #onRenewed = (material: ServerCertificate) => (this.#sockets.get('tls')?.transport as StreamTransport | undefined)?.setCertificate(material);
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
  /** The bound UDP port (after start; 0 without UDP). */
  get port(): number { return this.portOf('udp'); }
  /** The bound port of a transport's socket (after start; 0: not listening). */
  portOf(transport: StationTransport): number { return this.#sockets.get(transport)?.transport.port ?? 0; }
  get advertisedAddress(): string { return this.#advertised; }
  get transports(): StationTransport[] { return this.#opts.settings.transports ?? ['udp']; }

  attachMedia(session: Session, media: SessionDescriptionHandler): void {
    this.#sessionMedia.set(session, media);
  }

  /** Binds the sockets; stations may register from now on. */
  async start(): Promise<void> {
    const { UserAgent } = await import('sip.js');
    for (const transport of this.transports) {
      if (this.#closed) return;
      await this.#open(UserAgent, transport);
    }
    if (this.#sockets.has('tls')) this.#opts.certificate?.on('renewed', this.#onRenewed);
  }

  async #open(UserAgent: typeof import('sip.js').UserAgent, transport: StationTransport): Promise<void> {
    const { logger } = this.#opts;
    const host = formatHost(this.#advertised);
    const ua = new UserAgent({
      uri: UserAgent.makeURI(`sip:${OWN_USER}@${host}`),
      viaHost: host,
      contactParams: { transport },
      userAgentString: 'Portier',
      ...(transport === 'udp'
        ? { transportConstructor: UdpTransport, transportOptions: this.#udpOptions() }
        : { transportConstructor: StreamTransport, transportOptions: this.#streamOptions(transport) }),
      delegate: { onInvite: (invitation: Invitation) => this.#onInvite(invitation) },
      sendInitialProvisionalResponse: false,
      ...sharedUaOptions(this.#sessionMedia, logger, this.id),
    });
    const socket: StationSocket = { ua, transport: ua.transport as UdpTransport | StreamTransport };
    this.#sockets.set(transport, socket);
    await ua.start();
    ua.contact.uri.port = socket.transport.port;
    logger.info({ address: `${host}:${socket.transport.port}`, transport }, 'sip: door stations register here / Türstationen registrieren sich hier');
  }

  #udpOptions(): UdpTransportOptions {
    const { settings, sip, clock, logger } = this.#opts;
    return {
      clock, bindHost: settings.bindAddress, bindPort: settings.port, advertisedHost: this.#advertised, timers: sip.timers,
      guard: this.registrar.transportGuard('udp'), maxMessageBytes: sip.maxMessageBytes, forceRport: sip.forceRport, logger,
    };
  }

  #streamOptions(transport: 'tcp' | 'tls'): StreamTransportOptions {
    const { settings, sip, clock, logger, certificate } = this.#opts;
    if (transport === 'tls' && !certificate) throw new Error('the stations\' TLS socket needs Portier\'s certificate');
    return {
      clock, protocol: transport === 'tls' ? 'TLS' : 'TCP', bindHost: settings.bindAddress,
      bindPort: (transport === 'tls' ? settings.tlsPort : settings.tcpPort) ?? 0, advertisedHost: this.#advertised, timers: sip.timers,
      guard: this.registrar.transportGuard(transport), maxMessageBytes: sip.maxMessageBytes, forceRport: sip.forceRport, logger,
      idleMs: sip.streamIdleMs ?? 180_000, maxConnections: sip.streamMaxConnections ?? 64, maxConnectionsPerSource: sip.streamMaxConnectionsPerSource ?? 8,
      certificate: transport === 'tls' ? certificate!.material : undefined, flows: this.registrar.flows(transport),
    };
  }

  #onInvite(invitation: Invitation): void {
    const invite: StationInvite | undefined = this.registrar.take(invitation, this.#closed);
    if (!invite) return;
    if (this.listenerCount('invite') === 0) return void invitation.reject({ statusCode: 480 }).catch(() => undefined);
    this.safeEmit('invite', { ...invite, accountId: this.id, invitation });
  }

  status(): ComponentStatus {
    if (this.#closed) return { state: 'closed' };
    const unbound = this.transports.filter((t) => !this.#sockets.get(t)?.transport.isConnected());
    if (unbound.length > 0) return { state: 'degraded', reason: `the stations' ${unbound.join(', ')} socket is not bound` };
    const host = formatHost(this.#advertised);
    return {
      state: 'ready', address: `${host}:${this.port}`,
      addresses: Object.fromEntries(this.transports.map((t) => [t, `${host}:${this.portOf(t)}`])),
      // Open TCP/TLS connections: the stations' own (Portier opens none to a station).
      connections: Object.fromEntries(this.transports.filter((t) => t !== 'udp').map((t) => [t, (this.#sockets.get(t)!.transport as StreamTransport).connections])),
      stations: this.registrar.bindings.map((b) => ({ id: b.stationId, online: true, transport: b.transport, contact: `${formatHost(b.source.host)}:${b.source.port}`, expiresAt: b.expiresAt })),
      counters: { ...this.registrar.counters },
    };
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#opts.logger.error({ event, err: error }, 'sip: a door-station listener threw');
  }

  /** Forgets the bindings, stops the user agents and closes the sockets. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#opts.certificate?.off('renewed', this.#onRenewed);
    this.registrar.close();
    for (const [transport, socket] of this.#sockets) {
      try {
        await socket.ua.stop();
      } catch (error) {
        this.#opts.logger.warn({ err: error, transport }, 'sip: stopping the door stations\' user agent failed');
      }
      await socket.transport.dispose();
    }
    this.#sockets.clear();
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
