// The SIP bridge's telephone legs (the calls component's PhoneLeg): an
// outbound INVITE through the route's SIP account, its SDP written from the
// leg's RTP relay in front of a mediasoup PlainTransport, the far end's answer
// read back, and the leg's media joined to the call as a plain-RTP participant of
// kind `sip`: it produces what the far end sends and consumes the others' audio
// in the negotiated codec (G.711, or opus where the account offers it). Early media (a 183 with SDP: the PBX's
// ringback or announcement) is produced before the answer, so the visitor hears
// it while the terminal still shows ringing; nothing is sent to the far end
// before the answer. The keys the far end presses (SIP INFO or RFC 4733 in its
// RTP) are reported to the call, which owns the door code. The driver that
// rings these legs is sip-leg-driver.ts; the SDP offer/answer, re-INVITEs
// included, is leg-negotiation.ts.
import type { SessionState, Inviter, Info, Referral } from 'sip.js';
import type {
  AudioCodec, DoorCodePolicy, DtmfDigit, PhoneLeg, PhoneLegFailure, PhoneLegHandlers, PhoneLegRequest, ProducerInfo,
} from '../calls/index.ts';
import { RtpRelay } from './rtp-relay.ts';
import type { RtpWatch } from './rtp-watch.ts';
import { readAnswer, type AudioAnswer, type Direction } from './sdp.ts';
import { clockRateOf, codecsToOffer, producerCodec } from './audio-codecs.ts';
import { LegNegotiation } from './leg-negotiation.ts';
import { MediaDirectionState, applyDirection, consumeForPhone } from './media-direction.ts';
import { sessionExpiresOf, type SessionExpires, type SessionTimer } from './session-timer.ts';
import type { SipLegSession } from './sip-leg-session.ts';
import { keepLegSession, watchLegMedia } from './leg-watches.ts';
import { answerDtmfInfo } from './dtmf-info.ts';
import { DtmfWay, type DtmfVia } from './dtmf-way.ts';
import { LegSecurity, type LegMedia } from './media-security.ts';
import type { SipLegDriverOptions } from './sip-leg-driver.ts';

export { OFFERED_CODECS } from './leg-negotiation.ts';

/** A final answer's status code → the leg's outcome (RFC 3261 §21; 600 Busy Everywhere counts as busy). */
export function outcomeOf(status: number): PhoneLegFailure {
  if (status === 486 || status === 600) return 'busy';
  if (status === 603) return 'declined';
  if (status === 408 || status === 480 || status === 487) return 'no-answer';
  return 'failed';
}

/**
 * An attended transfer's headers (RFC 3891): the dialog the target swaps for this leg, and `Require: replaces` — a
 * target that cannot replace refuses (420) and the call stays with the transferor, instead of ringing as a
 * second, unrelated call while the consult call goes on.
 */
function replacing(replaces: string | undefined): string[] {
  return replaces === undefined ? [] : [`Replaces: ${replaces}`, 'Require: replaces'];
}

/** One outbound SIP call and its media. */
export class SipLeg implements PhoneLeg {
  readonly #req: PhoneLegRequest;
  readonly #handlers: PhoneLegHandlers;
  readonly #opts: SipLegDriverOptions;
  #relay?: RtpRelay;
  /** SRTP or plain toward the far end (media-security.ts); set once the relay is open. */
  #security?: LegSecurity;
  #transportId?: string;
  #inviter?: Inviter;
  /** The offer/answer of the INVITE and of re-INVITEs either way (leg-negotiation.ts). */
  readonly #sdp: LegNegotiation;
  /** Our direction (what the last offer/answer settled) and the far end's: hold pauses the media and the RTP timeout. */
  readonly #hold = new MediaDirectionState();
  #producerId?: string;
  /** The codec the leg's producer sends (from early media or the answer); undefined until it produced. */
  #producing?: Promise<AudioCodec | undefined>;
  #established = false;
  #watch?: RtpWatch;
  /** RFC 4028: what the 2xx settled (none: the far end did not ask for session timers), and the session once answered. */
  #sessionExpires?: SessionExpires;
  #session?: SipLegSession;
  /** The call left the leg (cancel/hangup): nothing is reported any more. */
  #left = false;
  #closed = false;
  readonly #consuming = new Set<string>();
  /** The way the first key arrived: a PBX that sends both INFO and RFC 4733 must not count each key twice. */
  readonly dtmfWay: DtmfWay;
  readonly doorCode: DoorCodePolicy | null;
  onClosed?: () => void;
  onDirection?: (direction: Direction) => void;
  onSession?: (timer: SessionTimer) => void;
  /** A REFER in the answered dialog (the driver answers it, refer-in.ts). */
  onRefer?: (referral: Referral) => void;

  constructor(req: PhoneLegRequest, handlers: PhoneLegHandlers, opts: SipLegDriverOptions) {
    this.#req = req;
    this.#handlers = handlers;
    this.#opts = opts;
    this.dtmfWay = new DtmfWay(opts.logger, req.callId);
    this.doorCode = req.route.type === 'sip' ? opts.account(req.route.accountId)?.doorCode ?? null : null;
    this.#sdp = new LegNegotiation({
      callId: req.callId, logger: opts.logger, hold: this.#hold,
      relay: () => this.#relay, security: () => this.#security, established: () => this.#established,
      farMediaChanged: (far) => this.#farMediaChanged(far),
    });
  }

  get relay(): RtpRelay | undefined { return this.#relay; }
  get participantId(): string { return this.#req.participantId; }
  /** The dialog's session once the INVITE is made (a REFER in it, refer-in.ts). */
  get session(): Inviter | undefined { return this.#inviter; }
  /** The dialog's Call-ID once the INVITE is made (logs, tests that speak into the dialog). */
  get sipCallId(): string | undefined { return this.#inviter?.request.callId; }
  /** The far end holds the call (its SDP says sendonly, recvonly or inactive, or c=0.0.0.0): no media expected from it. */
  get held(): boolean { return this.#hold.held; }
  /** Our media direction now (sendrecv, or what answers the far end's hold). */
  get direction(): Direction { return this.#hold.ours; }
  /** What the leg's media travels as toward the far end: 'rtp' is a plain leg. */
  get media(): LegMedia { return this.#security?.media ?? 'rtp'; }

  async start(): Promise<void> {
    const { route, media, participantId } = this.#req;
    if (route.type !== 'sip') return this.#fail('failed', 'not a sip route');
    const account = this.#opts.account(route.accountId);
    if (!account) return this.#fail('failed', `sip account ${route.accountId} missing`);
    try {
      this.#sdp.offered = codecsToOffer(account.codecs, media.participants(), participantId);
      // Preparing until it answers (the quality monitor samples participants only): the answer admits it.
      media.join({ id: participantId, kind: 'sip', audioCodec: this.#sdp.offered[0], preparing: true });
      this.#relay = await RtpRelay.open(this.#opts.bindAddress, this.#opts.rtpPorts);
      this.#security = new LegSecurity(account.srtp, this.#relay);
      if (this.#left) return this.#close();
      const plain = await media.createPlainTransport(participantId, { ip: '127.0.0.1', comedia: false });
      this.#transportId = plain.id;
      if (this.#left) return this.#close();
      await media.connectPlain(participantId, plain.id, this.#relay.innerAddress);
      this.#relay.connectSfu({ ip: plain.ip, port: plain.port });
      // The phone's receiver reports on our audio go to the call's media (a quality monitor listens): the SFU never sees them.
      this.#relay.rtcp.on('report', (report) => { if (!media.closed) media.farEndReport(participantId, report); });
      if (this.#left) return this.#close();
      const inviter = account.inviter(route.user, this.#sdp.handler(account.advertisedAddress!), replacing(this.#req.replaces));
      this.#inviter = inviter;
      inviter.delegate = { onInfo: (info) => this.#onInfo(info), onRefer: (referral) => this.onRefer?.(referral) };
      inviter.stateChange.addListener((state) => this.#onState(state));
      await inviter.invite({
        requestDelegate: {
          onProgress: (response) => {
            const code = response.message.statusCode;
            if (code === 180 || code === 183) this.#report(() => this.#handlers.ringing());
            if (code === 183 && response.message.body) this.#earlyMedia(response.message.body);
          },
          // sip.js calls this once the session is Established (its state event came first).
          onAccept: (response) => {
            this.#sessionExpires = sessionExpiresOf(response.message);
            this.#startSessionTimer();
          },
          onReject: (response) => {
            const code = response.message.statusCode ?? 500;
            this.#fail(outcomeOf(code), `sip ${code}`);
          },
        },
      });
    } catch (error) {
      this.#opts.logger.warn({ err: error, callId: this.#req.callId }, 'sip: the outbound call could not start / Anruf konnte nicht beginnen');
      this.#fail('failed', 'sip no-invite');
    }
  }

  #onState(state: SessionState): void {
    if (state === 'Established' && !this.#established) {
      this.#established = true;
      this.#keepSession();
      this.#startSessionTimer();
      void this.#connected().catch((error: unknown) => {
        this.#opts.logger.warn({ err: error, callId: this.#req.callId }, 'sip: the answered call has no media / Anruf ohne Medien');
        this.hangup();
        this.#report(() => this.#handlers.ended());
      });
      return;
    }
    if (state !== 'Terminated') return;
    // The far end hung up (BYE), or sip.js ended it (an answer without usable SDP gets ACK and BYE).
    if (this.#established) {
      this.#report(() => this.#handlers.ended());
      this.#close();
      return;
    }
    // A final failure: sip.js ends the session just before it hands the response to onReject (same turn), which names the outcome.
    queueMicrotask(() => this.#fail('failed', 'sip terminated'));
  }

  /**
   * A 183 with SDP before the answer: what the far end sends (ringback, an
   * announcement) is produced now, so the call's participants hear it while the
   * leg still rings; the leg consumes nothing before the answer. An SDP without
   * usable G.711 is ignored (the 200's answer decides).
   */
  #earlyMedia(sdp: string): void {
    if (this.#established || this.#left || this.#producing) return;
    let early: AudioAnswer;
    try {
      early = readAnswer(sdp, this.#sdp.offered);
      this.#security?.answered(early);
    } catch {
      return;
    }
    // Where it sends from is where it listens, unless c=0.0.0.0 (then nowhere yet; #hear).
    this.#hold.take(early);
    // The participants switch to its codec first, so they may consume its producer when it is announced.
    this.#report(() => this.#handlers.earlyMedia?.(early.codec));
    void this.#hear(early).catch((error: unknown) => {
      this.#opts.logger.warn({ err: error, callId: this.#req.callId }, 'sip: early media could not start / Early Media konnte nicht starten');
    });
  }

  /** Hears the far end at the answer's address and produces what it sends, in the answer's codec (once per codec). */
  async #hear(answer: AudioAnswer): Promise<void> {
    const relay = this.#relay;
    const { media, participantId } = this.#req;
    if (!relay || !this.#transportId || this.#left || media.closed) return;
    const telephoneEvents = this.#eventPayloadTypes(answer);
    relay.ondigit = (digit) => this.#digit(digit, 'rfc4733');
    // The far end's last usable address (MediaDirectionState): never c=0.0.0.0, which would send mediasoup's
    // RTCP to this host; none yet, the relay waits for a re-INVITE's (review s22 #11).
    const far = this.#hold.far;
    if (far) relay.connectRemote({ address: far.address, rtpPort: far.rtpPort, rtcpPort: far.rtcpPort, payloadType: far.payloadType, telephoneEvents, clockRate: clockRateOf(far.codec) }, producerCodec(far.codec).payloadType);
    // Another codec than early media's closes that producer (SfuCallMedia.setAudioCodec): produce again.
    media.setAudioCodec(participantId, answer.codec);
    const before = this.#producing;
    if (before && (await before.catch(() => undefined)) === answer.codec) return;
    const producing = media.produce(participantId, this.#transportId, 'audio', {
      codecs: [producerCodec(answer.codec)],
      encodings: [{ ssrc: relay.ssrc }],
    }).then((producerId) => {
      this.#producerId = producerId;
      return answer.codec;
    });
    this.#producing = producing;
    await producing;
  }

  /**
   * The telephone-events the relay reads from the far end: the numbers our latest offer carried (101/8000, with opus
   * 110/48000, or others where the audio has those, review s27 #1) and the one the answer gave at the rate it chose
   * (RFC 3264 lets the far end send either), never the audio's own.
   * The keys are read in Node whatever the rate (telephone-event.ts); Portier sends none in RTP.
   */
  #eventPayloadTypes(answer: AudioAnswer): number[] {
    const offered = this.#sdp.eventsOffered.map((e) => e.payloadType);
    const answered = answer.telephoneEvent === undefined ? [] : [answer.telephoneEvent];
    return [...new Set([...offered, ...answered])].filter((pt) => pt !== answer.payloadType);
  }

  /**
   * The far end moved its media in the dialog (RFC 3264 §8): hold (sendonly, inactive, c=0.0.0.0) or back,
   * or a new address. Our direction answers it and mediasoup pauses or resumes the phone's media
   * before the 200 leaves (media-direction.ts); the RTP timeout sleeps while held.
   */
  async #farMediaChanged(far: AudioAnswer): Promise<void> {
    // Its SDP may have added or dropped SRTP (media-security.ts): the call is told a change.
    this.#report(() => this.#handlers.protection?.(this.media));
    const change = this.#hold.take(far);
    if (change.moved) {
      const telephoneEvents = this.#eventPayloadTypes(far);
      this.#relay?.connectRemote({ address: far.address, rtpPort: far.rtpPort, rtcpPort: far.rtcpPort, payloadType: far.payloadType, telephoneEvents, clockRate: clockRateOf(far.codec) }, producerCodec(far.codec).payloadType);
      // Keys are heard from the new media source only.
      this.#relay?.latchFarEnd();
    }
    if (!change.changed) return;
    await applyDirection(this.#req.media, this.#req.participantId, this.#producerId, change.ours);
    this.#opts.logger.info({ callId: this.#req.callId, direction: change.ours }, 'sip: the phone changed the call\'s media (hold) / Telefon hat die Medien geändert (Halten)');
    this.onDirection?.(change.ours);
  }

  /** Answered: the codec is settled, the call learns it, then the leg consumes the others and produces (unless early media did). */
  async #connected(): Promise<void> {
    const answer = this.#sdp.answer;
    const { media, participantId } = this.#req;
    if (!answer || !this.#relay || !this.#transportId || this.#left || media.closed) return;
    // Keys are heard only from the answered audio's source (port and SSRC of its first packet, rtp-relay.ts).
    this.#relay.latchFarEnd();
    // A phone that answers on hold (sendonly, inactive): its consumers start paused, the RTP timeout sleeps.
    this.#hold.take(answer);
    const hearing = this.#hear(answer);
    this.#report(() => this.#handlers.answered(answer.codec, this.media));
    // The call hung up this leg at its answer (a PBX's move the media refused, review s26 #2): it consumes nothing.
    if (this.#left) {
      await hearing.catch(() => undefined);
      return;
    }
    media.observer.on('newproducer', this.#onProducer);
    for (const p of media.producersFor(participantId)) this.#onProducer(p);
    this.#watchMedia();
    await hearing;
  }

  /** Consumes another participant's audio once it is in the leg's codec (the terminal produces again in it). */
  readonly #onProducer = (p: ProducerInfo): void => {
    const { media, participantId } = this.#req;
    if (p.participantId === participantId || p.kind !== 'audio' || this.#consuming.has(p.producerId) || !this.#transportId || media.closed) return;
    consumeForPhone(media, { participantId, transportId: this.#transportId }, p.producerId, this.#consuming, () => this.#hold.ours);
  };

  /** An INFO in the dialog (sip.js hands over only those of an established session), answered by dtmf-info.ts: a key goes to the call. */
  #onInfo(info: Info): void {
    const digit = answerDtmfInfo(info);
    if (digit) this.#digit(digit, 'info');
  }

  /** A key from the answered far end goes to the call (never logged: it may be the door code). */
  #digit(digit: DtmfDigit, via: DtmfVia): void {
    if (!this.#established || this.#left) return;
    if (!this.dtmfWay.admits(via)) return;
    try {
      this.#handlers.dtmf?.(digit);
    } catch (error) {
      this.#opts.logger.error({ err: error, callId: this.#req.callId }, 'sip: a DTMF listener threw');
    }
  }

  #report(fn: () => void): void {
    if (!this.#left) fn();
  }

  #fail(outcome: PhoneLegFailure, detail: string): void {
    if (this.#established) return;
    this.#report(() => this.#handlers.failed(outcome, detail));
    this.#left = true;
    this.#close();
  }

  cancel(): void {
    if (this.#left && this.#closed) return;
    this.#left = true;
    const inviter = this.#inviter;
    if (inviter?.state === 'Established') void inviter.bye().catch(() => undefined);
    else if (inviter && (inviter.state === 'Initial' || inviter.state === 'Establishing')) void inviter.cancel().catch(() => undefined);
    this.#close();
  }

  hangup(): void {
    this.cancel();
  }

  /** Session timers (RFC 4028) as the 2xx settled them, and UPDATE answered (leg-watches.ts). */
  #keepSession(): void {
    const inviter = this.#inviter;
    if (!inviter || this.#session) return;
    this.#session = keepLegSession(inviter, this.#opts, this.#req.callId, {
      refreshed: (timer) => this.onSession?.(timer),
      expired: () => this.#report(() => this.#handlers.sessionExpired?.()),
    });
  }

  /** The timer the 2xx asked for (none: the far end wants no session timers); once, after the answer. */
  #startSessionTimer(): void {
    const granted = this.#sessionExpires;
    if (!granted || !this.#established || this.#left) return;
    // We sent the INVITE (uac): a 2xx without refresher leaves it to us (refreshing never hurts).
    this.#session?.start(granted, (granted.refresher ?? 'uac') === 'uac');
  }

  /** The RTP timeout (leg-watches.ts), once answered. */
  #watchMedia(): void {
    if (!this.#relay || this.#watch) return;
    this.#watch = watchLegMedia(this.#relay, this.#opts, this.#req.callId, () => this.held, () => this.#report(() => this.#handlers.mediaTimeout?.()));
  }

  #close(): void {
    this.#watch?.close();
    this.#session?.close();
    // Before the guard: a relay that finished opening after the leg closed is closed by start()'s next call.
    this.#relay?.close();
    if (this.#closed) return;
    this.#closed = true;
    this.#left = true;
    const { media, participantId } = this.#req;
    media.observer.off('newproducer', this.#onProducer);
    if (!media.closed) media.leave(participantId);
    this.onClosed?.();
  }
}
