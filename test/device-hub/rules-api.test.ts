// Rules through the admin API of a started gateway: a rule naming a role that
// does not exist is refused when saved (400 naming rule and field), nothing is
// stored; seeded and created roles are accepted.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin, type ApiClient } from '../support/gateway.ts';

describe('rules in the admin API: roles', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let api: ApiClient;
  const rule = (id: string, actions: unknown[]) => ({ id, site: 'hq', trigger: { topic: 'portier/hq/+/event', when: { type: 'button' } }, actions });
  const notify = (role: string) => ({ type: 'desk.notify', role, text: { de: 'Taster', en: 'Button' } });

  beforeAll(async () => {
    gw = await startGateway();
    api = await signInFirstAdmin(gw);
    expect((await api.post('/api/sites', { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses a rule that notifies a role that does not exist, naming rule and field, and stores nothing', async () => {
    const cases: Array<[unknown[], string]> = [
      [[notify('recepiton')], 'rule button-notify field /actions/0/role: role recepiton does not exist'],
      [[{ type: 'mqtt.publish', topic: 'portier/hq/display-1/display', payload: 'x' }, notify('reception'), notify('night-watch')], 'rule button-notify field /actions/2/role: role night-watch does not exist'],
    ];
    for (const [actions, message] of cases) {
      const res = await api.call('PUT', '/api/rules', rule('button-notify', actions));
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ error: 'invalid', reason: 'rule.unknown-role', params: { field: expect.stringMatching(/^actions\.\d\.role$/), role: expect.any(String) }, message });
    }
    expect((await api.get('/api/rules?siteId=hq')).body.map((r: { id: string }) => r.id)).not.toContain('button-notify');
    expect(await gw.gateway.services.deviceHub.rule('button-notify')).toBeUndefined();
  });

  it('saves a rule that notifies a seeded role or one an admin created', async () => {
    const created = await api.post('/api/roles', { name: 'night watch', description: 'guards at night', permissions: ['call.answer'] });
    expect(created.status).toBe(201);
    const res = await api.call('PUT', '/api/rules', rule('night-notify', [notify('reception'), notify(created.body.id)]));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ id: 'night-notify', version: 1, source: 'store' });
  });
});
