// Calls from the PBX (issue 13, slice 2): an INVITE that passed the account's
// guard (inbound-guard.ts: authenticated trunk, configured number) becomes a call
// of the calls component from a telephone — the number's phone-book entry rings
// desk softphones with its fallback and queue, the caller a participant of kind
// `sip` whose media is a plain-RTP participant behind an RtpRelay, in the G.711
// codec of the PBX's offer. Desks ringing → 180 (queued → 182), a desk answering
// → 200 with our SDP answer, nobody → 486, outside opening hours → 480; CANCEL
// and BYE from the PBX end the call, a desk hanging up sends BYE. An INVITE
// without SDP (late offer, RFC 3261 §13.2.1) gets our offer in the 200 (one codec,
// sip.late_offer_codec) and must answer in the ACK: an ACK without SDP or with an
// unacceptable answer ends the call (BYE with Reason 488, call reason media-failure).
import { randomInt, randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Invitation, Referral, SessionDescriptionHandler, SessionState } from 'sip.js';
import { Referrals } from './refer-in.ts';
import type { AudioCodec, Call, CallMedia, EndReason, PhoneCaller, ProducerInfo, TerminalCaller } from '../calls/index.ts';
import { ClosedError, ConflictError, NotFoundError, TypedEmitter, UnavailableError, type Clock } from '../core/index.ts';
import type { TerminalTarget } from './settings.ts';
import { RtpRelay, type RtpPortRange } from './rtp-relay.ts';
import { readAnswer, sdpVersions, writeOffer, type AudioAnswer, type Direction } from './sdp.ts';
import type { IncomingCall, SipAccount } from './sip-account.ts';
import { StationVideo } from './station-video.ts';
import { readVideoOffer, type H264Entry } from './video-sdp.ts';
import { OFFERED_CODECS } from './sip-leg.ts';
import { answerOnOffer } from './sdp-answer.ts';
import { LegSecurity, SrtpRefusedError, type CryptoFields, type LegMedia, type SrtpPolicy } from './media-security.ts';
import { MediaDirectionState, applyDirection, sendsToPhone } from './media-direction.ts';
import { SipLegSession, grantOf } from './sip-leg-session.ts';
import { DEFAULT_MIN_SE } from './session-timer.ts';

const STATIC_PT: Record<string, number> = { 'audio/PCMU': 0, 'audio/PCMA': 8 };

/** What the bridge needs of the calls component. */
export interface PhoneCallPort {
  startFromPhone(phone: { participantId: string; label: string; audioCodec: AudioCodec; door?: boolean }, entryId: string, observe: (call: Call) => void): Promise<Call>;
  hangup(callId: string, participantId: string): Promise<void>;
  endCall(callId: string, reason: EndReason): Promise<void>;
  /**
   * A terminal answers the telephone by itself (sip.accounts[].inbound.terminals); `callerName` is what
   * its notice shows. Unavailable when the terminal is not connected, conflict (call.terminal-busy) in a call.
   */
  callTerminal?(phone: TerminalCaller, terminalId: string, callerName: string, observe: (call: Call) => void): Promise<Call>;
}

export interface InboundCallsOptions {
  calls: PhoneCallPort;
  /** The phone-book entry a number of an account rings (sip.accounts[].inbound.numbers). */
  entryOf(accountId: string, dialled: string): string | undefined;
  /** The terminal a number of an account reaches, and who may call it (sip.accounts[].inbound.terminals). */
  terminalOf?(accountId: string, dialled: string): TerminalTarget | undefined;
  /** Local address of the calls' RTP sockets (sip.bind_address). */
  bindAddress: string;
  /** The ports of those sockets (sip.rtp_port_min..max, as outbound legs); any without. */
  rtpPorts?: RtpPortRange;
  /** The one codec offered in the 200 to an INVITE without SDP (sip.late_offer_codec; default PCMA). */
  lateOfferCodec?: AudioCodec;
  /** The router's H.264 entries: a door station's video in one of them is taken (station-video.ts). */
  videoEntries?: readonly H264Entry[];
  /** Session timers (RFC 4028) run on it; without one the call answers refreshes but runs no timer. */
  clock?: Clock;
  /** The floor of a session interval (sip.session_timer.min_seconds; default 90): an INVITE asking less gets 422. */
  sessionMinSeconds?: number;
  logger: Logger;
}

/** Where an inbound call arrived: an account's socket, or the door stations' (station-endpoint.ts). */
export type CallEndpoint = Pick<SipAccount, 'attachMedia' | 'advertisedAddress'> & { readonly srtp?: SrtpPolicy };

/** What a call from a door station adds: the entry it rings (its button's), and its H.264 video taken. */
export interface StationCallOptions {
  stationId: string; entryId: string; video: boolean;
  /** Open door at the desk reaches the station (its relay or its door). */
  door: boolean;
}

/** A call's end before anyone answered → the final response the PBX gets. */
function refusalOf(reason: EndReason): { statusCode: number; reasonPhrase: string } {
  if (reason === 'no-answer') return { statusCode: 486, reasonPhrase: 'Busy Here' };
  if (reason === 'shutdown') return { statusCode: 503, reasonPhrase: 'Service Unavailable' };
  return { statusCode: 500, reasonPhrase: 'Server Internal Error' };
}

export type InboundCallsEvents = {
  /** The PBX moved an answered call's media (re-INVITE: hold, inactive, back): our direction now, applied in mediasoup. */
  direction: [{ callId: string; participantId: string; direction: Direction }];
};

export class InboundCalls extends TypedEmitter<InboundCallsEvents> {
  readonly #opts: InboundCallsOptions;
  /** Calls in progress (tests and /ready may count them). */
  readonly calls = new Set<InboundSipCall>();
  /** REFERs of the PBX in an inbound call's dialog: refused (603) and logged, refer-in.ts. */
  readonly #referrals: Referrals;

  constructor(opts: InboundCallsOptions) {
    super();
    this.#opts = opts;
    this.#referrals = new Referrals(opts.logger);
  }

  /** Takes an authenticated INVITE of `account` (its 'invite' event). */
  take(incoming: IncomingCall, account: CallEndpoint, station?: StationCallOptions): void {
    const call = new InboundSipCall(incoming, account, this.#opts, station);
    this.calls.add(call);
    call.onClosed = () => this.calls.delete(call);
    call.onRefer = (referral) => this.#referrals.refuse(referral, call.accountId, call.call?.id);
    call.onDirection = (direction) => this.safeEmit('direction', { callId: call.call?.id ?? '', participantId: call.participantId, direction });
    void call.start();
  }

  /** The call whose caller is this participant (a station's call, for its door relay). */
  byParticipant(participantId: string): InboundSipCall | undefined {
    for (const call of this.calls) if (call.participantId === participantId) return call;
    return undefined;
  }

  /** Ends every call's signalling before the accounts close (BYE, or 503 to a call still ringing); the calls component ends the calls. */
  close(): void {
    for (const call of [...this.calls]) call.shutdown();
  }
}

export class InboundSipCall {
  readonly participantId = `sip-${randomUUID()}`;
  readonly #in: IncomingCall;
  readonly #account: CallEndpoint;
  readonly #station?: StationCallOptions;
  /** A door station's video in the call (none: audio only). */
  #video?: StationVideo;
  readonly #opts: InboundCallsOptions;
  readonly #consuming = new Set<string>();
  #relay?: RtpRelay;
  /** SRTP or plain toward the PBX (media-security.ts): a station's endpoint has no TLS, so never SRTP. */
  readonly #security: LegSecurity;
  /** Our a=crypto in the next SDP (the answer's key, or a late offer's keys). */
  #crypto: CryptoFields = {};
  /** The PBX's media: its offer, or with a late offer the answer its ACK carried. */
  #offer?: AudioAnswer;
  /** The call's codec (the offer's, or ours in a late offer). */
  #codec?: AudioCodec;
  /** The far end's latest offer (a re-INVITE's), our answer is laid on its m-lines; unset: the INVITE's. */
  #remoteOffer?: string;
  /** The INVITE had no SDP: we offer in the 200, the ACK answers. */
  #lateOffer = false;
  /** The PBX's offer waits for our answer (the INVITE's, a re-INVITE's or UPDATE's): the next SDP we write answers it. */
  #offerIn = false;
  /** Our offer is out (a late offer's 200, our session refresh, the 200 to a re-INVITE without SDP): the PBX's next SDP answers it. */
  #offerOut = false;
  #mediaFailure = false;
  /** Why a late offer's answer was refused (for the log line once sip.js ended the session). */
  #answerProblem?: string;
  #call?: Call;
  #transportId?: string;
  #producerId?: string;
  /** Our direction (what the last offer/answer said): whether the phone hears the call and is heard. */
  readonly #hold = new MediaDirectionState();
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
    this.#station = station;
    this.#account = account;
    this.#opts = opts;
    this.#security = new LegSecurity(account.srtp ?? { mode: 'off', tls: false });
  }

  get relay(): RtpRelay | undefined { return this.#relay; }
  /** What the call's media travels as toward the PBX: 'rtp' is a plain leg. */
  get media(): LegMedia { return this.#security.media; }
  get call(): Call | undefined { return this.#call; }
  /** The account (or station endpoint) the call came in on, and its dialog: what a REFER goes through (refer-out.ts). */
  get accountId(): string { return this.#in.accountId; }
  get session(): Invitation | undefined { return this.#closed ? undefined : this.#invitation; }
  get #invitation(): Invitation { return this.#in.invitation; }

  async start(): Promise<void> {
    const { invitation, accountId, dialled, caller, callerName } = this.#in;
    const log = this.#opts.logger;
    const terminal = this.#station ? undefined : this.#opts.terminalOf?.(accountId, dialled);
    const entryId = terminal ? undefined : this.#station?.entryId ?? this.#opts.entryOf(accountId, dialled);
    if (!terminal && !entryId) return this.#reject(404, 'Not Found', 'number not configured');
    // The guard refused other callers already; checked again where the camera would open.
    if (terminal && !terminal.callers.has(caller)) return this.#reject(403, 'Forbidden', 'caller not allowed');
    const grant = grantOf(invitation.request, this.#minSeconds);
    if (grant && 'refuse' in grant) return this.#reject(422, grant.refuse.reasonPhrase, 'session interval too small', grant.refuse.extraHeaders);
    this.#grant = grant;
    if (!invitation.body?.trim()) {
      this.#lateOffer = true;
      this.#codec = this.#opts.lateOfferCodec ?? 'audio/PCMA';
      this.#crypto = this.#security.offer();
    } else {
      try {
        this.#offer = readAnswer(invitation.body, OFFERED_CODECS);
        this.#codec = this.#offer.codec;
        this.#hold.take(this.#offer);
        this.#offerIn = true;
      } catch {
        return this.#reject(488, 'Not Acceptable Here', 'no G.711 offer');
      }
      try {
        this.#crypto = this.#security.answer(this.#offer);
      } catch (error) {
        if (!(error instanceof SrtpRefusedError)) throw error;
        this.#opts.logger.warn({ account: accountId, reason: error.refusal, attributes: error.attributes }, 'sip: SRTP not agreed with the caller / SRTP mit dem Anrufer nicht ausgehandelt');
        return this.#reject(488, 'Not Acceptable Here', error.refusal);
      }
    }
    invitation.stateChange.addListener((state) => this.#onSipState(state));
    invitation.delegate = { ...invitation.delegate, onRefer: (referral) => this.onRefer?.(referral) };
    this.#account.attachMedia(invitation, this.#sessionDescriptionHandler());
    let joined = false;
    try {
      this.#relay = await RtpRelay.open(this.#opts.bindAddress, this.#opts.rtpPorts);
      this.#security.bind(this.#relay);
      if (this.#closed) return this.close();
      await this.#openVideo();
      if (this.#closed) return this.close();
      const label = callerName ? `${callerName} (${caller})` : caller;
      const phone = { participantId: this.participantId, label, audioCodec: this.#codec!, door: this.#station?.door };
      const call = terminal
        ? await this.#callTerminal(phone, terminal)
        : await this.#opts.calls.startFromPhone(phone, entryId!, (c) => this.#observe(c));
      log.info({ account: accountId, dialled, callId: call.id }, 'sip: inbound call / eingehender Anruf');
      // The PBX cancelled while the call started: the caller leaves it now.
      if (this.#closed) return this.#hangupCall();
      if (call.ended) return;
      await this.#joinMedia(call);
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
    // #joinMedia — a 200 then would leave the PBX in a call whose media may never join (review s21 #15).
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
    if (this.#lateOffer && this.#accepted && !this.#offer) this.#mediaFailed(this.#answerProblem ?? 'the ACK carried no SDP answer to our offer');
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

  /**
   * A re-INVITE's offer in an answered call (hold: sendonly, inactive, c=0.0.0.0; back: sendrecv): our answer's
   * direction follows RFC 3264 §6.1, and mediasoup stops or resumes what the phone hears (our consumers)
   * and what it is heard with (its producer) before the 200 goes out (media-direction.ts). Another codec: sip.js answers 488.
   */
  async #reoffer(sdp: string): Promise<void> {
    const offer = readAnswer(sdp, [this.#codec!]);
    this.#crypto = this.#security.answer(offer);
    this.#remoteOffer = sdp;
    this.#offerIn = true;
    await this.#farMedia(offer);
  }

  /**
   * The PBX's answer to our offer in the dialog (our session refresh, a re-INVITE without SDP): its key, new or
   * not, decrypts from now on while ours stays (RFC 4568 §7.1.4; review s22 #24), its media is followed.
   */
  async #answered(sdp: string): Promise<void> {
    const answer = readAnswer(sdp, [this.#codec!]);
    this.#security.answered(answer);
    await this.#farMedia(answer);
  }

  /** The PBX's SDP in the dialog: the relay follows its address, mediasoup our direction. */
  async #farMedia(far: AudioAnswer): Promise<void> {
    const change = this.#hold.take(far);
    if (change.moved) this.#connectFar();
    if (!change.changed) return;
    const media = this.#call?.media;
    if (media) await applyDirection(media, this.participantId, this.#producerId, change.ours);
    this.#opts.logger.info({ account: this.#in.accountId, callId: this.#call?.id, direction: change.ours }, 'sip: the caller changed the call\'s media (hold) / Anrufer hat die Medien geändert (Halten)');
    this.onDirection?.(change.ours);
  }

  /** A late offer's answer (in the ACK): where the PBX hears, in our one codec; else the call ends. */
  #takeAnswer(sdp: string): void {
    if (!this.#lateOffer || this.#offer) return;
    let answer: AudioAnswer;
    try {
      answer = readAnswer(sdp, [this.#codec!]);
    } catch (error) {
      // sip.js ends the session with BYE and Reason: SIP;cause=488; its Terminated ends the call (#onSipState).
      this.#answerProblem = `the ACK's answer has no ${this.#codec} (the codec offered)`;
      throw error;
    }
    try {
      this.#security.answered(answer);
    } catch (error) {
      this.#answerProblem = `the ACK's answer: ${(error as Error).message}`;
      throw error;
    }
    this.#offer = answer;
    this.#hold.take(answer);
    this.#connectFar();
  }

  /**
   * Points the relay at the PBX's last usable media address (MediaDirectionState): never at c=0.0.0.0, which
   * would send mediasoup's RTCP to this host; none yet, the relay waits for a re-INVITE's (review s22 #11).
   */
  #connectFar(): void {
    const far = this.#hold.far;
    if (far) this.#relay?.connectRemote({ address: far.address, rtpPort: far.rtpPort, rtcpPort: far.rtcpPort, payloadType: far.payloadType }, STATIC_PT[far.codec]!);
  }

  #hangupCall(): void {
    const call = this.#call;
    if (call && !call.ended) void this.#opts.calls.hangup(call.id, this.participantId).catch(() => undefined);
  }

  /** A door station's H.264 video (its offer's first format the router forwards); otherwise the call stays audio-only, logged why. */
  async #openVideo(): Promise<void> {
    if (!this.#station?.video || !this.#in.invitation.body) return;
    const verdict = readVideoOffer(this.#in.invitation.body, this.#opts.videoEntries ?? []);
    if (verdict.kind === 'unsupported') {
      this.#opts.logger.warn({ account: this.#in.accountId, reason: verdict.reason, offered: verdict.offered }, 'sip: the door station\'s video cannot be shown (audio only) / Video der Türstation nicht darstellbar (nur Ton)');
    }
    if (verdict.kind !== 'video') return;
    this.#video = await StationVideo.open(verdict.offer, this.#opts.bindAddress, this.#opts.rtpPorts);
  }

  /** The door station calling (undefined: a PBX's call). */
  get stationId(): string | undefined { return this.#station?.stationId; }

  /** The station's video producer (undefined: none). */
  get video(): StationVideo | undefined { return this.#video; }

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

  /** The caller's media: a plain transport behind the relay, producing what the PBX sends, consuming the desk's audio. */
  async #joinMedia(call: Call): Promise<void> {
    const media = call.media;
    const relay = this.#relay!;
    const codec = this.#codec!;
    if (!media || media.closed) return;
    const plain = await media.createPlainTransport(this.participantId, { ip: '127.0.0.1', comedia: false });
    this.#transportId = plain.id;
    await media.connectPlain(this.participantId, plain.id, relay.innerAddress);
    if (this.#closed || media.closed) return;
    relay.connectSfu({ ip: plain.ip, port: plain.port });
    // A late offer's far end is known only from the ACK (#takeAnswer), a held one's (c=0.0.0.0) from a later re-INVITE.
    this.#connectFar();
    media.observer.on('newproducer', this.#onProducer);
    for (const p of media.producersFor(this.participantId)) this.#onProducer(p);
    this.#producerId = await media.produce(this.participantId, plain.id, 'audio', {
      codecs: [{ mimeType: codec, payloadType: STATIC_PT[codec]!, clockRate: 8000 }],
      encodings: [{ ssrc: relay.ssrc }],
    });
    await this.#joinVideo(media);
  }

  /**
   * The station's video is optional: when it cannot join (mediasoup refusing its parameters, a transport over
   * the limit) the call goes on audio-only — the relay closed, the answer's m=video refused with port 0.
   */
  async #joinVideo(media: CallMedia): Promise<void> {
    const video = this.#video;
    if (!video) return;
    try {
      await video.join(media, this.participantId);
    } catch (error) {
      this.#opts.logger.warn({ account: this.#in.accountId, reason: 'sip.station-video', err: error }, 'sip: the door station\'s video could not join (audio only) / Video der Türstation nicht verbunden (nur Ton)');
      video.close();
      this.#video = undefined;
    }
  }

  /** Consumes the audio of a participant in the call (a desk that answered and produces in the telephone's codec). */
  readonly #onProducer = (p: ProducerInfo): void => {
    const media = this.#call?.media;
    if (!media || media.closed || !this.#transportId || p.participantId === this.participantId || p.kind !== 'audio') return;
    // A desk that only rings is not heard (its producer is the desks' business until it answers).
    if (!media.participant(p.participantId)?.inCall || this.#consuming.has(p.producerId)) return;
    this.#consuming.add(p.producerId);
    media.consume(this.participantId, this.#transportId, p.producerId)
      // Held (our side recvonly or inactive): the consumer stays paused until the PBX takes the call back.
      .then((consumer) => (sendsToPhone(this.#hold.ours) ? media.resume(this.participantId, consumer.id) : undefined))
      // Another codec (the desk's opus before it produced again): not for a telephone.
      .catch(() => this.#consuming.delete(p.producerId));
  };

  /** sip.js's view of the media: the PBX's offer is read already (or comes in the ACK); our SDP names the relay and the one codec. */
  #sessionDescriptionHandler(): SessionDescriptionHandler {
    const sessionId = String(randomInt(1, 2 ** 47));
    const versioned = sdpVersions();
    return {
      getDescription: async () => {
        const relay = this.#relay;
        const codec = this.#codec;
        if (!relay || !codec) throw new Error('no media for the answer');
        // No offer of the PBX waiting: this SDP is our offer (the PBX's next one answers it), with the keys it has already.
        if (!this.#offerIn) {
          this.#offerOut = true;
          this.#crypto = this.#security.offer();
        }
        this.#offerIn = false;
        const remote = this.#remoteOffer ?? this.#invitation.body ?? '';
        const video = this.#video?.answerSection();
        // Versioned as a whole (RFC 3264 §8): the m-line layout and the video section change the SDP too (review s23 #5).
        const body = versioned((version) => answerOnOffer(remote, writeOffer({
          address: this.#account.advertisedAddress!, rtpPort: relay.rtpPort, rtcpPort: relay.rtcpPort, codecs: [codec], sessionId, version,
          // The direction the offer settled (media-direction.ts; an RFC 2543 hold keeps the previous offer's address, not its direction).
          direction: this.#hold.ours,
          ...this.#crypto,
          // The offer's other m-lines (a station's video) refused with port 0, RFC 3264 §6 (no offer: ours unchanged).
        }), [codec], video));
        return { contentType: 'application/sdp', body };
      },
      // The INVITE's offer was read at start; a late offer's answer comes with the ACK; later ones answer our offer or are the PBX's re-offers.
      setDescription: async (sdp: string) => {
        const answering = this.#offerOut;
        this.#offerOut = false;
        if (this.#lateOffer && !this.#offer) return this.#takeAnswer(sdp);
        if (this.#invitation.state !== 'Established') return;
        if (answering) await this.#answered(sdp);
        else await this.#reoffer(sdp);
      },
      // sip.js: our re-INVITE was refused (491, 422 …), or the PBX's could not be answered: no offer is open any more.
      rollbackDescription: async () => {
        this.#offerOut = false;
        this.#offerIn = false;
      },
      hasDescription: (contentType: string) => contentType === 'application/sdp',
      sendDtmf: () => false,
      close: () => {},
    };
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

  /** Closes the relay and stops listening; the call's media closes with the call. Idempotent. */
  close(): void {
    this.#relay?.close();
    this.#video?.close();
    this.#session?.close();
    if (this.#closed) return;
    this.#closed = true;
    this.#call?.media?.observer.off('newproducer', this.#onProducer);
    this.onClosed?.();
  }
}
