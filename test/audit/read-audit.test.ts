// Reads of personal data through the admin API are audited at a stated
// granularity: one data.read entry per actor, kind of data and subject per
// audit.read_window_minutes (15), with where the request came from — through a
// real gateway on a manual clock.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, signInFirstAdmin, ApiClient } from '../support/gateway.ts';
import type { Clock } from '../../src/core/index.ts';
import { PERSONAL_READS } from '../../src/http/read-audit-hook.ts';

const MINUTE = 60_000;

/** Time moves only when the test says so; timers are the real ones (the gateway's components need theirs to run). */
class SteppedClock implements Clock {
  t = Date.now();
  now = () => this.t;
  setTimeout = (fn: () => void, ms: number) => setTimeout(fn, ms);
  clearTimeout = (handle: NodeJS.Timeout) => clearTimeout(handle);
}

describe('audit of reads', () => {
  let gw: Awaited<ReturnType<typeof startGateway>>;
  let admin: ApiClient;
  let adminId: string;
  const clock = new SteppedClock();

  beforeAll(async () => {
    gw = await startGateway({}, { clock });
    admin = await signInFirstAdmin(gw);
    adminId = (await admin.get('/api/auth/me')).body.id;
    for (const id of ['hq', 'lab']) expect((await admin.post('/api/sites', { id, name: id, timeZone: 'Europe/Berlin' })).status).toBe(201);
  });
  afterAll(async () => { await gw?.close(); });

  const reads = async () => (await gw.gateway.services.audit.list({ action: 'data.read', limit: 1000 }))
    .map((e) => ({ actor: e.actor_id, type: e.target_type, id: e.target_id, site: e.site_id, details: JSON.parse(e.details!) as unknown, at: e.at }))
    .reverse();

  it('repeated reads within the window write one entry; after the window a second; another subject its own', async () => {
    for (let i = 0; i < 5; i++) expect((await admin.get('/api/sites/hq/calls')).status).toBe(200);
    expect(await reads()).toEqual([{ actor: adminId, type: 'call-records', id: 'hq', site: 'hq', details: { from: '127.0.0.1', windowMinutes: 15 }, at: clock.now() }]);

    clock.t += 15 * MINUTE - 1;
    expect((await admin.get('/api/sites/hq/calls')).status).toBe(200);
    expect(await reads()).toHaveLength(1);
    clock.t += 1;
    expect((await admin.get('/api/sites/hq/calls')).status).toBe(200);
    expect((await admin.get('/api/sites/hq/calls')).status).toBe(200);
    expect((await admin.get('/api/sites/lab/calls')).status).toBe(200);
    expect((await admin.get('/api/sites/lab/calls')).status).toBe(200);
    const all = await reads();
    expect(all.map((r) => [r.type, r.id, r.at])).toEqual([
      ['call-records', 'hq', clock.now() - 15 * MINUTE], ['call-records', 'hq', clock.now()], ['call-records', 'lab', clock.now()],
    ]);
  });

  it('every admin route that answers with personal data is audited, the audit view included; an unauthenticated one is refused and not', async () => {
    clock.t += 60 * MINUTE;
    const before = (await reads()).length;
    const paths = ['/api/users', `/api/users/${adminId}/roles`, '/api/cards?siteId=hq', '/api/sites/hq/phonebook', '/api/sites/hq/calls',
      '/api/sites/hq/calls/quality', '/api/rules/door-rule/versions', '/api/audit'];
    for (const path of paths) expect((await admin.get(path)).status, path).toBe(200);
    expect((await new ApiClient(gw.base).get('/api/users')).status).toBe(401);
    const written = (await reads()).slice(before);
    expect(written.map((r) => `${r.type} ${r.id}`)).toEqual([
      'accounts all', `user ${adminId}`, 'cards hq', 'phonebook hq', 'call-records hq', 'call-quality hq', 'rule-versions door-rule', 'audit-log all',
    ]);
    // Every route the hook knows was asked for above.
    expect([...PERSONAL_READS.keys()]).toHaveLength(paths.length);
  });
});
