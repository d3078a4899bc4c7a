// The deployment's own keys under data_dir (card hashes, log pseudonyms): kept
// sealed under the master key. A key file from before (plain hex) or sealed
// under a previous master key is sealed anew; the key itself never changes, so
// card hashes and pseudonyms stay the same.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { isSealed, type SecretBox } from './secret-box.ts';

export interface KeyFileResult {
  key: string;
  /** What this read did to the file. */
  change: 'created' | 'encrypted' | 're-encrypted' | 'none';
}

function writeSealed(path: string, sealed: string): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${sealed}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

/** Reads (creating it with 32 random bytes on first use) the sealed key file at `path`. */
export function sealedKeyFile(path: string, box: SecretBox): KeyFileResult {
  if (!existsSync(path)) {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const key = randomBytes(32).toString('hex');
    writeFileSync(path, `${box.seal(key)}\n`, { mode: 0o600, flag: 'wx' });
    return { key, change: 'created' };
  }
  const text = readFileSync(path, 'utf8').trim();
  if (!isSealed(text)) {
    writeSealed(path, box.seal(text));
    return { key: text, change: 'encrypted' };
  }
  const opened = box.open(text, `key file ${path}`);
  if (opened.stale) writeSealed(path, box.seal(opened.value));
  return { key: opened.value, change: opened.stale ? 're-encrypted' : 'none' };
}
