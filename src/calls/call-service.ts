// Routes calls from terminals to desks: the entry's routes in priority order,
// the reception always last, one leg per route, group legs ring every available
// desk at once (first answer wins), per-leg timeout and an overall cap, and a
// queue at the reception when every receptionist is busy. Each call session
// opens its media before anyone rings and closes it when it ends. Transfers
// (transfer.ts), media prepared while ringing (ringing-media.ts), opening hours
// (opening-hours.ts) and the door (door-opening.ts) live in their own modules.
import { randomUUID } from 'node:crypto';
import { TypedEmitter, NotFoundError, ConflictError, InvalidError, ForbiddenError, UnavailableError, type Clock } from '../core/index.ts';
import type { PhoneBook, Route } from '../phonebook/index.ts';
import { Call } from './call.ts';
import type { CallStep, EndReason } from './types.ts';
import type { DeskPresence, Directory, CallRecorder, OpeningHoursPort, CallAudit } from './ports.ts';
import type { CallMedia, ConsumerInfo, MediaParameters, MediaPort, ProducerInfo } from './media-port.ts';
import { RingingMedia } from './ringing-media.ts';
import { openDoorOfCall, doorCodeEntered, type DoorOpeningDeps, type DoorOutcome, type DoorState } from './door-opening.ts';
import { ReceptionQueue } from './reception-queue.ts';
import { PhoneLegs, type PhoneLegDriver, type PhoneLegFailure } from './phone-legs.ts';
import type { AudioCodec } from './media-port.ts';
import type { LegState } from './types.ts';
import { Transfers, type CallRouting } from './transfer.ts';
import { AttendedTransfers, type ConsultRouting, type ConsultUpdate } from './attended-transfer.ts';
import { lobbyHoursAt, entryToRing } from './opening-hours.ts';

export type CallServiceEvents = {
  /** Ring this desk user for the call. */
  ring: [userId: string, call: Call];
  /** Stop ringing this desk user (answered elsewhere, timeout, cancelled, ended). */
  stopring: [userId: string, call: Call, reason: string];
  step: [call: Call, step: CallStep];
  answered: [call: Call];
  ended: [call: Call, reason: EndReason];
  /** A host who was busy, offline or did not answer. */
  missed: [userId: string, call: Call];
  queue: [siteId: string, calls: Call[]];
  /** A participant produced: every other participant of the call may consume it. */
  newproducer: [call: Call, producer: ProducerInfo, to?: string];
  /** A participant's producer closed while the call goes on: whoever consumed it stops showing it. */
  producerclosed: [call: Call, producer: ProducerInfo];
  /** An attended transfer's consult moved on (the consulting desk and the colleague are told). */
  consult: [call: Call, update: ConsultUpdate];
  /** The calling terminal's door: opening, then open (acknowledged) or failed. */
  doorstate: [call: Call, state: DoorState];
  /** A telephone answered in G.711: this participant must send audio in `codec` now (produce again). */
  audiocodec: [call: Call, participantId: string, codec: AudioCodec];
};

export interface CallServiceOptions {
  queueTimeoutS: number;
  /** Whether a site's ringing desks see the visitor's video before they answer (privacy: no site by default). */
  ringingPreview?: (siteId: string) => boolean;
}

/** How a telephone leg's failure ends its leg. */
const PHONE_LEG_STATE: Record<PhoneLegFailure, Exclude<LegState, 'ringing' | 'answered'>> = {
  busy: 'busy', declined: 'declined', 'no-answer': 'no-answer', failed: 'failed',
};

export class CallService extends TypedEmitter<CallServiceEvents> {
  readonly #phonebook: PhoneBook;
  readonly #presence: DeskPresence;
  readonly #directory: Directory;
  readonly #recorder: CallRecorder;
  readonly #clock: Clock;
  readonly #mediaPort: MediaPort;
  readonly #door: DoorOpeningDeps;
  readonly #opts: CallServiceOptions;
  readonly #hours: OpeningHoursPort | undefined;
  readonly #calls = new Map<string, Call>();
  readonly #byTerminal = new Map<string, Call>();
  readonly #inCall = new Map<string, Call>();
  readonly #timers = new Map<string, { leg?: NodeJS.Timeout; cap?: NodeJS.Timeout; queue?: NodeJS.Timeout }>();
  readonly #queue: ReceptionQueue;
  readonly #writes = new Set<Promise<void>>();
  readonly #ringingMedia = new RingingMedia();
  readonly #phoneLegs: PhoneLegs;
  readonly #transfers: Transfers;
  readonly #attended: AttendedTransfers;
  #accepting = true;

  constructor(deps: {
    phonebook: PhoneBook; presence: DeskPresence; directory: Directory; recorder: CallRecorder; media: MediaPort; door: DoorOpeningDeps;
    audit: CallAudit; clock: Clock; options: CallServiceOptions; hours?: OpeningHoursPort;
    /** Drivers of telephone legs (the SIP bridge's); none: such routes are skipped. */
    phoneLegs?: PhoneLegDriver[];
  }) {
    super();
    this.#phonebook = deps.phonebook;
    this.#presence = deps.presence;
    this.#directory = deps.directory;
    this.#recorder = deps.recorder;
    this.#clock = deps.clock;
    this.#mediaPort = deps.media;
    this.#door = deps.door;
    this.#opts = deps.options;
    this.#hours = deps.hours;
    this.#phoneLegs = new PhoneLegs(deps.phoneLegs ?? [], deps.clock);
    this.#queue = new ReceptionQueue((siteId, calls) => this.safeEmit('queue', siteId, calls));
    const routing: CallRouting & ConsultRouting = {
      freeDesks: (call, route) => this.#freeDesks(call, route),
      released: (userId) => { this.#inCall.delete(userId); },
      startCap: (call, capS) => this.#timer(call, 'cap', capS, () => void this.#end(call, 'no-answer')),
      nextRoute: (call) => this.#nextRoute(call),
      ringLeg: (call, legTimeoutS) => {
        for (const u of call.currentLeg?.ringing ?? []) this.safeEmit('ring', u, call);
        this.#timer(call, 'leg', legTimeoutS, () => void this.#legUnanswered(call, 'timeout'));
      },
      cancelLeg: (call, reason) => this.#cancelLeg(call, reason),
      leave: (call, userId) => this.#leaveCall(call, userId),
    };
    this.#transfers = new Transfers({ phonebook: deps.phonebook, directory: deps.directory, audit: deps.audit, clock: deps.clock, routing });
    this.#attended = new AttendedTransfers({
      transfers: this.#transfers, routing, audit: deps.audit, clock: deps.clock,
      tell: (call, update) => this.safeEmit('consult', call, update),
      announce: (call, producer, to) => this.safeEmit('newproducer', call, producer, to),
    });
    // A desk that stops ringing without answering drops what it prepared.
    this.on('stopring', (userId, call) => { if (!call.hasParticipant(userId)) this.#ringingMedia.stopped(call.id, userId, call.media); });
  }

  get activeCalls(): Call[] { return [...this.#calls.values()]; }
  get(callId: string): Call {
    const call = this.#calls.get(callId);
    if (!call) throw new NotFoundError(`call ${callId} not found`);
    return call;
  }
  callOfTerminal(terminalId: string): Call | undefined { return this.#byTerminal.get(terminalId); }
  callOfDesk(userId: string): Call | undefined { return this.#inCall.get(userId); }

  /**
   * The media of a call for one of its participants, or for a desk the call rings
   * now (which joins the media to prepare it: see RingingMedia); not-found,
   * forbidden or unavailable otherwise.
   */
  mediaOf(callId: string, participantId: string): CallMedia {
    const call = this.get(callId);
    const ringing = !call.hasParticipant(participantId) && this.#isRinging(call, participantId);
    if (!call.hasParticipant(participantId) && !ringing) throw new ForbiddenError('not your call');
    const media = call.media;
    if (!media || media.closed) throw new UnavailableError('the call has no media');
    if (ringing) media.join({ id: participantId, kind: 'desk', preparing: true });
    return media;
  }

  #isRinging(call: Call, userId: string): boolean { return call.currentLeg?.ringing.includes(userId) ?? false; }

  /**
   * Produces. A ringing desk may produce too (its send transport connects before
   * the answer): the call's participants may consume that producer at once, but
   * it flows to them only once that desk answered (then it is announced again).
   */
  async produce(callId: string, participantId: string, transportId: string, kind: 'audio' | 'video', rtpParameters: MediaParameters): Promise<string> {
    const media = this.mediaOf(callId, participantId);
    const call = this.get(callId);
    const ringing = !call.hasParticipant(participantId);
    const producerId = await media.produce(participantId, transportId, kind, rtpParameters);
    if (ringing && !call.hasParticipant(participantId)) this.#ringingMedia.holdProducer(call.id, { producerId, kind, participantId });
    return producerId;
  }

  /** The producers a participant may consume: a ringing desk only those of the call's participants; none across a hold. */
  producersFor(callId: string, participantId: string): ProducerInfo[] {
    const call = this.get(callId);
    const all = this.mediaOf(callId, participantId).producersFor(participantId).filter((p) => !call.separated(participantId, p.participantId));
    return call.hasParticipant(participantId) ? all : all.filter((p) => call.hasParticipant(p.participantId));
  }

  /**
   * Consumes another participant's producer (paused). What a ringing desk
   * consumes stays paused until it answers — the visitor's video too, unless the
   * site allows a preview — so answering only resumes it.
   */
  async consume(callId: string, participantId: string, transportId: string, producerId: string, rtpCapabilities?: MediaParameters): Promise<ConsumerInfo> {
    const media = this.mediaOf(callId, participantId);
    const call = this.get(callId);
    const producer = media.producersFor(participantId).find((p) => p.producerId === producerId);
    // A ringing desk consumes only participants' producers (never another ringing desk's).
    if (producer && !call.hasParticipant(participantId) && !call.hasParticipant(producer.participantId)) throw new NotFoundError(`producer ${producerId} not found`);
    // Nothing crosses a hold (the visitor during a consult): the producer is not there for this participant.
    if (producer && call.separated(participantId, producer.participantId)) throw new NotFoundError(`producer ${producerId} not found`);
    const consumer = await media.consume(participantId, transportId, producerId, rtpCapabilities);
    // Checked after the await: an answer meanwhile lets the consumer's own resume through.
    const ringing = !call.hasParticipant(participantId);
    if (ringing && !(producer?.kind === 'video' && this.#preview(call))) this.#ringingMedia.hold(call.id, participantId, participantId, consumer.id);
    const producerOwner = this.#ringingMedia.ownerOfProducer(call.id, producerId);
    if (producerOwner && !call.hasParticipant(producerOwner)) this.#ringingMedia.hold(call.id, producerOwner, participantId, consumer.id);
    return consumer;
  }

  /** Resumes a consumer; one that waits for a ringing desk's answer stays paused until then (the ack is ok). */
  async resume(callId: string, participantId: string, consumerId: string): Promise<void> {
    const media = this.mediaOf(callId, participantId);
    const call = this.get(callId);
    if (this.#ringingMedia.holds(call.id, participantId, consumerId)) return;
    // A consumer across a hold stays paused (the ack is ok): the end of the hold resumes it.
    const from = call.held.length > 0 ? media.consumersOf(participantId).find((c) => c.consumerId === consumerId)?.producerParticipantId : undefined;
    if (from && call.separated(participantId, from)) return;
    await media.resume(participantId, consumerId);
  }

  #preview(call: Call): boolean { return this.#opts.ringingPreview?.(call.siteId) ?? false; }

  /** Opens the calling terminal's door: allowed to the call's participants, else needs door.unlock on the site. */
  openDoor(callId: string, userId: string): Promise<{ outcome: DoorOutcome }> {
    const call = this.get(callId);
    return openDoorOfCall(this.#door, call, userId, (state) => this.safeEmit('doorstate', call, state));
  }

  /** A participant that reconnected starts its media afresh: its old transports are closed. */
  resetMedia(callId: string, participantId: string): void {
    this.#calls.get(callId)?.media?.reset(participantId);
  }
  isBusy(userId: string): boolean { return this.#inCall.has(userId); }
  queued(siteId: string): Call[] { return this.#queue.calls(siteId); }

  /** Stops taking new calls (draining before shutdown). */
  stopAccepting(): void { this.#accepting = false; }

  async start(terminal: { id: string; siteId: string }, entryId: string): Promise<Call> {
    if (!this.#accepting) throw new ConflictError('the gateway is shutting down');
    if (this.#byTerminal.has(terminal.id)) throw new ConflictError('this terminal already has a call');
    const chosen = this.#phonebook.get(entryId);
    if (chosen.siteId !== terminal.siteId) throw new NotFoundError(`phone-book entry ${entryId} not found`);
    // Outside the site's opening hours only its after-hours route rings (never the desks, never the reception).
    const hours = await lobbyHoursAt(this.#hours, terminal.siteId, this.#clock.now());
    // Both may have changed during the await: a drain that began meanwhile, a second call.start.
    if (!this.#accepting) throw new ConflictError('the gateway is shutting down');
    if (this.#byTerminal.has(terminal.id)) throw new ConflictError('this terminal already has a call');
    const entry = entryToRing(this.#phonebook, terminal.siteId, chosen, hours);
    const routes = entry.routes.map((route) => ({ route, reception: entry.kind === 'reception' }));
    const reception = this.#phonebook.reception(terminal.siteId);
    if (entry === chosen && reception && reception.id !== entry.id) routes.push(...reception.routes.map((route) => ({ route, reception: true })));
    if (routes.length === 0) throw new InvalidError('this entry has no route');
    const call = new Call({ id: randomUUID(), siteId: terminal.siteId, terminalId: terminal.id, entryId, startedAt: this.#clock.now(), routes, legTimeoutS: entry.policy.legTimeoutS });
    this.#calls.set(call.id, call);
    this.#byTerminal.set(terminal.id, call);
    this.#timers.set(call.id, {});
    call.on('step', (step) => this.safeEmit('step', call, step));
    this.#timer(call, 'cap', entry.policy.capS, () => void this.#end(call, 'no-answer'));
    try {
      // Media before anyone rings: a desk must never answer a call that has none.
      await this.#openMedia(call);
      call.join(terminal.id, 'terminal', this.#clock.now());
      await this.#recorder.started(call.info());
      await this.#nextRoute(call);
    } catch (error) {
      // Never leave a call half-started: the terminal could not call again until the cap.
      await this.#end(call, 'media-failure').catch(() => undefined);
      throw error;
    }
    return call;
  }

  async #openMedia(call: Call): Promise<void> {
    const media = await this.#mediaPort.open(call.id);
    call.attachMedia(media);
    if (call.ended) return;
    media.on('failed', () => void this.#end(call, 'media-failure'));
    // Also a ringing desk's producer: participants consume it (paused until that desk answers).
    media.observer.on('newproducer', (producer) => this.safeEmit('newproducer', call, producer));
    media.observer.on('producerclose', (producer) => this.safeEmit('producerclosed', call, producer));
  }

  #timer(call: Call, kind: 'leg' | 'cap' | 'queue', seconds: number, fn: () => void): void {
    const timers = this.#timers.get(call.id);
    if (!timers) return;
    if (timers[kind]) this.#clock.clearTimeout(timers[kind]!);
    timers[kind] = this.#clock.setTimeout(fn, seconds * 1000);
  }

  #clear(call: Call, kind: 'leg' | 'cap' | 'queue'): void {
    const timers = this.#timers.get(call.id);
    if (timers?.[kind]) { this.#clock.clearTimeout(timers[kind]!); delete timers[kind]; }
  }

  async #candidates(call: Call, route: Route): Promise<string[]> {
    const users = route.type === 'desk-user' ? [route.userId]
      : route.type === 'desk-group' ? await this.#directory.members(route.roleId, call.siteId)
      : []; // a telephone route without its driver (no SIP account): nobody to ring
    const allowed = await Promise.all(users.map(async (u) => ((await this.#directory.mayAnswer(u, call.siteId)) ? u : undefined)));
    return allowed.filter((u): u is string => u !== undefined);
  }

  async #freeDesks(call: Call, route: Route): Promise<string[]> {
    return (await this.#candidates(call, route)).filter((u) => this.#presence.isAvailable(u) && !this.#inCall.has(u));
  }

  async #nextRoute(call: Call): Promise<void> {
    while (!call.ended) {
      call.routeIndex += 1;
      const next = call.routes[call.routeIndex];
      if (!next) { await this.#end(call, 'no-answer'); return; }
      if (this.#phoneLegs.handles(next.route)) { this.#ringPhone(call, next.route, next.reception); return; }
      const candidates = await this.#candidates(call, next.route);
      if (call.ended) return;
      const free = candidates.filter((u) => this.#presence.isAvailable(u) && !this.#inCall.has(u));
      if (free.length > 0) { this.#ring(call, next.route, free, next.reception); return; }
      const busy = candidates.filter((u) => this.#inCall.has(u));
      this.#ring(call, next.route, [], next.reception);
      if (next.reception && busy.length > 0) {
        call.endLeg('busy', this.#clock.now(), { note: 'queued' });
        this.#enqueue(call);
        return;
      }
      call.endLeg(busy.length > 0 ? 'busy' : 'failed', this.#clock.now(), { note: busy.length > 0 ? 'busy' : 'offline' });
      // The desk that transferred the call is not told it missed it when the call comes back and it is away.
      if (next.route.type === 'desk-user' && !next.returning) this.safeEmit('missed', next.route.userId, call);
    }
  }

  #ring(call: Call, route: Route, users: string[], reception: boolean): void {
    call.openLeg(route, users, this.#clock.now());
    if (users.length === 0) return;
    // While a transfer rings its target (or returns), the terminal keeps showing the transfer step.
    if (!call.transferredBy) call.setStep({ step: 'ringing', routeIndex: call.routeIndex, target: reception ? 'reception' : route.type === 'desk-user' ? 'person' : 'group' });
    for (const u of users) this.safeEmit('ring', u, call);
    this.#timer(call, 'leg', call.legTimeoutS, () => void this.#legUnanswered(call, 'timeout'));
  }

  /**
   * A telephone leg (phone-legs.ts): the terminal sees it ring at the far end's
   * 180/183; its answer makes it a participant of kind `sip`; busy, declined or
   * unanswered (its own final answer or the leg timeout) move on to the next
   * route; a hang-up at the far end ends the call.
   */
  #ringPhone(call: Call, route: Route, reception: boolean): void {
    const participantId = `sip-${randomUUID()}`;
    call.openLeg(route, [participantId], this.#clock.now());
    this.#timer(call, 'leg', call.legTimeoutS, () => void this.#legUnanswered(call, 'timeout'));
    this.#phoneLegs.ring(call, route, participantId, {
      ringing: (c) => { if (!c.transferredBy) c.setStep({ step: 'ringing', routeIndex: c.routeIndex, target: reception ? 'reception' : 'person' }); },
      answered: (c, id, codec) => this.#phoneAnswered(c, id, codec),
      failed: (c, outcome, detail) => void this.#legUnanswered(c, detail, PHONE_LEG_STATE[outcome]),
      hungUp: (c, id) => void this.hangup(c.id, id).catch(() => undefined),
      // The answered telephone's door code opens the door like the desk button (a terminal without a door: nothing happens).
      doorCode: (c, id, entry) => void doorCodeEntered(this.#door, c, id, entry, (state) => this.safeEmit('doorstate', c, state)).catch(() => undefined),
    });
  }

  /** The telephone answered: it joins as `sip`; every other participant now receives (and must send) its G.711 codec. */
  #phoneAnswered(call: Call, participantId: string, codec: AudioCodec): void {
    if (!call.answer(participantId, this.#clock.now(), 'sip')) return;
    for (const kind of ['leg', 'cap', 'queue'] as const) this.#clear(call, kind);
    const media = call.media;
    for (const p of call.participants) {
      if (p.id === participantId || p.leftAt !== null || !media || media.closed) continue;
      media.setAudioCodec(p.id, codec);
      p.audioCodec = codec;
      this.safeEmit('audiocodec', call, p.id, codec);
    }
    this.safeEmit('answered', call);
  }

  #legUnanswered(call: Call, note: string, state?: Exclude<LegState, 'ringing' | 'answered'>): Promise<void> {
    const leg = call.currentLeg;
    if (!leg || call.ended) return Promise.resolve();
    this.#clear(call, 'leg');
    call.endLeg(state ?? (note === 'declined' ? 'declined' : 'no-answer'), this.#clock.now(), { note });
    for (const u of leg.ringing) this.safeEmit('stopring', u, call, note);
    // A consult nobody takes: back to the visitor.
    if (leg.consult) return this.#attended.unanswered(call, leg, note);
    // A colleague who does not come: the call goes on as it was.
    if (leg.addedBy) return Promise.resolve();
    if (leg.route.type === 'desk-user' && note !== 'declined' && !call.routes[call.routeIndex]?.returning) this.safeEmit('missed', leg.route.userId, call);
    // A queued call whose receptionist did not pick up goes back to the front of the queue.
    if (call.routes[call.routeIndex]?.reception && this.#queue.wasQueued(call)) { this.#enqueue(call, true); return Promise.resolve(); }
    return this.#nextRoute(call);
  }

  #enqueue(call: Call, front = false): void {
    this.#clear(call, 'cap');
    this.#queue.add(call, front);
    call.setStep({ step: 'queued', position: this.#queue.position(call) });
    if (!this.#timers.get(call.id)?.queue) this.#timer(call, 'queue', this.#opts.queueTimeoutS, () => void this.#end(call, 'no-answer'));
  }

  /** Rings free receptionists for the calls waiting in a site's queue. */
  async drainQueue(siteId: string): Promise<void> {
    for (const call of this.#queue.calls(siteId)) {
      const route = call.routes[call.routeIndex]?.route;
      if (!route) continue;
      const free = (await this.#candidates(call, route)).filter((u) => this.#presence.isAvailable(u) && !this.#inCall.has(u) && !this.#ringingFor(u));
      if (free.length === 0 || call.ended || !this.#queue.has(call)) continue;
      this.#queue.remove(call);
      this.#ring(call, route, free, true);
    }
    this.#queue.notify(siteId);
  }

  #ringingFor(userId: string): boolean {
    return this.activeCalls.some((c) => c.currentLeg?.ringing.includes(userId));
  }

  /**
   * The first answer wins. Everything up to the state change happens before any
   * await, so of parallel answers exactly one succeeds; an ended call answers
   * conflict, an unknown one not-found.
   */
  async answer(callId: string, userId: string): Promise<Call> {
    const call = this.#calls.get(callId);
    if (!call) {
      if (await this.#recorder.exists(callId)) throw new ConflictError('this call has ended');
      throw new NotFoundError(`call ${callId} not found`);
    }
    if (this.#inCall.has(userId)) throw new ConflictError('you are already in a call');
    const media = call.media;
    if (!media || media.closed) throw new UnavailableError('the call has no media');
    const leg = call.currentLeg;
    if (!call.answer(userId, this.#clock.now())) throw new ConflictError('this call was answered elsewhere or has ended');
    this.#clear(call, 'leg');
    this.#clear(call, 'cap');
    this.#clear(call, 'queue');
    this.#inCall.set(userId, call);
    for (const u of leg?.ringing ?? []) if (u !== userId) this.safeEmit('stopring', u, call, 'answered-elsewhere');
    this.safeEmit('answered', call);
    if (leg?.consult) await this.#attended.answered(call, leg, userId);
    // What the desk prepared while ringing flows from now on (before its ack).
    const producers = await this.#ringingMedia.answered(call.id, userId, media);
    // What the desk produced while ringing is announced now that it is a participant.
    for (const producer of producers) if (!media.closed) this.safeEmit('newproducer', call, producer);
    return call;
  }

  /** Blind transfer to another entry of the call's site (transfer.ts); the desk leaves at once. */
  transfer(callId: string, userId: string, entryId: string): Promise<void> {
    return this.#transfers.blind(this.get(callId), userId, entryId);
  }

  /** Adds a colleague of another entry to the answered call (transfer.ts). */
  addColleague(callId: string, userId: string, entryId: string): Promise<void> {
    return this.#transfers.addColleague(this.get(callId), userId, entryId);
  }

  /** Attended transfer (attended-transfer.ts): consults a colleague of another entry while the visitor waits on hold. */
  consult(callId: string, userId: string, entryId: string): Promise<void> {
    return this.#attended.consult(this.get(callId), userId, entryId);
  }

  /** Completes the consult: the colleague takes the call, the desk leaves. Resolves once queued calls were offered to it. */
  async completeConsult(callId: string, userId: string): Promise<void> {
    const call = this.get(callId);
    await this.#attended.complete(call, userId);
    await this.drainQueue(call.siteId);
  }

  /** Cancels the consult: back to the visitor (a colleague who answered leaves). */
  async cancelConsult(callId: string, userId: string): Promise<void> {
    const call = this.get(callId);
    await this.#attended.cancel(call, userId);
    await this.drainQueue(call.siteId);
  }

  /** A desk leaves a call that goes on (its media closes); it is free for other calls. */
  #leaveCall(call: Call, userId: string): void {
    call.leave(userId, this.#clock.now());
    if (this.#inCall.get(userId) === call) this.#inCall.delete(userId);
  }

  /** Ends the ringing leg of a call that goes on (a consult cancelled while it rang). */
  #cancelLeg(call: Call, reason: string): void {
    const leg = call.currentLeg;
    if (!leg) return;
    this.#clear(call, 'leg');
    call.endLeg('cancelled', this.#clock.now(), { note: reason });
    for (const u of leg.ringing) this.safeEmit('stopring', u, call, reason);
  }

  /** Resolves once the call has moved on to its next route (if it had to). */
  async decline(callId: string, userId: string): Promise<void> {
    const call = this.get(callId);
    const leg = call.currentLeg;
    if (!leg?.ringing.includes(userId)) throw new ConflictError('this call is not ringing at your desk');
    leg.ringing = leg.ringing.filter((u) => u !== userId);
    this.safeEmit('stopring', userId, call, 'declined');
    // The last desk of the leg declined: the leg ends; the decliner has been told once, above.
    if (leg.ringing.length === 0) await this.#legUnanswered(call, 'declined');
  }

  /** A desk that went offline stops ringing; a single-desk leg moves on at once. */
  async deskGone(userId: string): Promise<void> {
    for (const call of this.activeCalls) {
      const leg = call.currentLeg;
      if (!leg?.ringing.includes(userId)) continue;
      if (leg.ringing.length === 1) await this.#legUnanswered(call, 'offline');
      else { leg.ringing = leg.ringing.filter((u) => u !== userId); this.#ringingMedia.stopped(call.id, userId, call.media); }
    }
  }

  /**
   * A participant hangs up: in a two-party call that ends the call. Resolves once
   * queued calls were offered to the desk that became free.
   */
  async hangup(callId: string, participantId: string): Promise<void> {
    const call = this.get(callId);
    const participant = call.hasParticipant(participantId) ? call.participant(participantId) : undefined;
    if (!participant) throw new ForbiddenError('not your call');
    // During a consult the colleague's hang-up returns to the visitor; the consulting desk's completes the transfer once the colleague answered.
    if (call.consult?.colleague === participantId) { await this.#attended.colleagueLeft(call, participantId); return this.drainQueue(call.siteId); }
    if (call.consult?.by === participantId && call.consult.colleague) return this.completeConsult(callId, participantId);
    // With another desk still in the call, a desk that hangs up leaves it and the call goes on.
    if (participant.kind === 'desk' && call.desks.length > 1) {
      call.leave(participantId, this.#clock.now());
      this.#inCall.delete(participantId);
      if (call.answeredBy === participantId) call.answeredBy = call.desks[0] ?? null;
      return this.drainQueue(call.siteId);
    }
    const reason = participant.kind === 'terminal' ? (call.answered ? 'hangup-terminal' : 'cancelled') : 'hangup-desk';
    return this.#end(call, reason);
  }

  endCall(callId: string, reason: EndReason): Promise<void> {
    const call = this.#calls.get(callId);
    return call ? this.#end(call, reason) : Promise.resolve();
  }

  #end(call: Call, reason: EndReason): Promise<void> {
    if (call.ended) return Promise.resolve();
    const leg = call.currentLeg;
    for (const kind of ['leg', 'cap', 'queue'] as const) this.#clear(call, kind);
    call.end(reason, this.#clock.now());
    for (const u of leg?.ringing ?? []) this.safeEmit('stopring', u, call, reason);
    if (leg?.route.type === 'desk-user' && !call.answered) this.safeEmit('missed', leg.route.userId, call);
    this.#queue.remove(call);
    this.#calls.delete(call.id);
    this.#timers.delete(call.id);
    this.#byTerminal.delete(call.terminalId);
    for (const id of [call.answeredBy, ...call.desks]) if (id && this.#inCall.get(id) === call) this.#inCall.delete(id);
    this.safeEmit('ended', call, reason);
    this.#ringingMedia.ended(call.id);
    // The session closes its media (router, transports, producers, consumers) and nothing else does.
    call.close();
    const write = this.#recorder.ended(call.info()).catch(() => undefined);
    this.#writes.add(write);
    void write.finally(() => this.#writes.delete(write));
    this.#queue.notify(call.siteId);
    return this.drainQueue(call.siteId);
  }

  /** Ends every call (shutdown), clears every timer and waits for the call records to be written. */
  async close(): Promise<void> {
    this.#accepting = false;
    for (const call of this.activeCalls) void this.#end(call, 'shutdown');
    await Promise.all([...this.#writes]);
    this.removeAllListeners();
  }
}
