// The MQTT session file's packet rows (src/device-hub/persistence/session-db.ts):
// encodePacket's own format (JSON fields and the payload's bytes) reads back as the
// packet's data fields, a packet with other than scalar fields keeps v8's format,
// and rows written before (v8.serialize, schema 1) still read back.
import { describe, it, expect } from 'vitest';
import { serialize } from 'node:v8';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SessionDb, encodePacket, decodePacket } from '../../src/device-hub/persistence/session-db.ts';

/** A queued QoS 1 message as aedes hands it over: its id not assigned yet, a callback attached. */
const queued = () => ({
  cmd: 'publish', brokerId: 'b7c1', brokerCounter: 42, topic: 'portier/hq/tür-ß/event', payload: Buffer.from('{"type":"motion","value":true}'),
  qos: 1, retain: false, dup: false, messageId: undefined as number | undefined, clientId: 'sensor-1', writeCallback: () => {},
});
const { writeCallback: _callback, ...queuedData } = queued();

describe('session file packet rows', () => {
  it('reads a queued message back as its data fields: payload bytes, an unassigned message id, no callback', () => {
    const row = encodePacket(queued());
    expect(row[0]).toBe(0x01);
    const back = decodePacket(row);
    expect(back).toStrictEqual(queuedData);
    expect(Object.hasOwn(back, 'messageId')).toBe(true);
    expect(Buffer.isBuffer(back.payload)).toBe(true);
  });

  it('keeps a text payload as text, an empty one empty, and a packet without one without one', () => {
    for (const payload of ['Grüße 😀', Buffer.alloc(0)]) {
      const packet = { cmd: 'publish', topic: 'portier/hq/door-1/state', payload, qos: 0, retain: true, messageId: 7 };
      expect(decodePacket(encodePacket(packet))).toStrictEqual(packet);
    }
    const pubrel = { cmd: 'pubrel', messageId: 9, brokerId: 'b7c1', brokerCounter: 3 };
    expect(decodePacket(encodePacket(pubrel))).toStrictEqual(pubrel);
  });

  it('keeps v8\'s format for a packet with an object or a Buffer outside its payload', () => {
    const packet = { ...queuedData, messageId: 5, properties: { correlationData: Buffer.from([1, 2]), userProperties: { a: 'b' } } };
    const row = encodePacket(packet);
    expect(row[0]).toBe(0xff);
    expect(decodePacket(row)).toStrictEqual(packet);
  });

  it('reads rows written before, by v8.serialize', () => {
    const old = serialize({ ...queuedData, messageId: 11 });
    expect(decodePacket(old)).toStrictEqual({ ...queuedData, messageId: 11 });
  });
});

describe('session file version', () => {
  it('opens a version 1 file (v8 rows) and marks it 2; a file newer than this Portier is refused by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-session-db-'));
    try {
      const path = join(dir, 'mqtt-sessions.db');
      new SessionDb(path).close();
      const raw = new Database(path);
      raw.pragma('user_version = 1');
      raw.prepare('INSERT INTO outgoing (seq, client_id, packet) VALUES (?, ?, ?)').run(1, 'sensor-1', serialize({ ...queuedData, messageId: 3 }));
      raw.close();
      const db = new SessionDb(path);
      expect(db.load().outgoing.map((r) => decodePacket(r.packet))).toStrictEqual([{ ...queuedData, messageId: 3 }]);
      db.close();
      const again = new Database(path);
      expect(again.pragma('user_version', { simple: true })).toBe(2);
      again.pragma('user_version = 3');
      again.close();
      expect(() => new SessionDb(path)).toThrow(/has schema 3, newer than this Portier \(2\)/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
