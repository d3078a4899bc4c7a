// The broker's message emitter keeps mqemitter's semantics (every message, in
// order, to every matching listener, at most `concurrency` at once) with an
// overflow queue that does not copy itself on every delivered message.
import { describe, expect, it } from 'vitest';
import { RingQueue, createMessageQueue, createBrokerQueue, cacheMatches, type Matcher } from '../../src/device-hub/message-queue.ts';
import pino from 'pino';
import { Broker } from '../../src/device-hub/broker.ts';
import { Devices } from '../../src/device-hub/devices.ts';
import { systemClock } from '../../src/core/index.ts';
import { TEST_LIMITS } from '../support/mqtt.ts';
import { openServices } from '../support/services.ts';

describe('broker message queue', () => {
  it('is a FIFO across wrap-around and growth', () => {
    const q = new RingQueue<number>(4);
    const out: number[] = [];
    let next = 0;
    // Interleave pushes and shifts so the ring wraps, then grow it while wrapped.
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 7; i++) q.push(next++);
      for (let i = 0; i < 5; i++) out.push(q.shift()!);
    }
    while (q.length) out.push(q.shift()!);
    expect(out).toEqual([...Array(next).keys()]);
    expect(q.shift()).toBeUndefined();
    expect(q.length).toBe(0);
  });

  it('delivers a burst far beyond its concurrency to the listener, every message in order', async () => {
    const mq = createMessageQueue(100);
    const seen: number[] = [];
    let deepest = 0;
    const all = new Promise<void>((resolve) => {
      mq.on('portier/hq/+/event', (message, done) => {
        seen.push(message.n as number);
        deepest = Math.max(deepest, (mq as unknown as { length: number }).length);
        setImmediate(done); // a listener that completes later, as aedes' deliveries do
        if (seen.length === 5_000) resolve();
      });
    });
    for (let n = 0; n < 5_000; n++) mq.emit({ topic: `portier/hq/s${n % 7}/event`, n });
    await all;
    expect(seen).toEqual([...Array(5_000).keys()]);
    expect(deepest).toBeGreaterThan(1_000); // the overflow queue was really used
    await new Promise<void>((resolve) => mq.close(() => resolve()));
  });

  it('asks the matcher once per topic until the subscriptions change', () => {
    const subs = new Map<string, unknown[]>();
    let asked = 0;
    const matcher: Matcher = {
      match: (topic) => { asked++; return [...(subs.get(topic) ?? [])]; },
      add: (topic, value) => subs.set(topic, [...(subs.get(topic) ?? []), value]),
      remove: (topic, value) => subs.set(topic, (subs.get(topic) ?? []).filter((v) => value !== undefined && v !== value)),
      clear: () => subs.clear(),
    };
    cacheMatches(matcher, 3);
    matcher.add('a', 1);
    expect(matcher.match('a')).toEqual([1]);
    expect(matcher.match('a')).toEqual([1]);
    expect(asked).toBe(1);
    matcher.add('a', 2); // a change forgets every answer
    expect(matcher.match('a')).toEqual([1, 2]);
    matcher.remove('a', 1);
    expect(matcher.match('a')).toEqual([2]);
    matcher.clear();
    expect(matcher.match('a')).toEqual([]);
    expect(asked).toBe(4);
    // Past its bound it forgets all at once and starts over.
    for (const t of ['b', 'c', 'd', 'b']) matcher.match(t);
    expect(asked).toBe(8); // a b c remembered, d forgot them, b asked again
  });

  it('delivers to the subscriptions as they are now, while it remembers matches', async () => {
    const mq = createBrokerQueue(100);
    const seen: string[] = [];
    const listener = (name: string) => (message: { n: number }, done: () => void) => { seen.push(`${name}${message.n}`); done(); };
    const first = listener('first');
    const second = listener('second');
    const on = (filter: string, fn: typeof first) => new Promise<void>((resolve) => mq.on(filter, fn as never, () => resolve()));
    const off = (filter: string, fn: typeof first) => new Promise<void>((resolve) => mq.removeListener(filter, fn as never, () => resolve()));
    const emit = (n: number) => new Promise<void>((resolve) => mq.emit({ topic: 'portier/hq/s1/event', n }, () => resolve()));
    await on('portier/hq/+/event', first);
    await emit(1);
    await emit(2);
    await on('portier/#', second);
    await emit(3);
    await off('portier/hq/+/event', first);
    await emit(4);
    await off('portier/#', second);
    await emit(5);
    expect(seen.sort()).toEqual(['first1', 'first2', 'first3', 'second3', 'second4']); // one message's listeners in the trie's order
    await new Promise<void>((resolve) => mq.close(() => resolve()));
  });

  it('is the emitter of Portier\'s broker (instead of aedes\' default with its O(n) Array#shift)', async () => {
    // The broker part on its own (the hub keeps its broker to itself).
    const svc = await openServices();
    const devices = new Devices({ store: svc.store, credentials: svc.credentials, clock: systemClock, sites: svc.sites, audit: svc.audit });
    const broker = new Broker({ devices, logger: pino({ level: 'silent' }), clock: systemClock, limits: TEST_LIMITS });
    try {
      await broker.start();
      const { mq } = broker.aedes as unknown as { mq: { _messageQueue: unknown; _messageCallbacks: unknown } };
      expect(mq._messageQueue).toBeInstanceOf(RingQueue);
      expect(mq._messageCallbacks).toBeInstanceOf(RingQueue);
      // Its matches are remembered: the second match of a topic is the first's answer.
      const { _matcher } = mq as unknown as { _matcher: Matcher };
      expect(_matcher.match('portier/hq/s1/event')).toBe(_matcher.match('portier/hq/s1/event'));
    } finally {
      await broker.close();
      await svc.close();
    }
  });
});
