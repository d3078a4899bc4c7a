// mqtt-packet writes each two-byte number of a packet (packet id, topic length, keep-alive)
// from a cache it builds on the first packet it writes: 65 536 two-byte Buffers, 7.2 MiB of
// JS heap that live as long as the process. Left to itself, the first CONNACK after ready
// built it, after the start-up collection, so the first scavenge under the first card reads
// copied all of it to the old generation: 10–12 ms of the first second's p99
// (bench/device-latency.ts with --trace-gc-nvp: 6.9 MiB promoted by that scavenge; issue 16
// part 2). The hub's warm-up builds it instead, before the process's full collection
// (DeviceHub.#warm, then collectGarbage), so it is old-generation data before any device
// connects. Writing without the cache (`cacheNumbers = false`) avoids the 7.2 MiB too, but
// costs every packet a Buffer per number: QoS 0 PUBLISH 26 → 65 ns, QoS 1 35 → 113 ns
// (review s29 #5), 0.6–1.5 % of the broker's CPU per message.
import { createRequire } from 'node:module';
import type { Writable } from 'node:stream';

// The mqtt-packet aedes itself requires (its dependency, not ours): the instance that writes the broker's packets.
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
const { writeToStream } = fromAedes('mqtt-packet') as typeof import('mqtt-packet');

/** Takes every byte and keeps none. */
const nowhere = { write: () => true } as unknown as Writable;

/**
 * Builds mqtt-packet's number cache now (process-wide; a no-op once built): mqtt-packet
 * builds it on the first packet it writes, so one PINGRESP is written to nowhere.
 */
export function buildPacketNumberCache(): void {
  writeToStream({ cmd: 'pingresp' }, nowhere);
}
