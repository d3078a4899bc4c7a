// mqtt-packet writes each two-byte number of a packet (packet id, topic length, keep-alive)
// from a cache it builds on the first packet it writes: 65 536 two-byte Buffers, 7.2 MiB of
// JS heap that live as long as the process. In a gateway that cache was built by the first
// CONNACK after ready, outside the start-up collection, so the first scavenge under the first
// card reads copied all of it to the old generation: 10–12 ms of the first second's p99
// (bench/device-latency.ts with --trace-gc-nvp: 6.9 MiB promoted by that scavenge, 0.3–0.9
// MiB by every later one; issue 16 part 2). Without the cache mqtt-packet writes each number
// into a Buffer of its own (two to four per packet, from the pool). Upstream: mqtt-packet's
// documented `writeToStream.cacheNumbers = false`; a lazier cache would also do.
import { createRequire } from 'node:module';

// The mqtt-packet aedes itself requires (its dependency, not ours): the instance that writes the broker's packets.
const fromAedes = createRequire(createRequire(import.meta.url).resolve('aedes'));
const { writeToStream } = fromAedes('mqtt-packet') as typeof import('mqtt-packet');

/** Makes the broker's packet writer write numbers without the 7.2 MiB cache (process-wide; idempotent). */
export function writePacketNumbersUncached(): void {
  writeToStream.cacheNumbers = false;
}
