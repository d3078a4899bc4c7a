// What of the device hub refers to a door, for deleting a door (Sites.deleteDoor):
// rules that name it and commands still pending hold it; its last reported state,
// settled commands and cards' door lists only record it and go with it.
import { sql } from 'kysely';
import type { Db, Tx } from '../store/index.ts';
import type { DeviceHubTables } from './tables.ts';

/** Names of what still needs the door: rules naming it (by id), and "pending command" while one waits for its controller. */
export async function doorHoldersInHub(db: Db, siteId: string, doorId: string): Promise<string[]> {
  const t = db.withTables<DeviceHubTables>();
  // A rule's door action names the door id as a JSON string in its definition.
  const rules = await t.selectFrom('rules').select('id').where('site_id', '=', siteId)
    .where('definition', 'like', `%${JSON.stringify(doorId)}%`).orderBy('id').execute();
  const pending = await t.selectFrom('door_commands').select('id').where('door_id', '=', doorId).where('state', '=', sql.lit<'pending'>('pending')).executeTakeFirst();
  return [...rules.map((r) => r.id), ...(pending ? ['pending command'] : [])];
}

/** Drops the door's last state and settled commands, and takes the door out of its site's cards' door lists (a card that listed only it then opens no door). */
export async function releaseDoorInHub(tx: Tx, siteId: string, doorId: string): Promise<void> {
  const t = tx.withTables<DeviceHubTables>();
  await t.deleteFrom('door_states').where('door_id', '=', doorId).execute();
  await t.deleteFrom('door_commands').where('door_id', '=', doorId).execute();
  for (const card of await t.selectFrom('cards').select(['card_hash', 'doors']).where('site_id', '=', siteId).where('doors', 'like', `%${JSON.stringify(doorId)}%`).execute()) {
    const doors = (JSON.parse(card.doors!) as string[]).filter((d) => d !== doorId);
    await t.updateTable('cards').set({ doors: JSON.stringify(doors) }).where('card_hash', '=', card.card_hash).execute();
  }
}
