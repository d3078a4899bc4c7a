// The storage quota's settings from the configuration (storage.*) and the files that count.
import { join } from 'node:path';
import type { Config } from '../config/index.ts';
import type { QuotaSettings } from './quota.ts';

export const storageSettings = (config: Config, mqttSessionsPath?: string): QuotaSettings => ({
  quotaBytes: Math.round(config.storage.quota_gb * 1e9),
  warnPercent: config.storage.warn_percent,
  checkEveryMs: config.storage.check_minutes * 60_000,
  // Logos live in the store (sites' welcome screens); an uploads directory is counted if there is one.
  paths: [config.store.path, ...(mqttSessionsPath ? [mqttSessionsPath] : []), join(config.data_dir, 'uploads')],
});
