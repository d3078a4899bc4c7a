// The month's downtime budget per site: with a 98 % target a 30-day month allows
// 864 minutes of downtime. A site's month so far is computed as the report computes
// it (ServiceLevel), and crossing one of the configured shares of the budget (50, 80,
// 100 % by default) is an event; falling below it again — an outage excused after the
// fact, a new month — is one too. The alerts component turns them into alerts.
//
// Computing a month reads its probes, so it is done only when the answer can change:
// after probes fail (every site, at most once per `minCheckMs` while they keep failing)
// and at the first good probe after them (the outage's final length); for one site when
// a period (planned, excused) is recorded for it or its health changes; for a site whose
// local month has turned or that was never computed; and the sites whose kiosks cannot
// call (`siteStates` 'down': downtime that grows every minute while the probes stay
// good), at most once per `minCheckMs` while that lasts. Otherwise a probe that succeeds
// after good ones changes no site's downtime: nothing is computed. This owns no alert
// and no timer.
import type { Logger } from 'pino';
import { TypedEmitter, type Clock } from '../core/index.ts';
import type { MonthlyAvailability } from './availability.ts';
import { localYearMonth } from './zoned-time.ts';

export interface BudgetSettings {
  /** The contract's monthly availability, in percent (98). */
  targetPercent: number;
  /** Shares of the month's downtime budget that raise an alert, in percent, ascending. */
  thresholds: number[];
  /** While probes keep failing, every site's month is computed at most this often (sla.budget_check_seconds). */
  minCheckMs: number;
}

export interface BudgetBurn {
  siteId: string;
  /** "2026-11", in the site's time zone. */
  month: string;
  /** The share crossed, in percent of the budget. */
  threshold: number;
  consumedPercent: number;
  downtimeMinutes: number;
  budgetMinutes: number;
}

export type BudgetWatchEvents = {
  /** A site's month so far was computed (its availability and downtime as the report has them). */
  computed: [siteId: string, availability: MonthlyAvailability];
  burn: [BudgetBurn];
  within: [{ siteId: string; month: string; threshold: number }];
  error: [Error];
};

type Listen<E extends string, A extends unknown[]> = {
  on(event: E, listener: (...args: A) => void): unknown;
  off(event: E, listener: (...args: A) => void): unknown;
};

export interface BudgetWatchDeps {
  level: { availabilitySoFar(siteId: string): Promise<MonthlyAvailability> };
  sites: () => Promise<Array<{ id: string; timeZone: string }>>;
  /** Judged after each of its results. */
  probe: Listen<'probe', [{ ok: boolean }]>;
  /** Planned maintenance or an excuse recorded (ServiceLevel): its site (null: every site) is computed again. */
  periods?: Listen<'period', [{ siteId: string | null }]>;
  /** Per site, whether its kiosks can call (KioskHealth.siteStates): a 'down' site's outage grows while probes stay good. */
  siteStates?: () => Record<string, string>;
  clock: Clock;
  settings: BudgetSettings;
  logger: Logger;
}

const monthOf = ([year, month]: [number, number]) => `${year}-${String(month).padStart(2, '0')}`;

export class BudgetWatch extends TypedEmitter<BudgetWatchEvents> {
  readonly #d: BudgetWatchDeps;
  /** Per site: the month last computed and the thresholds crossed in it. */
  readonly #crossed = new Map<string, { month: string; thresholds: Set<number> }>();
  /** Sites asked for while a computation runs (the loop takes them next). */
  readonly #wanted = new Set<string>();
  #all = false;
  #running: Promise<void> | null = null;
  /** Probes failed since the last good one. */
  #failing = false;
  #lastAll = -Infinity;
  /** When the sites whose kiosks were down were last computed after a good probe. */
  #lastDown = -Infinity;
  #recomputed = 0;
  /** Judgements of probe results under way (they read the sites first). */
  readonly #judging = new Set<Promise<void>>();
  readonly #onProbe = (r: { ok: boolean }) => {
    const p = this.#afterProbe(r.ok).finally(() => this.#judging.delete(p));
    this.#judging.add(p);
  };
  readonly #onPeriod = (p: { siteId: string | null }) => { void this.touch(p.siteId); };

  constructor(deps: BudgetWatchDeps) {
    super();
    this.#d = deps;
    deps.probe.on('probe', this.#onProbe);
    deps.periods?.on('period', this.#onPeriod);
  }

  /** Site-months computed so far (each is a read of the month's probes and periods). */
  get recomputed(): number { return this.#recomputed; }

  /** Resolves when every probe result seen so far has been judged and what it asked for computed. */
  async idle(): Promise<void> {
    while (this.#judging.size > 0 || this.#running) await Promise.allSettled([...this.#judging, this.#running]);
  }

  /** Checks every site now (at start, after the gap was recorded). */
  check(): Promise<void> {
    return this.#request(null);
  }

  /** Something changed one site's month (null: every site's): it is computed again. */
  touch(siteId: string | null): Promise<void> {
    return this.#request(siteId === null ? null : [siteId]);
  }

  async #afterProbe(ok: boolean): Promise<void> {
    const now = this.#d.clock.now();
    if (!ok) {
      this.#failing = true;
      if (now - this.#lastAll >= this.#d.settings.minCheckMs) return this.#request(null);
    } else if (this.#failing) {
      this.#failing = false;
      return this.#request(null);
    }
    // Otherwise the sites whose local month turned (or that were never computed), and those whose kiosks
    // cannot call (their outage grows every minute), the latter at most once per minCheckMs.
    try {
      const states = this.#d.siteStates?.() ?? {};
      const downDue = now - this.#lastDown >= this.#d.settings.minCheckMs;
      const due = (await this.#d.sites()).filter((s) => this.#crossed.get(s.id)?.month !== monthOf(localYearMonth(now, s.timeZone))
        || (downDue && states[s.id] === 'down'));
      if (downDue && due.some((s) => states[s.id] === 'down')) this.#lastDown = now;
      if (due.length) await this.#request(due.map((s) => s.id));
    } catch (error) {
      this.safeEmit('error', error as Error);
    }
  }

  /** null: every site. A request while a computation runs joins it: the loop runs once more for what was asked. */
  #request(siteIds: string[] | null): Promise<void> {
    if (siteIds === null) this.#all = true;
    else for (const id of siteIds) this.#wanted.add(id);
    this.#running ??= this.#loop().finally(() => { this.#running = null; });
    return this.#running;
  }

  async #loop(): Promise<void> {
    while (this.#all || this.#wanted.size > 0) {
      const all = this.#all;
      const wanted = new Set(this.#wanted);
      this.#all = false;
      this.#wanted.clear();
      try {
        if (all) this.#lastAll = this.#d.clock.now();
        for (const site of await this.#d.sites()) {
          if (!all && !wanted.has(site.id)) continue;
          this.#recomputed += 1;
          const availability = await this.#d.level.availabilitySoFar(site.id);
          this.safeEmit('computed', site.id, availability);
          this.#compare(site.id, availability);
        }
      } catch (error) {
        this.safeEmit('error', error as Error);
      }
    }
  }

  #compare(siteId: string, a: MonthlyAvailability): void {
    const budgetMinutes = (a.totalMinutes * (100 - this.#d.settings.targetPercent)) / 100;
    const consumedPercent = budgetMinutes > 0 ? (a.downtimeMinutes / budgetMinutes) * 100 : a.downtimeMinutes > 0 ? Infinity : 0;
    let state = this.#crossed.get(siteId);
    if (state && state.month !== a.month) {
      // A new month, a new budget: what the last one crossed is over.
      for (const threshold of state.thresholds) this.safeEmit('within', { siteId, month: state.month, threshold });
      state = undefined;
    }
    if (!state) this.#crossed.set(siteId, state = { month: a.month, thresholds: new Set() });
    for (const threshold of this.#d.settings.thresholds) {
      const over = consumedPercent >= threshold;
      if (over && !state.thresholds.has(threshold)) {
        state.thresholds.add(threshold);
        this.safeEmit('burn', {
          siteId, month: a.month, threshold, consumedPercent: Math.round(consumedPercent * 10) / 10,
          downtimeMinutes: a.downtimeMinutes, budgetMinutes: Math.round(budgetMinutes * 10) / 10,
        });
      } else if (!over && state.thresholds.delete(threshold)) {
        this.safeEmit('within', { siteId, month: a.month, threshold });
      }
    }
  }

  protected override onListenerError(event: string, error: unknown): void {
    this.#d.logger.error({ event, err: error }, 'sla: a budget listener threw');
  }

  /** Stops listening and waits for a computation under way. */
  async close(): Promise<void> {
    this.#d.probe.off('probe', this.#onProbe);
    this.#d.periods?.off('period', this.#onPeriod);
    await this.idle();
  }
}
