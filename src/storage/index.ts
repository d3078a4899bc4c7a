// The installation's storage quota (issue 15, slice 5): usage measured, shown, warned about and enforced.
export { StorageQuota, InsufficientStorageError, type StorageUsage, type QuotaLevel, type QuotaSettings, type StorageQuotaEvents } from './quota.ts';
export { logQuotaLevels, quotaMetrics } from './watch.ts';
export { storageSettings } from './settings.ts';
