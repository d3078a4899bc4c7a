// Deleting a phone-book entry while a door station or an inbound SIP number is
// written for it (review s25 #10): the deletion's in-use check and the writers'
// entry checks each read inside their own write transaction, so whichever order
// they interleave in, no station and no number names a deleted entry. Hooks start
// the other side right after a check has read (no timing): the deletion first —
// the newcomers wait for it and find the entry gone (refused); the writer first —
// the deletion waits for it and sees it (409 entry.in-use).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway } from '../support/gateway.ts';
import { seedSite, type Gw, type SiteFixture } from '../support/signaling.ts';
import { PhoneBook, type EntryReferrers } from '../../src/phonebook/index.ts';
import { DoorStations } from '../../src/terminals/index.ts';
import { systemClock as clock } from '../../src/core/index.ts';
import { SipAccountAdmin, SipAccountStore, type SipAccountInput, type StoredInbound } from '../../src/sip-bridge/index.ts';

const ACTOR = { type: 'system', id: 'test' } as const;
const sealer = { seal: (plain: string) => `sealed:${plain}`, open: (sealed: string) => ({ value: sealed.slice(7), stale: false }) };

describe('a phone-book entry deleted while a station or an inbound number is written for it', () => {
  let gw: Gw;
  let site: SiteFixture;

  beforeAll(async () => {
    gw = await startGateway({ PORTIER_SIP__BIND_ADDRESS: '127.0.0.1' });
    site = await seedSite(gw);
  }, 120_000);
  afterAll(async () => { await gw?.close(); });

  const services = () => gw.gateway.services;
  const newEntry = async (name: string): Promise<string> => {
    const routes = services().phonebook.get(site.entries['Anna Müller']!).routes;
    const [entry] = await services().phonebook.upsertMany(ACTOR, [{ siteId: 'hq', kind: 'person', name, department: null, routes }]);
    return entry!.id;
  };
  const inbound = (number: string, entryId: string): StoredInbound => ({
    username: 'pbx-trunk', realm: '', sources: [], trustRegistrar: false, numbers: [{ number, entryId }], terminals: [],
  });
  // Disabled: nothing registers; the account is only written.
  const account = (id: string, number: string, entryId: string): SipAccountInput => ({
    id, enabled: false, registrar: '127.0.0.1:5999', secondaryRegistrars: [], transport: 'udp', tlsServerName: '', tlsCa: '', srtp: 'off',
    username: 'lobby', authUsername: '', domain: '', expires: null, outboundProxy: '', localPort: null, doorCode: null, inbound: inbound(number, entryId), codecs: null,
  });
  const stationsNaming = async (entryId: string) => (await services().store.db.withTables<{ door_stations: { name: string; entry_id: string | null } }>()
    .selectFrom('door_stations').select('name').where('entry_id', '=', entryId).execute()).map((r) => r.name);
  const numbersNaming = (entryId: string) => services().store.transaction((tx) => services().sipAccounts.numbersRinging(entryId, tx));
  const entryRow = async (entryId: string) => services().phonebook.siteOfEntry(entryId);

  it('the deletion checks first: a station and a number written just after its check wait for it, find the entry gone and are refused', async () => {
    const { store, audit, sites, entryReferrers, doorStations, sipAccounts } = services();
    const entry = await newEntry('Race first');
    const racing: Array<Promise<unknown>> = [];
    // Right after the in-use check has read (inside the deleting transaction), a station and an inbound number are written for the entry.
    const hooked: EntryReferrers = {
      namesOf: async (entryId, within) => {
        const names = await entryReferrers.namesOf(entryId, within);
        racing.push(
          doorStations.create(ACTOR, { name: 'Late station', siteId: 'hq', sipUser: 'late-1', entryId, relay: { way: 'mqtt' } }),
          sipAccounts.create(ACTOR, account('late-trunk', '4801', entryId), 'lobby-secret', 'trunk-secret'),
        );
        return names;
      },
      release: (actor, entryId) => entryReferrers.release(actor, entryId),
    };
    // A phone book of its own for the hook (same store); the gateway's still lists the entry, so the writers' early checks pass.
    const phonebook = new PhoneBook({ store, audit, clock, sites, referrers: hooked });
    await phonebook.load();
    await phonebook.remove(ACTOR, entry);
    const [station, number] = await Promise.allSettled(racing);
    expect(station).toMatchObject({ status: 'rejected', reason: { why: { reason: 'door-station.entry-not-on-site' } } });
    expect(number).toMatchObject({ status: 'rejected', reason: { why: { reason: 'sip-account.entry-unknown', params: { number: '4801', entry } } } });
    expect(await entryRow(entry)).toBeUndefined();
    expect(await stationsNaming(entry)).toEqual([]);
    expect(await numbersNaming(entry)).toEqual([]);
    expect(sipAccounts.list().map((l) => l.account.id)).not.toContain('late-trunk');
  });

  it('a station\'s entry check first: the deletion started just after it waits for the station, sees it and is refused (409 entry.in-use)', async () => {
    const { store, audit, phonebook } = services();
    const entry = await newEntry('Race station');
    let deleting: Promise<void> | undefined;
    const stations: DoorStations = new DoorStations({
      store, audit, clock, box: sealer,
      lookups: {
        siteExists: async (siteId) => siteId === 'hq',
        siteOfDoor: async () => undefined,
        // Right after the entry check has read (inside the station's write), the entry's deletion starts.
        siteOfEntry: async (entryId, within) => {
          const siteId = await phonebook.siteOfEntry(entryId, within);
          deleting = phonebook.remove(ACTOR, entryId);
          return siteId;
        },
      },
    });
    const made = await stations.create(ACTOR, { name: 'Early station', siteId: 'hq', sipUser: 'early-1', entryId: entry, relay: { way: 'mqtt' } });
    await expect(deleting).rejects.toMatchObject({ why: { reason: 'entry.in-use', params: { stations: 'Early station', numbers: '–' } } });
    expect(made.station.entryId).toBe(entry);
    expect(await entryRow(entry)).toBe('hq');
  });

  it('an inbound number\'s entry check first: the deletion started just after it waits for the account, sees the number and is refused (409 entry.in-use)', async () => {
    const { store, audit, phonebook, sip } = services();
    const entry = await newEntry('Race number');
    let deleting: Promise<void> | undefined;
    const accounts = new SipAccountAdmin({
      store: new SipAccountStore({ store, audit, clock, box: sealer }), bridge: sip, sip: gw.gateway.config.sip, logger: gw.gateway.logger,
      routesThrough: () => [],
      targets: {
        entry: (id) => phonebook.find(id) !== undefined,
        // Right after the entry check has read (inside the account's write), the entry's deletion starts.
        entryWithin: async (id, within) => {
          const found = await phonebook.siteOfEntry(id, within) !== undefined;
          deleting = phonebook.remove(ACTOR, id);
          return found;
        },
        terminal: async () => false,
      },
    });
    await accounts.create(ACTOR, account('early-trunk', '4802', entry), 'lobby-secret', 'trunk-secret');
    await expect(deleting).rejects.toMatchObject({ why: { reason: 'entry.in-use', params: { stations: '–', numbers: '4802 (early-trunk)' } } });
    expect(await entryRow(entry)).toBe('hq');
    expect(await numbersNaming(entry)).toEqual(['4802 (early-trunk)']);
  });
});
