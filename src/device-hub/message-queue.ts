// The broker's message emitter: aedes' own mqemitter, with its overflow queue
// made O(1). mqemitter 7 keeps messages beyond `concurrency` (aedes: 100) in two
// arrays it `shift()`s once per delivered message; under a publishing burst they
// grow to 10–15 k entries and each shift copies them all (half of the broker's
// CPU at QoS 0, see docs/devices.md). mqemitter only uses push, shift and
// length on them, so a ring buffer with those three drops in. Offered upstream
// as described in docs/devices.md ("The broker's message queue").
import mqemitter from 'mqemitter';

/** A FIFO with O(1) push and shift (a growable ring buffer); the subset of Array mqemitter uses. */
export class RingQueue<T> {
  #items: Array<T | undefined>;
  #head = 0;
  #size = 0;

  constructor(capacity = 1024) {
    this.#items = new Array<T | undefined>(capacity);
  }

  get length(): number { return this.#size; }

  push(item: T): number {
    if (this.#size === this.#items.length) this.#grow();
    this.#items[(this.#head + this.#size) % this.#items.length] = item;
    return ++this.#size;
  }

  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#items[this.#head];
    this.#items[this.#head] = undefined; // let the message be collected
    this.#head = (this.#head + 1) % this.#items.length;
    this.#size--;
    return item;
  }

  #grow(): void {
    const next = new Array<T | undefined>(this.#items.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#items[(this.#head + i) % this.#items.length];
    this.#items = next;
    this.#head = 0;
  }
}

/** What aedes builds for itself (same concurrency and matching), with the O(1) queue. */
export function createMessageQueue(concurrency = 100): ReturnType<typeof mqemitter> {
  const mq = mqemitter({ concurrency, matchEmptyLevels: true }) as ReturnType<typeof mqemitter> & { _messageQueue: unknown; _messageCallbacks: unknown };
  mq._messageQueue = new RingQueue();
  mq._messageCallbacks = new RingQueue();
  return mq;
}
