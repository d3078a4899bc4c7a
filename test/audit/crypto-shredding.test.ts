// Crypto-shredding in the audit log (issue 15): person ids are stored as
// pseudonyms under per-subject keys, an erasure deletes the keys and leaves the
// entries (and the hash chain) as they were; the admins' addresses open only
// for audit.address_retention_days. Real gateway, real SQLite file, a clock the test steps.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';
import type { Clock } from '../../src/core/index.ts';
import { SecretBox, parseMasterKey } from '../../src/secrets/index.ts';
import { verifyChain } from '../../src/audit/index.ts';

const MAIN = join(import.meta.dirname, '..', '..', 'src', 'main.ts');
const PERSON = { login: 'clara.schmidt', displayName: 'Clara Schmidt', password: 'clara password 1234' };
const CARD = '0012344321';
const DAY = 86_400_000;

/** Runs `portier audit verify` without blocking the gateway in this process (its sockets stay served). */
async function auditVerify(dataDir: string): Promise<{ stdout: string; status: number | null }> {
  const child = spawn(process.execPath, [MAIN, 'audit', 'verify'], { env: { ...process.env, PORTIER_DATA_DIR: dataDir }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => { stdout += chunk; });
  const [status] = await once(child, 'close') as [number | null];
  return { stdout, status };
}

/** Time moves when the test says so; the gateway's timers stay real (TLS renewal, checkpoints). */
class SteppedClock implements Clock {
  t = Date.now();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => setTimeout(fn, ms);
  clearTimeout = (handle: NodeJS.Timeout) => clearTimeout(handle);
}

describe('audit log: per-subject pseudonym keys and address window', () => {
  const clock = new SteppedClock();
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;

  beforeAll(async () => {
    gw = await startGateway({}, { clock });
    admin = await signInFirstAdmin(gw);
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  const db = () => gw.gateway.services.store.db;
  const files = () => ['portier.db', 'portier.db-wal'].map((f) => join(gw.dataDir, f)).filter((f) => existsSync(f));
  const foundIn = (bytes: Buffer | string): string[] => files().filter((f) => readFileSync(f).includes(typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes));
  const masterBox = () => new SecretBox(parseMasterKey(readFileSync(join(gw.dataDir, 'master.key'), 'utf8'), 'test'));
  /** Audit rows that name `id` in clear anywhere. */
  const clearRows = async (id: string) => Number((await sql<{ n: number }>`SELECT count(*) AS n FROM audit_log
    WHERE actor_id = ${id} OR target_id = ${id} OR instr(coalesce(details, ''), ${id}) > 0`.execute(db())).rows[0]!.n);

  it('an erased person\'s entries stay, the chain verifies, their keys are gone and nothing on disk links the entries to them', { timeout: 120_000 }, async () => {
    const created = await admin.post('/api/users', { login: PERSON.login, displayName: PERSON.displayName, password: PERSON.password });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    await gw.gateway.services.deviceHub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: CARD, holderRef: id, kind: 'employee' });
    const person = new ApiClient(gw.base);
    expect((await person.post('/api/auth/login', { login: PERSON.login, password: PERSON.password })).status).toBe(200);
    expect((await admin.get(`/api/users/${id}/roles`)).status).toBe(200);

    // Stored as pseudonyms only: no audit row holds the clear id.
    expect(await clearRows(id)).toBe(0);
    const keys = await db().selectFrom('subject_keys').selectAll().where((eb) => eb.or([eb('subject_id', '=', id), eb('holder', '=', id)])).execute();
    // The card's holder key is made with the card, for its reads' entries (issue 16: a read that needs a new key cannot run at once).
    expect(keys.map((k) => k.kind).sort()).toEqual(['card', 'card-holder', 'user']);
    const pseudonyms = keys.map((k) => k.pseudonym);
    const entriesNaming = () => db().selectFrom('audit_log').select(['seq', 'hash'])
      .where((eb) => eb.or([eb('actor_id', 'in', pseudonyms), eb('target_id', 'in', pseudonyms)])).orderBy('seq').execute();

    // Export before the erasure finds the person's entries by recomputing their pseudonyms, and shows them readable.
    const exported = await admin.get(`/api/privacy/subjects/user/${id}/export`);
    expect(exported.status).toBe(200);
    const entries = exported.body.data.audit.entries as Array<{ action: string; actor: { id: string | null }; target: { type: string; id: string } | null }>;
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['user.create', 'card.issue', 'auth.login', 'data.read']));
    expect(entries.find((e) => e.action === 'auth.login')!.actor.id).toBe(id);
    expect(entries.find((e) => e.action === 'user.create')!.target).toEqual({ type: 'user', id });
    expect((await admin.get('/api/audit?limit=1000')).body.find((r: { action: string }) => r.action === 'user.create').target_id).toBe(id);

    const before = await entriesNaming();
    expect(before.length).toBeGreaterThanOrEqual(5);
    const erased = await admin.post(`/api/privacy/subjects/user/${id}/erase`);
    expect(erased.status).toBe(200);
    // Counted after the device hub removed the card (its card.remove entry names the card too).
    expect(erased.body.erased.audit).toEqual({ retained: before.length + 1, keys: 3 }); // user, card, card-holder

    // The entries stay, unchanged (same seq, same hash; the erasure's own card.remove and privacy.erase came after); only the keys went.
    expect((await entriesNaming()).slice(0, before.length)).toEqual(before);
    expect(await db().selectFrom('subject_keys').select('kind').where((eb) => eb.or([eb('subject_id', '=', id), eb('holder', '=', id)])).execute()).toEqual([]);
    const subjectKeys = gw.gateway.services.audit.pseudonyms!.keys;
    for (const kind of ['user', 'card-holder'] as const) expect(await subjectKeys.recomputeWithEveryKey(kind, id)).toEqual([]);
    expect(await clearRows(id)).toBe(0);
    const shown = await admin.get('/api/audit?limit=1000');
    const create = shown.body.find((r: { action: string }) => r.action === 'user.create');
    expect(create).toMatchObject({ target_type: 'user', target_id: null, target_erased: true });
    expect(shown.body.find((r: { action: string; actor_erased: boolean }) => r.action === 'auth.login' && r.actor_erased)).toBeDefined();
    expect(JSON.stringify(shown.body)).not.toContain(id);

    // `portier audit verify` on the file next to the running gateway.
    const verify = await auditVerify(gw.dataDir);
    expect(verify.stdout).toContain('audit verify: ok');
    expect(verify.status).toBe(0);

    // On disk: neither the clear id nor a key (sealed, or opened) is left in portier.db or its -wal.
    expect(files().map((f) => f.slice(gw.dataDir.length + 1))).toContain('portier.db');
    expect(foundIn(id), 'the clear id').toEqual([]);
    const box = masterBox();
    for (const k of keys) {
      expect(foundIn(k.sealed_key), 'a sealed key').toEqual([]);
      const raw = box.open(k.sealed_key, 'test').value;
      expect(foundIn(raw), 'a key (base64url)').toEqual([]);
      expect(foundIn(Buffer.from(raw, 'base64url')), 'a key (bytes)').toEqual([]);
    }
  });

  it('an admin\'s address opens within audit.address_retention_days and is gone after the retention job; the chain still verifies', { timeout: 60_000 }, async () => {
    expect((await admin.get('/api/cards?siteId=hq')).status).toBe(200);
    const read = await db().selectFrom('audit_log').select(['seq', 'details']).where('action', '=', 'data.read').where('target_type', '=', 'cards').orderBy('seq', 'desc').executeTakeFirstOrThrow();
    const stored = JSON.parse(read.details!) as { from: string };
    expect(stored.from).toMatch(/^ad1:/);
    expect(read.details).not.toContain('127.0.0.1');
    const shown = async () => JSON.parse((await gw.gateway.services.audit.list({ limit: 1000 })).find((r) => r.seq === read.seq)!.details!) as Record<string, unknown>;
    expect((await shown()).from).toBe('127.0.0.1');

    // Within the window (7 days by default) a retention pass keeps it.
    clock.t += 6 * DAY;
    await gw.gateway.services.privacy.prune();
    expect((await shown()).from).toBe('127.0.0.1');

    clock.t += 2 * DAY + 1;
    const pass = await gw.gateway.services.privacy.prune();
    expect(pass.failed).toEqual([]);
    expect(pass.pruned.audit!.addressKeys).toBeGreaterThanOrEqual(1);
    expect(await shown()).toMatchObject({ from: null, fromExpired: true });
    // The entry itself is unchanged: the same stored value, the chain intact.
    const after = await db().selectFrom('audit_log').select('details').where('seq', '=', read.seq).executeTakeFirstOrThrow();
    expect(after.details).toBe(read.details);
    expect(await db().selectFrom('audit_address_keys').select('day').where('day', '=', Math.floor((clock.t - 8 * DAY) / DAY)).execute()).toEqual([]);
    const report = await verifyChain(db());
    expect(report.ok).toBe(true);
  });
});
