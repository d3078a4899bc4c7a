// The inbound part of an admin's SIP account (the PBX calling in), checked against
// what the account does not own: each number's phone-book entry and each terminal
// must exist (400 naming the number and the missing one) — checked for what a change
// adds or re-targets only, so that an account whose entry or terminal went away
// stays changeable (disabled at least; review s25 #5) — and a number reaches one
// target only — no other account, of the config file or the admin page, may list it
// (409 naming the number and that account). The settings' own checks (a number
// twice in the account, an empty trunk password, sources …) are accountSettings'.
import { ConflictError, InvalidError } from '../core/index.ts';
import type { Tx } from '../store/index.ts';
import type { AccountConfig } from './settings.ts';
import type { StoredInbound } from './account-store.ts';

/** What the inbound targets are checked against (the phone book and the terminals are not the bridge's). */
export interface InboundTargets {
  /** Whether a phone-book entry of this id exists (any site: an account serves every site's phone book). */
  entry(id: string): boolean;
  /**
   * Whether it exists, read `within` the transaction that writes the account: an entry deleted after the check above
   * (its in-use check saw no number yet) is not found, and the write is refused rather than name it (review s25 #10).
   */
  entryWithin(id: string, within: Tx): Promise<boolean>;
  /** Whether a terminal of this id exists and is not revoked. */
  terminal(id: string): Promise<boolean>;
}

/** Every number of an inbound part: the ones ringing an entry and the ones reaching a terminal. */
export function inboundNumbers(inbound: StoredInbound | null): string[] {
  return inbound ? [...inbound.numbers.map((n) => n.number), ...inbound.terminals.map((t) => t.number)] : [];
}

/** An account and the inbound numbers it lists (or claims in a change under way). */
export interface NumberHolder { id: string; numbers: string[] }

/**
 * Refuses an inbound part naming an entry or terminal that does not exist, or a number one of `others` holds.
 * `before`: the stored part (null: a new account) — a number it lists with the same target is not looked up again.
 */
export async function checkInbound(inbound: StoredInbound | null, before: StoredInbound | null, targets: InboundTargets, others: NumberHolder[]): Promise<void> {
  if (!inbound) return;
  const terminalBefore = new Map(before?.terminals.map((t) => [t.number, t.terminalId]));
  for (const n of entriesNamedAnew(inbound, before)) {
    if (!targets.entry(n.entryId)) throw entryUnknown(n);
  }
  for (const t of inbound.terminals) {
    if (terminalBefore.get(t.number) !== t.terminalId && !await targets.terminal(t.terminalId)) {
      throw new InvalidError(`inbound number ${t.number}: no terminal ${t.terminalId}`, { reason: 'sip-account.terminal-unknown', params: { number: t.number, terminal: t.terminalId } });
    }
  }
  checkNumbers(inbound, others);
}

/** The entries `inbound` names anew, read again `within` the account's write: one deleted since checkInbound is refused (sip-account.entry-unknown). */
export async function checkEntriesWithin(inbound: StoredInbound | null, before: StoredInbound | null, targets: InboundTargets, within: Tx): Promise<void> {
  for (const n of inbound ? entriesNamedAnew(inbound, before) : []) {
    if (!await targets.entryWithin(n.entryId, within)) throw entryUnknown(n);
  }
}

/** The numbers that ring an entry the stored part did not have them ring (new numbers, or re-targeted). */
function entriesNamedAnew(inbound: StoredInbound, before: StoredInbound | null): StoredInbound['numbers'] {
  const entryBefore = new Map(before?.numbers.map((n) => [n.number, n.entryId]));
  return inbound.numbers.filter((n) => entryBefore.get(n.number) !== n.entryId);
}

const entryUnknown = (n: { number: string; entryId: string }) =>
  new InvalidError(`inbound number ${n.number}: no phone-book entry ${n.entryId}`, { reason: 'sip-account.entry-unknown', params: { number: n.number, entry: n.entryId } });

/** Refuses a number of `inbound` that one of `others` lists (409 sip-account.number-taken naming it and the account). */
export function checkNumbers(inbound: StoredInbound | null, others: NumberHolder[]): void {
  const taken = new Map(others.flatMap((o) => o.numbers.map((n) => [n, o.id] as const)));
  for (const number of inboundNumbers(inbound)) {
    const account = taken.get(number);
    if (account !== undefined) {
      throw new ConflictError(`inbound number ${number} is listed by SIP account ${account}`, { reason: 'sip-account.number-taken', params: { number, account } });
    }
  }
}

/** A config-file account's inbound part in the admin API's spelling (its password never leaves the config). */
export function inboundOf(c: AccountConfig['inbound']): StoredInbound | null {
  if (!c) return null;
  return {
    username: c.username, realm: c.realm ?? '', sources: c.sources ?? [], trustRegistrar: c.trust_registrar ?? false,
    numbers: c.numbers.map((n) => ({ number: n.number, entryId: n.entry })),
    terminals: (c.terminals ?? []).map((t) => ({
      number: t.number, terminalId: t.terminal, callers: t.callers.map((k) => ({ id: k.id, number: k.number, name: k.name ?? '' })),
    })),
  };
}
