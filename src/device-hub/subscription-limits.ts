// Bounds what one SUBSCRIBE can cost: filters per packet, subscriptions per
// connection, and one persistence write per packet (aedes 1.x hands the
// persistence the packet's whole filter list once per filter: quadratic).
import type { Client, Subscription } from 'aedes';

export interface SubscriptionLimitSettings {
  /** Filters accepted from one SUBSCRIBE; the rest get SUBACK 0x80. */
  maxFiltersPerSubscribe: number;
  /** Subscriptions one connection may hold; new filters beyond it get SUBACK 0x80. */
  maxSubscriptionsPerDevice: number;
}

export type SubscriptionRefusal = 'filters-per-subscribe' | 'subscriptions';

type RawSubscribe = { cmd: string; subscriptions?: Subscription[] };
type Persistence = { addSubscriptions(client: Client, subs: Subscription[]): Promise<void> };

/** SUBACK return code of a refused filter. */
export const REFUSED = 128;

export class SubscriptionLimits {
  readonly #limits: SubscriptionLimitSettings;
  /** Filters past the per-packet cap, marked when the packet is parsed. */
  readonly #overPacket = new WeakSet<Subscription>();
  readonly #held = new WeakMap<Client, Set<string>>();

  constructor(limits: SubscriptionLimitSettings) {
    this.#limits = limits;
  }

  /** Sees every packet of a connection as parsed, before aedes handles it; returns the filters over the cap. */
  inspect(packet: RawSubscribe): number {
    if (packet.cmd !== 'subscribe' || !packet.subscriptions) return 0;
    const subs = packet.subscriptions;
    for (let i = this.#limits.maxFiltersPerSubscribe; i < subs.length; i++) this.#overPacket.add(subs[i]!);
    return Math.max(0, subs.length - this.#limits.maxFiltersPerSubscribe);
  }

  /** The filter is past its packet's cap (decided before anything else, so it costs nothing more). */
  overPacket(sub: Subscription): boolean {
    return this.#overPacket.has(sub);
  }

  /** Decides a filter the ACL allowed: undefined grants it (and counts it), else the reason to refuse. */
  admit(client: Client, sub: Subscription): SubscriptionRefusal | undefined {
    let held = this.#held.get(client);
    if (!held) this.#held.set(client, held = new Set());
    if (held.has(sub.topic)) return undefined;
    if (held.size >= this.#limits.maxSubscriptionsPerDevice) return 'subscriptions';
    held.add(sub.topic);
    return undefined;
  }

  /** The client unsubscribed these filters: they no longer count. */
  release(client: Client, topics: string[]): void {
    const held = this.#held.get(client);
    if (held) for (const topic of topics) held.delete(topic);
  }

  /** Subscriptions a connection holds (for tests and status). */
  held(client: Client): number {
    return this.#held.get(client)?.size ?? 0;
  }
}

/**
 * Makes aedes' one-call-per-filter `addSubscriptions(client, wholeList)` one
 * call per packet: the calls for one list share a single write, made after the
 * packet's filters were all authorized (aedes authorizes them in one synchronous
 * pass; the write waits one microtask), with the refused ones (QoS 128) left out.
 */
export function oncePerPacket(persistence: Persistence): void {
  const add = persistence.addSubscriptions.bind(persistence);
  const pending = new WeakMap<Subscription[], Promise<void>>();
  persistence.addSubscriptions = (client, subs) => {
    let write = pending.get(subs);
    if (!write) {
      write = Promise.resolve().then(() => {
        pending.delete(subs);
        const granted = subs.filter((s) => (s.qos as number) !== REFUSED);
        return granted.length > 0 ? add(client, granted) : undefined;
      });
      pending.set(subs, write);
    }
    return write;
  };
}
