// Audit checkpoints: every N entries or M minutes the head of the hash chain
// (seq and hash) is recorded and sent off the box — a head hash kept only on
// the disk proves nothing to whoever controls that disk. Sending never blocks
// an append: it runs after it, failures are retried on the clock (doubling up
// to ten times the retry delay) and reported, and a newer checkpoint replaces
// one still waiting (the newer hash covers every entry before it).
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { Db } from '../store/index.ts';
import type { AuditLog } from './audit-log.ts';
import type { Checkpoint, CheckpointTarget } from './checkpoint-targets.ts';

export interface CheckpointSettings {
  /** A checkpoint after this many entries... */
  everyEntries: number;
  /** ...or after this long with new entries, whichever comes first. */
  everyMs: number;
  /** Delay before a failed send is tried again; doubled per failure up to ten times this. */
  retryMs: number;
}

export interface CheckpointFailure { target: string; checkpoint: Checkpoint; attempts: number; reason: string }

export type AuditCheckpointsEvents = {
  taken: [Checkpoint];
  /** The receiver confirmed it (webhook: HTTP 2xx). */
  delivered: [{ target: string; checkpoint: Checkpoint; attempts: number }];
  /** It left the box to a target that never confirms (UDP syslog): no proof a collector got it. */
  sent: [{ target: string; checkpoint: Checkpoint; attempts: number }];
  /** One attempt failed; another follows after the retry delay. */
  failed: [CheckpointFailure];
};

interface Lane {
  target: CheckpointTarget;
  /** The newest checkpoint not yet taken by this target. */
  waiting: Checkpoint | undefined;
  sending: Promise<void> | undefined;
  attempts: number;
  retry: NodeJS.Timeout | undefined;
}

export class AuditCheckpoints extends TypedEmitter<AuditCheckpointsEvents> {
  readonly #db: Db;
  readonly #audit: AuditLog;
  readonly #clock: Clock;
  readonly #s: CheckpointSettings;
  readonly #lanes: Lane[];
  readonly #onAppended = (n: number): void => this.#counted(n);
  #sinceLast = 0;
  #lastSeq = 0;
  #timer: NodeJS.Timeout | undefined;
  #taking: Promise<Checkpoint | null> | undefined;
  #started = false;
  #closed = false;

  constructor(deps: { db: Db; audit: AuditLog; clock: Clock; settings: CheckpointSettings; targets: CheckpointTarget[] }) {
    super();
    this.#db = deps.db;
    this.#audit = deps.audit;
    this.#clock = deps.clock;
    this.#s = deps.settings;
    this.#lanes = deps.targets.map((target) => ({ target, waiting: undefined, sending: undefined, attempts: 0, retry: undefined }));
  }

  get targets(): string[] { return this.#lanes.map((l) => l.target.name); }

  /** Picks up after the last checkpoint recorded, counts appends and starts the timer. */
  async start(): Promise<void> {
    if (this.#started || this.#closed) return;
    this.#started = true;
    const last = await this.#db.selectFrom('audit_checkpoints').select('seq').orderBy('seq', 'desc').limit(1).executeTakeFirst();
    this.#lastSeq = last?.seq ?? 0;
    this.#audit.on('appended', this.#onAppended);
    this.#schedule();
  }

  /**
   * Records the head as a checkpoint and hands it to every target, unless no
   * entry came since the last one (null). One at a time: a call while one is
   * being taken joins it.
   */
  take(): Promise<Checkpoint | null> {
    this.#taking ??= this.#take().finally(() => {
      this.#taking = undefined;
      // Entries counted while this one was being taken may have reached the count again.
      if (this.#sinceLast >= this.#s.everyEntries) void this.take().catch(() => undefined);
    });
    return this.#taking;
  }

  async #take(): Promise<Checkpoint | null> {
    if (this.#closed) return null;
    this.#sinceLast = 0;
    const head = await this.#audit.head();
    if (head.seq <= this.#lastSeq) return null;
    const anchor = await this.#db.selectFrom('audit_chain_anchor').select(['seq', 'prev_hash']).where('id', '=', 1).executeTakeFirstOrThrow();
    const checkpoint: Checkpoint = {
      seq: head.seq, hash: head.hash, at: this.#clock.now(),
      anchor: { seq: anchor.seq, prevHash: anchor.prev_hash }, entries: head.seq - anchor.seq + 1,
    };
    await this.#db.insertInto('audit_checkpoints').values({ seq: checkpoint.seq, hash: checkpoint.hash, at: checkpoint.at }).onConflict((oc) => oc.doNothing()).execute();
    this.#lastSeq = head.seq;
    this.safeEmit('taken', checkpoint);
    for (const lane of this.#lanes) this.#hand(lane, checkpoint);
    return checkpoint;
  }

  /** Resolves once every target has taken what is waiting for it, or is waiting for a retry. */
  async settled(): Promise<void> {
    await this.#taking;
    await Promise.all(this.#lanes.map((l) => l.sending));
  }

  #counted(n: number): void {
    this.#sinceLast += n;
    if (this.#sinceLast >= this.#s.everyEntries && !this.#taking) void this.take().catch(() => undefined);
  }

  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#clock.setTimeout(() => {
      this.#schedule();
      void this.take().catch(() => undefined);
    }, this.#s.everyMs);
  }

  #hand(lane: Lane, checkpoint: Checkpoint): void {
    lane.waiting = checkpoint;
    // A send in flight or a retry waiting picks up the newest checkpoint when its turn comes.
    if (lane.sending || lane.retry) return;
    this.#send(lane);
  }

  #send(lane: Lane): void {
    const checkpoint = lane.waiting;
    if (!checkpoint || this.#closed) return;
    lane.attempts += 1;
    lane.sending = lane.target.send(checkpoint).then(
      () => {
        const attempts = lane.attempts;
        lane.attempts = 0;
        if (lane.waiting === checkpoint) lane.waiting = undefined;
        this.safeEmit(lane.target.confirms ? 'delivered' : 'sent', { target: lane.target.name, checkpoint, attempts });
      },
      (error: unknown) => {
        this.safeEmit('failed', { target: lane.target.name, checkpoint, attempts: lane.attempts, reason: error instanceof Error ? error.message : String(error) });
        if (this.#closed) return;
        const delay = Math.min(this.#s.retryMs * 2 ** (lane.attempts - 1), this.#s.retryMs * 10);
        lane.retry = this.#clock.setTimeout(() => { lane.retry = undefined; this.#send(lane); }, delay);
      },
    ).finally(() => {
      lane.sending = undefined;
      // A newer checkpoint arrived while this one was on its way.
      if (lane.waiting && !lane.retry && lane.attempts === 0) this.#send(lane);
    });
  }

  /** Stops the timer and the retries, waits for sends in flight and closes the targets. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#audit.off('appended', this.#onAppended);
    if (this.#timer) this.#clock.clearTimeout(this.#timer);
    for (const lane of this.#lanes) if (lane.retry) this.#clock.clearTimeout(lane.retry);
    await this.#taking?.catch(() => undefined);
    await Promise.all(this.#lanes.map((l) => l.sending));
    for (const lane of this.#lanes) lane.target.close();
  }
}
