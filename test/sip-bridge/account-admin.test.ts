// SIP accounts made, changed and deleted through the admin API, against a real
// Kamailio: a created account registers, an edit registers again with the new
// credentials (the old binding removed by an un-REGISTER), a disabled or deleted
// one unregisters; bad input gets named errors; the password never leaves the
// gateway (responses, audit, database); the 409s (an id of the config file, a
// config account, phone-book routes through it, a call under way). One Kamailio
// and one gateway for the file.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { Kamailio } from '../support/kamailio.ts';
import { untilAccount } from './account-state.ts';
import { scrapeMetrics } from '../support/metrics.ts';
import { sipSettings, type SipBridge, type SipAccountStatus } from '../../src/sip-bridge/index.ts';
import type { SessionDescriptionHandler } from 'sip.js';

const DOMAIN = 'portier.test';
const SECRETS = ['lobby-secret-1', 'other-secret-2', 'config-secret-3'];
/** Door codes (the config account's, an admin account's): write-only like the passwords. */
const DOOR_CODES = ['*2580*9', '#9999*4'];

describe('SIP accounts in the admin API', () => {
  let kamailio: Kamailio;
  let gw: Gw;
  let site: SiteFixture;
  let bridge: SipBridge;

  beforeAll(async () => {
    kamailio = await Kamailio.start({
      domain: DOMAIN,
      users: [{ username: 'lobby', password: SECRETS[0]! }, { username: 'other', password: SECRETS[1]! }, { username: 'front', password: SECRETS[2]! }],
    });
    gw = await startGateway({
      PORTIER_SIP__BIND_ADDRESS: '127.0.0.1',
      PORTIER_SIP__ACCOUNTS: `[{id: cfg, registrar: "127.0.0.1:${kamailio.port}", username: front, password: ${SECRETS[2]}, domain: ${DOMAIN}, door_code: "${DOOR_CODES[0]}"}]`,
    });
    site = await seedSite(gw);
    bridge = gw.gateway.services.sip;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await kamailio?.close();
  });

  /** The running account's status once it matches: by its bridge's events, never by polling. */
  const until = (id: string, match: (s: SipAccountStatus) => boolean): Promise<SipAccountStatus> => new Promise((resolve) => {
    const now = bridge.account(id)?.status();
    if (now && match(now)) return resolve(now);
    const listener = (s: SipAccountStatus) => { if (s.id === id && match(s)) { bridge.off('account', listener); resolve(s); } };
    bridge.on('account', listener);
  });
  const body = (id: string, extra: Record<string, unknown> = {}) => ({
    id, registrar: `127.0.0.1:${kamailio.port}`, username: 'lobby', password: SECRETS[0], domain: DOMAIN, ...extra,
  });
  const noSecret = (value: unknown) => { for (const s of SECRETS) expect(JSON.stringify(value)).not.toContain(s); };

  it('a created account registers at its registrar; the list shows it next to the config file\'s, without any password', async () => {
    const res = await site.admin.post('/api/sip-accounts', body('desk-a'));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body).toMatchObject({ origin: 'admin', id: 'desk-a', hasPassword: true, transport: 'udp', enabled: true });
    expect(res.body).not.toHaveProperty('password');
    await until('desk-a', (s) => s.state === 'registered');
    expect(await kamailio.contacts('lobby')).toHaveLength(1);
    const list = await site.admin.get('/api/sip-accounts');
    expect(list.body.map((a: { id: string; origin: string }) => `${a.origin}:${a.id}`)).toEqual(['config:cfg', 'admin:desk-a']);
    expect(list.body[1]).toMatchObject({ state: 'registered', hasPassword: true });
    noSecret(list.body);
    noSecret(res.body);
    // The database holds it sealed, the audit names the change and no secret.
    const row = await gw.gateway.services.store.db.withTables<{ sip_accounts: { id: string; sealed_password: string } }>()
      .selectFrom('sip_accounts').selectAll().where('id', '=', 'desk-a').executeTakeFirstOrThrow();
    noSecret(row);
    const audit = await site.admin.get('/api/audit?limit=20');
    expect(audit.body.some((e: { action: string }) => e.action === 'sip-account.create')).toBe(true);
    noSecret(audit.body);
  });

  it('an edit registers again with the new credentials; the old binding is removed (un-REGISTER) before the answer', async () => {
    const before = await kamailio.sawRequests('REGISTER', 1);
    const res = await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { username: 'other', password: SECRETS[1] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    noSecret(res.body);
    expect(await kamailio.contacts('lobby')).toEqual([]);
    await until('desk-a', (s) => s.state === 'registered');
    expect(await kamailio.contacts('other')).toHaveLength(1);
    await kamailio.sawRequests('REGISTER', before + 1);
    expect(kamailio.requests('REGISTER').length).toBeGreaterThan(before);
    const audit = await site.admin.get('/api/audit?limit=20');
    const update = audit.body.find((e: { action: string }) => e.action === 'sip-account.update');
    expect(JSON.parse(update.details)).toEqual({ fields: ['password', 'username'] });
    noSecret(audit.body);
  });

  it('a wrong password is the registrar\'s refusal in the account\'s state; a password left out of an edit stays', async () => {
    expect((await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { password: 'wrong-one' })).status).toBe(200);
    const failed = await until('desk-a', (s) => s.state === 'failed');
    expect(failed).toMatchObject({ reason: 'rejected' });
    expect((await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { password: SECRETS[1] })).status).toBe(200);
    await until('desk-a', (s) => s.state === 'registered');
    expect((await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { expires: 600 })).status).toBe(200);
    await until('desk-a', (s) => s.state === 'registered');
    expect(await kamailio.contacts('other')).toHaveLength(1);
  });

  it('disabled, the account unregisters and leaves the bridge; enabled again, it registers; /metrics follows it', async () => {
    await until('cfg', (s) => s.state === 'registered');
    const registered = await scrapeMetrics(gw.base);
    expect(registered.get('portier_sip_account_registered{account="desk-a"}')).toBe(1);
    expect(registered.get('portier_sip_account_registered{account="cfg"}')).toBe(1);
    const res = await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { enabled: false });
    expect(res.body).toMatchObject({ enabled: false, state: 'disabled' });
    expect(await kamailio.contacts('other')).toEqual([]);
    expect(bridge.account('desk-a')).toBeUndefined();
    const disabled = await scrapeMetrics(gw.base);
    expect(disabled.get('portier_sip_account_registered{account="desk-a"}')).toBe(0);
    expect(disabled.get('portier_sip_account_registered{account="cfg"}')).toBe(1);
    expect((await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { enabled: true })).status).toBe(200);
    await until('desk-a', (s) => s.state === 'registered');
    expect(await kamailio.contacts('other')).toHaveLength(1);
    expect((await scrapeMetrics(gw.base)).get('portier_sip_account_registered{account="desk-a"}')).toBe(1);
  });

  it('bad input gets named errors, nothing is stored', async () => {
    const refused = async (extra: Record<string, unknown>, id = 'bad') => (await site.admin.post('/api/sip-accounts', body(id, extra))).body;
    expect(await refused({ registrar: 'not a host:x' })).toMatchObject({ reason: 'sip.host-port', params: { key: 'registrar' } });
    expect(await refused({ srtp: 'offer' })).toMatchObject({ reason: 'sip.srtp-needs-tls' });
    expect(await refused({ transport: 'tls', tlsCa: 'not a certificate' })).toMatchObject({ reason: 'sip.ca-not-pem' });
    expect(await refused({ tlsServerName: 'pbx.example' })).toMatchObject({ reason: 'sip.tls-needs-transport' });
    expect(await refused({ secondaryRegistrars: ['127.0.0.2'], outboundProxy: '127.0.0.3' })).toMatchObject({ reason: 'sip.secondaries-with-proxy' });
    expect(await refused({}, 'Bad Id')).toMatchObject({ reason: 'schema.pattern', params: { field: 'id' } });
    expect((await site.admin.post('/api/sip-accounts', { id: 'nopw', registrar: '127.0.0.1', username: 'x' })).status).toBe(400);
    expect((await site.admin.get('/api/sip-accounts')).body.map((a: { id: string }) => a.id)).toEqual(['cfg', 'desk-a']);
  });

  it('refuses an id of the config file, a taken id, and changes to the config file\'s accounts (409, named)', async () => {
    const create = await site.admin.post('/api/sip-accounts', body('cfg'));
    expect(create.status).toBe(409);
    expect(create.body).toMatchObject({ reason: 'sip-account.id-in-config', params: { id: 'cfg' } });
    expect((await site.admin.post('/api/sip-accounts', body('desk-a'))).body).toMatchObject({ reason: 'sip-account.id-taken' });
    const patch = await site.admin.call('PATCH', '/api/sip-accounts/cfg', { enabled: false });
    expect(patch.status).toBe(409);
    expect(patch.body).toMatchObject({ reason: 'sip-account.from-config' });
    expect((await site.admin.call('DELETE', '/api/sip-accounts/cfg')).body).toMatchObject({ reason: 'sip-account.from-config' });
    expect((await site.admin.call('DELETE', '/api/sip-accounts/nobody')).status).toBe(404);
    expect(bridge.account('cfg')?.status().state).toBe('registered');
  });

  it('refuses to change or delete an account while it carries a call (409 sip-account.calls-running), and does once it ended', async () => {
    await until('desk-a', (s) => s.state === 'registered');
    // A session of the account's user agent (an outbound call not sent yet): what a call under way holds.
    const call = bridge.account('desk-a')!.inviter('4711', {} as SessionDescriptionHandler);
    expect(bridge.account('desk-a')!.activeCalls).toBe(1);
    const patch = await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { expires: 900 });
    expect(patch.status).toBe(409);
    expect(patch.body).toMatchObject({ reason: 'sip-account.calls-running', params: { id: 'desk-a', n: 1 } });
    expect((await site.admin.call('DELETE', '/api/sip-accounts/desk-a')).body).toMatchObject({ reason: 'sip-account.calls-running' });
    expect(bridge.account('desk-a')!.status().state).toBe('registered');
    await call.dispose();
    expect((await site.admin.call('PATCH', '/api/sip-accounts/desk-a', { expires: 900 })).status).toBe(200);
    await until('desk-a', (s) => s.state === 'registered');
  });

  it('changes of one account never overlap: two edits at once leave one running instance with the stored settings; a delete racing an edit leaves none', async () => {
    const admin = gw.gateway.services.sipAccounts;
    const actor = { type: 'system', id: 'test' } as const;
    const instances = (id: string) => bridge.accounts.filter((a) => a.id === id);
    expect((await site.admin.post('/api/sip-accounts', body('race'))).status).toBe(201);
    await until('race', (s) => s.state === 'registered');
    // Started in one tick: the second begins while the first waits for its un-REGISTER.
    const both = await Promise.allSettled([admin.update(actor, 'race', { expires: 700 }, {}), admin.update(actor, 'race', { expires: 800 }, {})]);
    expect(both.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    expect(instances('race')).toHaveLength(1);
    expect(admin.get('race').account.expires).toBe(800);
    await until('race', (s) => s.state === 'registered');
    const [deleted, edited] = await Promise.allSettled([admin.remove(actor, 'race'), admin.update(actor, 'race', { expires: 900 }, {})]);
    expect(deleted.status).toBe('fulfilled');
    expect(edited).toMatchObject({ status: 'rejected', reason: { why: { reason: 'sip-account.not-found' } } });
    expect(instances('race')).toHaveLength(0);
    expect(await kamailio.contacts('lobby')).toEqual([]);
    expect((await site.admin.get('/api/sip-accounts')).body.map((a: { id: string }) => a.id)).not.toContain('race');
  });

  it('the bridge refuses a second instance of an id it runs', async () => {
    const settings = sipSettings(gw.gateway.config).accounts.find((a) => a.id === 'cfg')!;
    await expect(bridge.add(settings)).rejects.toMatchObject({ why: { reason: 'sip-account.id-taken' } });
    expect(bridge.accounts.filter((a) => a.id === 'cfg')).toHaveLength(1);
  });

  it('no answer carries a door code (config or admin account): doorCode is default, none or set; an edit without it keeps it', async () => {
    const noCode = (value: unknown) => { for (const c of DOOR_CODES) expect(JSON.stringify(value)).not.toContain(c); };
    const created = await site.admin.post('/api/sip-accounts', body('coded', { doorCode: DOOR_CODES[1], enabled: false }));
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.doorCode).toBe('set');
    noCode(created.body);
    const list = await site.admin.get('/api/sip-accounts');
    expect(list.body.map((a: { id: string; doorCode: string }) => `${a.id}:${a.doorCode}`)).toEqual(['cfg:set', 'coded:set', 'desk-a:default']);
    noCode(list.body);
    const kept = await site.admin.call('PATCH', '/api/sip-accounts/coded', { expires: 600 });
    expect(kept.body.doorCode).toBe('set');
    noCode(kept.body);
    const stored = () => gw.gateway.services.store.db.withTables<{ sip_accounts: { id: string; door_code: string | null } }>()
      .selectFrom('sip_accounts').select('door_code').where('id', '=', 'coded').executeTakeFirstOrThrow();
    // Sealed like the password (review s25 #3): a copy of the database gives away no door code.
    const row = (await stored()).door_code!;
    expect(row).toMatch(/^enc:v1:/);
    noCode(row);
    expect((await site.admin.call('PATCH', '/api/sip-accounts/coded', { doorCode: '' })).body.doorCode).toBe('none');
    expect((await site.admin.call('PATCH', '/api/sip-accounts/coded', { doorCode: 'default' })).body.doorCode).toBe('default');
    expect((await stored()).door_code).toBeNull();
    expect((await site.admin.call('DELETE', '/api/sip-accounts/coded')).status).toBe(204);
  });

  it('a phone-book route may name it; deleting it is refused while one does (409 naming the entries), then it unregisters', async () => {
    const entry = await site.admin.post('/api/sites/hq/phonebook', { kind: 'person', name: 'Phone Desk A', routes: [{ type: 'sip', accountId: 'desk-a', user: '4711' }] });
    expect(entry.status, JSON.stringify(entry.body)).toBe(201);
    const refused = await site.admin.call('DELETE', '/api/sip-accounts/desk-a');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ reason: 'sip-account.in-use', params: { entries: 'Phone Desk A' } });
    expect((await site.admin.call('DELETE', `/api/phonebook/${entry.body.id}`)).status).toBe(204);
    expect((await site.admin.call('DELETE', '/api/sip-accounts/desk-a')).status).toBe(204);
    expect(await kamailio.contacts('other')).toEqual([]);
    expect(bridge.account('desk-a')).toBeUndefined();
    expect((await site.admin.get('/api/sip-accounts')).body.map((a: { id: string }) => a.id)).toEqual(['cfg']);
    const audit = await site.admin.get('/api/audit?limit=50');
    expect(audit.body.some((e: { action: string }) => e.action === 'sip-account.delete')).toBe(true);
  });
});
