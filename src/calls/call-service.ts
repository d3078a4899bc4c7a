// Routes calls from terminals to desks: the entry's routes in priority order,
// the reception always last, one leg per route, group legs ring every available
// desk at once (first answer wins), per-leg timeout and an overall cap, and a
// queue at the reception when every receptionist is busy. Each call session
// opens its media before anyone rings and closes it when it ends. In their own
// modules: transfers (transfer.ts; consult-hooks.ts → attended-transfer.ts),
// the pages' access to the media (media-access.ts), media prepared while
// ringing (ringing-media.ts), telephone legs (phone-calls.ts → phone-legs.ts),
// the desks a route rings (desk-candidates.ts), the ringing loop through the
// routes and the reception's queue (route-ringing.ts), timers (call-timers.ts),
// opening hours (opening-hours.ts), the door (door-opening.ts) and the events
// (call-service-events.ts), calls from telephones (phone-caller.ts), how a call
// begins (call-starts.ts).
import { TypedEmitter, NotFoundError, ConflictError, ForbiddenError, UnavailableError, type Clock } from '../core/index.ts';
import type { PhoneBook, Route } from '../phonebook/index.ts';
import { Call } from './call.ts';
import type { EndReason, LegState } from './types.ts';
import type { DeskPresence, Directory, CallRecorder, OpeningHoursPort, CallAudit } from './ports.ts';
import type { CallMedia, ConsumerInfo, MediaParameters, MediaPort, ProducerInfo } from './media-port.ts';
import { CallStarts } from './call-starts.ts';
import { RingingMedia } from './ringing-media.ts';
import { openDoorOfCall, doorCodeEntered, type DoorOpeningDeps, type DoorOutcome, type OpeningsInFlight } from './door-opening.ts';
import { ReceptionQueue } from './reception-queue.ts';
import { RouteRinging } from './route-ringing.ts';
import type { CallerTarget, PhoneLegDriver, PhoneMove } from './phone-legs.ts';
import { MediaAccess } from './media-access.ts';
import { PhoneCalls } from './phone-calls.ts';
import { CallTimers } from './call-timers.ts';
import { DeskCandidates } from './desk-candidates.ts';
import { Transfers, type CallRouting } from './transfer.ts';
import { PhoneTransfers, type PhoneTransferPort } from './phone-transfer.ts';
import { ConsultHooks } from './consult-hooks.ts';
import { deskSendsPhoneCodec, type PhoneCaller, type TerminalCaller } from './phone-caller.ts';
import type { CallServiceEvents, CallServiceOptions } from './call-service-events.ts';

export type { CallServiceEvents, CallServiceOptions } from './call-service-events.ts';

export class CallService extends TypedEmitter<CallServiceEvents> {
  readonly #phonebook: PhoneBook;
  readonly #desks: DeskCandidates;
  readonly #recorder: CallRecorder;
  readonly #clock: Clock;
  readonly #door: DoorOpeningDeps;
  readonly #audit: CallAudit;
  readonly #opts: CallServiceOptions;
  readonly #calls = new Map<string, Call>();
  readonly #byTerminal = new Map<string, Call>();
  readonly #inCall = new Map<string, Call>();
  readonly #timers: CallTimers;
  readonly #queue: ReceptionQueue;
  readonly #writes = new Set<Promise<void>>();
  readonly #ringingMedia = new RingingMedia();
  readonly #phones: PhoneCalls;
  readonly #access: MediaAccess;
  readonly #transfers: Transfers;
  readonly #consults: ConsultHooks;
  readonly #ringing: RouteRinging;
  readonly #starts: CallStarts;
  #accepting = true;
  /** The door opening under way per call (door-opening.ts): a second press joins it. */
  readonly #openings: OpeningsInFlight = new Map();

  constructor(deps: {
    phonebook: PhoneBook; presence: DeskPresence; directory: Directory; recorder: CallRecorder; media: MediaPort; door: DoorOpeningDeps;
    audit: CallAudit; clock: Clock; options: CallServiceOptions; hours?: OpeningHoursPort;
    /** Drivers of telephone legs (the SIP bridge's); none: such routes are skipped. */
    phoneLegs?: PhoneLegDriver[];
    /** Transfers of a PBX's caller by the PBX itself (SIP REFER, phone-transfer.ts); none: Portier rings the target. */
    phoneTransfer?: PhoneTransferPort;
  }) {
    super();
    this.#phonebook = deps.phonebook;
    this.#desks = new DeskCandidates({ directory: deps.directory, presence: deps.presence, inCall: (userId) => this.#inCall.has(userId) });
    this.#recorder = deps.recorder;
    this.#clock = deps.clock;
    this.#door = deps.door;
    this.#audit = deps.audit;
    this.#opts = deps.options;
    this.#timers = new CallTimers(deps.clock);
    this.#access = new MediaAccess({ call: (id) => this.get(id), ringingMedia: this.#ringingMedia, ringingPreview: deps.options.ringingPreview });
    this.#phones = new PhoneCalls({
      drivers: deps.phoneLegs ?? [], clock: deps.clock,
      routing: {
        startLegTimer: (call) => this.#timers.start(call, 'leg', call.legTimeoutS, () => void this.#legUnanswered(call, 'timeout')),
        stopTimers: (call) => this.#timers.clear(call, 'leg', 'cap', 'queue'),
        legUnanswered: (call, note, state) => void this.#legUnanswered(call, note, state),
        hangup: (call, participantId) => void this.hangup(call.id, participantId).catch(() => undefined),
        audioCodec: (call, participantId, codec) => this.safeEmit('audiocodec', call, participantId, codec),
        answered: (call) => this.safeEmit('answered', call),
        announce: (call, producer) => this.safeEmit('newproducer', call, producer),
        end: (call, reason) => void this.#end(call, reason),
        // The answered telephone's door code opens the door like the desk button (a terminal without a door: nothing happens).
        doorCode: (call, participantId, entry) => void doorCodeEntered(this.#door, call, participantId, entry, (state) => this.safeEmit('doorstate', call, state), this.#openings).catch(() => undefined),
        sipEntry: (call, route) => {
          const entry = this.#phonebook.sipEntry(route.accountId, route.user, call.siteId);
          return entry && { id: entry.id, name: entry.name, legTimeoutS: entry.policy.legTimeoutS };
        },
        // A PBX's move of the call: the old telephone moved it to the entry (its id, never the number), the new one's participant id.
        moved: (call, move) => {
          this.safeEmit('moved', call, { from: move.from, to: move.to, entryId: move.entryId, ...(move.name === undefined ? {} : { name: move.name }), answered: move.outcome.answered });
          void this.#audit.append({
            actor: { type: 'participant', id: move.from }, action: 'call.moved', target: { type: 'phonebook-entry', id: move.entryId },
            outcome: move.outcome.answered ? 'ok' : 'failed', siteId: call.siteId, correlationId: call.id,
            details: { via: 'refer', participant: move.to, ...(move.attended ? { attended: true } : {}), ...(move.outcome.answered ? {} : { status: move.outcome.status }) },
          }).catch(() => undefined);
        },
      },
    });
    this.#queue = new ReceptionQueue((siteId, calls) => this.safeEmit('queue', siteId, calls));
    this.#ringing = new RouteRinging({
      clock: deps.clock, desks: this.#desks, phones: this.#phones, timers: this.#timers, queue: this.#queue, consults: () => this.#consults,
      queueTimeoutS: deps.options.queueTimeoutS, inCall: (userId) => this.#inCall.has(userId), activeCalls: () => this.activeCalls,
      end: (call, reason) => this.#end(call, reason),
      ring: (userId, call) => this.safeEmit('ring', userId, call),
      stopRing: (userId, call, note) => this.safeEmit('stopring', userId, call, note),
      missed: (userId, call) => this.safeEmit('missed', userId, call),
    });
    const routing: CallRouting = {
      freeDesks: (call, route) => this.#desks.free(call, route),
      released: (userId) => { this.#inCall.delete(userId); },
      startCap: (call, capS) => this.#timers.start(call, 'cap', capS, () => void this.#end(call, 'no-answer')),
      nextRoute: (call) => this.#nextRoute(call),
      moving: (call) => this.#phones.moving(call),
      ringLeg: (call, legTimeoutS) => {
        for (const u of call.currentLeg?.ringing ?? []) this.safeEmit('ring', u, call);
        this.#timers.start(call, 'leg', legTimeoutS, () => void this.#legUnanswered(call, 'timeout'));
      },
    };
    const phones = deps.phoneTransfer && new PhoneTransfers({
      port: deps.phoneTransfer,
      audit: (call, userId, details) => this.#transfers.audit(call, userId, 'call.transfer', details),
      end: (call) => void this.#end(call, 'transferred'),
    });
    this.#transfers = new Transfers({ phonebook: deps.phonebook, directory: deps.directory, audit: deps.audit, clock: deps.clock, routing, phones });
    this.#consults = new ConsultHooks({
      transfers: this.#transfers, routing, audit: deps.audit, clock: deps.clock, timers: this.#timers,
      leave: (call, userId) => this.#leaveCall(call, userId),
      drainQueue: (siteId) => this.drainQueue(siteId),
      stopRing: (userId, call, reason) => this.safeEmit('stopring', userId, call, reason),
      tell: (call, update) => this.safeEmit('consult', call, update),
      announce: (call, producer, to) => this.safeEmit('newproducer', call, producer, to),
    });
    this.#starts = new CallStarts({
      phonebook: deps.phonebook, hours: deps.hours, clock: deps.clock, recorder: deps.recorder, audit: deps.audit, media: deps.media,
      timers: this.#timers, phones: this.#phones, options: deps.options,
      accepting: () => this.#accepting,
      terminalBusy: (terminalId) => this.#byTerminal.has(terminalId),
      admit: (call) => { this.#calls.set(call.id, call); this.#byTerminal.set(call.terminalId, call); },
      nextRoute: (call) => this.#nextRoute(call),
      end: (call, reason) => this.#end(call, reason),
      emit: (event, ...args) => this.safeEmit(event, ...args),
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

  /** The media of a call for one of its participants or a desk it rings now (media-access.ts). */
  mediaOf(callId: string, participantId: string): CallMedia { return this.#access.mediaOf(callId, participantId); }
  /** Produces; a ringing desk's producer flows once it answered (media-access.ts). */
  produce(callId: string, participantId: string, transportId: string, kind: 'audio' | 'video', rtpParameters: MediaParameters): Promise<string> {
    return this.#access.produce(callId, participantId, transportId, kind, rtpParameters);
  }
  /** The producers a participant may consume (media-access.ts). */
  producersFor(callId: string, participantId: string): ProducerInfo[] { return this.#access.producersFor(callId, participantId); }
  /** Consumes another participant's producer, paused (media-access.ts). */
  consume(callId: string, participantId: string, transportId: string, producerId: string, rtpCapabilities?: MediaParameters): Promise<ConsumerInfo> {
    return this.#access.consume(callId, participantId, transportId, producerId, rtpCapabilities);
  }
  /** Resumes a consumer unless it waits for an answer or crosses a hold (media-access.ts). */
  resume(callId: string, participantId: string, consumerId: string): Promise<void> { return this.#access.resume(callId, participantId, consumerId); }

  /** Whether a desk rung for a call of this site sees the visitor's video before it answers (the site's setting). */
  ringingPreview(siteId: string): boolean { return this.#opts.ringingPreview?.(siteId) ?? false; }

  /** Opens the calling terminal's door: allowed to the call's participants, else needs door.unlock on the site. */
  openDoor(callId: string, userId: string): Promise<{ outcome: DoorOutcome }> {
    const call = this.get(callId);
    return openDoorOfCall(this.#door, call, userId, (state) => this.safeEmit('doorstate', call, state), this.#openings);
  }

  /** A participant that reconnected starts its media afresh: its old transports are closed. */
  resetMedia(callId: string, participantId: string): void {
    this.#calls.get(callId)?.media?.reset(participantId);
  }
  isBusy(userId: string): boolean { return this.#inCall.has(userId); }
  queued(siteId: string): Call[] { return this.#queue.calls(siteId); }

  /** Stops taking new calls (draining before shutdown). */
  stopAccepting(): void { this.#accepting = false; }

  /** A terminal's call to a phone-book entry of its site (call-starts.ts). */
  start(terminal: { id: string; siteId: string }, entryId: string): Promise<Call> { return this.#starts.start(terminal, entryId); }

  /** A call from a telephone to a phone-book entry, routed like a terminal's (call-starts.ts). */
  startFromPhone(phone: PhoneCaller, entryId: string, observe: (call: Call) => void): Promise<Call> {
    return this.#starts.startFromPhone(phone, entryId, observe);
  }

  /** A telephone calls a terminal that answers by itself (call-starts.ts). */
  callTerminalFromPhone(phone: TerminalCaller, terminal: { id: string; siteId: string }, observe: (call: Call) => void): Promise<Call> {
    return this.#starts.callTerminalFromPhone(phone, terminal, observe);
  }

  #nextRoute(call: Call): Promise<void> { return this.#ringing.next(call); }

  #legUnanswered(call: Call, note: string, state?: Exclude<LegState, 'ringing' | 'answered'>): Promise<void> {
    return this.#ringing.unanswered(call, note, state);
  }

  /** Rings free receptionists for the calls waiting in a site's queue (route-ringing.ts). */
  drainQueue(siteId: string): Promise<void> { return this.#ringing.drainQueue(siteId); }

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
    this.#timers.clear(call, 'leg', 'cap', 'queue');
    this.#inCall.set(userId, call);
    for (const u of leg?.ringing ?? []) if (u !== userId) this.safeEmit('stopring', u, call, 'answered-elsewhere');
    this.safeEmit('answered', call);
    deskSendsPhoneCodec(call, userId, (codec) => this.safeEmit('audiocodec', call, userId, codec));
    await this.#consults.answered(call, leg, userId);
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

  /** Attended transfer (consult-hooks.ts): consults a colleague of another entry while the visitor waits on hold. */
  consult(callId: string, userId: string, entryId: string): Promise<void> { return this.#consults.consult(this.get(callId), userId, entryId); }
  /** Completes the consult: the colleague takes the call, the desk leaves. Resolves once queued calls were offered to it. */
  completeConsult(callId: string, userId: string): Promise<void> { return this.#consults.complete(this.get(callId), userId); }
  /** Cancels the consult: back to the visitor (a colleague who answered leaves). */
  cancelConsult(callId: string, userId: string): Promise<void> { return this.#consults.cancel(this.get(callId), userId); }

  /** A desk leaves a call that goes on (its media closes); it is free for other calls. */
  #leaveCall(call: Call, userId: string): void {
    call.leave(userId, this.#clock.now());
    if (this.#inCall.get(userId) === call) this.#inCall.delete(userId);
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
    // A telephone whose PBX moves the call (REFER) may hang up meanwhile: the move decides (phone-calls.ts).
    if (this.#phones.holdsHangup(participantId)) return;
    // During a consult the colleague's hang-up returns to the visitor; the consulting desk's completes the transfer once the colleague answered.
    const consult = this.#consults.hangup(call, participantId);
    if (consult) return consult;
    // With another desk still in the call, a desk that hangs up leaves it and the call goes on.
    if (participant.kind === 'desk' && call.desks.length > 1) {
      call.leave(participantId, this.#clock.now());
      this.#inCall.delete(participantId);
      if (call.answeredBy === participantId) call.answeredBy = call.desks[0] ?? null;
      return this.drainQueue(call.siteId);
    }
    // The caller (the terminal, or the telephone of an inbound call) hangs up or gives up.
    const reason = participantId === call.callerId ? (call.answered ? 'hangup-terminal' : 'cancelled') : 'hangup-desk';
    return this.#end(call, reason);
  }

  /**
   * The PBX of a telephone that called in (or that a terminal answered by itself) moves the call to `route` (SIP REFER
   * in its dialog): as a telephone a terminal called (phone-calls.ts) — `gone` when the telephone is not in the call
   * (or it was never answered), `busy` while another leg rings or a desk consults. `caller`: where the caller may
   * go and how the new one is named (a terminal's callback: only the callers its number lists, by their listed
   * names; `not-listed` otherwise); by default anywhere the phone book routes, named by the target's entry.
   * `replaces`: an attended transfer (PhoneCalls.move).
   */
  moveFromPhone(callId: string, participantId: string, route: Extract<Route, { type: 'sip' }>, caller: CallerTarget = () => ({}), replaces?: string): PhoneMove {
    const call = this.#calls.get(callId);
    if (!call || call.ended || !call.answered || !call.hasParticipant(participantId)) return { refused: 'gone' };
    if (call.consult) return { refused: 'busy' };
    return this.#phones.move(call, participantId, route, caller, replaces);
  }

  endCall(callId: string, reason: EndReason): Promise<void> {
    const call = this.#calls.get(callId);
    return call ? this.#end(call, reason) : Promise.resolve();
  }

  #end(call: Call, reason: EndReason): Promise<void> {
    if (call.ended) return Promise.resolve();
    const leg = call.currentLeg;
    this.#timers.close(call);
    call.end(reason, this.#clock.now());
    for (const u of leg?.ringing ?? []) this.safeEmit('stopring', u, call, reason);
    if (leg?.route.type === 'desk-user' && !call.answered) this.safeEmit('missed', leg.route.userId, call);
    this.#queue.remove(call);
    this.#calls.delete(call.id);
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

  /** Waits for the call records being written now: a history read right after a call ended sees its end. */
  async recordsWritten(): Promise<void> { await Promise.all([...this.#writes]); }

  /** Ends every call (shutdown), clears every timer and waits for the call records to be written. */
  async close(): Promise<void> {
    this.#accepting = false;
    for (const call of this.activeCalls) void this.#end(call, 'shutdown');
    this.#phones.close();
    await Promise.all([...this.#writes]);
    this.removeAllListeners();
  }
}
