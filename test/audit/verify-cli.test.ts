// `portier audit verify`: prints the intact chain and exits 0, or names the
// first broken seq and exits 1 after a row was changed in the file.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import Database from 'better-sqlite3';
import { Store } from '../../src/store/index.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { ManualClock } from '../support/manual-clock.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const dir = mkdtempSync(join(tmpdir(), 'portier-verify-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('portier audit verify', () => {
  // Four process starts: bounded by what a loaded machine needs, not by a speed.
  it('exits 0 on an intact chain, 1 naming the seq of a changed row, 2 without a store', { timeout: 240_000 }, async () => {
    const env = { ...process.env, PORTIER_DATA_DIR: join(dir, 'data') };
    const verify = () => spawnSync(process.execPath, [MAIN, 'audit', 'verify'], { env, encoding: 'utf8' });
    const missing = verify();
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain('no store at');

    const store = await Store.open(join(dir, 'data', 'portier.db'));
    const audit = new AuditLog(store.db, new ManualClock());
    for (let i = 0; i < 5; i++) await audit.append({ actor: { type: 'system', id: null }, action: 'site.create', outcome: 'ok', details: { i } });
    const head = await audit.head();
    await store.close();

    const intact = verify();
    expect(intact.stdout).toBe(`audit verify: ok, 5 entries, seq 1 to 5, head ${head.hash} / in Ordnung, 5 Einträge\n`);
    expect(intact.status).toBe(0);

    // Against an off-box checkpoint naming another hash at seq 5 (the collector's copy), the same chain is reported.
    const other = spawnSync(process.execPath, [MAIN, 'audit', 'verify', '--checkpoint', `5:${'a'.repeat(64)}`], { env, encoding: 'utf8' });
    expect(other.stdout).toContain('audit verify: chain broken at seq 5 (off-box)');
    expect(other.status).toBe(1);

    const db = new Database(join(dir, 'data', 'portier.db'));
    db.exec('DROP TRIGGER audit_log_no_update');
    db.prepare(`UPDATE audit_log SET details = '{"i":99}' WHERE seq = 3`).run();
    db.close();
    const broken = verify();
    expect(broken.stdout).toContain('audit verify: chain broken at seq 3 (hash), 2 entries before it intact');
    expect(broken.status).toBe(1);
  });
});
