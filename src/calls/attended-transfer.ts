// Attended transfer: a desk in an answered call consults a colleague (another
// phone-book entry of the site) while the visitor waits on hold — the visitor
// hears and sees nobody, and nobody hears or sees the visitor, until the consult
// ends. Complete: the colleague and the visitor are connected and the desk
// leaves. Cancel, a decline or no answer: back to the visitor. Holding is the
// call's (Call.hold / separated), so it is the same for any kind of participant.
import { ConflictError, ForbiddenError, UnavailableError, type Clock } from '../core/index.ts';
import type { Call } from './call.ts';
import type { CallLeg } from './types.ts';
import type { ProducerInfo } from './media-port.ts';
import type { CallAudit } from './ports.ts';
import type { CallRouting, Transfers } from './transfer.ts';

/** What the consulting desk and the colleague are told, in this order: ringing, then answered, then one of the ends. */
export type ConsultState = 'ringing' | 'answered' | 'completed' | 'cancelled' | 'declined' | 'no-answer';

export interface ConsultUpdate {
  state: ConsultState;
  /** The desk that consults. */
  by: string;
  /** The colleague who answered (from `answered` on). */
  colleague: string | null;
  /** Why it ended without completion: declined, timeout, offline, cancelled, hangup. */
  reason?: string;
}

/** What the attended transfer asks of the call service besides its routing. */
export interface ConsultRouting extends CallRouting {
  /** Ends the ringing consult leg (stop-ring to its desks). */
  cancelLeg(call: Call, reason: string): void;
  /** A desk leaves the call (its media closes) and is free again. */
  leave(call: Call, userId: string): void;
}

export interface AttendedDeps {
  transfers: Transfers;
  routing: ConsultRouting;
  audit: CallAudit;
  clock: Clock;
  /** Tells the consulting desk and the colleague. */
  tell(call: Call, update: ConsultUpdate): void;
  /** Announces a producer to these participants only (they may consume it now). */
  announce(call: Call, producer: ProducerInfo, to: string): void;
}

export class AttendedTransfers {
  readonly #deps: AttendedDeps;

  constructor(deps: AttendedDeps) { this.#deps = deps; }

  /**
   * Rings the first route of the entry with an available desk (for that entry's
   * leg timeout) and puts everyone else in the call on hold. Needs call.transfer;
   * audited. Conflict unless the asking desk answered the call and nobody else
   * is being rung, consulted or in the call besides the visitor.
   */
  async consult(call: Call, userId: string, entryId: string): Promise<void> {
    const { transfers, routing, clock } = this.#deps;
    const entry = transfers.entryOfCall(call, userId, entryId);
    this.#consultable(call, userId);
    await transfers.mayTransfer(call, userId, 'consulting a colleague');
    transfers.refuseWithoutMix(call);
    for (const route of entry.routes) {
      const free = (await routing.freeDesks(call, route)).filter((u) => !call.hasParticipant(u));
      if (free.length === 0) continue;
      // Checked again after the awaits: the call may have ended or moved on meanwhile.
      this.#consultable(call, userId);
      call.consult = { by: userId, colleague: null };
      const leg = call.openAddLeg(userId, route, free, clock.now());
      leg.consult = true;
      const held = call.participants.filter((p) => p.leftAt === null && p.id !== userId).map((p) => p.id);
      for (const id of held) call.hold(id);
      call.setStep({ step: 'on-hold', by: userId });
      routing.ringLeg(call, entry.policy.legTimeoutS);
      this.#deps.tell(call, { state: 'ringing', by: userId, colleague: null });
      await this.#pauseAcross(call);
      await this.#audit(call, userId, 'call.consult', { entryId });
      return;
    }
    throw new UnavailableError('nobody of that entry is available', { reason: 'entry.nobody-available' });
  }

  #consultable(call: Call, userId: string): void {
    if (call.ended || !call.hasParticipant(userId)) throw new ConflictError('this call has ended or you left it');
    if (call.consult) throw new ConflictError('a consult is in progress already', { reason: 'consult.in-progress' });
    if (call.answeredBy !== userId) throw new ConflictError('this call is not connected to your desk');
    if (call.currentLeg || call.desks.length > 1) throw new ConflictError('a colleague is being rung or in the call');
  }

  /** The colleague answered the consult leg (it joined the call as a participant): desk and colleague talk; the visitor still waits. */
  async answered(call: Call, leg: CallLeg, colleague: string): Promise<void> {
    if (!call.consult || leg.addedBy !== call.consult.by) return;
    call.consult.colleague = colleague;
    this.#deps.tell(call, { state: 'answered', by: call.consult.by, colleague });
    await this.#audit(call, colleague, 'call.consult.answer', {});
  }

  /** The consult leg ended unanswered (declined, timeout, offline): back to the visitor. */
  async unanswered(call: Call, leg: CallLeg, note: string): Promise<void> {
    const consult = call.consult;
    if (!consult || call.ended || leg.addedBy !== consult.by) return;
    call.consult = null;
    await this.#backToVisitor(call, consult.by, { state: note === 'declined' ? 'declined' : 'no-answer', by: consult.by, colleague: null, reason: note });
    await this.#deps.audit.append({
      actor: note === 'declined' ? { type: 'user', id: leg.ringing[0] ?? null } : { type: 'system', id: null },
      action: 'call.consult.unanswered', target: { type: 'call', id: call.id }, outcome: 'failed', siteId: call.siteId, correlationId: call.id, details: { reason: note },
    });
  }

  /** The consulting desk ends the consult (the colleague, ringing or answered, leaves): back to the visitor. Audited. */
  async cancel(call: Call, userId: string, reason = 'cancelled'): Promise<void> {
    const consult = this.#consultOf(call, userId);
    call.consult = null;
    if (consult.colleague) this.#deps.routing.leave(call, consult.colleague);
    else this.#deps.routing.cancelLeg(call, 'cancelled');
    await this.#backToVisitor(call, userId, { state: 'cancelled', by: userId, colleague: consult.colleague, reason });
    await this.#audit(call, userId, 'call.consult.cancel', { reason });
  }

  /** The colleague hangs up during the consult: back to the visitor. */
  async colleagueLeft(call: Call, colleague: string): Promise<void> {
    const consult = call.consult;
    if (!consult || consult.colleague !== colleague) return;
    call.consult = null;
    this.#deps.routing.leave(call, colleague);
    await this.#backToVisitor(call, consult.by, { state: 'cancelled', by: consult.by, colleague, reason: 'hangup' });
    await this.#audit(call, colleague, 'call.consult.cancel', { reason: 'hangup' });
  }

  /**
   * Completes the transfer: the consulting desk leaves, the colleague answers
   * the call in its place, the visitor comes off hold and the two get each
   * other's media. Conflict before the colleague answered. Audited.
   */
  async complete(call: Call, userId: string): Promise<void> {
    const consult = this.#consultOf(call, userId);
    const colleague = consult.colleague;
    if (!colleague || !call.hasParticipant(colleague)) throw new ConflictError('the colleague has not answered yet', { reason: 'consult.not-answered' });
    call.consult = null;
    this.#deps.routing.leave(call, userId);
    call.answeredBy = colleague;
    await this.#release(call, { step: 'answered', by: colleague });
    // Told once the media flows: the desk that left, and the colleague after its call.state.
    this.#deps.tell(call, { state: 'completed', by: userId, colleague });
    await this.#audit(call, userId, 'call.consult.complete', { colleague });
  }

  /** The desk's consult: forbidden to anyone not in the call, conflict when there is none of theirs. */
  #consultOf(call: Call, userId: string): NonNullable<Call['consult']> {
    if (!call.hasParticipant(userId)) throw new ForbiddenError('not your call');
    if (call.ended || !call.consult || call.consult.by !== userId) throw new ConflictError('you are not consulting a colleague in this call', { reason: 'consult.none' });
    return call.consult;
  }

  /** Takes the visitor off hold, then tells the desk (and the colleague): by then the visitor's media flows again. */
  async #backToVisitor(call: Call, by: string, update: ConsultUpdate): Promise<void> {
    await this.#release(call, { step: 'answered', by });
    this.#deps.tell(call, update);
  }

  /** Takes everyone off hold: the step changes, paused media flows again and what was not consumed yet is announced. */
  async #release(call: Call, step: { step: 'answered'; by: string }): Promise<void> {
    const held = call.held;
    for (const id of held) call.unhold(id);
    call.setStep(step);
    const media = call.media;
    if (!media || media.closed) return;
    const resumes: Array<Promise<void>> = [];
    for (const h of held) {
      if (!call.hasParticipant(h)) continue;
      for (const o of call.participants) {
        // A pair of two held participants is handled once.
        if (o.leftAt !== null || o.id === h || (held.includes(o.id) && o.id < h)) continue;
        for (const [a, b] of [[h, o.id], [o.id, h]] as const) {
          const consumers = media.consumersOf(a);
          for (const c of consumers) if (c.producerParticipantId === b) resumes.push(media.resume(a, c.consumerId).catch(() => undefined));
          const consumed = new Set(consumers.map((c) => c.producerId));
          for (const p of media.producersFor(a)) if (p.participantId === b && !consumed.has(p.producerId)) this.#deps.announce(call, p, a);
        }
      }
    }
    await Promise.all(resumes);
  }

  /** Pauses every consumer between a held participant and anyone not held. */
  async #pauseAcross(call: Call): Promise<void> {
    const media = call.media;
    if (!media || media.closed) return;
    const pauses: Array<Promise<void>> = [];
    for (const p of call.participants) {
      if (p.leftAt !== null) continue;
      for (const c of media.consumersOf(p.id)) {
        if (call.separated(p.id, c.producerParticipantId)) pauses.push(media.pauseConsumer(p.id, c.consumerId).catch(() => undefined));
      }
    }
    await Promise.all(pauses);
  }

  #audit(call: Call, userId: string, action: string, details: Record<string, unknown>): Promise<void> {
    return this.#deps.audit.append({ actor: { type: 'user', id: userId }, action, target: { type: 'call', id: call.id }, outcome: 'ok', siteId: call.siteId, correlationId: call.id, details });
  }
}
