// The audit settings from the configuration (audit.*): read-audit granularity
// and where the chain's checkpoints go.
import type { Config } from '../config/index.ts';
import type { CheckpointSettings } from './checkpoints.ts';
import { syslogTarget, webhookTarget, type CheckpointTarget } from './checkpoint-targets.ts';

export const readWindowMs = (config: Config): number => config.audit.read_window_minutes * 60_000;

export const checkpointSettings = (config: Config): CheckpointSettings => ({
  everyEntries: config.audit.checkpoint.every_entries,
  everyMs: config.audit.checkpoint.every_minutes * 60_000,
  retryMs: config.audit.checkpoint.retry_seconds * 1000,
});

/** The configured targets (none when both are empty); the caller owns and closes them. */
export function checkpointTargets(config: Config): CheckpointTarget[] {
  const c = config.audit.checkpoint;
  return [
    ...(c.webhook_url ? [webhookTarget(c.webhook_url, c.timeout_seconds * 1000)] : []),
    ...(c.syslog ? [syslogTarget(c.syslog)] : []),
  ];
}
