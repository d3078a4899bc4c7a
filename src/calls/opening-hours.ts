// Opening hours as the call service sees them, behind OpeningHoursPort (Sites
// answers it): inside the site's hours the chosen entry rings; outside them only
// the site's after-hours route does, and without one the lobby is closed.
import { ClosedError, InvalidError, NotFoundError } from '../core/index.ts';
import type { PhoneBook, PhoneBookEntry, Route } from '../phonebook/index.ts';
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

/**
 * The routes a call tries in order: those of the entry it rings (see
 * entryToRing), then — unless that is the after-hours entry or the reception
 * itself — the site's reception's. Invalid when there is none.
 */
export function routesToRing(phonebook: PhoneBook, siteId: string, chosen: PhoneBookEntry, hours: LobbyHours): { entry: PhoneBookEntry; routes: Array<{ route: Route; reception: boolean }> } {
  const entry = entryToRing(phonebook, siteId, chosen, hours);
  const routes = entry.routes.map((route) => ({ route, reception: entry.kind === 'reception' }));
  const reception = phonebook.reception(siteId);
  if (entry === chosen && reception && reception.id !== entry.id) routes.push(...reception.routes.map((route) => ({ route, reception: true })));
  if (routes.length === 0) throw new InvalidError('this entry has no route');
  return { entry, routes };
}
