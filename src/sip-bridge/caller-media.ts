// The media of a call from the PBX (sip-inbound.ts): the caller's SDP offer read
// (G.711, or opus where the account lists it first; SRTP or plain; or none — a late offer, RFC 3261 §13.2.1 — and then its
// answer in the ACK), the RTP relay and a door station's video opened, the caller
// joined to the call's media as a plain-RTP participant (producing what the PBX
// sends, consuming the desk's audio), and sip.js's view of it all: our answer or
// offer written from the relay, the PBX's later offers (hold, back, a new
// address) and answers followed in mediasoup.
import { randomInt } from 'node:crypto';
import type { Invitation, SessionDescriptionHandler } from 'sip.js';
import type { AudioCodec, Call, CallMedia, ProducerInfo } from '../calls/index.ts';
import { RtpRelay } from './rtp-relay.ts';
import { readAnswer, sdpVersions, writeOffer, type AudioAnswer, type Direction } from './sdp.ts';
import { G711_CODECS, clockRateOf, isG711, lateOfferCodecOf, producerCodec } from './audio-codecs.ts';
import { StationVideo } from './station-video.ts';
import { readVideoOffer } from './video-sdp.ts';
import { answerOnOffer } from './sdp-answer.ts';
import { LegSecurity, SrtpRefusedError, type CryptoFields, type LegMedia } from './media-security.ts';
import { MediaDirectionState, applyDirection, consumeForPhone } from './media-direction.ts';
import type { CallEndpoint, InboundCallsOptions } from './sip-inbound.ts';

export interface CallerMediaOptions {
  invitation: Invitation;
  endpoint: CallEndpoint;
  accountId: string;
  participantId: string;
  /** A door station's call: its H.264 video is taken. */
  stationVideo: boolean;
  /** The call once started (its media, for the log). */
  call(): Call | undefined;
  /** The PBX moved the answered call's media (hold, back): our direction now, applied in mediasoup. */
  direction(direction: Direction): void;
}

export class CallerMedia {
  readonly #o: CallerMediaOptions;
  readonly #opts: InboundCallsOptions;
  readonly #consuming = new Set<string>();
  #relay?: RtpRelay;
  /** A door station's video in the call (none: audio only). */
  #video?: StationVideo;
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
  /** Why a late offer's answer was refused (for the log line once sip.js ended the session). */
  #answerProblem?: string;
  #transportId?: string;
  #producerId?: string;
  /** Our direction (what the last offer/answer said): whether the phone hears the call and is heard. */
  readonly #hold = new MediaDirectionState();

  constructor(o: CallerMediaOptions, opts: InboundCallsOptions) {
    this.#o = o;
    this.#opts = opts;
    this.#security = new LegSecurity(o.endpoint.srtp ?? { mode: 'off', tls: false });
  }

  get relay(): RtpRelay | undefined { return this.#relay; }
  /** What the call's media travels as toward the PBX: 'rtp' is a plain leg. */
  get media(): LegMedia { return this.#security.media; }
  /** The call's codec, once the INVITE was read. */
  get codec(): AudioCodec | undefined { return this.#codec; }
  /** The station's video producer (undefined: none). */
  get video(): StationVideo | undefined { return this.#video; }
  /** Our offer went out in the 200 (late offer) and no usable answer came yet. */
  get awaitsAnswer(): boolean { return this.#lateOffer && !this.#offer; }
  /** Why a late offer's answer was refused, if it was. */
  get answerProblem(): string | undefined { return this.#answerProblem; }

  /** Reads the INVITE's offer (or notes a late offer); the reason to refuse it with 488, or undefined. */
  readInvite(): string | undefined {
    const { invitation, accountId } = this.#o;
    if (!invitation.body?.trim()) {
      this.#lateOffer = true;
      this.#codec = lateOfferCodecOf(this.#opts.lateOfferCodec ?? 'audio/PCMA', this.#o.endpoint.codecs);
      this.#crypto = this.#security.offer();
      return undefined;
    }
    try {
      // The offer's order decides (as RFC 3264 has it), but an account with opus first takes opus wherever offered.
      const codecs = this.#o.endpoint.codecs ?? G711_CODECS;
      this.#offer = readAnswer(invitation.body, codecs, codecs[0] === 'audio/opus' ? 'audio/opus' : undefined);
      this.#codec = this.#offer.codec;
      this.#hold.take(this.#offer);
      this.#offerIn = true;
    } catch {
      return 'no codec of ours in the offer';
    }
    try {
      this.#crypto = this.#security.answer(this.#offer);
    } catch (error) {
      if (!(error instanceof SrtpRefusedError)) throw error;
      this.#opts.logger.warn({ account: accountId, reason: error.refusal, attributes: error.attributes }, 'sip: SRTP not agreed with the caller / SRTP mit dem Anrufer nicht ausgehandelt');
      return error.refusal;
    }
    return undefined;
  }

  /** Opens the RTP relay toward the PBX. */
  async openRelay(): Promise<void> {
    this.#relay = await RtpRelay.open(this.#opts.bindAddress, this.#opts.rtpPorts);
    this.#security.bind(this.#relay);
  }

  /** A door station's H.264 video (its offer's first format the router forwards); otherwise the call stays audio-only, logged why. */
  async openVideo(): Promise<void> {
    const body = this.#o.invitation.body;
    if (!this.#o.stationVideo || !body) return;
    const verdict = readVideoOffer(body, this.#opts.videoEntries ?? []);
    if (verdict.kind === 'unsupported') {
      this.#opts.logger.warn({ account: this.#o.accountId, reason: verdict.reason, offered: verdict.offered }, 'sip: the door station\'s video cannot be shown (audio only) / Video der Türstation nicht darstellbar (nur Ton)');
    }
    if (verdict.kind !== 'video') return;
    this.#video = await StationVideo.open(verdict.offer, this.#opts.bindAddress, this.#opts.rtpPorts);
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
    this.#protection();
    await this.#farMedia(offer);
  }

  /**
   * The PBX's answer to our offer in the dialog (our session refresh, a re-INVITE without SDP): its key, new or
   * not, decrypts from now on while ours stays (RFC 4568 §7.1.4; review s22 #24), its media is followed.
   */
  async #answered(sdp: string): Promise<void> {
    const answer = readAnswer(sdp, [this.#codec!]);
    this.#security.answered(answer);
    this.#protection();
    await this.#farMedia(answer);
  }

  /** The call learns the caller's media once more: a PBX's SDP in the dialog may add or drop SRTP (Call.protect tells a change only). */
  #protection(): void {
    this.#o.call()?.protect(this.#o.participantId, this.media);
  }

  /** The PBX's SDP in the dialog: the relay follows its address, mediasoup our direction. */
  async #farMedia(far: AudioAnswer): Promise<void> {
    const change = this.#hold.take(far);
    if (change.moved) this.#connectFar();
    if (!change.changed) return;
    const call = this.#o.call();
    const media = call?.media;
    if (media) await applyDirection(media, this.#o.participantId, this.#producerId, change.ours);
    this.#opts.logger.info({ account: this.#o.accountId, callId: call?.id, direction: change.ours }, 'sip: the caller changed the call\'s media (hold) / Anrufer hat die Medien geändert (Halten)');
    this.#o.direction(change.ours);
  }

  /** A late offer's answer (in the ACK): where the PBX hears, in our one codec; else the call ends. */
  #takeAnswer(sdp: string): void {
    if (!this.#lateOffer || this.#offer) return;
    let answer: AudioAnswer;
    try {
      answer = readAnswer(sdp, [this.#codec!]);
    } catch (error) {
      // sip.js ends the session with BYE and Reason: SIP;cause=488; its Terminated ends the call (InboundSipCall).
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
    // Now the call learns whether the caller's media is encrypted (the offer in our 200 left it open).
    this.#protection();
  }

  /**
   * Points the relay at the PBX's last usable media address (MediaDirectionState): never at c=0.0.0.0, which
   * would send mediasoup's RTCP to this host; none yet, the relay waits for a re-INVITE's (review s22 #11).
   */
  #connectFar(): void {
    const far = this.#hold.far;
    if (far) this.#relay?.connectRemote({ address: far.address, rtpPort: far.rtpPort, rtcpPort: far.rtcpPort, payloadType: far.payloadType, clockRate: clockRateOf(far.codec) }, producerCodec(far.codec).payloadType);
  }

  /** The caller's media: a plain transport behind the relay, producing what the PBX sends, consuming the desk's audio. */
  async join(call: Call): Promise<void> {
    const media = call.media;
    const relay = this.#relay!;
    const codec = this.#codec!;
    const participantId = this.#o.participantId;
    if (!media || media.closed) return;
    const plain = await media.createPlainTransport(participantId, { ip: '127.0.0.1', comedia: false });
    this.#transportId = plain.id;
    await media.connectPlain(participantId, plain.id, relay.innerAddress);
    if (relay.closed || media.closed) return;
    relay.connectSfu({ ip: plain.ip, port: plain.port });
    // The PBX's (or station's) receiver reports on our audio go to the call's media (a quality monitor listens).
    relay.rtcp.on('report', (report) => { if (!media.closed) media.farEndReport(participantId, report); });
    // A late offer's far end is known only from the ACK (#takeAnswer), a held one's (c=0.0.0.0) from a later re-INVITE.
    this.#connectFar();
    media.observer.on('newproducer', this.#onProducer);
    for (const p of media.producersFor(participantId)) this.#onProducer(p);
    this.#producerId = await media.produce(participantId, plain.id, 'audio', {
      codecs: [producerCodec(codec)],
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
      await video.join(media, this.#o.participantId);
    } catch (error) {
      this.#opts.logger.warn({ account: this.#o.accountId, reason: 'sip.station-video', err: error }, 'sip: the door station\'s video could not join (audio only) / Video der Türstation nicht verbunden (nur Ton)');
      video.close();
      this.#video = undefined;
    }
  }

  /** Consumes the audio of a participant in the call (a desk that answered and produces in the telephone's codec). */
  readonly #onProducer = (p: ProducerInfo): void => {
    const media = this.#o.call()?.media;
    const participantId = this.#o.participantId;
    if (!media || media.closed || !this.#transportId || p.participantId === participantId || p.kind !== 'audio') return;
    // A desk that only rings is not heard (its producer is the desks' business until it answers).
    if (!media.participant(p.participantId)?.inCall || this.#consuming.has(p.producerId)) return;
    consumeForPhone(media, { participantId, transportId: this.#transportId }, p.producerId, this.#consuming, () => this.#hold.ours);
  };

  /** sip.js's view of the media: the PBX's offer is read already (or comes in the ACK); our SDP names the relay and the one codec. */
  sessionDescriptionHandler(): SessionDescriptionHandler {
    const sessionId = String(randomInt(1, 2 ** 47));
    const versioned = sdpVersions();
    const invitation = this.#o.invitation;
    return {
      getDescription: async () => {
        const relay = this.#relay;
        const codec = this.#codec;
        if (!relay || !codec) throw new Error('no media for the answer');
        const answering = this.#offerIn;
        // No offer of the PBX waiting: this SDP is our offer (the PBX's next one answers it), with the keys it has already.
        if (!answering) {
          this.#offerOut = true;
          this.#crypto = this.#security.offer();
        }
        this.#offerIn = false;
        const remote = this.#remoteOffer ?? invitation.body ?? '';
        // opus keeps the payload type of the offer answered (else the one last agreed, review s26 #1); G.711's are static.
        const pt = answering && remote.trim() ? readAnswer(remote, [codec]).payloadType : this.#hold.far?.payloadType ?? this.#offer?.payloadType;
        const video = this.#video?.answerSection();
        // Versioned as a whole (RFC 3264 §8): the m-line layout and the video section change the SDP too (review s23 #5).
        const body = versioned((version) => answerOnOffer(remote, writeOffer({
          address: this.#o.endpoint.advertisedAddress!, rtpPort: relay.rtpPort, rtcpPort: relay.rtcpPort, codecs: [codec], sessionId, version,
          ...(isG711(codec) || pt === undefined ? {} : { payloadTypes: { [codec]: pt } }),
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
        if (invitation.state !== 'Established') return;
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

  /** Closes the relay and the video and stops consuming; the call's media closes with the call. Idempotent. */
  close(): void {
    this.#relay?.close();
    this.#video?.close();
    this.#o.call()?.media?.observer.off('newproducer', this.#onProducer);
  }
}
