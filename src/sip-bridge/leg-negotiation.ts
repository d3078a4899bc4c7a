// A telephone leg's SDP offer/answer (RFC 3264) as sip.js asks for it: the INVITE's
// offer written from the leg's RTP relay in the account's codecs, the far end's answer
// read back (SRTP agreed on the way, media-security.ts), and once answered a
// re-INVITE's offer (hold, unhold, a moved address) answered in the call's one codec —
// or our own re-offer (a session refresh) keeping it. The leg is sip-leg.ts.
import { randomInt } from 'node:crypto';
import type { Logger } from 'pino';
import type { SessionDescriptionHandler } from 'sip.js';
import type { AudioCodec } from '../calls/index.ts';
import type { RtpRelay } from './rtp-relay.ts';
import { readAnswer, sdpVersions, writeOffer, type AudioAnswer } from './sdp.ts';
import { G711_CODECS, isG711, ourPayloadType, telephoneEventsToOffer, type TelephoneEventFormat } from './audio-codecs.ts';
import { answerFormats, answerOnOffer } from './sdp-answer.ts';
import type { MediaDirectionState } from './media-direction.ts';
import { SrtpRefusedError, type CryptoFields, type LegSecurity } from './media-security.ts';

/** Offered in this order without an account's own list (G.711; mediasoup does not transcode, so the terminal sends what is answered). */
export const OFFERED_CODECS: readonly AudioCodec[] = G711_CODECS;

/** What the negotiation reads of its leg. */
export interface LegNegotiationParts {
  callId: string;
  logger: Logger;
  /** Our direction and the far end's (media-direction.ts). */
  hold: MediaDirectionState;
  /** The leg's relay and its SRTP or plain security, open before the INVITE is made. */
  relay(): RtpRelay | undefined;
  security(): LegSecurity | undefined;
  /** The INVITE was answered (the session is Established). */
  established(): boolean;
  /** The far end moved its media in the dialog (its re-offer, or its answer to ours). */
  farMediaChanged(far: AudioAnswer): Promise<void>;
}

export class LegNegotiation {
  readonly #parts: LegNegotiationParts;
  /** What the INVITE offers (the account's codecs, audio-codecs.ts codecsToOffer); what an answer may pick. */
  offered: readonly AudioCodec[] = OFFERED_CODECS;
  #answer?: AudioAnswer;
  /** The telephone-events our latest offer carried (none made yet: the INVITE's, from `offered`). */
  #eventsOffered?: readonly TelephoneEventFormat[];
  /** The far end's latest offer in the dialog (a re-INVITE's), waiting for our answer, and our a=crypto for it. */
  #remoteOffer?: { sdp: string; keys: CryptoFields };
  /** Our offer is out (the INVITE's, or a re-INVITE's of ours): the next SDP from the far end answers it. */
  #offerOut = false;

  constructor(parts: LegNegotiationParts) {
    this.#parts = parts;
  }

  /** The far end's answer to the INVITE (its codec is the call's), once it came. */
  get answer(): AudioAnswer | undefined { return this.#answer; }

  /** The telephone-events our latest offer carried: the numbers the far end may send keys at (with its answer's). */
  get eventsOffered(): readonly TelephoneEventFormat[] { return this.#eventsOffered ?? telephoneEventsToOffer(this.offered); }

  /**
   * sip.js's view of the leg's media: our offer from the relay, the far end's answer into it;
   * once answered, a re-INVITE's offer (hold, unhold, a moved address) and our answer to it
   * in the call's one codec, laid on the offer's m-lines (RFC 3264 §6).
   */
  handler(address: string): SessionDescriptionHandler {
    const sessionId = String(randomInt(1, 2 ** 47));
    const versioned = sdpVersions();
    return {
      getDescription: async () => {
        const relay = this.#parts.relay()!;
        const remote = this.#remoteOffer;
        this.#remoteOffer = undefined;
        const codec = this.#answer?.codec;
        if (remote !== undefined && codec) {
          const offer = readAnswer(remote.sdp, [codec]);
          // Versioned as a whole (RFC 3264 §8): the offer's m-line layout changes our answer too (review s23 #5).
          const body = versioned((v) => answerOnOffer(remote.sdp, writeOffer({
            address, rtpPort: relay.rtpPort, rtcpPort: relay.rtcpPort, codecs: [codec], sessionId, version: v, direction: this.#parts.hold.ours,
            ...answerFormats(offer), ...remote.keys,
          }), [codec]));
          return { contentType: 'application/sdp', body };
        }
        this.#offerOut = true;
        // Once answered, our own offers (a session refresh) keep the call's codec, opus at the payload type last agreed (review s26 #1).
        const refresh = this.#parts.established() && codec !== undefined;
        const codecs = refresh ? [codec] : [...this.offered];
        const latest = this.#parts.hold.far ?? this.#answer;
        const agreed = refresh && !isG711(codec) ? latest?.payloadType : undefined;
        // Its telephone-events never at the audio's number, and those agreed keep theirs (review s27 #1).
        const kept = refresh && latest?.telephoneEvent !== undefined ? [{ payloadType: latest.telephoneEvent, rate: latest.telephoneEventRate! }] : [];
        const telephoneEvents = telephoneEventsToOffer(codecs, [agreed ?? ourPayloadType(codecs[0]!), ...codecs.slice(1).map(ourPayloadType)], kept);
        this.#eventsOffered = telephoneEvents;
        return {
          contentType: 'application/sdp',
          body: versioned((v) => writeOffer({
            address, rtpPort: relay.rtpPort, rtcpPort: relay.rtcpPort, codecs, sessionId, version: v, telephoneEvents,
            ...(agreed === undefined ? {} : { payloadTypes: { [codec!]: agreed } }),
            ...this.#parts.security()!.offer(),
          })),
        };
      },
      setDescription: async (sdp: string) => {
        const answering = this.#offerOut;
        this.#offerOut = false;
        if (!this.#parts.established()) {
          const answer = readAnswer(sdp, this.offered);
          this.#secured(() => this.#parts.security()!.answered(answer));
          this.#answer = answer;
          return;
        }
        // In the dialog: the far end's re-offer (or its answer to ours) in the call's codec; another codec is refused (sip.js: 488).
        const codec = this.#answer!.codec;
        const far = readAnswer(sdp, [codec]);
        if (answering) this.#secured(() => this.#parts.security()!.answered(far));
        // SRTP is negotiated before the relay follows the offer: a refused one (sip.js: 488) leaves the media as it was (review s22 #5).
        else this.#remoteOffer = { sdp, keys: this.#secured(() => this.#parts.security()!.answer(far)) };
        await this.#parts.farMediaChanged(far);
      },
      // sip.js: our re-INVITE was refused (491, 422 …): its answer will not come.
      rollbackDescription: async () => { this.#offerOut = false; },
      hasDescription: (contentType: string) => contentType === 'application/sdp',
      sendDtmf: () => false,
      close: () => {},
    };
  }

  /** A negotiation step of SRTP; a refusal is logged by its reason (never a key) and thrown on (sip.js: BYE or 488). */
  #secured<T>(step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof SrtpRefusedError) {
        this.#parts.logger.warn({ callId: this.#parts.callId, reason: error.refusal, attributes: error.attributes }, 'sip: SRTP not agreed with the phone, the call ends / SRTP mit dem Telefon nicht ausgehandelt, der Anruf endet');
      }
      throw error;
    }
  }
}
