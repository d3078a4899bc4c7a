// The SQLite file survives kill -9 in the middle of writing, and a change and
// its audit entry are either both there or both absent.
import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { sql } from 'kysely';
import { Store } from '../../src/store/index.ts';

describe('store durability', () => {
  it('keeps a consistent file after kill -9 mid-write', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'portier-crash-'));
    const path = join(dir, 'portier.db');
    const child = spawn(process.execPath, [join(import.meta.dirname, 'fixtures', 'writer.ts'), path], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise((r) => child.once('exit', r));
    await new Promise<void>((resolve, reject) => {
      createInterface({ input: child.stdout! }).on('line', (line) => { if (Number(line) >= 300) resolve(); });
      child.once('exit', (code) => reject(new Error(`writer exited early with ${code}`)));
    });
    child.kill('SIGKILL');
    await exited;

    const store = await Store.open(path);
    try {
      const check = await sql<{ integrity_check: string }>`PRAGMA integrity_check`.execute(store.db);
      expect(check.rows[0]?.integrity_check).toBe('ok');
      const sites = await store.db.selectFrom('sites').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
      const audited = await store.db.selectFrom('audit_log').select((eb) => eb.fn.countAll<number>().as('n'))
        .where('action', '=', 'site.create').executeTakeFirstOrThrow();
      expect(Number(sites.n)).toBeGreaterThanOrEqual(300);
      expect(Number(audited.n)).toBe(Number(sites.n));
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
