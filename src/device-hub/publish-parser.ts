// The MQTT packets a device sends most — complete PUBLISH packets — read straight from
// the chunk the socket gave, before mqtt-packet's parser sees the rest. mqtt-packet
// appends every chunk to a BufferList and reads each packet field by field through it
// (an offset lookup, a view and a consume per field): ≈ 15 % of the broker's CPU at
// QoS 0 (bench/mqtt-throughput's profile, docs/devices.md). This reads the same bytes
// into the same packet object (mqtt-packet's own Packet class, the same fields in the
// same order, the topic decoded as UTF-8 from the same bytes, the payload a view of
// the chunk as mqtt-packet's is); anything else — another packet type, a packet cut
// by the chunk's end, a QoS of 3, a field past the packet's end, MQTT 5 — goes to
// mqtt-packet's parser from there on, which reads and refuses it as it always did.
import type { EventEmitter } from 'node:events';

/** What of mqtt-packet 9's Parser this reads: its state between packets. */
export interface MqttParser extends EventEmitter {
  parse(buf: Buffer): number;
  /** The packet being read; between packets a fresh one (its class is the one to make). */
  packet: object;
  error: Error | null;
  _list: { length: number };
  _stateCounter: number;
  settings: { protocolVersion?: number };
}

/** A PUBLISH as mqtt-packet's parser makes it. */
interface PublishPacket {
  cmd: string;
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string | null;
  payload: Buffer | null;
  messageId?: number;
}

const PUBLISH = 3;

/** A PUBLISH cut by the chunk's end is kept for the next chunk up to this size; a longer one goes to mqtt-packet, whose list needs no copies. */
export const MAX_KEPT_BYTES = 65_536;

/** publishAt's answers besides the packet's end: not one to read here, or cut by the chunk's end. */
const NOT_MINE = -1;
const CUT = -2;

/**
 * Makes `parser` read complete PUBLISH packets itself, in order, keeping one cut by the
 * chunk's end for the next chunk, and hand anything else, from there on, to its own
 * parse (until that holds no part of a packet any more). A chunk that arrives while a
 * packet's listeners run (aedes may read the socket again from inside them) waits until
 * the chunk before it is read, as it would in mqtt-packet's own list.
 */
export function readPublishesFirst(parser: MqttParser): void {
  const parseRest = parser.parse;
  const Packet = parser.packet.constructor as new () => PublishPacket;
  const waiting: Buffer[] = [];
  let reading = false;
  /** The start of a PUBLISH the last chunk ended in. */
  let kept: Buffer | undefined;
  const read = (chunk: Buffer): void => {
    // Only between packets of mqtt-packet (it holds no part of one), never for MQTT 5 (properties), bytes only.
    if (parser._list.length !== 0 || parser._stateCounter !== 0 || parser.error !== null || parser.settings.protocolVersion === 5 || !Buffer.isBuffer(chunk)) {
      parseRest.call(parser, chunk);
      return;
    }
    const buf = kept === undefined ? chunk : Buffer.concat([kept, chunk]);
    kept = undefined;
    let at = 0;
    while (at < buf.length) {
      const packet = new Packet();
      const end = publishAt(buf, at, packet);
      if (end === CUT && buf.length - at <= MAX_KEPT_BYTES) {
        kept = buf.subarray(at);
        return;
      }
      if (end < 0) break;
      at = end;
      parser.emit('packet', packet);
    }
    if (at < buf.length) parseRest.call(parser, at === 0 ? buf : buf.subarray(at));
  };
  parser.parse = function parse(buf: Buffer): number {
    if (reading) {
      waiting.push(buf);
      return parser._list.length;
    }
    reading = true;
    try {
      read(buf);
      for (let next = waiting.shift(); next !== undefined; next = waiting.shift()) read(next);
    } finally {
      reading = false;
    }
    return parser._list.length;
  };
}

/**
 * Reads the PUBLISH that starts at `at` (< buf.length) into `packet`; answers where it
 * ends, CUT when the chunk ends before it does, or NOT_MINE when
 * it is no PUBLISH that mqtt-packet would read without complaint (left to mqtt-packet).
 */
export function publishAt(buf: Buffer, at: number, packet: PublishPacket): number {
  const n = buf.length;
  const zero = buf[at]!;
  if (zero >> 4 !== PUBLISH) return NOT_MINE;
  const qos = (zero >> 1) & 3;
  if (qos === 3) return NOT_MINE;
  // The remaining length: 1 to 4 bytes of 7 bits, least significant first.
  let length = 0;
  let mul = 1;
  let i = at + 1;
  for (;;) {
    if (i > at + 4) return NOT_MINE;
    if (i >= n) return CUT;
    const byte = buf[i++]!;
    length += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) break;
  }
  const end = i + length;
  if (end > n) return CUT;
  if (i + 2 > end) return NOT_MINE;
  const topicEnd = i + 2 + ((buf[i]! << 8) | buf[i + 1]!);
  if (topicEnd > end) return NOT_MINE;
  let pos = topicEnd;
  if (qos > 0 && pos + 2 > end) return NOT_MINE;
  packet.cmd = 'publish';
  packet.retain = (zero & 0x01) !== 0;
  packet.qos = qos;
  packet.dup = (zero & 0x08) !== 0;
  packet.length = length;
  packet.topic = buf.toString('utf8', i + 2, topicEnd);
  if (qos > 0) {
    packet.messageId = (buf[pos]! << 8) | buf[pos + 1]!;
    pos += 2;
  }
  packet.payload = buf.subarray(pos, end);
  return end;
}
