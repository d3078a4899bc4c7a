// Prometheus metrics of each site's month so far, appended to /metrics: its availability
// and the downtime counted against it, as the budget watch last computed them. Computing a
// month reads its probes, so a scrape does not: the watch computes a site's month whenever
// its downtime can change (a failed probe, the first good one after, a period recorded, a
// site whose kiosks are down, a new month), and this keeps its last answer per site. It
// listens to the watch and owns nothing.
import { promHeader, promLabel } from '../core/index.ts';
import type { MonthlyAvailability } from './availability.ts';
import type { BudgetWatch } from './budget-watch.ts';

type Computed = (siteId: string, availability: MonthlyAvailability) => void;

export class AvailabilityMetrics {
  readonly #budget: Pick<BudgetWatch, 'on' | 'off'>;
  readonly #months = new Map<string, MonthlyAvailability>();
  readonly #onComputed: Computed = (siteId, availability) => { this.#months.set(siteId, availability); };

  constructor(deps: { budget: Pick<BudgetWatch, 'on' | 'off'> }) {
    this.#budget = deps.budget;
    this.#budget.on('computed', this.#onComputed);
  }

  render(): string {
    const sites = [...this.#months];
    return [
      ...promHeader('portier_sla_availability_percent', 'gauge', 'The site\'s availability this month so far (its time zone), as the SLA report counts it.'),
      ...sites.map(([id, a]) => `portier_sla_availability_percent{site="${promLabel(id)}"} ${a.availabilityPercent}`),
      ...promHeader('portier_sla_downtime_minutes', 'gauge', 'Minutes of downtime counted against the site\'s service level this month so far.'),
      ...sites.map(([id, a]) => `portier_sla_downtime_minutes{site="${promLabel(id)}"} ${a.downtimeMinutes}`),
      '',
    ].join('\n');
  }

  close(): void {
    this.#budget.off('computed', this.#onComputed);
  }
}
