// The payload contract: invalid payloads are logged with device and reason,
// counted, republished to the dead-letter topic, and never stop the hub.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { startHub, connect, device, closeClient, mosquitto, waitForEvent, type HubFixture } from '../support/mqtt.ts';

describe('device hub: payload contract', () => {
  let fx: HubFixture;
  let reader: { id: string; secret: string };
  /** An integration reading the dead-letter topics, as a monitoring system would. */
  let watcher: MqttClient;
  const deadLetters: Array<{ topic: string; body: any }> = [];
  let waiters: Array<() => void> = [];
  const nextDeadLetter = async (n: number) => {
    while (deadLetters.length < n) await new Promise<void>((r) => { const t = setTimeout(r, 5_000); waiters.push(() => { clearTimeout(t); r(); }); });
    return deadLetters[n - 1]!;
  };
  beforeAll(async () => {
    fx = await startHub();
    reader = await fx.register('reader-1', 'card-reader');
    watcher = await connect(fx.url.tcp, device(await fx.integration()));
    watcher.on('message', (topic, payload) => {
      deadLetters.push({ topic, body: JSON.parse(payload.toString()) });
      for (const w of waiters.splice(0)) w();
    });
    await watcher.subscribeAsync('portier/$dead-letter/#', { qos: 1 });
  });
  afterAll(async () => { waiters = []; await closeClient(watcher); await fx?.close(); });

  it.each([
    ['not JSON', 'card=04a1', /not JSON/],
    ['missing field', '{"format":"uid"}', /card|required/i],
    ['wrong type', '{"card":42}', /\/card/],
    ['extra field', '{"card":"04a1","pin":"1234"}', /pin|additional|Unexpected/i],
  ])('dead-letters a card read that is %s', async (_name, payload, reason) => {
    const before = deadLetters.length;
    const c = await connect(fx.url.tcp, device(reader));
    await c.publishAsync('portier/hq/reader-1/card', payload, { qos: 1 });
    const dl = await nextDeadLetter(before + 1);
    expect(dl.topic).toBe('portier/$dead-letter/hq/reader-1');
    expect(dl.body).toMatchObject({ topic: 'portier/hq/reader-1/card', payload });
    expect(dl.body.reason).toMatch(reason);
    expect(c.connected).toBe(true);
    await closeClient(c);
  });

  it('counts invalid and valid messages in /ready', async () => {
    const event = waitForEvent(fx.hub.observer, 'event');
    const r = await mosquitto('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(fx.hub.mqttPorts.tcp), '-i', 'reader-1', '-u', 'reader-1', '-P', reader.secret,
      '-t', 'portier/hq/reader-1/card', '-m', '{"card":"04a1b2","format":"uid"}', '-q', '1']);
    expect(r.code).toBe(0);
    await event;
    const status = fx.hub.status() as unknown as { messages: { invalid: number; valid: number } };
    expect(status.messages.invalid).toBeGreaterThanOrEqual(4);
    expect(status.messages.valid).toBeGreaterThanOrEqual(1);
  });
});
