// The alerts component's settings from the validated config (alerts.*).
import { ConfigError, type Config } from '../config/index.ts';
import type { AlertSettings } from './alerts.ts';

export function alertSettings(config: Config): AlertSettings {
  const a = config.alerts;
  if (a.webhook_url !== '' && !isHttpUrl(a.webhook_url)) {
    // The URL may carry a secret: the message does not repeat it.
    throw new ConfigError('alerts.webhook_url', 'config: alerts.webhook_url = (hidden) is invalid; allowed: an http or https URL, or empty');
  }
  return {
    mqtt: a.mqtt,
    webhook: a.webhook_url === '' ? null : {
      url: a.webhook_url, timeoutMs: a.webhook_timeout_seconds * 1000, attempts: a.webhook_attempts,
      retryMs: a.webhook_retry_seconds * 1000, maxPending: a.webhook_max_pending,
    },
  };
}

function isHttpUrl(s: string): boolean {
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:';
  } catch {
    return false;
  }
}
