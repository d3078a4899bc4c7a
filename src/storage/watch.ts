// What the gateway says when the quota's level changes: a log line (DE/EN) and
// the Prometheus figures /metrics shows.
import type { Logger } from 'pino';
import type { StorageQuota, StorageUsage } from './quota.ts';

/** Logs every level change (warning and full as warn/error) and the level found at start when not ok. */
export function logQuotaLevels(quota: StorageQuota, logger: Logger): void {
  const say = (u: StorageUsage) => {
    const figures = { usedBytes: u.usedBytes, quotaBytes: u.quotaBytes, percent: u.percent };
    if (u.level === 'full') logger.error(figures, 'storage: quota used up, writes that grow the data are refused (507) / Speicherkontingent erschöpft, wachsende Schreibvorgänge werden abgelehnt');
    else if (u.level === 'warning') logger.warn(figures, 'storage: quota nearly used up / Speicherkontingent fast erschöpft');
    else logger.info(figures, 'storage: usage below the warning level again / Speicherbelegung wieder unter der Warnschwelle');
  };
  if (quota.usage().level !== 'ok') say(quota.usage());
  quota.on('level', say);
}

/** The quota's figures in the Prometheus text format. */
export function quotaMetrics(quota: StorageQuota): string {
  const u = quota.usage();
  const level = { ok: 0, warning: 1, full: 2 }[u.level];
  return [
    '# HELP portier_storage_used_bytes Bytes the installation\'s data files take (data_dir databases, WAL, uploads).',
    '# TYPE portier_storage_used_bytes gauge',
    `portier_storage_used_bytes ${u.usedBytes}`,
    '# HELP portier_storage_quota_bytes The configured storage quota (storage.quota_gb).',
    '# TYPE portier_storage_quota_bytes gauge',
    `portier_storage_quota_bytes ${u.quotaBytes}`,
    '# HELP portier_storage_level 0 ok, 1 at or above storage.warn_percent, 2 quota used up (growing writes refused).',
    '# TYPE portier_storage_level gauge',
    `portier_storage_level ${level}`,
    '',
  ].join('\n');
}
