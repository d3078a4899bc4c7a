// The quality component's settings from the validated config.
import type { Config } from '../config/index.ts';
import { codecTable } from './codecs.ts';
import type { QualitySettings } from './quality-monitor.ts';
import type { ProbeSettings } from './synthetic-probe.ts';
import type { SlaSettings } from './service-level.ts';
import type { BudgetSettings } from './budget-watch.ts';

export function qualitySettings(config: Config): QualitySettings {
  const q = config.quality;
  return {
    intervalMs: q.interval_seconds * 1000,
    mosThreshold: q.mos_threshold,
    lowIntervals: q.low_quality_intervals,
    codecs: codecTable({ ie: q.opus_ie, bpl: q.opus_bpl }),
    reportsPerInterval: q.reports_per_interval,
    timelineIntervals: q.timeline_intervals,
  };
}

/** The synthetic probe's settings (sla.probe_*). */
export function probeSettings(config: Config): ProbeSettings {
  const s = config.sla;
  return { intervalMs: s.probe_seconds * 1000, packets: s.probe_packets, timeoutMs: s.probe_timeout_seconds * 1000, failures: s.probe_failures };
}

/** The SLA report's settings. */
/** The downtime budget's target, alert thresholds and cadence (sla.target_percent, alerts.budget_burn_percent, sla.budget_check_seconds). */
export function budgetSettings(config: Config): BudgetSettings {
  return {
    targetPercent: config.sla.target_percent, thresholds: [...new Set(config.alerts.budget_burn_percent)].sort((a, b) => a - b),
    minCheckMs: config.sla.budget_check_seconds * 1000,
  };
}

export function slaSettings(config: Config): SlaSettings {
  return { probeFailures: config.sla.probe_failures, mosThreshold: config.quality.mos_threshold, noteMaxChars: config.sla.note_max_chars };
}
