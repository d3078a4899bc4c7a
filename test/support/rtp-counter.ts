// What a SIP peer's RTP socket received, counted by payload type (the tests'
// "phone" ear), and a PCMA packet to send as that phone; a bare RTP packet and a
// bound UDP socket for the tests that feed an SFU transport directly.
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import type { AddressInfo } from 'node:net';

/** A UDP socket counting the RTP packets (by payload type) it receives. */
export class RtpCounter {
  readonly socket: UdpSocket = createSocket('udp4');
  readonly byPayloadType = new Map<number, number>();
  #waiters: Array<{ pt: number; n: number; resolve: () => void }> = [];
  lastSource?: { address: string; port: number };

  async bind(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    this.socket.on('message', (data, rinfo) => {
      if (data.length < 12 || (data[0]! & 0xc0) !== 0x80 || (data[1]! >= 192 && data[1]! <= 223)) return;
      const pt = data[1]! & 0x7f;
      this.byPayloadType.set(pt, (this.byPayloadType.get(pt) ?? 0) + 1);
      this.lastSource = { address: rinfo.address, port: rinfo.port };
      this.#waiters = this.#waiters.filter((w) => (this.count(w.pt) >= w.n ? (w.resolve(), false) : true));
    });
    return this.socket.address().port;
  }

  count(pt: number): number { return this.byPayloadType.get(pt) ?? 0; }

  /** Resolves once `n` packets of payload type `pt` arrived. */
  reach(pt: number, n: number): Promise<void> {
    if (this.count(pt) >= n) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ pt, n, resolve }));
  }

  close(): void { this.socket.close(); }
}

/** An RTP packet of 20 ms PCMA silence. */
export function pcmaPacket(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 160, 0xd5);
  b[0] = 0x80;
  b[1] = 8;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 160) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

/** An RTP packet of 80 zero bytes with this payload type (timestamp: seq · 960, 20 ms of Opus). */
export function rtpPacket(payloadType: number, seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 80);
  b[0] = 0x80;
  b[1] = payloadType;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

/** A UDP socket bound to an ephemeral port on 127.0.0.1, and that port. */
export async function boundUdpSocket(): Promise<{ socket: UdpSocket; port: number }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, port: (socket.address() as AddressInfo).port };
}
