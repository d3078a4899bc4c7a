// RTP load for the capacity benchmark: paced senders of opus-sized and
// VP8-sized packets (every video packet marked as a key frame so consumers
// forward at once) and one receiver that counts packets and sequence gaps per SSRC.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

export interface StreamSpec { ssrc: number; payloadType: number; pps: number; bytes: number; video: boolean }

export const AUDIO = { payloadType: 100, pps: 50, bytes: 160, video: false };   // opus ~64 kbit/s
export const VIDEO = { payloadType: 101, pps: 110, bytes: 1100, video: true };  // VP8 ~1 Mbit/s

function packet(spec: StreamSpec, seq: number, ts: number): Buffer {
  const b = Buffer.alloc(12 + spec.bytes);
  b[0] = 0x80;
  b[1] = spec.payloadType;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(spec.ssrc >>> 0, 8);
  if (spec.video) {
    // VP8 payload descriptor (S=1, PID 0) and a key-frame payload header 640x360.
    Buffer.from([0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]).copy(b, 12);
  }
  return b;
}

/** Sends every stream to its port at its rate for `seconds`, in 10 ms ticks. */
export async function send(streams: Array<StreamSpec & { port: number }>, seconds: number): Promise<number> {
  const socket = createSocket('udp4');
  const seq = new Map<number, number>();
  let sent = 0;
  const start = Date.now();
  const ticks = Math.round(seconds * 100);
  for (let tick = 0; tick < ticks; tick++) {
    for (const s of streams) {
      const due = Math.floor(((tick + 1) * s.pps) / 100) - Math.floor((tick * s.pps) / 100);
      for (let k = 0; k < due; k++) {
        const n = (seq.get(s.ssrc) ?? 0) + 1;
        seq.set(s.ssrc, n);
        socket.send(packet(s, n, n * (s.video ? 3000 : 960)), s.port, '127.0.0.1');
        sent++;
      }
    }
    const wait = start + (tick + 1) * 10 - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await new Promise((r) => setTimeout(r, 50));
  socket.close();
  return sent;
}

const PROBATION_SSRC = 1234;

export class Receiver {
  readonly #socket: Socket = createSocket('udp4');
  readonly #streams = new Map<number, { received: number; first: number; last: number }>();

  async bind(): Promise<number> {
    this.#socket.on('message', (msg) => {
      if (msg.length < 12 || (msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 76) return; // RTCP
      const ssrc = msg.readUInt32BE(8);
      if (ssrc === PROBATION_SSRC) return; // mediasoup's bandwidth probation packets
      const seq = msg.readUInt16BE(2);
      const s = this.#streams.get(ssrc);
      if (!s) this.#streams.set(ssrc, { received: 1, first: seq, last: seq });
      else { s.received++; if (((seq - s.last) & 0xffff) < 0x8000) s.last = seq; }
    });
    await new Promise<void>((r) => this.#socket.bind(0, '127.0.0.1', r));
    return (this.#socket.address() as AddressInfo).port;
  }

  /** Packets received and the loss the sequence numbers show, over every stream. */
  stats(): { streams: number; received: number; expected: number; lossPct: number } {
    let received = 0;
    let expected = 0;
    for (const s of this.#streams.values()) {
      received += s.received;
      expected += ((s.last - s.first) & 0xffff) + 1;
    }
    return { streams: this.#streams.size, received, expected, lossPct: expected ? Number((100 * (1 - received / expected)).toFixed(3)) : 0 };
  }

  reset(): void { this.#streams.clear(); }
  close(): void { this.#socket.close(); }
}
