// Blind transfer of a telephone caller on its own PBX (issue 13, "REFER both
// ways"): when a desk hands a caller who came in from the PBX to a phone-book
// entry whose first route is an extension of the same SIP account, Portier asks
// the PBX to connect the caller there itself (REFER, RFC 3515) instead of ringing
// the extension and relaying the media. The desk stays in the call until the PBX
// says how it went: transferred → the call ends `transferred` (Portier's dialog
// gets its BYE); refused or failed → the call stays as it was and the desk is
// told why (reason call.refer-failed). The target is the entry's route, saved
// and checked by the phone book; never anything a visitor typed.
import { ConflictError, UnavailableError } from '../core/index.ts';
import type { PhoneBookEntry, Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';

/** How the PBX answered a transfer: done, or why not (the SIP status of the REFER or its NOTIFY, 408 without an answer in time). */
export type PhoneReferOutcome = { transferred: true } | {
  transferred: false; status: number; why: 'refused' | 'failed' | 'timeout' | 'ended';
  /** A REFER that timed out while the PBX still tries: resolves true if the PBX reports later that it transferred the caller after all. */
  late?: Promise<boolean>;
};

/** What the calls component asks of the telephone bridge (the SIP bridge's referrals, src/sip-bridge/refer-out.ts). */
export interface PhoneTransferPort {
  /** Whether the caller's PBX can take it to the route itself (a SIP route of the account the caller came in on). */
  canRefer(participantId: string, route: Route): boolean;
  /** Asks the PBX to transfer the caller (REFER) and resolves once it said how it went. */
  refer(participantId: string, route: Extract<Route, { type: 'sip' }>): Promise<PhoneReferOutcome>;
}

/** What the transfer needs of the call service: audit, and the call's end. */
export interface PhoneTransferDeps {
  port: PhoneTransferPort;
  audit(call: Call, userId: string, details: Record<string, unknown>): Promise<void>;
  end(call: Call): void;
}

/** The route a REFER would name: the entry's first route, when it is a SIP route the caller's PBX can reach. */
export function referRoute(call: Call, entry: PhoneBookEntry, port: PhoneTransferPort | undefined): Extract<Route, { type: 'sip' }> | undefined {
  const route = entry.routes[0];
  if (!port || !call.phone || route?.type !== 'sip' || !call.hasParticipant(call.terminalId)) return undefined;
  return port.canRefer(call.terminalId, route) ? route : undefined;
}

/** Calls with a REFER under way: a second transfer waits for the first's outcome (conflict). */
export class PhoneTransfers {
  readonly #deps: PhoneTransferDeps;
  readonly #running = new Set<string>();

  constructor(deps: PhoneTransferDeps) { this.#deps = deps; }

  /** Whether a REFER of this call is under way. */
  running(callId: string): boolean { return this.#running.has(callId); }

  /** The route a REFER of this call to the entry would name (none: Portier rings the entry itself). */
  routeFor(call: Call, entry: PhoneBookEntry): Extract<Route, { type: 'sip' }> | undefined { return referRoute(call, entry, this.#deps.port); }

  /**
   * Asks the PBX to transfer the caller to `route`; the desk stays in the call meanwhile.
   * Transferred: audited, the call ends `transferred`. Otherwise: unavailable (call.refer-failed, the SIP status), the call unchanged.
   */
  async refer(call: Call, userId: string, entryId: string, route: Extract<Route, { type: 'sip' }>): Promise<void> {
    if (this.#running.has(call.id)) throw new ConflictError('a transfer of this call is under way', { reason: 'call.refer-running' });
    this.#running.add(call.id);
    let outcome: PhoneReferOutcome;
    try {
      outcome = await this.#deps.port.refer(call.terminalId, route);
    } finally {
      this.#running.delete(call.id);
    }
    if (call.ended) throw new ConflictError('this call has ended');
    if (!outcome.transferred) {
      // The PBX may still connect the caller after our timeout (its final NOTIFY comes late): then it did, and the call ends so.
      void outcome.late?.then((moved) => this.#lateTransfer(call, userId, entryId, moved));
      throw new UnavailableError(`the telephone system did not transfer the call (${outcome.why}, ${outcome.status})`, { reason: 'call.refer-failed', params: { status: outcome.status } });
    }
    await this.#deps.audit(call, userId, { entryId, via: 'refer' });
    this.#deps.end(call);
  }

  /** A timed-out REFER's late final report: transferred after all → audited (late), the call ends `transferred` (its BYE; the desk sees the end). */
  async #lateTransfer(call: Call, userId: string, entryId: string, moved: boolean): Promise<void> {
    if (!moved || call.ended) return;
    await this.#deps.audit(call, userId, { entryId, via: 'refer', late: true }).catch(() => undefined);
    if (!call.ended) this.#deps.end(call);
  }
}
