// Door states as the controllers report them: stored (so a restart knows the
// last state and a replayed retained state is not news) and republished retained
// on portier/<site>/doors/<door>/state.
import type { Kysely } from 'kysely';
import type { Clock } from '../core/index.ts';
import type { HubTables } from './tables.ts';
import type { DoorStatePayload } from './payloads.ts';
import { doorStateTopic } from './topics.ts';

export interface DoorStateRecord { doorId: string; siteId: string; state: string; deviceId: string; at: number }

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
    const record = r ? { doorId: r.door_id, siteId: r.site_id, state: r.state, deviceId: r.device_id, at: r.at } : null;
    this.#cache.set(doorId, record);
    return record ?? undefined;
  }

  /** Stores a reported state; `changed` is false when it repeats the stored one (e.g. a retained replay). */
  async report(siteId: string, doorId: string, deviceId: string, payload: DoorStatePayload): Promise<{ changed: boolean; previous?: string }> {
    const previous = await this.get(doorId);
    if (previous?.state === payload.state) return { changed: false, previous: previous.state };
    const at = this.#clock.now();
    await this.#db.insertInto('door_states').values({ door_id: doorId, site_id: siteId, state: payload.state, device_id: deviceId, at })
      .onConflict((oc) => oc.column('door_id').doUpdateSet({ state: payload.state, device_id: deviceId, at })).execute();
    this.#cache.set(doorId, { doorId, siteId, state: payload.state, deviceId, at });
    await this.#publish(doorStateTopic(siteId, doorId), JSON.stringify({ state: payload.state, at }));
    return { changed: true, previous: previous?.state };
  }

  /** The last reported state of each door of a site that reported one. */
  async ofSite(siteId: string): Promise<DoorStateRecord[]> {
    const rows = await this.#db.selectFrom('door_states').selectAll().where('site_id', '=', siteId).execute();
    return rows.map((r) => ({ doorId: r.door_id, siteId: r.site_id, state: r.state, deviceId: r.device_id, at: r.at }));
  }

  /** At start: every stored state is published retained again. */
  async republish(): Promise<number> {
    const rows = await this.#db.selectFrom('door_states').selectAll().execute();
    for (const r of rows) await this.#publish(doorStateTopic(r.site_id, r.door_id), JSON.stringify({ state: r.state, at: r.at }));
    return rows.length;
  }
}
