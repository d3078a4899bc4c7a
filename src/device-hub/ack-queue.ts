// Door acknowledgements waiting to be written. An ack's settle and its audit
// entry are not written on their own the moment it arrives: they ride along in
// the transaction of the next unlock the outbox records (a card read a moment
// later, issue 16), or, when none comes within `delayMs`, in a transaction of
// their own with every other ack waiting by then. One commit instead of two per
// card read; nobody waits for an ack's commit but the ack itself.
import type { CommandAckPayload } from './payloads.ts';

export type AckResult = 'settled' | 'duplicate' | 'unknown';

export interface QueuedAck {
  doorId: string | null;
  deviceId: string;
  ack: CommandAckPayload;
  /** When it arrived: the command had to be unexpired then. */
  at: number;
  resolve: (result: AckResult) => void;
  reject: (error: unknown) => void;
}

export interface AckQueueOptions {
  /** Writes `acks` in a transaction of their own; settles each of them (resolve or reject). */
  write: (acks: QueuedAck[]) => Promise<void>;
  /** Longest an ack waits for an unlock to ride along with. */
  delayMs: number;
  /** This many waiting acks are written at once. */
  maxWaiting: number;
}

export class AckQueue {
  readonly #o: AckQueueOptions;
  #waiting: QueuedAck[] = [];
  // A real timer, not the hub's clock: it bounds a write's delay (like write-batching.ts), no domain deadline.
  #timer: NodeJS.Timeout | undefined;
  readonly #writes = new Set<Promise<void>>();

  constructor(options: AckQueueOptions) {
    this.#o = options;
  }

  get length(): number { return this.#waiting.length; }

  add(item: Omit<QueuedAck, 'resolve' | 'reject'>): Promise<AckResult> {
    return new Promise<AckResult>((resolve, reject) => {
      this.#waiting.push({ ...item, resolve, reject });
      if (this.#waiting.length >= this.#o.maxWaiting) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#o.delayMs);
    });
  }

  /** Every ack waiting now, for a transaction that writes them; `putBack` them if it failed. */
  take(): QueuedAck[] {
    const taken = this.#waiting;
    this.#waiting = [];
    this.#clearTimer();
    return taken;
  }

  /** A transaction that took `acks` was rolled back: they wait again, ahead of newer ones. */
  putBack(acks: QueuedAck[]): void {
    if (acks.length === 0) return;
    this.#waiting = [...acks, ...this.#waiting];
    this.#timer ??= setTimeout(() => void this.flush(), this.#o.delayMs);
  }

  /** Writes what is waiting now; resolves once written (or failed: each ack is rejected). */
  async flush(): Promise<void> {
    const taken = this.take();
    if (taken.length === 0) return;
    const write = this.#o.write(taken).catch((error: unknown) => { for (const a of taken) a.reject(error); });
    this.#writes.add(write);
    try {
      await write;
    } finally {
      this.#writes.delete(write);
    }
  }

  /** Resolves when nothing is waiting or being written. */
  async idle(): Promise<void> {
    while (this.#waiting.length > 0 || this.#writes.size > 0) {
      if (this.#waiting.length > 0) await this.flush();
      else await Promise.all([...this.#writes]);
    }
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Stops the timer; what waits is written now (the store outlives the hub). */
  close(): Promise<void> {
    this.#clearTimer();
    return this.flush();
  }
}
