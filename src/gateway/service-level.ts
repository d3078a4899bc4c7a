// The service level's parts: the monthly report, health samples of every component, the synthetic
// probe, the month's downtime budget per site and their metrics (started last, by the gateway).
import type { AuditLog } from '../audit/index.ts';
import type { StatusSource } from '../lifecycle/index.ts';
import type { Sites } from '../sites/index.ts';
import type { Store } from '../store/index.ts';
import type { KioskHealth } from '../terminals/index.ts';
import { SfuMediaPort, type WorkerPool } from '../sfu/index.ts';
import { SlaRecords, HealthSampler, SyntheticProbe, ServiceLevel, SlaMetrics, AvailabilityMetrics, BudgetWatch, probeSettings, slaSettings, budgetSettings } from '../quality/index.ts';
import type { StartContext } from './start-context.ts';

export interface ServiceLevelDeps {
  store: Store;
  audit: AuditLog;
  sites: Sites;
  kiosk: KioskHealth;
  sfu: WorkerPool;
  /** Every component's state, the gateway's own first. */
  statusSources: () => StatusSource[];
  /** Whether the gateway was drained (a gap after it is planned). */
  drained: () => boolean;
  /** The probe's sign-in through socket.io on the localhost HTTP listener. */
  probeSignaling: (signal: AbortSignal) => Promise<void>;
}

export function buildServiceLevel(ctx: StartContext, deps: ServiceLevelDeps) {
  const { config, logger, clock, closers } = ctx;
  const { store, audit, sites, kiosk, sfu, statusSources, drained, probeSignaling } = deps;
  // -- service level (src/quality): the monthly report, planned maintenance and excuses --
  const slaRecords = new SlaRecords(store);
  const serviceLevel = new ServiceLevel({ store, records: slaRecords, audit, sites, clock, settings: slaSettings(config) });
  // Health samples (every component's state) and the synthetic probe (media through a worker); started last.
  const sampler = new HealthSampler({
    clock, records: slaRecords, sources: statusSources, siteStates: () => kiosk.siteStates(),
    sampleMs: config.sla.sample_seconds * 1000, retentionMs: config.sla.retention_days * 86_400_000, drained,
  });
  sampler.on('error', (error) => logger.warn({ err: error }, 'sla: storing a health sample failed'));
  sampler.on('gap', (g) => logger.warn({ since: new Date(g.start).toISOString(), drained: g.drained }, 'sla: the gateway was not running (gap since its last sample) / das Gateway lief nicht (Lücke seit der letzten Messung)'));
  const probe = new SyntheticProbe({ clock, media: new SfuMediaPort(sfu), records: slaRecords, settings: probeSettings(config), signaling: probeSignaling });
  probe.on('error', (error) => logger.warn({ err: error }, 'sla: storing a probe result failed'));
  probe.on('down', (d) => logger.error({ since: new Date(d.since).toISOString() }, 'sla: synthetic probe failed repeatedly, the service is down / Dienst nicht verfügbar'));
  probe.on('up', () => logger.info('sla: synthetic probe succeeds again / Dienst wieder verfügbar'));
  // The month's downtime budget per site, recomputed when a probe, a period or a new month can change it (src/quality/budget-watch.ts).
  const budget = new BudgetWatch({ level: serviceLevel, sites: () => sites.list(), probe, periods: serviceLevel, siteStates: () => kiosk.siteStates(), clock, settings: budgetSettings(config), logger });
  budget.on('error', (error) => logger.warn({ err: error }, 'sla: checking the downtime budget failed'));
  // A site's kiosks stored as down or up again changes that site's month.
  sampler.on('sample', (snap) => { for (const c of snap.changed) if (c.startsWith('terminals:')) void budget.touch(c.slice('terminals:'.length)); });
  closers.push({ name: 'budget', close: () => budget.close() });
  const slaMetrics = new SlaMetrics({ probe, sampler });
  closers.push({ name: 'sla-metrics', close: () => slaMetrics.close() });
  // Each site's month so far, as the budget watch last computed it: a scrape reads no probes.
  const availabilityMetrics = new AvailabilityMetrics({ budget });
  closers.push({ name: 'availability-metrics', close: () => availabilityMetrics.close() });
  return { serviceLevel, sampler, probe, budget, slaMetrics, availabilityMetrics };
}
