// The mediasoup worker pool: one worker per core, each with its WebRtcServer on
// rtc.base_port + index. A worker that dies is replaced on the same index and
// port; owners of its routers learn it through the pool's `workerdied` event
// (and mediasoup's own router `workerclose`).
import type { types as ms } from 'mediasoup';
import type { Logger } from 'pino';
import { TypedEmitter, UnavailableError } from '../core/index.ts';
import { WorkerSlot, type ListenEntry, type SlotPorts } from './worker-slot.ts';

export interface WorkerPoolOptions {
  workers: number;
  basePort: number;
  listen: ListenEntry[];
  minPort: number;
  maxPort: number;
  workerBin?: string;
  logger: Logger;
}

export type WorkerPoolEvents = {
  workerdied: [index: number, error: Error];
  workerreplaced: [index: number, pid: number];
};

export interface WorkerStatus {
  index: number;
  pid: number | null;
  ready: boolean;
  routers: number;
  restarts: number;
  ports: SlotPorts[];
}

const RETRY_MS = [100, 250, 500, 1000, 2000, 4000];

export class WorkerPool extends TypedEmitter<WorkerPoolEvents> {
  readonly #opts: WorkerPoolOptions;
  readonly #slots: WorkerSlot[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(opts: WorkerPoolOptions) {
    super();
    this.#opts = opts;
  }

  async start(): Promise<void> {
    for (let index = 0; index < this.#opts.workers; index++) {
      const slot = new WorkerSlot({
        index, port: this.#opts.basePort === 0 ? 0 : this.#opts.basePort + index, listen: this.#opts.listen,
        minPort: this.#opts.minPort, maxPort: this.#opts.maxPort, workerBin: this.#opts.workerBin,
        logger: this.#opts.logger,
      });
      this.#slots.push(slot);
      await slot.start((error) => this.#onDied(slot, error));
      this.#opts.logger.info({ worker: index, pid: slot.pid, ports: slot.ports }, 'sfu: worker ready');
    }
  }

  #onDied(slot: WorkerSlot, error: Error): void {
    this.#opts.logger.error({ worker: slot.index, err: error.message }, 'sfu: worker died; replacing it');
    slot.reset();
    this.safeEmit('workerdied', slot.index, error);
    this.#replace(slot, 0);
  }

  #replace(slot: WorkerSlot, attempt: number): void {
    if (this.#closed) return;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      if (this.#closed) return;
      slot.start((e) => this.#onDied(slot, e)).then(() => {
        if (this.#closed) { void slot.close(); return; }
        slot.restarts += 1;
        this.#opts.logger.info({ worker: slot.index, pid: slot.pid, ports: slot.ports }, 'sfu: worker replaced');
        this.safeEmit('workerreplaced', slot.index, slot.pid ?? 0);
      }, (error: Error) => {
        this.#opts.logger.warn({ worker: slot.index, attempt, err: error.message }, 'sfu: replacement failed; retrying');
        this.#replace(slot, attempt + 1);
      });
    }, RETRY_MS[Math.min(attempt, RETRY_MS.length - 1)]);
    this.#timers.add(timer);
  }

  /** Creates a router on the least-loaded ready worker, with that worker's WebRtcServer. */
  async createRouter(options: ms.RouterOptions): Promise<{ router: ms.Router; webRtcServer: ms.WebRtcServer; index: number }> {
    const ready = this.#slots.filter((s) => s.ready);
    if (this.#closed || ready.length === 0) throw new UnavailableError('no media worker is available');
    const slot = ready.reduce((a, b) => (b.routerCount < a.routerCount ? b : a));
    const router = await slot.worker!.createRouter(options);
    return { router, webRtcServer: slot.webRtcServer!, index: slot.index };
  }

  get ready(): boolean {
    return !this.#closed && this.#slots.length > 0 && this.#slots.every((s) => s.ready);
  }

  status(): WorkerStatus[] {
    return this.#slots.map((s) => ({
      index: s.index, pid: s.pid ?? null, ready: s.ready, routers: s.routerCount, restarts: s.restarts, ports: s.ports,
    }));
  }

  /**
   * Each ready worker's CPU time so far, user + system in seconds (mediasoup's getResourceUsage), asked of
   * every worker at once; a worker that has not answered within `timeoutMs` (or failed to) is left out.
   */
  async cpuSeconds(timeoutMs: number): Promise<Array<{ index: number; seconds: number }>> {
    const asked = this.#slots.filter((s) => s.ready).map(async (slot) => {
      const usage = await within(slot.worker!.getResourceUsage(), timeoutMs).catch(() => undefined);
      return usage && { index: slot.index, seconds: (usage.ru_utime + usage.ru_stime) / 1000 };
    });
    return (await Promise.all(asked)).filter((u) => u !== undefined);
  }

  /** Closes every worker (routers, transports, producers and consumers with them) and waits for the processes. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    await Promise.all(this.#slots.map((slot) => slot.close()));
    this.removeAllListeners();
  }
}

/** The promise's value, or undefined once `ms` passed first (its timer cleared either way). */
function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => { timer = setTimeout(resolve, ms, undefined); });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
