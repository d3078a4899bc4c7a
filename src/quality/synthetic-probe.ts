// The synthetic probe: proves, every interval, that a call's media can go
// through a worker end to end. It opens a call media through the MediaPort
// (public interface only), joins two plain-RTP participants, has the second
// consume the first's audio, sends RTP packets from a local UDP socket into the
// first and counts those that come out of the second. With a signaling check it
// first signs a probe client in through the real socket.io path; its failure is
// the probe's (error `signaling: …`). Results are stored; N
// consecutive failures (the contract: two) mean the service is down.
import { createSocket, type Socket } from 'node:dgram';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import { TypedEmitter, PortierError, type Clock } from '../core/index.ts';
import type { CallMedia, MediaParameters, MediaPort } from '../calls/index.ts';
import type { ProbeResult, SlaRecords } from './sla-records.ts';

export interface ProbeSettings {
  intervalMs: number;
  /** RTP packets sent per probe. */
  packets: number;
  /** A probe that has not received its packets back by then fails. */
  timeoutMs: number;
  /** Consecutive failed probes that make the service down. */
  failures: number;
}

export type SyntheticProbeEvents = {
  probe: [ProbeResult];
  /** `failures` probes failed in a row (the first of them at `since`). */
  down: [{ since: number; at: number }];
  /** A probe succeeded after the service was down. */
  up: [{ at: number }];
  error: [Error];
};

/** The probe talks to the worker on loopback, whatever addresses the worker announces to clients. */
const LOOPBACK = '127.0.0.1';
const OPUS = { mimeType: 'audio/opus', payloadType: 111, clockRate: 48000, channels: 2 };
const A = 'probe-sender';
const B = 'probe-receiver';

function rtp(seq: number, ssrc: number): Buffer {
  const b = Buffer.alloc(12 + 40);
  b[0] = 0x80;
  b[1] = OPUS.payloadType;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  return b;
}

const isRtcp = (msg: Buffer): boolean => msg.length < 12 || ((msg[1]! & 0x7f) >= 72 && (msg[1]! & 0x7f) <= 76);

async function udp(): Promise<Socket> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, LOOPBACK, () => { socket.off('error', reject); resolve(); });
  });
  return socket;
}

export class SyntheticProbe extends TypedEmitter<SyntheticProbeEvents> {
  readonly #clock: Clock;
  readonly #media: MediaPort;
  readonly #records: SlaRecords;
  readonly #s: ProbeSettings;
  readonly #signaling: ((signal: AbortSignal) => Promise<void>) | undefined;
  readonly #pending = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | null = null;
  /** Ends the probe under way at close (its timeout runs on the clock, which a test may never move). */
  #abort: (() => void) | null = null;
  #running = 0;
  #failedSince: number | null = null;
  #failed = 0;
  #down = false;
  #closed = false;

  /** signaling: signs a probe client in and pings it (the gateway's socket.io path); the signal aborts it. */
  constructor(deps: { clock: Clock; media: MediaPort; records: SlaRecords; settings: ProbeSettings; signaling?: (signal: AbortSignal) => Promise<void> }) {
    super();
    this.#clock = deps.clock;
    this.#media = deps.media;
    this.#records = deps.records;
    this.#s = deps.settings;
    this.#signaling = deps.signaling;
  }

  get closed(): boolean { return this.#closed; }
  /** `failures` probes in a row have failed and none succeeded since. */
  get down(): boolean { return this.#down; }

  /** Probes every interval, the first one interval from now. */
  start(): void {
    this.#schedule();
  }

  /** A steady cadence: the next probe is scheduled before this one runs; a tick while one is still running is skipped. */
  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = null;
      this.#schedule();
      if (this.#running > 0) return;
      const p = this.probe().catch((error: Error) => { this.safeEmit('error', error); });
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }, this.#s.intervalMs);
  }


  /** One probe now: its result is stored and judged. */
  async probe(): Promise<ProbeResult> {
    this.#running += 1;
    let running = true;
    // Released before the events, so a listener that moves the clock at once finds the next tick free.
    const release = () => { if (running) { running = false; this.#running -= 1; } };
    try {
      const at = this.#clock.now();
      const result = await this.#run(at);
      // A probe cut short by close says nothing about the service.
      if (this.#closed && !result.ok) return result;
      await this.#records.saveProbe(result);
      release();
      this.#judge(result);
      this.safeEmit('probe', result);
      return result;
    } finally {
      release();
    }
  }

  #judge(r: ProbeResult): void {
    if (r.ok) {
      this.#failed = 0;
      this.#failedSince = null;
      if (this.#down) {
        this.#down = false;
        this.safeEmit('up', { at: r.at });
      }
      return;
    }
    this.#failed += 1;
    this.#failedSince ??= r.at;
    if (!this.#down && this.#failed >= this.#s.failures) {
      this.#down = true;
      this.safeEmit('down', { since: this.#failedSince, at: r.at });
    }
  }

  async #run(at: number): Promise<ProbeResult> {
    const sockets: Socket[] = [];
    let media: CallMedia | null = null;
    let timer: NodeJS.Timeout | null = null;
    let sent = 0;
    let received = 0;
    // A probe that timed out must not leave what its run creates later behind.
    let done = false;
    let phase: 'signaling' | 'media' = 'signaling';
    const signalingAbort = new AbortController();
    const cleanup = () => {
      signalingAbort.abort();
      media?.close();
      for (const s of sockets.splice(0)) s.close();
    };
    const alive = () => {
      if (!done) return;
      cleanup();
      throw new Error('probe abandoned');
    };
    try {
      const timeout = new Promise<never>((_resolve, reject) => {
        timer = this.#clock.setTimeout(() => reject(new PortierError('timeout', phase === 'signaling'
          ? `signaling: no acknowledgement within ${this.#s.timeoutMs} ms`
          : `no media back within ${this.#s.timeoutMs} ms`)), this.#s.timeoutMs);
      });
      timeout.catch(() => {});
      const stopped = new Promise<never>((_resolve, reject) => { this.#abort = () => reject(new Error('probe stopped')); });
      stopped.catch(() => {});
      const run = async () => {
        if (this.#signaling) {
          await this.#signaling(signalingAbort.signal).catch((error: unknown) => {
            throw new Error(`signaling: ${error instanceof Error ? error.message : String(error)}`);
          });
          alive();
        }
        phase = 'media';
        media = await this.#media.open(`probe-${randomUUID()}`);
        alive();
        const m: CallMedia = media;
        m.join({ id: A, kind: 'sip', audioCodec: 'audio/opus' });
        m.join({ id: B, kind: 'sip', audioCodec: 'audio/opus' });
        const ssrc = (Math.random() * 0xffffffff) >>> 0;
        const input = await m.createPlainTransport(A, { ip: LOOPBACK, comedia: true });
        const producerId = await m.produce(A, input.id, 'audio', { codecs: [OPUS], encodings: [{ ssrc }] } as unknown as MediaParameters);
        const receiver = await udp();
        sockets.push(receiver);
        alive();
        const output = await m.createPlainTransport(B, { ip: LOOPBACK, comedia: false });
        await m.connectPlain(B, output.id, { ip: LOOPBACK, port: (receiver.address() as AddressInfo).port });
        const consumer = await m.consume(B, output.id, producerId);
        await m.resume(B, consumer.id);
        alive();
        const all = new Promise<void>((resolve) => {
          receiver.on('message', (msg: Buffer) => {
            if (isRtcp(msg)) return;
            received += 1;
            if (received >= this.#s.packets) resolve();
          });
        });
        const sender = await udp();
        sockets.push(sender);
        alive();
        for (let seq = 1; seq <= this.#s.packets; seq++) {
          sender.send(rtp(seq, ssrc), input.port, LOOPBACK);
          sent += 1;
        }
        await all;
      };
      await Promise.race([run(), timeout, stopped]);
      return { at, ok: true, sent, received, error: null };
    } catch (error) {
      return { at, ok: false, sent, received, error: error instanceof Error ? error.message : String(error) };
    } finally {
      done = true;
      this.#abort = null;
      if (timer) this.#clock.clearTimeout(timer);
      cleanup();
    }
  }

  /** Stops probing; waits for a probe under way (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
    this.#abort?.();
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    this.removeAllListeners();
  }
}
