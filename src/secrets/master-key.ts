// Where the master key comes from: secrets.master_key (best set through the
// environment, PORTIER_SECRETS__MASTER_KEY), else secrets.master_key_file, else
// <data_dir>/master.key — generated 0600 on a fresh install. A key on the same
// disk as the data only protects copies of the database without the data
// directory (docs/security.md, "Secrets at rest").
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Config } from '../config/index.ts';
import { parseMasterKey, SecretBox, SecretsError, type MasterKey } from './secret-box.ts';

export const DEFAULT_KEY_FILE = 'master.key';

export interface MasterKeys {
  box: SecretBox;
  /** Set when this start generated the key (a fresh install): the file's path. */
  generated?: string;
  /** The key file's path when the key is read from a file, else undefined (config or environment). */
  file?: string;
}

function readKeyFile(path: string, source: string): MasterKey {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SecretsError(source, `secrets: cannot read the master key from ${source}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  return parseMasterKey(text, source);
}

/**
 * The master key (and the previous ones of a rotation) the configuration names.
 * `generate: false` (check-config) reports a missing default key file instead of creating one.
 */
export function loadMasterKeys(config: Config, opts: { generate?: boolean } = {}): MasterKeys {
  const s = config.secrets;
  const previous = [
    ...s.previous_master_keys.map((k, i) => parseMasterKey(k, `config secrets.previous_master_keys[${i}]`)),
    ...s.previous_master_key_files.map((f) => readKeyFile(resolve(config.data_dir, f), `file ${resolve(config.data_dir, f)}`)),
  ];
  if (s.master_key !== '') {
    return { box: new SecretBox(parseMasterKey(s.master_key, 'config secrets.master_key (PORTIER_SECRETS__MASTER_KEY)'), previous) };
  }
  const path = s.master_key_file === '' ? join(config.data_dir, DEFAULT_KEY_FILE) : resolve(config.data_dir, s.master_key_file);
  let generated: string | undefined;
  if (!existsSync(path)) {
    // Only the default place is filled in: a key file the operator named and that is missing is a mistake to report.
    if (s.master_key_file !== '') throw new SecretsError(`file ${path}`, `secrets: the master key file ${path} (secrets.master_key_file) does not exist`);
    if (opts.generate === false) {
      throw new SecretsError(`file ${path}`, `secrets: no master key to open the configuration's enc:v1 values: ${path} does not exist and PORTIER_SECRETS__MASTER_KEY is not set`);
    }
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    writeFileSync(path, `${randomBytes(32).toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
    generated = path;
  }
  return { box: new SecretBox(readKeyFile(path, `file ${path}`), previous), generated, file: path };
}
