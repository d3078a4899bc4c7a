// Door states as the controllers report them: stored (so a restart knows the
// last state and a replayed retained state is not news) and republished retained
// on portier/<site>/doors/<door>/state — with whether the door is locked, when the
// controller says so.
import type { Kysely } from 'kysely';
import type { Clock } from '../core/index.ts';
import type { HubTables } from './tables.ts';
import type { DoorStatePayload } from './payloads.ts';
import { doorStateTopic } from './topics.ts';

/** `locked`: as the controller last reported it; null when it does not say. */
export interface DoorStateRecord { doorId: string; siteId: string; state: string; locked: boolean | null; deviceId: string; at: number }

type Row = { door_id: string; site_id: string; state: string; locked: number | null; device_id: string; at: number };
const recordOf = (r: Row): DoorStateRecord =>
  ({ doorId: r.door_id, siteId: r.site_id, state: r.state, locked: r.locked === null ? null : r.locked === 1, deviceId: r.device_id, at: r.at });
/** The retained state message: `locked` only when known. */
const retained = (r: { state: string; locked: boolean | null; at: number }) =>
  JSON.stringify(r.locked === null ? { state: r.state, at: r.at } : { state: r.state, locked: r.locked, at: r.at });

export class DoorStates {
  readonly #db: Kysely<HubTables>;
  readonly #clock: Clock;
  readonly #publish: (topic: string, payload: string) => Promise<void>;
  // Only this class writes door_states, so the last state per door is kept in memory too.
  readonly #cache = new Map<string, DoorStateRecord | null>();

  constructor(deps: { db: Kysely<HubTables>; clock: Clock; publishRetained: (topic: string, payload: string) => Promise<void> }) {
    this.#db = deps.db;
    this.#clock = deps.clock;
    this.#publish = deps.publishRetained;
  }

  async get(doorId: string): Promise<DoorStateRecord | undefined> {
    const cached = this.#cache.get(doorId);
    if (cached !== undefined) return cached ?? undefined;
    const r = await this.#db.selectFrom('door_states').selectAll().where('door_id', '=', doorId).executeTakeFirst();
    const record = r ? recordOf(r) : null;
    this.#cache.set(doorId, record);
    return record ?? undefined;
  }

  /**
   * Stores a reported state. `changed`: the state differs from the stored one (false for
   * a retained replay; what rules and alerts act on); `lockChanged`: only whether the
   * door is locked changed (the admin page shows it, nothing acts on it).
   */
  async report(siteId: string, doorId: string, deviceId: string, payload: DoorStatePayload): Promise<{ changed: boolean; lockChanged: boolean; previous?: string }> {
    const previous = await this.get(doorId);
    const locked = payload.locked ?? null;
    const changed = previous?.state !== payload.state;
    const lockChanged = !changed && previous?.locked !== locked;
    if (!changed && !lockChanged) return { changed, lockChanged, previous: previous?.state };
    const at = this.#clock.now();
    const column = locked === null ? null : locked ? 1 : 0;
    await this.#db.insertInto('door_states').values({ door_id: doorId, site_id: siteId, state: payload.state, locked: column, device_id: deviceId, at })
      .onConflict((oc) => oc.column('door_id').doUpdateSet({ state: payload.state, locked: column, device_id: deviceId, at })).execute();
    this.#cache.set(doorId, { doorId, siteId, state: payload.state, locked, deviceId, at });
    await this.#publish(doorStateTopic(siteId, doorId), retained({ state: payload.state, locked, at }));
    return { changed, lockChanged, previous: previous?.state };
  }

  /** The last reported state of each door of a site that reported one. */
  async ofSite(siteId: string): Promise<DoorStateRecord[]> {
    const rows = await this.#db.selectFrom('door_states').selectAll().where('site_id', '=', siteId).execute();
    return rows.map(recordOf);
  }

  /** At start: every stored state is published retained again. */
  async republish(): Promise<number> {
    const rows = await this.#db.selectFrom('door_states').selectAll().execute();
    for (const r of rows) await this.#publish(doorStateTopic(r.site_id, r.door_id), retained(recordOf(r)));
    return rows.length;
  }
}
