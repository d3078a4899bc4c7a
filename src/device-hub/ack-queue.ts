// Door acknowledgements waiting to be written. An ack's settle and its audit
// entry are not written on their own the moment it arrives: they ride along in
// the transaction of the next unlock the outbox records (a card read a moment
// later, issue 16), or, when none comes within `delayMs`, in a transaction of
// their own with every other ack waiting by then. One commit instead of two per
// card read; nobody waits for an ack's commit but the ack itself. An ack is
// "in flight" from `take()` until it is answered or put back, so that a
// command's expiry can wait for every ack that arrived before it (`drain`).
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
  /** Writes `acks` in a transaction of their own; answers each of them (resolve or reject). */
  write: (acks: QueuedAck[]) => Promise<void>;
  /** Longest an ack waits for an unlock to ride along with. */
  delayMs: number;
  /** This many waiting acks are written at once. */
  maxWaiting: number;
}

interface Entry extends QueuedAck {
  answered: boolean;
}

export class AckQueue {
  readonly #o: AckQueueOptions;
  #waiting: Entry[] = [];
  /** Taken by a transaction, not yet answered or put back. */
  readonly #taken = new Set<Entry>();
  // A real timer, not the hub's clock: it bounds a write's delay (like write-batching.ts), no domain deadline.
  #timer: NodeJS.Timeout | undefined;
  readonly #writes = new Set<Promise<void>>();
  /** A drain waiting for an ack to be answered or put back; created only while one waits. */
  #change: { promise: Promise<void>; resolve: () => void } | undefined;
  #closed = false;

  constructor(options: AckQueueOptions) {
    this.#o = options;
  }

  get length(): number { return this.#waiting.length; }

  /** Queues an ack; resolves once it is written. The caller refuses acks after close (no timer is armed then). */
  add(item: Omit<QueuedAck, 'resolve' | 'reject'>): Promise<AckResult> {
    return new Promise<AckResult>((resolve, reject) => {
      const entry: Entry = {
        ...item, answered: false,
        resolve: (result) => { this.#answered(entry); resolve(result); },
        reject: (error) => { this.#answered(entry); reject(error); },
      };
      this.#waiting.push(entry);
      if (this.#waiting.length >= this.#o.maxWaiting || this.#closed) void this.flush();
      else this.#timer ??= setTimeout(() => void this.flush(), this.#o.delayMs);
    });
  }

  /** Every ack waiting now, for a transaction that writes them; `putBack` them if it did not. */
  take(): QueuedAck[] {
    const taken = this.#waiting;
    this.#waiting = [];
    this.#clearTimer();
    for (const entry of taken) this.#taken.add(entry);
    return taken;
  }

  /** A transaction that took `acks` did not write them: they wait again, ahead of newer ones. */
  putBack(acks: QueuedAck[]): void {
    if (acks.length === 0) return;
    const entries = acks as Entry[];
    for (const entry of entries) this.#taken.delete(entry);
    this.#waiting = [...entries, ...this.#waiting];
    this.#changed();
    if (this.#closed) void this.flush();
    else this.#timer ??= setTimeout(() => void this.flush(), this.#o.delayMs);
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

  /**
   * Resolves once every ack that arrived before this call is answered, also the
   * ones a transaction has taken (a put-back one is written at once): acks
   * arriving meanwhile are not waited for, so a steady stream cannot hold it up.
   */
  async drain(): Promise<void> {
    const arrived = [...this.#waiting, ...this.#taken];
    for (;;) {
      const open = arrived.filter((a) => !a.answered);
      if (open.length === 0) return;
      if (open.some((a) => this.#waiting.includes(a))) await this.flush();
      else await (this.#change ??= deferred()).promise;
    }
  }

  /** Resolves when nothing is waiting, taken or being written. */
  async idle(): Promise<void> {
    while (this.#waiting.length > 0 || this.#taken.size > 0 || this.#writes.size > 0) {
      if (this.#waiting.length > 0 || this.#taken.size > 0) await this.drain();
      else await Promise.all([...this.#writes]);
    }
  }

  #answered(entry: Entry): void {
    entry.answered = true;
    this.#taken.delete(entry);
    this.#changed();
  }

  #changed(): void {
    const change = this.#change;
    this.#change = undefined;
    change?.resolve();
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  /** Arms no timer from now on (what is put back is written at once); what waits is written now (the store outlives the hub). */
  close(): Promise<void> {
    this.#closed = true;
    this.#clearTimer();
    return this.flush();
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => { resolve = r; });
  return { promise, resolve };
}
