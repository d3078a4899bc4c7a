// Deleting a door (issue 12, admin page): refused by name while a terminal or a
// rule still needs it; cards that list it lose it; audited; site.admin on the site.
// The check is part of the deleting transaction: a terminal bound or a command
// recorded for the door right after the check is never lost with it (reviewer s24).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, ApiClient } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import type { DoorReferences } from '../../src/sites/index.ts';
import type { DoorOutbox } from '../../src/device-hub/index.ts';

const PASSWORD = 'a long enough password';

describe('deleting a door through the API', () => {
  let gw: Gw;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway();
    site = await seedSite(gw);
  });
  afterAll(async () => { await gw?.close(); });

  it('refuses while a terminal or a rule needs the door (409 door.in-use naming them), then deletes it: cards lose it, audited', async () => {
    const door = (await site.admin.post('/api/sites/hq/doors', { name: 'Side gate' })).body.id as string;
    const other = (await site.admin.post('/api/sites/hq/doors', { name: 'Garage' })).body.id as string;
    const terminal = (await site.admin.post('/api/terminals', { name: 'Gate kiosk', siteId: 'hq', doorId: door })).body.terminal;
    expect((await site.admin.call('PUT', '/api/rules', {
      id: 'gate-on-motion', site: 'hq', trigger: { topic: 'portier/hq/hall-sensor/event' }, actions: [{ type: 'door.unlock', door, seconds: 3 }],
    })).status).toBe(200);
    expect((await site.admin.post('/api/cards', { siteId: 'hq', card: 'GATE-1', holderRef: 'user-1', kind: 'employee', doors: [door, other] })).status).toBe(201);

    const held = await site.admin.call('DELETE', `/api/sites/hq/doors/${door}`);
    expect(held.status).toBe(409);
    expect(held.body).toMatchObject({ error: 'conflict', reason: 'door.in-use', params: { holders: 'Gate kiosk, gate-on-motion' } });

    expect((await site.admin.call('PATCH', `/api/terminals/${terminal.id}`, { doorId: null })).status).toBe(200);
    const byRule = await site.admin.call('DELETE', `/api/sites/hq/doors/${door}`);
    expect(byRule.status).toBe(409);
    expect(byRule.body.params).toEqual({ holders: 'gate-on-motion' });

    expect((await site.admin.call('DELETE', '/api/rules/gate-on-motion')).status).toBe(204);
    expect((await site.admin.call('DELETE', `/api/sites/hq/doors/${door}`)).status).toBe(204);
    const doors = (await site.admin.get('/api/sites/hq/doors')).body as Array<{ id: string }>;
    expect(doors.map((d) => d.id)).not.toContain(door);
    expect(doors.map((d) => d.id)).toContain(other);
    const cards = (await site.admin.get('/api/cards?siteId=hq')).body as Array<{ holderRef: string; doors: string[] | null }>;
    expect(cards.find((c) => c.holderRef === 'user-1')?.doors).toEqual([other]);
    const audit = (await site.admin.get('/api/audit?action=door.delete')).body as Array<{ target_id: string }>;
    expect(audit.map((e) => e.target_id)).toEqual([door]);
    expect((await site.admin.call('DELETE', `/api/sites/hq/doors/${door}`)).status).toBe(404);
  });

  it('refuses a door of another site (404) and a caller without site.admin on the site (403)', async () => {
    expect((await site.admin.post('/api/sites', { id: 'lab', name: 'Lab', timeZone: 'Europe/Berlin' })).status).toBe(201);
    const labDoor = (await site.admin.post('/api/sites/lab/doors', { name: 'Lab door' })).body.id as string;
    expect((await site.admin.call('DELETE', `/api/sites/hq/doors/${labDoor}`)).status).toBe(404);
    const role = await site.admin.post('/api/roles', { name: 'hq-admin', description: 'hq', permissions: ['site.admin'] });
    const user = await site.admin.post('/api/users', { login: 'hqadmin', displayName: 'HQ admin', password: PASSWORD });
    expect((await site.admin.post(`/api/users/${user.body.id}/roles`, { roleId: role.body.id, siteId: 'hq' })).status).toBe(200);
    const hqAdmin = new ApiClient(gw.base);
    expect((await hqAdmin.post('/api/auth/login', { login: 'hqadmin', password: PASSWORD })).status).toBe(200);
    const refused = await hqAdmin.call('DELETE', `/api/sites/lab/doors/${labDoor}`);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ reason: 'permission.missing', params: { permission: 'site.admin' } });
    expect((await site.admin.get('/api/sites/lab/doors')).body).toHaveLength(1);
  });

  it('a terminal bound and a command recorded for the door just after the check are not lost with it: they come after the delete and are refused', async () => {
    const { sites, doorReferences, enrolment, deviceHub, credentials } = gw.gateway.services;
    const actor = { type: 'system', id: 'test' } as const;
    const door = (await site.admin.post('/api/sites/hq/doors', { name: 'Back gate' })).body.id as string;
    const outbox = deviceHub.doorControl as DoorOutbox;
    // A card read's command, checked and built before the delete starts (prepare reads outside any transaction).
    const command = await outbox.prepare('unlock', { doorId: door, seconds: 3, issuedBy: actor });
    const racing: Array<Promise<unknown>> = [];
    // The hook runs right after the in-use check has read (inside the deleting transaction, where it belongs):
    // the door's newcomers start there, deterministically between the check and the delete.
    const hooked: DoorReferences = {
      holders: async (within, siteId, doorId) => {
        const names = await doorReferences.holders(within, siteId, doorId);
        racing.push(enrolment.create(actor, { name: 'Late kiosk', siteId: 'hq', doorId }), outbox.record(command));
        return names;
      },
      release: (tx, siteId, doorId) => doorReferences.release(tx, siteId, doorId),
    };
    await sites.deleteDoor(actor, 'hq', door, hooked);
    const [terminal, recorded] = await Promise.allSettled(racing);
    // Both waited for the deleting transaction and found the door gone: refused, nothing dangling.
    expect(terminal).toMatchObject({ status: 'rejected' });
    expect(recorded).toMatchObject({ status: 'rejected' });
    expect((await credentials.list('terminal')).map((c) => c.label)).not.toContain('Late kiosk');
    const commands = await gw.gateway.services.store.db.withTables<{ door_commands: { id: string } }>().selectFrom('door_commands').select('id').where('id', '=', command.id).execute();
    expect(commands).toEqual([]);
    expect((await site.admin.get('/api/sites/hq/doors')).body.map((d: { id: string }) => d.id)).not.toContain(door);
  });
});
