// What the durable broker persistence keeps across a restart (a new instance on
// the same file): retained messages, persistent subscriptions, queued messages
// with their assigned ids and PUBRELs and in-flight QoS 2 packets — and not
// wills (published without their connection they would bypass the device's ACL).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SqlitePersistence } from '../../src/device-hub/persistence/sqlite-persistence.ts';

const collect = async <T>(stream: AsyncIterable<T>): Promise<T[]> => {
  const out: T[] = [];
  for await (const item of stream) out.push(item);
  return out;
};

describe('SqlitePersistence across a restart', () => {
  let dir: string;
  let path: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), 'portier-mqtt-')); path = join(dir, 'mqtt.sqlite'); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const open = async (brokerId: string, opts: { maxQueuedPerClient?: number; onDropped?: (id: string) => void } = {}) => {
    const p = new SqlitePersistence({ path, ...opts });
    await p.setup({ id: brokerId });
    return p;
  };
  const publish = (topic: string, payload: string, counter: number, brokerId = 'first') =>
    ({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: false, dup: false, brokerId, brokerCounter: counter });

  it('restores retained messages, subscriptions, queues and in-flight packets, but no wills', async () => {
    const a = await open('first');
    await a.storeRetained({ ...publish('portier/hq/doors/d1/state', '{"state":"closed"}', 1), retain: true });
    await a.storeRetained({ ...publish('gone', 'x', 2), retain: true });
    await a.storeRetained({ ...publish('gone', '', 3), retain: true });
    await a.addSubscriptions({ id: 'display-1' }, [
      { topic: 'portier/hq/display-1/cmd', qos: 1, rh: 0, rap: false, nl: false },
      { topic: 'portier/hq/display-1/info', qos: 0, rh: 0, rap: false, nl: false },
    ]);
    const subs = await a.subscriptionsByTopic('portier/hq/display-1/cmd');
    await a.outgoingEnqueueCombi(subs, publish('portier/hq/display-1/cmd', 'one', 10));
    await a.outgoingEnqueueCombi(subs, publish('portier/hq/display-1/cmd', 'two', 11));
    await a.outgoingEnqueueCombi(subs, publish('portier/hq/display-1/cmd', 'three', 12));
    await a.outgoingUpdate({ id: 'display-1' }, { ...publish('portier/hq/display-1/cmd', 'one', 10), messageId: 7 });
    await a.outgoingUpdate({ id: 'display-1' }, { ...publish('portier/hq/display-1/cmd', 'two', 11), messageId: 8 });
    await a.outgoingUpdate({ id: 'display-1' }, { cmd: 'pubrel', messageId: 8 });
    await a.outgoingClearMessageId({ id: 'display-1' }, { messageId: 7 });
    await a.incomingStorePacket({ id: 'sensor-1' }, { ...publish('portier/hq/sensor-1/motion', '{}', 0), qos: 2, messageId: 5 });
    await a.putWill({ id: 'sensor-1' }, { topic: 'portier/hq/sensor-1/status', payload: Buffer.from('{"online":false}'), qos: 1, retain: true });
    await a.destroy();

    const b = await open('second');
    expect(b.size).toMatchObject({ retained: 1, clients: 1, queued: 2, wills: 0 });
    const retained = await collect<{ topic: string; payload: Buffer }>(b.createRetainedStream('#'));
    expect(retained.map((p) => [p.topic, p.payload.toString()])).toEqual([['portier/hq/doors/d1/state', '{"state":"closed"}']]);
    expect(await b.subscriptionsByClient({ id: 'display-1' })).toEqual([
      { topic: 'portier/hq/display-1/cmd', qos: 1, rh: 0, rap: false, nl: false },
      { topic: 'portier/hq/display-1/info', qos: 0, rh: 0, rap: false, nl: false },
    ]);
    expect((await b.subscriptionsByTopic('portier/hq/display-1/cmd')).map((s) => s.clientId)).toEqual(['display-1']);
    expect(await b.subscriptionsByTopic('portier/hq/display-1/info')).toEqual([]);
    const queued = await collect<Record<string, unknown>>(b.outgoingStream({ id: 'display-1' }));
    expect(queued.map((p) => [p.cmd, p.messageId, Buffer.isBuffer(p.payload) ? p.payload.toString() : undefined]))
      .toEqual([['pubrel', 8, undefined], ['publish', undefined, 'three']]);
    expect((await b.incomingGetPacket({ id: 'sensor-1' }, { messageId: 5 })).topic).toBe('portier/hq/sensor-1/motion');
    expect(await collect(b.streamWill({ second: Date.now() }))).toEqual([]);
    await b.destroy();
  });

  it('bounds a client\'s queue, dropping the oldest not in flight and saying so', async () => {
    const dropped: string[] = [];
    const a = await open('first', { maxQueuedPerClient: 3, onDropped: (id) => dropped.push(id) });
    await a.addSubscriptions({ id: 'display-1' }, [{ topic: 't', qos: 1 }]);
    await a.outgoingEnqueue({ clientId: 'display-1' }, publish('t', 'm1', 1));
    await a.outgoingUpdate({ id: 'display-1' }, { ...publish('t', 'm1', 1), messageId: 1 }); // m1 is being delivered
    for (let i = 2; i <= 5; i++) await a.outgoingEnqueue({ clientId: 'display-1' }, publish('t', `m${i}`, i));
    expect(dropped).toEqual(['display-1', 'display-1']);
    await a.destroy();
    const b = await open('second', { maxQueuedPerClient: 3 });
    const queued = await collect<{ payload: Buffer }>(b.outgoingStream({ id: 'display-1' }));
    expect(queued.map((p) => p.payload.toString())).toEqual(['m1', 'm4', 'm5']);
    await b.destroy();
  });

  it('forgets everything of a revoked client, on disk too', async () => {
    const a = await open('first');
    await a.addSubscriptions({ id: 'display-1' }, [{ topic: 't', qos: 1 }]);
    await a.outgoingEnqueue({ clientId: 'display-1' }, publish('t', 'm', 1));
    await a.putWill({ id: 'display-1' }, { topic: 'w', payload: Buffer.from('x'), qos: 0, retain: false });
    a.forget('display-1');
    expect(a.size).toMatchObject({ retained: 0, clients: 0, queued: 0, wills: 0 });
    await a.destroy();
    const b = await open('second');
    expect(b.size).toMatchObject({ retained: 0, clients: 0, queued: 0, wills: 0 });
    await b.destroy();
  });
});
