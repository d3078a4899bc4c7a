// Health samples for the SLA: every interval it reads each component's status
// through the gateway's status sources (it reaches into no component) and
// stores the sample compactly — one minute aggregate per minute and a row only
// when a component's state changes. At start the time since the gateway was
// last seen running is recorded as a gap; at close the run's stop (drained or
// not) is recorded, so the next start can tell a drained shutdown from a crash.
// What is older than the retention is deleted at start and once a day.
import { randomUUID } from 'node:crypto';
import { TypedEmitter, type Clock } from '../core/index.ts';
import { isReady, type StatusSource } from '../lifecycle/index.ts';
import type { SlaPeriod, SlaRecords } from './sla-records.ts';

const DAY = 86_400_000;

export interface HealthSnapshot {
  at: number;
  /** Every component's state by its status source's name. */
  states: Record<string, string>;
  /** Every component ready (or disabled). */
  ready: boolean;
  /** Components whose state this sample stored as changed. */
  changed: string[];
}

export type HealthSamplerEvents = {
  sample: [HealthSnapshot];
  /** The gateway was not running between `start` and `end` (recorded at start). */
  gap: [SlaPeriod];
  error: [Error];
};

export interface HealthSamplerDeps {
  clock: Clock;
  records: SlaRecords;
  /** The gateway's status sources, read at each sample. */
  sources: () => StatusSource[];
  /**
   * Per site, whether its kiosks can call (src/terminals' KioskHealth.siteStates: ready or down), stored
   * as component `terminals:<site>`; a site's state is its own availability, not the gateway's readiness.
   */
  siteStates?: () => Record<string, string>;
  sampleMs: number;
  /** What is older is deleted at start and once a day (sla.retention_days). */
  retentionMs: number;
  /** Whether the gateway drained before closing (asked at close). */
  drained: () => boolean;
}

export class HealthSampler extends TypedEmitter<HealthSamplerEvents> {
  readonly #d: HealthSamplerDeps;
  readonly #last = new Map<string, string>();
  readonly #pending = new Set<Promise<unknown>>();
  #timer: NodeJS.Timeout | null = null;
  #runStartedAt: number | null = null;
  #running = 0;
  #prunedAt = 0;
  #closed = false;

  constructor(deps: HealthSamplerDeps) {
    super();
    this.#d = deps;
  }

  get closed(): boolean { return this.#closed; }

  /** Records the gap since the gateway was last seen, opens this run, takes the first sample and schedules the next. */
  async start(): Promise<SlaPeriod | null> {
    const now = this.#d.clock.now();
    const seen = await this.#d.records.lastSeen();
    let gap: SlaPeriod | null = null;
    if (seen && now > seen.at) {
      gap = {
        id: randomUUID(), kind: 'gap', siteId: null, start: seen.at, end: now, reason: null, note: null,
        drained: seen.drained, createdAt: now, createdBy: null,
      };
      await this.#d.records.addPeriod(gap);
      this.safeEmit('gap', gap);
    }
    await this.#d.records.runStarted(now);
    this.#runStartedAt = now;
    await this.#prune(now);
    await this.sample();
    this.#schedule();
    return gap;
  }

  /** A steady cadence: the next sample is scheduled before this one runs; a tick while one is still running is skipped. */
  #schedule(): void {
    if (this.#closed) return;
    this.#timer = this.#d.clock.setTimeout(() => {
      this.#timer = null;
      this.#schedule();
      if (this.#running > 0) return;
      const p = this.sample().catch((error: Error) => { this.safeEmit('error', error); });
      this.#pending.add(p);
      void p.finally(() => this.#pending.delete(p));
    }, this.#d.sampleMs);
  }


  /** Takes one sample now and stores it. */
  async sample(): Promise<HealthSnapshot> {
    this.#running += 1;
    let running = true;
    // Released before the event, so a listener that moves the clock at once finds the next tick free.
    const release = () => { if (running) { running = false; this.#running -= 1; } };
    try {
      return await this.#sample(release);
    } finally {
      release();
    }
  }

  async #sample(release: () => void): Promise<HealthSnapshot> {
    const at = this.#d.clock.now();
    if (at - this.#prunedAt >= DAY) await this.#prune(at);
    const states: Record<string, string> = {};
    let ready = true;
    for (const source of this.#d.sources()) {
      let state: string;
      try {
        const status = source.status();
        state = status.state;
        if (!isReady(status)) ready = false;
      } catch {
        state = 'failed';
        ready = false;
      }
      states[source.name] = state;
    }
    for (const [siteId, state] of Object.entries(this.#d.siteStates?.() ?? {})) states[`terminals:${siteId}`] = state;
    const changes = Object.entries(states).filter(([name, state]) => this.#last.get(name) !== state).map(([component, state]) => ({ component, state }));
    await this.#d.records.sample(at, ready, changes);
    for (const c of changes) this.#last.set(c.component, c.state);
    const snapshot = { at, states, ready, changed: changes.map((c) => c.component) };
    release();
    this.safeEmit('sample', snapshot);
    return snapshot;
  }

  async #prune(now: number): Promise<void> {
    this.#prunedAt = now;
    await this.#d.records.prune(now - this.#d.retentionMs);
  }

  /** Stops sampling and records this run's stop, drained or not (idempotent). */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#timer) this.#d.clock.clearTimeout(this.#timer);
    this.#timer = null;
    while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
    if (this.#runStartedAt !== null) {
      try {
        await this.#d.records.runStopped(this.#runStartedAt, this.#d.clock.now(), this.#d.drained());
      } catch (error) {
        this.safeEmit('error', error as Error);
      }
    }
    this.removeAllListeners();
  }
}
