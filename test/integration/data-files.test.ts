// The data directory holds password hashes (portier.db), queued door commands
// (mqtt-sessions.db) and keys: owner-only whatever the umask.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startGateway } from '../support/gateway.ts';

/** Every file and directory under `dir`, with its permission bits. */
function walk(dir: string): Array<{ path: string; dir: boolean; mode: number }> {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    const entry = { path, dir: e.isDirectory(), mode: statSync(path).mode & 0o777 };
    return e.isDirectory() ? [entry, ...walk(path)] : [entry];
  });
}

describe('data files', () => {
  let parent: string;
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let umask: number;

  beforeAll(async () => {
    umask = process.umask(0o022);
    parent = mkdtempSync(join(tmpdir(), 'portier-data-'));
    gw = await startGateway({ PORTIER_DATA_DIR: join(parent, 'data') });
  });
  afterAll(async () => {
    await gw?.close();
    process.umask(umask);
    rmSync(parent, { recursive: true, force: true });
  });

  it('creates data_dir 0700 and the databases, their WAL files and the keys 0600 under umask 022', async () => {
    const dataDir = join(parent, 'data');
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    const entries = walk(dataDir);
    const names = entries.map((e) => e.path.slice(dataDir.length + 1));
    expect(names).toEqual(expect.arrayContaining(['portier.db', 'portier.db-wal', 'mqtt-sessions.db', 'card-hash.key']));
    for (const e of entries) {
      // Certificates are public; everything else is the owner's alone.
      if (!e.dir && /\.crt$|cert\.pem$/.test(e.path)) continue;
      expect({ path: e.path, mode: e.mode.toString(8) }).toEqual({ path: e.path, mode: e.dir ? '700' : '600' });
    }
  });
});
