// The inbound message pipeline's mechanics: a device with nothing in hand is
// handled at once, a device's messages keep their order behind one that waits
// (a state being stored), and idle() waits for the flows an event started.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type HubFixture } from '../support/mqtt.ts';
import type { HubEvent, HubPorts } from '../../src/device-hub/index.ts';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('device hub: message pipeline', () => {
  let fx: HubFixture;
  let releaseWake: (() => void) | undefined;
  const wakes: string[] = [];
  const ports: HubPorts = {
    terminals: {
      show: async () => {},
      wake: (terminalId) => new Promise<void>((resolve) => { wakes.push(terminalId); releaseWake = resolve; }),
    },
  };
  const sensor = { id: 'sensor-1', kind: 'sensor' as const, siteId: 'hq', doorId: null };
  const door = () => ({ id: 'door-1', kind: 'door' as const, siteId: 'hq', doorId: fx.doorId });
  const seen: HubEvent[] = [];

  beforeAll(async () => {
    fx = await startHub({ ports });
    fx.hub.messages.on('event', (e) => seen.push(e));
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('an event of a device with nothing in hand is handled before receive returns', async () => {
    seen.length = 0;
    const done = fx.hub.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    expect(seen.map((e) => [e.deviceId, e.message.leaf, e.fresh])).toEqual([['sensor-1', 'event', true]]);
    await done;
    expect(fx.hub.messages.counters.valid).toBeGreaterThan(0);
  });

  it('a device\'s event waits behind its state being stored, and other devices do not', async () => {
    seen.length = 0;
    const state = fx.hub.messages.receive(door(), `portier/hq/door-1/state`, json({ state: 'open' }), false);
    const event = fx.hub.messages.receive(door(), 'portier/hq/door-1/event', json({ type: 'tamper' }), false);
    const other = fx.hub.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    // The sensor had nothing in hand; the door's event queues behind its state.
    expect(seen.map((e) => `${e.deviceId}/${e.message.leaf}`)).toEqual(['sensor-1/event']);
    await Promise.all([state, event, other]);
    expect(seen.map((e) => `${e.deviceId}/${e.message.leaf}`)).toEqual(['sensor-1/event', 'door-1/state', 'door-1/event']);
    expect(seen[1]).toMatchObject({ fresh: true, previousState: undefined });
  });

  it('a message with a topic outside the contract is dropped, an invalid payload dead-lettered, neither stops the next', async () => {
    seen.length = 0;
    const invalid = fx.hub.messages.counters.invalid;
    await fx.hub.messages.receive(sensor, 'portier/hq/sensor-1/Event', json({ type: 'button' }), false);
    await fx.hub.messages.receive(sensor, 'portier/hq/sensor-1/event', Buffer.from('{not json'), false);
    await fx.hub.messages.receive(sensor, 'portier/hq/sensor-1/event', json({ type: 'button' }), false);
    expect(fx.hub.messages.counters.invalid).toBe(invalid + 1);
    expect(seen).toHaveLength(1);
  });

  it('idle() waits for the flows an event started', async () => {
    const lobby = (await fx.svc.credentials.issue({ type: 'system', id: null }, { kind: 'terminal', label: 'Lobby', siteId: 'hq' })).credential.id;
    const order: string[] = [];
    await fx.hub.messages.receive({ ...sensor, terminalId: lobby }, 'portier/hq/sensor-1/event', json({ type: 'motion', value: true }), false);
    expect(wakes).toEqual([lobby]);
    const idle = fx.hub.idle().then(() => order.push('idle'));
    // Everything else has run: the wake is the one thing idle() still waits for.
    await new Promise((resolve) => setImmediate(resolve));
    order.push('woken');
    releaseWake!();
    await idle;
    expect(order).toEqual(['woken', 'idle']);
  });
});
