// One call from the PBX (sip-inbound.ts): its INVITE checked (the number, the
// caller, the session interval), the calls component's call started (the
// number's entry rings desks, or its terminal answers by itself), the call's
// steps told to the PBX (180/182, 200 once the caller's media joined, the final
// refusal or BYE), the PBX's CANCEL and BYE ending it, the session timer kept,
// and SIP INFO keys sent to a door station. The caller's media is
// caller-media.ts's.
import type { Invitation, Referral, SessionState } from 'sip.js';
import { randomUUID } from 'node:crypto';
import type { Call, EndReason, PhoneCaller } from '../calls/index.ts';
import { ClosedError, ConflictError, NotFoundError, UnavailableError } from '../core/index.ts';
import type { TerminalTarget } from './settings.ts';
import type { RtpRelay } from './rtp-relay.ts';
import type { Direction } from './sdp.ts';
import type { IncomingCall } from './sip-account.ts';
import type { StationVideo } from './station-video.ts';
import type { LegMedia } from './media-security.ts';
import { SipLegSession, grantOf } from './sip-leg-session.ts';
import { DEFAULT_MIN_SE } from './session-timer.ts';
import { CallerMedia } from './caller-media.ts';
import type { CallEndpoint, InboundCallsOptions, StationCallOptions } from './sip-inbound.ts';

/** A call's end before anyone answered → the final response the PBX gets. */
function refusalOf(reason: EndReason): { statusCode: number; reasonPhrase: string } {
  if (reason === 'no-answer') return { statusCode: 486, reasonPhrase: 'Busy Here' };
  if (reason === 'shutdown') return { statusCode: 503, reasonPhrase: 'Service Unavailable' };
  return { statusCode: 500, reasonPhrase: 'Server Internal Error' };
}

export class InboundSipCall {
  readonly participantId = `sip-${randomUUID()}`;
  readonly #in: IncomingCall;
  readonly #account: CallEndpoint;
  readonly #station?: StationCallOptions;
  readonly #opts: InboundCallsOptions;
  readonly #media: CallerMedia;
  #mediaFailure = false;
  #call?: Call;
  /** The terminal that answered by itself (a callback), and who may reach it: also who a REFER may move the call to. */
  #terminal?: TerminalTarget;
  #provisional = 0;
  /** What the INVITE's Session-Expires settled (none: no session timer), and the session once answered. */
  #grant?: Exclude<ReturnType<typeof grantOf>, { refuse: unknown }>;
  #session?: SipLegSession;
  #accepted = false;
  /** The call said answered: the 200 goes out once the phone's media joined. */
  #answerAsked = false;
  /** Settles once the phone's media joined the call (true) or will not (false). */
  #mediaJoined!: (joined: boolean) => void;
  readonly #joined = new Promise<boolean>((resolve) => { this.#mediaJoined = resolve; });
  #closed = false;
  /** The SIP INFO codes sent so far, in order (sendDtmfInfo). */
  #infos: Promise<boolean> = Promise.resolve(true);
  onClosed?: () => void;
  onDirection?: (direction: Direction) => void;
  /** A REFER in the call's dialog (InboundCalls answers it; sip.js would follow it by itself). */
  onRefer?: (referral: Referral) => void;

  constructor(incoming: IncomingCall, account: CallEndpoint, opts: InboundCallsOptions, station?: StationCallOptions) {
    this.#in = incoming;
    this.#account = account;
    this.#station = station;
    this.#opts = opts;
    this.#media = new CallerMedia({
      invitation: incoming.invitation, endpoint: account, accountId: incoming.accountId, participantId: this.participantId,
      stationVideo: station?.video ?? false, call: () => this.#call, direction: (d) => this.onDirection?.(d),
    }, opts);
  }

  get relay(): RtpRelay | undefined { return this.#media.relay; }
  /** What the call's media travels as toward the PBX: 'rtp' is a plain leg. */
  get media(): LegMedia { return this.#media.media; }
  get call(): Call | undefined { return this.#call; }
  /** The account (or station endpoint) the call came in on, and its dialog: what a REFER goes through (refer-out.ts). */
  get accountId(): string { return this.#in.accountId; }
  get session(): Invitation | undefined { return this.#closed ? undefined : this.#invitation; }
  get #invitation(): Invitation { return this.#in.invitation; }
  /** The door station calling (undefined: a PBX's call). */
  get stationId(): string | undefined { return this.#station?.stationId; }
  /** A terminal's callback (it answered by itself): false for a desk's call, a door station's. */
  get callback(): boolean { return this.#terminal !== undefined; }

  /**
   * A callback: `user` as one of the callers the terminal's number lists now (the account's current configuration, the
   * list its guard lets in, matched as the INVITE's caller was: the whole user), and the name its notice shows; none: not listed.
   */
  listedCaller(user: string): { name: string } | undefined {
    const answered = this.#terminal;
    if (!answered) return undefined;
    const now = this.#opts.terminalOf?.(this.#in.accountId, this.#in.dialled);
    const listed = now?.terminalId === answered.terminalId ? now.callers.get(user) : undefined;
    return listed && { name: listed.name ?? user };
  }
  /** The station's video producer (undefined: none). */
  get video(): StationVideo | undefined { return this.#media.video; }

  async start(): Promise<void> {
    const { invitation, accountId, dialled, caller, callerName } = this.#in;
    const log = this.#opts.logger;
    const terminal = this.#station ? undefined : this.#opts.terminalOf?.(accountId, dialled);
    const entryId = terminal ? undefined : this.#station?.entryId ?? this.#opts.entryOf(accountId, dialled);
    if (!terminal && !entryId) return this.#reject(404, 'Not Found', 'number not configured');
    // The guard refused other callers already; checked again where the camera would open.
    if (terminal && !terminal.callers.has(caller)) return this.#reject(403, 'Forbidden', 'caller not allowed');
    this.#terminal = terminal;
    const grant = grantOf(invitation.request, this.#minSeconds);
    if (grant && 'refuse' in grant) return this.#reject(422, grant.refuse.reasonPhrase, 'session interval too small', grant.refuse.extraHeaders);
    this.#grant = grant;
    const refused = this.#media.readInvite();
    if (refused !== undefined) return this.#reject(488, 'Not Acceptable Here', refused);
    invitation.stateChange.addListener((state) => this.#onSipState(state));
    invitation.delegate = { ...invitation.delegate, onRefer: (referral) => this.onRefer?.(referral) };
    this.#account.attachMedia(invitation, this.#media.sessionDescriptionHandler());
    let joined = false;
    try {
      await this.#media.openRelay();
      if (this.#closed) return this.close();
      await this.#media.openVideo();
      if (this.#closed) return this.close();
      const label = callerName ? `${callerName} (${caller})` : caller;
      // A late offer's protection is known at the ACK (CallerMedia tells the call then).
      const protection = this.#media.awaitsAnswer ? {} : { media: this.#media.media };
      const phone = { participantId: this.participantId, label, audioCodec: this.#media.codec!, door: this.#station?.door, ...protection };
      const call = terminal
        ? await this.#callTerminal(phone, terminal)
        : await this.#opts.calls.startFromPhone(phone, entryId!, (c) => this.#observe(c));
      log.info({ account: accountId, dialled, callId: call.id }, 'sip: inbound call / eingehender Anruf');
      // The PBX cancelled while the call started: the caller leaves it now.
      if (this.#closed) return this.#hangupCall();
      if (call.ended) return;
      await this.#media.join(call);
      joined = true;
    } catch (error) {
      // Ended meanwhile (the PBX cancelled, the call ended): already answered or rejected.
      if (this.#closed) return;
      // The call may exist already (the media failed to join): its desks stop ringing (sip.js's Terminated after the reject does so too).
      this.#hangupCall();
      if (error instanceof ClosedError) return this.#reject(480, 'Temporarily Unavailable', 'outside opening hours');
      // Only the terminal's absence is the caller's 480; anything else unavailable (no media worker, a closing component) is ours: 503 (review s21 #17).
      if (error instanceof UnavailableError && error.why.reason === 'call.terminal-offline') return this.#reject(480, 'Temporarily Unavailable', 'terminal not connected');
      if (error instanceof UnavailableError) return this.#reject(503, 'Service Unavailable', `unavailable: ${error.message}`);
      if (error instanceof ConflictError && error.why.reason === 'call.terminal-busy') return this.#reject(486, 'Busy Here', 'terminal in a call');
      if (error instanceof NotFoundError) return this.#reject(404, 'Not Found', 'phone-book entry missing');
      if (error instanceof ConflictError) return this.#reject(503, 'Service Unavailable', 'shutting down');
      log.warn({ err: error, account: accountId }, 'sip: the inbound call could not start / eingehender Anruf konnte nicht beginnen');
      return this.#reject(500, 'Server Internal Error', 'start failed');
    } finally {
      this.#mediaJoined(joined);
    }
  }

  /**
   * The number's terminal answers by itself; its notice names the caller as the configuration does,
   * else by the listed number — never by the From display name, which the caller chooses (a caller
   * must not show up as "Reception" to the people in the lobby; review s21 #9).
   */
  #callTerminal(phone: PhoneCaller, terminal: TerminalTarget): Promise<Call> {
    const { accountId, dialled, caller } = this.#in;
    const callTerminal = this.#opts.calls.callTerminal;
    if (!callTerminal) throw new UnavailableError('no terminal can be called');
    const listed = terminal.callers.get(caller)!;
    const shown = listed.name ?? caller;
    // The audit keeps the caller's key in the configuration, not its telephone number (review s21 #28).
    return callTerminal({ ...phone, via: { account: accountId, number: dialled, callerKey: listed.key } }, terminal.terminalId, shown, (c) => this.#observe(c));
  }

  /** The call moves on: ringing and queued steps → provisional responses, answered → 200, ended → final or BYE. */
  #observe(call: Call): void {
    this.#call = call;
    call.on('step', (step) => {
      if (step.step === 'ringing' || step.step === 'transferring') this.#progress(180, 'Ringing');
      else if (step.step === 'queued') this.#progress(182, 'Queued');
      else if (step.step === 'answered') void this.#accept();
    });
    call.on('ended', (reason) => this.#callEnded(reason));
  }

  #progress(statusCode: number, reasonPhrase: string): void {
    if (this.#closed || this.#accepted || this.#provisional === statusCode) return;
    this.#provisional = statusCode;
    if (this.#invitation.state === 'Initial' || this.#invitation.state === 'Establishing') {
      void this.#invitation.progress({ statusCode, reasonPhrase }).catch(() => undefined);
    }
  }

  async #accept(): Promise<void> {
    if (this.#closed || this.#accepted || this.#answerAsked) return;
    this.#answerAsked = true;
    // The phone's media first: a terminal that answers by itself does so while the call starts, before
    // the media join — a 200 then would leave the PBX in a call whose media may never join (review s21 #15).
    if (!(await this.#joined) || this.#closed) return;
    this.#accepted = true;
    try {
      await this.#invitation.accept({ extraHeaders: this.#grant?.headers ?? [] });
      // The call ended while the 200 was on its way (#callEnded could send neither BYE nor a final response): BYE now.
      if (this.#closed && this.#invitation.state === 'Established') void this.#invitation.bye().catch(() => undefined);
    } catch (error) {
      this.#opts.logger.warn({ err: error, callId: this.#call?.id }, 'sip: answering the inbound call failed / Annehmen fehlgeschlagen');
      this.#hangupCall();
    }
  }

  /**
   * The PBX moved the call to another telephone, which took this one's place (refer-in.ts): the dialog gets its
   * BYE without telling the call (this participant left it already), and nothing of it listens any more.
   */
  leave(): void {
    if (this.#closed) return;
    if (this.#invitation.state === 'Established') void this.#invitation.bye().catch(() => undefined);
    this.close();
  }

  /** The gateway stops: the PBX hears it now, while the account's socket is still open. */
  shutdown(): void {
    this.#callEnded('shutdown');
  }

  #callEnded(reason: EndReason): void {
    if (this.#closed) return;
    const state = this.#invitation.state;
    if (state === 'Established') void this.#invitation.bye().catch(() => undefined);
    else if (state === 'Initial' || state === 'Establishing') {
      // Nobody answered (fallback and queue exhausted), or the gateway stops.
      if (!this.#accepted) void this.#invitation.reject(refusalOf(reason)).catch(() => undefined);
    }
    this.close();
  }

  /** The PBX cancelled or hung up (or sip.js ended the session): the caller leaves the call. */
  #onSipState(state: SessionState): void {
    if (state === 'Established') return this.#keepSession();
    if (state !== 'Terminated' || this.#closed) return;
    // Our offer went out in the 200 and the ACK brought no answer: sip.js sent BYE (Reason 488).
    if (this.#media.awaitsAnswer && this.#accepted) this.#mediaFailed(this.#media.answerProblem ?? 'the ACK carried no SDP answer to our offer');
    else this.#hangupCall();
    this.close();
  }

  /** The late offer's answer was missing or unusable: the call ends as media-failure, logged with why. */
  #mediaFailed(why: string): void {
    if (this.#mediaFailure) return;
    this.#mediaFailure = true;
    const call = this.#call;
    this.#opts.logger.warn({ account: this.#in.accountId, callId: call?.id, why }, 'sip: no media with the caller / keine Medienverbindung mit dem Anrufer');
    if (call && !call.ended) void this.#opts.calls.endCall(call.id, 'media-failure').catch(() => undefined);
  }

  #hangupCall(): void {
    const call = this.#call;
    if (call && !call.ended) void this.#opts.calls.hangup(call.id, this.participantId).catch(() => undefined);
  }

  /**
   * Keys sent to the caller as SIP INFO (application/dtmf-relay) in the answered call's dialog, one
   * request per key in order — how a door station is told to open its relay. False: no dialog (not answered, ended).
   * One code at a time: a second one starts after the first's last key was answered (never interleaved).
   * Once `signal` aborts (the opening counted as failed), no further key of this code goes out.
   */
  sendDtmfInfo(keys: string, signal?: AbortSignal): Promise<boolean> {
    const sent = this.#infos.then(() => this.#sendKeys(keys, signal));
    this.#infos = sent.catch(() => false);
    return sent;
  }

  async #sendKeys(keys: string, signal?: AbortSignal): Promise<boolean> {
    if (this.#closed || this.#invitation.state !== 'Established') return false;
    for (const key of keys) {
      if (signal?.aborted) return false;
      // The key itself (`Signal=*`), as Asterisk sends it; stations read the first character (some would take 10/11 as 1).
      const body = { contentDisposition: 'render', contentType: 'application/dtmf-relay', content: `Signal=${key}\r\nDuration=160\r\n` };
      // The next key only after the station answered this one (a lost INFO ends in Timer F's 408: false).
      const accepted = await new Promise<boolean>((resolve) => {
        this.#invitation.info({ requestDelegate: { onAccept: () => resolve(true), onReject: () => resolve(false) }, requestOptions: { body } })
          .catch(() => resolve(false));
      });
      if (!accepted) return false;
    }
    return true;
  }

  get #minSeconds(): number { return this.#opts.sessionMinSeconds ?? DEFAULT_MIN_SE; }

  /** Refreshes answered (re-INVITE, UPDATE), too small ones refused 422, and the timer the INVITE asked for (sip-leg-session.ts). */
  #keepSession(): void {
    if (this.#session || this.#closed) return;
    this.#session = new SipLegSession(this.#invitation, {
      clock: this.#opts.clock, minSeconds: this.#minSeconds, ownsCallId: false,
      expired: (timer) => {
        const call = this.#call;
        this.#opts.logger.warn({ account: this.#in.accountId, callId: call?.id, seconds: timer.seconds }, 'sip: the session expired without a refresh, the call ends (session-expired) / SIP-Sitzung ohne Auffrischung abgelaufen, der Anruf endet');
        if (call && !call.ended) void this.#opts.calls.endCall(call.id, 'session-expired').catch(() => undefined);
      },
    });
    this.#session.keep();
    if (this.#grant) this.#session.start(this.#grant.granted, this.#grant.weRefresh);
  }

  #reject(statusCode: number, reasonPhrase: string, why: string, extraHeaders: string[] = []): void {
    this.#opts.logger.warn({ account: this.#in.accountId, dialled: this.#in.dialled, status: statusCode, why }, 'sip: inbound call refused / eingehender Anruf abgewiesen');
    const state = this.#invitation.state;
    if (state === 'Initial' || state === 'Establishing') void this.#invitation.reject({ statusCode, reasonPhrase, extraHeaders }).catch(() => undefined);
    // Answered already: the PBX hears BYE, not silence until its own timeout (review s21 #15).
    else if (state === 'Established') void this.#invitation.bye().catch(() => undefined);
    this.close();
  }

  /** Closes the caller's relay and stops listening; the call's media closes with the call. Idempotent. */
  close(): void {
    this.#media.close();
    this.#session?.close();
    if (this.#closed) return;
    this.#closed = true;
    this.onClosed?.();
  }
}
