// The gateway's first start steps: data_dir's private files, the secrets that open the config, the store and the storage quota.
import type { Config } from '../config/index.ts';
import { privateDir, privateDatabase } from '../core/index.ts';
import { loadMasterKeys, openSecrets, logGeneratedKey, type MasterKeys } from '../secrets/index.ts';
import { StorageQuota, storageSettings, logQuotaLevels } from '../storage/index.ts';
import { Store } from '../store/index.ts';
import { settingsFromConfig } from '../device-hub/index.ts';
import type { StartContext } from './start-context.ts';

/**
 * `raw`: the config as read (its enc:v1 values still sealed); the config returned has them opened.
 * `masterKeys`: when main already read them; else read here (a generated key is logged).
 */
export async function openData(ctx: Omit<StartContext, 'config'>, raw: Config, masterKeys: MasterKeys | undefined) {
  const { logger, clock, step, closers, sources } = ctx;
  await step('data_dir', async () => {
    privateDir(raw.data_dir);
    const sessions = settingsFromConfig(raw).sessions;
    for (const db of [raw.store.path, ...(sessions?.kind === 'sqlite' ? [sessions.path] : [])]) privateDatabase(db);
  });
  // -- secrets (src/secrets): the master key opens the config's enc:v1 values and the key files under data_dir --
  const { config, cardKey, box } = await step('secrets', async () => {
    const keys = masterKeys ?? loadMasterKeys(raw);
    if (!masterKeys) logGeneratedKey(keys, logger);
    return { ...openSecrets(raw, keys, logger), box: keys.box };
  });
  const store = await step('store', () => Store.open(config.store.path));
  closers.push({ name: 'store', close: () => store.close() });
  sources.push({ name: 'store', status: () => ({ state: store.closed ? 'closed' : 'ready', path: config.store.path }) });
  store.checkpointer?.on('failed', (error) => logger.error({ err: error }, 'store: WAL checkpoint thread failed; SQLite checkpoints on the main thread again'));
  // -- storage quota (src/storage): data_dir's files measured, a warning at storage.warn_percent, growing writes refused at 100 % --
  const hubSessions = settingsFromConfig(config).sessions;
  const quota = new StorageQuota(storageSettings(config, hubSessions?.kind === 'sqlite' ? hubSessions.path : undefined), clock);
  closers.push({ name: 'storage', close: () => quota.close() });
  logQuotaLevels(quota, logger.child({ component: 'storage' }));
  quota.start();
  sources.push({ name: 'storage', status: () => quota.status() });
  return { config, cardKey, box, store, quota };
}
