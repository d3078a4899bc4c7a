// The privacy settings from the configuration (privacy.*).
import type { Config } from '../config/index.ts';

export interface PrivacySettings {
  pruneEveryMs: number;
  retentionDays: { callRecords: number; audit: number; sessions: number; auditAddresses: number };
}

export const privacySettings = (config: Config): PrivacySettings => ({
  pruneEveryMs: config.privacy.prune_minutes * 60_000,
  retentionDays: {
    callRecords: config.privacy.retention_days.call_records,
    audit: config.privacy.retention_days.audit,
    sessions: config.privacy.retention_days.sessions,
    auditAddresses: config.audit.address_retention_days,
  },
});
