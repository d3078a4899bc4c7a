// A durable aedes persistence: the in-memory structures aedes-persistence's own
// implementation keeps (same semantics, checked by its abstract test suite),
// written to a SQLite file and loaded from it at setup. Reads never touch the
// file. Writes are group-committed: collected during one event-loop turn and
// written in one transaction right after it (setImmediate), and a queued message
// that is acknowledged before that is never written at all. A crash of the
// process loses at most that last turn; the cost falls only on what a persistent
// session needs (retained messages, QoS > 0 subscriptions of clean=false
// clients, their queued messages). Wills are kept in memory only: restored after
// a restart, aedes would publish them without their connection, i.e. without the
// device's publish ACL.
import { Readable } from 'node:stream';
import { QlobberTrue } from 'qlobber';
import QlobberSub from 'qlobber/aedes/qlobber-sub.js';
import PacketModule from 'aedes-packet';
import { SessionDb, encodePacket, decodePacket, type StoredPacket } from './session-db.ts';

const QLOBBER = { wildcard_one: '+', wildcard_some: '#', separator: '/' };
const Packet = PacketModule as unknown as new (original: object) => StoredPacket;

type Id = { id: string };
type Sub = { topic: string; qos: number; rh?: number; rap?: boolean; nl?: boolean; subscriptionIdentifier?: number };
type SubRecord = Omit<Sub, 'topic'>;
/** written: the row exists in the file; gone: removed before its insert was flushed. */
type Queued = { seq: number; clientId: string; packet: StoredPacket; written: boolean; gone: boolean };
type BrokerLike = { id: string };

/** Stands in for the file after destroy(): aedes may still settle a closing client's will or queue. */
const CLOSED = new Proxy({}, {
  get: (_target, key) => (key === 'transaction' ? (work: () => unknown) => work() : key === 'close' ? () => {} : { run: () => ({ changes: 0, lastInsertRowid: 0 }) }),
}) as SessionDb;

export interface SqlitePersistenceOptions {
  /** Path of the session file, or ':memory:'. */
  path: string;
  /** Messages kept per offline client; the oldest is dropped beyond it. */
  maxQueuedPerClient?: number;
  onDropped?: (clientId: string) => void;
  /** A batch could not be written (disk full, file removed); its writes are lost, memory stays right. */
  onWriteError?: (error: unknown) => void;
}

export class SqlitePersistence {
  #db: SessionDb;
  readonly #maxQueued: number;
  readonly #onDropped: (clientId: string) => void;
  readonly #onWriteError: (error: unknown) => void;
  #writes: Array<() => void> = [];
  #flushScheduled: NodeJS.Immediate | undefined;
  #seq = 0;
  readonly #retained = new Map<string, StoredPacket>();
  readonly #subscriptions = new Map<string, Map<string, SubRecord>>();
  readonly #trie = new QlobberSub(QLOBBER);
  readonly #outgoing = new Map<string, Queued[]>();
  readonly #incoming = new Map<string, Map<number, StoredPacket>>();
  readonly #wills = new Map<string, StoredPacket>();
  #clientsCount = 0;
  #subscriptionWrites = 0;
  #broker: BrokerLike | undefined;
  #destroyed = false;

  constructor(options: SqlitePersistenceOptions) {
    this.#db = new SessionDb(options.path);
    this.#maxQueued = options.maxQueuedPerClient ?? 1000;
    this.#onDropped = options.onDropped ?? (() => {});
    this.#onWriteError = options.onWriteError ?? ((error) => process.emitWarning(`MQTT session state not written: ${String(error)}`));
  }

  get broker(): BrokerLike | undefined { return this.#broker; }

  /** Loads the session file into memory; aedes calls this once, before any client. */
  async setup(broker: BrokerLike): Promise<void> {
    this.#broker = broker;
    const rows = this.#db.load();
    for (const r of rows.retained) this.#retained.set(r.topic, decodePacket(r.packet));
    for (const r of rows.subscriptions) this.#addSub(r.client_id, { topic: r.topic, ...(JSON.parse(r.record) as SubRecord) });
    for (const r of rows.outgoing) {
      this.#queue(r.client_id).push({ seq: r.seq, clientId: r.client_id, packet: decodePacket(r.packet), written: true, gone: false });
      this.#seq = Math.max(this.#seq, r.seq);
    }
    for (const r of rows.incoming) this.#inbox(r.client_id).set(r.message_id, decodePacket(r.packet));
  }

  /** What is kept, for status and tests; subscriptionWrites: addSubscriptions calls so far (one per SUBSCRIBE). */
  get size(): { retained: number; clients: number; queued: number; wills: number; subscriptionWrites: number } {
    let queued = 0;
    for (const q of this.#outgoing.values()) queued += q.length;
    return { retained: this.#retained.size, clients: this.#clientsCount, queued, wills: this.#wills.size, subscriptionWrites: this.#subscriptionWrites };
  }

  async storeRetained(pkt: StoredPacket & { topic: string; payload: Buffer | string }): Promise<void> {
    const packet = { ...pkt };
    if (packet.payload.length === 0) {
      this.#retained.delete(packet.topic);
      this.#write(() => this.#db.delRetained.run(packet.topic));
    } else {
      this.#retained.set(packet.topic, packet);
      this.#write(() => this.#db.putRetained.run(packet.topic, encodePacket(packet)));
    }
  }

  createRetainedStreamCombi(patterns: string[]): Readable {
    const retained = this.#retained;
    return Readable.from((function* () {
      for (const pattern of patterns) yield* matching(retained, pattern);
    })());
  }

  createRetainedStream(pattern: string): Readable {
    return Readable.from(matching(this.#retained, pattern));
  }

  async addSubscriptions(client: Id, subs: Sub[]): Promise<void> {
    this.#subscriptionWrites++;
    for (const sub of subs) {
      const json = JSON.stringify(this.#addSub(client.id, sub));
      this.#write(() => this.#db.putSubscription.run(client.id, sub.topic, json));
    }
  }

  async removeSubscriptions(client: Id, topics: string[]): Promise<void> {
    const stored = this.#subscriptions.get(client.id);
    if (!stored) return;
    for (const topic of topics) {
      const sub = stored.get(topic);
      if (sub === undefined) continue;
      if (sub.qos > 0) this.#trie.remove(topic, { clientId: client.id, topic });
      stored.delete(topic);
      this.#write(() => this.#db.delSubscription.run(client.id, topic));
    }
    if (stored.size === 0) {
      this.#clientsCount--;
      this.#subscriptions.delete(client.id);
    }
  }

  async subscriptionsByClient(client: Id): Promise<Sub[]> {
    const stored = this.#subscriptions.get(client.id);
    return stored ? [...stored].map(([topic, record]) => ({ topic, ...record })) : [];
  }

  async countOffline(): Promise<{ subsCount: number; clientsCount: number }> {
    return { subsCount: this.#trie.subscriptionsCount, clientsCount: this.#clientsCount };
  }

  async subscriptionsByTopic(topic: string) {
    return this.#trie.match(topic);
  }

  async cleanSubscriptions(client: Id): Promise<void> {
    const stored = this.#subscriptions.get(client.id);
    if (!stored) return;
    for (const [topic, sub] of stored) if (sub.qos > 0) this.#trie.remove(topic, { clientId: client.id, topic });
    this.#clientsCount--;
    this.#subscriptions.delete(client.id);
    this.#write(() => this.#db.delSubscriptions.run(client.id));
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void> {
    this.#enqueue(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: Array<{ clientId: string }>, packet: object): Promise<void> {
    for (const sub of subs) this.#enqueue(sub.clientId, packet);
  }

  /** Assigns the message id of a queued packet, or replaces the packet with that id (PUBREL). */
  async outgoingUpdate(client: Id, packet: StoredPacket): Promise<void> {
    for (const entry of this.#queue(client.id)) {
      const queued = entry.packet;
      if (queued.brokerId === packet.brokerId) {
        if (queued.brokerCounter === packet.brokerCounter) {
          queued.messageId = packet.messageId;
          this.#rewrite(entry);
          return;
        }
      } else if (queued.messageId === packet.messageId) {
        entry.packet = packet;
        this.#rewrite(entry);
        return;
      }
    }
    throw new Error('no such packet');
  }

  async outgoingClearMessageId(client: Id, packet: { messageId?: unknown }): Promise<StoredPacket | undefined> {
    const queue = this.#queue(client.id);
    const i = queue.findIndex((entry) => entry.packet.messageId === packet.messageId);
    if (i < 0) return undefined;
    const [entry] = queue.splice(i, 1);
    this.#unqueue(entry!);
    return entry!.packet;
  }

  outgoingStream(client: Id): Readable {
    return Readable.from((this.#outgoing.get(client.id) ?? []).map((entry) => entry.packet));
  }

  async incomingStorePacket(client: Id, packet: StoredPacket & { messageId: number }): Promise<void> {
    const stored = new Packet(packet);
    stored.messageId = packet.messageId;
    this.#inbox(client.id).set(packet.messageId, stored);
    this.#write(() => this.#db.putIncoming.run(client.id, packet.messageId, encodePacket(stored)));
  }

  async incomingGetPacket(client: Id, packet: { messageId: number }): Promise<StoredPacket> {
    const stored = this.#incoming.get(client.id)?.get(packet.messageId);
    if (!stored) throw new Error('no such packet');
    return stored;
  }

  async incomingDelPacket(client: Id, packet: { messageId: number }): Promise<void> {
    const inbox = this.#incoming.get(client.id);
    if (!inbox?.delete(packet.messageId)) throw new Error('no such packet');
    this.#write(() => this.#db.delIncoming.run(client.id, packet.messageId));
  }

  async cleanIncoming(client: Id): Promise<void> {
    if (this.#incoming.delete(client.id)) this.#write(() => this.#db.delIncomingOf.run(client.id));
  }

  async putWill(client: Id, packet: StoredPacket): Promise<void> {
    packet.brokerId = this.#broker!.id;
    packet.clientId = client.id;
    this.#wills.set(client.id, packet);
  }

  async getWill(client: Id): Promise<StoredPacket | undefined> {
    return this.#wills.get(client.id);
  }

  async delWill(client: Id): Promise<StoredPacket | undefined> {
    const will = this.#wills.get(client.id);
    this.#wills.delete(client.id);
    return will;
  }

  /** Wills of brokers not in `brokers`: after a restart, those of the previous run. */
  streamWill(brokers: Record<string, unknown> = {}): Readable {
    return Readable.from([...this.#wills.values()].filter((will) => !brokers[will.brokerId as string]));
  }

  getClientList(topic: string): Readable {
    return Readable.from([...this.#subscriptions].filter(([, subs]) => subs.has(topic)).map(([clientId]) => clientId));
  }

  /** Drops everything kept for a client (a revoked or deleted device). */
  forget(clientId: string): void {
    void this.cleanSubscriptions({ id: clientId });
    for (const entry of this.#outgoing.get(clientId) ?? []) entry.gone = true;
    this.#outgoing.delete(clientId);
    this.#incoming.delete(clientId);
    this.#wills.delete(clientId);
    this.#write(() => {
      this.#db.delOutgoingOf.run(clientId);
      this.#db.delIncomingOf.run(clientId);
    });
  }

  /** Writes what is pending now, in one transaction (also called before close). */
  flush(): void {
    if (this.#flushScheduled) clearImmediate(this.#flushScheduled);
    this.#flushScheduled = undefined;
    const writes = this.#writes;
    if (writes.length === 0) return;
    this.#writes = [];
    try {
      this.#db.transaction(() => { for (const write of writes) write(); });
    } catch (error) {
      this.#onWriteError(error);
    }
  }

  /** Writes what is pending, then empties the file's WAL (after an erasure); false: a reader still holds it. */
  truncateWal(): boolean {
    if (this.#destroyed) return true;
    this.flush();
    return this.#db.truncateWal();
  }

  async destroy(): Promise<void> {
    if (this.#destroyed) throw new Error('destroyed called twice!');
    this.#destroyed = true;
    this.flush();
    this.#db.close();
    this.#db = CLOSED;
  }

  #addSub(clientId: string, sub: Sub): SubRecord {
    let stored = this.#subscriptions.get(clientId);
    if (!stored) {
      stored = new Map();
      this.#subscriptions.set(clientId, stored);
      this.#clientsCount++;
    }
    const record: SubRecord = { qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl };
    if (sub.subscriptionIdentifier !== undefined) record.subscriptionIdentifier = sub.subscriptionIdentifier;
    if (sub.qos > 0) {
      this.#trie.add(sub.topic, { clientId, topic: sub.topic, qos: sub.qos, rh: sub.rh, rap: sub.rap, nl: sub.nl });
    } else if ((stored.get(sub.topic)?.qos ?? 0) > 0) {
      this.#trie.remove(sub.topic, { clientId, topic: sub.topic });
    }
    stored.set(sub.topic, record);
    return record;
  }

  #write(write: () => void): void {
    this.#writes.push(write);
    this.#flushScheduled ??= setImmediate(() => this.flush());
  }

  #enqueue(clientId: string, original: object): void {
    const queue = this.#queue(clientId);
    if (queue.length >= this.#maxQueued) {
      // The oldest not yet in flight: one with a message id is being delivered and will be acknowledged.
      const i = queue.findIndex((entry) => entry.packet.messageId === undefined);
      if (i >= 0) {
        this.#unqueue(queue.splice(i, 1)[0]!);
        this.#onDropped(clientId);
      }
    }
    const entry: Queued = { seq: ++this.#seq, clientId, packet: new Packet(original), written: false, gone: false };
    queue.push(entry);
    // Encoded when flushed: an id assigned (or a PUBREL swapped in) before then is in the same row.
    this.#write(() => {
      if (entry.gone) return;
      this.#db.addOutgoing.run(entry.seq, entry.clientId, encodePacket(entry.packet));
      entry.written = true;
    });
  }

  #rewrite(entry: Queued): void {
    if (entry.written) this.#write(() => { if (!entry.gone) this.#db.setOutgoing.run(encodePacket(entry.packet), entry.seq); });
  }

  #unqueue(entry: Queued): void {
    entry.gone = true;
    if (entry.written) this.#write(() => this.#db.delOutgoing.run(entry.seq));
  }

  #queue(clientId: string): Queued[] {
    let queue = this.#outgoing.get(clientId);
    if (!queue) this.#outgoing.set(clientId, queue = []);
    return queue;
  }

  #inbox(clientId: string): Map<number, StoredPacket> {
    let inbox = this.#incoming.get(clientId);
    if (!inbox) this.#incoming.set(clientId, inbox = new Map());
    return inbox;
  }
}

function* matching(retained: Map<string, StoredPacket>, pattern: string): Generator<StoredPacket> {
  const qlobber = new QlobberTrue(QLOBBER);
  qlobber.add(pattern);
  for (const [topic, packet] of retained) if (qlobber.test(topic)) yield packet;
}
