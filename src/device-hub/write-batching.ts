// Writes to an MQTT connection are gathered per event-loop turn into one write.
// aedes writes every outgoing packet in its own macrotask (write.js acknowledges
// through setImmediate), so mqtt-packet's own cork, which lasts one tick, sent one
// syscall per packet: 39 % of the broker's CPU at QoS 1 (issue 16, part 1). From the
// first write of a turn until the next check phase, a connection's chunks (mqtt-packet
// writes a PUBLISH as ~5) are kept here and leave as one buffer: one write, one
// syscall, one WebSocket frame, one TLS record, at most one turn later.
// Backpressure is the stream's own: a batch past its high-water mark leaves at once,
// and its write's `false` makes aedes wait for 'drain' as before.
// Nothing kept is lost: end() and destroy() first hand it to the stream. The broker
// batches a connection only once its CONNACK accepted it.
import type { Duplex } from 'node:stream';

export function batchWrites(stream: Duplex): void {
  /** The turn's chunks as written: mqtt-packet writes a topic as a string, copied once, in flush(). */
  let kept: Array<Buffer | string> = [];
  let bytes = 0;
  let scheduled = false;
  const { write, end, destroy } = stream;
  /** Hands what was kept to the stream; its answer (false: wait for 'drain'). */
  const flush = (): boolean => {
    if (kept.length === 0) return !stream.writableNeedDrain;
    const data = joined(kept, bytes);
    kept = [];
    bytes = 0;
    return (write as (chunk: Buffer) => boolean).call(stream, data);
  };
  const flushTurn = () => {
    scheduled = false;
    if (!stream.destroyed) flush();
  };
  stream.write = function batchedWrite(this: Duplex, chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    // A write with a callback, an encoding, or of something else than bytes or text, keeps its place behind what was kept.
    if (callback !== undefined || encoding !== undefined || stream.destroyed || stream.writableEnded
      || !(typeof chunk === 'string' || Buffer.isBuffer(chunk))) {
      flush();
      return (write as (...a: unknown[]) => boolean).apply(this, [chunk, encoding, callback].filter((a) => a !== undefined));
    }
    kept.push(chunk);
    bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    if (!scheduled) {
      scheduled = true;
      setImmediate(flushTurn);
    }
    // The writer already waits for 'drain' (the stream said false): kept for the turn.
    if (stream.writableNeedDrain) return false;
    // Past the high-water mark the batch leaves now, and the stream's `false` asks for a 'drain' wait.
    if (stream.writableLength + bytes >= stream.writableHighWaterMark) return flush();
    return true;
  } as Duplex['write'];
  // mqtt-packet corks a stream that has cork() for the rest of its tick, per packet (a
  // cork and a process.nextTick to uncork): pointless here, where a turn's packets are
  // kept anyway, and ~3 % of the broker's CPU at QoS 0. Without cork() it writes uncorked.
  // Nothing else corks a connection the broker holds (its own TCP or TLS socket, or the
  // stream over a WebSocket; HTTP corks the socket under the WebSocket, not this stream).
  Object.defineProperty(stream, 'cork', { value: undefined, configurable: true, writable: true });
  stream.end = function flushedEnd(this: Duplex, ...args: unknown[]) {
    if (!stream.destroyed) flush();
    return (end as (...a: unknown[]) => Duplex).apply(this, args);
  } as Duplex['end'];
  stream.destroy = function flushedDestroy(this: Duplex, error?: Error) {
    if (!stream.destroyed && !stream.writableEnded) flush();
    // mqtt-packet may have corked it before it was batched (its CONNACK's tick): that goes to the socket too.
    while (stream.writableCorked > 0) stream.uncork();
    return destroy.call(this, error);
  } as Duplex['destroy'];
}

/** The chunks as one buffer of `bytes` bytes (text as UTF-8), copied once. */
function joined(chunks: Array<Buffer | string>, bytes: number): Buffer {
  if (chunks.length === 1 && typeof chunks[0] !== 'string') return chunks[0]!;
  const out = Buffer.allocUnsafe(bytes);
  let at = 0;
  for (const chunk of chunks) at += typeof chunk === 'string' ? out.write(chunk, at) : chunk.copy(out, at);
  return out;
}
