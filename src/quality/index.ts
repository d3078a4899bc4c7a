// Call quality and service-level monitoring: the E-model, the per-call quality
// monitor and the contract's monthly availability.
export {
  G711_PLC, JITTER_BUFFER_FACTOR, R_UNIMPAIRED, delayImpairment, delayImpairmentParts, effectiveIe, mos, mosFromR, mouthToEarMs, rFactor,
  type CodecImpairment, type Impairment,
} from './e-model.ts';
export { codecTable, type CodecTable, type OpusValues } from './codecs.ts';
export { legSample, type BrowserInterval, type LegSample, type ParticipantCounters, type StreamCounters } from './leg-sample.ts';
export { SfuStatsSource, type MediaStatsSource, type StatsReader } from './sfu-stats.ts';
export { CallQualityRecords, type CallQualitySummary, type QualityRecorder, type QualityTables } from './call-quality-records.ts';
export { QualityMonitor, summarise, type QualityMonitorEvents, type QualitySettings, type LowQuality, type ReportAnswer, type LiveQuality } from './quality-monitor.ts';
export { browserInterval, signalLevel, LegReports, type BrowserReport, type SignalLevel } from './browser-report.ts';
export { farEndInterval, farEndBaseline, FarEndReports, type FarEndInterval, type FarEndBaseline } from './far-end-report.ts';
export { qualitySettings, probeSettings, slaSettings, budgetSettings } from './settings.ts';
export {
  DEFAULT_MAINTENANCE_WINDOW, monthlyAvailability, monthSpan, outagesFromSamples, windowSpans, merge,
  type HealthSample, type MonthInput, type MonthlyAvailability, type Span, type WeeklyTime, type WeeklyWindow,
} from './availability.ts';
export { offsetAt, zonedToUtc } from './zoned-time.ts';
export { QualityMetrics } from './metrics.ts';
export { SlaRecords, EXCUSE_REASONS, type ExcuseReason, type ProbeResult, type SlaPeriod, type HealthMinute, type SlaTables } from './sla-records.ts';
export { HealthSampler, type HealthSamplerDeps, type HealthSamplerEvents, type HealthSnapshot } from './health-sampler.ts';
export { SyntheticProbe, type ProbeSettings, type SyntheticProbeEvents } from './synthetic-probe.ts';
export { ServiceLevel, stateOutages, parseMonth, type SiteDirectory, type SlaSettings, type ServiceLevelEvents } from './service-level.ts';
export { percentile, reportCsv, histogram, MOS_EDGES, ANSWER_EDGES, type Bucket, type SlaOutage, type SlaReport } from './sla-report.ts';
export { reportPage, REPORT_CSS, type ReportLanguage } from './sla-report-page.ts';
export { SlaMetrics } from './sla-metrics.ts';
export { AvailabilityMetrics } from './availability-metrics.ts';
export { BudgetWatch, type BudgetBurn, type BudgetSettings, type BudgetWatchEvents } from './budget-watch.ts';
