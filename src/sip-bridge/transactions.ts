// RFC 3261 §17 over an unreliable transport, the parts sip.js leaves out: client
// retransmission (Timers A/E, ended by B/F) and the server's answer to a
// retransmitted non-INVITE request once sip.js has forgotten it (Timer J), and
// the retransmission of a non-2xx final answer to an INVITE until its ACK (Timers G/H).
import type { Clock } from '../core/index.ts';

export interface SipTimers {
  /** RTT estimate, RFC 3261 default 500 ms. */
  t1Ms: number;
  /** Longest retransmit interval for non-INVITE requests, default 4 s. */
  t2Ms: number;
  /** Most responses kept for retransmitted requests; past it the oldest goes (a flood cannot grow memory). */
  maxCachedResponses?: number;
}

export const DEFAULT_TIMERS: SipTimers = { t1Ms: 500, t2Ms: 4000, maxCachedResponses: 4096 };

interface ClientTransaction {
  invite: boolean;
  /** Times the request was sent again (Timer A/E). */
  resent: number;
  /** Over TCP/TLS: no retransmission (Timers A/E are not started, RFC 3261 §17.1.1.2), only Timer B/F. */
  reliable: boolean;
  interval: number;
  retransmit?: NodeJS.Timeout;
  timeout: NodeJS.Timeout;
}

export interface ClientHooks {
  /** Sends the request again (same bytes, same destination). */
  resend(): void;
  /** Timer B/F fired without a final response. */
  timedOut(): void;
}

/** Client transactions by branch: retransmits until a response, gives up after 64·T1. */
export class ClientRetransmissions {
  readonly #clock: Clock;
  readonly #timers: SipTimers;
  readonly #byBranch = new Map<string, ClientTransaction & { hooks: ClientHooks }>();
  /** Retransmissions sent so far (tests and /ready read it). */
  retransmitted = 0;
  timedOut = 0;
  /**
   * Branches whose final answer came only after the request was sent again: the peer missed at least
   * one transmission (a registrar restarting, a lost datagram). Read once by answeredAfterResend();
   * at most LATE_ANSWERS kept (the oldest goes).
   */
  readonly #answeredLate = new Set<string>();

  constructor(clock: Clock, timers: SipTimers) {
    this.#clock = clock;
    this.#timers = timers;
  }

  get pending(): number { return this.#byBranch.size; }

  /** Whether this branch's final answer came only after a retransmission (once: the record is dropped). */
  answeredAfterResend(branch: string): boolean {
    return this.#answeredLate.delete(branch);
  }

  /**
   * A request left: Timer A (INVITE) or E (others) starts at T1, Timer B/F at 64·T1.
   * Over a reliable transport (`reliable`) only Timer B/F runs.
   */
  start(branch: string, invite: boolean, hooks: ClientHooks, reliable = false): void {
    this.stop(branch);
    const t1 = this.#timers.t1Ms;
    const tx: ClientTransaction & { hooks: ClientHooks } = {
      invite, reliable, interval: t1, hooks, resent: 0,
      timeout: this.#clock.setTimeout(() => {
        this.stop(branch);
        this.timedOut++;
        hooks.timedOut();
      }, 64 * t1),
    };
    this.#byBranch.set(branch, tx);
    if (!reliable) this.#arm(tx);
  }

  #arm(tx: ClientTransaction & { hooks: ClientHooks }): void {
    tx.retransmit = this.#clock.setTimeout(() => {
      // INVITE doubles without a cap (Timer A); non-INVITE caps at T2 (Timer E).
      tx.interval = tx.invite ? tx.interval * 2 : Math.min(tx.interval * 2, this.#timers.t2Ms);
      this.retransmitted++;
      tx.resent++;
      tx.hooks.resend();
      this.#arm(tx);
    }, tx.interval);
  }

  /** A response arrived for this branch. */
  response(branch: string, status: number): void {
    const tx = this.#byBranch.get(branch);
    if (!tx) return;
    if (status >= 200 || tx.invite) {
      // A final response ends it; an INVITE stops retransmitting at a provisional too
      // (Proceeding waits for the final response without Timer B, RFC 3261 §17.1.1.2).
      if (status >= 200 && tx.resent > 0) this.#rememberLate(branch);
      this.stop(branch);
      return;
    }
    // Non-INVITE Proceeding: retransmit every T2 until Timer F (§17.1.2.2).
    if (tx.reliable) return;
    if (tx.retransmit) this.#clock.clearTimeout(tx.retransmit);
    tx.interval = this.#timers.t2Ms;
    this.#arm(tx);
  }

  #rememberLate(branch: string): void {
    if (this.#answeredLate.size >= LATE_ANSWERS) this.#answeredLate.delete(this.#answeredLate.values().next().value!);
    this.#answeredLate.add(branch);
  }

  stop(branch: string): void {
    const tx = this.#byBranch.get(branch);
    if (!tx) return;
    if (tx.retransmit) this.#clock.clearTimeout(tx.retransmit);
    this.#clock.clearTimeout(tx.timeout);
    this.#byBranch.delete(branch);
  }

  /** Ends every open transaction now as if Timer B/F fired (the transport is closing). */
  expireAll(): void {
    for (const [branch, tx] of [...this.#byBranch]) {
      this.stop(branch);
      this.timedOut++;
      tx.hooks.timedOut();
    }
  }

  close(): void {
    for (const branch of [...this.#byBranch.keys()]) this.stop(branch);
    this.#answeredLate.clear();
  }
}

/** Late answers remembered for answeredAfterResend() (a keep-alive reads its own at once; the rest are old). */
const LATE_ANSWERS = 64;

interface ServerInviteTransaction {
  resend: () => void;
  interval: number;
  retransmit?: NodeJS.Timeout;
  /** The decision of a due Timer G, taken after this turn's datagrams are read. */
  look?: NodeJS.Immediate;
  timeout: NodeJS.Timeout;
}

/**
 * A 3xx–6xx final answer to an INVITE over UDP (RFC 3261 §17.2.1, "Completed"): sent
 * again at T1, doubling up to T2 (Timer G), until its ACK or 64·T1 (Timer H). sip.js
 * 0.21.2 leaves its timerG() empty: without this, a lost 486 is repeated only when the
 * far end repeats its INVITE.
 */
export class ServerRetransmissions {
  readonly #clock: Clock;
  readonly #timers: SipTimers;
  readonly #byKey = new Map<string, ServerInviteTransaction>();
  /** Final answers sent again (Timer G) and transactions ended by Timer H without an ACK. */
  retransmitted = 0;
  timedOut = 0;

  constructor(clock: Clock, timers: SipTimers) {
    this.#clock = clock;
    this.#timers = timers;
  }

  get pending(): number { return this.#byKey.size; }

  /** The final answer left (key: top Via branch and Call-ID). A repeat of it (sip.js answering a retransmitted INVITE) leaves the timers as they are. */
  start(key: string, resend: () => void): void {
    if (this.#byKey.has(key)) return;
    const tx: ServerInviteTransaction = {
      resend, interval: this.#timers.t1Ms,
      timeout: this.#clock.setTimeout(() => {
        this.stop(key);
        this.timedOut++;
      }, 64 * this.#timers.t1Ms),
    };
    this.#byKey.set(key, tx);
    this.#arm(key, tx);
  }

  #arm(key: string, tx: ServerInviteTransaction): void {
    tx.retransmit = this.#clock.setTimeout(() => {
      tx.retransmit = undefined;
      // Node runs due timers before it reads the sockets: after a stall the ACK may already wait in the
      // socket. Decide after this turn's datagrams are read (setImmediate runs after the poll), as session-hooks.ts does.
      tx.look = setImmediate(() => {
        tx.look = undefined;
        if (this.#byKey.get(key) !== tx) return;
        this.retransmitted++;
        tx.resend();
        tx.interval = Math.min(tx.interval * 2, this.#timers.t2Ms);
        this.#arm(key, tx);
      });
    }, tx.interval);
  }

  /** Its ACK arrived ("Confirmed"): nothing is sent again. */
  ack(key: string): void { this.stop(key); }

  stop(key: string): void {
    const tx = this.#byKey.get(key);
    if (!tx) return;
    if (tx.retransmit) this.#clock.clearTimeout(tx.retransmit);
    if (tx.look) clearImmediate(tx.look);
    this.#clock.clearTimeout(tx.timeout);
    this.#byKey.delete(key);
  }

  close(): void {
    for (const key of [...this.#byKey.keys()]) this.stop(key);
  }
}

/**
 * Final responses to non-INVITE requests, kept for 64·T1 (Timer J) so a
 * retransmitted request is answered with the same response instead of reaching
 * sip.js, whose server transaction ends at once (its Timer J is 0: a repeated
 * BYE would get 481 instead of the 200 already sent).
 */
export class ServerResponseCache {
  readonly #clock: Clock;
  readonly #holdMs: number;
  readonly #max: number;
  readonly #byKey = new Map<string, { response: string; timer: NodeJS.Timeout }>();
  /** Retransmitted requests answered from the cache. */
  absorbed = 0;

  constructor(clock: Clock, timers: SipTimers) {
    this.#clock = clock;
    this.#holdMs = 64 * timers.t1Ms;
    this.#max = timers.maxCachedResponses ?? DEFAULT_TIMERS.maxCachedResponses!;
  }

  get size(): number { return this.#byKey.size; }

  remember(key: string, response: string): void {
    const old = this.#byKey.get(key);
    if (old) this.#clock.clearTimeout(old.timer);
    this.#byKey.delete(key);
    if (this.#byKey.size >= this.#max) {
      // Maps iterate in insertion order: the first entry is the oldest.
      const [oldestKey, oldest] = this.#byKey.entries().next().value!;
      this.#clock.clearTimeout(oldest.timer);
      this.#byKey.delete(oldestKey);
    }
    this.#byKey.set(key, { response, timer: this.#clock.setTimeout(() => this.#byKey.delete(key), this.#holdMs) });
  }

  /** The response already sent for this request, counted as absorbed. */
  lookup(key: string): string | undefined {
    const hit = this.#byKey.get(key)?.response;
    if (hit !== undefined) this.absorbed++;
    return hit;
  }

  close(): void {
    for (const { timer } of this.#byKey.values()) this.#clock.clearTimeout(timer);
    this.#byKey.clear();
  }
}
