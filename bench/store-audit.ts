// Store write path: audit-log appends (one transaction each, WAL) and credential
// verification, the two operations every later component does per event.
// Usage: node scripts/run.mjs node bench/store-audit.ts [--smoke]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Store } from '../src/store/index.ts';
import { AuditLog } from '../src/audit/index.ts';
import { Credentials } from '../src/credentials/index.ts';
import { Sites } from '../src/sites/index.ts';
import { systemClock } from '../src/core/index.ts';
import { summary, print } from './lib.ts';

const N = process.argv.includes('--smoke') ? 200 : 20_000;
const dir = mkdtempSync(join(tmpdir(), 'portier-bench-store-'));
const store = await Store.open(join(dir, 'portier.db'));
const audit = new AuditLog(store.db, systemClock, undefined, store);
const sites = new Sites({ store, audit, clock: systemClock });
const credentials = new Credentials({ store, audit, clock: systemClock });
const actor = { type: 'system' as const, id: null };
await sites.create(actor, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });

const appendMs: number[] = [];
const t0 = performance.now();
for (let i = 0; i < N; i++) {
  const s = performance.now();
  await audit.append({ actor, action: 'bench.event', target: { type: 'door', id: `d${i % 50}` }, outcome: 'ok', correlationId: `c${i}` });
  appendMs.push(performance.now() - s);
}
const appendSeconds = (performance.now() - t0) / 1000;

const { secret } = await credentials.issue(actor, { kind: 'device', label: 'reader', siteId: 'hq' });
const verifyMs: number[] = [];
for (let i = 0; i < Math.min(N, 5000); i++) {
  const s = performance.now();
  if (!(await credentials.verify(secret))) throw new Error('verify failed');
  verifyMs.push(performance.now() - s);
}

await store.close();
rmSync(dir, { recursive: true, force: true });
print({
  bench: 'store-audit',
  appends: N,
  audit_append_ms: summary(appendMs),
  audit_appends_per_s: Math.round(N / appendSeconds),
  credential_verify_ms: summary(verifyMs),
});
