// Domain services on a fresh SQLite store in a temp directory, with a fake clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store } from '../../src/store/index.ts';
import { AuditLog } from '../../src/audit/index.ts';
import { Accounts, Roles, FirstRun, ScryptHasher } from '../../src/access/index.ts';
import { Credentials } from '../../src/credentials/index.ts';
import { Sites } from '../../src/sites/index.ts';
import type { Clock } from '../../src/core/index.ts';

export class FakeClock implements Clock {
  t = Date.UTC(2026, 10, 2, 9, 0, 0);
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => setTimeout(fn, ms);
  clearTimeout = (h: NodeJS.Timeout) => clearTimeout(h);
  advance(ms: number): void { this.t += ms; }
}

export async function openServices() {
  const dir = mkdtempSync(join(tmpdir(), 'portier-svc-'));
  const clock = new FakeClock();
  const store = await Store.open(join(dir, 'portier.db'));
  const audit = new AuditLog(store.db, clock, undefined, store);
  const roles = new Roles(store.db);
  await roles.seed();
  const hasher = new ScryptHasher({ concurrency: 2, maxQueued: 32 });
  const accounts = new Accounts({ db: store.db, clock, audit, hasher, policy: {
    maxFailures: 3, lockoutMs: 15 * 60_000, perAddressPerMinute: 20, perAddressConcurrent: 2, accountBackoffMaxMs: 300_000, sessionIdleMs: 3_600_000, sessionMaxMs: 24 * 3_600_000,
  } });
  const credentials = new Credentials({ store, audit, clock });
  const sites = new Sites({ store, audit, clock });
  const firstRun = new FirstRun({ store, accounts, roles, audit, clock, dataDir: dir, linkTtlMs: 24 * 3_600_000 });
  return {
    dir, clock, store, audit, roles, hasher, accounts, credentials, sites, firstRun,
    close: async () => { await store.close(); rmSync(dir, { recursive: true, force: true }); },
  };
}

export type Services = Awaited<ReturnType<typeof openServices>>;
