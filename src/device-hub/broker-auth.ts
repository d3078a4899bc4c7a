// Who may do what on the embedded MQTT broker (broker.ts): a connection authenticates
// with its device's credential (or an integration's token), client id = device id,
// within the connect limits; the ACLs per kind on publish (with the message rate),
// subscribe (with the subscription limits) and delivery.
import type { Duplex } from 'node:stream';
import type { Client, AedesPublishPacket, Subscription, PublishPacket } from 'aedes';
import { mayReceive, maySubscribe, publishAcl, type DeviceIdentity, type PublishAcl } from './topics.ts';
import type { RateLimiter } from './limits.ts';
import type { ConnectGuard } from './connect-guard.ts';
import { REFUSED, type SubscriptionLimits } from './subscription-limits.ts';
import { isCredentialShaped, type Devices } from './devices.ts';

/** Why the broker refused a connection, packet or subscription (each counted in Broker.counters.refused). */
export const REFUSAL_REASONS = [
  'bad-credentials', 'client-id', 'connect-rate', 'connect-failures', 'connections', 'pending-connections', 'packet-size',
  'publish-acl', 'subscribe-acl', 'filters-per-subscribe', 'subscriptions', 'message-rate',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Resolves an integration's API token to its identity (undefined: not one). */
export type IntegrationLookup = (username: string, password: string) => Promise<DeviceIdentity | undefined>;

/** Forward filter for gateway-published packets (e.g. drop expired door commands). */
export type ForwardFilter = (device: DeviceIdentity, topic: string, payload: Buffer) => boolean;

// Accepted-but-dropped publishes are re-routed here: MQTT 3.1.1 lets a broker
// acknowledge and discard (MQTT-3.3.5-2), and `#` never matches `$` topics.
const DROPPED = '$portier-dropped';

/**
 * The leaf the publish ACL read off a device's PUBLISH, kept on the packet object until
 * aedes announces that same object in its 'publish' event: the topic is read once. A
 * symbol-keyed property (not a WeakMap: at QoS 0 thousands of packets wait in the
 * emitter's queue, and a WeakMap entry per packet made the ACL 8 % of the broker's CPU);
 * aedes copies named fields only, so it never reaches a delivered or stored packet.
 */
const LEAF = Symbol('portier: published leaf');
type WithLeaf = PublishPacket & { [LEAF]?: string };

/** What the broker checks a connection's PUBLISH with, made once when it authenticated. */
interface Publisher { device: DeviceIdentity; leafOf: PublishAcl }

function authError(returnCode: 2 | 3 | 4 | 5, message: string): Error & { returnCode: number } {
  return Object.assign(new Error(message), { returnCode });
}

/** A refusal the broker counts, logs and tells its listeners. */
export interface Refusal { reason: RefusalReason; deviceId?: string; topic?: string }

/** What the checks need of the broker. */
export interface BrokerAuthParts {
  devices: Devices;
  guard: ConnectGuard;
  subs: SubscriptionLimits;
  rate: RateLimiter;
  maxConnections: number;
  /** The broker's counters: a delivery the ACL lets through is counted here. */
  counters: { delivered: number };
  /** The source address of a connection (noted when the broker took it; '?' if none). */
  addressOf(conn: Duplex): string;
  /** The connections open now, authenticated or not. */
  connections(): number;
  /** A pending connection authenticated: it leaves the pending slots. */
  settle(conn: Duplex): void;
  refuse(refusal: Refusal): void;
  /** The broker's integration lookup and forward filter as set now (the hub sets them after construction). */
  integrations: IntegrationLookup;
  forwardFilter: ForwardFilter;
}

/** The leaf the publish ACL read off a device's PUBLISH; undefined for the gateway's own and for a dropped one. */
export function publishedLeaf(packet: PublishPacket): string | undefined {
  return (packet as WithLeaf)[LEAF];
}

export class BrokerAuth {
  readonly #parts: BrokerAuthParts;
  /** The broker's, held directly: one increment per delivery, no lookup. */
  readonly #counters: { delivered: number };
  readonly #identities = new WeakMap<Client, DeviceIdentity>();
  readonly #publishers = new WeakMap<Client, Publisher>();
  readonly #emptyClientId = new WeakSet<Client>();

  constructor(parts: BrokerAuthParts) {
    this.#parts = parts;
    this.#counters = parts.counters;
  }

  /** The device a connection authenticated as (undefined before, or never). */
  identity(client: Client): DeviceIdentity | undefined { return this.#identities.get(client); }

  preConnect(client: Client, clientId: string, done: (error: Error | null, ok: boolean) => void): void {
    if (clientId === '') this.#emptyClientId.add(client);
    done(null, true);
  }

  async authenticate(client: Client, username: string | undefined, password: Buffer | undefined): Promise<void> {
    const conn = client.conn as Duplex;
    const address = this.#parts.addressOf(conn);
    // Counted before the secret is checked: parallel guesses cannot outrun the limit.
    if (!this.#parts.guard.attempt(address)) {
      this.#parts.refuse({ reason: 'connect-failures', deviceId: username, topic: address });
      throw authError(3, 'too many failed connects from this address');
    }
    const secret = password?.toString('utf8');
    const device: DeviceIdentity | undefined = username && secret
      ? (await this.#parts.devices.authenticate(username, secret)) ?? (await this.#parts.integrations(username, secret))
      : undefined;
    if (!device || (device as { revoked?: boolean }).revoked) {
      this.#parts.refuse({ reason: 'bad-credentials', deviceId: username, topic: address });
      await this.#parts.guard.failed(username);
      throw authError(4, 'bad user name or password');
    }
    const flapping = !this.#parts.guard.succeeded(address, device.id);
    if (this.#emptyClientId.has(client)) {
      client.id = device.id;
    } else if (client.id !== device.id) {
      this.#parts.refuse({ reason: 'client-id', deviceId: device.id, topic: client.id });
      throw authError(2, 'client id must be the device id');
    }
    // Device ids and credential ids (integrations' client ids) must never meet in aedes' client table.
    if (device.kind !== 'integration' && isCredentialShaped(device.id)) {
      this.#parts.refuse({ reason: 'client-id', deviceId: device.id, topic: client.id });
      throw authError(2, 'a device id must not look like a credential id');
    }
    if (flapping) {
      this.#parts.refuse({ reason: 'connect-rate', deviceId: device.id });
      throw authError(3, 'too many connects of this device');
    }
    this.#parts.settle(conn);
    if (this.#parts.connections() - this.#parts.guard.pending > this.#parts.maxConnections) {
      this.#parts.refuse({ reason: 'connections', deviceId: device.id });
      throw authError(3, 'too many connections');
    }
    const { id, kind, siteId, doorId, terminalId, credentialId } = device as DeviceIdentity;
    const identity: DeviceIdentity = { id, kind, siteId, doorId, terminalId, credentialId };
    this.#identities.set(client, identity);
    this.#publishers.set(client, { device: identity, leafOf: publishAcl(identity) });
  }

  authorizePublish(client: Client | null, packet: PublishPacket): Error | null {
    if (!client) return null;
    const publisher = this.#publishers.get(client);
    const leaf = publisher?.leafOf(packet.topic);
    let reason: RefusalReason | undefined;
    if (!publisher || leaf === undefined) reason = 'publish-acl';
    else if (!this.#parts.rate.take(publisher.device.id)) reason = 'message-rate';
    else (packet as WithLeaf)[LEAF] = leaf;
    if (reason) {
      this.#parts.refuse({ reason, deviceId: publisher?.device.id ?? client.id, topic: packet.topic });
      packet.topic = `${DROPPED}/${reason}`;
      packet.retain = false;
    }
    return null;
  }

  authorizeSubscribe(client: Client, sub: Subscription): Subscription | null {
    // Past the packet's cap: refused unchecked and unlogged (counted once per packet when it was parsed).
    if (!this.#parts.subs.overPacket(sub)) {
      const device = this.#identities.get(client);
      const refusal = !device || !maySubscribe(device, sub.topic) ? 'subscribe-acl' : this.#parts.subs.admit(client, sub);
      if (refusal === undefined) return sub;
      this.#parts.refuse({ reason: refusal, deviceId: device?.id ?? client.id, topic: sub.topic });
    }
    // What aedes sets after the packet anyway; the session store skips it (see oncePerPacket).
    (sub as { qos: number }).qos = REFUSED;
    return null; // SUBACK return code 0x80
  }

  authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null {
    const device = this.#identities.get(client);
    if (!device || !this.forwards(device, packet.topic, packet.payload as Buffer)) return null;
    this.#counters.delivered++;
    return packet;
  }

  forwards(device: DeviceIdentity, topic: string, payload: Buffer): boolean {
    return mayReceive(device, topic) && this.#parts.forwardFilter(device, topic, payload);
  }
}
