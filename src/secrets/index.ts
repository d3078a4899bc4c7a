// Secrets at rest (issue 15, slice 5): the master key, AES-256-GCM sealing, the
// sealed key files under data_dir and the configuration's enc:v1 values.
export { SecretBox, SecretsError, SEALED_PREFIX, isSealed, keyId, parseMasterKey, type MasterKey, type Opened } from './secret-box.ts';
export { loadMasterKeys, DEFAULT_KEY_FILE, type MasterKeys } from './master-key.ts';
export { sealedKeyFile, type KeyFileResult } from './key-files.ts';
export { configSecrets, plaintextSecrets, openConfigSecrets, type OpenedConfig } from './config-secrets.ts';
export { openSecrets, logGeneratedKey, CARD_KEY_FILE, PSEUDONYM_KEY_FILE, type OpenSecrets } from './start.ts';
