// What the pages do with a call's media through its MediaPort — the router's
// capabilities, transports, produce, consume, resume — checked against the
// call: its participants, and a desk the call rings now (which prepares its
// media before the answer: see RingingMedia). Nothing crosses a hold, and a
// ringing desk's media stays paused until it answers.
import { ForbiddenError, NotFoundError, UnavailableError } from '../core/index.ts';
import type { Call } from './call.ts';
import type { CallMedia, ConsumerInfo, MediaParameters, ProducerInfo } from './media-port.ts';
import type { RingingMedia } from './ringing-media.ts';

export interface MediaAccessDeps {
  /** The active call with this id (not-found otherwise). */
  call(callId: string): Call;
  ringingMedia: RingingMedia;
  /** Whether a site's ringing desks see the visitor's video before they answer. */
  ringingPreview?: (siteId: string) => boolean;
}

export class MediaAccess {
  readonly #deps: MediaAccessDeps;

  constructor(deps: MediaAccessDeps) { this.#deps = deps; }

  /**
   * The media of a call for one of its participants, or for a desk the call rings
   * now (which joins the media to prepare it: see RingingMedia); not-found,
   * forbidden or unavailable otherwise.
   */
  mediaOf(callId: string, participantId: string): CallMedia {
    const call = this.#deps.call(callId);
    const ringing = !call.hasParticipant(participantId) && this.#isRinging(call, participantId);
    if (!call.hasParticipant(participantId) && !ringing) throw new ForbiddenError('not your call');
    const media = call.media;
    if (!media || media.closed) throw new UnavailableError('the call has no media');
    // A telephone's call: the desk receives the telephone's codec while it rings (it sends it once it answered).
    if (ringing) media.join({ id: participantId, kind: 'desk', preparing: true, audioCodec: call.phone?.audioCodec });
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
    const call = this.#deps.call(callId);
    const ringing = !call.hasParticipant(participantId);
    const producerId = await media.produce(participantId, transportId, kind, rtpParameters);
    if (ringing && !call.hasParticipant(participantId)) this.#deps.ringingMedia.holdProducer(call.id, { producerId, kind, participantId });
    return producerId;
  }

  /** The producers a participant may consume: a ringing desk only those of the call's participants; none across a hold. */
  producersFor(callId: string, participantId: string): ProducerInfo[] {
    const call = this.#deps.call(callId);
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
    const call = this.#deps.call(callId);
    const ringingMedia = this.#deps.ringingMedia;
    const producer = media.producersFor(participantId).find((p) => p.producerId === producerId);
    // A ringing desk consumes only participants' producers (never another ringing desk's).
    if (producer && !call.hasParticipant(participantId) && !call.hasParticipant(producer.participantId)) throw new NotFoundError(`producer ${producerId} not found`);
    // Nothing crosses a hold (the visitor during a consult): the producer is not there for this participant.
    if (producer && call.separated(participantId, producer.participantId)) throw new NotFoundError(`producer ${producerId} not found`);
    const consumer = await media.consume(participantId, transportId, producerId, rtpCapabilities);
    // Checked after the await: an answer meanwhile lets the consumer's own resume through.
    const ringing = !call.hasParticipant(participantId);
    if (ringing && !(producer?.kind === 'video' && this.#preview(call))) ringingMedia.hold(call.id, participantId, participantId, consumer.id);
    const producerOwner = ringingMedia.ownerOfProducer(call.id, producerId);
    if (producerOwner && !call.hasParticipant(producerOwner)) ringingMedia.hold(call.id, producerOwner, participantId, consumer.id);
    return consumer;
  }

  /** Resumes a consumer; one that waits for a ringing desk's answer stays paused until then (the ack is ok). */
  async resume(callId: string, participantId: string, consumerId: string): Promise<void> {
    const media = this.mediaOf(callId, participantId);
    const call = this.#deps.call(callId);
    if (this.#deps.ringingMedia.holds(call.id, participantId, consumerId)) return;
    // A consumer across a hold stays paused (the ack is ok): the end of the hold resumes it.
    const from = call.held.length > 0 ? media.consumersOf(participantId).find((c) => c.consumerId === consumerId)?.producerParticipantId : undefined;
    if (from && call.separated(participantId, from)) return;
    await media.resume(participantId, consumerId);
  }

  #preview(call: Call): boolean { return this.#deps.ringingPreview?.(call.siteId) ?? false; }
}
