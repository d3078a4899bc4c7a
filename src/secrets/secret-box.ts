// Seals and opens secrets with AES-256-GCM under the deployment's master key;
// values sealed under a previous master key still open (and say so), which is
// how a rotation re-encrypts everything at the next start.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

/** Prefix of a sealed value: version 1 = AES-256-GCM, 12-byte IV, 16-byte tag. */
export const SEALED_PREFIX = 'enc:v1:';

/** A master key and where it came from (named in every error about it). */
export interface MasterKey {
  key: Buffer;
  /** e.g. "file /var/lib/portier/master.key" or "config secrets.master_key". */
  source: string;
}

/** A secret could not be opened or a master key is unusable; `message` is the one line for the operator. */
export class SecretsError extends Error {
  /** Where the bad key or value came from (a file, a config key). */
  readonly source: string;
  constructor(source: string, message: string) {
    super(message);
    this.name = 'SecretsError';
    this.source = source;
  }
}

/** A short id of a key (not secret: 4 bytes of its SHA-256), stored with each value to name the key that sealed it. */
export const keyId = (key: Buffer): string => createHash('sha256').update('portier master key id').update(key).digest('hex').slice(0, 8);

export const isSealed = (value: string): boolean => value.startsWith(SEALED_PREFIX);

export interface Opened {
  value: string;
  /** Sealed under a previous master key: seal it again under the current one. */
  stale: boolean;
}

export class SecretBox {
  readonly current: MasterKey;
  readonly previous: readonly MasterKey[];

  constructor(current: MasterKey, previous: MasterKey[] = []) {
    this.current = current;
    this.previous = previous;
  }

  /** `enc:v1:<key id>:<base64url(iv | tag | ciphertext)>`. */
  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${keyId(this.current.key)}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`;
  }

  /** Opens a sealed value; `where` names it in the error (a file, a config key). */
  open(sealed: string, where: string): Opened {
    const match = /^enc:v1:([0-9a-f]{8}):([A-Za-z0-9_-]+)$/.exec(sealed.trim());
    if (!match) throw new SecretsError(where, `secrets: ${where} is not a valid enc:v1 value (made by \`portier encrypt-secret\`)`);
    const [, id, data] = match as unknown as [string, string, string];
    const candidates = [this.current, ...this.previous];
    const key = candidates.find((k) => keyId(k.key) === id);
    if (!key) {
      throw new SecretsError(this.current.source, `secrets: ${where} was encrypted with another master key (id ${id}) than the one from ${this.current.source} (id ${keyId(this.current.key)})${this.previous.length ? ' or a previous one' : ''}; set the right key, or list the old one in secrets.previous_master_keys`);
    }
    const raw = Buffer.from(data, 'base64url');
    try {
      // Shorter than iv + tag, GCM would check a truncated tag (as few as 4 bytes): only the full 16 bytes count.
      if (raw.length < 28) throw new Error('shorter than iv and tag');
      const decipher = createDecipheriv('aes-256-gcm', key.key, raw.subarray(0, 12), { authTagLength: 16 });
      decipher.setAuthTag(raw.subarray(12, 28));
      const value = Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8');
      return { value, stale: key !== this.current };
    } catch {
      throw new SecretsError(where, `secrets: ${where} does not open with the master key from ${key.source} (damaged or altered)`);
    }
  }
}

/** A master key's text: 64 hex digits or the base64 of 32 bytes. */
export function parseMasterKey(text: string, source: string): MasterKey {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : /^[A-Za-z0-9+/_-]{43}=?$/.test(t) ? Buffer.from(t, 'base64') : undefined;
  if (!key || key.length !== 32) {
    throw new SecretsError(source, `secrets: the master key from ${source} must be 32 bytes as 64 hex digits or base64 (generate one with: openssl rand -hex 32)`);
  }
  return { key, source };
}
