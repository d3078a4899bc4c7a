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

/** publishAt's answers besides the packet's end (fixedHeader's and packetSize's too): not one to read here, or cut by the chunk's end. */
const NOT_MINE = -1;
const CUT = -2;

/** A PUBLISH cut by the chunk's end is kept for the next chunk up to this size; a longer one goes to mqtt-packet, whose list needs no copies. */
export const MAX_KEPT_BYTES = 65_536;

/**
 * The start of a PUBLISH the last chunk ended in, kept as the chunks it came in and
 * copied once, when its last byte is there: copying it anew with every chunk cost a
 * packet dribbled a byte at a time quadratic time and memory (~2 GiB and a storm of
 * full collections for one 64 KiB PUBLISH, before the device had even signed in:
 * review s29 #6). Until its remaining length is whole (≤ 5 bytes) it is one small buffer.
 */
export class KeptPacket {
  #parts: Buffer[] = [];
  #bytes = 0;
  /** The packet's whole size; CUT while its fixed header is. */
  #size = CUT;

  get empty(): boolean { return this.#bytes === 0; }

  /** Keeps the PUBLISH cut at `at` of `buf` for the next chunk; false if it is too long to keep (mqtt-packet reads it then). */
  keep(buf: Buffer, at: number): boolean {
    const size = packetSize(buf, at);
    if (size > MAX_KEPT_BYTES) return false;
    this.#parts = [buf.subarray(at)];
    this.#bytes = buf.length - at;
    this.#size = size;
    return true;
  }

  /**
   * Adds the next chunk: the kept packet's bytes once complete (`packet`, a copy of exactly them, and `rest`,
   * where the chunk goes on after it), else undefined (kept, or with a still cut header one small copy).
   */
  add(chunk: Buffer): { packet: Buffer; rest: number } | undefined {
    if (this.#size === CUT) {
      // The fixed header is cut (≤ 4 bytes kept): join it to the chunk's first bytes and look again.
      const joined = Buffer.concat([this.#parts[0]!, chunk.subarray(0, 5)]);
      const size = packetSize(joined, 0);
      if (size === NOT_MINE) return this.#handOver(chunk); // a length of more than 4 bytes: mqtt-packet refuses it, as ever
      if (size === CUT) { // still cut: the chunk had fewer than 5 bytes, all joined
        this.#parts = [joined];
        this.#bytes = joined.length;
        return undefined;
      }
      if (size > MAX_KEPT_BYTES) return this.#handOver(chunk); // too long to keep, as keep() decides
      this.#size = size;
    }
    if (this.#bytes + chunk.length < this.#size) {
      this.#parts.push(chunk);
      this.#bytes += chunk.length;
      return undefined;
    }
    const rest = this.#size - this.#bytes;
    const packet = Buffer.concat([...this.#parts, chunk.subarray(0, rest)], this.#size);
    this.#clear();
    return { packet, rest };
  }

  /** All of it and the chunk, for mqtt-packet to read. */
  #handOver(chunk: Buffer): { packet: Buffer; rest: number } {
    const packet = Buffer.concat([...this.#parts, chunk]);
    this.#clear();
    return { packet, rest: chunk.length };
  }

  #clear(): void {
    this.#parts = [];
    this.#bytes = 0;
    this.#size = CUT;
  }
}

/**
 * The fixed header that starts at `at`: 1 byte, then the remaining length in 1 to 4 bytes of
 * 7 bits, least significant first. Answers both in one number, 8 × the remaining length + the
 * header's size (2–5; at most 2 147 483 645, an int32: no allocation on the per-packet path);
 * CUT when the chunk ends inside it, NOT_MINE when the fourth length byte goes on too (mqtt-packet
 * refuses that as soon as it has that byte, whatever follows).
 */
function fixedHeader(buf: Buffer, at: number): number {
  let length = 0;
  let mul = 1;
  for (let i = at + 1; ;) {
    if (i > at + 4) return NOT_MINE;
    if (i >= buf.length) return CUT;
    const byte = buf[i++]!;
    length += (byte & 0x7f) * mul;
    mul *= 128;
    if ((byte & 0x80) === 0) return length * 8 + (i - at);
  }
}

/** The whole size of the packet whose fixed header starts at `at`; CUT or NOT_MINE as fixedHeader answers. */
function packetSize(buf: Buffer, at: number): number {
  const header = fixedHeader(buf, at);
  return header < 0 ? header : (header >> 3) + (header & 7);
}

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
  const kept = new KeptPacket();
  /** Reads `buf` from `at` on: its complete PUBLISHes here, a cut one kept, the rest to mqtt-packet. */
  const readFrom = (buf: Buffer, at: number): void => {
    while (at < buf.length) {
      const packet = new Packet();
      const end = publishAt(buf, at, packet);
      if (end === CUT && kept.keep(buf, at)) return;
      if (end < 0) break;
      at = end;
      parser.emit('packet', packet);
    }
    if (at < buf.length) parseRest.call(parser, at === 0 ? buf : buf.subarray(at));
  };
  /** Only between packets of mqtt-packet (it holds no part of one), never for MQTT 5 (properties), bytes only. */
  const mine = (chunk: Buffer) => parser._list.length === 0 && parser._stateCounter === 0 && parser.error === null
    && parser.settings.protocolVersion !== 5 && Buffer.isBuffer(chunk);
  const read = (chunk: Buffer): void => {
    if (!mine(chunk)) {
      parseRest.call(parser, chunk);
      return;
    }
    if (kept.empty) {
      readFrom(chunk, 0);
      return;
    }
    const whole = kept.add(chunk);
    if (whole === undefined) return; // still cut: the chunk kept as it is, nothing copied
    // The kept PUBLISH is complete: read it (the one copy of its bytes), then the chunk after its end.
    readFrom(whole.packet, 0);
    if (whole.rest === chunk.length) return;
    const rest = chunk.subarray(whole.rest);
    if (mine(rest)) readFrom(rest, 0);
    else parseRest.call(parser, rest);
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
  const zero = buf[at]!;
  if (zero >> 4 !== PUBLISH) return NOT_MINE;
  const qos = (zero >> 1) & 3;
  if (qos === 3) return NOT_MINE;
  const header = fixedHeader(buf, at);
  if (header < 0) return header;
  const length = header >> 3;
  const i = at + (header & 7);
  const end = i + length;
  if (end > buf.length) return CUT;
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
