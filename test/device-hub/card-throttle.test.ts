// A card reader whose secret was stolen cannot try cards or PINs fast: past
// device_hub.denied_card_reads_per_minute denied reads its reads are not looked
// up at all until the minute has passed, audited once and the reception alerted;
// other readers of the door keep working.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, nextMessage, waitForEvent, ManualClock, type HubFixture } from '../support/mqtt.ts';
import type { HubPorts } from '../../src/device-hub/index.ts';

describe('device hub: denied card reads per reader', () => {
  let fx: HubFixture;
  const clock = new ManualClock();
  const notified: Array<{ text: { en: string } }> = [];
  const ports: HubPorts = { desks: { notify: async (r) => { notified.push(r as never); } } };
  let stolen: MqttClient;
  let other: MqttClient;
  let door: MqttClient;
  const cmdTopic = () => `portier/hq/doors/${fx.doorId}/cmd`;

  /** Publishes a card read and waits until the hub has handled it. */
  const read = async (client: MqttClient, readerId: string, card: string) => {
    const handled = waitForEvent(fx.hub.observer, 'event', (e) => e.deviceId === readerId);
    await client.publishAsync(`portier/hq/${readerId}/card`, JSON.stringify({ card }), { qos: 1 });
    await handled;
    await fx.hub.idle();
  };
  const reads = async () => (await fx.svc.audit.list({ action: 'card.read' })).map((a) => a.outcome).reverse();

  beforeAll(async () => {
    fx = await startHub({ clock, ports, settings: { deniedCardReadsPerMinute: 3 } });
    stolen = await connect(fx.url.tcp, device(await fx.register('reader-stolen', 'card-reader')));
    other = await connect(fx.url.tcp, device(await fx.register('reader-other', 'card-reader')));
    door = await connect(fx.url.tcp, device(await fx.register('door-1', 'door')));
    await door.subscribeAsync(cmdTopic(), { qos: 1 });
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: 'GOOD-1', holderRef: 'user-7', kind: 'employee' });
  });
  afterAll(async () => {
    for (const c of [stolen, other, door]) await closeClient(c);
    await fx?.close();
  });

  it('ignores a reader\'s reads past the limit until the minute passed (even a valid card), audits once, alerts the reception', async () => {
    for (const guess of ['1111', '2222', '3333', '4444', '5555', '6666']) await read(stolen, 'reader-stolen', guess);
    // Three denied within the limit, the fourth starts the throttle; the rest are not looked up.
    expect(await reads()).toEqual(['denied', 'denied', 'denied', 'denied']);
    const throttled = await fx.svc.audit.list({ action: 'card.throttled' });
    expect(throttled.map((a) => [a.outcome, JSON.parse(a.details!).device])).toEqual([['denied', 'reader-stolen']]);
    expect(notified.map((n) => n.text.en)).toEqual(['Card reader blocked: too many denied cards']);
    // A guessed valid card on the throttled reader opens nothing.
    await read(stolen, 'reader-stolen', 'GOOD-1');
    expect(await reads()).toHaveLength(4);

    // Another reader of the same door is not affected.
    const cmd = nextMessage(door, cmdTopic());
    await read(other, 'reader-other', 'GOOD-1');
    expect((await cmd).payload).toMatchObject({ action: 'unlock' });

    // After the minute the reader is asked again.
    await clock.advance(61_000);
    const next = nextMessage(door, cmdTopic());
    await read(stolen, 'reader-stolen', 'GOOD-1');
    expect((await next).payload).toMatchObject({ action: 'unlock' });
    expect((await reads()).slice(-2)).toEqual(['ok', 'ok']);
  });
});
