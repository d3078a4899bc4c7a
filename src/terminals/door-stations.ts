// SIP door stations as terminals (issue 13, slice 3): each station's SIP user and
// digest secret (sealed under the master key; shown once when made or renewed),
// its site and door, the phone-book entry its button rings and how its relay is
// opened (SIP INFO DTMF in the call's dialog, or the door's MQTT command). Kept in
// memory as well (a few per site): the SIP registrar asks for a station by user on
// every REGISTER and INVITE without a database read.
import { randomBytes, randomUUID } from 'node:crypto';
import type { Store, Tx } from '../store/index.ts';
import type { AuditLog, Actor } from '../audit/index.ts';
import { ConflictError, InvalidError, NotFoundError, TypedEmitter, type Clock } from '../core/index.ts';
import { SIP_USER_PATTERN } from './station-rules.ts';

/** How the station's relay opens: `sip-info` sends `code` as SIP INFO DTMF in the call; `mqtt` unlocks the door through its controller. */
export type StationRelay = { way: 'sip-info'; code: string } | { way: 'mqtt' };

export interface DoorStation {
  id: string;
  siteId: string;
  doorId: string | null;
  name: string;
  /** The SIP user the station registers and calls as (its digest user too). */
  sipUser: string;
  /** The phone-book entry the station's button rings; null: the site's reception. */
  entryId: string | null;
  relay: StationRelay;
  createdAt: number;
  updatedAt: number;
}

export interface DoorStationInput {
  name: string;
  siteId: string;
  doorId?: string | null;
  sipUser: string;
  entryId?: string | null;
  relay: StationRelay;
}

/** What the store of door stations checks against others' data (sites and the phone book are not its own). */
export interface DoorStationLookups {
  /** Read `within` the station's write: a door deleted meanwhile is not found (Sites.deleteDoor checks in its own). */
  siteOfDoor(doorId: string, within: Tx): Promise<string | undefined>;
  siteExists(siteId: string): Promise<boolean>;
  /** The site of a phone-book entry, read `within` the station's write (an entry deleted meanwhile is not found); undefined when there is none. */
  siteOfEntry(entryId: string, within: Tx): Promise<string | undefined>;
}

/** Seals and opens the stations' secrets (the secrets port, src/secrets SecretBox). */
export interface SecretSealer {
  seal(plain: string): string;
  open(sealed: string, where: string): { value: string; stale: boolean };
}

type Row = {
  id: string; site_id: string; door_id: string | null; name: string; sip_user: string; sealed_secret: string;
  entry_id: string | null; relay_way: string; relay_code: string | null; created_at: number; updated_at: number;
};
type Tables = { door_stations: Row };

export { SIP_USER_PATTERN, RELAY_CODE_PATTERN } from './station-rules.ts';

export type DoorStationsEvents = {
  /** A station was made, changed or removed; `identity`: its SIP user or secret changed, or it is gone (its registration must go). */
  changed: [{ id: string; removed: boolean; identity: boolean }];
};

export class DoorStations extends TypedEmitter<DoorStationsEvents> {
  readonly #store: Store;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #box: SecretSealer;
  readonly #lookups: DoorStationLookups;
  readonly #byId = new Map<string, { station: DoorStation; sealed: string }>();

  constructor(deps: { store: Store; audit: AuditLog; clock: Clock; box: SecretSealer; lookups: DoorStationLookups }) {
    super();
    this.#store = deps.store;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#box = deps.box;
    this.#lookups = deps.lookups;
  }

  get #db() { return this.#store.db.withTables<Tables>(); }

  /** Reads every station once (at start); secrets sealed under a previous master key are sealed again. */
  async load(): Promise<void> {
    for (const row of await this.#db.selectFrom('door_stations').selectAll().execute()) {
      let sealed = row.sealed_secret;
      const { value, stale } = this.#box.open(sealed, `door station ${row.id}'s secret`);
      if (stale) {
        sealed = this.#box.seal(value);
        await this.#db.updateTable('door_stations').set({ sealed_secret: sealed }).where('id', '=', row.id).execute();
      }
      this.#byId.set(row.id, { station: stationOf(row), sealed });
    }
  }

  list(siteId?: string): DoorStation[] {
    return [...this.#byId.values()].map((s) => s.station).filter((s) => siteId === undefined || s.siteId === siteId)
      .sort((a, b) => a.name.localeCompare(b.name, 'de'));
  }

  get(id: string): DoorStation {
    const s = this.#byId.get(id);
    if (!s) throw new NotFoundError(`door station ${id} not found`, { reason: 'door-station.not-found', params: { id } });
    return s.station;
  }

  find(id: string): DoorStation | undefined { return this.#byId.get(id)?.station; }

  /** The station registering or calling as `sipUser`, with its secret (for the digest check); undefined: no such station. */
  credentialsOf(sipUser: string): { station: DoorStation; secret: string } | undefined {
    for (const { station, sealed } of this.#byId.values()) {
      if (station.sipUser === sipUser) return { station, secret: this.#box.open(sealed, `door station ${station.id}'s secret`).value };
    }
    return undefined;
  }

  /** Makes a station and its digest secret (returned once; stored sealed). Audited (door-station.create). */
  async create(actor: Actor, input: DoorStationInput): Promise<{ station: DoorStation; secret: string }> {
    await this.#check(input.siteId, input.sipUser, undefined);
    const now = this.#clock.now();
    const secret = newSecret();
    const station: DoorStation = {
      id: randomUUID(), siteId: input.siteId, doorId: input.doorId ?? null, name: input.name, sipUser: input.sipUser,
      entryId: input.entryId ?? null, relay: input.relay, createdAt: now, updatedAt: now,
    };
    const sealed = this.#box.seal(secret);
    await this.#store.transaction(async (tx) => {
      await this.#checkDoor(tx, station.siteId, station.doorId);
      await this.#checkEntry(tx, station.siteId, station.entryId);
      await tx.withTables<Tables>().insertInto('door_stations').values(rowOf(station, sealed)).execute();
      await this.#audit.append({ actor, action: 'door-station.create', target: { type: 'door-station', id: station.id }, outcome: 'ok', siteId: station.siteId }, tx);
    }).catch((error: unknown) => { throw userTaken(error, station.sipUser); });
    this.#byId.set(station.id, { station, sealed });
    this.safeEmit('changed', { id: station.id, removed: false, identity: false });
    return { station, secret };
  }

  /** Changes a station's name, site, door, SIP user, entry or relay. Audited with the fields changed. */
  async update(actor: Actor, id: string, patch: Partial<DoorStationInput>): Promise<DoorStation> {
    const before = this.get(id);
    const moved = patch.siteId !== undefined && patch.siteId !== before.siteId;
    const next: DoorStation = {
      ...before,
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.siteId !== undefined ? { siteId: patch.siteId } : {}),
      ...(patch.sipUser !== undefined ? { sipUser: patch.sipUser } : {}),
      ...(patch.relay !== undefined ? { relay: patch.relay } : {}),
      // Moved to another site: its door and entry are the old site's, so none unless named anew.
      doorId: patch.doorId !== undefined ? patch.doorId : moved ? null : before.doorId,
      entryId: patch.entryId !== undefined ? patch.entryId : moved ? null : before.entryId,
      updatedAt: this.#clock.now(),
    };
    await this.#check(next.siteId, next.sipUser, id);
    const sealed = this.#byId.get(id)!.sealed;
    await this.#store.transaction(async (tx) => {
      await this.#checkDoor(tx, next.siteId, next.doorId);
      await this.#checkEntry(tx, next.siteId, next.entryId);
      await tx.withTables<Tables>().updateTable('door_stations').set(rowOf(next, sealed)).where('id', '=', id).execute();
      await this.#audit.append({
        actor, action: 'door-station.update', target: { type: 'door-station', id }, outcome: 'ok', siteId: next.siteId,
        details: { fields: Object.keys(patch).sort(), ...(moved ? { fromSite: before.siteId } : {}) },
      }, tx);
    }).catch((error: unknown) => { throw userTaken(error, next.sipUser); });
    this.#byId.set(id, { station: next, sealed });
    this.safeEmit('changed', { id, removed: false, identity: next.sipUser !== before.sipUser });
    return next;
  }

  /** A new digest secret (the old one stops working at once; the station registers again with the new one). */
  async renewSecret(actor: Actor, id: string): Promise<{ station: DoorStation; secret: string }> {
    const station = this.get(id);
    const secret = newSecret();
    const sealed = this.#box.seal(secret);
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().updateTable('door_stations').set({ sealed_secret: sealed, updated_at: this.#clock.now() }).where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'door-station.secret', target: { type: 'door-station', id }, outcome: 'ok', siteId: station.siteId }, tx);
    });
    this.#byId.set(id, { station, sealed });
    this.safeEmit('changed', { id, removed: false, identity: true });
    return { station, secret };
  }

  /** The names of the stations at a door, read `within` a transaction (a door's deletion: one committed just before counts). */
  async namesAtDoor(doorId: string, within: Tx): Promise<string[]> {
    const rows = await within.withTables<Tables>().selectFrom('door_stations').select('name').where('door_id', '=', doorId).execute();
    return rows.map((r) => r.name).sort((a, b) => a.localeCompare(b, 'de'));
  }

  /** The names of the stations whose button rings an entry, read `within` a transaction (the entry's deletion: one committed just before counts). */
  async namesRinging(entryId: string, within: Tx): Promise<string[]> {
    const rows = await within.withTables<Tables>().selectFrom('door_stations').select('name').where('entry_id', '=', entryId).execute();
    return rows.map((r) => r.name).sort((a, b) => a.localeCompare(b, 'de'));
  }

  /** The stations whose button rings a phone-book entry. */
  ringing(entryId: string): DoorStation[] {
    return this.list().filter((s) => s.entryId === entryId);
  }

  /** The stations that ring a phone-book entry ring the site's reception instead (the entry is erased); audited as updates. */
  async releaseEntry(actor: Actor, entryId: string): Promise<void> {
    for (const station of this.ringing(entryId)) await this.update(actor, station.id, { entryId: null });
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const station = this.get(id);
    await this.#store.transaction(async (tx) => {
      await tx.withTables<Tables>().deleteFrom('door_stations').where('id', '=', id).execute();
      await this.#audit.append({ actor, action: 'door-station.delete', target: { type: 'door-station', id }, outcome: 'ok', siteId: station.siteId }, tx);
    });
    this.#byId.delete(id);
    this.safeEmit('changed', { id, removed: true, identity: true });
  }

  /**
   * The station's door is a door of its site, read in the transaction that writes the station: checked before it, a door
   * deleted in between (its in-use check saw no station yet) would be left named by the station.
   */
  async #checkDoor(tx: Tx, siteId: string, doorId: string | null): Promise<void> {
    if (doorId !== null && await this.#lookups.siteOfDoor(doorId, tx) !== siteId) {
      throw new InvalidError(`door ${doorId} is not a door of site ${siteId}`, { reason: 'door.not-on-site', params: { site: siteId } });
    }
  }

  /**
   * The entry the station's button rings is an entry of its site, read in the transaction that writes the station:
   * checked before it, an entry deleted in between (its in-use check saw no station yet) would be left named (review s25 #10).
   */
  async #checkEntry(tx: Tx, siteId: string, entryId: string | null): Promise<void> {
    if (entryId !== null && await this.#lookups.siteOfEntry(entryId, tx) !== siteId) {
      throw new InvalidError(`phone-book entry ${entryId} is not an entry of site ${siteId}`, { reason: 'door-station.entry-not-on-site', params: { site: siteId } });
    }
  }

  async #check(siteId: string, sipUser: string, self: string | undefined): Promise<void> {
    if (!await this.#lookups.siteExists(siteId)) throw new NotFoundError(`site ${siteId} not found`, { reason: 'site.not-found', params: { id: siteId } });
    if (!new RegExp(SIP_USER_PATTERN).test(sipUser)) throw new InvalidError(`SIP user ${JSON.stringify(sipUser)} is invalid`, { reason: 'door-station.sip-user', params: { user: sipUser } });
    for (const { station } of this.#byId.values()) {
      if (station.id !== self && station.sipUser === sipUser) throw takenError(sipUser);
    }
  }
}

const takenError = (sipUser: string) => new ConflictError(`SIP user ${sipUser} is taken by another door station`, { reason: 'door-station.user-taken', params: { user: sipUser } });

/**
 * A write the SIP user's unique index refused: another request took the user
 * between the check and the write (two creates at once) — a conflict, not a failure.
 */
function userTaken(error: unknown, sipUser: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === '23505' ? takenError(sipUser) : error;
}

/** 24 characters of base64url (144 bits): typed into a station's web page once. */
const newSecret = (): string => randomBytes(18).toString('base64url');

function stationOf(r: Row): DoorStation {
  const relay: StationRelay = r.relay_way === 'sip-info' ? { way: 'sip-info', code: r.relay_code ?? '' } : { way: 'mqtt' };
  return {
    id: r.id, siteId: r.site_id, doorId: r.door_id, name: r.name, sipUser: r.sip_user, entryId: r.entry_id, relay,
    createdAt: Number(r.created_at), updatedAt: Number(r.updated_at),
  };
}

function rowOf(s: DoorStation, sealed: string): Row {
  return {
    id: s.id, site_id: s.siteId, door_id: s.doorId, name: s.name, sip_user: s.sipUser, sealed_secret: sealed, entry_id: s.entryId,
    relay_way: s.relay.way, relay_code: s.relay.way === 'sip-info' ? s.relay.code : null, created_at: s.createdAt, updated_at: s.updatedAt,
  };
}
