// alerts.* from the config: the webhook URL must be http(s), and a bad one is refused without repeating it.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadConfig, ConfigError } from '../../src/config/index.ts';
import { alertSettings } from '../../src/alerts/index.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const config = (env: Record<string, string>) => loadConfig({ configDir: join(ROOT, 'config'), cwd: ROOT, env });

describe('alert settings', () => {
  it('no webhook by default; MQTT on', () => {
    expect(alertSettings(config({}))).toEqual({ mqtt: true, webhook: null });
  });

  it('takes an https URL with its limits in milliseconds', () => {
    expect(alertSettings(config({ PORTIER_ALERTS__WEBHOOK_URL: 'https://ops.example/hook?token=abc', PORTIER_ALERTS__WEBHOOK_RETRY_SECONDS: '2' })).webhook)
      .toEqual({ url: 'https://ops.example/hook?token=abc', timeoutMs: 5000, attempts: 3, retryMs: 2000, maxPending: 100 });
  });

  it('refuses a URL that is not http(s) with a ConfigError that does not repeat it', () => {
    const run = () => alertSettings(config({ PORTIER_ALERTS__WEBHOOK_URL: 'ftp://secret-token@ops.example/x' }));
    expect(run).toThrow(ConfigError);
    expect(run).toThrow(/alerts\.webhook_url = \(hidden\) is invalid/);
    try { run(); } catch (error) { expect(String((error as Error).message)).not.toContain('secret-token'); }
  });
});
