// The SQLite file behind the durable broker persistence: retained messages,
// persistent-session subscriptions, queued QoS 1/2 messages and in-flight QoS 2
// packets (wills stay in memory: see SqlitePersistence.setup). A file of its own (not the store): it is written at message
// rate, holds nothing but MQTT session state, and deleting it only resets sessions.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serialize, deserialize } from 'node:v8';
import Database from 'better-sqlite3';

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS retained (topic TEXT PRIMARY KEY, packet BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS subscriptions (
  client_id TEXT NOT NULL, topic TEXT NOT NULL, record TEXT NOT NULL,
  PRIMARY KEY (client_id, topic)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL, packet BLOB NOT NULL);
CREATE INDEX IF NOT EXISTS outgoing_by_client ON outgoing (client_id, seq);
CREATE TABLE IF NOT EXISTS incoming (
  client_id TEXT NOT NULL, message_id INTEGER NOT NULL, packet BLOB NOT NULL,
  PRIMARY KEY (client_id, message_id)) WITHOUT ROWID;
`;

/** A packet as aedes hands it over; only its data fields are stored. */
export type StoredPacket = Record<string, unknown>;

/** Own data fields of a packet: aedes attaches callbacks (`writeCallback`) that must not be stored. */
export function encodePacket(packet: object): Buffer {
  const data: StoredPacket = {};
  for (const [key, value] of Object.entries(packet)) if (typeof value !== 'function') data[key] = value;
  return serialize(data);
}

export const decodePacket = (blob: Buffer): StoredPacket => deserialize(blob) as StoredPacket;

export interface SessionRows {
  retained: Array<{ topic: string; packet: Buffer }>;
  subscriptions: Array<{ client_id: string; topic: string; record: string }>;
  outgoing: Array<{ seq: number; client_id: string; packet: Buffer }>;
  incoming: Array<{ client_id: string; message_id: number; packet: Buffer }>;
}

/** Prepared statements over the session file (the persistence batches them into transactions). */
export class SessionDb {
  readonly #db: Database.Database;
  readonly putRetained: Database.Statement<[string, Buffer]>;
  readonly delRetained: Database.Statement<[string]>;
  readonly putSubscription: Database.Statement<[string, string, string]>;
  readonly delSubscription: Database.Statement<[string, string]>;
  readonly delSubscriptions: Database.Statement<[string]>;
  readonly addOutgoing: Database.Statement<[number, string, Buffer]>;
  readonly setOutgoing: Database.Statement<[Buffer, number]>;
  readonly delOutgoing: Database.Statement<[number]>;
  readonly delOutgoingOf: Database.Statement<[string]>;
  readonly putIncoming: Database.Statement<[string, number, Buffer]>;
  readonly delIncoming: Database.Statement<[string, number]>;
  readonly delIncomingOf: Database.Statement<[string]>;

  constructor(path: string) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    this.#db = db;
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Deleted rows are overwritten with zeros, not left readable in free space (erasure, issue 15).
      db.pragma('secure_delete = ON');
      const version = db.pragma('user_version', { simple: true }) as number;
      if (version > SCHEMA_VERSION) throw new Error(`MQTT session file ${path} has schema ${version}, newer than this Portier (${SCHEMA_VERSION})`);
      db.exec(SCHEMA);
      db.pragma(`user_version = ${SCHEMA_VERSION}`);
    } catch (error) {
      db.close();
      throw error;
    }
    this.putRetained = db.prepare('INSERT INTO retained (topic, packet) VALUES (?, ?) ON CONFLICT (topic) DO UPDATE SET packet = excluded.packet');
    this.delRetained = db.prepare('DELETE FROM retained WHERE topic = ?');
    this.putSubscription = db.prepare('INSERT INTO subscriptions (client_id, topic, record) VALUES (?, ?, ?) ON CONFLICT (client_id, topic) DO UPDATE SET record = excluded.record');
    this.delSubscription = db.prepare('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?');
    this.delSubscriptions = db.prepare('DELETE FROM subscriptions WHERE client_id = ?');
    this.addOutgoing = db.prepare('INSERT INTO outgoing (seq, client_id, packet) VALUES (?, ?, ?)');
    this.setOutgoing = db.prepare('UPDATE outgoing SET packet = ? WHERE seq = ?');
    this.delOutgoing = db.prepare('DELETE FROM outgoing WHERE seq = ?');
    this.delOutgoingOf = db.prepare('DELETE FROM outgoing WHERE client_id = ?');
    this.putIncoming = db.prepare('INSERT INTO incoming (client_id, message_id, packet) VALUES (?, ?, ?) ON CONFLICT (client_id, message_id) DO UPDATE SET packet = excluded.packet');
    this.delIncoming = db.prepare('DELETE FROM incoming WHERE client_id = ? AND message_id = ?');
    this.delIncomingOf = db.prepare('DELETE FROM incoming WHERE client_id = ?');
  }

  /** Runs `work` as one transaction (several rows that belong together). */
  transaction<T>(work: () => T): T {
    return this.#db.transaction(work)();
  }

  /** Everything stored, in insertion order of the queues. */
  load(): SessionRows {
    const all = <R>(sql: string) => this.#db.prepare(sql).all() as R[];
    return {
      retained: all('SELECT topic, packet FROM retained'),
      subscriptions: all('SELECT client_id, topic, record FROM subscriptions'),
      outgoing: all('SELECT seq, client_id, packet FROM outgoing ORDER BY seq'),
      incoming: all('SELECT client_id, message_id, packet FROM incoming'),
    };
  }

  /**
   * Copies the WAL back and truncates it, so deleted rows' old page images leave
   * the -wal file. Whether it was emptied: false at once (no busy wait on the
   * event loop) while a reader elsewhere still needs it — ask again later.
   */
  truncateWal(): boolean {
    if (!this.#db.open) return true;
    const timeout = this.#db.pragma('busy_timeout', { simple: true }) as number;
    this.#db.pragma('busy_timeout = 0');
    try {
      const [r] = this.#db.pragma('wal_checkpoint(TRUNCATE)') as Array<{ busy: number }>;
      return r?.busy === 0;
    } finally {
      this.#db.pragma(`busy_timeout = ${timeout}`);
    }
  }

  close(): void {
    if (this.#db.open) this.#db.close();
  }
}
