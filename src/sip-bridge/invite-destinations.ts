// Where each INVITE we sent went, by its branch, for 64·T1: its CANCEL and the ACK
// of a failure go there too (RFC 3261 §9.1, §17.1.1.3), whatever their Request-URI
// or To tag would say. Used by the UDP and the TCP/TLS transports alike.
import type { Clock } from '../core/index.ts';
import { topVia, type WireMessage } from './sip-wire.ts';

export class InviteDestinations<T> {
  readonly #clock: Clock;
  readonly #holdMs: number;
  readonly #entries = new Map<string, { to: T; timer: NodeJS.Timeout }>();

  constructor(clock: Clock, holdMs: number) {
    this.#clock = clock;
    this.#holdMs = holdMs;
  }

  /** Entries held now (tests count them). */
  get size(): number { return this.#entries.size; }

  /** Where a CANCEL or an ACK of a failure goes: its INVITE's destination (same branch); undefined for anything else. */
  of(msg: WireMessage): T | undefined {
    if (msg.method !== 'CANCEL' && msg.method !== 'ACK') return undefined;
    const branch = topVia(msg)?.params.get('branch');
    return branch ? this.#entries.get(branch)?.to : undefined;
  }

  /** Notes an INVITE's destination (other requests are not noted). */
  remember(msg: WireMessage, to: T): void {
    const branch = topVia(msg)?.params.get('branch');
    if (msg.method !== 'INVITE' || !branch) return;
    const old = this.#entries.get(branch);
    if (old) this.#clock.clearTimeout(old.timer);
    this.#entries.set(branch, { to, timer: this.#clock.setTimeout(() => this.#entries.delete(branch), this.#holdMs) });
  }

  close(): void {
    for (const { timer } of this.#entries.values()) this.#clock.clearTimeout(timer);
    this.#entries.clear();
  }
}
