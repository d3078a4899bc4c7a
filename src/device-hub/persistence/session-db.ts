// The SQLite file behind the durable broker persistence: retained messages,
// persistent-session subscriptions, queued QoS 1/2 messages and in-flight QoS 2
// packets (wills stay in memory: see SqlitePersistence.setup). A file of its own (not the store): it is written at message
// rate, holds nothing but MQTT session state, and deleting it only resets sessions.
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { serialize, deserialize } from 'node:v8';
import Database from 'better-sqlite3';

/**
 * 2: packet rows may be in encodePacket's own format (a version 1 file's v8 rows still
 * read back); a Portier of version 1 refuses such a file by name instead of failing on a row.
 */
const SCHEMA_VERSION = 2;

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

/**
 * A row of encodePacket's own format: this byte, the payload's kind (PAYLOAD), the
 * JSON's length (uint32 LE), the JSON `{ f: fields, u: keys whose value is undefined }`,
 * then the payload's bytes. v8.serialize, used before and still for a packet with
 * other than plain scalar fields, starts its output with 0xFF, so both read back.
 */
const OWN_FORMAT = 0x01;
const PAYLOAD = { none: 0, bytes: 1, text: 2 } as const;
const HEAD = 6;

/** Own data fields of a packet: aedes attaches callbacks (`writeCallback`) that must not be stored. */
function dataFields(packet: object): StoredPacket {
  const data: StoredPacket = {};
  for (const [key, value] of Object.entries(packet)) if (typeof value !== 'function') data[key] = value;
  return data;
}

const scalar = (value: unknown): boolean =>
  value === null || typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));

/**
 * A packet's own data fields as a row. Queued messages are encoded at message rate
 * (twice each: at their insert and when aedes assigns their message id), and
 * v8.serialize was 13 % of the broker's CPU in the persistent-session benchmark;
 * JSON and the payload's bytes cost about a third of it (issue 16).
 */
export function encodePacket(packet: object): Buffer {
  const fields: StoredPacket = {};
  const undefinedKeys: string[] = [];
  let payload: Buffer | string | undefined;
  for (const [key, value] of Object.entries(packet)) {
    if (typeof value === 'function') continue;
    if (key === 'payload' && (Buffer.isBuffer(value) || typeof value === 'string')) payload = value;
    else if (value === undefined) undefinedKeys.push(key);
    else if (scalar(value)) fields[key] = value;
    else return serialize(dataFields(packet)); // an object, a Buffer elsewhere than the payload …: v8's format keeps it
  }
  const json = JSON.stringify(undefinedKeys.length > 0 ? { f: fields, u: undefinedKeys } : { f: fields });
  const jsonBytes = Buffer.byteLength(json);
  const payloadBytes = payload === undefined ? 0 : typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
  const row = Buffer.allocUnsafe(HEAD + jsonBytes + payloadBytes);
  row[0] = OWN_FORMAT;
  row[1] = payload === undefined ? PAYLOAD.none : typeof payload === 'string' ? PAYLOAD.text : PAYLOAD.bytes;
  row.writeUInt32LE(jsonBytes, 2);
  row.write(json, HEAD);
  if (typeof payload === 'string') row.write(payload, HEAD + jsonBytes);
  else payload?.copy(row, HEAD + jsonBytes);
  return row;
}

export function decodePacket(blob: Buffer): StoredPacket {
  if (blob[0] !== OWN_FORMAT) return deserialize(blob) as StoredPacket;
  const jsonEnd = HEAD + blob.readUInt32LE(2);
  const { f: packet, u } = JSON.parse(blob.toString('utf8', HEAD, jsonEnd)) as { f: StoredPacket; u?: string[] };
  for (const key of u ?? []) packet[key] = undefined;
  if (blob[1] === PAYLOAD.bytes) packet.payload = Buffer.from(blob.subarray(jsonEnd));
  else if (blob[1] === PAYLOAD.text) packet.payload = blob.toString('utf8', jsonEnd);
  return packet;
}

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
