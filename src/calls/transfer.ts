// Handing a visitor on from a desk in the call: blind transfer (the desk leaves
// at once and the call routes to another entry) and adding a colleague (a
// three-way call). Both need call.transfer on the call's site and are audited
// by the call service; the routing itself (legs, timers, busy desks) stays in
// the call service, which lends it through CallRouting.
import { ConflictError, ForbiddenError, InvalidError, NotFoundError, UnavailableError, type Clock } from '../core/index.ts';
import type { PhoneBook, PhoneBookEntry, Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { CallAudit, Directory } from './ports.ts';
import type { PhoneTransfers } from './phone-transfer.ts';

/** What a transfer asks of the call service's routing, which owns timers, busy desks and the leg cycle. */
export interface CallRouting {
  /** Desks of the route that may answer on the call's site, are available and are in no call. */
  freeDesks(call: Call, route: Route): Promise<string[]>;
  /** A desk left its call: it is free for other calls again. */
  released(userId: string): void;
  /** The overall cap of the call, counted from now. */
  startCap(call: Call, capS: number): void;
  /** Tries the call's next route (after a blind transfer replaced them: the first). */
  nextRoute(call: Call): Promise<void>;
  /** Rings the desks of the call's current leg for `legTimeoutS`; unanswered, the leg ends with timeout. */
  ringLeg(call: Call, legTimeoutS: number): void;
  /** Whether a PBX moves the call now (REFER, its target rings: PhoneCalls.move). */
  moving?(call: Call): boolean;
}

export interface TransferDeps {
  phonebook: PhoneBook;
  directory: Directory;
  audit: CallAudit;
  clock: Clock;
  routing: CallRouting;
  /** A caller from the PBX handed to an extension of its own PBX goes by REFER (phone-transfer.ts); none: Portier rings it. */
  phones?: PhoneTransfers;
}

export class Transfers {
  readonly #deps: TransferDeps;

  constructor(deps: TransferDeps) { this.#deps = deps; }

  /**
   * Blind transfer: the desk that answered hands the visitor to another entry of
   * the site and leaves at once (its media closes); the terminal sees the step
   * `transferring` while the entry's routes ring with its own leg timeout and
   * cap. Unanswered, the call returns to the transferring desk if it is
   * available, else to the site's reception routing. Needs call.transfer; audited.
   */
  async blind(call: Call, userId: string, entryId: string): Promise<void> {
    const entry = this.entryOfCall(call, userId, entryId);
    if (entry.routes.length === 0) throw new InvalidError('this entry has no route');
    await this.mayTransfer(call, userId, 'transferring calls');
    // Checked after the await: the call may have ended or moved on meanwhile.
    if (call.ended || call.answeredBy !== userId) throw new ConflictError('this call is not connected to your desk');
    if (call.currentLeg || call.desks.length > 1) throw new ConflictError('a colleague is being added or in the call: hang up to leave it to them');
    const phones = this.#deps.phones;
    if (phones?.running(call.id)) throw new ConflictError('a transfer of this call is under way', { reason: 'call.refer-running' });
    const viaPbx = phones?.routeFor(call, entry);
    if (phones && viaPbx) return phones.refer(call, userId, entryId, viaPbx);
    const routes: Call['routes'] = entry.routes.map((route) => ({ route, reception: entry.kind === 'reception' }));
    routes.push({ route: { type: 'desk-user', userId }, reception: false, returning: true });
    const reception = this.#deps.phonebook.reception(call.siteId);
    if (reception) routes.push(...reception.routes.map((route) => ({ route, reception: true })));
    const { routing, clock } = this.#deps;
    routing.released(userId);
    call.transfer(userId, routes, entry.policy.legTimeoutS, clock.now());
    routing.startCap(call, entry.policy.capS);
    await this.audit(call, userId, 'call.transfer', { entryId });
    await routing.nextRoute(call);
  }

  /**
   * Adds a colleague (three-way): a desk in the answered call rings another
   * entry of the site — the first route with an available desk, for that
   * entry's leg timeout — and the desk that answers joins the call as a
   * participant; nobody answering changes nothing. Needs call.transfer; audited.
   * A telephone in the call hears the others as one G.711 mix from then on (the
   * SFU's media admits the colleague within rtc.mix's limits, docs/signaling.md).
   */
  async addColleague(call: Call, userId: string, entryId: string): Promise<void> {
    const entry = this.entryOfCall(call, userId, entryId);
    await this.mayTransfer(call, userId, 'adding a colleague');
    if (call.consult) throw new ConflictError('a consult is in progress: complete or cancel it first', { reason: 'consult.in-progress' });
    const { routing, clock } = this.#deps;
    // A telephone answering the PBX's move takes its place then: a colleague's join could refuse it (review s26 #2).
    const moving = () => {
      if (routing.moving?.(call)) throw new ConflictError('a transfer of this call is under way', { reason: 'call.refer-running' });
    };
    moving();
    // Refused before anyone is rung, not when the colleague answers (review s23 #6).
    call.assertRoomFor('desk');
    for (const route of entry.routes) {
      const free = (await routing.freeDesks(call, route)).filter((u) => !call.hasParticipant(u));
      if (free.length === 0) continue;
      // Checked after the awaits: the call may have ended, or another colleague rings already.
      if (call.ended || !call.hasParticipant(userId)) throw new ConflictError('this call has ended or you left it');
      if (call.currentLeg) throw new ConflictError('a colleague is being rung already');
      moving();
      call.openAddLeg(userId, route, free, clock.now());
      routing.ringLeg(call, entry.policy.legTimeoutS);
      await this.audit(call, userId, 'call.add', { entryId });
      return;
    }
    throw new UnavailableError('nobody of that entry is available', { reason: 'entry.nobody-available' });
  }

  /** The entry of the call's site that a desk in the call names; forbidden to anyone else, not-found for another site's entry. */
  entryOfCall(call: Call, userId: string, entryId: string): PhoneBookEntry {
    if (call.participant(userId)?.kind !== 'desk' || !call.hasParticipant(userId)) throw new ForbiddenError('not your call');
    const entry = this.#deps.phonebook.get(entryId);
    if (entry.siteId !== call.siteId) throw new NotFoundError(`phone-book entry ${entryId} not found`);
    return entry;
  }

  /**
   * Conflict (as documented) while a non-browser participant is in the call: a consult holds the
   * others, and a telephone's hold would have to pause its mix per source (docs/signaling.md).
   */
  refuseWithoutMix(call: Call): void {
    if (call.participants.some((p) => p.leftAt === null && p.kind !== 'terminal' && p.kind !== 'desk')) {
      throw new ConflictError('a consult cannot hold a call with a non-browser participant (its mix is not held per source)');
    }
  }

  async mayTransfer(call: Call, userId: string, what: string): Promise<void> {
    if (!(await this.#deps.directory.mayTransfer?.(userId, call.siteId))) throw new ForbiddenError(`${what} needs call.transfer`);
  }

  audit(call: Call, userId: string, action: string, details: Record<string, unknown>): Promise<void> {
    return this.#deps.audit.append({ actor: { type: 'user', id: userId }, action, target: { type: 'call', id: call.id }, outcome: 'ok', siteId: call.siteId, details });
  }
}
