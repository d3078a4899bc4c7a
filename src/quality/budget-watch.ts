// The month's downtime budget per site: with a 98 % target a 30-day month allows
// 864 minutes of downtime. After every synthetic probe (and at start) each site's
// month so far is computed as the report computes it (ServiceLevel), and crossing
// one of the configured shares of the budget (50, 80, 100 % by default) is an event;
// falling below it again — an outage excused after the fact, a new month — is one too.
// The alerts component turns them into alerts; this owns no alert and no timer.
import type { Logger } from 'pino';
import { TypedEmitter } from '../core/index.ts';
import type { MonthlyAvailability } from './availability.ts';

export interface BudgetSettings {
  /** The contract's monthly availability, in percent (98). */
  targetPercent: number;
  /** Shares of the month's downtime budget that raise an alert, in percent, ascending. */
  thresholds: number[];
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
  burn: [BudgetBurn];
  within: [{ siteId: string; month: string; threshold: number }];
  error: [Error];
};

export interface BudgetWatchDeps {
  level: { availabilitySoFar(siteId: string): Promise<MonthlyAvailability> };
  sites: () => Promise<Array<{ id: string }>>;
  /** Checked after each of its results. */
  probe: { on(event: 'probe', listener: () => void): unknown; off(event: 'probe', listener: () => void): unknown };
  settings: BudgetSettings;
  logger: Logger;
}

export class BudgetWatch extends TypedEmitter<BudgetWatchEvents> {
  readonly #d: BudgetWatchDeps;
  /** Per site: the month and the thresholds crossed in it. */
  readonly #crossed = new Map<string, { month: string; thresholds: Set<number> }>();
  #running: Promise<void> | null = null;
  #again = false;
  readonly #onProbe = () => { void this.check(); };

  constructor(deps: BudgetWatchDeps) {
    super();
    this.#d = deps;
    deps.probe.on('probe', this.#onProbe);
  }

  /** Checks every site once; a check asked for while one runs runs once more afterwards. */
  check(): Promise<void> {
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = (async () => {
      do {
        this.#again = false;
        try {
          for (const site of await this.#d.sites()) this.#compare(site.id, await this.#d.level.availabilitySoFar(site.id));
        } catch (error) {
          this.safeEmit('error', error as Error);
        }
      } while (this.#again);
    })().finally(() => { this.#running = null; });
    return this.#running;
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

  /** Stops listening to the probe and waits for a check under way. */
  async close(): Promise<void> {
    this.#d.probe.off('probe', this.#onProbe);
    await this.#running;
  }
}
