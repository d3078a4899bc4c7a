// The secrets the configuration holds (SIP account passwords, the OIDC client
// secret, the alert webhook's URL, which may carry a token): given either as
// enc:v1 values (`portier encrypt-secret`) or, reported, as plaintext.
import type { Config } from '../config/index.ts';
import { isSealed, type SecretBox } from './secret-box.ts';

interface ConfigSecret {
  key: string;
  value: string;
  /** Counted as a plaintext secret when not sealed (a webhook URL without a token is no secret). */
  alwaysSecret: boolean;
  set: (config: Config, value: string) => Config;
}

/** Every secret-bearing value of the configuration, by its key path. */
export function configSecrets(config: Config): ConfigSecret[] {
  const all: ConfigSecret[] = [
    {
      key: 'auth.oidc.client_secret', value: config.auth.oidc.client_secret, alwaysSecret: true,
      set: (c, v) => ({ ...c, auth: { ...c.auth, oidc: { ...c.auth.oidc, client_secret: v } } }),
    },
    ...config.sip.accounts.map((a, i): ConfigSecret => ({
      key: `sip.accounts[${i}].password (${a.id})`, value: a.password, alwaysSecret: true,
      set: (c, v) => ({ ...c, sip: { ...c.sip, accounts: c.sip.accounts.map((x, j) => (j === i ? { ...x, password: v } : x)) } }),
    })),
    ...config.sip.accounts.flatMap((a, i): ConfigSecret[] => (a.inbound ? [{
      key: `sip.accounts[${i}].inbound.password (${a.id})`, value: a.inbound.password, alwaysSecret: true,
      set: (c, v) => ({ ...c, sip: { ...c.sip, accounts: c.sip.accounts.map((x, j) => (j === i && x.inbound ? { ...x, inbound: { ...x.inbound, password: v } } : x)) } }),
    }] : [])),
    {
      key: 'alerts.webhook_url', value: config.alerts.webhook_url, alwaysSecret: false,
      set: (c, v) => ({ ...c, alerts: { ...c.alerts, webhook_url: v } }),
    },
    {
      key: 'audit.checkpoint.webhook_url', value: config.audit.checkpoint.webhook_url, alwaysSecret: false,
      set: (c, v) => ({ ...c, audit: { ...c.audit, checkpoint: { ...c.audit.checkpoint, webhook_url: v } } }),
    },
  ];
  return all.filter((s) => s.value !== '');
}

/** Keys of secrets written in the configuration in plaintext. */
export const plaintextSecrets = (config: Config): string[] =>
  configSecrets(config).filter((s) => s.alwaysSecret && !isSealed(s.value)).map((s) => s.key);

export interface OpenedConfig {
  config: Config;
  /** Secrets given in plaintext (they work, and are reported). */
  plaintext: string[];
  /** Values sealed under a previous master key: encrypt them anew with `portier encrypt-secret`. */
  stale: string[];
}

/** The configuration with every enc:v1 value opened; throws SecretsError naming the key that does not open. */
export function openConfigSecrets(config: Config, box: SecretBox): OpenedConfig {
  let out = config;
  const stale: string[] = [];
  for (const s of configSecrets(config)) {
    if (!isSealed(s.value)) continue;
    const opened = box.open(s.value, `config ${s.key}`);
    if (opened.stale) stale.push(s.key);
    out = s.set(out, opened.value);
  }
  return { config: out, plaintext: plaintextSecrets(config), stale };
}
