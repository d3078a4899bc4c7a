// The inbound part of a SIP account (the PBX calling in) through /api/sip-accounts:
// written whole, its trunk password write-only (sealed, never in an answer, the
// audit or the row's JSON), its numbers live on the running account after each
// change, and hostile input refused by name — oversized lists, a number twice, a
// number another account lists (config or admin), an unknown entry or terminal (an
// API token's credential is no terminal), a malformed number, a missing trunk password,
// terminals without the PBX's addresses, and an admin of one site only (403: the
// accounts are deployment-wide, whichever site's terminal a number names). No
// registrar is needed: the accounts point at a socket that never answers, and
// nothing here waits for a registration (the call through Kamailio:
// kamailio-inbound.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { silentRegistrar, siteOnlyAdmin, type SilentRegistrar } from '../support/sip-account-api.ts';

const TRUNK_SECRET = 'trunk-secret-4711';

describe('the inbound part of a SIP account in the admin API', () => {
  let silent: SilentRegistrar;
  let registrar: string;
  let gw: Gw;
  let site: SiteFixture;
  let reception: string;
  let anna: string;
  let labTerminal: string;

  beforeAll(async () => {
    silent = await silentRegistrar();
    ({ registrar } = silent);
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: cfg, registrar: "${registrar}", username: front, password: cfg-secret, `
        + `inbound: {username: cfg-trunk, password: cfg-trunk-secret, numbers: [{number: "4700", entry: "some-entry"}]}}]`,
    });
    site = await seedSite(gw);
    reception = site.entries['Empfang']!;
    anna = site.entries['Anna Müller']!;
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    labTerminal = (await site.admin.post('/api/terminals', { name: 'Lab kiosk', siteId: 'lab' })).body.terminal.id;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    silent?.close();
  });

  const running = (id: string) => gw.gateway.services.sip.account(id)!;
  const inbound = (extra: Record<string, unknown> = {}) => ({ username: 'pbx-trunk', password: TRUNK_SECRET, numbers: [{ number: '4711', entryId: anna }], ...extra });
  const account = (id: string, extra: Record<string, unknown> = {}) => ({ id, registrar, username: 'lobby', password: 'lobby-secret', ...extra });
  const row = () => gw.gateway.services.store.db.withTables<{ sip_accounts: { id: string; inbound: string | null; sealed_inbound_password: string | null } }>()
    .selectFrom('sip_accounts').selectAll().where('id', '=', 'trunk').executeTakeFirstOrThrow();
  const noSecret = (value: unknown) => expect(JSON.stringify(value)).not.toContain(TRUNK_SECRET);

  it('an account made with inbound numbers rings their entries at once; the trunk password is write-only and sealed', async () => {
    const res = await site.admin.post('/api/sip-accounts', account('trunk', { inbound: inbound() }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.inbound).toEqual({
      username: 'pbx-trunk', realm: '', sources: [], trustRegistrar: false, numbers: [{ number: '4711', entryId: anna }], terminals: [], hasPassword: true,
    });
    expect(running('trunk').inboundEntry('4711')).toBe(anna);
    const list = await site.admin.get('/api/sip-accounts');
    expect(list.body.find((a: { id: string }) => a.id === 'cfg').inbound).toMatchObject({ username: 'cfg-trunk', numbers: [{ number: '4700', entryId: 'some-entry' }], hasPassword: true });
    noSecret(list.body);
    noSecret(res.body);
    const stored = await row();
    noSecret(stored);
    expect(stored.sealed_inbound_password).toMatch(/^enc:v1:/);
    expect(JSON.parse(stored.inbound!)).not.toHaveProperty('password');
    noSecret((await site.admin.get('/api/audit?action=sip-account.create')).body);
  });

  it('a change adds a number on the running account; the trunk password left out stays, the audit names the field', async () => {
    const sealedBefore = (await row()).sealed_inbound_password;
    const numbers = [{ number: '4711', entryId: anna }, { number: '4712', entryId: reception }];
    const res = await site.admin.call('PATCH', '/api/sip-accounts/trunk', { inbound: { username: 'pbx-trunk', numbers } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.inbound).toMatchObject({ numbers, hasPassword: true });
    expect(running('trunk').inboundEntry('4712')).toBe(reception);
    expect((await row()).sealed_inbound_password).toBe(sealedBefore);
    const update = (await site.admin.get('/api/audit?action=sip-account.update')).body[0];
    expect(JSON.parse(update.details)).toEqual({ fields: ['inbound'] });
    // A number reaching a terminal of any site: the account is deployment-wide.
    const terminals = [{ number: '4790', terminalId: labTerminal, callers: [{ id: 'reception', number: '7001', name: 'Reception' }] }];
    const withTerminal = await site.admin.call('PATCH', '/api/sip-accounts/trunk', { inbound: { username: 'pbx-trunk', sources: ['127.0.0.1'], numbers, terminals } });
    expect(withTerminal.status, JSON.stringify(withTerminal.body)).toBe(200);
    expect(running('trunk').inboundTerminal('4790')).toMatchObject({ terminalId: labTerminal });
  });

  it('refuses hostile inbound parts by name and keeps the stored one', async () => {
    const stored = async () => (await site.admin.get('/api/sip-accounts')).body.map((a: { id: string; inbound: unknown; updatedAt?: number }) => [a.id, a.inbound, a.updatedAt]);
    const before = await stored();
    const patch = async (extra: Record<string, unknown>) => site.admin.call('PATCH', '/api/sip-accounts/trunk', { inbound: inbound(extra) });
    const many = Array.from({ length: 201 }, (_, i) => ({ number: String(5000 + i), entryId: anna }));
    expect((await patch({ numbers: many })).body).toMatchObject({ reason: 'schema.maxItems', params: { field: 'inbound.numbers', limit: 200 } });
    const callers = Array.from({ length: 21 }, (_, i) => ({ id: `c${i}`, number: String(7000 + i) }));
    expect((await patch({ sources: ['127.0.0.1'], terminals: [{ number: '4790', terminalId: labTerminal, callers }] })).body).toMatchObject({ reason: 'schema.maxItems' });
    expect((await patch({ numbers: [{ number: '4711', entryId: anna }, { number: '4711', entryId: reception }] })).body)
      .toMatchObject({ reason: 'sip.inbound-number-twice', params: { key: 'inbound.numbers.1.number', number: '4711' } });
    expect((await patch({ numbers: [{ number: '47 11; drop', entryId: anna }] })).body).toMatchObject({ reason: 'schema.pattern' });
    const unknownEntry = await patch({ numbers: [{ number: '4711', entryId: 'no-such-entry' }] });
    expect(unknownEntry.status).toBe(400);
    expect(unknownEntry.body).toMatchObject({ reason: 'sip-account.entry-unknown', params: { number: '4711', entry: 'no-such-entry' } });
    // An API token is a credential too, but no terminal.
    const token = (await site.admin.post('/api/tokens', { label: 'integration', roleId: 'reception', siteId: 'hq' })).body.credential.id as string;
    for (const terminalId of ['no-such-terminal', token]) {
      expect((await patch({ sources: ['127.0.0.1'], terminals: [{ number: '4790', terminalId, callers: [{ id: 'r', number: '7001' }] }] })).body)
        .toMatchObject({ reason: 'sip-account.terminal-unknown', params: { number: '4790', terminal: terminalId } });
    }
    const taken = await patch({ numbers: [{ number: '4700', entryId: anna }] });
    expect(taken.status).toBe(409);
    expect(taken.body).toMatchObject({ reason: 'sip-account.number-taken', params: { number: '4700', account: 'cfg' } });
    expect((await patch({ terminals: [{ number: '4790', terminalId: labTerminal, callers: [{ id: 'r', number: '7001' }] }] })).body)
      .toMatchObject({ reason: 'sip.inbound-terminals-need-sources' });
    expect((await patch({ sources: ['pbx.example'] })).body).toMatchObject({ reason: 'sip.inbound-source', params: { source: 'pbx.example' } });
    // A new account's inbound part needs the trunk's password; another admin account's number is taken.
    const { password: _, ...withoutPassword } = inbound();
    expect((await site.admin.post('/api/sip-accounts', account('second', { inbound: withoutPassword }))).body).toMatchObject({ reason: 'sip.inbound-password' });
    const second = await site.admin.post('/api/sip-accounts', account('second', { inbound: inbound({ numbers: [{ number: '4712', entryId: anna }] }) }));
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ reason: 'sip-account.number-taken', params: { number: '4712', account: 'trunk' } });
    expect(await stored()).toEqual(before);
    expect(running('trunk').inboundEntry('4712')).toBe(reception);
  });

  it('an admin of one site only may not write inbound numbers, not even to that site\'s entries (403, deployment-wide)', async () => {
    const hqAdmin = await siteOnlyAdmin(gw, site, 'hq');
    const refused = await hqAdmin.call('PATCH', '/api/sip-accounts/trunk', { inbound: inbound({ numbers: [{ number: '4799', entryId: reception }] }) });
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ reason: 'permission.missing', params: { permission: 'site.admin' } });
    expect(running('trunk').inboundEntry('4799')).toBeUndefined();
  });

  it('inbound null removes the part and its sealed password; the numbers no longer ring', async () => {
    const res = await site.admin.call('PATCH', '/api/sip-accounts/trunk', { inbound: null });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.inbound).toBeNull();
    expect(await row()).toMatchObject({ inbound: null, sealed_inbound_password: null });
    expect(running('trunk').inboundEntry('4711')).toBeUndefined();
    // Its numbers are free for another account now.
    const second = await site.admin.post('/api/sip-accounts', account('second', { enabled: false, inbound: inbound({ numbers: [{ number: '4712', entryId: anna }] }) }));
    expect(second.status, JSON.stringify(second.body)).toBe(201);
  });

  it('two accounts\' changes at once cannot both take one number: the later one gets 409 sip-account.number-taken', async () => {
    const admin = gw.gateway.services.sipAccounts;
    const actor = { type: 'system', id: 'test' } as const;
    const part = (entryId: string) => ({ username: 'pbx-trunk', realm: '', sources: [], trustRegistrar: false, numbers: [{ number: '4800', entryId }], terminals: [] });
    // Started in one tick: both look the number up before either has stored it.
    const both = await Promise.allSettled([
      admin.update(actor, 'trunk', { inbound: part(anna) }, { inboundPassword: 'trunk-pass-1' }),
      admin.update(actor, 'second', { inbound: part(reception) }, { inboundPassword: 'trunk-pass-2' }),
    ]);
    expect(both[0]).toMatchObject({ status: 'fulfilled' });
    expect(both[1]).toMatchObject({ status: 'rejected', reason: { why: { reason: 'sip-account.number-taken', params: { number: '4800', account: 'trunk' } } } });
    const listing = (await site.admin.get('/api/sip-accounts')).body as Array<{ id: string; inbound: { numbers: Array<{ number: string }> } | null }>;
    expect(listing.filter((a) => a.inbound?.numbers.some((n) => n.number === '4800')).map((a) => a.id)).toEqual(['trunk']);
  });

  // Review s25 #5: what an inbound number names can go away — the account stays changeable, and the phone book knows the number rings its entry.
  const audited = async (action: string) => (await site.admin.get(`/api/audit?action=${action}`)).body as Array<{ target_id: string; actor_type: string; details: string | null }>;
  const listed = async (id: string) => ((await site.admin.get('/api/sip-accounts')).body as Array<{ id: string; enabled: boolean; inbound: { numbers: unknown[]; terminals: unknown[] } | null }>).find((a) => a.id === id)!;

  it('an entry an inbound number rings is not deleted (409 entry.in-use naming the number and account); erased, the account drops the number (audited)', async () => {
    const bernd = (await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Bernd Klein', routes: [{ type: 'desk-user', userId: site.users.anna!.id }] })).body.id as string;
    const made = await site.admin.post('/api/sip-accounts', account('dangling', { inbound: inbound({ numbers: [{ number: '4901', entryId: bernd }, { number: '4902', entryId: reception }] }) }));
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const refused = await site.admin.call('DELETE', `/api/phonebook/${bernd}`);
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ error: 'conflict', reason: 'entry.in-use', params: { numbers: '4901 (dangling)' } });
    expect(gw.gateway.services.phonebook.find(bernd)).toBeDefined();

    const erased = await site.admin.post(`/api/privacy/subjects/phonebook-entry/${bernd}/erase`, {});
    expect(erased.status, JSON.stringify(erased.body)).toBe(200);
    expect(gw.gateway.services.phonebook.find(bernd)).toBeUndefined();
    expect((await listed('dangling')).inbound!.numbers).toEqual([{ number: '4902', entryId: reception }]);
    expect(running('dangling').inboundEntry('4901')).toBeUndefined();
    expect(running('dangling').inboundEntry('4902')).toBe(reception);
    const update = (await audited('sip-account.update')).find((e) => e.target_id === 'dangling');
    expect(JSON.parse(update!.details!)).toEqual({ fields: ['inbound'] });
  });

  it('a terminal an inbound number reaches, revoked: the account drops that number (audited) and stays changeable — {enabled:false} is 200', async () => {
    const kiosk = (await site.admin.post('/api/terminals', { name: 'Callback kiosk', siteId: 'hq' })).body.terminal.id as string;
    const terminals = [{ number: '4910', terminalId: kiosk, callers: [{ id: 'rec', number: '7001', name: 'Reception' }] }];
    const made = await site.admin.post('/api/sip-accounts', account('revoked', { inbound: inbound({ sources: ['127.0.0.1'], numbers: [{ number: '4911', entryId: reception }], terminals }) }));
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    expect((await site.admin.post(`/api/credentials/${kiosk}/revoke`, {})).status).toBe(200);
    // The revocation's release runs as this account's next change: the PATCH waits for it (one change of an account at a time).
    const disabled = await site.admin.call('PATCH', '/api/sip-accounts/revoked', { enabled: false });
    expect(disabled.status, JSON.stringify(disabled.body)).toBe(200);
    expect((await listed('revoked'))).toMatchObject({ enabled: false, inbound: { numbers: [{ number: '4911', entryId: reception }], terminals: [] } });
    const update = (await audited('sip-account.update')).filter((e) => e.target_id === 'revoked');
    expect(update.map((e) => JSON.parse(e.details!))).toEqual([{ fields: ['enabled'] }, { fields: ['inbound'] }]);
  });
});
