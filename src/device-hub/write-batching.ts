// Writes to an MQTT connection are gathered per event-loop turn into one writev.
// aedes writes every outgoing packet in its own macrotask (write.js acknowledges
// through setImmediate), so mqtt-packet's own cork, which lasts one tick, sends one
// syscall per packet: 39 % of the broker's CPU at QoS 1 (issue 16, part 1). Corked
// from the first write of a turn until the next check phase, a subscriber fed by many
// publishers gets everything of that turn in one writev, at most one turn later.
// Nothing corked is lost: destroy() first hands the corked bytes to the socket; end()
// uncorks by itself. The broker batches a connection only once its CONNACK accepted it.
import type { Duplex } from 'node:stream';

export function batchWrites(stream: Duplex): void {
  let corked = false;
  const flush = () => {
    corked = false;
    if (stream.writableCorked > 0) stream.uncork();
  };
  const write = stream.write;
  stream.write = function batchedWrite(this: Duplex, ...args: Parameters<Duplex['write']>) {
    if (!corked && !stream.destroyed) {
      corked = true;
      stream.cork();
      setImmediate(flush);
    }
    return write.apply(this, args);
  } as Duplex['write'];
  const destroy = stream.destroy;
  stream.destroy = function flushedDestroy(this: Duplex, error?: Error) {
    while (stream.writableCorked > 0) stream.uncork();
    corked = false;
    return destroy.call(this, error);
  };
}
