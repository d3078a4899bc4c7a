// The broker writes packets without mqtt-packet's number cache (src/device-hub/packet-numbers.ts):
// 65 536 two-byte Buffers (7.2 MiB of heap) that the first CONNACK after start built, which the
// first scavenge under the first card reads then copied to the old generation (issue 16 part 2).
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCardReadHub, type CardReadHub } from '../support/card-read-hub.ts';

// aedes' own mqtt-packet (the test's MQTT clients load the same module).
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
const numbers = fromAedes('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
const { writeToStream } = fromAedes('mqtt-packet') as typeof import('mqtt-packet');

describe('device hub: packet numbers', () => {
  let hub: CardReadHub;
  beforeAll(async () => { hub = await startCardReadHub(); });
  afterAll(async () => { await hub?.close(); });

  it('are written without the 65 536-entry cache, before and after devices connected and a card was read', async () => {
    expect(writeToStream.cacheNumbers).toBe(false);
    hub.ackEveryCommand();
    await hub.read();
    expect(Object.keys(numbers.cache)).toHaveLength(0);
  });
});
