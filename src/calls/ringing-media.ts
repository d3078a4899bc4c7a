// What a desk that is being rung may do with the call's media before it answers
// (so answering costs little more than the bare SFU): load the router's
// capabilities, create and connect its transports, and consume the visitor's
// producers — paused. The session resumes them when that desk answers; the
// visitor's video reaches a ringing desk only where the site allows a preview.
// A ringing desk may produce (so its send transport connects before the
// answer), but its producers are announced, and may be consumed, only once it
// answered.
import type { CallMedia, ProducerInfo } from './media-port.ts';

export class RingingMedia {
  /** callId → desk user → consumers created while ringing, resumed at the answer. */
  readonly #held = new Map<string, Map<string, Set<string>>>();
  /** callId → producers of desks that only ring (not announced, not consumable). */
  readonly #producers = new Map<string, ProducerInfo[]>();

  holdProducer(callId: string, userId: string, producer: ProducerInfo): void {
    const list = this.#producers.get(callId) ?? [];
    list.push({ ...producer, participantId: userId });
    this.#producers.set(callId, list);
  }

  holdsProducer(callId: string, producerId: string): boolean {
    return this.#producers.get(callId)?.some((p) => p.producerId === producerId) ?? false;
  }

  #takeProducers(callId: string, userId: string): ProducerInfo[] {
    const list = this.#producers.get(callId) ?? [];
    this.#producers.set(callId, list.filter((p) => p.participantId !== userId));
    return list.filter((p) => p.participantId === userId);
  }

  /** Remembers a consumer a ringing desk created (it stays paused). */
  hold(callId: string, userId: string, consumerId: string): void {
    let desks = this.#held.get(callId);
    if (!desks) this.#held.set(callId, (desks = new Map()));
    let consumers = desks.get(userId);
    if (!consumers) desks.set(userId, (consumers = new Set()));
    consumers.add(consumerId);
  }

  holds(callId: string, userId: string, consumerId: string): boolean {
    return this.#held.get(callId)?.get(userId)?.has(consumerId) ?? false;
  }

  /**
   * The desk answered: resumes everything it prepared (a consumer closed
   * meanwhile is skipped); resolves with its producers, to be announced now.
   */
  async answered(callId: string, userId: string, media: CallMedia): Promise<ProducerInfo[]> {
    const consumers = this.#held.get(callId)?.get(userId) ?? new Set<string>();
    this.#held.get(callId)?.delete(userId);
    const producers = this.#takeProducers(callId, userId);
    await Promise.all([...consumers].map((id) => media.resume(userId, id).catch(() => undefined)));
    return producers;
  }

  /** The desk stopped ringing without answering: its prepared media leaves the call. */
  stopped(callId: string, userId: string, media: CallMedia | null | undefined): void {
    this.#held.get(callId)?.delete(userId);
    this.#takeProducers(callId, userId);
    if (media && !media.closed) media.leave(userId);
  }

  ended(callId: string): void { this.#held.delete(callId); this.#producers.delete(callId); }
}
