// One call session from a terminal: its participants and their media, its
// ordered legs (one per route tried), the step it is on, and its end. The
// CallService drives it; the Call keeps the rules of its state machine (a leg
// ends once; the first answer wins; an ended call never changes again) and owns
// its media: closing the call closes the media.
import { TypedEmitter } from '../core/index.ts';
import type { Route } from '../phonebook/index.ts';
import type { CallInfo, CallKind, CallLeg, CallOutcome, CallStep, EndReason, LegState, Participant } from './types.ts';
import type { AudioCodec, CallMedia, MediaProtection, ParticipantKind, RoomSwap } from './media-port.ts';

export type CallEvents = {
  step: [CallStep];
  legended: [CallLeg];
  ended: [EndReason, CallOutcome];
  /** A telephone's leg told how its media travels (at its join, or when a late offer's answer settled it). */
  protection: [participantId: string, media: MediaProtection];
};

export class Call extends TypedEmitter<CallEvents> {
  readonly id: string;
  readonly siteId: string;
  readonly terminalId: string;
  /**
   * Who stands for the caller now: the terminal, or the telephone of an inbound call (terminalId) — until its
   * PBX moves the call to another telephone (phone-calls.ts), which becomes the caller then.
   */
  callerId: string;
  readonly entryId: string;
  readonly kind: CallKind;
  readonly startedAt: number;
  /** The routes the call tries in order (replaced when a desk transfers the call; `returning`: back to the desk that transferred it). */
  routes: Array<{ route: Route; reception: boolean; returning?: boolean }>;
  /** Seconds each leg rings before the next route (the entry's routing policy). */
  legTimeoutS: number;
  readonly legs: CallLeg[] = [];
  readonly #participants = new Map<string, Participant>();
  #media: CallMedia | null = null;
  #closed = false;
  /** The first answer (a transfer keeps it). */
  answeredAt: number | null = null;
  /** The desk that transferred the call while its new target rings; null otherwise. */
  transferredBy: string | null = null;
  /** An attended transfer in progress: the desk that consults and, once answered, the colleague. */
  consult: { by: string; colleague: string | null } | null = null;
  /** Participants on hold (the visitor during a consult): no media flows between them and the others. */
  readonly #held = new Set<string>();
  answeredBy: string | null = null;
  endedAt: number | null = null;
  /**
   * A call from a telephone (an inbound SIP call): the caller as the trunk names it, and
   * the G.711 codec every participant sends and receives (mediasoup does not transcode).
   * The telephone's participant id stands where a terminal's would (terminalId).
   */
  phone: { label: string; audioCodec: AudioCodec; door?: boolean } | null = null;
  #step: CallStep = { step: 'ringing', routeIndex: 0, target: 'person' };
  routeIndex = -1;

  constructor(init: { id: string; siteId: string; terminalId: string; entryId: string; startedAt: number; routes: Array<{ route: Route; reception: boolean }>; legTimeoutS: number; kind?: CallKind }) {
    super();
    this.id = init.id;
    this.kind = init.kind ?? 'visitor';
    this.siteId = init.siteId;
    this.terminalId = init.terminalId;
    this.callerId = init.terminalId;
    this.entryId = init.entryId;
    this.startedAt = init.startedAt;
    this.routes = init.routes;
    this.legTimeoutS = init.legTimeoutS;
  }

  /** The calling terminal, then whoever joins; those who left stay listed with leftAt. */
  get participants(): Participant[] { return [...this.#participants.values()]; }
  /** Whether the id (a terminal or user id) is in the call now. */
  hasParticipant(id: string): boolean {
    const p = this.#participants.get(id);
    return p !== undefined && p.leftAt === null;
  }
  participant(id: string): Participant | undefined { return this.#participants.get(id); }
  get media(): CallMedia | null { return this.#media; }
  get closed(): boolean { return this.#closed; }

  /** The call's media, opened by the call service; the call closes it. */
  attachMedia(media: CallMedia): void {
    if (this.#closed) { media.close(); return; }
    this.#media = media;
  }

  /** Throws the conflict the media would raise for one more participant of `kind` (audio mix limits); `swap`: one taking another's place. */
  assertRoomFor(kind: ParticipantKind, swap?: RoomSwap): void {
    this.#media?.assertRoomFor?.(kind, swap);
  }

  /** Adds a participant to the call and to its media. */
  join(id: string, kind: ParticipantKind, now: number, audioCodec?: AudioCodec): Participant {
    const joined = this.#media?.join({ id, kind, audioCodec });
    const p: Participant = { id, kind, audioCodec: joined?.audioCodec ?? 'audio/opus', joinedAt: now, leftAt: null };
    this.#participants.set(id, p);
    return p;
  }

  /** Records how a telephone participant's media travels to its PBX; told once per change, never after the call ended. */
  protect(participantId: string, media: MediaProtection): void {
    const p = this.#participants.get(participantId);
    if (!p || p.kind !== 'sip' || p.media === media || this.ended) return;
    p.media = media;
    this.safeEmit('protection', participantId, media);
  }

  /** The telephone in the call now (a desk's call has one at most): how its media travels; undefined when none or not known. */
  get phoneMedia(): MediaProtection | undefined {
    return this.participants.find((p) => p.kind === 'sip' && p.leftAt === null && p.media !== undefined)?.media;
  }

  get step(): CallStep { return this.#step; }
  get ended(): boolean { return this.#step.step === 'ended'; }
  get answered(): boolean { return this.answeredBy !== null; }
  get currentLeg(): CallLeg | undefined {
    const leg = this.legs.at(-1);
    return leg && leg.state === 'ringing' ? leg : undefined;
  }

  /** A telephone that still rings and already produces: its early media (SIP 183 — ringback, an announcement) the terminal plays. */
  isEarlyMedia(participantId: string): boolean {
    const leg = this.currentLeg;
    return !this.hasParticipant(participantId) && leg?.route.type === 'sip' && leg.ringing.includes(participantId);
  }

  setStep(step: CallStep): void {
    if (this.ended) return;
    this.#step = step;
    this.safeEmit('step', step);
  }

  openLeg(route: Route, ringing: string[], now: number): CallLeg {
    const leg: CallLeg = { seq: this.legs.length, route, ringing, state: 'ringing', startedAt: now, endedAt: null, answeredBy: null };
    this.legs.push(leg);
    return leg;
  }

  /**
   * Records a leg that rang beside the call's routing and has ended (a PBX's move, phone-calls.ts); a leg
   * ringing now stays the current one (the recorded one goes before it).
   */
  recordLeg(leg: Omit<CallLeg, 'seq'>): CallLeg {
    const ringing = this.currentLeg;
    const at = ringing ? this.legs.length - 1 : this.legs.length;
    const recorded: CallLeg = { ...leg, seq: at };
    this.legs.splice(at, 0, recorded);
    if (ringing) ringing.seq = at + 1;
    return recorded;
  }

  /** Ends the current leg once; later attempts (a late answer, a second timeout) are ignored. */
  endLeg(state: Exclude<LegState, 'ringing'>, now: number, extra: { answeredBy?: string; note?: string } = {}): CallLeg | undefined {
    const leg = this.currentLeg;
    if (!leg) return undefined;
    leg.state = state;
    leg.endedAt = now;
    if (extra.answeredBy) leg.answeredBy = extra.answeredBy;
    if (extra.note) leg.note = extra.note;
    this.safeEmit('legended', leg);
    return leg;
  }

  /** The first answer wins: returns false when the call was already answered or ended. A telephone leg answers as `sip`. */
  answer(userId: string, now: number, kind: ParticipantKind = 'desk'): boolean {
    if (this.ended || !this.currentLeg?.ringing.includes(userId)) return false;
    // A colleague rung into the call joins it; the call stays answered by whoever answered it.
    if (this.currentLeg.addedBy) {
      // Joined first: a join the media refuses (mix limits) leaves the leg ringing for the others,
      // instead of recording an answer by someone who never joined (review s23 #6).
      this.join(userId, kind, now);
      this.endLeg('answered', now, { answeredBy: userId });
      return true;
    }
    if (this.answered) return false;
    this.endLeg('answered', now, { answeredBy: userId });
    this.answeredBy = userId;
    this.answeredAt ??= now;
    this.transferredBy = null;
    this.join(userId, kind, now);
    this.setStep({ step: 'answered', by: userId });
    return true;
  }

  /**
   * A terminal answers a telephone's call by itself (an inbound number mapped to the terminal):
   * the call is answered by it without a leg; false when the call ended already.
   */
  autoAnswer(terminalId: string, now: number): boolean {
    if (this.ended || this.answered) return false;
    this.answeredBy = terminalId;
    this.answeredAt = now;
    this.setStep({ step: 'answered', by: terminalId });
    return true;
  }

  /** The desks in the call now. */
  get desks(): string[] { return this.participants.filter((p) => p.kind === 'desk' && p.leftAt === null).map((p) => p.id); }

  /** Rings a colleague into the answered call (three-way); answered, the colleague joins as a participant. */
  openAddLeg(by: string, route: Route, ringing: string[], now: number): CallLeg {
    const leg = this.openLeg(route, ringing, now);
    leg.addedBy = by;
    return leg;
  }

  hold(id: string): void { this.#held.add(id); }
  unhold(id: string): void { this.#held.delete(id); }
  get held(): string[] { return [...this.#held]; }
  /** Whether media between two parties is withheld because one of them is on hold. */
  separated(a: string, b: string): boolean { return a !== b && (this.#held.has(a) || this.#held.has(b)); }

  /** A participant leaves the call and its media (its transports, producers and consumers close). */
  leave(id: string, now: number): void {
    const p = this.#participants.get(id);
    if (!p || p.leftAt !== null) return;
    p.leftAt = now;
    this.#media?.leave(id);
  }

  /**
   * Blind transfer: the answering desk leaves at once and the call routes again
   * over `routes` (with their own leg timeout) until someone answers.
   */
  transfer(by: string, routes: Array<{ route: Route; reception: boolean; returning?: boolean }>, legTimeoutS: number, now: number): void {
    if (this.ended || this.answeredBy !== by) return;
    this.leave(by, now);
    this.answeredBy = null;
    this.transferredBy = by;
    this.routes = routes;
    this.routeIndex = -1;
    this.legTimeoutS = legTimeoutS;
    this.setStep({ step: 'transferring', by });
  }

  end(reason: EndReason, now: number): CallOutcome | undefined {
    if (this.ended) return undefined;
    if (this.currentLeg) this.endLeg(reason === 'no-answer' ? 'no-answer' : 'cancelled', now);
    const outcome: CallOutcome = this.answeredAt !== null ? 'answered'
      : reason === 'cancelled' || reason === 'hangup-terminal' ? 'cancelled'
      : reason === 'no-answer' ? 'missed' : 'failed';
    this.endedAt = now;
    this.#step = { step: 'ended', reason, outcome };
    this.safeEmit('step', this.#step);
    this.safeEmit('ended', reason, outcome);
    return outcome;
  }

  /** Closes the call's media (every transport, producer and consumer) and drops listeners; idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    const now = this.endedAt;
    for (const p of this.#participants.values()) if (p.leftAt === null) p.leftAt = now;
    this.#media?.close();
    this.removeAllListeners();
  }

  info(): CallInfo {
    return {
      id: this.id, kind: this.kind, siteId: this.siteId, terminalId: this.terminalId, entryId: this.entryId, startedAt: this.startedAt,
      answeredAt: this.answeredAt, answeredBy: this.answeredBy, endedAt: this.endedAt, step: this.#step, legs: this.legs.map((l) => ({ ...l })),
      participants: this.participants.map((p) => ({ ...p })),
    };
  }
}
