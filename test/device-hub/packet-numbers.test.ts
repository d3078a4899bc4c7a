// mqtt-packet's number cache (65 536 two-byte Buffers, 7.2 MiB) is built by the hub's start-up
// warm-up, before its full collection (src/device-hub/packet-numbers.ts), not by the first
// packet a device gets: else the first scavenge under the first card reads promoted it (issue
// 16 part 2). In its own process (vitest.config.ts OWN_PROCESS): the cache is the module state
// of the process's one mqtt-packet, which another test file could have built before.
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub } from '../support/mqtt.ts';
import { startCardReadHub, type CardReadHub } from '../support/card-read-hub.ts';

// aedes' own mqtt-packet (the test's MQTT clients load the same module).
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
const numbers = fromAedes('mqtt-packet/numbers.js') as { cache: Record<number, Buffer> };
const { writeToStream } = fromAedes('mqtt-packet') as typeof import('mqtt-packet');
const ENTRIES = 65_536;

describe('device hub: packet numbers', () => {
  let hub: CardReadHub | undefined;
  afterAll(async () => { await hub?.close(); });

  it('are cached by the start, before any device connects, and the first card read builds nothing', async () => {
    expect(Object.keys(numbers.cache)).toHaveLength(0); // nothing in this process wrote a packet yet
    const fx = await startHub();
    expect(writeToStream.cacheNumbers).toBe(true);
    expect(Object.keys(numbers.cache)).toHaveLength(ENTRIES);
    const first = numbers.cache[0];
    const last = numbers.cache[ENTRIES - 1];

    hub = await startCardReadHub(fx);
    hub.ackEveryCommand();
    await hub.read();
    // Built again, the cache would hold new Buffers.
    expect(numbers.cache[0]).toBe(first);
    expect(numbers.cache[ENTRIES - 1]).toBe(last);
    expect(Object.keys(numbers.cache)).toHaveLength(ENTRIES);
  });
});
