// The call session's telephone legs (a PBX extension or number through a
// PhoneLegDriver, see phone-legs.ts): ringing one shows the terminal the
// ringing step at the far end's 180/183; its answer makes it a participant of
// kind `sip` whose G.711 codec every other participant must send now (from its
// early media on, when it sends some before the answer); busy,
// declined or unanswered move on to the next route; a hang-up at the far end
// ends the call; the answered telephone's door code opens the door. Timers,
// routing, the door and the call's end stay the call service's, lent through
// PhoneRouting.
import { randomUUID } from 'node:crypto';
import { ConflictError, type Clock } from '../core/index.ts';
import type { Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { AudioCodec, MediaProtection, ProducerInfo, RoomSwap } from './media-port.ts';
import { PhoneLegs, type CallerTarget, type PhoneLegDriver, type PhoneLegFailure, type PhoneLegOutcomes, type PhoneMove, type PhoneReferral } from './phone-legs.ts';
import type { EndReason, LegState } from './types.ts';

/** How a telephone leg's failure ends its leg. */
const PHONE_LEG_STATE: Record<PhoneLegFailure, Exclude<LegState, 'ringing' | 'answered'>> = {
  busy: 'busy', declined: 'declined', 'no-answer': 'no-answer', failed: 'failed',
};

/** What a telephone leg asks of the call service, which owns timers, routing and the call's end. */
export interface PhoneRouting {
  /** Rings the call's current leg for its leg timeout; unanswered, the leg ends with timeout. */
  startLegTimer(call: Call): void;
  /** The call was answered: its leg, cap and queue timers stop. */
  stopTimers(call: Call): void;
  /** The current leg ended unanswered (`state`, `note` for the record): the call moves on. */
  legUnanswered(call: Call, note: string, state: Exclude<LegState, 'ringing' | 'answered'>): void;
  /** The telephone's participant hung up. */
  hangup(call: Call, participantId: string): void;
  /** Ends the call (the telephone's media timed out). */
  end(call: Call, reason: EndReason): void;
  /** Tells that this participant must send audio in `codec` now. */
  audioCodec(call: Call, participantId: string, codec: AudioCodec): void;
  /** Tells that the call was answered. */
  answered(call: Call): void;
  /** Announces a producer again (what the telephone produced before its answer: the pages show it now). */
  announce(call: Call, producer: ProducerInfo): void;
  /** The answered telephone entered the door code (or the last wrong one). */
  doorCode: PhoneLegOutcomes['doorCode'];
  /** The phone-book entry that routes this SIP route (the call's site first) and how long it rings; none: a PBX may not move the call there. */
  sipEntry(call: Call, route: SipRoute): { id: string; name: string; legTimeoutS: number } | undefined;
  /** A PBX's move of the call ended (audited: the entry, never the number); `name`: the call's telephone moved, how the call names it now. */
  moved(call: Call, move: { from: string; to: string; entryId: string; name?: string; attended: boolean; outcome: PhoneReferral }): void;
}

type SipRoute = Extract<Route, { type: 'sip' }>;

export class PhoneCalls {
  readonly #legs: PhoneLegs;
  readonly #clock: Clock;
  readonly #routing: PhoneRouting;
  /** Telephones whose PBX is moving the call (REFER): their hang-up waits for the move's outcome. */
  readonly #moving = new Map<string, { callId: string; hungUp: boolean }>();

  constructor(deps: { drivers: readonly PhoneLegDriver[]; clock: Clock; routing: PhoneRouting }) {
    this.#legs = new PhoneLegs(deps.drivers, deps.clock);
    this.#clock = deps.clock;
    this.#routing = deps.routing;
  }

  /** Ends every telephone leg still held (shutdown, after the calls ended). */
  close(): void { this.#legs.close(); }

  /** Whether a driver rings this route (a telephone route without one — no SIP account — rings nobody). */
  handles(route: Route): boolean { return this.#legs.handles(route); }

  /** Opens the call's leg for the route's telephone and rings it (a participant id of its own, `sip-…`). */
  ring(call: Call, route: Route, reception: boolean): void {
    const participantId = `sip-${randomUUID()}`;
    const routing = this.#routing;
    call.openLeg(route, [participantId], this.#clock.now());
    routing.startLegTimer(call);
    this.#legs.ring(call, route, participantId, {
      ringing: (c) => { if (!c.transferredBy) c.setStep({ step: 'ringing', routeIndex: c.routeIndex, target: reception ? 'reception' : 'person' }); },
      answered: (c, id, codec, protection) => this.#answered(c, id, codec, protection),
      earlyMedia: (c, id, codec) => this.#receiveIn(c, id, codec),
      failed: (c, outcome, detail) => routing.legUnanswered(c, detail, PHONE_LEG_STATE[outcome]),
      hungUp: (c, id) => routing.hangup(c, id),
      mediaTimeout: (c) => routing.end(c, 'media-timeout'),
      sessionExpired: (c) => routing.end(c, 'session-expired'),
      doorCode: (c, id, entry) => routing.doorCode(c, id, entry),
      referred: (c, id, target, replaces) => this.move(c, id, target, undefined, replaces),
    });
  }

  /**
   * Whether a telephone's hang-up waits: while its PBX moves the call (RFC 5589: a transferor may BYE right after
   * the 202) the call waits for the move — answered, the new telephone takes over; not, the call ends as hung up then.
   */
  /** Whether a PBX moves this call now (its target rings): a colleague is not added meanwhile (review s26 #2). */
  moving(call: Call): boolean {
    for (const move of this.#moving.values()) if (move.callId === call.id) return true;
    return false;
  }

  holdsHangup(participantId: string): boolean {
    const move = this.#moving.get(participantId);
    if (move) move.hungUp = true;
    return move !== undefined;
  }

  /**
   * A telephone's PBX moves the call (SIP REFER, src/sip-bridge/refer-in.ts): a telephone a terminal called, or
   * one that called in — only to a target the phone book routes on that account (review s23 #15: not to any
   * number the PBX would dial), and not while another leg of the call rings. A new leg rings the target for the
   * call's leg timeout (a call without one, a terminal's callback: the target entry's); answered, it joins as
   * `sip` and takes the old telephone's place — the one who answered (its door code counts), or the caller (the
   * call's G.711 codec is its own now) — and the old telephone leaves (its dialog is ended by the bridge).
   * Unanswered: the old one stays. Either way the move is a leg of the call and audited. `caller`: the call's own
   * telephone moves (it called in: a desk's call or a terminal's callback) — only to a target `caller` allows
   * (a callback: the callers its number lists), also when the telephone moved in moves the call on; the new one is
   * named as `caller` says (a callback: its listed name), else by the target's entry — the call's phone label
   * too, so a desk resuming the call or a colleague added later sees who is on the line now (review s25 #9).
   * `replaces`: an attended transfer (the old telephone consulted the target first): the same rules, the new leg
   * takes over the target's call with the old telephone (PhoneLegRequest.replaces); audited as such.
   */
  move(call: Call, oldId: string, route: SipRoute, caller?: CallerTarget, replaces?: string): PhoneMove {
    const entry = this.#routing.sipEntry(call, route);
    if (entry === undefined) return { refused: 'not-routed' };
    const named = caller?.(route.user);
    if (caller && !named) return { refused: 'not-listed' };
    if (call.currentLeg) return { refused: 'busy' };
    const entryId = entry.id;
    const name = named && (named.label ?? entry.name);
    const participantId = `sip-${randomUUID()}`;
    const routing = this.#routing;
    const move = { callId: call.id, hungUp: false };
    const startedAt = this.#clock.now();
    this.#moving.set(oldId, move);
    const outcome = new Promise<PhoneReferral>((resolve) => {
      let settled = false;
      const settle = (outcome: PhoneReferral, state: LegState, note?: string): boolean => {
        if (settled) return false;
        settled = true;
        this.#clock.clearTimeout(timer);
        call.off('ended', onEnded);
        this.#moving.delete(oldId);
        call.recordLeg({
          route, ringing: [participantId], state, startedAt, endedAt: this.#clock.now(),
          answeredBy: outcome.answered ? participantId : null, ...(note ? { note } : {}),
        });
        routing.moved(call, { from: oldId, to: participantId, entryId, ...(name === undefined ? {} : { name }), attended: replaces !== undefined, outcome });
        resolve(outcome);
        // The old telephone hung up while the move ran and the move failed: now its hang-up counts.
        if (!outcome.answered && move.hungUp && !call.ended) routing.hangup(call, oldId);
        return true;
      };
      const leg = this.#legs.ring(call, route, participantId, {
        ringing: () => {},
        // The visitor keeps talking to the old telephone until the new one answers.
        earlyMedia: () => {},
        // Replace, don't add: the old telephone leaves first, so the call's media admits two parties, not three
        // (no G.711 mix reserved, rtc.mix limits not met); the move counts (NOTIFY 200, the old dialog's BYE) once
        // the new one joined. One the media would refuse in the old one's place (a colleague joined meanwhile and
        // it answered in opus, call.mix-codec; the mix budget spent) is hung up alone, the PBX hears 488/503 and the
        // call goes on as it was (review s26 #2). A join that fails all the same: 503, and the call, whose old
        // telephone left, ends media-failure (not a hang-up of a participant already gone, review s23 #13); its
        // end hangs both legs up.
        answered: (c, id, codec, protection) => {
          if (settled || c.ended || !c.hasParticipant(oldId)) return;
          const refusal = refusedSwap(c, { joining: id, leaving: oldId, audioCodec: codec });
          if (refusal) {
            settle({ answered: false, status: refusal.status }, 'failed', refusal.note);
            leg.hangup();
            return;
          }
          const now = this.#clock.now();
          const wasAnswerer = c.answeredBy === oldId;
          c.leave(oldId, now);
          try {
            c.join(id, 'sip', now);
          } catch (error) {
            settle({ answered: false, status: 503 }, 'failed', 'media');
            routing.end(c, 'media-failure');
            throw error;
          }
          if (protection) c.protect(id, protection);
          if (wasAnswerer) c.answeredBy = id;
          if (c.callerId === oldId) c.callerId = id;
          if (c.phone && name !== undefined) c.phone.label = name;
          if (c.phone) c.phone.audioCodec = codec;
          settle({ answered: true }, 'answered');
          this.#receiveIn(c, id, codec);
          routing.answered(c);
        },
        failed: (_c, failure, detail) => { settle({ answered: false, status: Number(/\b(\d{3})\b/.exec(detail)?.[1] ?? 500) }, PHONE_LEG_STATE[failure], detail); },
        hungUp: (c, id) => routing.hangup(c, id),
        mediaTimeout: (c) => routing.end(c, 'media-timeout'),
        sessionExpired: (c) => routing.end(c, 'session-expired'),
        doorCode: (c, id, entry) => routing.doorCode(c, id, entry),
        // The telephone moved in stands for the caller now: its own move keeps the caller's rule.
        referred: (c, id, target, replacing) => this.move(c, id, target, caller, replacing),
      }, replaces);
      const timeoutS = call.legTimeoutS > 0 ? call.legTimeoutS : entry.legTimeoutS;
      const timer = this.#clock.setTimeout(() => { if (settle({ answered: false, status: 408 }, 'no-answer', 'timeout')) leg.cancel(); }, timeoutS * 1000);
      // The call ended while the target rang: the new leg is cancelled by PhoneLegs; the PBX hears 487.
      function onEnded(): void { settle({ answered: false, status: 487 }, 'cancelled'); }
      call.on('ended', onEnded);
    });
    return { outcome };
  }

  /** The telephone answered: it joins as `sip`; every other participant now receives (and must send) its G.711 codec. */
  #answered(call: Call, participantId: string, codec: AudioCodec, protection?: MediaProtection): void {
    if (!call.answer(participantId, this.#clock.now(), 'sip')) return;
    if (protection) call.protect(participantId, protection);
    this.#routing.stopTimers(call);
    this.#receiveIn(call, participantId, codec);
    this.#routing.answered(call);
    // Its early media was announced while it rang: announced again now that it is a participant (as a ringing desk's is).
    const media = call.media;
    if (!media || media.closed) return;
    for (const p of media.producersFor(call.terminalId)) if (p.participantId === participantId) this.#routing.announce(call, p);
  }

  /**
   * Every other participant receives (and must send) the telephone's codec —
   * from its early media on (the visitor hears the PBX's ringback), or from its
   * answer; a participant already switched is not asked again.
   */
  #receiveIn(call: Call, participantId: string, codec: AudioCodec): void {
    const media = call.media;
    for (const p of call.participants) {
      if (p.id === participantId || p.leftAt !== null || p.audioCodec === codec || !media || media.closed) continue;
      media.setAudioCodec(p.id, codec);
      p.audioCodec = codec;
      this.#routing.audioCodec(call, p.id, codec);
    }
  }
}

/**
 * Why the media would refuse the swap (its conflict): the status the PBX hears (488 for a codec that cannot be
 * mixed, else 503) and the note of the leg; undefined: it would not.
 */
function refusedSwap(call: Call, swap: RoomSwap): { status: number; note: string } | undefined {
  try {
    call.assertRoomFor('sip', swap);
    return undefined;
  } catch (error) {
    if (!(error instanceof ConflictError)) throw error;
    const { reason } = error.why;
    return { status: reason === 'call.mix-codec' ? 488 : 503, note: `media ${reason}` };
  }
}
