// The broker's message emitter: aedes' own mqemitter, with its overflow queue
// made O(1). mqemitter 7 keeps messages beyond `concurrency` (aedes: 100) in two
// arrays it `shift()`s once per delivered message; under a publishing burst they
// grow to 10–15 k entries and each shift copies them all (half of the broker's
// CPU at QoS 0, see docs/devices.md). mqemitter only uses push, shift and
// length on them, so a ring buffer with those three drops in. Its topic matching
// is remembered per topic until the subscriptions change (MatchCache). Offered
// upstream as described in docs/devices.md ("The broker's message queue").
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

/** The members of mqemitter's Qlobber that read or change its subscriptions. */
export interface Matcher {
  match(topic: string, ctx?: unknown): unknown[];
  add(topic: string, value: unknown): unknown;
  remove(topic: string, value?: unknown): unknown;
  clear(): unknown;
}

/** Topics whose matches are remembered at most; past it they are forgotten all at once. */
export const MATCH_CACHE_TOPICS = 10_000;

/**
 * Remembers the matcher's answer per topic until the subscriptions change: every
 * add, remove or clear forgets them all. mqemitter matches every message's topic
 * against the subscription trie (a split and a walk: 6–7 % of the broker's CPU at
 * QoS 0), while a device publishes to the same few topics and the subscriptions
 * change only when clients (un)subscribe. The answer is the same array Qlobber gave
 * (mqemitter and fastparallel only read it; Qlobber may hand out one of its own,
 * which it changes only in add and remove, which forget it here first).
 */
export function cacheMatches(matcher: Matcher, maxTopics = MATCH_CACHE_TOPICS): void {
  const known = new Map<string, unknown[]>();
  const { match, add, remove, clear } = matcher;
  matcher.match = function cachedMatch(this: Matcher, topic: string, ctx?: unknown): unknown[] {
    if (ctx !== undefined) return match.call(this, topic, ctx); // mqemitter passes none
    let found = known.get(topic);
    if (found === undefined) {
      found = match.call(this, topic);
      if (known.size >= maxTopics) known.clear();
      known.set(topic, found);
    }
    return found;
  };
  matcher.add = function forgetThenAdd(this: Matcher, topic: string, value: unknown) {
    known.clear();
    return add.call(this, topic, value);
  };
  matcher.remove = function forgetThenRemove(this: Matcher, ...args: [string, unknown?]) {
    known.clear();
    return remove.apply(this, args);
  };
  matcher.clear = function forgetThenClear(this: Matcher) {
    known.clear();
    return clear.call(this);
  };
}

type MessageQueue = ReturnType<typeof mqemitter>;

/** What aedes builds for itself (same concurrency and matching), with the O(1) queue (bench/aedes-bare-server.ts uses it as such). */
export function createMessageQueue(concurrency = 100): MessageQueue {
  const mq = mqemitter({ concurrency, matchEmptyLevels: true }) as MessageQueue & { _messageQueue: unknown; _messageCallbacks: unknown };
  mq._messageQueue = new RingQueue();
  mq._messageCallbacks = new RingQueue();
  return mq;
}

/** The broker's emitter: the O(1) queue, and matches remembered per topic (cacheMatches). */
export function createBrokerQueue(concurrency = 100): MessageQueue {
  const mq = createMessageQueue(concurrency);
  cacheMatches((mq as MessageQueue & { _matcher: Matcher })._matcher);
  return mq;
}
