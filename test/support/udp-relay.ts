// A UDP relay between browsers and a mediasoup worker that drops, delays and
// reorders packets on command: network impairment without kernel netem (no root,
// no tc). mediasoup 3.27 announces the port it listens on, so the relay listens on
// another loopback address (127.0.0.2) at the worker's port and the gateway
// announces that address; each browser address gets its own upstream socket, so
// the worker's answers come back through the relay to the right browser. SIP tests
// put it between an account and its registrar and drop chosen messages (dropWhen).
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { once } from 'node:events';

export interface Impairment {
  /** Share of packets dropped, in percent, each direction (a seeded sequence: the same run drops the same packets). */
  lossPercent: number;
  /** Extra one-way delay in ms, each direction. */
  delayMs: number;
  /** Share of packets held back by `reorderMs` more, so later ones overtake them, in percent. */
  reorderPercent?: number;
  reorderMs?: number;
}

export interface RelayCounts { forwarded: number; dropped: number; delayed: number; reordered: number }

/** Decides per packet whether it is dropped; `toTarget`: it goes from a client to the target (else the answer back). */
export type DropRule = (packet: Buffer, toTarget: boolean) => boolean;

const CLEAR: Impairment = { lossPercent: 0, delayMs: 0 };

/** mulberry32: a small seeded generator, so a run's drops do not depend on Math.random. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class UdpRelay {
  readonly listen: { address: string; port: number };
  readonly target: { address: string; port: number };
  readonly counts: RelayCounts = { forwarded: 0, dropped: 0, delayed: 0, reordered: 0 };
  readonly #front: Socket;
  /** One upstream socket per browser address ("ip:port"). */
  readonly #upstream = new Map<string, Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #random = seeded(14);
  #impairment: Impairment = CLEAR;
  #drop?: DropRule;
  #closed = false;

  private constructor(front: Socket, listen: { address: string; port: number }, target: { address: string; port: number }) {
    this.#front = front;
    this.listen = listen;
    this.target = target;
    front.on('message', (msg, from) => this.#fromBrowser(msg, from));
  }

  /** Listens on `listen` (UDP; port 0: one the system picks, then in `listen`) and relays to `target`. */
  static async start(listen: { address: string; port: number }, target: { address: string; port: number }): Promise<UdpRelay> {
    const front = createSocket('udp4');
    front.bind(listen.port, listen.address);
    await once(front, 'listening');
    return new UdpRelay(front, { address: listen.address, port: front.address().port }, target);
  }

  /** Browser addresses seen so far (one upstream socket each). */
  get peers(): number { return this.#upstream.size; }

  impair(impairment: Impairment): void { this.#impairment = { ...impairment }; }
  clear(): void { this.#impairment = CLEAR; this.#drop = undefined; }
  /** Drops every packet `rule` picks (counted as dropped), before any impairment, until cleared. */
  dropWhen(rule: DropRule | undefined): void { this.#drop = rule; }

  #fromBrowser(msg: Buffer, from: RemoteInfo): void {
    const key = `${from.address}:${from.port}`;
    let up = this.#upstream.get(key);
    if (!up) {
      up = createSocket('udp4');
      up.bind(0, this.target.address);
      // The worker's answers go back to this browser, from the address it sent to.
      up.on('message', (reply) => this.#pass(reply, false, () => this.#front.send(reply, from.port, from.address)));
      this.#upstream.set(key, up);
    }
    const socket = up;
    this.#pass(msg, true, () => socket.send(msg, this.target.port, this.target.address));
  }

  /** Applies the current impairment to one packet, then sends it (or not). */
  #pass(msg: Buffer, toTarget: boolean, send: () => void): void {
    if (this.#closed) return;
    if (this.#drop?.(msg, toTarget)) { this.counts.dropped += 1; return; }
    const { lossPercent, delayMs, reorderPercent = 0, reorderMs = 0 } = this.#impairment;
    if (lossPercent > 0 && this.#random() * 100 < lossPercent) { this.counts.dropped += 1; return; }
    let wait = delayMs;
    if (reorderPercent > 0 && this.#random() * 100 < reorderPercent) { wait += reorderMs; this.counts.reordered += 1; }
    const go = () => { if (!this.#closed) { this.counts.forwarded += 1; send(); } };
    if (wait <= 0) { go(); return; }
    this.counts.delayed += 1;
    const timer = setTimeout(() => { this.#timers.delete(timer); go(); }, wait);
    this.#timers.add(timer);
  }

  /** Stops relaying: pending packets are dropped, every socket closed (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const sockets = [this.#front, ...this.#upstream.values()];
    this.#upstream.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}
