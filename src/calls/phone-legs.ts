// Legs to telephones (a PBX extension or number through the SIP bridge): the
// port a leg driver implements, and the call session's side of it — ring the
// leg, map its outcome onto the call's (busy, declined, no answer → the next
// route), make the answered leg a participant of kind `sip`, and cancel or hang
// up the leg when the call leaves it. The driver owns the signalling; the call
// owns the participant and its media, and the door code the answered telephone
// presses (door-code.ts).
import type { Route } from '../phonebook/index.ts';
import type { Call } from './call.ts';
import type { CallLeg } from './types.ts';
import type { AudioCodec, CallMedia, MediaProtection } from './media-port.ts';
import { DoorCodeEntry, type DoorCodePolicy, type DtmfDigit } from './door-code.ts';
import type { Clock } from '../core/index.ts';

/** How a telephone leg ended before it was answered. */
export type PhoneLegFailure = 'busy' | 'declined' | 'no-answer' | 'failed';

export interface PhoneLegHandlers {
  /** The far end rings (SIP 180/183). */
  ringing(): void;
  /** The far end answered: the leg's participant sends and receives `codec` now; `media`: encrypted (srtp) or plain (rtp). */
  answered(codec: AudioCodec, media?: MediaProtection): void;
  /** Before its answer the far end sends early media (SIP 183 with SDP: ringback, an announcement) in `codec`: the call's participants receive it now. */
  earlyMedia?(codec: AudioCodec): void;
  /** A final answer other than success; `detail` names it for the call record (e.g. `sip 486`). */
  failed(outcome: PhoneLegFailure, detail: string): void;
  /** The far end hung up after the answer (SIP BYE). */
  ended(): void;
  /** The answered far end sent no media for the leg's RTP timeout while not held: the call ends (media-timeout). */
  mediaTimeout?(): void;
  /** The answered leg's SIP session expired (RFC 4028: no refresh in time, or ours failed): the call ends (session-expired). */
  sessionExpired?(): void;
  /** The far end pressed a key (SIP INFO or RFC 4733), once per key. */
  dtmf?(digit: DtmfDigit): void;
  /** The answered far end's SDP in the dialog added or dropped SRTP (or kept it): how its media travels now. */
  protection?(media: MediaProtection): void;
  /**
   * The answered far end's PBX moves the call to `user` on the leg's account (SIP REFER): refused at once, or a new
   * leg rings it; answered, it replaces this one in the call (this leg's dialog is the driver's to end).
   * `replaces`: an attended transfer — the PBX's telephone consulted the target first (see PhoneLegRequest).
   */
  referred?(user: string, replaces?: string): PhoneMove;
}

/** How a move asked by the far end's PBX went: the new leg answered (and replaced the old one), or its final status. */
export type PhoneReferral = { answered: true } | { answered: false; status: number };

/**
 * A move asked by the far end's PBX: refused before anything rings — `not-routed`: no phone-book entry routes
 * that user on the account (a premium number, a service code: toll fraud), `gone`: the telephone is no longer
 * the call's, `busy`: another leg of the call rings, `not-listed`: a terminal's callback, and the target not one of
 * the callers its number lists (CallerTarget) — or under way, its outcome to come.
 */
export type PhoneMove = { refused: 'not-routed' | 'not-listed' | 'gone' | 'busy' } | { outcome: Promise<PhoneReferral> };

/**
 * Who the call's own telephone (it called in) may be moved to, and how the new one is named: undefined — not
 * allowed (a terminal's callback: not a caller its number lists, `not-listed`); no label — the target's entry.
 */
export type CallerTarget = (user: string) => { label?: string } | undefined;

/** One leg in progress; both calls are idempotent and end the signalling without telling the handlers again. */
export interface PhoneLeg {
  /** Stop ringing (SIP CANCEL). */
  cancel(): void;
  /** End the answered leg (SIP BYE). */
  hangup(): void;
  /** The door code the host may press on this telephone; null: none. */
  readonly doorCode?: DoorCodePolicy | null;
}

export interface PhoneLegRequest {
  callId: string;
  siteId: string;
  /** The participant id the leg joins the call's media with (kind `sip`). */
  participantId: string;
  route: Route;
  media: CallMedia;
  /**
   * An attended transfer by the old telephone's PBX: the call the target holds with that telephone, which the
   * target swaps for this leg (SIP: the Replaces header, RFC 3891 — opaque to the calls component).
   */
  replaces?: string;
}

/** Rings telephones for the routes it handles (the SIP bridge's driver handles `sip`). */
export interface PhoneLegDriver {
  handles(route: Route): boolean;
  ring(request: PhoneLegRequest, handlers: PhoneLegHandlers): PhoneLeg;
}

/** What the call service does when a telephone leg moves on. */
export interface PhoneLegOutcomes {
  ringing(call: Call): void;
  answered(call: Call, participantId: string, codec: AudioCodec, media?: MediaProtection): void;
  earlyMedia(call: Call, participantId: string, codec: AudioCodec): void;
  failed(call: Call, outcome: PhoneLegFailure, detail: string): void;
  hungUp(call: Call, participantId: string): void;
  /** The answered telephone sent no media for its RTP timeout: the call ends with media-timeout. */
  mediaTimeout(call: Call, participantId: string): void;
  /** The answered telephone's SIP session expired without a refresh: the call ends with session-expired. */
  sessionExpired(call: Call, participantId: string): void;
  /** The answered telephone entered its door code (open the door), or a wrong one for the last allowed time. */
  doorCode(call: Call, participantId: string, entry: { result: 'matched' } | { result: 'locked'; wrong: number }): void;
  /** The answered telephone's PBX moves the call to another target of the same account (REFER); none: refused. */
  referred?(call: Call, participantId: string, route: Extract<Route, { type: 'sip' }>, replaces?: string): PhoneMove;
}

/** The call service's telephone legs: one answered per call (desks added to it hear it, and it hears them as one G.711 mix), and while its PBX moves it, the leg ringing the target. */
export class PhoneLegs {
  readonly #drivers: readonly PhoneLegDriver[];
  /** By participant id: a move (REFER) rings a second leg of the same call while the answered one stays (review s23 #16b). */
  readonly #legs = new Map<string, { leg: PhoneLeg; answered: boolean; code?: DoorCodeEntry }>();
  readonly #clock: Clock;

  constructor(drivers: readonly PhoneLegDriver[], clock: Clock) {
    this.#drivers = drivers;
    this.#clock = clock;
  }

  handles(route: Route): boolean {
    return this.#drivers.some((d) => d.handles(route));
  }

  /**
   * Rings the route's telephone for the call's current leg. The leg ends the
   * signalling by itself when the call's leg ends unanswered (timeout, cap, the
   * visitor hanging up: CANCEL) or the call ends after the answer (BYE).
   * `replaces`: the leg takes over a call its target holds (PhoneLegRequest).
   */
  ring(call: Call, route: Route, participantId: string, outcomes: PhoneLegOutcomes, replaces?: string): PhoneLeg {
    const driver = this.#drivers.find((d) => d.handles(route));
    const media = call.media;
    if (!driver || !media) throw new Error('no telephone driver or media for this route');
    const state = { participantId, answered: false, rang: false, done: false };
    let code: DoorCodeEntry | undefined;
    // The call's listeners go with the leg (review s26 #6: each move attempt kept two until the call ended).
    const settle = () => {
      state.done = true;
      code?.close();
      this.#legs.delete(participantId);
      call.off('legended', onLegEnded);
      call.off('ended', onEnded);
    };
    const leg = driver.ring({ callId: call.id, siteId: call.siteId, participantId, route, media, ...(replaces === undefined ? {} : { replaces }) }, {
      // 180 and 183 (and their repetitions) show the terminal one ringing step.
      ringing: () => { if (!state.done && !state.answered && !state.rang) { state.rang = true; outcomes.ringing(call); } },
      answered: (codec, protection) => {
        if (state.done || state.answered) return;
        state.answered = true;
        const entry = this.#legs.get(participantId);
        if (entry) entry.answered = true;
        outcomes.answered(call, participantId, codec, protection);
      },
      earlyMedia: (codec) => { if (!state.done && !state.answered) outcomes.earlyMedia(call, participantId, codec); },
      failed: (outcome, detail) => {
        if (state.done || state.answered) return;
        settle();
        outcomes.failed(call, outcome, detail);
      },
      ended: () => {
        if (state.done) return;
        settle();
        outcomes.hungUp(call, participantId);
      },
      mediaTimeout: () => { if (!state.done && state.answered) outcomes.mediaTimeout(call, participantId); },
      sessionExpired: () => { if (!state.done && state.answered) outcomes.sessionExpired(call, participantId); },
      // Call.protect tells the desks a change only.
      protection: (media) => { if (!state.done && state.answered) call.protect(participantId, media); },
      // Keys count only from the telephone that answered the call, while it is in it.
      dtmf: (digit) => {
        if (state.done || !state.answered || !code || call.answeredBy !== participantId) return;
        const entry = code.press(digit);
        if (entry.result === 'matched' || entry.result === 'locked') outcomes.doorCode(call, participantId, entry);
      },
      // Only the telephone in the call, to a target of its own account (the driver checked the host).
      referred: (user, replacing) => (state.done || !state.answered || !outcomes.referred || route.type !== 'sip' || !call.hasParticipant(participantId)
        ? { refused: 'gone' as const }
        : outcomes.referred(call, participantId, { ...route, user }, replacing)),
    });
    // (A driver that failed the leg at once left nothing to hold.)
    if (!state.done) {
      code = leg.doorCode ? new DoorCodeEntry(leg.doorCode, this.#clock) : undefined;
      this.#legs.set(participantId, { leg, answered: false, code });
      call.on('legended', onLegEnded);
      call.on('ended', onEnded);
    }
    // The owner's cancel or hang-up ends the leg here too: no longer held, its listeners gone.
    return {
      cancel: () => { settle(); leg.cancel(); },
      hangup: () => { settle(); leg.hangup(); },
      ...(leg.doorCode === undefined ? {} : { doorCode: leg.doorCode }),
    };

    // The call left the leg: its leg ended unanswered (timeout, cap, cancelled) or the call ended.
    function onLegEnded(ended: CallLeg): void {
      if (state.done || ended.state === 'answered' || !ended.ringing.includes(participantId)) return;
      settle();
      leg.cancel();
    }
    function onEnded(): void {
      if (state.done) return;
      settle();
      if (state.answered) leg.hangup();
      else leg.cancel();
    }
  }

  /** Ends every leg (shutdown); the calls' own ends do this one by one too. */
  close(): void {
    for (const { leg, answered, code } of this.#legs.values()) {
      code?.close();
      if (answered) leg.hangup();
      else leg.cancel();
    }
    this.#legs.clear();
  }
}
