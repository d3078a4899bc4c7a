// A telephone's ear and mouth in G.711 for mix tests: a UDP socket that keeps
// the RTP it receives (by SSRC) and tells which tones a run of it carries, and
// a paced sender of one tone (one 20 ms packet per 20 ms, like a real phone).
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { readFileSync, writeFileSync } from 'node:fs';
import { decodeG711, encodeG711, readRtp, toneEnergy, writeRtp, type G711Law, type RtpPacket } from '../../src/media/index.ts';

export const G711_PT: Record<G711Law, number> = { PCMU: 0, PCMA: 8 };

/**
 * Whether a tone of `hz` is a real part of the samples: its power at least 5 % of
 * theirs (a tone alone has 50 %, each of two equal ones 25 %; G.711's quantisation
 * products stay far below). Silence carries nothing.
 */
export function carries(samples: Int16Array, hz: number): boolean {
  const power = samples.reduce((sum, s) => sum + s * s, 0) / Math.max(samples.length, 1);
  return power > 0 && toneEnergy(samples, hz) > 0.05 * power;
}

export class ToneEar {
  readonly socket: Socket = createSocket('udp4');
  readonly packets: RtpPacket[] = [];
  #waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  async bind(host = '127.0.0.1'): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, host, resolve));
    this.socket.on('message', (data) => {
      const rtp = readRtp(data);
      // RTCP (PT 200–204 with the marker bit) is not audio.
      if (!rtp || (data[1]! >= 192 && data[1]! <= 223)) return;
      this.packets.push({ ...rtp, payload: Uint8Array.from(rtp.payload) });
      this.#waiters = this.#waiters.filter((w) => (w.done() ? (w.resolve(), false) : true));
    });
    return (this.socket.address() as AddressInfo).port;
  }

  get port(): number { return (this.socket.address() as AddressInfo).port; }

  /** Resolves once `done()` holds after a packet (checked at once too). */
  until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ done, resolve }));
  }

  /** Resolves once `n` more packets of `ssrc` (any, without) arrived after now. */
  more(n: number, ssrc?: number): Promise<RtpPacket[]> {
    const from = this.packets.length;
    const of = () => this.packets.slice(from).filter((p) => ssrc === undefined || p.ssrc === ssrc);
    return this.until(() => of().length >= n).then(of);
  }

  /** The samples of packets decoded in `law`, in arrival order. */
  static samples(packets: RtpPacket[], law: G711Law): Int16Array {
    const out = new Int16Array(packets.reduce((n, p) => n + p.payload.length, 0));
    let at = 0;
    for (const p of packets) { out.set(decodeG711(law, p.payload), at); at += p.payload.length; }
    return out;
  }

  close(): void {
    this.#waiters = [];
    this.socket.close();
  }
}

/** Sends a tone of `hz` as G.711 RTP to `port`, one packet per 20 ms, until stopped. */
export class ToneMouth {
  readonly socket: Socket = createSocket('udp4');
  #timer?: NodeJS.Timeout;
  #n = 0;
  sent = 0;

  readonly law: G711Law;
  readonly hz: number;
  readonly ssrc: number;
  readonly payloadType: number;

  constructor(law: G711Law, hz: number, ssrc: number, payloadType = G711_PT[law]) {
    this.law = law;
    this.hz = hz;
    this.ssrc = ssrc;
    this.payloadType = payloadType;
  }

  async start(port: number, host = '127.0.0.1'): Promise<void> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    // Paced by the clock, not by the timer's count: Node's intervals drift late.
    const start = performance.now();
    this.#timer = setInterval(() => {
      const due = Math.floor((performance.now() - start) / 20) + 1;
      for (; this.sent < due; this.sent += 1) this.socket.send(this.packet(), port, host);
    }, 10);
  }

  /** The next 20 ms of the tone (amplitude 6000). */
  packet(): Buffer {
    const n = this.#n++;
    const samples = Array.from({ length: 160 }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * this.hz * (n * 160 + i)) / 8000)));
    return writeRtp({ payloadType: this.payloadType, marker: n === 0, sequenceNumber: n & 0xffff, timestamp: (n * 160) >>> 0, ssrc: this.ssrc, payload: encodeG711(this.law, samples) });
  }

  close(): void {
    clearInterval(this.#timer);
    this.socket.close();
  }
}

/**
 * A libpcap capture of `seconds` of a tone of `hz` in `law`, for sipp's
 * play_pcap_audio: the Ethernet/IPv4/UDP framing and packet size (ptime) of the
 * first packet of `template` (sipp's g711a.pcap: 240 samples, 30 ms), the RTP
 * payload type of `law`, sequence numbers and timestamps counting on.
 */
export function writeTonePcap(template: string, dest: string, opts: { law: G711Law; hz: number; seconds: number }): void {
  const file = readFileSync(template);
  const record = file.readUInt32LE(24 + 8);
  const frame = file.subarray(24 + 16, 24 + 16 + record);
  const ip = 14;
  const rtpAt = ip + (frame[ip]! & 0x0f) * 4 + 8;
  const samplesPerPacket = frame.length - rtpAt - 12;
  const packetMs = (samplesPerPacket / 8000) * 1000;
  const count = Math.ceil((opts.seconds * 1000) / packetMs);
  const out = Buffer.alloc(24 + count * (16 + frame.length));
  file.copy(out, 0, 0, 24);
  for (let n = 0; n < count; n += 1) {
    const at = 24 + n * (16 + frame.length);
    const us = Math.round(n * packetMs * 1000);
    out.writeUInt32LE(Math.floor(us / 1e6), at);
    out.writeUInt32LE(us % 1e6, at + 4);
    out.writeUInt32LE(frame.length, at + 8);
    out.writeUInt32LE(frame.length, at + 12);
    frame.copy(out, at + 16);
    // No UDP checksum (IPv4 allows 0): the payload differs from the template's.
    out.writeUInt16BE(0, at + 16 + rtpAt - 2);
    const samples = Array.from({ length: samplesPerPacket }, (_, i) => Math.round(6000 * Math.sin((2 * Math.PI * opts.hz * (n * samplesPerPacket + i)) / 8000)));
    const rtp = writeRtp({ payloadType: G711_PT[opts.law], marker: n === 0, sequenceNumber: n & 0xffff, timestamp: n * samplesPerPacket, ssrc: 0x5eed, payload: encodeG711(opts.law, samples) });
    rtp.copy(out, at + 16 + rtpAt);
  }
  writeFileSync(dest, out);
}
