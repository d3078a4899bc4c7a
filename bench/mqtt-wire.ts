// A lean MQTT 3.1.1 load client for the broker benches (bench/mqtt-throughput.ts): it
// writes pre-encoded packets, a window's worth in one write, and reads the broker's
// packets with a loop over the bytes — no per-message objects, promises or events.
// Why: with mqtt.js the bench's one process (8 publishers + the subscriber) spent
// ~10 µs of CPU per message at QoS 1, more than either Portier's broker (7.9) or
// mosquitto (10.2), so msg/s measured the client, not the broker (docs/devices.md,
// "The bench's clients"). The same client code drives every broker; mqtt.js stays
// available (`--client=mqttjs`) to compare with the earlier figures.
//
// What it answers is gathered per event-loop turn, not per read: the PUBACKs it owes
// and a publisher's refill leave in one write after every read of that turn (a
// setImmediate), so how a broker groups its own writes (mosquitto writes a packet per
// write, aedes several) does not set the size of the client's writes.
import { connect as tcpConnect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { once } from 'node:events';
import { writeSequence } from './mqtt-stamp.ts';

export interface WireOptions {
  clientId: string;
  username?: string;
  password?: string;
  /** Clean session (MQTT 3.1.1 §3.1.2.4); default true. */
  clean?: boolean;
}

/** A CONNACK or SUBACK that says no, a packet the client did not expect, or a wait that ran out. */
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
/** How long CONNACK and SUBACK may take, and end() waits for the broker to close. */
const ANSWER_MS = 10_000;
const END_MS = 2_000;

/** A UTF-8 string with its two-byte length (MQTT 3.1.1 §1.5.3). */
function mqttString(s: string): Buffer {
  const bytes = Buffer.from(s, 'utf8');
  const out = Buffer.allocUnsafe(2 + bytes.length);
  out.writeUInt16BE(bytes.length, 0);
  bytes.copy(out, 2);
  return out;
}

/** The remaining length's bytes (§2.2.3). */
export function remainingLength(n: number): Buffer {
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
  // §3.1.2.9: a password needs a user name.
  if (o.password !== undefined && o.username === undefined) throw new WireRefused(`CONNECT of ${o.clientId} has a password without a user name`, 0);
  const flags = (o.username !== undefined ? 0x80 : 0) | (o.password !== undefined ? 0x40 : 0) | (o.clean === false ? 0 : 0x02);
  // keep-alive 0: no PINGREQ is needed however long a scenario runs (§3.1.2.10).
  const header = Buffer.from([0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, flags, 0x00, 0x00]);
  const parts = [header, mqttString(o.clientId)];
  if (o.username !== undefined) parts.push(mqttString(o.username));
  if (o.password !== undefined) parts.push(mqttString(o.password));
  return packet(0x10, Buffer.concat(parts));
}

/** A PUBLISH whose packet id (QoS 1) is at `idAt` and written per message; its payload starts at `payloadAt`. */
export function publishTemplate(topic: string, payload: string | Buffer, qos: 0 | 1): { bytes: Buffer; idAt: number; payloadAt: number } {
  const t = mqttString(topic);
  const p = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const body = Buffer.concat(qos === 1 ? [t, Buffer.from([0, 0]), p] : [t, p]);
  const bytes = packet(PUBLISH | (qos << 1), body);
  return { bytes, idAt: bytes.length - p.length - 2, payloadAt: bytes.length - p.length };
}

/**
 * The end of the packet at `at` in `buf` and where its body starts, or undefined
 * when it is not all there; a fifth remaining-length byte is refused (§2.2.3).
 */
function packetBounds(buf: Buffer, at: number): { bodyAt: number; end: number } | undefined {
  let length = 0;
  let multiplier = 1;
  let i = at + 1;
  for (;;) {
    if (i >= buf.length) return undefined;
    const b = buf[i++]!;
    length += (b & 0x7f) * multiplier;
    if ((b & 0x80) === 0) break;
    multiplier *= 128;
    if (multiplier > 128 ** 3) throw new WireRefused('remaining length longer than four bytes', b);
  }
  return i + length > buf.length ? undefined : { bodyAt: i, end: i + length };
}

/**
 * What the reads of a socket held, packet by packet. A packet cut at a chunk's end is
 * kept as its chunks (each copied once) and joined once, when its last byte is there.
 * `onPacket(type, buf, start, end)` gets the packet's first byte and its variable header
 * + payload as `buf[start, end)`.
 */
export class PacketReader {
  readonly #onPacket: (first: number, buf: Buffer, start: number, end: number) => void;
  /** The cut packet's chunks so far, its bytes, and its whole length once its header is there. */
  #kept: Buffer[] = [];
  #keptBytes = 0;
  #keptNeeds: number | undefined;

  constructor(onPacket: (first: number, buf: Buffer, start: number, end: number) => void) {
    this.#onPacket = onPacket;
  }

  push(chunk: Buffer): void {
    let buf = chunk;
    if (this.#kept.length > 0) {
      this.#keep(chunk);
      if (this.#keptNeeds === undefined || this.#keptBytes < this.#keptNeeds) return;
      buf = Buffer.concat(this.#kept, this.#keptBytes);
      this.#kept = [];
      this.#keptBytes = 0;
      this.#keptNeeds = undefined;
    }
    let at = 0;
    while (at < buf.length) {
      const bounds = packetBounds(buf, at);
      if (!bounds) { this.#keep(buf.subarray(at)); return; }
      this.#onPacket(buf[at]!, buf, bounds.bodyAt, bounds.end);
      at = bounds.end;
    }
  }

  #keep(part: Buffer): void {
    this.#kept.push(Buffer.from(part));
    this.#keptBytes += part.length;
    if (this.#keptNeeds !== undefined) return;
    // the header is at most 5 bytes: joining what is kept of it is cheap
    const head = Buffer.concat(this.#kept, Math.min(this.#keptBytes, 5));
    let i = 1;
    while (i < head.length && (head[i]! & 0x80) !== 0) i++;
    if (i >= head.length) { if (head.length === 5) packetBounds(head, 0); return; } // throws on a fifth length byte
    let length = 0;
    for (let j = i; j >= 1; j--) length = length * 128 + (head[j]! & 0x7f);
    this.#keptNeeds = i + 1 + length;
  }
}

/** One connection: CONNECT sent, CONNACK accepted. */
export class WireClient {
  readonly socket: Duplex;
  readonly #reader = new PacketReader((first, buf, start, end) => this.#packet(first, buf, start, end));
  #failed: Error | undefined;
  /** Rejections of what is being waited for (CONNACK, SUBACK, a publishAll), and onFailure's listeners. */
  readonly #onFail = new Set<(error: Error) => void>();

  #connacked: ((code: number) => void) | undefined;
  #subacked: ((granted: number) => void) | undefined;
  #onDelivery: ((count: number) => void) | undefined;
  #onPublish: ((buf: Buffer, start: number, end: number, dup: boolean) => void) | undefined;
  #deliveries = 0;
  #reported = 0;
  /** PUBACKs owed for this turn's QoS 1 deliveries. */
  #owed: number[] = [];
  /** QoS 1 publishes in flight by packet id (1 = sent, not yet acknowledged). */
  readonly #inFlight = new Uint8Array(0x10000);
  #acked = 0;
  #ackedSeen = 0;
  #onAcks: (() => void) | undefined;
  #turnQueued = false;

  private constructor(socket: Duplex) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#reader.push(chunk);
      } catch (error) {
        this.#fail(error as Error);
        return;
      }
      if (!this.#turnQueued) { this.#turnQueued = true; setImmediate(this.#turn); }
    });
    socket.on('error', (error) => this.#fail(error));
    socket.on('close', () => this.#fail(new Error('mqtt-wire: the broker closed the connection')));
  }

  /** Connects over TCP (no Nagle: the bench measures latency-bound round trips too). */
  static async connect(host: string, port: number, options: WireOptions): Promise<WireClient> {
    const socket = tcpConnect({ host, port });
    socket.setNoDelay(true);
    await Promise.race([once(socket, 'connect'), timeout(ANSWER_MS, `no TCP connection to ${host}:${port}`)]);
    return WireClient.over(socket, options);
  }

  /** CONNECT over a connected stream (a socket, or a test's stream); resolves on an accepting CONNACK. */
  static async over(stream: Duplex, options: WireOptions): Promise<WireClient> {
    const client = new WireClient(stream);
    try {
      const code = await client.#answer<number>('CONNACK', (resolve) => {
        client.#connacked = resolve;
        stream.write(connectPacket(options));
      });
      if (code !== 0) throw new WireRefused(`CONNACK refused ${options.clientId}`, code);
    } catch (error) {
      stream.destroy();
      throw error;
    }
    return client;
  }

  /** `listener(error)` once the connection fails (not after end()). */
  onFailure(listener: (error: Error) => void): void {
    if (this.#failed) listener(this.#failed); else this.#onFail.add(listener);
  }

  /** SUBSCRIBE to one filter; resolves on a SUBACK that grants the QoS asked for. */
  async subscribe(filter: string, qos: 0 | 1): Promise<void> {
    const granted = await this.#answer<number>('SUBACK', (resolve) => {
      this.#subacked = resolve;
      this.socket.write(packet(0x82, Buffer.concat([Buffer.from([0, SUBSCRIBE_ID]), mqttString(filter), Buffer.from([qos])])));
    });
    if (granted !== qos) throw new WireRefused(`SUBACK for ${filter} granted ${granted === 0x80 ? 'nothing' : `QoS ${granted}`}, asked QoS ${qos}`, granted);
  }

  /** Calls `onCount(n)` with the number of deliveries so far once per turn that brought some; QoS 1 ones are acknowledged in one write per turn. */
  onDeliveries(onCount: (count: number) => void): void {
    this.#onDelivery = onCount;
  }

  /** Calls `onPublish` with each delivery's payload (`buf[start, end)`, valid during the call only) and its DUP flag, as it is read. */
  onPublishes(onPublish: (buf: Buffer, start: number, end: number, dup: boolean) => void): void {
    this.#onPublish = onPublish;
  }

  /**
   * Publishes `count` copies with at most `window` unacknowledged (QoS 1), refilled in
   * one write per turn that brought PUBACKs; QoS 0 writes a window per event-loop turn
   * and waits for 'drain' when the socket is full. Resolves when all are acknowledged
   * (QoS 1) or handed to the kernel (QoS 0); rejects when the connection fails.
   * `seqAt`: the payload is stamped (bench/mqtt-stamp.ts) and each copy gets its sequence
   * number (0, 1, …) written there.
   */
  publishAll(topic: string, payload: string | Buffer, qos: 0 | 1, count: number, window: number, seqAt?: number): Promise<void> {
    if (window < 1 || window >= 0xffff) throw new RangeError(`window ${window}: 1 … 65534 (packet ids must not wrap onto one in flight)`);
    const { bytes, idAt, payloadAt } = publishTemplate(topic, payload, qos);
    const stampAt = seqAt === undefined ? -1 : payloadAt + seqAt;
    let sent = 0;
    let nextId = 0;
    const batch = (n: number): Buffer => {
      const out = Buffer.allocUnsafe(n * bytes.length);
      for (let i = 0; i < n; i++) {
        const at = i * bytes.length;
        bytes.copy(out, at);
        if (stampAt >= 0) writeSequence(out, at + stampAt, sent + i);
        if (qos === 1) {
          nextId = nextId === 0xffff ? 1 : nextId + 1;
          out.writeUInt16BE(nextId, at + idAt);
          this.#inFlight[nextId] = 1;
        }
      }
      sent += n;
      return out;
    };
    return this.#until<void>((resolve) => {
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

  /** DISCONNECT and wait (at most END_MS) for the broker to close; then the socket goes. */
  async end(): Promise<void> {
    if (this.socket.destroyed) return;
    this.#failed ??= new Error('mqtt-wire: ended');
    this.#onFail.clear();
    const closed = once(this.socket, 'close');
    this.socket.end(Buffer.from([0xe0, 0x00]));
    await Promise.race([closed, timeout(END_MS, 'close').catch(() => undefined)]);
    this.socket.destroy();
  }

  /** What `start` resolves, rejected when the connection fails first. */
  #until<T>(start: (resolve: (value: T) => void) => void): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      if (this.#failed) { reject(this.#failed); return; }
      const onFail = (error: Error) => reject(error);
      this.#onFail.add(onFail);
      start((value) => { this.#onFail.delete(onFail); resolve(value); });
    });
  }

  /** As #until, also rejected when the broker's answer takes longer than ANSWER_MS. */
  #answer<T>(what: string, start: (resolve: (value: T) => void) => void): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      this.#until<T>(start),
      new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new WireRefused(`no ${what} within ${ANSWER_MS} ms`, 0)), ANSWER_MS); }),
    ]).finally(() => clearTimeout(timer));
  }

  #fail(error: Error): void {
    if (this.#failed) return;
    this.#failed = error;
    for (const listener of this.#onFail) listener(error);
    this.#onFail.clear();
    this.socket.destroy();
  }

  /** After every read of a turn: the PUBACKs owed in one write, the deliveries counted, a publisher's refill. */
  readonly #turn = (): void => {
    this.#turnQueued = false;
    if (this.#failed) return;
    if (this.#owed.length > 0) this.#writeAcks();
    if (this.#deliveries !== this.#reported) { this.#reported = this.#deliveries; this.#onDelivery?.(this.#deliveries); }
    if (this.#acked !== this.#ackedSeen) { this.#ackedSeen = this.#acked; this.#onAcks?.(); }
  };

  #packet(first: number, buf: Buffer, start: number, end: number): void {
    switch (first & 0xf0) {
      case PUBLISH: {
        this.#deliveries++;
        const topicEnd = start + 2 + buf.readUInt16BE(start);
        const qos1 = (first & 0x06) === 0x02;
        if (qos1) this.#owed.push(buf.readUInt16BE(topicEnd));
        this.#onPublish?.(buf, qos1 ? topicEnd + 2 : topicEnd, end, (first & 0x08) !== 0);
        return;
      }
      case PUBACK: {
        const id = buf.readUInt16BE(start);
        if (this.#inFlight[id] !== 1) throw new WireRefused('PUBACK for a packet id not in flight', id);
        this.#inFlight[id] = 0;
        this.#acked++;
        return;
      }
      case CONNACK: {
        const connacked = this.#connacked;
        this.#connacked = undefined;
        if (!connacked) throw new WireRefused('CONNACK not asked for', first);
        connacked(buf[start + 1]!);
        return;
      }
      case SUBACK: {
        const subacked = this.#subacked;
        this.#subacked = undefined;
        if (!subacked || buf.readUInt16BE(start) !== SUBSCRIBE_ID) throw new WireRefused('SUBACK not asked for', first);
        subacked(buf[end - 1]!);
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

/** Rejects with a WireRefused naming `what` after `ms` (unref'd: it never keeps the process alive). */
function timeout(ms: number, what: string): Promise<never> {
  return new Promise<never>((_, reject) => { setTimeout(() => reject(new WireRefused(`${what}: no answer within ${ms} ms`, 0)), ms).unref(); });
}
