// The MQTT benches' publisher window (bench/mqtt-lib.ts publishAll): never more than
// `window` unanswered, and a batch of answers refills the window in one go after it,
// so the refill leaves in one write whatever the broker's PUBACK batching.
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { publishAll } from '../../bench/mqtt-lib.ts';

type Answer = (error?: Error) => void;

/** Stands in for mqtt.js: records each publish's answer callback; `sync` answers at once (QoS 0, socket not full). */
function fakeClient(sync = false) {
  const waiting: Answer[] = [];
  const log: string[] = [];
  let published = 0;
  const client = {
    publish: (_topic: string, _payload: string, _opts: unknown, answer: Answer) => {
      published++;
      log.push('publish');
      if (sync) answer();
      else waiting.push(answer);
    },
  };
  /** Answers the `n` oldest publishes one after another, as mqtt.js handles a read's PUBACKs. */
  const answer = (n: number) => {
    for (const a of waiting.splice(0, n)) { log.push('answer'); a(); }
  };
  return { client: client as unknown as MqttClient, waiting, log, answer, published: () => published };
}

describe('bench publishAll', () => {
  it('keeps at most `window` publishes unanswered and resolves when all are answered', async () => {
    const fake = fakeClient();
    let done = false;
    const all = publishAll(fake.client, 't', 'p', 1, 10, 4).then(() => { done = true; });
    expect(fake.waiting.length).toBe(4);
    while (fake.published() < 10 || fake.waiting.length > 0) {
      fake.answer(1);
      await Promise.resolve();
      expect(fake.waiting.length).toBeLessThanOrEqual(4);
    }
    await all;
    expect(done).toBe(true);
    expect(fake.published()).toBe(10);
  });

  it('refills the window once after a batch of answers, not one publish per answer', async () => {
    const fake = fakeClient();
    const all = publishAll(fake.client, 't', 'p', 1, 12, 4);
    fake.log.length = 0;
    fake.answer(4);
    await Promise.resolve();
    // four answers first, then the four publishes that refill the window (one write)
    expect(fake.log).toEqual(['answer', 'answer', 'answer', 'answer', 'publish', 'publish', 'publish', 'publish']);
    fake.answer(4);
    await Promise.resolve();
    fake.answer(4);
    await all;
    expect(fake.published()).toBe(12);
  });

  it('takes answers that come at once (QoS 0) without recursing, however many', async () => {
    const fake = fakeClient(true);
    await publishAll(fake.client, 't', 'p', 0, 50_000, 64);
    expect(fake.published()).toBe(50_000);
  });

  it('rejects with a failed publish and publishes no more', async () => {
    const fake = fakeClient();
    const all = publishAll(fake.client, 't', 'p', 1, 10, 2);
    fake.waiting.shift()!(new Error('connection closed'));
    await expect(all).rejects.toThrow('connection closed');
    fake.answer(1);
    await Promise.resolve();
    expect(fake.published()).toBe(2);
  });
});
