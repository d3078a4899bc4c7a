// What the composition root does with the secrets at start: open the
// configuration's enc:v1 values, read (and seal, or re-seal after a rotation)
// the key files, and say in the log what it found and changed (DE/EN).
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import type { MasterKeys } from './master-key.ts';
import { openConfigSecrets } from './config-secrets.ts';
import { sealedKeyFile } from './key-files.ts';

export const CARD_KEY_FILE = 'card-hash.key';
export const PSEUDONYM_KEY_FILE = 'log-pseudonym.key';

export interface OpenSecrets {
  /** The configuration with its secrets opened (for the components; never logged). */
  config: Config;
  /** The card-hash key (device hub). */
  cardKey: string;
}

/** Logs that a fresh install generated its master key next to the data. */
export function logGeneratedKey(keys: MasterKeys, logger: Logger): void {
  if (!keys.generated) return;
  logger.warn({ file: keys.generated },
    'secrets: generated a new master key next to the data; for real protection move it off the box or into the environment (PORTIER_SECRETS__MASTER_KEY) / neuer Hauptschlüssel neben den Daten erzeugt; für echten Schutz vom Rechner weg oder in die Umgebung verschieben');
}

/** Throws SecretsError (naming the key source) when a value or key file does not open. */
export function openSecrets(raw: Config, keys: MasterKeys, logger: Logger): OpenSecrets {
  const { config, plaintext, stale } = openConfigSecrets(raw, keys.box);
  if (plaintext.length > 0) {
    logger.warn({ keys: plaintext }, 'secrets: plaintext secrets in the configuration; encrypt them with `portier encrypt-secret` / Klartext-Geheimnisse in der Konfiguration');
  }
  if (stale.length > 0) {
    logger.warn({ keys: stale }, 'secrets: configuration values encrypted with a previous master key; encrypt them anew with `portier encrypt-secret` / Werte mit einem früheren Hauptschlüssel verschlüsselt');
  }
  const keyFile = (name: string): string => {
    const path = join(config.data_dir, name);
    const { key, change } = sealedKeyFile(path, keys.box);
    if (change === 'encrypted') logger.info({ file: path }, 'secrets: key file encrypted under the master key / Schlüsseldatei verschlüsselt');
    if (change === 're-encrypted') logger.info({ file: path }, 'secrets: key file re-encrypted under the new master key / Schlüsseldatei mit dem neuen Hauptschlüssel verschlüsselt');
    return key;
  };
  keyFile(PSEUDONYM_KEY_FILE);
  return { config, cardKey: keyFile(CARD_KEY_FILE) };
}
