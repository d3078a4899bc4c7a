// Refusals name their reason for the pages: HTTP error bodies and socket.io acks
// carry `reason` (a key of the pages' catalogues) and `params` next to the code,
// schema refusals by keyword, and the rules' dry run says why not the same way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Socket } from 'socket.io-client';
import { passwordProblem } from '../../src/access/password.ts';
import { PhoneBook } from '../../src/phonebook/index.ts';
import { ApiClient, startGateway } from '../support/gateway.ts';
import { ack, connect, seedSite, type SiteFixture } from '../support/signaling.ts';

describe('error reasons', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let site: SiteFixture;
  let desk: Socket;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
    desk = await connect(gw, '/desk', site.users.rita!.cookie);
  });
  afterAll(async () => {
    desk?.close();
    await gw?.close();
  });

  it('a wrong password is login.wrong, a used pairing code pairing.invalid-code', async () => {
    const login = await new ApiClient(gw.base).post('/api/auth/login', { login: 'anna', password: 'not her password' });
    expect(login.body).toMatchObject({ error: 'unauthenticated', reason: 'login.wrong', params: {} });
    const pair = await new ApiClient(gw.base).post('/api/terminal/pair', { code: '0000 0000' });
    expect(pair.body).toMatchObject({ error: 'invalid', reason: 'pairing.invalid-code' });
  });

  it('a short password (the route\'s schema), a taken login and a phone-book ring time out of range name their reason and limits', async () => {
    const short = await site.admin.post('/api/users', { login: 'neu', displayName: 'Neu', password: 'kurz' });
    expect(short.body).toMatchObject({ error: 'invalid', reason: 'schema.minLength', params: { field: 'password', limit: 12 } });
    const taken = await site.admin.post('/api/users', { login: 'anna', displayName: 'Anna', password: 'a long enough password' });
    expect(taken.body).toMatchObject({ error: 'conflict', reason: 'user.login-taken', params: { login: 'anna' } });
    const ring = await site.admin.post('/api/sites/hq/phonebook', {
      kind: 'person', name: 'Kurt', routes: [{ type: 'desk-user', userId: site.users.anna!.id }], policy: { legTimeoutS: 2 },
    });
    expect(ring.body).toMatchObject({ error: 'invalid', reason: 'schema.minimum', params: { field: 'policy.legTimeoutS', limit: 5 } });
    // The same rules checked by the domain (CSV import, first-run link) carry their own reasons.
    const entry = { siteId: 'hq', kind: 'person' as const, name: 'Kurt', department: null, routes: [{ type: 'desk-user' as const, userId: 'u' }] };
    expect(() => PhoneBook.validate({ ...entry, policy: { legTimeoutS: 2 } })).toThrow(expect.objectContaining({ why: { reason: 'entry.leg-timeout', params: { min: 5, max: 120 } } }));
    expect(passwordProblem('kurz')).toMatchObject({ reason: 'password.too-short', params: { limit: 12 } });
  });

  it('a body the route schema refuses names the keyword, the field and the limit', async () => {
    const badId = await site.admin.post('/api/devices', { id: 'Bad Id', kind: 'sensor', siteId: 'hq' });
    expect(badId.status).toBe(400);
    expect(badId.body).toMatchObject({ error: 'invalid', reason: 'schema.pattern', params: { field: 'id' } });
    const missing = await site.admin.post('/api/sites', { id: 'x2', name: 'X' });
    expect(missing.body).toMatchObject({ reason: 'schema.required', params: { field: 'timeZone' } });
    const taken = await site.admin.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
    expect(taken.body).toMatchObject({ error: 'conflict', reason: 'site.exists', params: { id: 'hq' } });
    const notJson = await fetch(`${gw.base}/api/sites`, { method: 'POST', headers: { 'content-type': 'application/json', cookie: site.admin.cookie! }, body: '{"id":' });
    expect(await notJson.json()).toMatchObject({ error: 'invalid', reason: 'request.not-json' });
  });

  it('a refused rule names the rule field; the dry run gives each reason with its parameters', async () => {
    const rule = {
      id: 'motion-desk', site: 'hq', enabled: true, trigger: { topic: 'portier/hq/+/event', when: { type: 'motion' } },
      actions: [{ type: 'desk.notify', role: 'nobody-has-this-role', text: { de: 'Bewegung', en: 'Motion' } }],
    };
    const unknownRole = await site.admin.call('PUT', '/api/rules', rule);
    expect(unknownRole.body).toMatchObject({ error: 'invalid', reason: 'rule.unknown-role', params: { field: 'actions.0.role', role: 'nobody-has-this-role' } });
    const noTopic = await site.admin.call('PUT', '/api/rules', { ...rule, trigger: { when: { type: 'motion' } } });
    expect(noTopic.body).toMatchObject({ error: 'invalid', reason: 'schema.required', params: { field: 'trigger.topic' } });
    const notANumber = await site.admin.call('PUT', '/api/rules', { ...rule, actions: [{ type: 'door.unlock', door: site.doorId, seconds: 'long' }] });
    expect(notANumber.body).toMatchObject({ error: 'invalid', reason: 'schema.type', params: { field: 'actions.0.seconds', type: 'integer' } });
    expect((await site.admin.call('PUT', '/api/rules', { ...rule, actions: [{ ...rule.actions[0], role: 'reception' }] })).status).toBe(200);
    expect((await site.admin.post('/api/devices', { id: 'lobby-sensor', kind: 'sensor', siteId: 'hq' })).status).toBe(201);
    const dry = await site.admin.post('/api/rules/dry-run', { deviceId: 'lobby-sensor', topic: 'portier/hq/lobby-sensor/event', payload: { type: 'button' } });
    expect(dry.body).toContainEqual(expect.objectContaining({
      rule: 'motion-desk', fires: false, why: [{ reason: 'rule.payload', params: { path: 'type', value: '"button"', condition: '"motion"' } }],
    }));
  });

  it('a socket.io ack carries the reason too: a schema refusal and a named error', async () => {
    expect(await ack(desk, 'presence.set', { state: 'sleeping' })).toMatchObject({ ok: false, error: 'invalid', reason: 'schema.enum', params: { field: 'state', allowed: 'available, away' } });
    expect(await ack(desk, 'history.list', { limit: 0 })).toMatchObject({ ok: false, reason: 'schema.minimum', params: { field: 'limit', limit: 1 } });
    expect(await ack(desk, 'no.such.event', {})).toMatchObject({ ok: false, reason: 'event.unknown', params: { event: 'no.such.event' } });
  });
});
