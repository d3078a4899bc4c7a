// Opening hours as the call service sees them, behind OpeningHoursPort (Sites
// answers it): inside the site's hours the chosen entry rings; outside them only
// the site's after-hours route does, and without one the lobby is closed.
import { ClosedError, NotFoundError } from '../core/index.ts';
import type { PhoneBook, PhoneBookEntry } from '../phonebook/index.ts';
import type { OpeningHoursPort } from './ports.ts';

export type LobbyHours = { open: true } | { open: false; afterHoursEntryId: string };

/** Whether the site is open at `at`; closed (ClosedError) when it is not and has no after-hours route. No port: always open. */
export async function lobbyHoursAt(hours: OpeningHoursPort | undefined, siteId: string, at: number): Promise<LobbyHours> {
  const answer = await hours?.openAt(siteId, at);
  if (!answer || answer.open) return { open: true };
  if (!answer.afterHoursEntryId) throw new ClosedError('the lobby is closed');
  return { open: false, afterHoursEntryId: answer.afterHoursEntryId };
}

/** The entry a call rings: the chosen one while open, else the after-hours route's entry (closed when it is gone from the site's phone book). */
export function entryToRing(phonebook: PhoneBook, siteId: string, chosen: PhoneBookEntry, hours: LobbyHours): PhoneBookEntry {
  if (hours.open) return chosen;
  try {
    const entry = phonebook.get(hours.afterHoursEntryId);
    if (entry.siteId === siteId) return entry;
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error;
  }
  throw new ClosedError('the lobby is closed');
}
