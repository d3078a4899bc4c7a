// The inbound message pipeline's mechanics: a device with nothing in hand is
// handled at once, a device's messages keep their order behind one that waits
// (a state being stored), and idle() waits for the flows an event started.
// The first three run on the pipeline part built on its own (receive() is its
// entry); the last on the hub, with a real device's message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../src/core/index.ts';
import { startHub, connect, device, closeClient, type HubFixture } from '../support/mqtt.ts';
import { pipelineOn } from '../support/hub-parts.ts';
import type { HubEvent, HubPorts } from '../../src/device-hub/index.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('device hub: message pipeline', () => {
  let fx: HubFixture;
  let pipeline: ReturnType<typeof pipelineOn>;
  let releaseWake: (() => void) | undefined;
  let wakeAsked: (() => void) | undefined;
  const wakes: string[] = [];
  const ports: HubPorts = {
    terminals: {
      show: async () => {},
      wake: (terminalId) => new Promise<void>((resolve) => { wakes.push(terminalId); releaseWake = resolve; wakeAsked?.(); }),
    },
  };
  const sensor = { id: 'sensor-1', kind: 'sensor' as const, siteId: 'hq', doorId: null };
  const door = () => ({ id: 'door-1', kind: 'door' as const, siteId: 'hq', doorId: fx.doorId });
  const seen: HubEvent[] = [];

  beforeAll(async () => {
    fx = await startHub({ ports });
    pipeline = pipelineOn(fx.svc, systemClock);
    pipeline.messages.on('event', (e) => seen.push(e));
  });
  afterAll(async () => {
    pipeline?.close();
    await fx?.close();
  });

  it('an event of a device with nothing in hand is handled before receive returns', async () => {
    seen.length = 0;
    const done = pipeline.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    expect(seen.map((e) => [e.deviceId, e.message.leaf, e.fresh])).toEqual([['sensor-1', 'event', true]]);
    await done;
    expect(pipeline.messages.counters.valid).toBeGreaterThan(0);
  });

  it('a device\'s event waits behind its state being stored, and other devices do not', async () => {
    seen.length = 0;
    const state = pipeline.messages.receive(door(), `portier/hq/door-1/state`, json({ state: 'open' }), false);
    const event = pipeline.messages.receive(door(), 'portier/hq/door-1/event', json({ type: 'tamper' }), false);
    const other = pipeline.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    // The sensor had nothing in hand; the door's event queues behind its state.
    expect(seen.map((e) => `${e.deviceId}/${e.message.leaf}`)).toEqual(['sensor-1/event']);
    await Promise.all([state, event, other]);
    expect(seen.map((e) => `${e.deviceId}/${e.message.leaf}`)).toEqual(['sensor-1/event', 'door-1/state', 'door-1/event']);
    expect(seen[1]).toMatchObject({ fresh: true, previousState: undefined });
  });

  it('a message with a topic outside the contract is dropped, an invalid payload dead-lettered, neither stops the next', async () => {
    seen.length = 0;
    const invalid = pipeline.messages.counters.invalid;
    await pipeline.messages.receive(sensor, 'portier/hq/sensor-1/Event', json({ type: 'button' }), false);
    await pipeline.messages.receive(sensor, 'portier/hq/sensor-1/event', Buffer.from('{not json'), false);
    await pipeline.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    expect(pipeline.messages.counters.invalid).toBe(invalid + 1);
    expect(seen).toHaveLength(1);
  });

  it('idle() waits for the flows an event started', async () => {
    const lobby = (await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'terminal', label: 'Lobby', siteId: 'hq' })).credential.id;
    const order: string[] = [];
    const motion = await connect(fx.url.tcp, device(await fx.register('motion-1', 'sensor', { terminalId: lobby })));
    const asked = new Promise<void>((resolve) => { wakeAsked = resolve; });
    await motion.publishAsync('portier/hq/motion-1/event', JSON.stringify({ type: 'motion', value: true }), { qos: 1 });
    await asked;
    expect(wakes).toEqual([lobby]);
    const idle = fx.hub.idle().then(() => order.push('idle'));
    // Everything else has run: the wake is the one thing idle() still waits for.
    await new Promise((resolve) => setImmediate(resolve));
    order.push('woken');
    releaseWake!();
    await idle;
    expect(order).toEqual(['woken', 'idle']);
    await closeClient(motion);
  });
});
