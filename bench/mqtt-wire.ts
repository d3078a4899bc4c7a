// A lean MQTT 3.1.1 load client for the broker benches (bench/mqtt-throughput.ts): it
// writes pre-encoded packets, a window's worth in one write, and reads the broker's
// packets with a loop over the bytes — no per-message objects, promises or events.
// Why: with mqtt.js the bench's one process (8 publishers + the subscriber) spent
// ~10 µs of CPU per message at QoS 1, more than either Portier's broker (7.9) or
// mosquitto (10.2), so msg/s measured the client, not the broker (docs/devices.md,
// "The bench's clients"). The same client code drives every broker; mqtt.js stays
// available (`--client=mqttjs`) to compare with the earlier figures.
import { connect as tcpConnect, type Socket } from 'node:net';
import { once } from 'node:events';

export interface WireOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** Clean session (MQTT 3.1.1 §3.1.2.4); default true. */
  clean?: boolean;
}

/** A CONNACK or SUBACK that says no, or a packet the client did not expect. */
export class WireRefused extends Error {
  readonly code: number;
  constructor(what: string, code: number) {
    super(`mqtt-wire: ${what} (code ${code})`);
    this.name = 'WireRefused';
    this.code = code;
  }
}

const CONNACK = 0x20;
const PUBLISH = 0x30;
const PUBACK = 0x40;
const SUBACK = 0x90;
const SUBSCRIBE_ID = 1;

/** A UTF-8 string with its two-byte length (MQTT 3.1.1 §1.5.3). */
function mqttString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** The remaining length's bytes (§2.2.3). */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}

function packet(firstByte: number, body: Buffer): Buffer {
  return Buffer.concat([Buffer.from([firstByte]), remainingLength(body.length), body]);
}

export function connectPacket(o: WireOptions): Buffer {
  const flags = (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0) | (o.clean === false ? 0 : 0x02);
  // keep-alive 0: no PINGREQ is needed however long a scenario runs (§3.1.2.10).
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, flags, 0x00, 0x00]);
  const parts = [header, mqttString(o.clientId)];
  if (o.username !== undefined) parts.push(mqttString(o.username));
  if (o.password !== undefined) parts.push(mqttString(o.password));
  return packet(0x10, Buffer.concat(parts));
}

/** A PUBLISH whose packet id (QoS 1) is at `idAt` and written per message. */
export function publishTemplate(topic: string, payload: string, qos: 0 | 1): { bytes: Buffer; idAt: number } {
  const t = mqttString(topic);
  const p = Buffer.from(payload, 'utf8');
  const body = Buffer.concat(qos === 1 ? [t, Buffer.from([0, 0]), p] : [t, p]);
  const bytes = packet(PUBLISH | (qos << 1), body);
  return { bytes, idAt: bytes.length - p.length - 2 };
}

/**
 * What one read of the socket held, packet by packet: a packet cut at the chunk's end
 * is kept (copied once) until the rest arrives. `onPacket(type, buf, start, end)` gets
 * the packet's first byte and its variable header + payload as `buf[start, end)`.
 */
export class PacketReader {
  #rest: Buffer | undefined;
  readonly #onPacket: (first: number, buf: Buffer, start: number, end: number) => void;

  constructor(onPacket: (first: number, buf: Buffer, start: number, end: number) => void) {
    this.#onPacket = onPacket;
  }

  push(chunk: Buffer): void {
    const buf = this.#rest ? Buffer.concat([this.#rest, chunk]) : chunk;
    this.#rest = undefined;
    let at = 0;
    while (at < buf.length) {
      const end = this.#packetEnd(buf, at);
      if (end < 0) { this.#rest = Buffer.from(buf.subarray(at)); return; }
      this.#onPacket(buf[at]!, buf, end - this.#bodyLength, end);
      at = end;
    }
  }

  #bodyLength = 0;

  /** The end of the packet at `at`, or -1 when it is not all there. */
  #packetEnd(buf: Buffer, at: number): number {
    let length = 0;
    let multiplier = 1;
    let i = at + 1;
    for (;;) {
      if (i >= buf.length) return -1;
      const b = buf[i++]!;
      length += (b & 0x7f) * multiplier;
      if ((b & 0x80) === 0) break;
      multiplier *= 128;
      if (multiplier > 128 ** 3) throw new WireRefused('remaining length longer than four bytes', b);
    }
    if (i + length > buf.length) return -1;
    this.#bodyLength = length;
    return i + length;
  }
}

/** One connection: CONNECT sent, CONNACK accepted. */
export class WireClient {
  #acked = 0;
  #ackedSeen = 0;
  /** After a read that brought PUBACKs: one refill per read, not per PUBACK. */
  #onAcks: (() => void) | undefined;
  #deliveries = 0;
  #reported = 0;
  #onDelivery: ((count: number) => void) | undefined;
  #subacked: ((granted: number) => void) | undefined;
  #connacked: ((code: number) => void) | undefined;
  #failed: Error | undefined;
  readonly #reader = new PacketReader((first, buf, start, end) => this.#packet(first, buf, start, end));
  /** PUBACKs owed for the current read's QoS 1 deliveries: written once per read. */
  #owed: number[] = [];

  readonly socket: Socket;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#reader.push(chunk);
        if (this.#owed.length > 0) this.#writeAcks();
      } catch (error) {
        this.#fail(error as Error);
        this.socket.destroy();
        return;
      }
      if (this.#deliveries !== this.#reported) { this.#reported = this.#deliveries; this.#onDelivery?.(this.#deliveries); }
      if (this.#acked !== this.#ackedSeen) { this.#ackedSeen = this.#acked; this.#onAcks?.(); }
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('mqtt-wire: the broker closed the connection')));
  }

  static async connect(host: string, port: number, options: WireOptions): Promise<WireClient> {
    const socket = tcpConnect({ host, port });
    await once(socket, 'connect');
    const client = new WireClient(socket);
    const code = await new Promise<number>((resolve, reject) => {
      client.#connacked = resolve;
      client.#rejectWith = reject;
      socket.write(connectPacket(options));
    });
    if (code !== 0) { socket.destroy(); throw new WireRefused(`CONNACK refused ${options.clientId}`, code); }
    return client;
  }

  #rejectWith: ((error: Error) => void) | undefined;

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = error;
    this.#rejectWith?.(error);
  }

  /** SUBSCRIBE to one filter; resolves on a SUBACK that grants it. */
  async subscribe(filter: string, qos: 0 | 1): Promise<void> {
    const granted = await new Promise<number>((resolve, reject) => {
      this.#subacked = resolve;
      this.#rejectWith = reject;
      this.socket.write(packet(0x82, Buffer.concat([Buffer.from([0, SUBSCRIBE_ID]), mqttString(filter), Buffer.from([qos])])));
    });
    if (granted === 0x80) throw new WireRefused(`SUBACK refused ${filter}`, granted);
  }

  /** Calls `onCount(n)` with the number of deliveries so far after each read that brought some; QoS 1 ones are acknowledged (one write per read). */
  onDeliveries(onCount: (count: number) => void): void {
    this.#onDelivery = onCount;
  }

  /**
   * Publishes `count` copies with at most `window` unacknowledged (QoS 1), refilled in
   * one write per read of PUBACKs; QoS 0 writes a window per event-loop turn and waits
   * for 'drain' when the socket is full. Resolves when all are acknowledged (QoS 1) or
   * handed to the kernel (QoS 0).
   */
  publishAll(topic: string, payload: string, qos: 0 | 1, count: number, window: number): Promise<void> {
    const { bytes, idAt } = publishTemplate(topic, payload, qos);
    return new Promise<void>((resolve, reject) => {
      this.#rejectWith = reject;
      if (this.#failed) { reject(this.#failed); return; }
      let sent = 0;
      let nextId = 0;
      const batch = (n: number): Buffer => {
        const out = Buffer.allocUnsafe(n * bytes.length);
        for (let i = 0; i < n; i++) {
          const at = i * bytes.length;
          bytes.copy(out, at);
          if (qos === 1) {
            nextId = nextId === 0xffff ? 1 : nextId + 1;
            out.writeUInt16BE(nextId, at + idAt);
          }
        }
        sent += n;
        return out;
      };
      if (qos === 1) {
        this.#acked = 0;
        this.#ackedSeen = 0;
        const refill = () => {
          const n = Math.min(window - (sent - this.#acked), count - sent);
          if (n > 0) this.socket.write(batch(n));
        };
        this.#onAcks = () => {
          if (this.#acked >= count) { this.#onAcks = undefined; resolve(); } else refill();
        };
        if (count === 0) resolve(); else refill();
        return;
      }
      const pump = () => {
        if (this.#failed) return;
        if (sent === count) { resolve(); return; }
        const ok = this.socket.write(batch(Math.min(window, count - sent)));
        if (ok) setImmediate(pump); else this.socket.once('drain', pump);
      };
      pump();
    });
  }

  async end(): Promise<void> {
    if (this.socket.destroyed) return;
    this.#failed ??= new Error('mqtt-wire: ended');
    const closed = once(this.socket, 'close');
    this.socket.end(Buffer.from([0xe0, 0x00]));
    await closed;
  }

  #packet(first: number, buf: Buffer, start: number, end: number): void {
    switch (first & 0xf0) {
      case PUBLISH: {
        this.#deliveries++;
        if ((first & 0x06) === 0x02) {
          const topicLength = buf.readUInt16BE(start);
          this.#owed.push(buf.readUInt16BE(start + 2 + topicLength));
        }
        return;
      }
      case PUBACK:
        this.#acked++;
        return;
      case CONNACK: {
        const connacked = this.#connacked;
        this.#connacked = undefined;
        connacked?.(buf[start + 1]!);
        return;
      }
      case SUBACK: {
        const subacked = this.#subacked;
        this.#subacked = undefined;
        subacked?.(buf[end - 1]!);
        return;
      }
      default:
        throw new WireRefused('unexpected packet type', first);
    }
  }

  #writeAcks(): void {
    const out = Buffer.allocUnsafe(this.#owed.length * 4);
    for (let i = 0; i < this.#owed.length; i++) {
      out[i * 4] = PUBACK;
      out[i * 4 + 1] = 2;
      out.writeUInt16BE(this.#owed[i]!, i * 4 + 2);
    }
    this.#owed.length = 0;
    this.socket.write(out);
  }
}
