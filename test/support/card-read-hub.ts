// A device hub set up for the card path: one card reader and one door (subscribed
// to its commands) connected over MQTT, and card GOOD-1 issued on hq. read()
// presents the card and waits until its door command settled and the hub is idle.
// The door does not answer by itself: a test adds the ack it wants.
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, type HubFixture } from './mqtt.ts';

export interface CardReadHub {
  fx: HubFixture;
  reader: MqttClient;
  door: MqttClient;
  /** Presents GOOD-1 at the reader; resolves once its command settled and the hub is idle. */
  read(): Promise<void>;
  /** The door acknowledges every command it receives with `ok`. */
  ackEveryCommand(): void;
  close(): Promise<void>;
}

export const GOOD_CARD = 'GOOD-1';

/** `started`: a hub already started (startHub) to connect to; else one is started. */
export async function startCardReadHub(started?: HubFixture): Promise<CardReadHub> {
  const fx = started ?? await startHub();
  const clients: MqttClient[] = [];
  const close = async () => {
    for (const c of clients.splice(0)) await closeClient(c);
    await fx.close();
  };
  try {
    const reader = await connect(fx.url.tcp, device(await fx.register('reader-1', 'card-reader')));
    clients.push(reader);
    const door = await connect(fx.url.tcp, device(await fx.register('door-1', 'door')));
    clients.push(door);
    await door.subscribeAsync(`portier/hq/doors/${fx.doorId}/cmd`, { qos: 1 });
    await fx.hub.addCard({ type: 'system', id: null }, { siteId: 'hq', card: GOOD_CARD, holderRef: 'user-7', kind: 'employee' });
    const read = async () => {
      const settled = new Promise<void>((resolve) => fx.hub.observer.once('commandSettled', () => resolve()));
      await reader.publishAsync('portier/hq/reader-1/card', JSON.stringify({ card: GOOD_CARD }), { qos: 1 });
      await settled;
      await fx.hub.idle();
    };
    const ackEveryCommand = () => {
      door.on('message', (_topic, payload) => door.publish('portier/hq/door-1/ack', JSON.stringify({ id: (JSON.parse(payload.toString()) as { id: string }).id, result: 'ok' }), { qos: 1 }));
    };
    return { fx, reader, door, read, ackEveryCommand, close };
  } catch (error) {
    await close();
    throw error;
  }
}
