// The privacy admin API through real HTTP on a started gateway: the export holds
// the person's data, erasure removes it (a second export is empty), both are
// audited, and nobody without privacy.admin reaches either.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlaRecords } from '../../src/quality/index.ts';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';

const ALICE_PASSWORD = 'alice password 1234';

describe('privacy API', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  let alice: ApiClient;
  let aliceId: string;
  let adminId: string;

  beforeAll(async () => {
    gw = await startGateway();
    admin = await signInFirstAdmin(gw);
    adminId = (await admin.get('/api/auth/me')).body.id;
    expect((await admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const created = await admin.post('/api/users', { login: 'alice', displayName: 'Alice Anders', email: 'alice@example.com', password: ALICE_PASSWORD });
    expect(created.status).toBe(201);
    aliceId = created.body.id;
    expect((await admin.post(`/api/users/${aliceId}/roles`, { roleId: 'reception', siteId: 'hq' })).status).toBe(200);
    alice = new ApiClient(gw.base);
    expect((await alice.post('/api/auth/login', { login: 'alice', password: ALICE_PASSWORD })).status).toBe(200);
    const { phonebook, deviceHub } = gw.gateway.services;
    await phonebook.upsertMany({ type: 'system', id: null }, [{ siteId: 'hq', kind: 'person', name: 'Alice Anders', department: 'Empfang', routes: [{ type: 'desk-user', userId: aliceId }] }]);
    await deviceHub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: '0042424242', holderRef: aliceId, kind: 'employee' });
    // She marked planned maintenance once (the SLA report leaves it out; who marked it is personal data).
    await new SlaRecords(gw.gateway.services.store).addPeriod({
      id: 'maint-1', kind: 'planned', siteId: 'hq', start: Date.UTC(2026, 10, 1, 2), end: Date.UTC(2026, 10, 1, 3), reason: null,
      note: 'firmware update', drained: false, createdAt: Date.UTC(2026, 9, 30), createdBy: aliceId,
    });
  });
  afterAll(async () => { await gw?.close(); });

  const auditOf = (action: string) => gw.gateway.services.audit.list({ action });

  it('refuses every privacy route without privacy.admin (403) and without a session (401)', async () => {
    for (const [method, path] of [['GET', '/api/privacy/inventory'], ['GET', `/api/privacy/subjects/user/${adminId}/export`], ['POST', `/api/privacy/subjects/user/${adminId}/erase`]] as const) {
      const refused = await alice.call(method, path, method === 'POST' ? {} : undefined);
      expect(refused.status, path).toBe(403);
      expect(refused.body.error).toBe('forbidden');
      expect((await new ApiClient(gw.base).call(method, path, method === 'POST' ? {} : undefined)).status, path).toBe(401);
    }
    expect(await auditOf('privacy.export')).toEqual([]);
    expect(await auditOf('privacy.erase')).toEqual([]);
    expect((await admin.get('/api/users')).body.map((u: { login: string }) => u.login)).toContain('admin');
  });

  it('answers the inventory with every holder\'s categories and their retention', async () => {
    const res = await admin.get('/api/privacy/inventory');
    expect(res.status).toBe(200);
    const categories = res.body.categories as Array<{ holder: string; category: string; retentionKey: string; retentionDays: number | null }>;
    expect(categories.map((c) => c.category)).toEqual(['accounts', 'sessions', 'phone-book-photos', 'phone-book', 'call-records', 'employee-cards', 'visitor-cards', 'door-commands', 'rule-authors', 'sla-periods', 'audit-log', 'audit-pseudonym-keys', 'audit-addresses']);
    expect(categories.find((c) => c.category === 'call-records')).toMatchObject({ retentionKey: 'privacy.retention_days.call_records', retentionDays: 90 });
    expect(categories.find((c) => c.category === 'audit-log')).toMatchObject({ retentionDays: 365 });
  });

  it('refuses an unknown subject kind with a named error in German and English', async () => {
    const res = await admin.get('/api/privacy/subjects/visitor-name/x/export');
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid' });
    expect(res.body.message).toMatch(/unknown subject kind.*unbekannte Art/);
  });

  it('exports a person\'s data as JSON, erases it (a second export is empty, the session ends), and audits both', async () => {
    const exported = await admin.get(`/api/privacy/subjects/user/${aliceId}/export`);
    expect(exported.status).toBe(200);
    expect(exported.headers.get('content-type')).toMatch(/application\/json/);
    expect(exported.headers.get('cache-control')).toBe('no-store');
    const data = exported.body.data;
    expect(data.accounts.account).toMatchObject({ login: 'alice', displayName: 'Alice Anders', email: 'alice@example.com', hasPassword: true });
    expect(data.accounts.sessions).toHaveLength(1);
    expect(data.accounts.roleAssignments).toEqual([{ roleId: 'reception', siteId: 'hq' }]);
    expect(data.phonebook.entries).toEqual([expect.objectContaining({ name: 'Alice Anders', department: 'Empfang' })]);
    expect(data['device-hub'].cards).toEqual([expect.objectContaining({ kind: 'employee', siteId: 'hq' })]);
    expect(data.sla.periods).toEqual([{ id: 'maint-1', kind: 'planned', siteId: 'hq', start: '2026-11-01T02:00:00.000Z', end: '2026-11-01T03:00:00.000Z', reason: null, markedAt: '2026-10-30T00:00:00.000Z' }]);
    expect(JSON.stringify(exported.body)).not.toMatch(/0042424242|scrypt/);

    expect((await admin.post(`/api/privacy/subjects/user/${adminId}/erase`)).status).toBe(409);
    const erased = await admin.post(`/api/privacy/subjects/user/${aliceId}/erase`);
    expect(erased.status).toBe(200);
    expect(erased.body.erased).toMatchObject({
      accounts: { accounts: 1, sessions: 1, roleAssignments: 1 }, phonebook: { entries: 1 }, 'device-hub': { cards: 1 }, calls: { calls: 0 },
      sla: { slaPeriodsAnonymised: 1 },
    });
    // The period stays for the availability report; only its author is gone.
    const periods = await new SlaRecords(gw.gateway.services.store).periods({ start: Date.UTC(2026, 10, 1), end: Date.UTC(2026, 10, 2) }, 'hq');
    expect(periods.map((p) => [p.id, p.createdBy])).toEqual([['maint-1', 'erased']]);
    expect((await alice.get('/api/auth/me')).status).toBe(401);

    const again = (await admin.get(`/api/privacy/subjects/user/${aliceId}/export`)).body.data;
    expect(again.accounts).toEqual({ account: null, sessions: [], roleAssignments: [], oneTimeLinks: [] });
    expect(again.phonebook).toEqual({ entries: [] });
    expect(again['device-hub']).toEqual({ cards: [], doorCommands: [], ruleVersions: [] });
    expect(again.calls).toEqual({ calls: [] });
    expect(again.sla).toEqual({ periods: [] });
    // What stays is the audit trail about her (input control) until its retention ends.
    expect(JSON.stringify(again.audit)).not.toMatch(/Alice Anders|alice@example.com/);

    // Newest first. The erasure deleted her pseudonym keys: the export and erasure before it name an erased subject;
    // the export after it is new processing under a new key.
    const exports = await auditOf('privacy.export');
    expect(exports.map((e) => [e.actor_type, e.actor_id, e.target_type, e.target_id, e.target_erased, e.outcome])).toEqual([
      ['user', adminId, 'user', aliceId, false, 'ok'], ['user', adminId, 'user', null, true, 'ok'],
    ]);
    const erasures = await auditOf('privacy.erase');
    expect(erasures.map((e) => [e.actor_id, e.target_id, e.target_erased, e.outcome])).toEqual([[adminId, null, true, 'ok'], [adminId, adminId, false, 'failed']]);
    expect(JSON.parse(erasures[0]!.details!).erased.accounts.accounts).toBe(1);
  });
});
