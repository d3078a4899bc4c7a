// The MQTT session file's WAL after an erasure (SessionDb.truncateWal): emptied
// when nobody else reads the file; "not yet" at once — no busy wait on the event
// loop — while a reader elsewhere holds a snapshot, and emptied once it let go.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SessionDb } from '../../src/device-hub/persistence/session-db.ts';

describe('device hub: the session file\'s WAL', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-session-wal-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('answers false while a reader holds a snapshot (the packet stays in the -wal), and empties it once the reader let go', () => {
    const path = join(dir, 'mqtt-sessions.db');
    const sessions = new SessionDb(path);
    const reader = new Database(path, { readonly: true });
    try {
      sessions.putRetained.run('site/hq/reader/r1/card', Buffer.from('CARD-0077665544'));
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM retained').get();
      sessions.delRetained.run('site/hq/reader/r1/card');
      expect(sessions.truncateWal()).toBe(false);
      expect(readFileSync(`${path}-wal`).includes('CARD-0077665544')).toBe(true);
      reader.prepare('COMMIT').run();
      expect(sessions.truncateWal()).toBe(true);
      expect(statSync(`${path}-wal`).size).toBe(0);
    } finally {
      reader.close();
      sessions.close();
    }
  });
});
