// Door stations in the domain (review s21 #12): two creates with the same SIP user
// that both pass the check before either writes — the unique index refuses the
// second, and that is a named conflict (409 door-station.user-taken), not a failure.
// A station's door is checked in the transaction that writes it: a door deleted
// right after that check sees the station (door.in-use), never the other way round.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DoorStations } from '../../src/terminals/index.ts';
import { openServices, type Services } from '../support/services.ts';

const ADMIN = { type: 'user' as const, id: 'admin' };

describe('door stations: the SIP user is unique', () => {
  let svc: Services;
  beforeAll(async () => {
    svc = await openServices();
    await svc.sites.create(ADMIN, { id: 'hq', name: 'HQ', timeZone: 'Europe/Berlin' });
  });
  afterAll(async () => { await svc?.close(); });

  it('two creates of one SIP user at once: one made, the other refused door-station.user-taken', async () => {
    // Both checks wait here until both creates have started: the race, made certain.
    let entered = 0;
    let release!: () => void;
    const bothIn = new Promise<void>((r) => { release = r; });
    const stations = new DoorStations({
      store: svc.store, audit: svc.audit, clock: svc.clock,
      box: { seal: (plain) => `sealed:${plain}`, open: (sealed) => ({ value: sealed.slice(7), stale: false }) },
      lookups: {
        siteExists: async (siteId) => { if (++entered === 2) release(); await bothIn; return siteId === 'hq'; },
        siteOfDoor: async () => undefined, siteOfEntry: async () => undefined,
      },
    });
    const input = { name: 'Eingang', siteId: 'hq', sipUser: 'door-1', relay: { way: 'mqtt' as const } };
    const results = await Promise.allSettled([stations.create(ADMIN, input), stations.create(ADMIN, input)]);
    expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const refused = results.find((r) => r.status === 'rejected') as PromiseRejectedResult;
    expect(refused.reason).toMatchObject({ code: 'conflict', why: { reason: 'door-station.user-taken', params: { user: 'door-1' } } });
    expect(stations.list().map((s) => s.sipUser)).toEqual(['door-1']);
  });

  it('a door deleted just after a station\'s door check: the delete sees the station (409 door.in-use), no station names a deleted door', async () => {
    const door = await svc.sites.createDoor(ADMIN, 'hq', 'Side gate');
    let deleting: Promise<void> | undefined;
    const stations: DoorStations = new DoorStations({
      store: svc.store, audit: svc.audit, clock: svc.clock,
      box: { seal: (plain) => `sealed:${plain}`, open: (sealed) => ({ value: sealed.slice(7), stale: false }) },
      lookups: {
        siteExists: async (siteId) => siteId === 'hq',
        // Right after the door check has read, the door's deletion starts (its in-use check looks for stations).
        siteOfDoor: async (doorId, within) => {
          const site = await svc.sites.siteOfDoor(doorId, within);
          deleting = svc.sites.deleteDoor(ADMIN, 'hq', doorId, { holders: (tx, _site, id) => stations.namesAtDoor(id, tx), release: async () => undefined });
          return site;
        },
        siteOfEntry: async () => undefined,
      },
    });
    const made = await stations.create(ADMIN, { name: 'Side station', siteId: 'hq', doorId: door.id, sipUser: 'side-1', relay: { way: 'mqtt' } });
    await expect(deleting).rejects.toMatchObject({ why: { reason: 'door.in-use', params: { holders: 'Side station' } } });
    expect(made.station.doorId).toBe(door.id);
    expect(await svc.sites.siteOfDoor(door.id)).toBe('hq');
  });
});
