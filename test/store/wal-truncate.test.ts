// Emptying the WAL after an erasure (Store.truncateWal): the checkpoint thread's own
// passes never make it fail, and a reader elsewhere makes it report "not yet" instead
// of waiting on the store's event loop.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { systemClock } from '../../src/core/index.ts';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
const system = { type: 'system', id: null } as const;

describe('store: emptying the WAL (truncateWal)', () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-truncate-')); });
  afterEach(() => { rmSync(dir, { recursive: true, force: true }); });

  it('is never refused because the checkpoint thread is in a pass of its own', async () => {
    const path = join(dir, 'portier.db');
    const store = await Store.open(path);
    try {
      const audit = new AuditLog(store.db, systemClock);
      let passes = 0;
      store.checkpointer!.on('pass', () => { passes++; });
      const refused: number[] = [];
      // Writes keep the thread passing every few milliseconds; each round asks for a truncation
      // between them, so truncations and the thread's passes meet again and again.
      for (let i = 0; i < 150; i++) {
        await audit.append({ actor: system, action: 'filler', outcome: 'ok', details: { filler: 'x'.repeat(4_000) } });
        await nextTurn();
        if (!await store.truncateWal()) refused.push(i);
      }
      expect(passes).toBeGreaterThan(0);
      expect(refused).toEqual([]);
      expect(statSync(`${path}-wal`).size).toBeLessThan(64 * 1024);
    } finally {
      await store.close();
    }
  });

  it('reports "not yet" while a reader elsewhere holds a snapshot, and empties the WAL once it let go', async () => {
    const path = join(dir, 'portier.db');
    const store = await Store.open(path);
    const reader = new Database(path, { readonly: true });
    try {
      const audit = new AuditLog(store.db, systemClock);
      await audit.append({ actor: system, action: 'first', outcome: 'ok' });
      reader.prepare('BEGIN').run();
      reader.prepare('SELECT count(*) FROM audit_log').get();
      // Written after the reader's snapshot: these frames cannot be copied back while it holds it.
      await audit.append({ actor: system, action: 'second', outcome: 'ok', details: { marker: 'erased-marker-1' } });
      expect(await store.truncateWal()).toBe(false);
      expect(readFileSync(`${path}-wal`).includes('erased-marker-1')).toBe(true);
      reader.prepare('COMMIT').run();
      expect(await store.truncateWal()).toBe(true);
      expect(statSync(`${path}-wal`).size).toBe(0);
      // The store writes on afterwards.
      await audit.append({ actor: system, action: 'after', outcome: 'ok' });
    } finally {
      reader.close();
      await store.close();
    }
  });
});
