// Where each INVITE we sent went, by its branch, while it can still be cancelled or
// answered: its CANCEL and the ACK of a failure go there too (RFC 3261 §9.1, §17.1.1.3),
// whatever their Request-URI, To tag or the account's server in use now would say.
// Used by the UDP and the TCP/TLS transports alike.
import type { Clock } from '../core/index.ts';
import { cseqMethod, topVia, type WireMessage } from './sip-wire.ts';

/**
 * How long a ringing INVITE (one with a provisional answer, no final yet) is remembered after its
 * latest provisional: RFC 3261 §16.6's Timer C — a proxy gives up on an INVITE without news for
 * more than 3 minutes, so its CANCEL and the final answer's ACK cannot come later than that.
 */
export const RINGING_HOLD_MS = 180_000;

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

  /** Notes an INVITE's destination for 64·T1 (other requests are not noted). */
  remember(msg: WireMessage, to: T): void {
    const branch = topVia(msg)?.params.get('branch');
    if (msg.method !== 'INVITE' || !branch) return;
    this.#hold(branch, to, this.#holdMs);
  }

  /**
   * A response came in. A provisional one to a noted INVITE keeps its destination while it rings
   * (a call rings longer than 64·T1: its CANCEL after a failover must still reach the server the
   * INVITE went to, review s22 #17); a final one keeps it 64·T1 more, for the ACK of a failure.
   */
  response(msg: WireMessage): void {
    const branch = topVia(msg)?.params.get('branch');
    const entry = branch ? this.#entries.get(branch) : undefined;
    if (!entry || msg.status === undefined || cseqMethod(msg) !== 'INVITE') return;
    this.#hold(branch!, entry.to, msg.status < 200 ? Math.max(RINGING_HOLD_MS, this.#holdMs) : this.#holdMs);
  }

  #hold(branch: string, to: T, ms: number): void {
    const old = this.#entries.get(branch);
    if (old) this.#clock.clearTimeout(old.timer);
    this.#entries.set(branch, { to, timer: this.#clock.setTimeout(() => this.#entries.delete(branch), ms) });
  }

  close(): void {
    for (const { timer } of this.#entries.values()) this.#clock.clearTimeout(timer);
    this.#entries.clear();
  }
}
