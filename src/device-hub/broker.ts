// The embedded MQTT broker: aedes with Portier's hooks. Devices authenticate
// with their credential, client id = device id; ACLs per kind on publish,
// subscribe and delivery (those checks: broker-auth.ts); flood limits; presence
// from connection events.
import type { Duplex } from 'node:stream';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { Aedes, type Client, type AedesPublishPacket, type Subscription, type PublishPacket } from 'aedes';
import type { Logger } from 'pino';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { mayPublish, type DeviceIdentity } from './topics.ts';
import { RateLimiter, guardPacketSize } from './limits.ts';
import { ConnectGuard, type ConnectLimitSettings } from './connect-guard.ts';
import { SubscriptionLimits, oncePerPacket, type SubscriptionLimitSettings } from './subscription-limits.ts';
import type { Devices } from './devices.ts';
import { BrokerAuth, publishedLeaf, type ForwardFilter, type IntegrationLookup, type Refusal, type RefusalReason } from './broker-auth.ts';
import type { SqlitePersistence } from './persistence/sqlite-persistence.ts';
import { createBrokerQueue } from './message-queue.ts';
import { batchWrites } from './write-batching.ts';
import { readPublishesFirst, type MqttParser } from './publish-parser.ts';

export interface BrokerLimits extends ConnectLimitSettings, SubscriptionLimitSettings {
  maxPacketBytes: number;
  messagesPerSecond: number;
  messageBurst: number;
}

export type { RefusalReason, IntegrationLookup, ForwardFilter } from './broker-auth.ts';

export type BrokerEvents = {
  online: [DeviceIdentity];
  offline: [DeviceIdentity];
  /** A device's PUBLISH that passed the ACL (retain: the device set the retain flag; leaf: its topic's, as the ACL read it). */
  message: [DeviceIdentity, string, Buffer, boolean, string];
  /** A device's subscription was granted. */
  subscribed: [DeviceIdentity, string];
  refused: [Refusal];
};

/** What the broker counts since it started (Broker.counters). */
export interface BrokerCounters {
  refused: Partial<Record<RefusalReason, number>>;
  messages: number;
  delivered: number;
  published: number;
}

/** Where the start-up warm-up publishes (see warm): a `$` topic too, so no subscription matches it. */
const WARM_UP = '$portier-warm-up';

/** A message the warm-up rehearses: its device (the sender, or the receiver of a command), topic and payload. */
export interface WarmMessage { device: DeviceIdentity; topic: string; payload: Buffer }

/** How long a connection may take to authenticate (TLS handshake and CONNECT each). */
export const CONNECT_TIMEOUT_MS = 10_000;

export class Broker extends TypedEmitter<BrokerEvents> {
  readonly aedes: Aedes;
  readonly #devices: Devices;
  readonly #logger: Logger;
  readonly #limits: BrokerLimits;
  readonly #rate: RateLimiter;
  readonly #guard: ConnectGuard;
  readonly #subs: SubscriptionLimits;
  /** Source address of each connection (a WebSocket stream has none of its own). */
  readonly #addresses = new WeakMap<Duplex, string>();
  /** Connections that have not authenticated yet. */
  readonly #pendingConns = new Set<Duplex>();
  /** Authentication and the ACLs (broker-auth.ts). */
  readonly #auth: BrokerAuth;
  readonly #online = new Map<string, Client>();
  readonly #conns = new Set<Duplex>();
  /** TLS connections still in their handshake, by address:port → frees their pending slot. */
  readonly #handshakes = new Map<string, () => void>();
  /**
   * Since start: refusals by reason; `messages` device PUBLISHes the ACL let through; `delivered` messages
   * handed to a connected client (its delivery ACL passed); `published` the gateway's own (publish()).
   * Plain integers, raised where the broker already runs per message (the hub's /metrics reads them).
   */
  readonly counters: BrokerCounters = { refused: {}, messages: 0, delivered: 0, published: 0 };
  forwardFilter: ForwardFilter = () => true;
  integrations: IntegrationLookup = async () => undefined;
  #closed = false;

  /** Durable MQTT session state; undefined: aedes's in-memory persistence. */
  readonly #sessions: SqlitePersistence | undefined;

  constructor(deps: { devices: Devices; logger: Logger; clock: Clock; limits: BrokerLimits; sessions?: SqlitePersistence }) {
    super();
    this.#sessions = deps.sessions;
    this.#devices = deps.devices;
    this.#logger = deps.logger;
    this.#limits = deps.limits;
    this.#rate = new RateLimiter(deps.limits.messagesPerSecond, deps.limits.messageBurst, deps.clock);
    this.#guard = new ConnectGuard(deps.limits, deps.clock);
    this.#subs = new SubscriptionLimits(deps.limits);
    this.#auth = new BrokerAuth({
      devices: deps.devices, guard: this.#guard, subs: this.#subs, rate: this.#rate, maxConnections: deps.limits.maxConnections, counters: this.counters,
      addressOf: (conn) => this.#addresses.get(conn) ?? '?',
      connections: () => this.#conns.size,
      settle: (conn) => this.#settle(conn),
      refuse: (refusal) => this.#refuse(refusal),
      integrations: (username, password) => this.integrations(username, password),
      forwardFilter: (device, topic, payload) => this.forwardFilter(device, topic, payload),
    });
    this.aedes = new Aedes({
      mq: createBrokerQueue(), // aedes' own emitter with an O(1) overflow queue and matches remembered per topic (message-queue.ts)
      heartbeatInterval: 60_000, connectTimeout: CONNECT_TIMEOUT_MS, drainTimeout: 10_000, maxClientsIdLength: 64,
      ...(deps.sessions ? { persistence: deps.sessions as never } : {}),
      preConnect: (client, packet, done) => this.#auth.preConnect(client, packet.clientId, done),
      authenticate: (client, username, password, done) => {
        this.#auth.authenticate(client, username, password).then(() => done(null, true), (error: Error & { returnCode: 2 | 3 | 4 | 5 }) => done(error, false));
      },
      authorizePublish: (client, packet, done) => done(this.#auth.authorizePublish(client, packet)),
      authorizeSubscribe: (client, sub, done) => done(null, this.#auth.authorizeSubscribe(client, sub)),
      authorizeForward: (client, packet) => this.#auth.authorizeForward(client, packet),
    });
    this.aedes.on('unsubscribe', (topics, client) => this.#subs.release(client, topics));
    // Accepted connections gather their writes per event-loop turn (write-batching.ts). A
    // refused one is not batched: its CONNACK goes out a turn before the close, as a
    // client's library needs to read the reason before it sees the connection end.
    this.aedes.on('connackSent', (packet, client) => { if (packet.returnCode === 0) batchWrites(client.conn as Duplex); });
    this.aedes.on('clientReady', (client) => this.#ready(client));
    this.aedes.on('clientDisconnect', (client) => this.#gone(client));
    this.aedes.on('publish', (packet, client) => this.#published(packet, client));
    this.aedes.on('subscribe', (subs, client) => {
      const device = this.#auth.identity(client);
      if (device) for (const sub of subs) if ((sub.qos as number) !== 128) this.safeEmit('subscribed', device, sub.topic);
    });
    // Errors of single connections are the clients' problem; keep them out of the process.
    this.aedes.on('clientError', (client, error) => this.#logger.debug({ device: client?.id, err: error.message }, 'mqtt: client error'));
    this.aedes.on('connectionError', (_client, error) => this.#logger.debug({ err: error.message }, 'mqtt: connection error'));
  }

  async start(): Promise<void> {
    await this.aedes.listen();
    // aedes creates its in-memory persistence in listen(); either kind gets one write per SUBSCRIBE.
    oncePerPacket((this.aedes as unknown as { persistence: never }).persistence);
  }

  /** Hands a transport stream (TCP, TLS, WebSocket) to the broker, within the limits. */
  /**
   * A TLS connection whose handshake has not completed takes a pending slot of
   * its address too (TLS handshakes would otherwise hold descriptors uncounted).
   */
  holdHandshake(raw: Socket): void {
    const address = raw.remoteAddress ?? '?';
    if (this.#closed || !this.#guard.open(address)) {
      if (!this.#closed) this.#refuse({ reason: 'pending-connections', topic: address });
      raw.destroy();
      return;
    }
    const key = `${address}:${raw.remotePort}`;
    let held = true;
    const release = () => {
      if (!held) return;
      held = false;
      this.#handshakes.delete(key);
      this.#guard.settle(address);
    };
    this.#handshakes.set(key, release);
    raw.once('close', release);
  }

  handle(conn: Duplex, req?: IncomingMessage): void {
    // A TLS connection leaves its handshake slot for a pending one.
    const peer = conn as Socket;
    if (peer.remotePort !== undefined) this.#handshakes.get(`${peer.remoteAddress}:${peer.remotePort}`)?.();
    if (this.#closed) {
      conn.destroy();
      return;
    }
    const address = req?.socket.remoteAddress ?? (conn as Socket).remoteAddress ?? '?';
    if (!this.#guard.open(address)) {
      this.#refuse({ reason: 'pending-connections', topic: address });
      conn.destroy();
      return;
    }
    this.#conns.add(conn);
    this.#pendingConns.add(conn);
    this.#addresses.set(conn, address);
    conn.once('close', () => {
      this.#conns.delete(conn);
      this.#settle(conn);
    });
    conn.on('error', () => {});
    const client = this.aedes.handle(conn, req) as Client & { _parser: MqttParser };
    readPublishesFirst(client._parser); // complete PUBLISH packets read in place (publish-parser.ts)
    // Sees each packet before aedes handles it: a SUBSCRIBE's filters past the cap are marked here.
    client._parser.prependListener('packet', (packet: { cmd: string; subscriptions?: Subscription[] }) => {
      const over = this.#subs.inspect(packet);
      if (over > 0) this.#refuse({ reason: 'filters-per-subscribe', deviceId: client.id, topic: `${over} filters over the cap` });
    });
    guardPacketSize(conn, this.#limits.maxPacketBytes, (size) => this.#refuse({ reason: 'packet-size', topic: `${size} bytes` }));
  }

  get connections(): number { return this.#conns.size; }
  /** Connections that have not authenticated yet. */
  get pendingConnections(): number { return this.#guard.pending; }
  get onlineDevices(): string[] { return [...this.#online.keys()]; }
  isOnline(deviceId: string): boolean { return this.#online.has(deviceId); }

  /** Authenticated connections now, by the kind they authenticated as (integration for an API token); counted when asked. */
  onlineByKind(): Map<DeviceIdentity['kind'], number> {
    const byKind = new Map<DeviceIdentity['kind'], number>();
    for (const client of this.#online.values()) {
      const kind = this.#auth.identity(client)?.kind;
      if (kind) byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    return byKind;
  }

  /** Publishes as the gateway's internal client (no ACL on publish; delivery still filtered). */
  publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean } = {}): Promise<void> {
    if (!this.#closed) this.counters.published++;
    return this.#publish(topic, payload, opts);
  }

  /** publish() uncounted: the warm-up's packets are no traffic. */
  #publish(topic: string, payload: string | Buffer, opts: { qos?: 0 | 1; retain?: boolean }): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.#closed) return resolve();
      this.aedes.publish({
        cmd: 'publish', topic, payload: typeof payload === 'string' ? Buffer.from(payload) : payload,
        qos: opts.qos ?? 0, retain: opts.retain ?? false, dup: false,
      } as PublishPacket, (error?: Error | null) => (error ? reject(error) : resolve()));
    });
  }

  /**
   * The start-up warm-up's part here (see DeviceHub.start), before any listener
   * is open: `rounds` QoS 1 packets through aedes' publish pipeline (retained and
   * offline checks, the emitter's matching, the publish hooks) on a `$` topic no
   * device may subscribe to, so nothing is delivered, queued or stored; and the
   * ACL checks a card read (`read`, from `reader`) and its door command
   * (`command`, to `door`) pass, answered to no one.
   */
  async warm(rounds: number, read: WarmMessage, command: WarmMessage): Promise<void> {
    for (let i = 0; i < rounds; i++) {
      mayPublish(read.device, read.topic);
      this.#auth.forwards(command.device, command.topic, command.payload);
      await this.#publish(WARM_UP, read.payload, { qos: 1 });
    }
  }

  /** Subscribes the gateway's internal client (no ACL); returns the unsubscribe. */
  subscribe(filter: string, handler: (topic: string, payload: Buffer) => void): () => void {
    const deliver = (packet: AedesPublishPacket, cb: () => void) => {
      try {
        handler(packet.topic, packet.payload as Buffer);
      } finally {
        cb();
      }
    };
    this.aedes.subscribe(filter, deliver as never, () => {});
    return () => this.aedes.unsubscribe(filter, deliver as never, () => {});
  }

  /** Closes a device's connection (revocation, rotation). */
  disconnect(deviceId: string, why: string): void {
    // A client is registered with aedes before its CONNACK, and in #online only after it.
    const registered = (this.aedes as unknown as { clients: Record<string, Client | undefined> }).clients[deviceId];
    const client = this.#online.get(deviceId) ?? registered;
    if (!client) return;
    this.#logger.info({ device: deviceId, why }, 'mqtt: disconnecting device');
    client.close();
  }

  /** Drops a device's stored MQTT session (subscriptions, queued messages, will): it was revoked. */
  forgetSession(deviceId: string): void {
    this.#sessions?.forget(deviceId);
  }

  /** Empties the session file's WAL (after an erasure); nothing with the in-memory persistence. False: not yet (a reader holds it). */
  truncateSessionWal(): boolean { return this.#sessions?.truncateWal() ?? true; }

  get persistence(): 'sqlite' | 'memory' { return this.#sessions ? 'sqlite' : 'memory'; }

  /** What the durable persistence keeps (undefined with the in-memory one). */
  get sessions(): SqlitePersistence['size'] | undefined { return this.#sessions?.size; }

  #refuse(r: Refusal): void {
    this.counters.refused[r.reason] = (this.counters.refused[r.reason] ?? 0) + 1;
    this.#logger.warn({ device: r.deviceId, reason: r.reason, topic: r.topic }, 'mqtt: refused');
    this.safeEmit('refused', r);
  }

  /** A pending connection authenticated or closed: it leaves the pending slots once. */
  #settle(conn: Duplex): void {
    if (this.#pendingConns.delete(conn)) this.#guard.settle(this.#addresses.get(conn) ?? '?');
  }

  #ready(client: Client): void {
    const device = this.#auth.identity(client);
    if (!device) return;
    this.#online.set(device.id, client);
    this.safeEmit('online', device);
    // A revocation between the secret check and the registration would find no
    // client to disconnect; look once more now that the client is registered.
    if (device.kind !== 'integration') {
      void this.#devices.get(device.id).then((d) => { if (!d || d.revoked) this.disconnect(device.id, 'revoked'); }, () => {});
    }
  }

  #gone(client: Client): void {
    const device = this.#auth.identity(client);
    if (!device || this.#online.get(device.id) !== client) return;
    this.#online.delete(device.id);
    this.#rate.forget(device.id);
    this.safeEmit('offline', device);
  }

  #published(packet: AedesPublishPacket, client: Client | null): void {
    // Only a device's PUBLISH its ACL let through carries a leaf (not the gateway's own, not a dropped one).
    const leaf = publishedLeaf(packet);
    const device = leaf === undefined || !client ? undefined : this.#auth.identity(client);
    if (!device || leaf === undefined) return;
    this.counters.messages++;
    this.safeEmit('message', device, packet.topic, packet.payload as Buffer, packet.retain, leaf);
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#logger.error({ event, err: error }, 'mqtt: listener failed');
  }

  get closed(): boolean { return this.#closed; }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#guard.close();
    for (const conn of this.#conns) conn.destroy();
    await new Promise<void>((resolve) => this.aedes.close(() => resolve()));
    await this.#sessions?.destroy();
  }
}
