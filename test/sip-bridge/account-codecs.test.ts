// The audio codecs of an admin's SIP account (sip.accounts[].codecs in the config
// file's spelling) through /api/sip-accounts: stored (sip_accounts.codecs, null =
// sip.codecs), listed, a change rebuilding the running account with them, audited
// by field name; hostile lists refused — an unknown codec, one twice, no G.711 (the
// config's reason sip.codecs, key 'codecs'), an empty or oversized list — leaving
// the stored and running account as it was; an admin of one site only and a
// signed-out caller refused as for the other fields. No registrar is needed: the
// accounts point at a socket that never answers (a call with opus:
// admin-opus-call.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { silentRegistrar, siteOnlyAdmin, type SilentRegistrar } from '../support/sip-account-api.ts';


describe('the codecs of a SIP account in the admin API', () => {
  let silent: SilentRegistrar;
  let registrar: string;
  let gw: Gw;
  let site: SiteFixture;

  beforeAll(async () => {
    silent = await silentRegistrar();
    ({ registrar } = silent);
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__CODECS: '[pcma, pcmu]',
      PORTIER_SIP__ACCOUNTS: `[{id: cfg, registrar: "${registrar}", username: front, password: cfg-secret, codecs: [opus, pcmu]}]`,
    });
    site = await seedSite(gw);
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    silent?.close();
  });

  const running = (id: string) => gw.gateway.services.sip.account(id)!;
  const account = (id: string, extra: Record<string, unknown> = {}) => ({ id, registrar, username: 'lobby', password: 'lobby-secret', ...extra });
  const row = (id: string) => gw.gateway.services.store.db.withTables<{ sip_accounts: { id: string; codecs: string | null } }>()
    .selectFrom('sip_accounts').select(['id', 'codecs']).where('id', '=', id).executeTakeFirstOrThrow();
  const listed = async (id: string) => (await site.admin.get('/api/sip-accounts')).body.find((a: { id: string }) => a.id === id);

  it('an account made with [opus, pcma] runs with them and stores them; one without takes sip.codecs (null); the config file\'s are listed', async () => {
    const res = await site.admin.post('/api/sip-accounts', account('opus-pbx', { codecs: ['opus', 'pcma'] }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.codecs).toEqual(['opus', 'pcma']);
    expect(running('opus-pbx').codecs).toEqual(['audio/opus', 'audio/PCMA']);
    expect(JSON.parse((await row('opus-pbx')).codecs!)).toEqual(['opus', 'pcma']);
    const plain = await site.admin.post('/api/sip-accounts', account('plain'));
    expect(plain.status, JSON.stringify(plain.body)).toBe(201);
    expect(plain.body.codecs).toBeNull();
    expect((await row('plain')).codecs).toBeNull();
    expect(running('plain').codecs).toEqual(['audio/PCMA', 'audio/PCMU']);
    expect((await listed('cfg')).codecs).toEqual(['opus', 'pcmu']);
    expect((await listed('opus-pbx')).codecs).toEqual(['opus', 'pcma']);
  });

  it('a change of the codecs rebuilds the running account with them and is audited by field name; null goes back to sip.codecs', async () => {
    const before = running('opus-pbx');
    const res = await site.admin.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs: ['pcmu', 'opus'] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.codecs).toEqual(['pcmu', 'opus']);
    const after = running('opus-pbx');
    expect(after).not.toBe(before);
    expect(before.closed).toBe(true);
    expect(after.codecs).toEqual(['audio/PCMU', 'audio/opus']);
    const audit = await site.admin.get('/api/audit?limit=20');
    const update = audit.body.find((e: { action: string; targetId?: string }) => e.action === 'sip-account.update');
    expect(JSON.parse(update.details)).toEqual({ fields: ['codecs'] });
    const reset = await site.admin.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs: null });
    expect(reset.status, JSON.stringify(reset.body)).toBe(200);
    expect(reset.body.codecs).toBeNull();
    expect((await row('opus-pbx')).codecs).toBeNull();
    expect(running('opus-pbx').codecs).toEqual(['audio/PCMA', 'audio/PCMU']);
    expect((await site.admin.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs: ['opus', 'pcma'] })).status).toBe(200);
  });

  it('refuses hostile codec lists by name and keeps the stored and running account', async () => {
    const stored = async () => (await site.admin.get('/api/sip-accounts')).body.map((a: { id: string; codecs: unknown; updatedAt?: number }) => [a.id, a.codecs, a.updatedAt]);
    const before = await stored();
    const instance = running('opus-pbx');
    const patch = (codecs: unknown) => site.admin.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs });
    for (const unknown of [['opus', 'g729'], ['PCMU'], ['pcmu', ''], { first: 'opus' }, [7]]) {
      const res = await patch(unknown);
      expect(res.status, JSON.stringify(unknown)).toBe(400);
      expect(res.body.reason, JSON.stringify(unknown)).toMatch(/^schema/);
    }
    expect((await patch(['pcma', 'opus', 'pcmu', 'pcma'])).body).toMatchObject({ reason: 'schema.maxItems', params: { field: 'codecs', limit: 3 } });
    expect((await patch(Array.from({ length: 10_000 }, () => 'pcmu'))).body).toMatchObject({ reason: 'schema.maxItems' });
    expect((await patch([])).body).toMatchObject({ reason: 'schema.minItems' });
    for (const list of [['pcma', 'pcma'], ['opus', 'pcmu', 'opus'], ['opus']]) {
      const res = await patch(list);
      expect(res.status, JSON.stringify(list)).toBe(400);
      expect(res.body, JSON.stringify(list)).toMatchObject({ reason: 'sip.codecs', params: { key: 'codecs' } });
    }
    expect((await site.admin.post('/api/sip-accounts', account('no-g711', { codecs: ['opus'] }))).body).toMatchObject({ reason: 'sip.codecs' });
    expect((await site.admin.post('/api/sip-accounts', account('no-g711', { codecs: ['opus', 'speex'] }))).status).toBe(400);
    expect(gw.gateway.services.sip.account('no-g711')).toBeUndefined();
    expect(await stored()).toEqual(before);
    expect(running('opus-pbx')).toBe(instance);
    expect(instance.codecs).toEqual(['audio/opus', 'audio/PCMA']);
  });

  it('an admin of one site only (403) and a signed-out caller (401) may not change the codecs', async () => {
    const hqAdmin = await siteOnlyAdmin(gw, site, 'hq');
    const refused = await hqAdmin.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs: ['pcmu'] });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ reason: 'permission.missing', params: { permission: 'site.admin' } });
    expect((await hqAdmin.post('/api/sip-accounts', account('hq-own', { codecs: ['pcmu'] }))).status).toBe(403);
    const anonymous = new ApiClient(gw.base);
    expect((await anonymous.call('PATCH', '/api/sip-accounts/opus-pbx', { codecs: ['pcmu'] })).status).toBe(401);
    expect((await anonymous.get('/api/sip-accounts')).status).toBe(401);
    expect(running('opus-pbx').codecs).toEqual(['audio/opus', 'audio/PCMA']);
    expect(gw.gateway.services.sip.account('hq-own')).toBeUndefined();
  });
});
