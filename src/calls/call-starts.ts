// How a call begins: a terminal's or a telephone's call to a phone-book entry
// (the routes its opening hours allow, media opened before anything rings, then
// the first route), and a telephone's call to a terminal that answers by itself.
// The call service (call-service.ts) owns the calls once they are admitted.
import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ClosedError, type Clock } from '../core/index.ts';
import type { PhoneBook } from '../phonebook/index.ts';
import { Call } from './call.ts';
import type { EndReason } from './types.ts';
import type { CallRecorder, OpeningHoursPort, CallAudit } from './ports.ts';
import type { MediaPort } from './media-port.ts';
import type { PhoneCalls } from './phone-calls.ts';
import type { CallTimers } from './call-timers.ts';
import { lobbyHoursAt, routesToRing } from './opening-hours.ts';
import { phoneCallRoutes, type PhoneCaller, type TerminalCaller } from './phone-caller.ts';
import type { CallServiceEvents, CallServiceOptions } from './call-service-events.ts';

/** Tells the call service's listeners (its safeEmit). */
export type CallServiceEmit = <K extends keyof CallServiceEvents & string>(event: K, ...args: CallServiceEvents[K]) => void;

/** What starting a call needs of the call service. */
export interface CallStartDeps {
  phonebook: PhoneBook;
  hours: OpeningHoursPort | undefined;
  clock: Clock;
  recorder: CallRecorder;
  audit: CallAudit;
  media: MediaPort;
  timers: CallTimers;
  phones: PhoneCalls;
  options: CallServiceOptions;
  /** False once the service drains before shutdown. */
  accepting(): boolean;
  /** Whether the terminal has a call now. */
  terminalBusy(terminalId: string): boolean;
  /** The call is active from now on: the service finds it by its id and its terminal. */
  admit(call: Call): void;
  /** Rings the call's next route (route-ringing.ts). */
  nextRoute(call: Call): Promise<void>;
  end(call: Call, reason: EndReason): Promise<void>;
  emit: CallServiceEmit;
}

export class CallStarts {
  readonly #deps: CallStartDeps;

  constructor(deps: CallStartDeps) {
    this.#deps = deps;
  }

  async start(terminal: { id: string; siteId: string }, entryId: string): Promise<Call> {
    if (!this.#deps.accepting()) throw new ConflictError('the gateway is shutting down');
    if (this.#deps.terminalBusy(terminal.id)) throw new ConflictError('this terminal already has a call');
    const chosen = this.#deps.phonebook.get(entryId);
    if (chosen.siteId !== terminal.siteId) throw new NotFoundError(`phone-book entry ${entryId} not found`);
    // Outside the site's opening hours only its after-hours route rings (never the desks, never the reception).
    const hours = await lobbyHoursAt(this.#deps.hours, terminal.siteId, this.#deps.clock.now());
    // Both may have changed during the await: a drain that began meanwhile, a second call.start.
    if (!this.#deps.accepting()) throw new ConflictError('the gateway is shutting down');
    if (this.#deps.terminalBusy(terminal.id)) throw new ConflictError('this terminal already has a call');
    const { entry, routes } = routesToRing(this.#deps.phonebook, terminal.siteId, chosen, hours);
    const call = new Call({ id: randomUUID(), siteId: terminal.siteId, terminalId: terminal.id, entryId, startedAt: this.#deps.clock.now(), routes, legTimeoutS: entry.policy.legTimeoutS });
    return this.#launch(call, entry.policy.capS, () => call.join(terminal.id, 'terminal', this.#deps.clock.now()));
  }

  /**
   * A call from a telephone (phone-caller.ts: an inbound SIP call to a number
   * mapped to `entryId`), routed like a terminal's; refused outside the site's
   * opening hours (ClosedError). `observe` sees the call before anything rings.
   */
  async startFromPhone(phone: PhoneCaller, entryId: string, observe: (call: Call) => void): Promise<Call> {
    if (!this.#deps.accepting()) throw new ConflictError('the gateway is shutting down');
    const entry = this.#deps.phonebook.get(entryId);
    const hours = await lobbyHoursAt(this.#deps.hours, entry.siteId, this.#deps.clock.now());
    if (!hours.open) throw new ClosedError('the lobby is closed');
    if (!this.#deps.accepting()) throw new ConflictError('the gateway is shutting down');
    const routes = phoneCallRoutes(this.#deps.phonebook, entry, (route) => this.#deps.phones.handles(route));
    const call = new Call({ id: randomUUID(), siteId: entry.siteId, terminalId: phone.participantId, entryId, startedAt: this.#deps.clock.now(), routes, legTimeoutS: entry.policy.legTimeoutS });
    call.phone = { label: phone.label, audioCodec: phone.audioCodec, door: phone.door ?? false };
    observe(call);
    return this.#launch(call, entry.policy.capS, () => {
      call.join(phone.participantId, 'sip', this.#deps.clock.now(), phone.audioCodec);
      if (phone.media) call.protect(phone.participantId, phone.media);
    });
  }

  /**
   * A telephone calls a terminal that answers by itself (phone-caller.ts: an inbound number mapped to
   * the terminal, e.g. the reception calling a lobby back): no route rings, the terminal and the
   * telephone join at once in the telephone's codec, the call is audited (`call.auto-answer`, the
   * telephone as actor, the terminal as target, the configured caller's key — never its number) before
   * it is answered — it opens the lobby's camera and microphone to the caller. Refused outside the
   * site's opening hours (ClosedError call.closed) unless `callbackOutsideHours`; ends after
   * `callbackMaxS` (max-duration); recorded as kind `callback`, which the SLA's answer figures leave
   * out (review s21 #10, #28). `observe` sees the call before it is answered.
   */
  async callTerminalFromPhone(phone: TerminalCaller, terminal: { id: string; siteId: string }, observe: (call: Call) => void): Promise<Call> {
    this.#mayCallTerminal(terminal.id);
    if (!this.#deps.options.callbackOutsideHours) {
      const hours = await this.#deps.hours?.openAt(terminal.siteId, this.#deps.clock.now());
      if (hours && !hours.open) throw new ClosedError('the lobby is closed: its terminals do not answer by themselves', { reason: 'call.closed' });
      // Both may have changed during the await: a drain that began meanwhile, another call.
      this.#mayCallTerminal(terminal.id);
    }
    const now = this.#deps.clock.now();
    const call = new Call({ id: randomUUID(), kind: 'callback', siteId: terminal.siteId, terminalId: terminal.id, entryId: '', startedAt: now, routes: [], legTimeoutS: 0 });
    call.phone = { label: phone.label, audioCodec: phone.audioCodec };
    observe(call);
    this.#deps.admit(call);
    this.#deps.timers.open(call);
    this.#forward(call);
    this.#deps.timers.start(call, 'cap', this.#deps.options.callbackMaxS ?? 600, () => void this.#deps.end(call, 'max-duration'));
    try {
      await this.#openMedia(call);
      call.join(terminal.id, 'terminal', now, phone.audioCodec);
      call.join(phone.participantId, 'sip', now, phone.audioCodec);
      if (phone.media) call.protect(phone.participantId, phone.media);
      await this.#deps.recorder.started(call.info());
      await this.#deps.audit.append({
        actor: { type: 'participant', id: phone.participantId }, action: 'call.auto-answer', target: { type: 'terminal', id: terminal.id },
        outcome: 'ok', siteId: terminal.siteId, correlationId: call.id, details: { via: 'sip', ...phone.via },
      });
      if (!call.autoAnswer(terminal.id, this.#deps.clock.now())) return call;
      this.#deps.emit('answered', call);
    } catch (error) {
      await this.#deps.end(call, 'media-failure').catch(() => undefined);
      throw error;
    }
    return call;
  }

  /** The call's own events its service tells its adapters. */
  #forward(call: Call): void {
    call.on('step', (step) => this.#deps.emit('step', call, step));
    call.on('protection', (participantId, media) => this.#deps.emit('protection', call, participantId, media));
  }

  #mayCallTerminal(terminalId: string): void {
    if (!this.#deps.accepting()) throw new ConflictError('the gateway is shutting down');
    if (this.#deps.terminalBusy(terminalId)) throw new ConflictError('this terminal already has a call', { reason: 'call.terminal-busy' });
  }

  /** Opens the call's media, lets the caller join, records the call and rings its first route. */
  async #launch(call: Call, capS: number, joinCaller: () => void): Promise<Call> {
    this.#deps.admit(call);
    this.#deps.timers.open(call);
    this.#forward(call);
    this.#deps.timers.start(call, 'cap', capS, () => void this.#deps.end(call, 'no-answer'));
    try {
      // Media before anyone rings: a desk must never answer a call that has none.
      await this.#openMedia(call);
      joinCaller();
      await this.#deps.recorder.started(call.info());
      await this.#deps.nextRoute(call);
    } catch (error) {
      // Never leave a call half-started: the terminal could not call again until the cap.
      await this.#deps.end(call, 'media-failure').catch(() => undefined);
      throw error;
    }
    return call;
  }

  async #openMedia(call: Call): Promise<void> {
    const media = await this.#deps.media.open(call.id);
    call.attachMedia(media);
    if (call.ended) return;
    media.on('failed', () => void this.#deps.end(call, 'media-failure'));
    // Also a ringing desk's producer: participants consume it (paused until that desk answers).
    media.observer.on('newproducer', (producer) => this.#deps.emit('newproducer', call, producer));
    media.observer.on('producerclose', (producer) => this.#deps.emit('producerclosed', call, producer));
  }
}
