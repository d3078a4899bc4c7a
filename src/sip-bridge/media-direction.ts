// Hold and unhold of a telephone's media, shared by inbound calls and outbound
// legs: what the far end's (re-)offer asks of our side (RFC 3264 §6.1, and the
// RFC 2543 hold by c=0.0.0.0, §8.4) and how mediasoup carries it out — the
// phone's consumers (what it hears) paused while we do not send, its producer
// (what it is heard with) paused while it sends nothing.
import type { CallMedia } from '../calls/index.ts';
import { answerDirection, type AudioAnswer, type Direction } from './sdp.ts';

/** What a far end's SDP asks of the call's media. */
export interface FarMedia {
  /** The far end's direction as it means it: with an unspecified address it receives nothing. */
  far: Direction;
  /** Ours, answering it (RFC 3264 §6.1: sendonly → recvonly, inactive → inactive, never a blind sendrecv). */
  ours: Direction;
  /** c=0.0.0.0 / ::: never an address to send to (a datagram to 0.0.0.0 reaches this host); the previous one stays. */
  unspecified: boolean;
}

/** The direction of a far end whose address is 0.0.0.0: it receives nothing, so it can at most send. */
const receivesNothing = (d: Direction): Direction => (d === 'sendrecv' || d === 'sendonly' ? 'sendonly' : 'inactive');

export function readFarMedia(sdp: AudioAnswer): FarMedia {
  const unspecified = sdp.address === '0.0.0.0' || sdp.address === '::';
  const far = unspecified ? receivesNothing(sdp.direction) : sdp.direction;
  return { far, ours: answerDirection(far), unspecified };
}

/** Whether we send to the phone (it hears the call) with our direction. */
export const sendsToPhone = (ours: Direction): boolean => ours === 'sendrecv' || ours === 'sendonly';
/** Whether we take what the phone sends (the call hears it) with our direction. */
export const hearsPhone = (ours: Direction): boolean => ours === 'sendrecv' || ours === 'recvonly';

/**
 * Applies our direction in mediasoup before the answer leaves: the phone's consumers
 * paused or resumed, its producer (if it produces yet) paused while it is not heard.
 * A step that fails (a consumer closing meanwhile) does not stop the others.
 */
export async function applyDirection(media: CallMedia, participantId: string, producerId: string | undefined, ours: Direction): Promise<void> {
  if (media.closed) return;
  const hears = sendsToPhone(ours);
  const steps = media.consumersOf(participantId)
    .map((c) => (hears ? media.resume(participantId, c.consumerId) : media.pauseConsumer(participantId, c.consumerId)));
  if (producerId) steps.push(media.pauseProducer(participantId, producerId, !hearsPhone(ours)));
  await Promise.all(steps.map((p) => p.catch(() => undefined)));
}

/** What a far end's SDP in the dialog changed (MediaDirectionState.take). */
export interface MediaChange {
  /** Our direction now. */
  ours: Direction;
  /** It differs from before: apply it in mediasoup (applyDirection) and tell the call. */
  changed: boolean;
  /**
   * The far end's media address or port moved (never to 0.0.0.0), or the payload type of the call's codec or of
   * its telephone-event changed (an opus PT re-numbered, RFC 3264 §8.3.2; review s26 #1): point the relay there.
   */
  moved: boolean;
}

/** Whether two SDPs of the far end name the same payload types (the call's codec, its telephone-event). */
const sameFormats = (a: AudioAnswer, b: AudioAnswer): boolean => a.payloadType === b.payloadType && a.telephoneEvent === b.telephoneEvent;

/**
 * The media directions of one telephone's call, inbound call and outbound leg alike (review s21 #26):
 * the far end's media as its latest SDP said (an unspecified address keeps the previous one), its
 * direction, and ours answering it. The callers keep only their relay specifics.
 */
export class MediaDirectionState {
  #far?: AudioAnswer;
  #farDirection: Direction = 'sendrecv';
  #ours: Direction = 'sendrecv';

  /** The far end's media: the address it hears at, as last given; the payload types its latest SDP agreed. */
  get far(): AudioAnswer | undefined { return this.#far; }
  /** Our direction (what the last offer/answer settled). */
  get ours(): Direction { return this.#ours; }
  /** The far end holds the call (sendonly, recvonly, inactive, or c=0.0.0.0): no media expected from it. */
  get held(): boolean { return this.#farDirection !== 'sendrecv'; }

  /** The far end's SDP (its offer or answer): what it asks of our direction and whether its address moved. */
  take(sdp: AudioAnswer): MediaChange {
    const { far, ours, unspecified } = readFarMedia(sdp);
    this.#farDirection = far;
    const before = this.#far;
    // c=0.0.0.0 keeps the previous address, but its payload types are the ones agreed from now on.
    const next = unspecified ? before && { ...sdp, address: before.address, rtpPort: before.rtpPort, rtcpPort: before.rtcpPort, direction: far } : { ...sdp, direction: far };
    const moved = next !== undefined && (before === undefined || next.address !== before.address || next.rtpPort !== before.rtpPort || !sameFormats(next, before));
    this.#far = next;
    const changed = ours !== this.#ours;
    this.#ours = ours;
    return { ours, changed, moved };
  }
}

/**
 * A telephone (an outbound leg or an inbound caller) consumes another participant's audio on its plain transport,
 * once per producer (`consuming`): held (our side recvonly or inactive), the consumer stays paused until the far end
 * takes the call back; one mediasoup refuses (another codec: opus before the other side produced again) is forgotten.
 */
export function consumeForPhone(media: CallMedia, at: { participantId: string; transportId: string }, producerId: string, consuming: Set<string>, ours: () => Direction): void {
  consuming.add(producerId);
  media.consume(at.participantId, at.transportId, producerId)
    .then((consumer) => (sendsToPhone(ours()) ? media.resume(at.participantId, consumer.id) : undefined))
    .catch(() => consuming.delete(producerId));
}
