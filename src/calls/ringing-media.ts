// What a desk that is being rung may do with the call's media before it answers
// (so answering costs little more than the bare SFU): load the router's
// capabilities, create and connect its transports, and consume the visitor's
// producers — paused. The session resumes them when that desk answers; the
// visitor's video reaches a ringing desk only where the site allows a preview.
// A ringing desk may produce too (so its send transport connects before the
// answer); the call's participants may consume that producer at once (so the
// terminal's receive transport connects before the answer), but every such
// consumer stays paused until that desk answered.
import type { CallMedia, ProducerInfo } from './media-port.ts';

export class RingingMedia {
  /** callId → the desk the consumers wait for → consumers (of whichever participant) resumed when it answers. */
  readonly #held = new Map<string, Map<string, Array<{ owner: string; consumerId: string }>>>();
  /** callId → producers of desks that only ring (announced again when their desk answers). */
  readonly #producers = new Map<string, ProducerInfo[]>();

  holdProducer(callId: string, producer: ProducerInfo): void {
    const list = this.#producers.get(callId) ?? [];
    list.push(producer);
    this.#producers.set(callId, list);
  }

  /** The ringing desk whose producer this is, if it is one. */
  ownerOfProducer(callId: string, producerId: string): string | undefined {
    return this.#producers.get(callId)?.find((p) => p.producerId === producerId)?.participantId;
  }

  #takeProducers(callId: string, userId: string): ProducerInfo[] {
    const list = this.#producers.get(callId) ?? [];
    this.#producers.set(callId, list.filter((p) => p.participantId !== userId));
    return list.filter((p) => p.participantId === userId);
  }

  /** Keeps `owner`'s consumer paused until the desk `waitFor` answers. */
  hold(callId: string, waitFor: string, owner: string, consumerId: string): void {
    let desks = this.#held.get(callId);
    if (!desks) this.#held.set(callId, (desks = new Map()));
    const list = desks.get(waitFor) ?? [];
    list.push({ owner, consumerId });
    desks.set(waitFor, list);
  }

  holds(callId: string, owner: string, consumerId: string): boolean {
    for (const list of this.#held.get(callId)?.values() ?? []) if (list.some((h) => h.owner === owner && h.consumerId === consumerId)) return true;
    return false;
  }

  /**
   * The desk answered: resumes everything that waited for it (a consumer closed
   * meanwhile is skipped); resolves with its producers, to be announced again.
   */
  async answered(callId: string, userId: string, media: CallMedia): Promise<ProducerInfo[]> {
    const held = this.#held.get(callId)?.get(userId) ?? [];
    this.#held.get(callId)?.delete(userId);
    const producers = this.#takeProducers(callId, userId);
    await Promise.all(held.map((h) => media.resume(h.owner, h.consumerId).catch(() => undefined)));
    return producers;
  }

  /** The desk stopped ringing without answering: its prepared media leaves the call (closing what others consumed of it). */
  stopped(callId: string, userId: string, media: CallMedia | null | undefined): void {
    this.#held.get(callId)?.delete(userId);
    this.#takeProducers(callId, userId);
    if (media && !media.closed) media.leave(userId);
  }

  ended(callId: string): void { this.#held.delete(callId); this.#producers.delete(callId); }
}
