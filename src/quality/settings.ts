// The quality component's settings from the validated config.
import type { Config } from '../config/index.ts';
import { codecTable } from './codecs.ts';
import type { QualitySettings } from './quality-monitor.ts';

export function qualitySettings(config: Config): QualitySettings {
  const q = config.quality;
  return {
    intervalMs: q.interval_seconds * 1000,
    mosThreshold: q.mos_threshold,
    lowIntervals: q.low_quality_intervals,
    codecs: codecTable({ ie: q.opus_ie, bpl: q.opus_bpl }),
  };
}
