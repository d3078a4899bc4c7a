// Where an attended transfer (attended-transfer.ts) hooks into the call
// service's leg cycle: the public consult operations, the consult leg's answer
// or its end unanswered, a hang-up during a consult, and cancelling the consult
// leg while it rings. A desk freed by a consult is offered the queued calls.
import type { Clock } from '../core/index.ts';
import type { Call } from './call.ts';
import type { CallTimers } from './call-timers.ts';
import type { ProducerInfo } from './media-port.ts';
import type { CallAudit } from './ports.ts';
import type { CallLeg } from './types.ts';
import type { CallRouting, Transfers } from './transfer.ts';
import { AttendedTransfers, type ConsultUpdate } from './attended-transfer.ts';

export interface ConsultHookDeps {
  transfers: Transfers;
  routing: CallRouting;
  audit: CallAudit;
  clock: Clock;
  timers: CallTimers;
  /** A desk leaves a call that goes on (its media closes); it is free for other calls. */
  leave(call: Call, userId: string): void;
  /** Rings free receptionists for the calls waiting in a site's queue. */
  drainQueue(siteId: string): Promise<void>;
  /** Tells a desk the call stopped ringing there. */
  stopRing(userId: string, call: Call, reason: string): void;
  /** Tells the consulting desk and the colleague. */
  tell(call: Call, update: ConsultUpdate): void;
  /** Announces a producer to this participant only. */
  announce(call: Call, producer: ProducerInfo, to: string): void;
}

export class ConsultHooks {
  readonly #deps: ConsultHookDeps;
  readonly #attended: AttendedTransfers;

  constructor(deps: ConsultHookDeps) {
    this.#deps = deps;
    this.#attended = new AttendedTransfers({
      transfers: deps.transfers, audit: deps.audit, clock: deps.clock, tell: deps.tell, announce: deps.announce,
      routing: { ...deps.routing, cancelLeg: (call, reason) => this.#cancelLeg(call, reason), leave: deps.leave },
    });
  }

  /** Consults a colleague of another entry while the visitor waits on hold. */
  consult(call: Call, userId: string, entryId: string): Promise<void> { return this.#attended.consult(call, userId, entryId); }

  /** Completes the consult: the colleague takes the call, the desk leaves. Resolves once queued calls were offered to it. */
  async complete(call: Call, userId: string): Promise<void> {
    await this.#attended.complete(call, userId);
    await this.#deps.drainQueue(call.siteId);
  }

  /** Cancels the consult: back to the visitor (a colleague who answered leaves). */
  async cancel(call: Call, userId: string): Promise<void> {
    await this.#attended.cancel(call, userId);
    await this.#deps.drainQueue(call.siteId);
  }

  /** A desk answered the call's leg `leg`: when it is the consult's, desk and colleague talk now. */
  async answered(call: Call, leg: CallLeg | undefined, userId: string): Promise<void> {
    if (leg?.consult) await this.#attended.answered(call, leg, userId);
  }

  /** The leg ended unanswered: a consult nobody takes goes back to the visitor (resolves once it did); false for other legs. */
  unanswered(call: Call, leg: CallLeg, note: string): Promise<void> | false {
    return leg.consult ? this.#attended.unanswered(call, leg, note) : false;
  }

  /**
   * A participant hangs up during a consult: the colleague's hang-up returns to
   * the visitor; the consulting desk's completes the transfer once the colleague
   * answered (each resolves once queued calls were offered to the freed desk).
   * False, at once, when the hang-up is none of these.
   */
  hangup(call: Call, participantId: string): Promise<void> | false {
    if (call.consult?.colleague === participantId) return this.#colleagueLeft(call, participantId);
    if (call.consult?.by === participantId && call.consult.colleague) return this.complete(call, participantId);
    return false;
  }

  async #colleagueLeft(call: Call, colleague: string): Promise<void> {
    await this.#attended.colleagueLeft(call, colleague);
    await this.#deps.drainQueue(call.siteId);
  }

  /** Ends the ringing leg of a call that goes on (a consult cancelled while it rang). */
  #cancelLeg(call: Call, reason: string): void {
    const leg = call.currentLeg;
    if (!leg) return;
    this.#deps.timers.clear(call, 'leg');
    call.endLeg('cancelled', this.#deps.clock.now(), { note: reason });
    for (const u of leg.ringing) this.#deps.stopRing(u, call, reason);
  }
}
