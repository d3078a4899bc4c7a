// Ends a SIP leg whose far end stopped sending RTP (a PBX that crashed, a
// network that dropped the leg without a BYE): the relay's packet counter is
// read once a second on the injected clock, and a counter that stood still for
// sip.rtp_timeout_seconds reports the timeout — never while the leg is held (the
// far end's SDP says sendonly, recvonly or inactive), whose silence is expected.
import type { Clock } from '../core/index.ts';

export interface RtpWatchOptions {
  clock: Clock;
  timeoutMs: number;
  /** Packets received from the far end so far (any that count as media: RTP and telephone-events). */
  received(): number;
  /** Whether the leg is held now (no media expected). */
  held(): boolean;
  /** Once, after timeoutMs without a packet while not held. */
  onTimeout(): void;
}

/** How often the counter is read: once a second, or more often for a shorter timeout. */
const checkMsOf = (timeoutMs: number): number => Math.max(1, Math.min(1000, Math.floor(timeoutMs / 2)));

export class RtpWatch {
  readonly #opts: RtpWatchOptions;
  readonly #checkMs: number;
  #count: number;
  #since: number;
  #timer?: NodeJS.Timeout;
  #closed = false;

  constructor(opts: RtpWatchOptions) {
    this.#opts = opts;
    this.#checkMs = checkMsOf(opts.timeoutMs);
    this.#count = opts.received();
    this.#since = opts.clock.now();
    this.#schedule();
  }

  get closed(): boolean { return this.#closed; }

  #schedule(): void {
    this.#timer = this.#opts.clock.setTimeout(() => this.#check(), this.#checkMs);
  }

  #check(): void {
    if (this.#closed) return;
    const { clock, received, held, timeoutMs } = this.#opts;
    const count = received();
    // A held leg's silence restarts the count; so does every new packet.
    if (count !== this.#count || held()) {
      this.#count = count;
      this.#since = clock.now();
    } else if (clock.now() - this.#since >= timeoutMs) {
      this.close();
      this.#opts.onTimeout();
      return;
    }
    this.#schedule();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#opts.clock.clearTimeout(this.#timer);
  }
}
