// Erasure leaves nothing readable on disk: after a person is erased through the
// admin API, the raw bytes of portier.db, its -wal and mqtt-sessions.db (with
// its -wal) hold neither their name, login, e-mail nor card number — deleted rows
// are zeroed (secure_delete) and the write-ahead logs emptied after the erasure.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import type { ApiClient } from '../support/gateway.ts';
import type { Gw } from '../support/signaling.ts';
import { gatewayWithAdmin } from '../support/gateway-hooks.ts';

const PERSON = { login: 'berta.bauer', displayName: 'Berta Bauerfeind', email: 'berta.bauerfeind@example.com', password: 'berta password 1234' };
const CARD = '0077665544';
const THIRD = { login: 'dora.dietz', displayName: 'Dora Dietzenbach', password: 'dora password 12345' };
const OTHER = { login: 'conrad.kluge', displayName: 'Conrad Klugmann', password: 'conrad password 1234' };

describe('erasure on disk', () => {
  let gw: Gw;
  let admin: ApiClient;

  gatewayWithAdmin({}, (g, a) => { gw = g; admin = a; });

  const files = () => ['portier.db', 'portier.db-wal', 'mqtt-sessions.db', 'mqtt-sessions.db-wal'].map((f) => join(gw.dataDir, f)).filter((f) => existsSync(f));
  const found = (text: string): string[] => files().filter((f) => readFileSync(f).includes(Buffer.from(text, 'utf8')));

  it('finds none of the person\'s identifiers in the bytes of the database files after erasure', async () => {
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const created = await admin.post('/api/users', { login: PERSON.login, displayName: PERSON.displayName, email: PERSON.email, password: PERSON.password });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const { phonebook, deviceHub } = gw.gateway.services;
    await phonebook.upsertMany({ type: 'system', id: null }, [{ siteId: 'hq', kind: 'person', name: PERSON.displayName, department: 'Einkauf', routes: [{ type: 'desk-user', userId: id }] }]);
    await deviceHub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: CARD, holderRef: id, kind: 'employee' });
    // The search sees what is there: before the erasure the name and login are on disk.
    expect(found(PERSON.displayName).length).toBeGreaterThan(0);
    expect(found(PERSON.login).length).toBeGreaterThan(0);

    const erased = await admin.post(`/api/privacy/subjects/user/${id}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({ accounts: { accounts: 1 }, phonebook: { entries: 1 }, 'device-hub': { cards: 1 } });

    expect(files().map((f) => f.slice(gw.dataDir.length + 1))).toContain('portier.db');
    for (const text of [PERSON.displayName, PERSON.login, PERSON.email, CARD]) expect(found(text), text).toEqual([]);
  });

  it('empties the WAL once a reader that held it during the erasure lets go, and says so (journalsEmptied)', async () => {
    const created = await admin.post('/api/users', OTHER);
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    // A reader elsewhere (a backup, `portier audit verify`) holds a snapshot: the WAL cannot be emptied meanwhile.
    const reader = new Database(join(gw.dataDir, 'portier.db'), { readonly: true });
    try {
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM users').get();
      const erased = await admin.post(`/api/privacy/subjects/user/${id}/erase`);
      expect(erased.status).toBe(200); // the erasure stands; the journal is owed
      // Still on disk: in the -wal, or in portier.db if a pass copied the row back before the reader
      // began — the erasure's zeroed page cannot follow it there while the reader holds its snapshot.
      expect(found(OTHER.displayName).length).toBeGreaterThan(0);
      expect(gw.gateway.services.privacy.journalsOwed).toBe(true);
      reader.prepare('COMMIT').run();
    } finally {
      reader.close();
    }
    // Retried on the clock until it succeeds: then no journal holds the person any more.
    await gw.gateway.services.privacy.journalsEmptied();
    for (const text of [OTHER.displayName, OTHER.login]) expect(found(text), text).toEqual([]);
  });

  it('owes the wipe while a reader holds the MQTT session file too, until it lets go', async () => {
    const created = await admin.post('/api/users', THIRD);
    expect(created.status).toBe(201);
    const sessionFile = join(gw.dataDir, 'mqtt-sessions.db');
    // Frames in the session file's WAL (as the broker's writes leave them) that the reader's snapshot then needs.
    const writer = new Database(sessionFile);
    writer.prepare('INSERT INTO retained (topic, packet) VALUES (?, ?)').run('test/frame', Buffer.from('x'));
    writer.prepare('DELETE FROM retained WHERE topic = ?').run('test/frame');
    writer.close();
    const reader = new Database(sessionFile, { readonly: true });
    const { privacy } = gw.gateway.services;
    try {
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM retained').get();
      expect((await admin.post(`/api/privacy/subjects/user/${created.body.id as string}/erase`)).status).toBe(200);
      expect(privacy.journalsOwed).toBe(true);
      reader.prepare('COMMIT').run();
    } finally {
      reader.close();
    }
    await privacy.journalsEmptied();
    expect(privacy.journalsOwed).toBe(false);
    expect(found(THIRD.displayName)).toEqual([]);
  });
});
